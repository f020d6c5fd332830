"""Named days: Chinese festivals (some on the lunar calendar) and a few Western ones.

``next_festival(name, today)`` is the festival's next date on or after today.
Lunar dates go through ``lunardate`` (imported on first use).
"""
from __future__ import annotations

import datetime as dt

# name -> ("solar" | "lunar", month, day); 除夕 is the day before the lunar new year.
FESTIVALS = {
    "元旦": ("solar", 1, 1), "情人节": ("solar", 2, 14), "劳动节": ("solar", 5, 1), "五一": ("solar", 5, 1),
    "儿童节": ("solar", 6, 1), "国庆节": ("solar", 10, 1), "国庆": ("solar", 10, 1),
    "圣诞节": ("solar", 12, 25), "平安夜": ("solar", 12, 24), "清明节": ("qingming", 4, 0), "清明": ("qingming", 4, 0),
    "春节": ("lunar", 1, 1), "大年初一": ("lunar", 1, 1), "元宵节": ("lunar", 1, 15), "元宵": ("lunar", 1, 15),
    "端午节": ("lunar", 5, 5), "端午": ("lunar", 5, 5), "七夕": ("lunar", 7, 7), "中秋节": ("lunar", 8, 15),
    "中秋": ("lunar", 8, 15), "重阳节": ("lunar", 9, 9), "除夕": ("eve", 1, 1),
    "双十一": ("solar", 11, 11), "双11": ("solar", 11, 11), "双十二": ("solar", 12, 12), "双12": ("solar", 12, 12),
    "christmas": ("solar", 12, 25), "xmas": ("solar", 12, 25), "christmas eve": ("solar", 12, 24),
    "boxing day": ("solar", 12, 26),
    "new year's eve": ("solar", 12, 31), "new years eve": ("solar", 12, 31),
    "new year's day": ("solar", 1, 1), "new years day": ("solar", 1, 1), "new year": ("solar", 1, 1),
    "valentine's day": ("solar", 2, 14), "valentines day": ("solar", 2, 14), "easter": ("easter", 0, 0),
    # days named after a weekday: the day itself, never "the coming Friday" (Black Friday rush, call Tues)
    "good friday": ("easter", -2, 0), "easter monday": ("easter", 1, 0), "thanksgiving": ("thanksgiving", 0, 0),
    "thanksgiving day": ("thanksgiving", 0, 0), "black friday": ("thanksgiving", 1, 0), "cyber monday": ("thanksgiving", 4, 0),
}
# English names of the Chinese festivals, read as the Chinese one.
EN_ALIASES = {
    "chinese new year": "春节", "lunar new year": "春节", "spring festival": "春节", "cny": "春节",
    "mid-autumn festival": "中秋", "mid autumn festival": "中秋", "mid-autumn": "中秋", "mid autumn": "中秋",
    "moon festival": "中秋", "mooncake festival": "中秋", "dragon boat festival": "端午", "dragon boat": "端午",
    "national day": "国庆", "golden week": "国庆", "lantern festival": "元宵", "qingming festival": "清明",
    "qingming": "清明", "tomb-sweeping day": "清明", "tomb sweeping day": "清明", "labor day": "劳动节",
    "labour day": "劳动节", "may day": "劳动节", "double ninth festival": "重阳节", "qixi": "七夕",
}


def easter(year: int) -> dt.date:
    """Western Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def festival_in(name: str, year: int) -> dt.date | None:
    kind, month, day = FESTIVALS[name]
    if kind == "solar":
        return dt.date(year, month, day)
    if kind == "easter":
        return easter(year) + dt.timedelta(days=month)
    if kind == "thanksgiving":  # the fourth Thursday of November (US)
        first = dt.date(year, 11, 1)
        return first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21 + month)
    if kind == "qingming":  # a solar term: 4 or 5 April (the 21st century's 寿星 formula)
        y = year % 100
        return dt.date(year, 4, int(y * 0.2422 + 4.81) - y // 4)
    import lunardate

    try:
        d = lunardate.LunarDate(year, month, day).to_solar_date()
    except ValueError:
        return None
    return d - dt.timedelta(days=1) if kind == "eve" else d


def next_festival(name: str, today: dt.date, year: int | None = None) -> dt.date | None:
    if year is not None:
        return festival_in(name, year)
    for y in (today.year - 1, today.year, today.year + 1):  # 除夕 of last lunar year may still be ahead
        d = festival_in(name, y)
        if d is not None and d >= today:
            return d
    return None


def recent_festival(name: str, today: dt.date, window: int = 30) -> dt.date | None:
    """The festival's day if it passed less than ``window`` days ago: "国庆前就打了" said on 10月8日 is about the one
    just gone, never next year's."""
    for y in (today.year, today.year - 1):
        d = festival_in(name, y)
        if d is not None and today - dt.timedelta(days=window) <= d < today:
            return d
    return None


def day_before(d: dt.date) -> dt.date:
    """"中秋前" / "before the Mid-Autumn Festival": the day before the festival's day."""
    return d - dt.timedelta(days=1)


def first_workday_after(d: dt.date) -> dt.date:
    """"国庆后" / "after the Spring Festival": the first working day after the official days off around d
    (China's calendar with its make-up working weekends; future years are the holidays package's projection)."""
    cn = _china(d.year)
    week = _golden_week_end(d, cn)
    if week is not None:
        return week + dt.timedelta(days=1)
    day = d + dt.timedelta(days=1)
    for _ in range(30):
        if cn.is_working_day(day):
            return day
        day += dt.timedelta(days=1)
    return d + dt.timedelta(days=1)


def _golden_week_end(d: dt.date, cn) -> dt.date | None:
    """The last day off of a golden week around d in a year whose schedule is not published yet (the holidays
    package then projects the statutory days only, without the weekends swapped to make the week): National Day
    is off 1-7 October, the Spring Festival from New Year's Eve to 初七, Labour Day 1-5 May, as every year lately."""
    if any("substituted" in (cn.get(x) or "").lower() for x in cn if x.year == d.year):
        return None  # the official schedule is known: it says
    if d.month == 10 and d.day <= 7:
        return dt.date(d.year, 10, 7)
    if d.month == 5 and d.day <= 5:
        return dt.date(d.year, 5, 5)
    spring = festival_in("春节", d.year)
    if spring is not None and spring - dt.timedelta(days=1) <= d <= spring + dt.timedelta(days=6):
        return spring + dt.timedelta(days=6)
    return None


def next_holiday_cluster(today: dt.date, back: int = 0) -> dt.date | None:
    """The first official day off of the next holiday (or of one that began up to ``back`` days ago): 节前/节后."""
    cn = _china(today.year)
    start = today - dt.timedelta(days=back)
    days = sorted(d for d in cn if d >= start and cn.get(d) and "substituted" not in cn.get(d).lower())
    ahead = [d for d in days if d >= today]
    if back and ahead and (ahead[0] - today).days <= 14:
        return ahead[0]  # 节后 on the eve of National Day is that holiday, not the Mid-Autumn days off of last week
    return days[0] if days else None


_CALENDARS: dict = {}


def _china(year: int):
    """China's public holidays and make-up workdays for year and the next (the holidays package, ~0.5 s to import
    the first time: only the "after a festival" readings need it)."""
    if year not in _CALENDARS:
        from holidays.countries.china import China

        _CALENDARS[year] = China(years=[year, year + 1])
    return _CALENDARS[year]
