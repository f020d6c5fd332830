"""dateparser, as a last resort for English forms the grammar does not cover.

Imported lazily (dateparser costs ~0.3 s to import) and only called by
``resolve_when`` when the grammar found nothing that covers the text. Languages are
pinned (autodetection costs 8-39 ms a call), and an answer equal to the reference
time itself is dateparser's way of half-understanding: it counts as no answer.
"""
from __future__ import annotations

import datetime as dt
import re

_HAS_CLOCK = re.compile(r"\d\s*(?:[ap]\.?m|:\d\d|o'?clock|h\d\d)|noon|midnight", re.I)
_SAYS_NOW = re.compile(r"(?<![a-z])now(?![a-z])", re.I)
_dp = None


def dateparser_when(text: str, now: dt.datetime):
    """-> (date, time | None) or None."""
    global _dp
    if not re.search(r"[A-Za-z]", text) or len(text) > 100:
        return None
    if _dp is None:
        import dateparser

        _dp = dateparser
    base = now.replace(tzinfo=None, second=0, microsecond=0)
    try:
        got = _dp.parse(text, languages=["en"], settings={
            "PREFER_DATES_FROM": "future", "RELATIVE_BASE": base,
            "RETURN_AS_TIMEZONE_AWARE": False, "STRICT_PARSING": False})
    except Exception:  # dateparser raises on odd input; a fallback must not
        return None
    if got is None or (got == base and not _SAYS_NOW.search(text)):
        return None
    if got.year < 1900 or got.year > 2200:
        return None
    if _HAS_CLOCK.search(text):
        return got.date(), got.time().replace(second=0, microsecond=0)
    return got.date(), None
