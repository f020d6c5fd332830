"""Lexicons for quick notes (Chinese + English): channel, risk and outcome.

All functions take the *normalized* note (lower-case, half-width, Simplified; see names.normalize_text) so one
lexicon covers Traditional input and any capitalisation. Each returns plain values; none raises.
"""
from __future__ import annotations

import re

from .vocab import alternation, load


def _rx(pattern: str) -> re.Pattern:
    # ASCII word boundaries: a Chinese character next to an English word is a boundary ("whatsapp话", "called了")
    return re.compile(pattern, re.ASCII)


# a comma, point or colon between digits is part of a number (45,000  1.5  10:30)
CLAUSE_BREAK = _rx(r"(?<!\d)[,:.]|[,:.](?!\d)|[;!?\n，。；：！？、()（）\[\]—–•]|\s-\s|\s\*\s|\band\b|\bbut\b|但是|然后|并且")

# ---------------------------------------------------------------------------------------------------------------
# Channel
# ---------------------------------------------------------------------------------------------------------------
# (pattern, channel, kind): kind "past" = clearly happened, "noun" = the medium named, "imp" = an imperative
# English verb (call her / email him / ping her): always a plan, never the channel.
def _joined(cues: list[str]) -> str:
    return "|".join(cues)


_LEXICON = load("lexicon")  # data/lexicon.toml: the cue words, one alternative per line
_CHANNEL_CUES: list[tuple[str, str, str]] = [
    (_joined(c["cues"]).replace("{company_words}", alternation(load("company_words")["zh"])), c["channel"], c["kind"])
    for c in _LEXICON["channel"]
]
_CHANNEL_RES = [(_rx(p), ch, kind) for p, ch, kind in _CHANNEL_CUES]

_PLAN_NEAR_EN = _rx(
    r"(?<![a-z])(?:will|'ll|(?<!note )(?<!notes )(?<!memo )(?<!reply )(?<!replies )(?<!response )(?<!answer )(?<!spoke )(?<!spoken )(?<!talked )(?<!chatted )(?<!wrote )(?<!went )(?<!replied )(?<!through )(?<!out )to|need to|needs to|going to|gonna|should|must|plan(?:ning|s)? to|want(?:s)? to|let'?s|please|pls|"
    r"remind me to|can|could|would|shall)\s+(?:\w+\s+){0,2}$"
)
_PLAN_CLAUSE_EN = _rx(
    r"(?<![a-z])(?:schedul(?:e|ed|ing)|set(?:ting)? up|arrang(?:e|ed|ing)|book(?:ed|ing)?|next|upcoming|kick-?off|follow-?up|"
    r"propos(?:e|ed|ing)|request(?:ed|s)?|asked for|wants?|invit(?:e|ed|ing))\b[^,;:.!?]*$"
)
_PLAN_BEFORE_ZH = _rx(
    r"(?:要|再(?!次)|记得|准备|打算|计划|安排|约(?:了|好)?|待会|回头|下次|需要|会|将|想|提醒|别忘了?|到时|请|帮我|稍后|晚点|改天|"
    r"尽快|马上|必须|一定要|务必|赶紧|明天|后天|大后天|下周|下星期|下个?月|(?<!上)(?<!今天)(?<!今天是)(?<!今日)周[一二三四五六日天]|(?<!上)(?<!今天)(?<!今天是)(?<!今日)星期[一二三四五六日天]|\d+号|\d+月|\d+日|\d+点|天后|周后|"
    r"月底|月初|过几天|过两天|年后|节后|(?:这|本|下)?(?<!今天)(?<!今日)周末)[^，。；：！？,;:!?]{0,6}$"
)
_FUTURE_AFTER_EN = _rx(
    r"^\W{0,3}(?:\w+\W+){0,2}?(?:on |at |for |this |next |)?(?:tomorrow|tonight|next|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|mon|tue|wed|thu|fri|sat|sun|\d{1,2}/\d{1,2}|\d{1,2}\s*(?:am|pm)|in \d+|later|soon|"
    # a month only as a date ("in March", "Mar 5"), not the first word of a name ("April Textiles")
    r"(?:(?:in|by|until|till|early|late|mid)\s+)(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|"
    r"july|august|september|october|november|december)|(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|"
    r"april|may|june|july|august|september|october|november|december)\.?\s*\d{1,2}(?!\d))\b"
)
# a day still to come said first in the clause: "明早九点给Priya回电话"
_PLAN_SOON_ZH = _rx(r"(?<!昨)(?:明天|明早|明晚|后天|大后天|今晚|待会|回头|下周\S?|下个?月)[^，。；：！？,;:!?]{0,14}$")
_RESCHEDULE = _rx(r"\b(?:moved|rescheduled|postponed|pushed|brought forward|cancelled|canceled)\b|改到|改期|推迟|延期|提前到|挪到")


