"""Chinese rules (Mandarin and common Cantonese), on Simplified, normalised text.

Each rule produces one partial value; compose.py glues neighbours together, so
"下个月" + "5号", "明天" + "下午" + "3点" and "下周三" + "前" need no combined rules.
"""
from __future__ import annotations

import datetime as dt
import re

from .festivals import FESTIVALS, day_before, first_workday_after, next_festival, next_holiday_cluster, recent_festival
from .numerals import ZH_DIGITS_YEAR, ZH_NUM, zh_value
from .parts import add_months, end_of_month, expand_year
from .rules import P, RuleSet

ZH = RuleSet("zh")
rule = ZH.rule

N = ZH_NUM

# --- days relative to today ----------------------------------------------------

_DAY_WORDS = {"今天": 0, "今日": 0, "今儿": 0, "今朝": 0, "明天": 1, "明日": 1, "明儿": 1,
              "听日": 1, "听朝": 1, "后天": 2, "后日": 2, "大后天": 3, "大后日": 3,
              "昨天": -1, "昨日": -1, "昨儿": -1, "寻日": -1, "琴日": -1, "噚日": -1,
              "前天": -2, "前日": -2, "大前天": -3, "大前日": -3}
_DAY_POD = {"今早": (0, "morning"), "今晨": (0, "morning"), "今晚": (0, "evening"),
            "今夜": (0, "evening"), "明早": (1, "morning"), "明晨": (1, "morning"),
            "明晚": (1, "evening"), "昨晚": (-1, "evening"), "昨夜": (-1, "evening"),
            "前晚": (-2, "evening")}


@rule("|".join(sorted(list(_DAY_WORDS) + list(_DAY_POD), key=len, reverse=True)), needs='[今明听后昨寻琴噚前]')
def day_word(m, ctx):
    w = m.group()
    off, pod = _DAY_POD.get(w, (_DAY_WORDS.get(w), None))
    return P(m, date=ctx.today + dt.timedelta(days=off), pod=pod, past=off < 0)


# --- weeks and weekdays --------------------------------------------------------

_THIS = "这一个|这个|这一|今个|本个|这|本|今"
_NEXT = "下下个|下下|下一个|下个|下一|下"
_LAST = "上上个|上上|上一个|上个|上一|上"
_WEEK = "星期|礼拜|周"
_WD = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5,
       "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}


def _week_off(prefix: str | None) -> int | None:
    if not prefix:
        return None
    if prefix.startswith("下"):
        return 2 if prefix.startswith("下下") else 1
    if prefix.startswith("上"):
        return -2 if prefix.startswith("上上") else -1
    return 0


# A numeral or 个 right before 周/星期 makes it a duration ("两周", "三个星期"), and
# 每周一 is a recurrence, not a date; 周三次 is "three times a week".
# "下周 三 来" (a note spoken word by word): the day alone after a space, before a space or a verb, is the weekday
@rule(rf"(?<![\d一二两三四五六七八九十几每个])({_THIS}|{_NEXT}|{_LAST})?的?(?:{_WEEK})"
      r"(?:([一二三四五六日天末1-7])(?![次遍趟个\d]|回(?![复电访信话家头去来]))|\s([一二三四五六日天末])(?=\s|$|[，。,.!?；;]|[来去见约再前]))",
      needs='[周期拜]')
def weekday(m, ctx):
    off = _week_off(m.group(1))
    return P(m, weekday=_WD[m.group(2) or m.group(3)], week_off=off, past=off is not None and off < 0)


@rule(rf"(?<![\d一二两三四五六七八九十几每])({_THIS}|{_NEXT}|{_LAST})(?:{_WEEK})(?![一二三四五六日天末1-7])", needs='[周期拜]')
def week(m, ctx):
    off = _week_off(m.group(1))
    return P(m, week_off=off, week_grain=True, past=off < 0)


# --- months ----------------------------------------------------------------------

def _month_off(prefix: str) -> int:
    return _week_off(prefix) or 0


