"""How language rules are declared and run.

A rule is a precompiled regex plus a function turning a match into a ``Part`` (or
None to reject the match after a closer look). zh.py and en.py register their rules
with ``@rule(pattern)``; ``scan`` runs every rule over the normalised text.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable

from .parts import Part


@dataclass(frozen=True, slots=True)
class Ctx:
    now: dt.datetime  # aware reference time
    today: dt.date  # now's local date

    @classmethod
    def of(cls, now: dt.datetime) -> "Ctx":
        return cls(now, now.date())


Handler = Callable[[re.Match, Ctx], "Part | None"]


class RuleSet:
    """Rules of one language. Patterns compile on first use, so importing is cheap.

    ``needs`` is a cheap regex that must occur in the text for the rule to be worth
    running (most notes have no 月, no 点, no month name): scanning is the hot path.
    """

    def __init__(self, name: str):
        self.name = name
        self._specs: list[tuple[str, str | None, Handler]] = []
        self._rules: list[tuple[re.Pattern, re.Pattern | None, Handler]] | None = None

    def rule(self, pattern: str, needs: str | None = None):
        def register(fn: Handler) -> Handler:
            self._specs.append((pattern, needs, fn))
            self._rules = None
            return fn

        return register

    @property
    def rules(self) -> list[tuple[re.Pattern, re.Pattern | None, Handler]]:
        if self._rules is None:
            self._rules = [(re.compile(p), re.compile(n) if n else None, fn) for p, n, fn in self._specs]
        return self._rules

    def scan(self, text: str, ctx: Ctx, out: list[Part]) -> None:
        for rx, needs, fn in self.rules:
            if needs is not None and needs.search(text) is None:
                continue
            for m in rx.finditer(text):
                try:
                    p = fn(m, ctx)
                except (ValueError, OverflowError):  # "in 9000 years", year 0: not a date we can hold
                    continue
                if p is not None:
                    if not p.rule:
                        p.rule = f"{self.name}.{fn.__name__}"
                    out.append(p)


def P(m: re.Match, start: int | None = None, end: int | None = None, **fields) -> Part:
    """A part spanning the whole match (or start/end when given)."""
    return Part(m.start() if start is None else start, m.end() if end is None else end, **fields)
