"""Time expressions in Chinese and English resolved against a reference time.

Public API (stable, used by the note parser and `crmbot when`):

- ``find_times(text, now) -> list[TimeMention]``: every time expression found
  inside a free-text note, with its span, in text order.
- ``resolve_when(text, now) -> Resolved | None``: the whole string read as one
  time expression (what `crmbot when` prints).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Resolved:
    date: dt.date
    time: dt.time | None = None

    def iso(self) -> str:
        if self.time is None:
            return self.date.isoformat()
        return dt.datetime.combine(self.date, self.time).isoformat(timespec="minutes")


@dataclass(frozen=True)
class TimeMention:
    start: int  # span in the original text
    end: int
    text: str
    date: dt.date
    time: dt.time | None
    deadline: bool = False  # "before X" / X之前 / by X: X is the due date
    past: bool = False  # refers to the past or to "today" as when something happened


def find_times(text: str, now: dt.datetime) -> list[TimeMention]:
    raise NotImplementedError


def resolve_when(text: str, now: dt.datetime) -> Resolved | None:
    raise NotImplementedError