@rule(rf"({_THIS}|{_NEXT}|{_LAST})个?月(?!份?[底末尾初中])", needs='月')
def month_ref(m, ctx):
    off = _month_off(m.group(1))
    return P(m, month_off=off, past=off < 0)


# 月底 / 下个月初 / 12月中旬 / 年底
@rule(rf"(?:({_THIS}|{_NEXT}|{_LAST})个?|({N})|)月份?的?(底|末|尾|初|中旬|上旬|下旬|中)", needs='月')
def month_part(m, ctx):
    prefix, num, which = m.group(1), m.group(2), m.group(3)
    today = ctx.today
    if num:
        month = zh_value(num)
        if not month or not 1 <= month <= 12:
            return None
        year = today.year + (1 if month < today.month else 0)
        base = dt.date(year, month, 1)
    else:
        base = add_months(today.replace(day=1), _month_off(prefix) if prefix else 0)
    if which in ("底", "末", "尾"):
        d = end_of_month(base)
    elif which in ("初", "上旬"):
        d = base
        if not prefix and not num and d < today:  # bare 月初 late in a month: the next one
            d = add_months(base, 1)
    elif which == "下旬":
        d = base.replace(day=21)
    else:  # 中, 中旬
        d = base.replace(day=15)
    return P(m, date=d, past=d < today and prefix is not None and prefix.startswith("上"))


@rule(r"(今|明|去|前|后)年的?(底|末|初)?", needs='年')
def year_ref(m, ctx):
    off = {"今": 0, "明": 1, "去": -1, "前": -2, "后": 2}[m.group(1)]
    year = ctx.today.year + off
    if m.group(2) in ("底", "末"):
        return P(m, date=dt.date(year, 12, 31), past=off < 0)
    if m.group(2) == "初":
        return P(m, date=dt.date(year, 1, 1), past=off < 0)
    # Alone, "明年" is too vague to schedule: it only dates a month/day next to it.
    return P(m, year=year, weak=True, past=off < 0)


@rule(r"(?<![今明去前后\d])年(底|末)", needs='年')
def year_end(m, ctx):
    return P(m, date=dt.date(ctx.today.year, 12, 31))


# 十月第一个星期一 / 十月的最后一个周五 / 下个月第二个礼拜三
@rule(rf"(?:({N})月|({_THIS}|{_NEXT}|{_LAST})个?月)的?(?:第({N})|(最后))一?个?(?:{_WEEK})([一二三四五六日天1-7])", needs='第|最后')
def nth_weekday(m, ctx):
    num, prefix, nth, last, wd = m.groups()
    n = -1 if last else zh_value(nth)
    if not n or n > 5:
        return None
    if num:
        month = zh_value(num)
        if not month or not 1 <= month <= 12:
            return None
        return P(m, month=month, nth=n, weekday=_WD[wd])
    return P(m, month_off=_month_off(prefix), nth=n, weekday=_WD[wd])


# --- explicit dates ----------------------------------------------------------

# 2015年3月3号, 二零一五年三月三號, 12月5日, 12月5 (no 号), 3月 (alone: weak)
@rule(rf"(?:({ZH_DIGITS_YEAR})年)?({N})月(?:份)?(?:({N})(?:日|号)?)?(?![\d零〇一二两三四五六七八九十个])", needs='月')
def month_day(m, ctx):
    month = zh_value(m.group(2))
    if not month or not 1 <= month <= 12:
        return None
    year = expand_year(zh_value(m.group(1))) if m.group(1) else None
    day = None
    if m.group(3):
        day = zh_value(m.group(3))
        if not day or not 1 <= day <= 31:
            return None
    # 三月 alone is weak ("三月" in passing); 3月份 / 2015年3月 name a month outright.
    weak = day is None and year is None and "份" not in m.group() and _in_passing(m)
    return P(m, year=year, month=month, day=day, weak=weak)


def _in_passing(m) -> bool:
    """三月 inside a longer word (三月花店) or a count (三月份的货): not a date on its own."""
    after = m.string[m.end():m.end() + 1]
    return after in "的花天里间中" and after != ""


