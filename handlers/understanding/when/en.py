"""English rules, on normalised (ASCII-lower-cased) text, plus the numeric date and
clock forms that Chinese notes use too (12/5, 2026-12-05, 15:30).

Words are delimited with look-arounds on [a-z] rather than \\b, because Chinese
characters count as word characters for \\b ("下周见friday").
"""
from __future__ import annotations

import datetime as dt
import re

from .numerals import EN_COUNT, EN_NUM_WORD, EN_ORDINAL, en_value
from .festivals import EN_ALIASES, day_before, first_workday_after, next_festival, next_holiday_cluster, recent_festival
from .parts import (add_months, end_of_month, expand_year, monday_of, next_weekday,
                    prev_weekday, safe_date)
from .rules import P, RuleSet

EN = RuleSet("en")
rule = EN.rule

B = r"(?<![a-z])"  # word start
E = r"(?![a-z])"  # word end
NB = r"(?<![\d/.-])(?<!\d:)"  # number start: not inside 12/5/2026 or 10:30 ("跟进:6/18" is fine)
NE = r"(?![\d/:-]|\.\d)"  # number end

_MONTHS = {"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
           "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
           "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
           "nov": 11, "december": 12, "dec": 12}
MONTH = r"(?:%s)\.?" % "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAYS = {"monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2,
             "weds": 2, "wed": 2, "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4,
             "fri": 4, "saturday": 5, "sat": 5, "sunday": 6, "sun": 6}
WEEKDAY = r"(?:%s)" % "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
# Abbreviations that are also ordinary words: only dates when something backs them.
_WEAK_WEEKDAYS = {"sat", "sun", "wed", "mon", "weds"}
# ... or an action right before it: "fu Mon", "call sat", "EOD Mon"
_BACKING = re.compile(r"(?:on|by|before|next|this|last|until|till|due|every|from|eod|cob|fu|f/u|follow\s+up|"
                      r"call|ping|email|text|chk|check\s+in|meet|visit|see|send|ship|deliver)\s+$")

ORD = EN_ORDINAL
AMPM = r"(?:(a|p)\.?\s?m\.?|(a|p)(?=\s*$|[\s,.;)]))"  # am, a.m., a m, p, a (glued)


def _month(s: str) -> int:
    return _MONTHS[s.rstrip(".")]


def _weekday(s: str) -> int:
    s = s.rstrip(".")
    return _WEEKDAYS[s[:-1] if s.endswith("s") and s[:-1] in _WEEKDAYS else s]


def _day(s: str) -> int | None:
    v = en_value(s)
    return v if v is not None and 1 <= v <= 31 else None


def _year(s: str | None) -> int | None:
    if not s:
        return None
    return expand_year(int(s.lstrip("'")))


def _meridiem(m: re.Match, a: int, b: int) -> str | None:
    x = m.group(a) or m.group(b)
    return None if x is None else ("am" if x == "a" else "pm")


# --- days relative to today -------------------------------------------------------

_DAY_WORDS = {"today": 0, "tonight": 0, "tonite": 0, "tomorrow": 1, "tomorrows": 1, "tmrw": 1,
              "tmr": 1, "tmw": 1, "tomo": 1, "yesterday": -1, "yday": -1}


@rule(B + r"(?:(later|earlier)\s+)?(today|tonight|tonite|tomorrows?|tmrw|tmr|tmw|tomo|yesterday|yday)(?:'s)?" + E, needs='to[dnm]|tm|yday|yesterday')
def day_word(m, ctx):
    off = _DAY_WORDS[m.group(2)]
    pod = "evening" if m.group(2).startswith("toni") else None
    return P(m, date=ctx.today + dt.timedelta(days=off), pod=pod,
             past=off < 0 or m.group(1) == "earlier")


@rule(B + r"(?:the\s+)?day\s+(after\s+tomorrow|before\s+yesterday)" + E, needs='tomorrow|yesterday')
def day_after_tomorrow(m, ctx):
    off = 2 if m.group(1).startswith("after") else -2
    return P(m, date=ctx.today + dt.timedelta(days=off), past=off < 0)


@rule(B + r"this\s+(morning|afternoon|evening|am|pm)" + E, needs='this')
def this_pod(m, ctx):
    pod = {"am": "morning", "pm": "afternoon"}.get(m.group(1), m.group(1))
    return P(m, date=ctx.today, pod=pod)


@rule(B + r"(?:(?:in|during)\s+the\s+|early\s+|late\s+|at\s+)?(morning|afternoon|evening|night|am|pm|a\.m\.?|p\.m\.?)(?![a-z])",
      needs='morning|afternoon|evening|night|[ap]\\.?m')
def part_of_day(m, ctx):
    w = m.group(1).replace(".", "")
    if w in ("am", "pm") and not m.group().startswith("in") and not _DAY_BEFORE_POD.search(m.string, 0, m.start()):
        return None  # a bare am/pm belongs to a clock time (but "Mon a.m.", "tomorrow pm" name the half of that day)
    if m.group().startswith("early"):
        return P(m, pod="early")
    return P(m, pod={"am": "morning", "pm": "afternoon"}.get(w, w))


@rule(B + r"(?:right\s+now|now|at\s+this\s+time|asap)" + E, needs='now|this time|asap')
def now_word(m, ctx):
    return P(m, date=ctx.today, weak=True)


# --- weekdays and weeks ---------------------------------------------------------------

