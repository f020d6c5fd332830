"""The note parser: one quick note in, one structured reading out.

Public API (stable, used by the conversation handlers and `crmbot parse`):

- ``CustomerRecord``: what the parser knows of a customer.
- ``CustomerIndex(records)``: built once, matched per note (see matching.py).
- ``NoteParser(index).parse(text, now) -> ParsedNote``
- ``ParsedNote.to_json()``: exactly the JSON object of the spec.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CustomerRecord:
    id: int | None
    name: str
    company: str | None = None
    aliases: tuple[str, ...] = ()
    owner: str | None = None


@dataclass
class FollowUp:
    date: dt.date | None
    time: dt.time | None
    task: str


@dataclass
class ParsedNote:
    text: str
    customer: CustomerRecord | None = None
    ambiguous: bool = False
    candidates: list[CustomerRecord] = field(default_factory=list)
    mention: str | None = None
    is_new: bool = False  # introduced as a new customer (mention is their name)
    channel: str = "other"
    follow_ups: list[FollowUp] = field(default_factory=list)
    amount: float | None = None
    currency: str | None = None
    risk: list[str] = field(default_factory=list)
    outcome: str | None = None
    birthday: str | None = None  # "MM-DD"
    lunar_birthday: str | None = None  # "MM-DD"

    def to_json(self) -> dict:
        first = self.follow_ups[0] if self.follow_ups else None
        amount = self.amount
        if amount is not None and float(amount).is_integer():
            amount = int(amount)
        return {
            "customer": self.customer.name if self.customer and not self.ambiguous else None,
            "ambiguous": self.ambiguous,
            "candidates": [c.name for c in self.candidates] if self.ambiguous else [],
            "mention": self.mention,
            "channel": self.channel,
            "follow_up": None
            if first is None
            else {
                "date": first.date.isoformat() if first.date else None,
                "time": first.time.strftime("%H:%M") if first.time else None,
                "task": first.task,
            },
            "amount": amount,
            "currency": self.currency,
            "risk": list(self.risk),
            "outcome": self.outcome,
            "birthday": self.birthday,
            "lunar_birthday": self.lunar_birthday,
        }