_SENTENCE_STOP = _rx(r"[.;!?。；！？\n](?=\s|$)")


def detect_channel(n: str, places=(), future=(), clauses=None) -> str:
    """How the interaction happened: call / visit / meeting / email / message / other.

    ``places``: spans naming the customer ("去阳光农业" is a visit to them); ``future``: spans of time phrases
    that are still ahead, which make a contact in their clause a plan ("明天去…开会"), not what happened.
    """
    try:
        found = _detect_channel(n, places, future, clauses)
        if found == "other" and _CJK_GAP.search(n):
            # a note spoken word by word ("今天 到店裡 來 看沙發", "约 吃饭"): read again without the spaces
            t, at = tightened(n)
            found = _detect_channel(t, at(places), at(future), at_clauses(at, clauses))
        return found
    except Exception:
        return "other"


def tightened(n: str):
    """``n`` without the spaces between Chinese words, and a function taking spans of ``n`` to spans of it."""
    from bisect import bisect_left

    from .when.normalize import without

    tight, where = without(n, _CJK_GAP) or (n, [*range(len(n)), len(n)])

    def at(spans):
        return [(bisect_left(where, a), bisect_left(where, b)) for a, b in spans or ()]

    return tight, at


def at_clauses(at, clauses):
    if not clauses:
        return clauses
    # the clauses' own type (clauses.Clause; importing it here would make a loop: clauses reads this module)
    return [type(c)(a, b, c.role) for c, (a, b) in zip(clauses, at([(c.start, c.end) for c in clauses]))]


# going to the customer named right after: 去阳光农业, 到了远航船务, went to Hooli, dropped by Acme
_GO_TO_ZH = _rx(r"(?:(?<![送寄发运交递传转回收拿带])到|去|前往|跑|赶)(?:了|过)?(?:一趟|趟|一下)?(?:找|见)?\s?$")
_GO_TO_EN = _rx(
    r"\b(?:went|go|goes|going|drove|headed|flew|popped|dropped|stopped|swung)\s+(?:over\s+|out\s+|down\s+|up\s+)?"
    r"(?:to|by|in\s+at|into)\s+(?:the\s+)?$"
)
# a contact cue that says it has happened, whatever date is near it
_DONE_CUE = _rx(r"了|过(?![\u4e00-\u9fff])|\b\w+ed\b|\b(?:met|went|came|rang|spoke|had|got|took|made|saw|sent)\b|"
                r"没人接|无人接听|打不通|未接|关机|占线|不接电话|\bno answer\b|\bvoice\s?mail\b|\bdidn'?t (?:answer|pick up)\b")
_DONE_JUST_BEFORE = _rx(r"\b(?:had|got|took|did|grabbed|was at|were at|went to|joined)\s+(?:a\s+|the\s+|some\s+)?$|接到|收到|跟.{1,6}吃了|和.{1,6}吃了|"
                        # "mentioned on the phone", "said on WhatsApp", "told me over the phone": what was said there
                        r"\b(?:said|mentioned|told (?:me|us)|confirmed|agreed|complained|explained|replied|wrote|promised|asked)\s+(?:\w+\s+)?$")
