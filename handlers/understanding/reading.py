"""What a note means, as data: the customer records the parser knows, the follow-ups and the whole reading.

Kept apart from the parser (notes.py) so the matcher and the follow-up chooser can use these types without
importing the parser that uses them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)  # slots: 100k of these live in the index
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
    customer: CustomerRecord | None = None  # whose follow-up, when the note names several customers
    start: int | None = field(default=None, repr=False, compare=False)  # where its date is in the note

    def to_json(self) -> dict:
        return {
            "date": self.date.isoformat() if self.date else None,
            "time": self.time.strftime("%H:%M") if self.time else None,
            "task": self.task,
        }


@dataclass
class ParsedNote:
    text: str
    customer: CustomerRecord | None = None
    ambiguous: bool = False
    candidates: list[CustomerRecord] = field(default_factory=list)
    mention: str | None = None
    is_new: bool = False  # introduced as a new customer (mention is their name)
    mention_span: tuple[int, int] | None = None  # [start, end) of the mention in text
    channel: str = "other"
    follow_ups: list[FollowUp] = field(default_factory=list)
    amount: float | None = None
    currency: str | None = None
    risk: list[str] = field(default_factory=list)
    outcome: str | None = None
    birthday: str | None = None  # "MM-DD"
    lunar_birthday: str | None = None  # "MM-DD"
    # every known customer the note reports an interaction with, in the order named; customer is the first
    customers: list[CustomerRecord] = field(default_factory=list)
    # fields the parser is not sure of ("customer", "channel", "date", "time", "amount", "risk", "outcome",
    # "birthday"): the bot asks about exactly these before it trusts them
    uncertain: list[str] = field(default_factory=list)
    # the note reports that something pending was done ("样品收到了", "搞定了"): close the matching open follow-up
    closes: bool = False
    # risks the note says are over ("the overdue balance is paid"): clear them on the customer
    resolved_risks: list[str] = field(default_factory=list)

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
            "follow_up": None if first is None else first.to_json(),
            "amount": amount,
            "currency": self.currency,
            "risk": list(self.risk),
            "outcome": self.outcome,
            "birthday": self.birthday,
            "lunar_birthday": self.lunar_birthday,
            "customers": [c.name for c in self.customers] if not self.ambiguous else [],
            "follow_ups": [f.to_json() for f in self.follow_ups],
            "uncertain": list(self.uncertain),
        }