# A day of the month: 5号, 二十号, 廿号. Not a building, line or room number.
_NOT_DAY_AFTER = "楼线仓机门店厂房柜窗位车间室馆桌箱件型院栋座口桥路街码球选床台包货品"


@rule(rf"(?<![\d年第])({N})(号|日)(?![{_NOT_DAY_AFTER}内游])", needs='[号日]')
def day_of_month(m, ctx):
    day = zh_value(m.group(1))
    if not day or not 1 <= day <= 31:
        return None
    # N日 is also "N days" in writing; only 号 stands alone.
    return P(m, day=day, weak=m.group(2) == "日")


# --- offsets from now --------------------------------------------------------------

_UNIT_DAYS = {"天": 1, "日": 1, "周": 7, "星期": 7, "礼拜": 7}


@rule(rf"(再过|过)?({N}|半)?(个)?(半)?(天|日|周|星期|礼拜|月|年|小时|钟头|钟|分钟|分)"
      r"(之后|以后|后|之内|以内|内|之前|以前|前)?", needs='[天日周期拜月年时钟分](?:之|以)?[后前内]|过')
def offset(m, ctx):
    lead, num, ge, half, unit, tail = m.groups()
    if not tail and not lead:
        return None  # "逾期两周", "三天" alone: a length of time, not a date
    if num is None and half is None:
        return None
    n = 0.5 if num == "半" else (zh_value(num) if num else 1)
    if n is None:
        return None
    if half and num != "半":
        n += 0.5
    if unit == "月" and not ge and num != "半":
        return None  # "3月后" is March; months take 个: 三个月后
    if unit in ("钟", "分") and not (ge or unit == "分"):
        return None
    sign = -1 if tail and tail.endswith("前") else 1
    deadline = bool(tail and tail.endswith("内"))
    fields = {"past": sign < 0, "deadline": deadline}
    if unit in ("小时", "钟头", "钟", "分钟", "分"):
        minutes = n * 60 if unit in ("小时", "钟头", "钟") else n
        return P(m, exact=ctx.now + sign * dt.timedelta(minutes=minutes), **fields)
    if unit in _UNIT_DAYS:
        days = round(n * _UNIT_DAYS[unit])
        return P(m, date=ctx.today + dt.timedelta(days=sign * days), clock=unit in "天日", **fields)
    if unit == "月":
        whole = int(n)
        d = add_months(ctx.today, sign * whole)
        if n != whole:
            d += dt.timedelta(days=sign * 15)
        return P(m, date=d, **fields)
    return P(m, date=add_months(ctx.today, sign * round(n * 12)), **fields)  # 年


# --- time of day ---------------------------------------------------------------

_POD = {"凌晨": "early", "清晨": "morning", "早上": "morning", "早晨": "morning", "上午": "morning",
        "朝早": "morning", "朝头早": "morning", "早": "morning", "中午": "noon", "正午": "noon",
        "晌午": "noon", "午间": "noon", "下午": "afternoon", "午后": "afternoon",
        "晏昼": "afternoon", "晏晝": "afternoon", "下昼": "afternoon", "傍晚": "evening", "黄昏": "evening",
        "晚上": "evening", "晚间": "evening", "夜晚": "evening", "晚": "evening",
        "夜里": "night", "夜间": "night", "半夜": "night", "深夜": "night", "午夜": "night"}


@rule("|".join(sorted(_POD, key=len, reverse=True)), needs='[早晚午晨夜昼凌晏黄傍深半]')
def part_of_day(m, ctx):
    w = m.group()
    if w == "午夜":  # midnight itself, a time
        return P(m, hour=24, minute=0, meridiem="h24")
    # 早/晚 alone are also "early"/"late" (早点, 晚了): weak unless next to a time.
    return P(m, pod=_POD[w], weak=w in ("早", "晚"))


_DAY_BEFORE_CLOCK = re.compile(r"(?:上午|下午|晚上|早上|中午|傍晚|凌晨|明天|今天|后天|明早|今晚|周[一二三四五六日天]|[号日])\s?$")