_INCOMING = _rx(r"来电|打来|发来|寄来|回电|回了|微信(?:问|说|讲|催|找|里说)|接到|收到")  # they contacted us: it has happened
_SAID_AFTER = _rx(r"说|讲|话|表示|告诉|告知|称|提到|反馈|问|回复|答应|同意|\b(?:says?|said|told|asked|mentioned|wants?|wanted)\b")
_CONTACTED_US = _rx(r"来电|打来|发来|微信(?:问|说|讲|催|找|里说)|接到|收到")
_TO_DO_LIST = _rx(r"\s*(?:待办|待做|todo|to-?do|备忘|提醒自己|reminders?)\s*(?:[:：]|[-–—]\s)")
# the contact took place at a time already past: "on the call this morning", "电话里昨天"
_PAST_TIME_AFTER = _rx(r"\s*(?:[a-z]+\s+){0,2}?(?:this morning|earlier today|earlier|yesterday|last (?:week|night|friday|monday|tuesday|"
                       r"wednesday|thursday)|just now)\b")
_GOING_ON = _rx(r"(?:还在|正在|刚在|刚刚|刚才|刚)(?:跟|和|与|同)?\S{0,2}\s?$|(?:还在|正在|刚在)(?:跟|和|与|同)\S{1,6}?\s?$|(?:也|还|又)(?:发|打|来|回)?$")
_DEADLINE_WORD = _rx(r"前|之前|以前|\bby\b|\bbefore\b|\bdue\b")
_REPORTED = _rx(r"\s?(?:里)?(?:说|讲|告诉|表示|提到|通知)")
_DONE_BEFORE = _rx(r"还在|正在|已经|已|刚刚|刚才|刚|昨天|前天|上周|上次|just\b|already\b|yesterday\b|earlier\b|last\s+\w+")


# after the cue, in its sentence, the note says how it went or what was said there: it has happened
_WENT_AFTER = _rx(
    r"^[^.;!?。；！？]{0,60}?(?:\b(?:went|was|were) (?:really |very |pretty |quite )?(?:well|great|good|fine|ok|okay|badly|smoothly|"
    r"productive|positive|useful|tough|difficult)\b|\bsigned off\b|\b(?:he|she|they) (?:agreed|approved|liked|loved)\b|"
    r"(?:聊|谈|吃|玩|喝|见|相处)得(?:很|挺|非常|特别|还|蛮|超)?(?:开心|愉快|好|不错|顺利|投机|尽兴|融洽))"
)
_SAID_NEXT = _rx(r"^[,，]\s?(?:他|她|佢|对方|客户)(?:们|哋)?(?:说|话|讲|表示|讲话)|^[,，]\s?(?:he|she|they) (?:said|told|says)\b")
# we are there now: "both at the builders' dinner tonight", "we're at the expo"
_PRESENT_AT = _rx(r"\b(?:both|all|we|i|he|she|they)\s+(?:were\s+|was\s+|are\s+|am\s+|is\s+|'re\s+|'m\s+)?(?:at|in) (?:the|a|an|this|their|his|her)\s+(?:[\w'-]+\s+){0,4}$")
_TODAY_ONLY = _rx(r"^(?:tonight|today|this evening|今晚|今天|今日)$")
# "给王建国发个邮件": a message to send (one already sent says 发了)
_TO_SEND_ZH = _rx(r"给[^，。,;；]{1,10}?发(?:个|一个|封|一封|条|一条)\s?$")
_CALL_TO_ZH = _rx(r"给[^，。,;；]{1,12}$")
_DONE_AFTER_ZH = _rx(r"\s?(?:了|过|完)")
# a heading ("Tom's team visit - tuesday 3pm") followed by the day it will be
_HEADER_AFTER = _rx(r"\s*[:：-]")
# "李秀英 微信 …", "Tom whatsapp: …": a medium right after the name, then what was written
_MEDIUM_HEADING = _rx(r"\s*[:：]|\s+\S")
_AGAIN = _rx(r"\s?(?:再|again\b)")  # "中秋后再谈": talk again, so they have talked
# "要开个视频会讲…": 讲 is what it will be about, not what was said
_MODAL_ZH = _rx(r"(?:要|准备|打算|计划|安排|约)\S{0,3}$")
# "我们在展会上见": we will see each other there
_SEE_YOU_AT = _rx(r"^(?:上|里|那边|门口)?见(?![了过面到])")