@rule(B + r"(?:(this|next|last|past|previous|(?:this\s+)?coming|(?:this\s+)?upcoming)\s+)?(" + WEEKDAY + r")(s)?(\.)?"
      r"(\s+after\s+next)?" + E, needs='mon|tue|wed|thu|fri|sat|sun')
def weekday(m, ctx):
    which, name, plural, _, after_next = m.groups()
    if plural and not which:
        return None  # "mondays": a habit, or part of "3 mondays from now" (offset rule)
    wd = _weekday(name)
    if after_next:
        return P(m, date=next_weekday(ctx.today, wd, 2))
    weak = not which and name in _WEAK_WEEKDAYS and not _BACKING.search(m.string, 0, m.start()) \
        and not re.match(r"[.,]?\s*(?:\d|" + MONTH + ")", m.string[m.end():]) \
        and not (name in ("wed", "weds", "mon") and re.match(r"\s*(?:$|[.,;!?)\n]|\s+(?:at|by|am|pm|morning|afternoon)\b)", m.string[m.end():])
                 and re.search(r"[a-z]\s+$", m.string[:m.start()]))
    if which and which.endswith("coming"):
        return P(m, weekday=wd)
    off = {"this": 0, "next": 1, "last": -1, "past": -1, "previous": -1}.get(which)
    return P(m, weekday=wd, week_off=off, past=off is not None and off < 0, weak=weak)


@rule(B + r"(?:the\s+)?(this|current|next|last|past|previous|following|coming|upcoming|nxt)\s+(?:week|wk)(?:'s)?" + E, needs='week|wk')
def week(m, ctx):
    off = {"this": 0, "current": 0, "last": -1, "past": -1, "previous": -1}.get(m.group(1), 1)
    return P(m, week_off=off, week_grain=True, past=off < 0)


@rule(B + r"(?:the\s+)?week\s+(after\s+next|before\s+last)" + E, needs='week')
def week_after_next(m, ctx):
    off = 2 if m.group(1).startswith("after") else -2
    return P(m, week_off=off, week_grain=True, past=off < 0)


@rule(B + r"(early|beginning\s+of|start\s+of|mid|middle\s+of|late|end\s+of|later)[\s-]+(?:the\s+)?"
      r"(this|next|the|last)\s+week" + E, needs='week')
def part_of_week(m, ctx):
    which, rel = m.groups()
    off = {"next": 1, "last": -1}.get(rel, 0)
    monday = monday_of(ctx.today) + dt.timedelta(days=7 * off)
    if which.startswith(("early", "beginning", "start")):
        d = monday
    elif which.startswith("mid"):
        d = monday + dt.timedelta(days=2)
    elif which == "later":
        d = max(ctx.today, monday)
    else:
        d = monday + dt.timedelta(days=4)
    return P(m, date=d, past=off < 0)


# --- months and years ----------------------------------------------------------------

@rule(B + r"(?:the\s+)?(this|current|next|last|past|previous|following|coming)\s+month" + E, needs='month')
def month_ref(m, ctx):
    if re.search(r"\b(?:\d+(?:st|nd|rd|th)?|first|second|third|fourth|fifth|another|one|two|three|four|five|several|many)\s+(?:time|times|order|orders|delivery|deliveries|complaint|complaints)\s*$",
                 m.string[max(0, m.start() - 30):m.start()]):
        return None  # "3rd time this month": a count over the month, not a date
    off = {"this": 0, "current": 0, "last": -1, "past": -1, "previous": -1}.get(m.group(1), 1)
    return P(m, month_off=off, past=off < 0)


@rule(B + r"(this|next|last)\s+year" + E, needs='year')
def year_ref(m, ctx):
    off = {"this": 0, "next": 1, "last": -1}[m.group(1)]
    return P(m, year=ctx.today.year + off, weak=True, past=off < 0)


@rule(B + r"(in\s+|of\s+|during\s+|to\s+|till\s+|until\s+)?(" + MONTH + r")(?:,?\s+(\d{4}))?" + E, needs='jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec')
def month_name(m, ctx):
    lead, name, year = m.groups()
    if name == "may" and not year and (lead or "").strip() not in ("in", "during", "until", "till"):
        return None  # the modal verb ("in may" is the month); "May 5" is matched by month_day
    if name in ("mar", "jan", "sat") and not (lead or year):
        return None
    if lead and not year and re.match(r"[\s.,/-]*\d{1,2}(?:st|nd|rd|th)?(?![\d:])", m.string[m.end():]):
        return None  # "in Oct 8": the day rule reads "Oct 8"
    # A month alone ("in March") is the 1st of it; a bare month name only helps a day.
    return P(m, month=_month(name), year=_year(year), weak=not (lead or year))


@rule(B + r"(early|beginning\s+of|start\s+of|mid|middle\s+of|late|end\s+of|the\s+end\s+of)[\s-]*"
      r"(?:(the\s+)?(this|next|last)\s+month|(" + MONTH + r")|the\s+month|month)" + E, needs='month|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec')
def part_of_month(m, ctx):
    which, _, rel, name = m.groups()
    today = ctx.today
    if name:
        month = _month(name)
        first = dt.date(today.year + (month < today.month), month, 1)
    else:
        first = add_months(today.replace(day=1), {"next": 1, "last": -1}.get(rel, 0))
    if which.startswith(("early", "beginning", "start")):
        d = first
    elif which.startswith("mid"):
        d = first.replace(day=15)
    elif which == "late":
        d = first.replace(day=21)
    else:
        d = end_of_month(first)
    return P(m, date=d, past=rel == "last")