# 3点, 三点钟, 三点半, 三点一刻, 三点十五(分), 三点零五, 三点三 (Cantonese: 3 x 5 min),
# 三点踏三 / 搭三 / 三个字, 3点整, 三点差五分 (2:55), 15时30分.
@rule(rf"(?<![第.])({N})(点|时)(钟)?(?:(整)|(半)|([一三13])刻|差({N})分?|(?:踏|搭)?({N}|半)(个字|分)?(?![起下些定直般样共同切边块整会]))?", needs='[点时]')
def clock(m, ctx):
    hour = zh_value(m.group(1))
    if hour is None or hour > 24:
        return None
    _, unit, zhong, whole, half, quarter, less, mins, mins_unit = m.groups()
    minute = 0
    if half:
        minute = 30
    elif quarter:
        minute = 15 * int(quarter.replace("一", "1").replace("三", "3"))
    elif less:
        v = zh_value(less)
        if v is None or not 0 < v < 60:
            return None
        hour, minute = hour - 1, 60 - v
    elif mins:
        if mins == "半":
            minute = 30
        else:
            v = zh_value(mins)
            if v is None:
                return None
            # 三点三 / 三点踏三 / 三点三个字: Cantonese counts 5-minute marks.
            if (mins_unit == "个字" or (not mins_unit and len(mins) == 1 and not mins.isdigit())) \
                    and "零" not in mins and v < 12:
                v *= 5
            if v > 59:
                return None
            minute = v
    meridiem = "h24" if hour > 12 or hour == 0 or m.group(1).startswith("0") else None
    bare = not (zhong or whole or half or quarter or less or mins)
    # 一点 is "a bit" (便宜一点); 几点/两点意见 are not times. Bare N时 is rare as a time.
    weak = bare and (m.group(1) in ("一", "1") or unit == "时")
    # "有两点顾虑", "这三点", "第一点": points of a list, not hours.
    if bare and m.start() > 0 and m.string[m.start() - 1] in "有这那几些每":
        return None
    if bare and m.end() < len(m.string) and m.string[m.end()] in "意建要问需原优缺区理看想儿顾疑担" \
            and not _DAY_BEFORE_CLOCK.search(m.string, max(0, m.start() - 4), m.start()):
        return None  # (but "明天上午十点要开会" is a clock)
    # "晚上八点了": what time it is now, not a time to do something
    now_said = m.string[m.end():m.end() + 1] == "了" and m.string[m.end():m.end() + 2] != "了解"
    return P(m, hour=hour, minute=minute, meridiem=meridiem, weak=weak, past=now_said)


# --- deadline markers -------------------------------------------------------------

# 下周三前 / 月底之前 / 5号以前 / 本周内; not 前往, 前来, 前后 (about).
@rule(r"(?:之前|以前|为止|之内|以内|前(?![往来去台面期景后夕天日晚年])|内(?![容部]))", needs='[前内止]')
def after_marker(m, ctx):
    return P(m, marker="after", deadline=True)


@rule(r"(?:截止到|截至|截止|最迟|最晚|不晚于|不迟于|务必在|必须在)", needs='[截最不务必]')
def before_marker(m, ctx):
    return P(m, marker="before", deadline=True)


_ZH_FESTIVALS = [k for k in FESTIVALS if not k.isascii()]


_AFTER_TAIL = r"(?:假期|长假|放假|小长假)?(?:之后|以后|过后|结束后|后(?![面天日来续期台]))"
_BEFORE_TAIL = r"(?:假期|长假|放假|小长假)?(?:之前|以前|前(?![往来台面期景后夕天日晚年]|去世))"


# 中秋 / 中秋前 (the day before) / 国庆后, 过完国庆 (the first working day after the days off)
@rule(rf"(过完|过了)?(明年|今年|去年)?的?({'|'.join(sorted(_ZH_FESTIVALS, key=len, reverse=True))})(?:节(?!目|约|省|奏|点))?"
      rf"(?:那天|当天)?({_BEFORE_TAIL}|{_AFTER_TAIL})?(?!礼|月饼|粽子|汤圆|年货|红包|福利|活动|促销|晚会|特惠|订单|套餐|大促)",
      needs="[元情劳五儿国圣平清春大宵端七中重除双]")
