"""Choosing the follow-up(s) a note asks for: which time mentions are due dates, and the task text for each.

Rules (spec "Resolving dates"):
- a time mention that refers to the past, or "today" describing when the interaction happened, is no follow-up;
- every other mention on or after today is one follow-up, in text order; its task is the words of its clause;
- a birthday is a follow-up only when the note asks for an action (记得送礼, remember to send a card);
- an action asked for without a date ("prepare a quote") gives a follow-up with no date.
"""
from __future__ import annotations

import datetime as dt
import re

from .birthdays import Birthday, next_occurrence
from .reading import FollowUp
from .lexicon import CLAUSE_BREAK

MAX_TASK_CHARS = 60
MAX_MENTIONS = 12

# a time phrase that names a day (a bare "下午两点" does not: resolved after two it means tomorrow)
_DAY_WORD = re.compile(r"[天日号周月年明今昨]|星期|礼拜|tomorrow|today|tonight|mon|tue|wed|thu|fri|sat|sun|week|month|/|-|"
                       r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*\d|\d(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)")
_TODAY_WORDS = re.compile(r"^(?:today|今天|今日|this morning|this afternoon|今早|今天上午|今天下午|今晚|tonight)$")
_PAST_MARK = re.compile(
    r"\b\w+ed\b|了|刚|已经|已|\b(?:met|went|came|saw|got|had|spoke|told|said|sent|took|gave|rang|brought|left)\b"
)
_ACTION_MARK = re.compile(
    r"\b(?:send|call|email|e-mail|text|ping|follow up|follow-up|remind|prepare|need|needs|must|should|please|pls|by|before|due|"
    r"deliver|ship|confirm|schedule|arrange|book|check|quote|visit|meet|contact|reach out|get back|try again|chase|submit)\b|"
    r"之前|以前|前|要|记得|发|给|请|需要|跟进|联系|回电|报价|拜访|寄|送|准备|安排|确认|提醒|再聊|再谈|回复|催|提交|交(?!期|货期|流|易|通|情|际)|约"
)
_ACTION_CLAUSE = re.compile(
    r"^\s*(?:please\s+|pls\s+|need to\s+|must\s+|should\s+|remember to\s+|don'?t forget to\s+|then\s+|and\s+)?"
    r"(?:send|call|email|e-mail|text|ping|follow up|remind|prepare|deliver|ship|confirm|schedule|arrange|book|check|quote|"
    r"visit|meet|contact|reach out|get back|try again|chase|submit|draft|update|write|share)\b(?! with\b| from\b)|"
    r"(?:记得|别忘了?|需要|要|请|尽快|马上|抓紧)?(?:给.{1,6})?(?:发|跟进|联系|回电|报价|拜访|寄|送|准备|安排|确认|提醒|再聊|再谈|回复|催|提交|约)"
)
_LEAD_STRIP = re.compile(
    r"^(?:\s|[-–—:：,，.。'\x22‘’“”「」]|and\b|then\b|also\b|note to self\b|reminder\b|remind me to\b|to-?do\b|(?:can|could|shall) we\b|he said\b|she said\b|they said\b|said\b|说|說|讲|講|他说|她说|他們說|他们说|对方说|再|並|并|然后|之前|以前|前|"
    r"左右|前后|大概|大约|around\b|about\b|ish\b|"
    r"by\b|before\b|on\b|at\b|in\b|until\b|due\b|of\b)+"
)
_TAIL_STRIP = re.compile(
    r"(?:\s|[-–—:：,，.。'\x22‘’“”「」?？]|\b(?:at\s+)?(?:the\s+)?latest|最迟|最晚|\bby|\bbefore|\bon|\bat|\bin|\buntil|\bdue|\bnext|\bthis|\bfor|\bof|\bto|的|在|于|之前|以前|前)+$"
)


def _clause_bounds(text: str, s: int, e: int) -> tuple[int, int]:
    lo, hi = max(0, s - 200), min(len(text), e + 200)
    cs, ce = lo, hi
    for m in CLAUSE_BREAK.finditer(text, lo, hi):
        if m.end() <= s and not m.group().strip() in ("and", "but"):
            cs = m.end()
        elif m.start() >= e:
            if m.group().strip() in ("and", "but"):
                continue
            ce = m.start()
            break
    return cs, ce


# spoken fillers: "嗯 那个 就是 …", "um so uh …"
_FILLERS = re.compile(r"(?:(?<![a-z])(?:um+|uh+|erm|er|hmm+|like|you know|i mean|so)(?![a-z])|嗯+|呃+|那个|就是|然后呢|对吧|这个)(?=\s|$|[\u4e00-\u9fff])",
                      re.I)
_PARTICLES = re.compile(r"(?:[吧啊呀哈呢啦嘛哦喔]+|[~～!！]+)$")  # 下个月再说吧 -> 再说
_TO_PERSON = re.compile(r"(?:给|跟|和|与|向|替|帮|对|找|\bto|\bwith|\bfor|\bw/)\s*$", re.I)
_DATE_LEAD = re.compile(r"(?<![a-z])(?:on|by|at|before|until|till|due|in)\s+(?:the\s+)?$", re.I)
_KEEP_DATE = re.compile(r"(?:拖到|推到|延到|改到|挪到|到|至|\buntil|\btill|\bpushed to|\bmoved to)\s*$", re.I)


def task_text(text: str, s: int, e: int, cut: list[tuple[int, int]], within=None, others=()) -> str:
    """The words of the clause around [s, e) without the time phrase and the customer mention.

    "给张伟打电话催款2万8" -> "打电话催款2万8" (the name goes with its 给); "货款要拖到下个月" keeps its date,
    which the sentence needs."""
    cs, ce = _clause_bounds(text, s, e)
    if within is not None:  # the clause as split where a run-on note changes subject
        cs, ce = max(cs, within[0]), min(ce, within[1])
    chars = list(text[cs:ce])
    spans = []
    if s < e and not _KEEP_DATE.search(text[max(cs, s - 8):s]):
        lead = _DATE_LEAD.search(text, max(cs, s - 12), s)
        spans.append((lead.start() if lead else s, e))  # "calling back on Feb 1 to finalise": the "on" goes with its date
    for a, b in others:
        if cs <= a and b <= ce and not _KEEP_DATE.search(text[max(cs, a - 8):a]):
            spans.append((a, b))  # "on the fourteenth no sorry the fifteenth": the day taken back goes too
    for c in _CORRECTION.finditer(text.lower(), cs, ce) if others else ():
        spans.append(c.span())
    for a, b in cut:
        if a is None or text.startswith(("'s", "’s"), b):
            continue  # "a card for Hannah's husband": the name says whose, it stays
        p = _TO_PERSON.search(text[max(cs, a - 6):a])
        spans.append((a - (len(p.group()) if p else 0), b))
    for a, b in spans:
        for k in range(max(a, cs), min(b, ce)):
            chars[k - cs] = " "
    t = _FILLERS.sub(" ", "".join(chars))
    t = whole = re.sub(r"\s+", " ", t).strip()
    for _ in range(3):
        t = _LEAD_STRIP.sub("", t)
        t = _TAIL_STRIP.sub("", t)
    t = re.sub(r"\s+", " ", t).strip()
    if len(t) < 2 <= len(whole) <= 6 and _CJK.search(whole):
        t = whole  # "再打": stripping 再 would leave one character
    t = _PARTICLES.sub("", t).strip()
    t = re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", t)  # "约了 见面": where a name was cut
    if len(t) < 2 or not re.search(r"[\w\u4e00-\u9fff]{2}", t):
        return ""  # nothing left to say what to do: the caller names a default
    if len(t) > MAX_TASK_CHARS:
        t = t[:MAX_TASK_CHARS].rstrip() + "…"
    return t


def _is_interaction_today(n: str, mention, cs: int, ce: int, contact: bool = False, now=None) -> bool:
    """"visited him today" / 今天拜访了 / 今天打电话来问价: today is when it happened, not a due date.

    contact: the note says a contact took place (its channel is not "other")."""
    if mention.time is not None:
        # "下午三点打来电话" written at five: a time already past today is when it happened
        if now is None or mention.time > now.time().replace(tzinfo=None):
            return False
    elif not _TODAY_WORDS.match(mention.text.strip().lower()):
        return False
    clause = n[cs:ce]
    rest = clause.replace(mention.text.lower(), " ")
    return bool(_PAST_MARK.search(rest) or (contact and _CONTACT_IN.search(rest))) and not _ACTION_MARK.search(rest)


# a contact that came in or took place (the clause of "today" names it): 打电话来, 来电, 来公司, called, emailed
_CONTACT_IN = re.compile(r"打(?:了)?(?:个)?电话来|来电|打来|来(?:了)?(?:公司|我们|厂|店|访)|到(?:了)?\s?(?:我们|我司|公司|店里|门店|展厅|办公室|厂里)\s?来|微信|邮件|短信|视频|"
                         r"\b(?:called|phoned|rang|emailed|texted|messaged|visited|met)\b")


def choose_follow_ups(text: str, n: str, now: dt.datetime, mentions, birthday: Birthday | None,
                      customer_span, contact: bool = False, clauses=None,
                      skip=()) -> tuple[list, list]:
    """-> (follow-ups, earliest first; dates seen only in situation clauses).

    ``clauses``: the note's clauses with roles (clauses.split); ``skip``: spans that are not dates at all
    (a date word inside a company name, a birthday that is someone else's)."""
    from .clauses import clause_at

    today = now.date()
    # customer_span: one (start, end) or a list of them (every customer named)
    cut = list(customer_span) if isinstance(customer_span, list) else ([customer_span] if customer_span else [])
    items: list[tuple[tuple, FollowUp]] = []
    situational = []
    head = _dateline(n, mentions, now)
    expected: set[int] = set()  # dates of what others expect to happen ("next order expected after July 4")
    acted = False  # a dated next step of ours is in the note
    corrected_task = ""  # what was to be done on a day the speaker then corrected ("call him Thursday, no wait, Friday")
    mentions = _merge(list(mentions or [])[:MAX_MENTIONS], n)
    for m in mentions:
        try:
            if getattr(m, "past", False) or m.date is None or m.date < today:
                continue
            if birthday and m.start < birthday.end and birthday.start < m.end:
                continue
            if any(m.start < e and s < m.end for s, e in skip):
                continue
            if m.start in head:
                continue  # "Jan 26 9am - Olivia Grant, …": the note's dateline, when it happened
            if m.date == today and m.time is not None and not m.deadline and m.time < now.time().replace(tzinfo=None) \
                    and _DAY_WORD.search(m.text.lower()):
                continue  # "今晚11点还在聊" written at 23:30: that hour has passed
            if _ATTRIBUTE.match(n, m.end):
                continue  # "下个月的订单", "12月5号那批货": which order or batch, not when to act
            if getattr(m, "grain", "day") == "festival" and not m.deadline and _FESTIVAL_ATTRIBUTE.match(n, m.end):
                continue  # "new year order", "春节团", "国庆档期", "中秋礼盒": which goods, not when to act
            c = clause_at(clauses, m.start) if clauses else None
            role = _role_here(n, m, mentions, c)
            if role == "report" and _BARE_WEEKDAY_EN.match(m.text.strip().lower()) and c is not None \
                    and _WENT.search(n, c.start, c.end) and not _AHEAD.search(n, c.start, c.end):
                continue  # "visit on thurs at their plant went well": the Thursday that was
            if role == "situation":
                situational.append(m)
                continue
            if _BARE_WEEKDAY.match(m.text.strip().lower()) and c is not None and _STILL.search(n, c.start, c.end):
                continue  # "周日晚上还在回微信": the Sunday that just was
            if _BARE_WEEKDAY.match(m.text.strip().lower()) and (m.date - today).days == 7 and role in ("report", "plain") \
                    and _DATELINE.match(n, m.end):
                continue  # "Fri night, finally heard back…" written on a Friday: when it is, not next week
            if _heads_a_report(n, m, clauses):
                continue  # "Before Golden Week: Michael confirmed the order": a dateline over what happened
            if _RELATIVE_DAY.match(m.text.strip()) and _DAY_NAMED.match(n, m.end):
                continue  # "明天愚人节", "后天就是腊八了": what the day is, not something to do on it
            if _moved_from(n, m, c):
                continue  # "move tomorrow's site walk to Wednesday": the new date counts
            if _corrected_later(n, m, mentions):
                cs, _ = _clause_bounds(n, m.start, m.end)
                corrected_task = task_text(text, m.start, m.end, cut) or _previous_clause_task(text, cs, cut)
                kept = _CORRECTION.split(corrected_task.lower(), 1)[0]  # what to do, without "no actually she said"
                corrected_task = _HEDGE_END.sub("", corrected_task[:len(kept)])
                continue  # "call him Thursday, no wait, Friday", "下周五…不对，是下周四": the day said last counts
            if m.date == today and not m.deadline and m.time is None and (
                    _MORNING.search(m.text.lower()) and now.hour >= 11 or _AFTERNOON.search(m.text.lower()) and now.hour >= 17):
                continue  # "video call this morning" written at noon, "今天下午跟她开会" written at 17:30: when it happened
            if m.date == today and not m.deadline and c is not None and role in ("report", "plain") and m.time is None \
                    and not (role == "plain" and (later_today(m, now) or _IMPERATIVE.match(n, c.start))):
                continue  # "今天去了…", "今天好累": when it happened or how it was, not a due date
            cs, ce = _clause_bounds(n, m.start, m.end)
            rolled = m.date == today + dt.timedelta(days=1) and m.time is not None and not _DAY_WORD.search(m.text.lower())
            if (m.date == today or rolled) and _is_interaction_today(n, m, cs, ce, contact, now):
                continue
            if rolled and c is not None and role == "report":
                continue  # "早上七点半接到电话" written in the evening: when it happened
            within = (c.start, c.end) if c is not None and c.start <= m.start and m.end <= c.end else None
            others = [(x.start, x.end) for x in mentions if x is not m and getattr(x, "past", False) is False and x.end <= m.start]
            task = task_text(text, m.start, m.end, cut, within, others) or corrected_task or _previous_clause_task(text, cs, cut) or _default_task(text)
            corrected_task = ""
            items.append(((m.date, m.time or dt.time(23, 59), m.start), FollowUp(m.date, m.time, task, start=m.start)))
            if c is not None and _theirs(n, _with_lead(n, c, m, clauses), m, role):
                expected.add(m.start)
            elif role in ("next", "plain"):
                acted = True
        except Exception:
            continue
    if birthday and birthday.action and not _action_has_own_date(n, birthday, items, clauses):
        d = next_occurrence(birthday, today)
        early = _EARLY.search(n, birthday.end, birthday.end + 60)
        if d is not None and early:  # "send flowers the day before", "提前两天寄过去"
            k = early.group(1) or early.group(2) or "1"
            days = int(k) if k.isdigit() else {"一": 1, "两": 2, "二": 2, "三": 3, "a": 1, "one": 1, "two": 2, "three": 3}.get(k, 1)
            d = d - dt.timedelta(days=days)
        if d is not None:
            after = text[birthday.end:]
            task = task_text(text, birthday.end + 1, birthday.end + 1, cut) if after.strip(" ，,。.") else ""
            items.append(((d, dt.time(23, 59), birthday.start), FollowUp(d, None, task or _birthday_task(text))))
    # "周四才上班，到时候再打给她", "back Oct 12, call her then": the action points back at the day just named
    for then in _THEN.finditer(n):
        back = [m for m in situational if m.end <= then.start() and m.date is not None and m.date >= today]
        if back and not any(f.start is not None and back[-1].end <= f.start < then.end() for _, f in items):
            m = back[-1]
            s, e = (then.start(), then.end()) if _CJK.match(then.group()) else (then.start(), then.start())
            task = task_text(text, s, e, cut) or _default_task(text)  # 到时候 goes; "call her then" stays
            items.append(((m.date, m.time or dt.time(23, 59), m.start), FollowUp(m.date, m.time, task, start=m.start)))
            situational = [x for x in situational if x is not m]
    nothing_to_do = bool(_NO_NEED.search(n))
    if nothing_to_do and items:
        # "Christmas party tonight, … no follow-up": only a step asked for outright still stands
        kept = [x for x in items if (c := clause_at(clauses, x[1].start) if clauses and x[1].start is not None else None) is not None
                and c.role == "next"]
        situational += [m for m in mentions if any(x[1].start == m.start for x in items if x not in kept)]
        items = kept
    if expected and (acted or nothing_to_do):
        # "order expected after the 4th of July, check in July 6", "Laura writes Nordwind will pay on Friday. follow
        # up Monday": what the customer will do or expects is the situation; our own step is the follow-up
        situational += [m for m in mentions if m.start in expected]
        items = [x for x in items if x[1].start not in expected]
    items = _without_context_dates(items, {m.start: m for m in mentions})
    items = _asap_refined(items, {m.start: m for m in mentions}, n)
    items.sort(key=lambda x: x[0])  # the earliest first: the spec's follow_up
    if items:
        return [f for _, f in items], situational
    # an action without a date
    pos = 0
    for piece in re.split(r"[,;:.!?\n，。；：！？]", n[:1500])[:30]:
        st = pos
        pos += len(piece) + 1
        if _ACTION_CLAUSE.search(piece) and not _PAST_MARK.search(piece[:6]) and not _DONE_ZH.search(piece) \
                and not (_CAME_IN.search(piece) and not _ASK_ZH.search(piece)):
            task = task_text(text, st, st, cut)
            if task:
                return [FollowUp(None, None, task)], situational
    return [], situational


def _with_lead(n: str, c, m, clauses):
    """A clause that is only its time phrase ("… will pay the invoices (€14,300 total) on Friday") reads with the
    clauses before it, back to the sentence's start."""
    from .clauses import Clause

    rest = (n[c.start:m.start] + n[m.end:c.end]).strip(" ,.:;()（）-–—")
    if rest not in ("", "on", "by", "at", "before", "until", "till", "in"):
        return c
    start = c.start
    for prev in reversed([x for x in clauses if x.end <= c.start]):
        if re.search(r"[.;!?。；！？\n]", n[prev.end:start]) or c.start - prev.start > 160:
            break
        start = prev.start
    return Clause(start, c.end, c.role)


def _action_has_own_date(n: str, birthday, items, clauses) -> bool:
    """"阳历生日1月3号，元旦后一起吃个饭庆祝": what to do for the birthday is said with a day of its own."""
    from .birthdays import _ACTION
    from .clauses import clause_at

    act = _ACTION.search(n, birthday.end)
    c = clause_at(clauses, act.start()) if act and clauses else None
    return c is not None and any(f.start is not None and c.start <= f.start < c.end for _, f in items)


def _dateline(n: str, mentions, now: dt.datetime) -> set[int]:
    """The time phrases that open the note as its dateline ("Jan 26 9am - Olivia …", "Sat 12 Dec, 7pm — …",
    "3 Dec 16:00 - teams demo", "18.10. 11:00 Laura"): when it happened, so a moment already past (a date
    that rolled to next year because it has passed, a clock earlier today)."""
    out: set[int] = set()
    pos = len(n) - len(n.lstrip(" \t*-•>#"))
    run = []
    for m in sorted(mentions, key=lambda x: x.start):
        if m.start < pos or n[pos:m.start].strip(" ,.") != "":
            break
        run.append(m)
        pos = m.end
    if not run or not _DATELINE_END.match(n, pos):
        return out
    today, clock = now.date(), now.time().replace(tzinfo=None)
    for m in run:
        d = getattr(m, "date", None)
        passed = d is not None and (d < today or (d - today).days > 300 or d == today and (m.time is None or m.time <= clock))
        if passed and not getattr(m, "deadline", False):
            out.add(m.start)
    return out


_DATELINE_END = re.compile(r"\s*(?:[-–—:：|,，]|\s[a-z\u4e00-\u9fff]|(?:记录|记|备忘|小记|纪要|notes?|log)\s*[:：])")
_ATTRIBUTE = re.compile(r"\s*(?:的|嗰|那|这|這)\s*(?:[一两二三四五六七八九十几\d]*\s*)?(?:批|单|张|份)?\s*(?:订单|货|单子|账单|对账单|发票|报表|账目|工资|业绩|销量)|"
                        r"的?(?:预算|目标|指标|考核|业绩|报表|冲量)")  # 年底预算: which budget, not when
# a festival naming the goods or the season's business right after it ("christmas orders", "春节团的大巴")
_FESTIVAL_ATTRIBUTE = re.compile(
    r"(?:节|\s?festival)?\s?(?:(?:orders?|promo(?:tion)?s?|campaigns?|gifts?|gift ?(?:boxes|sets|packs)|boxes|hampers?|rush|stock|"
    r"sales?|budgets?|season|menus?|catalog(?:ue)?s?|collections?|displays?|volumes?|shipments?|bonus(?:es)?|range|packaging|"
    r"bookings?|tours?|specials?)(?![a-z])|团|档期|礼盒|礼品|花礼|花篮|礼篮|月饼|订单|促销|活动|备货|套餐|包团|团购|的货|大巴|广告|专场|特卖|新品|档)")
_BARE_WEEKDAY_EN = re.compile(r"^(?:on\s+)?(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?$")
_WENT = re.compile(r"(?<![a-z])(?:went|was|were|had|did|got|came)(?![a-z])")
_AHEAD = re.compile(r"(?<![a-z])(?:will|'ll|next|again|coming|upcoming|planned)(?![a-z])")
_NO_NEED = re.compile(r"(?<![a-z])(?:nothing (?:else )?to do|no action|no follow[- ]?up|nothing needed)(?![a-z])|不用跟|无需跟进|不需要跟进|没什么要做")
# the customer's own step or what others expect ("he'll pay within 30 days", "Nordwind will pay … on Friday",
# "samples arriving Monday", "she'll call me after the holiday"), unless we act in the same clause
_THEIRS = re.compile(r"(?<![a-z])(?:(?:he|she|they|it)(?:'ll| will| is going to| are going to|'d| would)|will (?:pay|send|confirm|sign|decide|"
                     r"call (?:me|us)|get back|reorder|order|transfer|wire|come back|revert))(?![a-z])|"
                     r"(?<![给跟和与帮替找让叫对向])(?:他|她|他们|她们|对方|客户)(?:说)?(?:会|要|准备|打算)?(?:在|于)?\S{0,6}?(?:付|打款|到账|涨价|提价|降价|决定|定下来|回复我|给我回)|"
                     r"[说話话讲]\S{0,10}?(?:涨价|提价|降价|调价|不续|再定|再决定|定下来|放假|搬)|(?<![催要追跟收])(?:付款|付清|打款|到账|回款)|(?<=[后前底初中号])付\s*$")
_OURS = re.compile(r"(?<![a-z])(?:i'll|we'll|i will|we will|let's|remind me|i need|we need|need to|pls|please|chase|follow up|remind)(?![a-z])|"
                   r"我(?:们)?(?:会|要|再)|记得|提醒|催|跟进|再(?:打|联系|问|约|找)|找他|找她")


def _theirs(n: str, c, m, role: str) -> bool:
    piece = n[c.start:c.end]
    if _OURS.search(piece):
        return False
    return bool(_EXPECTED.search(piece) and role in ("plain", "report") or _THEIRS.search(piece))


# what others expect to happen, said without a step of ours: an arrival, an expected order
_EXPECTED = re.compile(r"(?<![a-z])(?:expected|arriv(?:es|ing|al)|lands?|landing|eta|due to (?:arrive|land|ship|come))(?![a-z])|"
                       r"预计|预期")  # (not 到货 alone: "元宵前到货" is the day goods must be there)
# a clause that opens with what to do ("invoice today", "talk to credit team today"): today is when to do it
_IMPERATIVE = re.compile(r"[\s\-–—:,.]*(?:pls |please )?(?:invoice|bill|send|call|email|talk to|ping|text|chase|follow up|remind|book|"
                         r"order|ship|check|confirm|update|prepare|submit|reply|ring)(?![a-z])")
_DONE_ZH = re.compile(r"了(?!解)|已经|已")  # "给李姐回电话了": done, not a to-do
_CAME_IN = re.compile(r"(?:发|寄|打|传|送)\S{0,4}?过来")  # "他发邮件过来": they sent it, unless we ask for it
_ASK_ZH = re.compile(r"让|叫|请|要|催|记得")
_THEN = re.compile(r"到时候|到时|届时|那时候?再|那天再|(?:搬|装修|开业|开张|放假|回来)(?:完|好)?了?(?:再|之后再|以后再)|\b(?:call|ring|email|text|ping|message|see|visit|contact|remind)\s+(?:her|him|them|me|us)\s+then\b|"
                   r"\bthen\s+(?:call|ring|email|text|ping|follow up)\b|\bat that point\b")
_AFTER_WORDS = re.compile(r"后|过完|过了|after|post")


def _without_context_dates(items, by_start):
    """A vague date that a precise one refines or overrides is context, not a task of its own: "下个月来上海，约了7月8号"
    (July, then the 8th), "三月份开新店，报价3/5给他", "国庆放八天，10月9号再说" (a festival alone beside any other date)."""
    def grain(f):
        m = by_start.get(f.start)
        return getattr(m, "grain", "day") if m is not None else "day"

    def bare_festival(f):
        m = by_start.get(f.start)
        return grain(f) == "festival" and not getattr(m, "deadline", False) and not _AFTER_WORDS.search(m.text.lower())

    precise = [f for _, f in items if f.date is not None and grain(f) == "day"]
    out = []
    for key, f in items:
        g = grain(f)
        if g == "month" and any((p.date.year, p.date.month) == (f.date.year, f.date.month) for p in precise):
            continue
        if g == "week" and any(f.date <= p.date <= f.date + dt.timedelta(days=6) for p in precise):
            continue
        if bare_festival(f) and any(not bare_festival(o) for _, o in items if o is not f):
            continue
        if g == "festival" and _after_festival(by_start.get(f.start)) and any(f.date <= p.date <= f.date + dt.timedelta(days=21) for p in precise):
            continue  # "年后再说。正月十六再打给他": the precise day says when after the festival
        out.append((key, f))
    return out


def _asap_refined(items, by_start, n: str):
    """"send engineer asap, Wednesday latest": a day said with the "asap" says by when; asap alone stays today."""
    def asap(f):
        m = by_start.get(f.start)
        return m is not None and _ASAP.fullmatch(m.text.lower().strip()) is not None

    out = []
    for key, f in items:
        if asap(f) and any(o is not f and not asap(o) and o.date is not None and o.start is not None and f.start < o.start
                           and o.start - f.start <= 60 and not _SENTENCE_END.search(n, f.start, o.start) for _, o in items):
            continue
        out.append((key, f))
    return out


_ASAP = re.compile(r"asap|a\.s\.a\.p\.?|right now|now|尽快|马上|立刻|立即")


def _after_festival(m) -> bool:
    return m is not None and not getattr(m, "deadline", False) and bool(_AFTER_WORDS.search(m.text.lower()))


_CJK = re.compile(r"[\u4e00-\u9fff]")
_LAST_BEFORE = re.compile(r"的?最后一|\s*(?:the\s+)?last\b")
_STATED = re.compile(r"(?:就是|正好是|刚好是|恰好是|就)$")  # not "就是 明天" spoken as a filler
_MOVE_TO = re.compile(r"\b(?:move|moved|moving|reschedul\w*|push(?:ed)?|postpone\w*|shift\w*|bump\w*)\b.*?\bto\b|改到|改成|推迟到|延到|挪到|推到|调到")


_BARE_WEEKDAY = re.compile(r"^(?:周|星期|礼拜)[一二三四五六日天末](?:早上|上午|中午|下午|晚上)?$|^(?:monday|tuesday|wednesday|thursday|"
                           r"friday|saturday|sunday)(?: (?:morning|afternoon|evening|night))?$")
_STILL = re.compile(r"还在|正在|\bstill (?:at|in|working|up)\b")
_MORNING = re.compile(r"this morning|今早|今天上午|今天早上|早上|上午")
_AFTERNOON = re.compile(r"下午|午后|this afternoon|afternoon")
_EVENING = re.compile(r"晚上|今晚|傍晚|tonight|this evening|evening")


def later_today(m, now: dt.datetime) -> bool:
    """"今天下午", "tonight" said before that part of the day: still ahead."""
    if m.date != now.date() or m.time is not None:
        return False
    t = m.text.lower()
    return bool(_AFTERNOON.search(t) and now.hour < 12 or _EVENING.search(t) and now.hour < 17)


def _role_here(n: str, m, mentions, c) -> str:
    """The role of a time mention's own words. A Chinese time phrase comes before what it dates ("七月份去新加坡
    开店 八月份再约"), so in Chinese the words from the mention up to the next one decide; else the clause does."""
    if c is None:
        return "plain"
    if _STATED.search(n, max(c.start, m.start - 3), m.start) or _LAST_BEFORE.match(n, m.end):
        return "situation"  # "大后天就元旦了", "正好是中秋", "年前最后一次拜访": what the day is, not what to do on it
    if not _CJK.search(n[m.end:m.end + 2]):
        return c.role
    nxt = min((x.start for x in mentions if x.start > m.start), default=c.end)
    piece = n[m.end:min(nxt, c.end)]
    words = re.match(r"\s*\S{2,}", piece)
    if words and len(piece) > len(words.group()) + 1 and len(re.findall(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", n)) >= 3:
        piece = words.group()  # a note spoken word by word: the words right after the time say what it dates
    if len(piece.strip()) < 2:
        return c.role
    from .clauses import role_of

    own = role_of(piece)
    return own if own != "plain" else c.role


_DATELINE = re.compile(r"\s*(?:night|evening|morning|afternoon|晚上|早上|上午|下午)?\s*(?:[,:：，\-–—]|catch[- ]?up|recap|update|wrap|"
                       r"[.!](?=\s|$)|(?:lol|haha|ugh|again|already)(?![a-z]))")  # "Sunday lol. Olivia said …"
_RELATIVE_DAY = re.compile(r"^(?:今天|明天|后天|大后天|今日|明日|tomorrow|today)$", re.I)
_DAY_NAMED = re.compile(r"(?:就|也|正好|刚好)?是?(?:[\u4e00-\u9fff]{1,3}节(?![目省约点奏])|腊八|除夕|小年|冬至|夏至|立春|立秋|立冬|圣诞|平安夜)"
                        r"(?:了|啊|哈+|呀|啦)?\s*(?:[,，。.!！~～;；]|$)|"
                        r"\s+(?:is|'s)\s+(?:a\s+|the\s+)?(?:sat(?:urday)?|sun(?:day)?|weekend|holiday|public holiday|day off|christmas|"
                        r"new year'?s(?: day)?|[a-z]+ day)\b")  # "Tomorrow is Sat, try Mon": what the day is


def _heads_a_report(n: str, m, clauses) -> bool:
    """The time phrase is the whole first clause, ended by ':' or ',', and the next clause reports what happened."""
    if not clauses or m.start > 3:
        return False
    k = next((i for i, c in enumerate(clauses) if c.start <= m.start < c.end), None)
    if k is None or k + 1 >= len(clauses) or clauses[k + 1].role != "report":
        return False
    head = n[clauses[k].start:clauses[k].end]
    rest = head.replace(n[m.start:m.end], " ", 1)
    return not re.search(r"[a-z\u4e00-\u9fff]{2}", re.sub(r"\b(?:the|on|at|in|night|evening|morning|afternoon)\b", " ", rest)) \
        and bool(re.match(r"\s*[:：,，\-–—]", n[clauses[k].end - 1:clauses[k].end + 1]) or re.match(r"\s*[:：,，\-–—]", n[m.end:m.end + 3]))


# the speaker corrects the day just said: "Thursday, no wait, Friday", "end of next week I think no actually the 30th"
_CORRECTION = re.compile(r"\bno[,!.]?\s+(?:wait|actually|sorry)\b|\b(?:wait|sorry|oops)[,!.]?\s+no\b|\bi mean\b|\bscratch that\b|"
                         r"\bmake (?:it|that)\b|\bcorrection\b|不对|说错了?|更正|应该是|改成|改为|改到")


_HEDGE_END = re.compile(r"[\s,，]*(?:\b(?:i think|i guess|uh+|um+|er|like)\b[\s,，]*)*$", re.I)


def _corrected_later(n: str, m, mentions) -> bool:
    nxt = next((x for x in mentions if x.start >= m.end and x.date is not None), None)
    return nxt is not None and nxt.start - m.end <= 60 and bool(_CORRECTION.search(n, m.end, nxt.start))


def _moved_from(n: str, m, c) -> bool:
    """In "move X to Y" / "X改到Y", X is the old date."""
    if c is None:
        return False
    mv = _MOVE_TO.search(n, c.start, c.end)
    return bool(mv) and m.end <= mv.end() and any(
        ch.isalnum() for ch in n[mv.end():c.end])


def _previous_clause_task(text: str, cs: int, cut) -> str:
    """"给王伟打电话催款，明天": the date stands alone; the clause before it says what to do."""
    if cs <= 1:
        return ""
    ps, _ = _clause_bounds(text, cs - 2, cs - 1)
    piece = text[ps:cs]
    if _ACTION_CLAUSE.search(piece.lower()) and not _PAST_MARK.search(piece.lower()):
        return task_text(text, ps, ps, cut)
    return ""


def action_task(text: str, n: str, start: int, end: int, cut) -> str | None:
    """The task of a clause that asks for something without a date ("张总要样品"), or None."""
    piece = n[start:end]
    if not _ACTION_CLAUSE.search(piece) and not re.search(r"要|想要|需要|\bwants?\b|\bneeds?\b", piece):
        return None
    return task_text(text, start, start, list(cut)) or None


_EOD = re.compile(r"^(?:by\s+)?(?:eod|cob|end\s+of\s+(?:the\s+)?(?:business\s+)?day|close\s+of\s+business|下班前|下班之前)$")
_JOIN_GAP = re.compile(r"[\s,，、(（)）@]*(?:at|on|the|的|在)?[\s,，、(（)）@]*", re.I)


def _merge(mentions, text: str = ""):
    """"Friday" + "5pm" found apart become one mention; so do "3pm coffee … tomorrow" in one clause."""
    mentions = sorted(mentions, key=lambda m: m.start)
    # "by next Wednesday EOD": the end of that day, not of today
    mentions = [m for m in mentions if not (_EOD.match(m.text.lower()) and any(
        o is not m and o.date is not None and (0 <= m.start - o.end <= 3 or 0 <= o.start - m.end <= 3) for o in mentions))]
    out = []
    for m in mentions:
        if out:
            p = out[-1]
            if p.time is None and m.time is not None and 0 <= m.start - p.end <= 4 and not getattr(m, "past", False) \
                    and not _DAY_WORD.search(m.text.lower()) and _JOIN_GAP.fullmatch(text[p.end:m.start] if text else ""):
                out[-1] = _Merged(p.start, m.end, p.text + " " + m.text, p.date, m.time, p.deadline or m.deadline, p.past)
                continue
        out.append(m)
    return _pair_day_and_clock(out, text) if text else out


def _pair_day_and_clock(mentions, text: str):
    """A clock time with no day of its own takes the day said elsewhere in its clause."""
    out = list(mentions)
    for clock in [m for m in out if m.time is not None and not _DAY_WORD.search(m.text.lower())
                  and not getattr(m, "past", False)]:
        for day in out:
            if day is clock or day.time is not None or day.date is None or getattr(day, "past", False) \
                    or not (_DAY_WORD.search(day.text.lower()) or getattr(day, "grain", "day") == "festival"):
                continue
            a, b = sorted((clock, day), key=lambda m: m.start)
            # a chat's reply that agrees and only names the hour: "'push the review to Aug 10?' / me: 'sure, 2pm?'"
            if a is day and b.start - a.end <= 60 and _AGREED_HOUR.search(text, a.end, b.start):
                pass
            # "next Thursday, dinner at 7pm", "下星期二嚟深圳，約咗喺公司見，下晝三點": a comma or a dash does not part them
            elif b.start - a.end > 40 or _SENTENCE_END.search(text, a.end, b.start) or (CLAUSE_BREAK.search(text, a.end, b.start) and (
                    a is clock or not _CLOCK_ONLY.match(clock.text.strip().lower()) or _OTHER_DAY.search(text, a.end, b.start))):
                continue
            merged = _Merged(min(a.start, b.start), max(a.end, b.end), text[a.start:b.end], day.date, clock.time,
                             day.deadline or clock.deadline, False)
            out = [x for x in out if x is not clock and x is not day] + [merged]
            break
    return sorted(out, key=lambda m: m.start)


_CLOCK_ONLY = re.compile(r"^(?:at\s+|@\s*|around\s+|about\s+)?(?:\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.|h)?|(?:12\s+)?noon|"
                         r"\d{1,2}\s*o'?clock)$|^(?:上午|下午|晚上|早上|中午|傍晚|下晝|下昼|朝早|晏晝|晏昼)?[零一二两三四五六七八九十\d]{1,3}(?:点|點|:\d{2})"
                         r"(?:半|一刻|三刻|[零一二三四五六七八九十\d]{1,3}分?)?(?:左右)?$")
# the other side's turn ("/ me:", "| Ben:", a new line) that opens by agreeing: the hour it names is for the day just asked
_AGREED_HOUR = re.compile(r"(?:[/|\n?.!]|^)\s*[\w\u4e00-\u9fff .'-]{0,20}[:：]\s*['\"‘“「]?\s*(?:sure|ok|okay|yes|yep|yeah|fine|sounds good|works|deal|"
                          r"no problem|np|好的?|可以|行|没问题|冇问题|ok的)\b[\s,，!！.]*(?:at\s+|@\s*)?$", re.I)
_SENTENCE_END = re.compile(r"[.;!?。；！？\n]|\b(?:then|and then|after that)\b|然后|再")
_OTHER_DAY = re.compile(r"今天|today|\bnow\b|现在|刚才|刚刚")


class _Merged:
    __slots__ = ("start", "end", "text", "date", "time", "deadline", "past")

    def __init__(self, start, end, text, date, time, deadline, past):
        self.start, self.end, self.text, self.date, self.time, self.deadline, self.past = start, end, text, date, time, deadline, past


def _default_task(text: str) -> str:
    return "跟进" if re.search(r"[\u4e00-\u9fff]", text) else "follow up"


_EARLY = re.compile(r"(?:the\s+)?(?:(\d|a|one|two|three)\s+)?days?\s+(?:before|early|ahead)|前一天|提前(\d|一|两|二|三)?天")


def _birthday_task(text: str) -> str:
    return "生日祝福" if re.search(r"[\u4e00-\u9fff]", text) else "birthday"
