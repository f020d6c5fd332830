"""What handlers and reminders both speak, below both: the neutral message types (`messages`) and
their phone-sized renderings of dates, money and records (`format`). Imports only storage."""