@rule(B + r"(?:by\s+)?(eod|cob|end\s+of\s+(?:the\s+)?(?:business\s+)?day|end\s+of\s+today|close\s+of\s+business"
      r"|eow|end\s+of\s+(?:the\s+|this\s+)?week|eom|month[\s-]end|end\s+of\s+(?:the\s+|this\s+)?month"
      r"|eoy|year[\s-]end|end\s+of\s+(?:the\s+|this\s+)?year)" + E +
      r"(?!\s+(?:call|meeting|review|party|bonus|sale|sales|report|closing|push|deal|dinner|event|promo|promotion|discount|"
      r"audit|inventory|targets?|numbers|results|stocktake|summary|summaries|recap|update|wrap|wrap-up|notes?|check|review|debrief))",
      needs='eo[dwmy]|cob|end|close')
def end_of(m, ctx):
    w, today = m.group(1), ctx.today
    if w in ("eod", "cob") and _DAY_BEFORE_POD.search(m.string, 0, m.start()):
        return P(m, marker="after", deadline=True)  # "Monday EOD", "Fri COB": the end of that day
    if w.startswith(("eow", "end of")) and "week" in w or w == "eow":
        friday = monday_of(today) + dt.timedelta(days=4)
        d = friday if friday >= today else monday_of(today) + dt.timedelta(days=6)
    elif w in ("eom",) or "month" in w:
        d = end_of_month(today)
    elif w in ("eoy",) or "year" in w:
        d = dt.date(today.year, 12, 31)
    else:
        if _DAY_AFTER.match(m.string, m.end()):
            return P(m, marker="before", deadline=True)  # "EOD Mon", "EOD tmrw": the end of that day
        return P(m, date=today, deadline=True)  # EOD, COB: a deadline by nature
    return P(m, date=d, deadline=m.group().startswith("by"))


_DAY_BEFORE_POD = re.compile(r"(?<![a-z])(?:" + WEEKDAY + r"|tomorrow|tmrw|tmr|tomo|today)\.?\s*$")
_DAY_AFTER = re.compile(r"\s*(?:on\s+|of\s+)?(?:" + WEEKDAY + r"|tomorrow|tmrw|tmr|tomo|today|this|next|the\s+\d|\d)(?![a-z])")


# "follow up after the holiday", "before the break": the next public holiday (节后 / 节前)
@rule(B + r"(after|before)\s+the\s+(?:holidays?|break|long\s+weekend|days\s+off)" + E, needs="holiday|break|weekend|days off")
def around_the_holiday(m, ctx):
    if m.group(1) == "after":
        d = next_holiday_cluster(ctx.today, back=7)
        return P(m, date=first_workday_after(d)) if d is not None else None
    d = next_holiday_cluster(ctx.today)
    return P(m, date=day_before(d), deadline=True) if d is not None else None


_HOLIDAY = (r"christmas\s+eve|christmas|xmas|boxing\s+day|new\s+year'?s\s+eve|new\s+year'?s\s+day|new\s+year|"
            r"valentine'?s\s+day|good\s+friday|easter\s+monday|easter|black\s+friday|cyber\s+monday|thanksgiving(?:\s+day)?")
_CN_FESTIVAL = "|".join(sorted((re.escape(k) for k in EN_ALIASES), key=len, reverse=True))


# "the Monday after golden week", "first Tuesday after the holidays": that weekday once the days off are over
@rule(B + r"(?:the\s+)?(?:first\s+)?(" + WEEKDAY + r")\s+(?:right\s+)?after\s+(?:the\s+)?(" + _CN_FESTIVAL +
      r"|holidays?|break|long\s+weekend)(?:\s+(?:holidays?|break|festival|day))?" + E, needs="after")
def weekday_after_the_break(m, ctx):
    wd, name = _WEEKDAYS.get(m.group(1).lower()), re.sub(r"\s+", " ", m.group(2))
    if wd is None:
        return None
    if name in EN_ALIASES:
        gone = recent_festival(EN_ALIASES[name], ctx.today)
        d = gone if gone is not None else next_festival(EN_ALIASES[name], ctx.today)
    else:
        d = next_holiday_cluster(ctx.today, back=7)
    if d is None:
        return None
    back = first_workday_after(d)
    day = back + dt.timedelta(days=(wd - back.weekday()) % 7)
    return P(m, date=day, past=day < ctx.today)


# "the Mid-Autumn Festival", "before Chinese New Year" (the day before), "after National Day" (the first working
# day after the days off)
@rule(B + r"(before|after|until|till|post|pre|right\s+after|right\s+before)?\s*(?:the\s+)?(" + _CN_FESTIVAL + r")"
      r"(?:\s+(?:holidays?|break|festival|day))?" + E, needs="new year|festival|cny|autumn|dragon|national|golden|qingming|"
      "tomb|labo|may day|qixi|double")
def cn_festival(m, ctx):
    rel, name = m.group(1), re.sub(r"\s+", " ", m.group(2))
    if name == "cny" and not rel and not re.match(r"\s+(?:holidays?|break|festival|eve)", m.string[m.end(2):]):
        return None  # "CNY orders up 40%", "CNY 5,000": the currency, or the season spoken of
    gone = recent_festival(EN_ALIASES[name], ctx.today)
    if gone is not None:  # just passed: that one, not next year's
        if rel and ("before" in rel or rel in ("pre", "until", "till")):
            return P(m, date=day_before(gone), past=True)
        back = first_workday_after(gone) if rel else gone
        return P(m, date=back, past=back < ctx.today)
    d = next_festival(EN_ALIASES[name], ctx.today)
    if d is None:
        return None
    if rel and ("before" in rel or rel in ("pre", "until", "till")):
        return P(m, date=day_before(d), deadline=True)
    if rel:
        return P(m, date=first_workday_after(d))
    return P(m, date=d)


