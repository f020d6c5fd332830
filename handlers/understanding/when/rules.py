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
    def __init__(self, name: str):
        self.name = name
        self.rules: list[tuple[re.Pattern, Handler]] = []

    def rule(self, pattern: str, flags: int = 0):
        rx = re.compile(pattern, flags)

        def register(fn: Handler) -> Handler:
            self.rules.append((rx, fn))
            return fn

        return register

    def scan(self, text: str, ctx: Ctx, out: list[Part]) -> None:
        for rx, fn in self.rules:
            for m in rx.finditer(text):
                p = fn(m, ctx)
                if p is not None:
                    if not p.rule:
                        p.rule = f"{self.name}.{fn.__name__}"
                    out.append(p)


def P(m: re.Match, start: int | None = None, end: int | None = None, **fields) -> Part:
    """A part spanning the whole match (or start/end when given)."""
    return Part(m.start() if start is None else start, m.end() if end is None else end, **fields)