def festival(m, ctx):
    after_lead, rel, name, tail = m.groups()
    en = _EN_REL.search(m.string, 0, m.start())  # "before 元旦", "after 中秋"
    if en and not tail and not after_lead:
        tail = "前" if en.group(1) in ("before", "pre") else "后"
        m_start = en.start()
    else:
        m_start = m.start()
    year = {"明年": 1, "今年": 0, "去年": -1}.get(rel)
    if year is not None:
        year = ctx.today.year + year
    gone = recent_festival(name, ctx.today) if year is None else None
    if gone is not None:  # the festival just passed: the note speaks of it, not of next year's
        return _just_gone(m, m_start, gone, ctx, before=bool(tail and "前" in tail), after=bool(after_lead or tail))
    d = next_festival(name, ctx.today, year)
    if d is None:
        return None
    if tail and "前" in tail:
        return P(m, start=m_start, date=day_before(d), deadline=True)
    if after_lead or tail:
        return P(m, start=m_start, date=first_workday_after(d))
    return P(m, date=d, past=d < ctx.today)


def _just_gone(m, start, gone, ctx, *, before: bool, after: bool, first_off=None):
    """X前 / X / X后 of a festival that passed less than a month ago: past, except "X后" while its days off last."""
    if before:
        return P(m, start=start, date=day_before(gone), past=True)
    if after:
        back = first_workday_after(first_off or gone)
        return P(m, start=start, date=back) if back >= ctx.today else P(m, start=start, date=back, past=True)
    return P(m, start=start, date=gone, past=True)


_EN_REL = __import__("re").compile(r"\b(before|after|pre|post)\s*$")


_FESTIVAL_BEFORE = __import__("re").compile(f"(?:{'|'.join(_ZH_FESTIVALS)})$")


# 年后 / 年前 (the Spring Festival), 节后 / 节前 (the next public holiday, or one just begun)
@rule(r"(?<![\d一二两三四五六七八九十几半今明去前后每个])(过完年|过了年|年|节)(前|后|之前|之后|以后|以前)"
      r"(?:一?(?:开工|上班|复工)(?:的)?(?:第一天|头一天|当天)?|(?![期面天台来续往去]))", needs="[年节][前后之以]")
def season_marker(m, ctx):
    return _season(m, ctx, *m.groups())


# 小长假回来第一天 / 放假回来 / 假期结束后: the first working day after the next days off (or the ones under way)
@rule(r"(?:小长假|长假|假期|放假|休假|节假日)(?:回来|结束|过后|过完|完了?)(?:之?后|以后)?(?:上班)?(?:的)?(?:第一天|头一天)?", needs="假")
def after_the_break(m, ctx):
    d = next_holiday_cluster(ctx.today, back=7)
    return P(m, date=first_workday_after(d)) if d is not None else None


# 过完年 / 过了年 / 等过完年: after the Spring Festival break
@rule(r"(?:过完|过了)(?:春节|新年|大年|年)(?:以后|之后|后)?", needs="过[完了]")
def after_new_year(m, ctx):
    return _season(m, ctx, "过完年", "后")


def _season(m, ctx, which, rel):
    if which == "节" and _FESTIVAL_BEFORE.search(m.string, 0, m.start()):
        return None  # 中秋节前: the festival rule reads it
    named = _NAMED_FESTIVAL.findall(m.string, 0, m.start()) if which == "节" else []
    if named:  # "国庆节不在厂里，节后再联系": the festival the note named
        gone = recent_festival(named[-1], ctx.today, window=10)
        d = gone if gone is not None else next_festival(named[-1], ctx.today)
    elif which == "节":
        d = next_holiday_cluster(ctx.today, back=7 if "后" in rel else 0)
    else:
        gone = recent_festival("春节", ctx.today)
        if gone is not None:  # 年前那批货 / 年后扩仓 said after this year's Spring Festival
            return _just_gone(m, m.start(), gone, ctx, before="前" in rel and which not in ("过完年", "过了年"),
                              after="后" in rel, first_off=gone - dt.timedelta(days=1))
        d = next_festival("春节", ctx.today)
        if d is not None and "后" in rel:  # the break starts on the eve
            d = d - dt.timedelta(days=1)
    if d is None:
        return None
    if "前" in rel and which != "过完年" and which != "过了年":
        return P(m, date=day_before(d), deadline=True)
    return P(m, date=first_workday_after(d))


