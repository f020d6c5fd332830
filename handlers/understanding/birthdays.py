"""Birthdays stated in a note: 生日是12月8号 → "12-08", "birthday March 3" → "03-03", 农历八月十五 → lunar "08-15".

Works on the normalized note (lower-case, half-width, Simplified).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .amounts import cn_number

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5, "jun": 6,
    "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10,
    "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_CN_MONTH_NAMES = {"正": 1, "冬": 11, "腊": 12}

_ZH_DATE = re.compile(
    r"(?P<lunar>农历|阴历|旧历)?\s*(?P<m>\d{1,2}|十[一二]?|[一二三四五六七八九十正冬腊])\s*月(?:份)?\s*"
    r"(?P<d>\d{1,2}|初[一二三四五六七八九十]|廿[一二三四五六七八九]?|三十|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九十])\s*(?:号|日)?"
)
_EN_DATE = re.compile(
    rf"(?P<mon>{_MONTH_RE})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon2>{_MONTH_RE})\b|"
    r"(?:(?<=\d{4}[-/.])|(?<![\w/.-]))(?P<m3>\d{1,2})[/.-](?P<d3>\d{1,2})\b(?![/.-]\d)|(?<=[\u4e00-\u9fff])(?P<m4>\d{1,2})[/.-](?P<d4>\d{1,2})\b(?![/.-]\d)"
)
_RELATIONS_EN = (r"wife|husband|son|daughter|kids?|child|children|father|mother|dad|mom|mum|parents?|grandma|grandpa|"
                 r"grandmother|grandfather|brother|sister|boss|partner|colleague|assistant|baby|girlfriend|boyfriend|fianc[eé]e?|"
                 r"(?:mother|father|brother|sister|son|daughter)-in-law|in-laws?|uncle|aunt|auntie|cousin|nephew|niece|"
                 r"grandson|granddaughter|grandkids?|stepson|stepdaughter|spouse")
_RELATIONS_ZH = (r"老婆|老公|妻子|太太|丈夫|爱人|媳妇|儿子|女儿|孩子|小孩|闺女|父亲|母亲|爸爸|妈妈|老爸|老妈|爸|妈|爷爷|奶奶|"
                 r"外公|外婆|姥姥|姥爷|岳父|岳母|公公|婆婆|哥哥|姐姐|弟弟|妹妹|老板|领导|同事|助理|秘书|宝宝|女朋友|男朋友|家人|父母|"
                 r"叔叔|阿姨|舅舅|舅妈|姑姑|姨妈|伯伯|侄子|侄女|外甥|外甥女|孙子|孙女|外孙|表哥|表姐|表弟|表妹|堂哥|堂姐|老爷子|老太太")
_BDAY_WORD = re.compile(r"生日|生辰|出生|寿辰|大寿|birthday|b-?day|born on|date of birth|\bdob\b|\bturns \d{1,3}\b|"
                        rf"\b(?:{_RELATIONS_EN})'s\s+(?:is|on|falls)\b")
# someone else's birthday: "his wife's birthday", "她女儿生日", "father's 70th birthday", "daughter turns 10"
_REL_BEFORE = re.compile(rf"(?:\b(?:{_RELATIONS_EN})(?:'s|s')?\s+(?:\d+\w*\s+)?|"
                         rf"(?:{_RELATIONS_ZH})的?\s*(?:\d+岁|[一二三四五六七八九十]+岁)?的?\s*)$")
_REL_IN = re.compile(rf"(?:{_RELATIONS_EN})'s")
_LUNAR_WORD = re.compile(r"农历|阴历|旧历|lunar")
_REL_NEAR = re.compile(rf"(?:{_RELATIONS_ZH})的?\s*(?:农历|阴历|旧历|公历|阳历)?\s*$")
_ACTION = re.compile(
    r"记得|别忘|不要忘|提醒|送|寄|准备|祝福|祝|买|订|发.{0,4}(?:祝福|红包|消息|信息)|打.{0,2}电话|问候|请(?:她|他|他们|她们|佢)(?:去)?(?:吃|喝|饮)|"
    r"remember|remind|don'?t forget|send|gift|card|flowers|cake|wish|greet|call|buy|order|prepare|take (?:her|him|them) (?:out|to)"
)


@dataclass
class Birthday:
    month: int
    day: int
    lunar: bool
    start: int
    end: int
    action: bool  # the note asks to do something for it (记得送礼, remember to send a card)
    own: bool = True  # the customer's own, not a relative's ("his wife's birthday")

    @property
    def mmdd(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"


def _zh_day(s: str) -> int | None:
    if s.isdigit():
        return int(s)
    if s.startswith("初"):
        v = cn_number(s[1:])
        return int(v) if v else None
    if s.startswith("廿"):
        v = cn_number(s[1:]) if len(s) > 1 else 0
        return 20 + int(v or 0)
    v = cn_number(s)
    return int(v) if v else None


def _zh_month(s: str) -> int | None:
    if s.isdigit():
        return int(s)
    if s in _CN_MONTH_NAMES:
        return _CN_MONTH_NAMES[s]
    v = cn_number(s)
    return int(v) if v else None


def find_birthday(n: str) -> Birthday | None:
    """The customer's own birthday stated in the note, if any."""
    return next((b for b in find_birthdays(n) if b.own), None)


