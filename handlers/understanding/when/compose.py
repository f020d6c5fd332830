"""From rule matches to resolved mentions.

1. ``select``: keep the longest non-overlapping parts (the rules overlap on purpose:
   "三天后" is an offset, not "三" + "天后").
2. ``group``: merge neighbours separated only by spaces / commas / "at" / "on" / 的
   when their fields do not clash; attach deadline markers ("by", 前).
3. ``resolve``: turn a merged part into a date and an optional time.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from .context import past_context
from .parts import (end_of_month, VALUE_FIELDS, Part, add_months, monday_of, next_weekday,
                    nth_weekday_of_month, safe_date)
from .rules import Ctx

# What may separate two parts of one expression ("Friday, 5pm", "明天 下午3点",
# "wednesday of next week", "at 9am on Saturday", "十月的第一个").
_GAP = re.compile(r"(?:\s+|[,，、()]|at|on|@|around|about|approx\.?|approximately|the|of|from|for|in|的|在|于|-)*")
_MAX_GAP = 16
_DAY_FIELDS = ("year", "month", "day", "month_off", "week_off", "nth")


def select(parts: list[Part]) -> list[Part]:
    """Longest parts first (strong before weak at equal length), no overlaps, in text order."""
    if not parts:
        return []
    taken: list[Part] = []
    used = bytearray(max(p.end for p in parts))  # 1 where a kept part sits: O(n) not O(n^2)
    for p in sorted(parts, key=lambda p: (-p.length, p.weak, p.start)):
        if used.find(1, p.start, p.end) < 0:
            used[p.start:p.end] = b"\x01" * p.length
            taken.append(p)
    taken.sort(key=lambda p: p.start)
    return taken


def _gap_ok(text: str, a: int, b: int) -> bool:
    return 0 <= b - a <= _MAX_GAP and _GAP.fullmatch(text, a, b) is not None


def can_merge(a: Part, b: Part) -> bool:
    if "now_word" in a.rule or "now_word" in b.rule:
        return False  # "asap, Wednesday latest": Wednesday says by when; "now" names no day of its own
    for f in VALUE_FIELDS:
        # A field said twice means two expressions ("明天3点 明天5点"), even with equal values.
        if getattr(a, f) is not None and getattr(b, f) is not None:
            if f == "weekday" and (a.date or b.date):
                continue  # "tomorrow, Friday": the date says it all
            return False
    for x, y in ((a, b), (b, a)):
        if x.date is not None and any(getattr(y, f) is not None for f in _DAY_FIELDS):
            return False  # "tomorrow" + "the 15th" are two dates
        if x.exact is not None and (y.hour is not None or y.has_day() and y.date != x.exact.date()):
            return False
        if x.week_off is not None and any(getattr(y, f) is not None for f in ("month", "month_off", "day")):
            return False
    return True


def merge(a: Part, b: Part) -> Part:
    fields = {f: getattr(a, f) if getattr(a, f) is not None else getattr(b, f) for f in VALUE_FIELDS}
    # Two weak halves can make a strong whole: "明年" + "3月", "march" + "first".
    weak = a.weak and b.weak and not (fields["month"] is not None and (fields["year"] or fields["day"]))
    return replace(a, start=min(a.start, b.start), end=max(a.end, b.end), rule=f"{a.rule}+{b.rule}",
                   **fields, clock=a.clock or b.clock, past=a.past or b.past,
                   deadline=a.deadline or b.deadline, weak=weak, week_grain=False)


def group(parts: list[Part], text: str) -> list[Part]:
    out: list[Part] = []
    cur: Part | None = None
    pending: Part | None = None  # a "before" marker waiting for what follows
    for p in parts:
        if p.marker == "after":
            if cur is not None and _gap_ok(text, cur.end, p.start):
                cur = replace(cur, end=p.end, deadline=True)
            pending = None
            continue
        if p.marker == "before":
            pending = p
            continue
        attach = pending is not None and _gap_ok(text, pending.end, p.start)
        if cur is not None and can_merge(cur, p) and (
                _gap_ok(text, cur.end, p.start)
                or attach and _gap_ok(text, cur.end, pending.start)):  # "Friday by 5pm"
            cur = merge(cur, p)
            if attach:
                cur.deadline = True
        else:
            if cur is not None:
                out.append(cur)
            cur = replace(p)
            if attach:
                cur.start, cur.deadline = pending.start, True
        pending = None
    if cur is not None:
        out.append(cur)
    return out


# --- resolution --------------------------------------------------------------------

def _day(p: Part, ctx: Ctx, past_ctx: bool) -> tuple[dt.date | None, bool]:
    """The day a part names, and whether that reading is a past one."""
    today = ctx.today
    if p.exact is not None:
        return p.exact.astimezone(ctx.now.tzinfo).date(), False
    if p.date is not None:
        return p.date, False
    if p.nth is not None and p.weekday is not None:
        if p.month is not None:
            year = p.year or today.year
            d = nth_weekday_of_month(year, p.month, p.weekday, p.nth)
            if p.year is None and d is not None and d < today:
                d = nth_weekday_of_month(year + 1, p.month, p.weekday, p.nth)
            return d, False
        base = add_months(today.replace(day=1), p.month_off or 0)
        return nth_weekday_of_month(base.year, base.month, p.weekday, p.nth), False
    if p.month_off is not None:
        base = add_months(today.replace(day=1), p.month_off)
        if p.day is None:
            # 这个月 / this month as a deadline: its last day; 下个月 alone: the 1st
            return (end_of_month(today) if p.month_off == 0 else base), False
        return add_months(base, 0, p.day), False
    if p.month is not None:
        return _month_day(p, today, past_ctx)
    if p.day is not None:
        return _day_only(p, today, past_ctx)
    if p.weekday is not None:
        if p.week_off is not None:
            return monday_of(today) + dt.timedelta(days=7 * p.week_off + p.weekday), False
        if past_ctx:  # "met him Monday": the Monday that has been
            return today - dt.timedelta(days=(today.weekday() - p.weekday) % 7), True
        return next_weekday(today, p.weekday), False
    if p.week_off is not None:
        monday = monday_of(today) + dt.timedelta(days=7 * p.week_off)
        if p.deadline and p.week_off == 0:  # "本周内", "by this week": the working week's end
            friday = monday + dt.timedelta(days=4)
            return (friday if friday >= today else monday + dt.timedelta(days=6)), False
        return (today if p.week_off == 0 else monday), False
    return None, False


def _month_day(p: Part, today: dt.date, past_ctx: bool) -> tuple[dt.date | None, bool]:
    day = p.day or 1
    if p.year is not None:
        return safe_date(p.year, p.month, day), False
    if p.day is None and p.month == today.month:
        return today, False  # "in November" said in November
    this_year = safe_date(today.year, p.month, day)
    if p.weekday is not None:  # "Fri, Jul 18": the year in which it is a Friday
        for y in (today.year, today.year + 1, today.year - 1, today.year + 2, today.year + 3):
            d = safe_date(y, p.month, day)
            if d is not None and d.weekday() == p.weekday and (y != today.year - 1 or d.month == today.month):
                return d, False
    if this_year is not None and this_year >= today:
        return this_year, False
    if this_year is not None and past_ctx and (today - this_year).days <= 62:
        return this_year, True  # "met on Nov 20" written on Nov 23
    for y in range(today.year + 1, today.year + 9):  # Feb 29 waits for a leap year
        d = safe_date(y, p.month, day)
        if d is not None:
            return d, False
    return None, False


def _day_only(p: Part, today: dt.date, past_ctx: bool) -> tuple[dt.date | None, bool]:
    """'the 15th' / 5号: the next such day (that is also the given weekday, if any)."""
    first = today.replace(day=1)
    if past_ctx and p.weekday is None:
        for k in (0, -1):
            d = safe_date((b := add_months(first, k)).year, b.month, p.day)
            if d is not None and d <= today:
                return d, d < today
    for k in range(0, 24):
        base = add_months(first, k)
        d = safe_date(base.year, base.month, p.day)
        if d is not None and d >= today and (p.weekday is None or d.weekday() == p.weekday):
            return d, False
    return None, False


def _clock(p: Part) -> tuple[int, int, bool] | None:
    """(hour 0-29, minute, ambiguous 12h) from hour/meridiem/part of day; None: no time."""
    if p.hour is None:
        return None
    h, mi = p.hour, p.minute or 0
    if p.meridiem == "am":
        return (0 if h == 12 else h), mi, False
    if p.meridiem == "pm":
        return (h if h >= 12 else h + 12), mi, False
    if p.meridiem == "h24" or h > 12:
        return h, mi, False
    if p.pod in ("morning", "early"):
        return (0 if h == 12 else h), mi, False
    if p.pod == "noon":
        return (h + 12 if 1 <= h <= 5 else h), mi, False
    if p.pod == "afternoon":  # 12:15 in the afternoon is a quarter past noon
        return (h if h == 12 else h + 12), mi, False
    if p.pod == "evening":  # "this evening at 12" is midnight
        return (24 if h == 12 else h + 12), mi, False
    if p.pod == "night":  # 半夜2点 is the small hours of the next day
        return (24 + h if h <= 5 else (24 if h == 12 else h + 12)), mi, False
    return h, mi, h != 0


def resolve(p: Part, ctx: Ctx, text: str, keep_clock: bool = False):
    """-> (date, time | None, past) or None when the part names no day or time."""
    # Only readings that can flip to the past look at the context: a bare weekday or
    # an explicit day ("met him Monday", "11月20日拜访了").
    past_ctx = ((p.weekday is not None or p.day is not None) and not p.deadline and p.date is None
                and p.week_off is None and p.month_off is None and past_context(text, p.start, p.end))
    day, past_reading = _day(p, ctx, bool(past_ctx))
    clock = _clock(p)
    now = ctx.now
    if p.exact is not None:
        t = p.exact.astimezone(now.tzinfo)
        return t.date(), t.time().replace(second=0, microsecond=0), p.past
    if day is None and clock is None:
        return None
    time = None
    if clock is not None:
        h, mi, ambiguous = clock
        src = dt.timezone(dt.timedelta(hours=p.tz)) if p.tz is not None else now.tzinfo
        local_now = now.astimezone(src)
        if day is not None:
            if ambiguous and 1 <= h <= 6:
                h += 12  # "明天3点", "Friday at 4": business hours, not 4 am
            moment = dt.datetime.combine(day, dt.time(), src) + dt.timedelta(hours=h, minutes=mi)
        else:
            cands = [h] if not ambiguous else ([12, 24] if h == 12 else [h, h + 12])
            if ambiguous and 9 <= h <= 11:
                cands = [h, h + 24]  # "11:00" written at 19:30: the next morning's eleven (business hours), not 11 pm
            base = dt.datetime.combine(local_now.date(), dt.time(), src)
            hour_start = local_now.replace(minute=0, second=0, microsecond=0)
            moment = next((base + dt.timedelta(hours=c, minutes=mi) for c in cands
                           if base + dt.timedelta(hours=c, minutes=mi) >= hour_start), None)
            if (moment is None or moment > local_now) and not p.deadline and past_context(text, p.start, p.end):
                # "called at 9am" (sent at 10): today's 9 o'clock, not tomorrow's
                earlier = [base + dt.timedelta(hours=c, minutes=mi) for c in cands]
                earlier = [t for t in earlier if t <= local_now]
                if earlier:
                    moment, past_reading = earlier[-1], True
            if moment is None:
                moment = base + dt.timedelta(days=1, hours=cands[0], minutes=mi)
        moment = moment.astimezone(now.tzinfo)
        day, time = moment.date(), moment.time()
    elif keep_clock and p.clock:
        time = now.time().replace(second=0, microsecond=0)
    today = ctx.today
    past = not p.deadline and (p.past or past_reading or day < today)
    if not past and not p.deadline and day == today and (p.weekday is None or p.date is not None):
        past = past_context(text, p.start, p.end)
    return day, time, past