# "christmas", "easter 2014", "three days after easter", "2nd tuesday after christmas"
@rule(B + r"(?:(" + ORD + "|" + EN_COUNT + r")\s+(days?|weeks?|" + WEEKDAY + r"s?)\s+(after|before)\s+)?(" + _HOLIDAY +
      r")(?:\s+(\d{4}))?" + E, needs="christmas|xmas|new year|valentine|easter|friday|monday|thanksgiving|boxing")
def holiday(m, ctx):
    count, unit, rel, name, year = m.groups()
    if re.search(r"(?:happy|merry|wish(?:ing)?\s+(?:you\s+)?(?:a\s+)?)\s*$", m.string[max(0, m.start() - 20):m.start()]):
        return None  # a greeting, not a date
    if re.search(r"(?:chinese|lunar)\s+$", m.string[max(0, m.start() - 10):m.start()]):
        return None  # the Chinese New Year (see cn_festival)
    after = not count and _AFTER_IT.search(m.string, max(0, m.start() - 14), m.start())
    gone = recent_festival(re.sub(r"\s+", " ", name), ctx.today, window=14) if not (year or count) else None
    if gone is not None:
        if after and first_workday_after(gone) >= ctx.today:
            return P(m, date=first_workday_after(gone))  # "after Christmas" written on the 27th: the 28th
        return P(m, date=gone, past=True)  # "came in on Christmas Eve" written on the 27th
    d = next_festival(re.sub(r"\s+", " ", name), ctx.today, _year(year))
    if d is None:
        return None
    if count:
        n = en_value(count)
        if n is None:
            return None
        sign = 1 if rel == "after" else -1
        if unit.startswith("day"):
            d += dt.timedelta(days=sign * n)
        elif unit.startswith("week"):
            d += dt.timedelta(days=sign * 7 * n)
        else:
            wd = _weekday(unit)
            d = next_weekday(d, wd, n) if sign > 0 else prev_weekday(d, wd, n)
    elif _BEFORE_IT.search(m.string, max(0, m.start() - 12), m.start()):
        d -= dt.timedelta(days=1)  # "before Christmas": by the day before it, as for the Chinese festivals
    elif after:
        d = first_workday_after(d)  # "after new year": the first working day once it is over, as 元旦后
    return P(m, date=d)


_BEFORE_IT = re.compile(r"(?<![a-z])(?:before|pre|ahead of)[\s-]+(?:the\s+)?$")
_AFTER_IT = re.compile(r"(?<![a-z])(?<!years )(?<!year )(?<!months )(?<!month )(?<!weeks )(?<!week )(?<!days )(?<!day )"
                       r"(?:after|post|right after|straight after|once)[\s-]+(?:the\s+)?$")  # not "one year after christmas"


# --- explicit dates -----------------------------------------------------------------

# "Feb 18", "february the 15th", "march first", "April 14, 2015", "feb13", "Sep 20"
@rule(B + r"(" + MONTH + r")[\s.,/-]*(?:the\s+)?(\d{1,2}(?:st|nd|rd|th)?|" + ORD + r")" + E +
      r"(?!\d|:\d|\s*(?:%|k\b|pcs|units?|days?|weeks?|hours?))(?:,?\s*(\d{4})(?!\d))?", needs='jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec')
def month_day(m, ctx):
    day = _day(m.group(2))
    if day is None:
        return None
    return P(m, month=_month(m.group(1)), day=day, year=_year(m.group(3)))


# "15th february", "31/oct/1974", "31-Oct-74", "14april 2015", "4th of july", "the 1st of march"
@rule(NB + r"(?:the\s+)?(\d{1,2}(?:st|nd|rd|th)?|" + B + ORD + r")[\s./-]*(?:(?:day\s+)?of\s+)?(" + MONTH + r")"
      + E + r"(?:[\s,./-]*(\d{4}|'?\d{2})(?![\d:.]|\s*(?:[ap]\.?m|h\d)))?", needs='jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec')
def day_month(m, ctx):
    day = _day(m.group(1))
    if day is None:
        return None
    return P(m, month=_month(m.group(2)), day=day, year=_year(m.group(3)))


# "the 15th", "on the first", "20th of" (+ "next month" / "october" merged in compose)
@rule(B + r"(?:(on\s+)?the\s+)?(\d{1,2}(?:st|nd|rd|th)|" + ORD + r"|\d{1,2})(\s+day)?(\s+of)?(?!\s+(?:the\s+)?(?:week|year|" + WEEKDAY + "))" + E, needs='\\d(?:st|nd|rd|th)|first|second|third|th(?![a-z])|\\d\\s+(?:day\\s+)?of')
def day_of_month(m, ctx):
    on_the, num, day_word, of = m.groups()
    has_the = "the" in m.group()[: m.start(2) - m.start()]
    if num.isdigit() and not of:
        return None  # a bare number
    day = _day(num)
    if day is None:
        return None
    # "the 15th" and "on the first" stand alone; "15th", "the first" (time we met) or
    # "20 of" (us) need a month or weekday next to them.
    strong = not of and (on_the or has_the and num[:1].isdigit()
                         or num[:1].isdigit() and not num.isdigit() and bool(_DAY_LEAD.search(m.string, 0, m.start()))
                         or has_the and bool(_CORRECTED_LEAD.search(m.string, 0, m.start())))
    if strong and not on_the and _NOUN_AFTER.match(m.string, m.end()):
        return None  # "the 2nd quote", "the 3rd batch": an ordinal, not a day
    return P(m, day=day, weak=not strong)


