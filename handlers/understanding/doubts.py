"""Which fields of a reading the parser is not sure of (the spec's ``uncertain``).

The bot asks about exactly these, so a flag costs the user a tap: flag only where the note itself leaves
room for doubt, not by default.

- customer: matched through a loose typo or a same-pinyin homophone (fuzzy);
- date: a date found only in a situation clause (we file none: was it a follow-up?), a month alone
  ("in March": the 1st is a guess), an earliest date that no clause asks for while a later one is asked
  for ("demo Feb 10; send the agenda by Friday" is fine, "he's around Monday; call him Friday" is not sure),
  or a bare weekday told in a report ("周日晚上他还发微信": last Sunday or the next?);
- amount: several different sums of money.
"""
from __future__ import annotations

import re

_MONTH_ALONE = re.compile(r"^(?:in\s+|by\s+|until\s+|during\s+|of\s+)?(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|"
                          r"july?|aug(?:ust)?|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|[一二三四五六七八九十\d]{1,2}月份?)$")
_BARE_WEEKDAY = re.compile(r"^(?:on\s+)?(?:周|星期|礼拜|週|禮拜)[一二三四五六日天]|^(?:on\s+)?(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*$")


def uncertain_fields(note, *, match_kind, situational, used, amounts, clauses, n) -> list[str]:
    """``used``: the time mentions the follow-ups came from; ``amounts``: the money found."""
    out: list[str] = []
    if note.customer is not None and match_kind == "fuzzy":
        out.append("customer")
    dated = [f for f in note.follow_ups if f.date is not None]
    if situational and not dated and not (note.birthday or note.lunar_birthday):
        out.append("date")  # a date only in a situation ("下个月可能停产"): was it meant as a follow-up?
    elif dated and used:
        first = used[0]
        text = first.text.strip().lower()
        if _MONTH_ALONE.match(text) and first.date.day == 1:
            out.append("date")
        elif _BARE_WEEKDAY.match(text) and _told_as_report(first, clauses, n):
            out.append("date")
        elif len(used) > 1 and _role(first, clauses) == "report" and any(_role(t, clauses) == "next" for t in used[1:]):
            out.append("date")
    if len({a.value for a in amounts}) > 1:
        out.append("amount")
    return out


def _role(mention, clauses) -> str | None:
    return next((c.role for c in clauses or () if c.start <= mention.start < c.end), None)


_ARRANGED = re.compile(r"约|安排|定了|定好|schedul|book|set up|arrang|confirm")


def _told_as_report(mention, clauses, n: str = "") -> bool:
    """A bare weekday in a report ("周日晚上他还发微信"): the one that was, or the next? Not when the report is
    of an appointment made ("约了徐梦瑶周四下午两点见面")."""
    for c in clauses or ():
        if c.start <= mention.start < c.end:
            return c.role == "report" and not _ARRANGED.search(n[c.start:c.end])
    return False
