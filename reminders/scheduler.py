"""One tick: everything due as of `now`, as an explicit list of scans.

Each scan reads the database, decides what is due and queues it in the outbox under a unique key
(kind, subject, occurrence); running a tick twice, or in two processes, queues nothing twice.
`crmbot tick --at ISO` and `crmbot chat` call tick() directly; `crmbot run` calls it every
minute from APScheduler (jobs.py), with a Memo so the daily scans run once a day.
"""
from __future__ import annotations

import datetime as dt
import logging

from . import digests, followups, greetings, lifecycle, nags, overdue, retention, reviews, sweep
from .memo import Memo

log = logging.getLogger(__name__)

SCANS = [
    ("sweep", sweep.scan),
    ("followups", followups.scan),
    ("overdue", overdue.scan),
    ("holidays", greetings.scan_holidays),
    ("birthdays", greetings.scan_birthdays),
    ("nags", nags.scan),
    ("lifecycle", lifecycle.scan),
    ("reviews", reviews.scan),
    ("digests", digests.scan),
    ("retention", retention.scan),
]
# what `crmbot run`'s minute tick runs: retention is a job (and a lease) of its own (jobs.py)
TICK_SCANS = [(name, scan) for name, scan in SCANS if name != "retention"]


async def tick(app, now: dt.datetime, memo: Memo | None = None, scans: list | None = None) -> dict[str, int]:
    """Run every scan (or these) as of `now`; returns how many pushes each queued. A failing scan is
    logged and the others still run."""
    now = now.astimezone(dt.timezone.utc)
    counts = {}
    for name, scan in SCANS if scans is None else scans:
        try:
            counts[name] = await scan(app, now, memo)
        except Exception:
            log.exception("scan %s failed at %s", name, now.isoformat())
            counts[name] = 0
    if any(counts.values()):
        app.services.on_outbox()
    return counts