# "on the fourteenth no sorry the fifteenth": the day said instead of one just said
_CORRECTED_LEAD = re.compile(r"(?<![a-z])(?:sorry|actually|i mean|make it|make that|rather|no)[,.!]?\s+$")
# "by 23rd", "on 5th", "due 15th": a preposition of time before a day's ordinal makes it a day
_DAY_LEAD = re.compile(r"(?<![a-z])(?:by|on|before|until|till|due|after|from|latest|b4)\s+$")


# After "the 2nd": a word that is no noun (the day stands alone), else the ordinal counts a thing.
_NOUN_AFTER = re.compile(r"\s+(?!(?:of|at|by|in|on|and|or|to|for|before|after|around|about|morning|afternoon|evening|night|"
                         r"noon|pm|am|next|this|please|pls|if|then|so|but|with|we|i|he|she|they|you|it|latest|eod|cob|"
                         r"sharp|works|is|was|would|will|should|could|as|from|till|until|instead|ok|okay|fine|too|"
                         r"again|works?|suits?)(?![a-z]))[a-z]{2,}")


# "first tuesday of october", "last friday in october", "the first monday of this month"
@rule(B + r"(?:the\s+)?(first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th|last)\s+(" + WEEKDAY +
      r")\s+(?:of|in)\s+(?:the\s+)?(?:(this|next|last|current|previous)\s+month|month|(" + MONTH + r")(?:\s+(\d{4}))?)" + E, needs='mon|tue|wed|thu|fri|sat|sun')
def nth_weekday(m, ctx):
    nth_word, wd, rel, name, year = m.groups()
    nth = -1 if nth_word == "last" else en_value(nth_word)
    if name:
        return P(m, nth=nth, weekday=_weekday(wd), month=_month(name), year=_year(year))
    off = {"next": 1, "last": -1, "previous": -1}.get(rel, 0)
    return P(m, nth=nth, weekday=_weekday(wd), month_off=off, past=off < 0)


# "last day of october 2015", "the 5th last day of May"
@rule(B + r"(?:the\s+)?(?:(" + ORD + r")\s+)?last\s+day\s+(?:of|in)\s+(" + MONTH + r")(?:\s+(\d{4}))?" + E, needs='last day')
def last_day_of(m, ctx):
    nth = en_value(m.group(1)) if m.group(1) else 1
    month, year = _month(m.group(2)), _year(m.group(3))
    y = year or ctx.today.year
    d = end_of_month(dt.date(y, month, 1)) - dt.timedelta(days=nth - 1)
    if year is None and d < ctx.today:
        d = end_of_month(dt.date(y + 1, month, 1)) - dt.timedelta(days=nth - 1)
    return P(m, date=d)


def _full_weeks(first: dt.date, last: dt.date) -> list[dt.date]:
    """Mondays of the Monday-Sunday weeks lying wholly between first and last."""
    monday = first + dt.timedelta(days=(-first.weekday()) % 7)
    out = []
    while monday + dt.timedelta(days=6) <= last:
        out.append(monday)
        monday += dt.timedelta(days=7)
    return out


# "first week of october 2014", "the 2nd last week of October 2018", "third last week of 2018"
@rule(B + r"(?:the\s+)?(?:(first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th)\s+)?(last\s+)?week\s+(?:of|in)\s+"
      r"(?:(" + MONTH + r")(?:\s+(\d{4}))?|(\d{4}))" + E, needs="week")
def nth_week(m, ctx):
    nth_word, last, name, year, year_only = m.groups()
    if not nth_word and not last:
        return None
    nth = en_value(nth_word) if nth_word else 1
    today = ctx.today
    if name:
        month = _month(name)
        y = int(year) if year else today.year + (month < today.month)
        first = dt.date(y, month, 1)
        span = _full_weeks(first, end_of_month(first))
    else:
        y = int(year_only)
        span = _full_weeks(dt.date(y, 1, 1), dt.date(y, 12, 31))
    if not 1 <= nth <= len(span):
        return None
    d = span[-nth] if last else span[nth - 1]
    return P(m, date=d, week_grain=True, past=d < today)


# 2026-12-05, 2026/12/5, 2026.12.5
@rule(NB + r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d/.-])", needs='\\d{4}[-/.]')
def iso_date(m, ctx):
    d = safe_date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
    return P(m, date=d) if d else None


# 12/5, 12/5/2026, 10/31/74, 2-15, 2 / 15, 10.31.1974 (month first)
@rule(NB + r"(\d{1,2})(\s?[/-]\s?|\.)(\d{1,2})(?:\2(\d{4}|\d{2}))?(?![\d/-]|\.\d|\s*(?:%|[-~]|to\s))", needs='\\d\\s?[/.-]\\s?\\d')
def numeric_date(m, ctx):
    month, day, sep = int(m.group(1)), int(m.group(3)), m.group(2).strip()
    if 12 < month <= 31 and 1 <= day <= 12 and sep == "/" and (month, day) != (24, 7):  # (24/7: all the time)
        month, day = day, month  # 18/01: only day first can be a date
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    year = _year(m.group(4))
    if sep == "." and year is None:
        return None  # 3.5 is a number
    if year and safe_date(year, month, day) is None:
        return None
    # 1-2 (a range), "2 / 15": plausible dates only next to other date words.
    weak = year is None and (sep == "-" or " " in m.group(2))
    return P(m, month=month, day=day, year=year, weak=weak)