def find_birthdays(n: str, today: dt.date | None = None) -> list[Birthday]:
    """Every birthday stated in the note, the customer's own and their relatives'. ``today``: the day the note
    was written, for a birthday said relative to it ("birthday today", 下个月十号生日)."""
    try:
        return _find_birthdays(n, today)
    except Exception:
        return []


_EN_LUNAR = re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+day\s+of\s+the\s+(?P<m>\d{1,2})(?:st|nd|rd|th)?\s+lunar\s+month|"
                       r"lunar\s+(?P<m2>\d{1,2})[/.-](?P<d2>\d{1,2})\b")


def _find_birthdays(n: str, today: dt.date | None = None) -> list[Birthday]:
    found: list[Birthday] = []
    for bw in _BDAY_WORD.finditer(n):
        if any(b.start <= bw.start() < b.end for b in found):
            continue
        b = _near(n, bw)
        if b is None and today is not None:
            b = _relative(n, bw, today)
        if b is not None:
            found.append(b)
    return found


_RELATIVE_DAY = re.compile(r"(?P<w>今天|今日|明天|明日|后天|today|tomorrow|tmrw|the day after tomorrow)|"
                           r"下个?月\s*(?P<d>\d{1,2}|[一二三四五六七八九十廿]{1,3})\s*(?:号|日)|"
                           r"next month on the (?P<d2>\d{1,2})(?:st|nd|rd|th)?")
_DAY_OFFSETS = {"今天": 0, "今日": 0, "today": 0, "明天": 1, "明日": 1, "tomorrow": 1, "tmrw": 1, "后天": 2, "the day after tomorrow": 2}


def _relative(n: str, bw: re.Match, today: dt.date) -> Birthday | None:
    """"Rajesh Kumar birthday today", "李姐下个月十号生日": the day named next to the birthday word."""
    lo, hi = max(0, bw.start() - 12), min(len(n), bw.end() + 14)
    best = None
    for m in _RELATIVE_DAY.finditer(n, lo, hi):
        dist = bw.start() - m.end() if m.end() <= bw.start() else m.start() - bw.end()
        if dist <= 8 and (best is None or dist < best[0]):
            best = (dist, m)
    if best is None:
        return None
    m = best[1]
    if m.group("w"):
        d = today + dt.timedelta(days=_DAY_OFFSETS[m.group("w")])
    else:
        day = _zh_day(m.group("d") or m.group("d2"))
        first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        try:
            d = first.replace(day=day or 0)
        except ValueError:
            return None
    s, e = min(m.start(), bw.start()), max(m.end(), bw.end())
    other = bool(_REL_IN.match(bw.group()) or _REL_BEFORE.search(n[max(0, s - 24): s]) or _REL_NEAR.search(n[max(0, s - 10): s]))
    action = _our_action(n[e:]) and not _SENT.search(n[e:])
    return Birthday(d.month, d.day, bool(_LUNAR_WORD.search(_own_clause(n, s, e))), s, e, action, own=not other)


_CLAUSE_MARK = re.compile(r"[，,。;；!！?？\n]")


def _own_clause(n: str, s: int, e: int) -> str:
    """Up to 8 characters before and 10 after the birthday, within its clause: 农历 said of the next birthday
    ("他的生日是6月20号，他老婆生日是农历五月初五") is not this one's."""
    before, after = n[max(0, s - 8): s], n[e: e + 10]
    before = _CLAUSE_MARK.split(before)[-1]
    after = _CLAUSE_MARK.split(after)[0]
    return before + n[s:e] + after