def _clause_end(n: str, pos: int) -> int:
    m = CLAUSE_BREAK.search(n, pos)
    return m.start() if m else len(n)


def _happened_after(n: str, s: int, e: int, future) -> bool:
    """After the cue: how it went ("went well", "signed off"), or what they said there, with no day ahead in its clause."""
    if _WENT_AFTER.match(n[e:]):
        return True
    ce = _clause_end(n, e)
    return bool(_SAID_NEXT.match(n[ce:])) and not any(s - 12 <= fs and fe <= ce for fs, fe in future or ())


def _there_now(n: str, cs: int, s: int, e: int, future) -> bool:
    """"both at the builders' dinner tonight": we are there as the note is written."""
    if not _PRESENT_AT.search(n[max(cs, s - 40): s]):
        return False
    ce = _clause_end(n, e)
    return all(_TODAY_ONLY.match(n[fs:fe]) for fs, fe in future or () if cs <= fs and fe <= ce)


def _clause_start(n: str, pos: int) -> int:
    last = 0
    for m in CLAUSE_BREAK.finditer(n, 0, pos):
        last = m.end()
    return last


def _detect_channel(n: str, places=(), future=(), clauses=None) -> str:
    found: list[tuple[int, int, str, str]] = []
    for rx, ch, kind in _CHANNEL_RES:
        for m in rx.finditer(n):
            if m.end() > m.start() and not any(ps <= m.start() and m.end() <= pe for ps, pe in places or ()):
                found.append((m.start(), m.end(), ch, kind))
    for ps, pe in places or ():
        before = n[max(0, ps - 24): ps]
        g = _GO_TO_ZH.search(before) or _GO_TO_EN.search(before)
        if g:
            found.append((ps - (len(before) - g.start()), pe, "visit", "past"))
    if not found:
        return "other"
    # longest cue wins where cues overlap ("video call" over "call")
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    chosen: list[tuple[int, int, str, str]] = []
    for f in found:
        if chosen and f[0] < chosen[-1][1]:
            continue
        chosen.append(f)
    for s, e, ch, kind in chosen:
        if kind == "imp":
            continue
        cs = _clause_start(n, s)
        before = _blank(n, places, cs, s)  # "明天教育的采购打电话来": 明天 is part of a name
        if _TO_DO_LIST.match(n):
            return "other"  # "待办：1. 给骆总打电话 …": everything in it is a plan
        if _TO_SEND_ZH.search(before):
            continue  # "给王建国发个邮件说价格": to send
        if n.startswith("回电", s) and _CALL_TO_ZH.search(before) and not _DONE_AFTER_ZH.match(n, e):
            continue  # "六点一刻 给 徐静 回电话": a call to return (but "给张强打电话，他说…" tells of one made)
        if ch in ("visit", "meeting", "call") and future and (_HEADER_AFTER.match(n[e:]) or n[s:e].rstrip()[-1:] in ":：-") \
                and any(e <= fs <= e + 4 for fs, _ in future) and not _done_cue(n, s, e):
            continue  # "Tom's team visit - tuesday 3pm": the day it will be
        if kind == "noun" and _SEE_YOU_AT.match(n[e:]):
            continue  # "展会上见": a meeting to come
        if _happened_after(n, s, e, future) or _there_now(n, cs, s, e, future):
            return ch
        if _MEDIUM_HEADING.match(n[e:]) and kind == "noun" and ch in ("message", "email") \
                and any(pe <= s and not n[pe:s].strip() for _, pe in places or ()) \
                and not any(e <= fs <= e + 2 and not _AGAIN.match(n[fe:]) and not re.match(r"\s*[:：]", n[e:]) for fs, fe in future or ()):
            return ch  # "李秀英 微信 中秋后再谈": the medium after the name heads what was written
        if _CONTACTED_US.search(n[max(cs, s - 3): e + 2]) or (not n.startswith(("打", "给"), s) and not _MODAL_ZH.search(before)
                                                               and _REPORTED.search(n[max(s, e - 1): e + 2])) \
                or _GOING_ON.search(n[max(cs, s - 6): s]) or _PAST_TIME_AFTER.match(n, e):
            return ch  # they wrote or called ("发微信问价格", "text说"): it happened
        if _PLAN_BEFORE_ZH.search(before) or _PLAN_SOON_ZH.search(before) or _PLAN_NEAR_EN.search(before) \
                or _PLAN_CLAUSE_EN.search(before):
            continue
        own_end = next((c.end for c in clauses or () if c.start <= s < c.end), s + 40)
        moved = _RESCHEDULE.search(n[s: min(s + 40, own_end)])
        if moved and not _done_cue(n, s, e):
            continue  # "meeting with Initech moved to Thursday": it has not happened
        if kind == "noun" and s > 0 and not moved and not _done_cue(n, s, e) and not _DONE_JUST_BEFORE.search(n[max(cs, s - 16): s]):
            end = e + 14
            while end < len(n) and n[end - 1].isascii() and n[end - 1].isalnum() and n[end].isascii() and n[end].isalnum():
                end += 1  # whole words: "sun" is not "sundaram"
            stop = _SENTENCE_STOP.search(n, e, end)  # not the next sentence's day ("… in emails. Respond by Fri")
            if _FUTURE_AFTER_EN.search(n[e:stop.start() if stop else end]):
                continue
        if future and _planned(n, s, e, cs, future, clauses):
            continue
        if ch == "meeting" and any(c == "visit" and k != "imp" and not (future and _planned(n, a, b, _clause_start(n, a), future, clauses))
                                   for a, b, c, k in chosen):
            return "visit"  # "见了黄磊" at their company: we went to them
        return ch
    return "other"