# 18.10., 03.12., 18.10.2026: day first, as written in Germany, Russia and much of Europe (the dot after the month)
@rule(NB + r"(?<![\w.])(\d{1,2})\.(\d{1,2})\.(\d{4})?(?![\d]|\.\d)", needs='\\d\\.\\d{1,2}\\.')
def european_date(m, ctx):
    day, month, year = int(m.group(1)), int(m.group(2)), _year(m.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31) or (year and day <= 12):
        return None  # 10.11.2026 with a year: read month first (numeric_date)
    if year and safe_date(year, month, day) is None:
        return None
    return P(m, month=month, day=day, year=year)


# --- offsets from now ------------------------------------------------------------------

_UNIT = (r"(minutes?|mins?|hours?|hrs?|h|days?|weeks?|wks?|fortnights?|months?|mos?|years?|yrs?|"
         + WEEKDAY + r"s?)")


def _offset(m, ctx, n, unit, sign, **flags):
    if n is None:
        return None
    unit = unit.rstrip("s") if unit not in ("hrs", "mins", "mos", "yrs", "wks") else unit[:-1]
    if unit in ("minute", "min", "hour", "hr", "h"):
        minutes = n * 60 if unit.startswith("h") else n
        return P(m, exact=ctx.now + sign * dt.timedelta(minutes=minutes), **flags)
    if unit in ("day", "fortnight"):
        days = n * (14 if unit == "fortnight" else 1)
        return P(m, date=ctx.today + dt.timedelta(days=sign * days), clock=True, **flags)
    if unit in ("week", "wk"):
        return P(m, date=ctx.today + dt.timedelta(days=sign * 7 * n), **flags)
    if unit in ("month", "mo"):
        return P(m, date=add_months(ctx.today, sign * n), **flags)
    if unit in ("year", "yr"):
        return P(m, date=add_months(ctx.today, sign * 12 * n), **flags)
    if unit in _WEEKDAYS or unit + "s" in _WEEKDAYS:
        wd = _weekday(unit)
        d = next_weekday(ctx.today, wd, n) if sign > 0 else prev_weekday(ctx.today, wd, n)
        return P(m, date=d, **flags)
    return None


# "in 3 days", "within 2 weeks", "in the next 10 days", "after 30 days", "in half an hour"
@rule(B + r"(in|within|after)\s+(?:the\s+next\s+)?(" + EN_COUNT + r"|half\s+an?)\s*" + _UNIT +
      r"(?:\s+(?:from\s+now|time))?" + E, needs='(?:in|within|after)\\s')
def in_n_units(m, ctx):
    lead, count, unit = m.groups()
    if count.startswith("half"):
        n = 0.5
        if not unit.startswith(("h", "d")):
            return None
        unit = "minute" if unit.startswith("h") else "hour"
        n = 30 if unit == "minute" else 12
    else:
        n = en_value(count)
    if unit == "h" and lead != "in":
        return None
    return _offset(m, ctx, n, unit, 1, deadline=lead == "within" or "next" in m.group())


# "3 days from now", "a week hence", "2 weeks later", "7 days ago", "2 thursdays back"
@rule(B + r"(?:in\s+)?(" + EN_COUNT + r")\s+" + _UNIT + r"\s+(from\s+now|from\s+today|hence|later|ago|back|earlier)" + E, needs='from now|from today|hence|later|ago|back|earlier')
def n_units_from_now(m, ctx):
    count, unit, tail = m.groups()
    sign = -1 if tail in ("ago", "back", "earlier") else 1
    return _offset(m, ctx, en_value(count), unit, sign, past=sign < 0)


# "upcoming two days", "next 3 weeks", "2 upcoming weeks"
@rule(B + r"(?:(?:upcoming|coming|next)\s+(" + EN_COUNT + r")|(" + EN_COUNT + r")\s+(?:upcoming|coming))\s+"
      r"(days?|weeks?)" + E, needs='coming|next')
def upcoming_n(m, ctx):
    count = m.group(1) or m.group(2)
    if count in ("a", "an"):
        return None
    return _offset(m, ctx, en_value(count), m.group(3), 1)


# --- clock times ------------------------------------------------------------------------

# 3pm, 3 p.m., 3:15pm, 3:18a, 3ish pm, 330 p.m., 1030am, 2 30 pm (dictated)
@rule(NB + r"(\d{1,2})(?:[:. ]?(\d{2}))?\s*(?:ish\s*)?" + AMPM + E, needs='\\d\\s*(?:ish\\s*)?[ap]')
def clock_ampm(m, ctx):
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if not 1 <= hour <= 12 or minute > 59:
        return None
    if m.group(2) and m.string[m.end(1)] == " " and (minute % 15 or _MONTH_BEFORE.search(m.string, 0, m.start())):
        # dictated "2 30 pm" is a clock; in "May 12 10am" and "12 17 pm" only the second number is the hour
        if not 1 <= minute <= 12:
            return None
        return P(m, start=m.start(2), hour=minute, minute=0, meridiem=_meridiem(m, 3, 4))
    return P(m, hour=hour, minute=minute, meridiem=_meridiem(m, 3, 4))