def _near(n: str, bw: re.Match) -> Birthday | None:
    other = bool(_REL_IN.match(bw.group()) or _REL_BEFORE.search(n[max(0, bw.start() - 24): bw.start()]))
    el = _EN_LUNAR.search(n, max(0, bw.start() - 16), min(len(n), bw.end() + 50))
    if el:
        month, day = int(el.group("m") or el.group("m2")), int(el.group("d") or el.group("d2"))
        if 1 <= month <= 12 and 1 <= day <= 30:
            s, e = min(el.start(), bw.start()), max(el.end(), bw.end())
            action = _our_action(n[e:])
            return Birthday(month, day, True, s, e, action, own=not other)
    if True:  # noqa: SIM108 (kept as a block: the solar/lunar date written next to the word)
        lo, hi = max(0, bw.start() - 16), min(len(n), bw.end() + 30)
        window = n[lo:hi]
        best = None
        for rx in (_ZH_DATE, _EN_DATE):
            for m in rx.finditer(window):
                s, e = lo + m.start(), lo + m.end()
                # the date must be next to the birthday word: nearest one wins
                dist = bw.start() - e if e <= bw.start() else s - bw.end()
                if dist > 12:
                    continue
                g = m.groupdict()
                if rx is _ZH_DATE:
                    month, day = _zh_month(g["m"]), _zh_day(g["d"])
                elif g.get("mon"):
                    month, day = _MONTHS[g["mon"]], int(g["d1"])
                elif g.get("mon2"):
                    month, day = _MONTHS[g["mon2"]], int(g["d2"])
                elif g.get("m3"):
                    month, day = int(g["m3"]), int(g["d3"])
                else:  # "生日是10/25": the date glued to Chinese words
                    month, day = int(g["m4"]), int(g["d4"])
                if not month or not day or not (1 <= month <= 12 and 1 <= day <= 31):
                    continue
                if best is None or dist < best[0]:
                    best = (dist, month, day, min(s, bw.start()), max(e, bw.end()))
        if best:
            _, month, day, s, e = best
            other = other or bool(_REL_BEFORE.search(n[max(0, s - 24): s]) or _REL_NEAR.search(n[max(0, s - 10): s]))
            lunar = bool(_LUNAR_WORD.search(_own_clause(n, s, e)))
            action = _our_action(n[e:]) or _our_action(n[max(0, s - 12): s])
            if action and _SENT.search(n[e:]):
                action = False  # "sent our wishes", "发了微信祝福": done, nothing to remind
            return Birthday(month, day, lunar, s, e, action, own=not other)
    return None


# the customer's own wish, not something for us to do on the day: "想订我们的礼盒", "he asked for recs for a gift shop"
# ("he asked us to ship the basket that day", "要我们送过去": for us to do after all)
_THEIR_WISH = re.compile(r"(?:(?:他|她|他们)(?:在|正在|还在)?(?:愁|纠结|不知道|考虑|想)[^，,。.;；]{0,4}|(?:想|要|打算|需要|问)(?!我们|我|咱)[^，,。.;；]{0,6}|\b(?:wants?|would\s+like|plans?|hopes?)\s+to\b[^,.;]{0,20}|"
                         r"\basked\b(?!\s+(?:us|me)\b)[^,.;]{0,24}|\brecs?\s+for\s+(?:a\s+)?)\s*$")


def _our_action(text: str) -> bool:
    """Something we are asked to do for the birthday (送花, send a card), not what the customer wants."""
    text = re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", text)  # "那天 請她 吃飯", spoken word by word
    return any(not _THEIR_WISH.search(text, max(0, m.start() - 30), m.start()) for m in _ACTION.finditer(text))


_SENT = re.compile(r"\b(?:sent|wished|gave|called)\b|发了|送了|祝福了|寄了|打了")


def next_occurrence(b: Birthday, today: dt.date) -> dt.date | None:
    """The next date (today or later) the birthday falls on, converting lunar birthdays to the solar calendar."""
    try:
        if b.lunar:
            from lunardate import LunarDate

            for year in (today.year - 1, today.year, today.year + 1, today.year + 2):
                day = b.day
                while day >= 28:
                    try:
                        d = _to_solar(LunarDate(year, b.month, day))
                        break
                    except ValueError:
                        day -= 1
                else:
                    d = _to_solar(LunarDate(year, b.month, day))
                if d >= today:
                    return d
            return None
        for year in (today.year, today.year + 1, today.year + 2, today.year + 3, today.year + 4):
            try:
                d = dt.date(year, b.month, b.day)
            except ValueError:  # 02-29
                continue
            if d >= today:
                return d
    except Exception:
        return None
    return None


def _to_solar(ld) -> dt.date:
    conv = getattr(ld, "to_solar_date", None) or ld.toSolarDate
    return conv()