def _blank(n: str, spans, a: int, b: int) -> str:
    """n[a:b] with the characters of the given spans turned to spaces."""
    chars = list(n[a:b])
    for ps, pe in spans or ():
        for k in range(max(a, ps), min(b, pe)):
            chars[k - a] = " "
    return "".join(chars)


def _done_cue(n: str, s: int, e: int) -> bool:
    """The cue itself, or the character after it, says it happened (called, 见了, 视频过 but not 视频过设计稿)."""
    m = _DONE_CUE.search(n[s: e + 2])
    return m is not None and m.start() <= e - s


def _planned(n: str, s: int, e: int, cs: int, future, clauses=None) -> bool:
    """A time still ahead in the cue's clause, and nothing saying the contact already happened."""
    m = CLAUSE_BREAK.search(n, e)
    ce = m.start() if m else len(n)
    if clauses:  # a run-on note split where a new subject starts ("…见了黄磊聊得挺好的他们准备下周三下单")
        c = next((c for c in clauses if c.start <= s < c.end), None)
        if c is not None:
            cs, ce = max(cs, c.start), min(ce, c.end)
    # a time before the cue, or right after it ("meeting tomorrow"), not one inside what was said ("微信说…月底")
    said = _SAID_AFTER.search(n, e, ce)
    end = said.start() if said else ce
    if not any(fs < end and cs < fe for fs, fe in future):
        return False
    if _RESCHEDULE.search(n[cs:ce]):
        return False  # "meeting moved to Thursday": the meeting is what the note is about
    if any(cs <= fs and fe <= s and _DEADLINE_WORD.search(n[fs:fe]) for fs, fe in future):
        return True  # "春节前把协议签了": by a date still ahead, so not done yet
    if _done_cue(n, s, e) or _DONE_BEFORE.search(n[cs:s]) or _INCOMING.search(n[max(cs, s - 3): e + 1]) \
            or _DONE_JUST_BEFORE.search(n[max(cs, s - 16): s]):
        return False
    return True