# "3-4pm", "2:30 - 3:30 pm", "10 to 11am": the start, with the end's am/pm
@rule(NB + r"(\d{1,2})(?:[:.](\d{2}))?\s*(?:-|–|~|to|until|till)\s*(\d{1,2})(?:[:.]\d{2})?\s*" + AMPM + E,
      needs=r"\d\s*(?:-|–|~|to|until|till)\s*\d")
def clock_range(m, ctx):
    h1, m1, h2 = int(m.group(1)), int(m.group(2) or 0), int(m.group(3))
    if not (1 <= h1 <= 12 and 1 <= h2 <= 12) or m1 > 59:
        return None
    meridiem = _meridiem(m, 4, 5)
    if meridiem == "pm" and h1 > h2 and h2 != 12:
        meridiem = "am"  # "11-1pm" starts in the morning
    return P(m, hour=h1, minute=m1, meridiem=meridiem)


# 15:30, 3:30, 08:00, 15:30:00
@rule(NB + r"(\d{1,2}):(\d{2})(?::\d{2})?(?![\d:])", needs='\\d:\\d')
def clock_colon(m, ctx):
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour > 24 or minute > 59:
        return None
    h24 = hour > 12 or hour == 0 or m.group(1).startswith("0")
    return P(m, hour=hour, minute=minute, meridiem="h24" if h24 else None)


# "tmrw 10.30", "Fri 4.15", "明天 9.45": H.MM right after a day is that day's clock (British style), not a
# month.day — the day is already said. Elsewhere "10.30" stays a date (Chinese notes write 10.30前 for 30 October).
@rule(r"(?:" + B + r"(?:today|tonight|tomorrow|tmrw|tmr|tmw|tmro|" + WEEKDAY + r")\.?,?|今天|明天|后天|今晚|"
      r"(?:周|星期|礼拜)[一二三四五六日天])\s*(?:at\s+|@\s*)?(\d{1,2})\.(\d{2})(?![\d.])", needs=r"\d\.\d\d")
def day_then_dotted_clock(m, ctx):
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour > 23 or minute > 59 or AMPM_AFTER.match(m.string, m.end()):
        return None  # "Fri 4.30pm" is clock_ampm's
    h24 = hour > 12 or hour == 0 or m.group(1).startswith("0")
    return P(m, start=m.start(1), hour=hour, minute=minute, meridiem="h24" if h24 else None)


AMPM_AFTER = re.compile(r"\s*" + AMPM)
_MONTH_BEFORE = re.compile(B + MONTH + r"\s*$")


# "1430HRS", "0900 hrs": military time
@rule(NB + r"([01]\d|2[0-3])([0-5]\d)\s?(?:hrs?|hours)" + E, needs=r"\d{4}\s?h")
def military_clock(m, ctx):
    return P(m, hour=int(m.group(1)), minute=int(m.group(2)), meridiem="h24")


# 15h00, 3h18, 16h (French-style hours)
@rule(NB + r"(\d{1,2})h(\d{2})?(?![a-z\d])", needs='\\dh')
def clock_h(m, ctx):
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return P(m, hour=hour, minute=minute, meridiem="h24", weak=m.group(2) is None)


_AFTER_CLOCK_OK = re.compile(r"\s*(?:$|[,.;:!?)\-，。]|(?:am|pm|a\.m|p\.m|o'?\s?clock|ish|in|on|tonight|tomorrow|"
                             r"today|tmr|this|sharp|and|or|with|to|for|at|utc|gmt|bst|cest|cet|ist|sgt|hkt|jst|est|edt|pst|pdt|"
                             r"[^\x00-\x7f])" + E + ")")


# "at 3", "at 3 15", "at 1030", "around 730", "by 5", "@ 10", "at three twenty"
@rule(B + r"(at|@|around|about|approximately|approx\.?|by|before|until|till)\s*"
      r"(?:(\d{1,2})(?:\s(\d{2})|(\d{2})|\.([03][05]|[14]5)(?=\s|$))?(?!\d)|(" + EN_NUM_WORD + r")(?:[\s-]+(" + EN_NUM_WORD + r"))?)(?:\s*ish)?"
      r"(?![\d:/.,]\d|\s*(?:" + AMPM + r"))" + E, needs='at|@|around|about|approx|by|before|until|till')
def at_clock(m, ctx):
    lead, h, mm1, mm2, mm3, wh, wm = m.groups()[:7]
    if not _AFTER_CLOCK_OK.match(m.string, m.end()):
        return None  # "at 3 locations", "by 5%"
    hour = int(h) if h else en_value(wh)
    mins = mm1 or mm2 or mm3
    minute = int(mins) if mins else (en_value(wm) if wm else 0)
    if hour is None or minute is None or hour > 24 or minute > 59:
        return None
    if wm and not 10 <= minute <= 59 and not wm.startswith(("oh", "zero")):
        return None  # "at three two" is not a time
    start = m.start(2) if h else m.start(6)
    if lead not in ("by", "before", "until", "till"):
        start = m.start()
    h24 = bool(h) and (hour > 12 or h.startswith("0"))
    return P(m, hour=hour, minute=minute, meridiem="h24" if h24 else None, start=start, end=m.end())


# "three am", "ten thirty am", "nine fifty nine a m", "seven thirty p.m."
@rule(B + r"(" + EN_NUM_WORD + r")(?:[\s-]+(" + EN_NUM_WORD + r"))?\s*" + AMPM + E, needs='one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve')
def word_clock_ampm(m, ctx):
    hour = en_value(m.group(1))
    minute = en_value(m.group(2)) if m.group(2) else 0
    if hour is None or minute is None or not 1 <= hour <= 12 or minute > 59:
        return None
    return P(m, hour=hour, minute=minute, meridiem=_meridiem(m, 3, 4))


