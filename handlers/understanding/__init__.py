"""Understanding quick notes: dates, customers, lexicons and the note parser.

Nothing here knows about messengers or the database; it works on plain text,
a reference time and an in-memory customer index.
"""