# ---------------------------------------------------------------------------------------------------------------
# Risk
# ---------------------------------------------------------------------------------------------------------------
_RISK_CUES = {k: _joined(v["cues"]) for k, v in _LEXICON["risk"].items()}
_RISK_RES = {k: _rx(v) for k, v in _RISK_CUES.items()}
_NEGATION_BEFORE = _rx(
    r"(?<![a-z])(?:not|no|zero|never|n't|no longer|without|nor|isn'?t|wasn'?t|didn'?t|doesn'?t|hasn'?t|haven'?t|won'?t|any)\s*"
    r"(?:more\s+)?(?:[a-z']+\s+){0,3}$|"
    r"(?:不再|不会|没有|没|未|无|并不|并没有|别|不)(?:任何|什么|啥|再|打算|准备|想|会|要|太|那么|一点|用|需要|考虑|其他|其它|别的|更多)*$"
)
_RESOLVED = {k: _rx(_joined(v["resolved"])) for k, v in _LEXICON["risk"].items()}


_CJK_GAP = _rx(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


def detect_risks(n: str) -> list[str]:
    n = _CJK_GAP.sub("", n)  # a note spoken word by word ("欠款 已经 付清 了") reads as written
    out = []
    for risk, rx in _RISK_RES.items():
        try:
            if any(not _negated_resolution(n, r.start(), r.end()) for r in _RESOLVED[risk].finditer(n)):
                continue
            for m in rx.finditer(n):
                if not _negated(n, m.start(), m.group()):
                    out.append(risk)
                    break
        except Exception:
            continue
    return out


_NEG_RESOLUTION = _rx(
    r"(?:(?<![a-z])(?:not|never|hasn'?t|haven'?t|didn'?t|doesn'?t|won'?t|yet to|still not|not yet|if|once|when|until|before|should|will|to)|"
    r"没|未|还没|没有|如果|等|要|会|不|别|答应|承诺|保证|前(?!的)\S{0,2}|"
    # a settlement promised for a day ("下个月10号结清") has not happened yet
    r"(?:下个?月|下周|下星期|明天|后天|月底|年底|年前|节前|\d+[号日]|周[一二三四五六日天]|星期[一二三四五六日天])\S{0,3})\s*(?:been\s+)?$"
)
_TO_DO_BA = _rx(r"把[^，。,.!?；;]{0,12}$")  # "春节前把欠款结清": asked for, not done (unless 了 follows)


def _negated_resolution(n: str, s: int, e: int | None = None) -> bool:
    before = n[max(0, s - 14): s]
    if _NEG_RESOLUTION.search(before):
        return True
    return bool(_TO_DO_BA.search(before)) and not (e is not None and (n[e - 1:e] == "了" or n[e:e + 1] == "了"))


_NO_SUCH = _rx(r"(?:没有|没|无|并无|并没有|毫无|不存在)(?:任何|什么|啥|一点|一点点|太多|太大的?|多少)?(?:的)?\s?$|\b(?:no|without|zero)\s+$")


def _negated(n: str, s: int, cue: str) -> bool:
    before = n[max(0, s - 28): s]
    if cue[:1] in "不没未无" or cue.startswith(("not ", "hasn", "haven", "didn", "never", "still")):
        # the cue carries its own negation ("不满", "hasn't paid"), unless a "no" is said of it: "没有任何不满"
        return bool(_NO_SUCH.search(before))
    cs = _clause_start(before, len(before))
    return bool(_NEGATION_BEFORE.search(before[cs:]))


# ---------------------------------------------------------------------------------------------------------------
# Outcome
# ---------------------------------------------------------------------------------------------------------------
_WON = _rx(_joined(_LEXICON["outcome"]["won"]))
_LOST = _rx(_joined(_LEXICON["outcome"]["lost"]))
_NOT_YET = _rx(_joined(_LEXICON["outcome"]["not_yet"]))
_TO_BE = _rx(r"\bto be (?:signed|confirmed|placed)\b|\bwill be (?:signed|confirmed|placed)\b|\b(?:gets?|getting) (?:signed|confirmed|placed)\b")  # "contract to be signed next week"
_NOT_YET_ZH = _rx(_joined(_LEXICON["outcome"]["not_yet_zh"]))


_NEARLY = _rx(r"(?:\b(?:almost|nearly|could have|would have|might have|may have|risk of|afraid (?:of|to|we)|worried (?:about|we)|"
              r"don'?t want to|before we|if we|in case we|so we don'?t)|差点|差一点|险些|几乎|怕|担心|如果|要是|万一|免得|以免)\s*(?:\w+\s+)?$")


def detect_outcome(n: str, future=()) -> str | None:
    """won / lost / None. ``future``: spans of time phrases still ahead; an order announced for one of them
    ("明年一月份下单", "will sign next month") is not won yet."""
    found = _detect_outcome(n, future)
    if found is None and _CJK_GAP.search(n):
        t, at = tightened(n)  # "我们 丢了 这个客户": spoken word by word
        found = _detect_outcome(t, at(future))
    return found


def _detect_outcome(n: str, future=()) -> str | None:
    try:
        for m in _LOST.finditer(n):
            if _NEARLY.search(n[max(0, m.start() - 16): m.start()]):
                continue  # "almost lost the order to Acme", "差点丢单": it was not lost
            return "lost"
        for m in _WON.finditer(n):
            before = n[max(0, m.start() - 14): m.start()]
            before = before[_clause_start(before, len(before)):]
            if _NOT_YET.search(before) or _NOT_YET_ZH.search(before) or _TO_BE.search(n, max(0, m.start() - 12), m.end()):
                continue
            if future and _planned(n, m.start(), m.end(), _clause_start(n, m.start()), future):
                continue
            return "won"
    except Exception:
        pass
    return None


# ---------------------------------------------------------------------------------------------------------------
# Things reported done, and risks reported over
# ---------------------------------------------------------------------------------------------------------------
_THINGS_ZH = r"样品|样板|报价单|报价|合同|资料|货款|尾款|欠款|款|货|发票|目录|方案|设计稿|对账单|样稿|定金|订金|图纸|礼盒|礼物|文件"
_THINGS_EN = (r"quote|quotation|samples?|contract|invoice|proposal|deck|catalog(?:ue)?|brochure|agenda|pricing|price list|"
              r"po|nda|payment|documents?|docs|forecast|specs?|gift|order|goods|shipment|delivery")
_DONE_TASK = _rx(
    rf"(?:{_THINGS_ZH})(?:的事|的问题|这事|那事)?(?:他们|对方|客户)?(?:已经|已|都|也)?"
    r"(?:收到了|收到|到了|搞定了|签了|发了|寄了|付了|结了|结清了|处理好了|完成了|解决了|办好了|发过去了|寄出去了|交了|确认了|到账了)|"
    r"搞定了|办妥了|弄好了|处理完了|"
    rf"\b(?:sent|delivered|shipped|received|got|signed|paid|submitted|finished|completed|returned)\s+(?:over\s+)?(?:the|our|their|his|her|its|them|it|all)?\s*(?:\w+\s+)?(?:{_THINGS_EN})\b|"
    rf"\b(?:{_THINGS_EN})\s+(?:was|were|has been|have been|is|are|got)?\s*(?:received|delivered|sent|signed|paid|arrived|done|sorted)\b|"
    r"\ball (?:done|sorted|settled|set)\b|\btaken care of\b"
)
_NOT_DONE = _rx(r"(?:没|未|还没|还没有|没有|尚未|要|会|将|准备|打算|\bnot\b|n't|\bnever\b|\byet to\b|\bwill\b|\bto\b|\bif\b|\bonce\b)\s*(?:\w+\s+)?$")


def reports_done(n: str) -> bool:
    """The note says something pending was done ("张总说样品收到了", "sent the quote", "货款的事搞定了")."""
    try:
        for m in _DONE_TASK.finditer(n):
            if not _NOT_DONE.search(n[max(0, m.start() - 10): m.start()]) and not _NOT_DONE.search(m.group()[:4]):
                return True
    except Exception:
        pass
    return False


def resolved_risks(n: str) -> list[str]:
    """Risks the note says are over ("paid the overdue balance", "投诉已经解决了")."""
    out = []
    for risk, rx in _RESOLVED.items():
        try:
            if any(not _negated_resolution(n, r.start(), r.end()) for r in rx.finditer(n)):
                out.append(risk)
        except Exception:
            continue
    if "overdue_payment" not in out and re.search(r"(?:货款|欠款|尾款|款)的事(?:已经|都|也)?(?:搞定|解决|处理好)了", n):
        out.append("overdue_payment")
    return out
