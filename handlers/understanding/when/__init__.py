"""Time expressions in Chinese and English resolved against a reference time.

Public API (stable, used by the note parser and `crmbot when`):

- ``find_times(text, now) -> list[TimeMention]``: every time expression found
  inside a free-text note, with its span, in text order.
- ``resolve_when(text, now) -> Resolved | None``: the whole string read as one
  time expression (what `crmbot when` prints).

Notes for callers of ``find_times``:

- ``start``/``end`` index the *original* text; ``text`` is that slice. Adjacent
  pieces are one mention ("明天下午3点", "Friday 5pm", "周五（12月4日）上午"), and
  a deadline marker is inside the span ("by Friday 5pm", "下周三前").
- ``time`` is None unless an hour was said; a part of day alone (上午, morning)
  gives none. Dates are local dates in ``now``'s offset.
- ``deadline``: by / before / no later than / due / within N days / 前 / 之前 /
  以前 / 内 / 截止 / 最迟. "until" is not a deadline. A deadline is never past.
- ``past``: yesterday / 昨天 / 上周 / last week / N days ago / 三天前, any date
  before today, and today (or a bare weekday, an explicit day, a clock time) told
  as what happened: an interaction verb in the past (visited, met, called...) or
  了/已经/刚 in the same clause, with no future cue (will, need to, 要, 再...).
  "visited X today" -> past; "send it today" -> not past. For the follow-up,
  take the first mention that is not past (and skip birthdays yourself).
- Non-dates stay out: counts ("50 units", "30 days overdue", 逾期两周), money,
  phone/invoice numbers, ratios (12:1), 一点 ("a bit"), 3号楼, ranges (2-3 weeks).
- English "next Friday" is Friday of next week (both readings count in the spec).
- ``find_times`` never calls dateparser; ``resolve_when`` does, lazily, only when
  the grammar leaves the text unexplained.

How it works: normalize.py makes a same-length Simplified / ASCII-lower-case copy
of the text; the rules of zh.py and en.py turn pieces of it into partial values
(parts.py); compose.py keeps the longest, merges neighbours ("明天" + "下午3点")
and resolves them against ``now``; context.py reads the clause for past tense.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from . import en, zh  # noqa: F401  (registers the rules)
from .compose import group, resolve, select
from .normalize import normalize, without
from .parts import Part
from .rules import Ctx


def _resolve(p: Part, ctx: Ctx, norm: str, keep_clock: bool = False):
    try:
        return resolve(p, ctx, norm, keep_clock)
    except (ValueError, OverflowError):  # arithmetic past year 9999 and the like
        return None


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
    grain: str = "day"  # "month" (三月份, next month), "week" (下周), "festival" (中秋, 年后): vaguer than a day


def _grain(p: Part) -> str:
    if "festival" in p.rule or "holiday" in p.rule or "season" in p.rule or ".after_" in p.rule:  # (过完年, 放假回来)
        return "festival"
    if p.day is None and p.weekday is None and p.date is None and p.exact is None and (p.month is not None or p.month_off is not None):
        return "month"
    if p.week_grain and p.weekday is None and p.day is None:
        return "week"
    return "day"


_MAX_RESOLVE = 200
_FILLER = re.compile(r"(?<![a-z])(?:at|on|the|around|about|approximately|approx|for|in|of|ish|circa|"
                     r"by|before|roughly|some\s*time|sometime)(?![a-z])|[\s,.;:!?@()\-，。、的在于]+")


# Chinese has no spaces between words; a note dictated or typed word by word has them ("元旦 之后 细谈", "五月 十号 之前"):
# the Chinese rules read it without them, and their spans are mapped back onto the text as written.
_CJK_SPACES = re.compile(r"(?<=[\u4e00-\u9fff]) {1,2}(?=[\u4e00-\u9fff])(?<![一二三四五六七八九十两零日天] )(?<![一二三四五六七八九十两零日天]  )"
                         r"|(?<=[\u4e00-\u9fff]) {1,2}(?=[\u4e00-\u9fff])(?![一二三四五六七八九十两零])")


def _zh_parts(norm: str, ctx: Ctx, found: list[Part]) -> None:
    spaced = without(norm, _CJK_SPACES)
    if spaced is None:
        zh.ZH.scan(norm, ctx, found)  # each rule first checks a cheap "needs" regex
        return
    text, where = spaced
    tight: list[Part] = []
    zh.ZH.scan(text, ctx, tight)
    for p in tight:
        p.start, p.end = where[p.start], where[p.end - 1] + 1
        found.append(p)


def _parts(norm: str, ctx: Ctx) -> list[Part]:
    found: list[Part] = []
    _zh_parts(norm, ctx, found)
    en.EN.scan(norm, ctx, found)
    return group(select(found), norm)


def find_times(text: str, now: dt.datetime) -> list[TimeMention]:
    """Every date/time expression in a note. Weak readings ("sat", a bare "9") count
    only when they combine with something else."""
    if not text:
        return []
    ctx = Ctx.of(now)
    norm = normalize(text)
    out = []
    for p in _parts(norm, ctx):
        if p.weak or p.marker:
            continue
        r = _resolve(p, ctx, norm)
        if r is None:
            continue
        day, time, past = r
        start = p.start
        shift = _SHIFTED.search(norm, max(0, p.start - 40), p.start) if p.has_day() else None
        if shift is not None:  # "the day after the expo on the 12th", "two days before Christmas", "交货后三天"
            n = _SHIFT_DAYS.get(shift.group("n") or "the", 1) * (1 if shift.group("dir") == "after" else -1)
            day, start, past = day + dt.timedelta(days=n), shift.start(), past and day + dt.timedelta(days=n) < ctx.today
        out.append(TimeMention(start, p.end, text[start:p.end], day, time,
                               deadline=p.deadline, past=past, grain=_grain(p)))
    return out


# a day counted from another: "the day after <it>", "two days before <it>" (what lies between names the event)
_SHIFT_DAYS = {"the": 1, "a": 1, "one": 1, "1": 1, "two": 2, "2": 2, "three": 3, "3": 3, "four": 4, "4": 4, "five": 5, "5": 5}
_SHIFTED = re.compile(r"(?<![a-z])(?:(?P<n>the|a|one|two|three|four|five|[1-5])\s+)days?\s+(?P<dir>after|before)\s+"
                      r"(?:(?:the|our|their|his|her)\s+)?(?:[a-z'-]+\s+){0,3}?(?:(?:on|of)\s+)?$")


def resolve_when(text: str, now: dt.datetime) -> Resolved | None:
    """The whole string as one time expression, or None."""
    if not text or not text.strip() or len(text) > _MAX_RESOLVE:
        return None
    ctx = Ctx.of(now)
    norm = normalize(text)
    best, best_r = None, None
    for p in _parts(norm, ctx):
        if p.marker:
            continue
        r = _resolve(p, ctx, norm, keep_clock=True)
        if r is not None and (best is None or p.length > best.length):
            best, best_r = p, r
    leftover = norm if best is None else norm[:best.start] + " " + norm[best.end:]
    covered = not re.search(r"[a-z\u4e00-\u9fff\d]", _FILLER.sub(" ", leftover))
    if best is None or not covered:
        from .fallback import dateparser_when

        fb = dateparser_when(text, now)
        if fb is not None and (best is None or best.length < len(norm.strip()) / 2):
            return Resolved(*fb)
    if best is None:
        return None
    return Resolved(best_r[0], best_r[1])
