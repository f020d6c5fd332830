"""Partial time values found by the language rules, and calendar helpers.

A rule (zh.py, en.py) matches a piece of text such as "下周", "三", "下午3点",
"the 15th", "of next month" and returns a ``Part`` that fills only the fields that
piece says something about. compose.py merges adjacent parts whose fields do not
clash ("下个月" month_off=1 + "5号" day=5 -> the 5th of next month; "Friday" +
"5pm") and then resolves the merged fields against the reference time.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, fields

# Fields that carry a value (as opposed to span / flags). Two parts merge when no
# field is set in both with different values (see compose.can_merge).
VALUE_FIELDS = ("date", "year", "month", "day", "month_off", "weekday", "week_off", "nth",
                "hour", "minute", "meridiem", "pod", "tz", "exact")


@dataclass(slots=True)
class Part:
    start: int
    end: int
    rule: str = ""  # which rule produced it (debugging, tests)
    # --- day ---
    date: dt.date | None = None  # an absolute day (tomorrow, in 3 days, 月底)
    year: int | None = None
    month: int | None = None  # 1-12, a named month
    day: int | None = None  # day of month
    month_off: int | None = None  # 0 this month, 1 next month, -1 last month
    weekday: int | None = None  # 0 = Monday
    week_off: int | None = None  # 0 this week, 1 next week, -1 last week
    nth: int | None = None  # "first Monday of": 1; "last Monday of": -1
    # --- time of day ---
    hour: int | None = None  # as written (3 in "3pm"); 24 allowed for midnight
    minute: int | None = None
    meridiem: str | None = None  # "am", "pm", "h24" (written 24h style), None: ambiguous
    pod: str | None = None  # part of day: morning, noon, afternoon, evening, night
    tz: float | None = None  # UTC offset (hours) the time was given in ("4pm CET")
    exact: dt.datetime | None = None  # a full moment ("in 2 hours"), aware
    # --- flags ---
    clock: bool = False  # a day offset from now ("in 7 days"): resolve_when keeps now's clock
    week_grain: bool = False  # "next week", "下周": the whole week
    past: bool = False  # says the past by itself (yesterday, ago, last week, 上周)
    deadline: bool = False  # "by" / "before" / 前 / 内
    marker: str | None = None  # a bare marker: "before" (binds to what follows) or "after"
    weak: bool = False  # only counts when merged with another part (bare "sat", "9")

    @property
    def length(self) -> int:
        return self.end - self.start

    def has_day(self) -> bool:
        return any(getattr(self, f) is not None for f in
                   ("date", "year", "month", "day", "month_off", "weekday", "week_off", "exact"))

    def has_clock(self) -> bool:
        return self.hour is not None or self.exact is not None


PART_FIELDS = tuple(f.name for f in fields(Part))


# --- calendar helpers --------------------------------------------------------

def monday_of(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def month_length(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_months(d: dt.date, n: int, day: int | None = None) -> dt.date:
    """d moved by n months; ``day`` (default d.day) is clamped to the month's length."""
    m = d.month - 1 + n
    y, m = d.year + m // 12, m % 12 + 1
    return dt.date(y, m, min(day or d.day, month_length(y, m)))


def end_of_month(d: dt.date) -> dt.date:
    return dt.date(d.year, d.month, month_length(d.year, d.month))


def safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def next_weekday(today: dt.date, weekday: int, n: int = 1) -> dt.date:
    """The n-th occurrence of weekday strictly after today."""
    ahead = (weekday - today.weekday()) % 7 or 7
    return today + dt.timedelta(days=ahead + 7 * (n - 1))


def prev_weekday(today: dt.date, weekday: int, n: int = 1) -> dt.date:
    """The n-th occurrence of weekday strictly before today."""
    back = (today.weekday() - weekday) % 7 or 7
    return today - dt.timedelta(days=back + 7 * (n - 1))


def nth_weekday_of_month(year: int, month: int, weekday: int, nth: int) -> dt.date | None:
    """nth >= 1 counts from the start of the month, nth <= -1 from its end."""
    if nth > 0:
        first = dt.date(year, month, 1)
        d = first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    else:
        last = end_of_month(dt.date(year, month, 1))
        d = last - dt.timedelta(days=(last.weekday() - weekday) % 7 + 7 * (-nth - 1))
    return d if d.month == month else None


def expand_year(y: int) -> int:
    """Two-digit years: 74 -> 1974, 15 -> 2015 (Duckling's 50-year window)."""
    if y >= 100:
        return y
    return 2000 + y if y < 50 else 1900 + y
