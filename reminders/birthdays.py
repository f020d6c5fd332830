"""Birthdays as calendar keys: which "MM-DD" (solar) and lunar "MM-DD" fall on a given day.

Lunar birthdays are converted each year with lunardate. A lunar day that does not exist this
year (the 30th of a 29-day month) is celebrated on the month's last day; a leap month repeats a
month, and the birthday is kept in the ordinary one. A solar 02-29 is celebrated on 02-28 in
common years."""
from __future__ import annotations

import datetime as dt

from lunardate import LunarDate


def _lunar_month_has_30(year: int, month: int) -> bool:
    try:
        LunarDate(year, month, 30).to_solar_date()
        return True
    except ValueError:
        return False


def solar_keys(day: dt.date) -> list[str]:
    keys = [day.strftime("%m-%d")]
    if day.month == 2 and day.day == 28 and not _is_leap(day.year):
        keys.append("02-29")
    return keys


def lunar_keys(day: dt.date) -> list[str]:
    lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
    if getattr(lunar, "is_leap_month", False):
        return []
    keys = [f"{lunar.month:02d}-{lunar.day:02d}"]
    if lunar.day == 29 and not _lunar_month_has_30(lunar.year, lunar.month):
        keys.append(f"{lunar.month:02d}-30")
    return keys


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def keys_for(days: list[dt.date]) -> tuple[dict[str, dt.date], dict[str, dt.date]]:
    """({solar key: day}, {lunar key: day}) for these days."""
    solar, lunar = {}, {}
    for day in days:
        for k in solar_keys(day):
            solar.setdefault(k, day)
        for k in lunar_keys(day):
            lunar.setdefault(k, day)
    return solar, lunar