_NAMED_FESTIVAL = __import__("re").compile(f"(?:{'|'.join(sorted((k for k in _ZH_FESTIVALS if k not in ('双11', '双12')), key=len, reverse=True))})")


# 正月十六 / 正月廿八: later days of the first lunar month (初一…初十: new_year_day)
@rule(r"正月(十[一二三四五六七八九]|二十[一二三四五六七八九]?|廿[一二三四五六七八九]|三十)(?:以后|之后|后)?", needs="正月")
def first_month_day(m, ctx):
    spring = next_festival("春节", ctx.today - dt.timedelta(days=30))
    if spring is None:
        return None
    import lunardate

    num = m.group(1).replace("廿", "二十")
    try:
        d = lunardate.LunarDate(spring.year, 1, zh_value(num)).to_solar_date()
    except ValueError:
        return None
    return P(m, date=d, past=d < ctx.today)


# 6.18发货 / 6.18前: month.day written with a point, in a Chinese sentence (not 6.18元, 3.5万)
@rule(r"(?<![\d.a-z])(1[0-2]|0?[1-9])\.([12]\d|3[01]|0?[1-9])(?![\d.])"
      r"(?=\s*(?:前|之前|以前|号|日|[^\x00-\x7f元块万千百亿%％倍米吨斤克折个件台套箱分版级升寸寸斤公度成点]))", needs=r"\d\.\d")
def dotted_date(m, ctx):
    if __import__("re").search(r"(?:版本|版|型号|第|约|大约|大概|共|合计|评分|增长|下降|涨了|跌了|提高|降低)\s*$", m.string[:m.start()]):
        return None  # 版本3.5, 增长3.5: a number

    return P(m, month=int(m.group(1)), day=int(m.group(2)))


# 初十 / 正月初八 / 大年初三: days of the lunar new year (alone only around the Spring Festival)
@rule(r"(?<![月年当最起])(正月|大年)?初([一二三四五六七八九十])(?![一二三四五六七八九十中级期步次稿审试])(?:以后|之后|后)?", needs="初")
def new_year_day(m, ctx):
    lead, num = m.groups()
    spring = next_festival("春节", ctx.today - dt.timedelta(days=20))
    if spring is None:
        return None
    # from December on, people plan the new-year days ("初三返香港，初六搵佢" on 12月3日)
    near = -15 <= (ctx.today - spring).days <= 20 or 0 <= (spring - ctx.today).days <= 75
    if not lead and not near and not __import__("re").search(r"春节|过年|新年|正月|年后|拜年", m.string):
        return None
    import lunardate

    d = lunardate.LunarDate(spring.year, 1, zh_value(num)).to_solar_date()  # 春节 is lunar 1/1 of its solar year
    return P(m, date=d, past=d < ctx.today)


# 下班前 / 收工前: by the end of today's work
@rule(r"(?:下班|收工|放工)(?:之前|以前|前)", needs="[班工]")
def end_of_workday(m, ctx):
    if _DAY_BEFORE.search(m.string, 0, m.start()):
        return P(m, marker="after", deadline=True)  # 明天下班前: the end of that day
    return P(m, date=ctx.today, deadline=True)


_DAY_BEFORE = __import__("re").compile(r"(?:今天|明天|后天|大后天|周[一二三四五六日天]|星期[一二三四五六日天]|礼拜[一二三四五六日天]|号|日)\s*$")


@rule(r"现在|马上|立刻|立即", needs='[现马立]')
def now_word(m, ctx):
    return P(m, date=ctx.today, weak=True)
