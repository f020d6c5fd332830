"""What a long-running process already scanned today, so the daily scans run once a day rather
than every minute. Only an optimisation: the outbox keys are what guarantee one push per key,
so a fresh process (or `crmbot tick`, which has no memo) simply scans again."""
from __future__ import annotations

import datetime as dt


class Memo:
    def __init__(self) -> None:
        self._done: set[tuple[str, object, dt.date]] = set()

    def todo(self, scan: str, subject: object, day: dt.date) -> bool:
        return (scan, subject, day) not in self._done

    def done(self, scan: str, subject: object, day: dt.date) -> None:
        self._done = {entry for entry in self._done if (day - entry[2]).days < 3}
        self._done.add((scan, subject, day))