# "3 o'clock", "three oclock"
@rule(B + r"(\d{1,2}|" + EN_NUM_WORD + r")\s*o'?\s?clock(?:\s*" + AMPM + ")?" + E, needs='clock')
def oclock(m, ctx):
    hour = en_value(m.group(1))
    if hour is None or hour > 24:
        return None
    meridiem = _meridiem(m, 2, 3)
    return P(m, hour=hour, minute=0, meridiem=meridiem or ("h24" if hour > 12 else None))


# A bare hour right before a day or part of day: "9 tomorrow", "8 tonight", "3 in the morning"
@rule(NB + B + r"(\d{1,2}|" + EN_NUM_WORD + r")(?=\s+(?:in\s+the\s+(?:morning|afternoon|evening|am|pm)|tonight|"
      r"this\s+(?:morning|afternoon|evening)|tomorrow|today))", needs='tonight|this|tomorrow|today|in the')
def bare_hour(m, ctx):
    hour = en_value(m.group(1))
    if hour is None or not 0 < hour <= 12:
        return None
    return P(m, hour=hour, minute=0, weak=True)


_HOUR_SPEC = r"(\d{1,2}h?|" + EN_NUM_WORD + r"|noon|midnight)(?:\s*" + AMPM + r")?"


# "half past 3 pm", "a quarter to noon", "20 minutes to 2pm", "twenty after 3pm", "15 minutes from 1pm"
@rule(B + r"(?:(at|for)\s+)?(half|(?:a\s+)?quarter|\d{1,2}|" + EN_NUM_WORD + r")(\s+minutes?)?\s+"
      r"(past|after|to|till|before|of|from)\s+" + _HOUR_SPEC + E, needs='(?:half|quarter|minutes?|\\d|one|two|three|four|five|six|seven|eight|nine|ten|teen|ty)\\s+(?:minutes?\\s+)?(?:past|after|to|till|before|of|from)\\s')
def relative_clock(m, ctx):
    lead, amount, minutes_word, rel, hspec = m.groups()[:5]
    meridiem = _meridiem(m, 6, 7)
    if hspec in ("noon", "midnight"):
        hour, meridiem = (12 if hspec == "noon" else 0), "h24"
    elif hspec.endswith("h"):
        hour, meridiem = int(hspec[:-1]), "h24"
    else:
        hour = en_value(hspec)
    if hour is None or hour > 23:
        return None
    if amount == "half":
        n = 30
    elif "quarter" in amount:
        n = 15
    else:
        n = en_value(amount)
        if not (minutes_word or meridiem or lead):
            return None  # "5 to 10" is a range
        if not minutes_word and rel in ("to", "till", "before") and n is not None and n <= 12:
            return None  # "2 to 4pm" is a range too
    if n is None or not 0 < n < 60:
        return None
    if rel in ("to", "till", "before", "of"):
        if meridiem == "h24" and hour == 0:
            hour = 24
        hour, minute = hour - 1, 60 - n
    else:
        minute = n
    if meridiem == "pm" and hour < 12:
        hour, meridiem = hour + 12, "h24"
    elif meridiem == "am" and hour == 12:
        hour, meridiem = 0, "h24"
    return P(m, hour=hour, minute=minute, meridiem=meridiem)


# "half three" (British: 3:30)
@rule(B + r"half\s+(\d{1,2}|" + EN_NUM_WORD + r")" + E + r"(?![\d:])", needs='half')
def half_hour(m, ctx):
    hour = en_value(m.group(1))
    if hour is None or not 1 <= hour <= 12:
        return None
    return P(m, hour=hour, minute=30, weak=True)


@rule(B + r"(?<!past )(?<!after )(?<!before )(?:at\s+|by\s+|around\s+)?(?:12\s*)?(noon|midday|mid\s+day|midnight)" + E, needs='noon|mid\\s?day|midnight')
def noon(m, ctx):
    if m.group(1) == "midnight":
        return P(m, hour=24, minute=0, meridiem="h24")
    return P(m, hour=12, minute=0, meridiem="h24")


_TZ = {"utc": 0, "gmt": 0, "z": 0, "bst": 1, "cet": 1, "cest": 2, "ist": 5.5, "sgt": 8, "hkt": 8,
       "jst": 9, "aest": 10, "aedt": 11, "est": -5, "edt": -4, "cdt": -5, "mst": -7, "mdt": -6,
       "pst": -8, "pdt": -7}


@rule(B + r"\(?(utc|gmt|bst|cest|cet|ist|sgt|hkt|jst|aest|aedt|est|edt|cdt|mst|mdt|pst|pdt)\)?" + E, needs='utc|gmt|bst|cet|ist|sgt|hkt|jst|aest|aedt|est|edt|cdt|mst|mdt|pst|pdt')
def timezone(m, ctx):
    return P(m, tz=_TZ[m.group(1)], weak=True)


# --- deadline markers ---------------------------------------------------------------------

@rule(B + r"(?:no\s+later\s+than|not\s+later\s+than|latest\s+by|by|before|due(?:\s+(?:on|by|date))?:?"
      r"|deadline(?:\s+is)?:?|prior\s+to)(?=\s)", needs='by|before|later|due|deadline|prior|latest')
def before_marker(m, ctx):
    return P(m, marker="before", deadline=True)


@rule(B + r"at\s+the\s+latest" + E, needs='latest')
def after_marker(m, ctx):
    return P(m, marker="after", deadline=True)
