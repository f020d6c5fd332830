"""Messages that are not notes: questions to the bot and instructions in words, in Chinese or English.

Rules, not guesses: a message is a question or an instruction only when the whole of it fits one of
the templates below (built from the vocabulary lists, which are data and easy to extend); anything
else is a note. A note that reports someone asking ("他问价格", "客户问什么时候发货", "she asked for
our phone number") is never read as a question to the bot.

``read(text) -> Intent | None``; no database here (questions.py and instructions.py act on it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Intent:
    kind: str  # contact | last_contact | status | due | set_tier | set_stage | set_contact
    name: str = ""  # the customer, as written
    value: str = ""  # tier or stage (canonical), the new phone/email, or the day ("today" | "tomorrow")
    field: str = ""  # contact kinds: "phone" | "email"


# --- vocabulary (data) --------------------------------------------------------------------------------------------
CONTACT_WORDS = {
    "phone": ("电话号码", "手机号码", "联系电话", "手机号", "电话", "手机", "号码", "联系方式",
              "phone number", "mobile number", "cell number", "phone", "mobile", "cell", "number", "contact details", "contact info", "contact"),
    "email": ("邮箱地址", "邮件地址", "邮箱", "电邮", "email address", "e-mail", "email", "mail"),
}
TIER_WORDS = {
    "important": ("重要客户", "重点客户", "大客户", "重要", "重点", "vip", "key account", "important", "key"),
    "special": ("特殊客户", "特殊", "special"),
    "general": ("普通客户", "一般客户", "普通", "一般", "general", "normal", "regular"),
}
STAGE_WORDS = {
    "churned": ("已流失", "流失客户", "流失", "丢单", "丢了", "lost", "churned", "gone"),
    "active": ("活跃客户", "活跃", "active"),
    "loyal": ("忠诚客户", "老客户", "忠诚", "loyal"),
    "new": ("新客户", "new customer", "new"),
    "potential": ("潜在客户", "潜在", "potential", "prospect", "lead"),
}
DAY_WORDS = {"today": ("今天", "今日", "today"), "tomorrow": ("明天", "明日", "tomorrow")}
# words that report someone else asking: the message is a note about a question, not one to the bot
REPORTED_ASKING = ("问", "咨询", "打听", "想知道", "asked", "asks", "asking", "ask", "inquired", "enquired", "wants to know", "wanted to know")
NOT_NAMES = ("it", "things", "everything", "you", "that", "this", "he", "she", "they", "we", "business", "work")
_SET_VERBS_ZH = "设为|设成|设置为|设置成|改为|改成|标为|标成|标记为|标记成|列为|升级为|调为|调成"
_CHANGE_VERBS_ZH = "改为|改成|换成|更新为|更新成|设为|设成"
_ASK_ZH = "多少|什么|是啥|啥|几号|是哪个"
_WHEN_ZH = "什么时候|啥时候|哪天|几号|哪一天"
_TALK_ZH = "联系|见面|沟通|通话|聊天|聊|打电话|拜访|见"
_TALK_EN = "talk(?:ed)?|spoke|speak|contact(?:ed)?|call(?:ed)?|met|meet|saw|see|visit(?:ed)?|email(?:ed)?|messag(?:e|ed)|chat(?:ted)?|heard from|hear from"


def _alt(words) -> str:
    """A regex alternation of the words, longest first (so 电话号码 wins over 电话)."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_CONTACT = _alt(w for ws in CONTACT_WORDS.values() for w in ws)
_VALUES = _alt([*(w for ws in TIER_WORDS.values() for w in ws), *(w for ws in STAGE_WORDS.values() for w in ws)])
_DAY = _alt(w for ws in DAY_WORDS.values() for w in ws)
_NAME = r"(?P<name>[^\s，,。？?！!][^，,。？?！!]{0,39}?)"  # a customer: no sentence punctuation, at most 40 characters

# --- templates: (kind, pattern); a pattern must match the whole message --------------------------------------------
TEMPLATES: list[tuple[str, str]] = [
    # instructions
    ("set_contact", rf"(?:请|帮我|麻烦)?(?:把|将){_NAME}的(?P<what>{_CONTACT})(?:{_CHANGE_VERBS_ZH})\s*(?P<value>\S+)"),
    ("set_contact", rf"(?:please )?(?:change|set|update) {_NAME}(?:'s|s'|’s)? (?P<what>{_CONTACT}) to (?P<value>\S+)"),
    ("set_value", rf"(?:请|帮我|麻烦)?(?:把|将){_NAME}(?:{_SET_VERBS_ZH})(?P<value>{_VALUES})(?:客户|了|吧)?"),
    ("set_value", rf"(?:please )?(?:mark|set|make|flag|tag|move) {_NAME} (?:as|to|to be|a|an)(?: an?)? (?P<value>{_VALUES})(?: customer| client| account)?"),
    # questions
    ("due", rf"(?P<day>{_DAY})(?:我|我们)?(?:要|需要|该|得|应该)?(?:跟进|联系|拜访|回访|打电话给|见)(?:哪些|哪几个|哪个|什么|谁)(?:客户|人)?(?:呢)?"),
    ("due", rf"(?P<day>{_DAY})(?:我|我们)?(?:有)?(?:什么|哪些)(?:任务|待办|跟进|事)(?:要做|要跟进)?(?:呢)?"),
    ("due", rf"(?:who|which (?:customers|clients)|what) (?:do|should|must) (?:i|we) (?:need to |have to )?(?:follow up|follow-up|call|contact|visit|see)(?: with| on)? (?P<day>{_DAY})"),
    ("due", rf"(?:who|which (?:customers|clients)) (?:needs?|is due for) (?:a )?(?:follow[- ]?up|call)(?: from me)? (?P<day>{_DAY})"),
    ("due", rf"what(?:'s| is) (?:due|on my list|on the list)(?: for)? (?P<day>{_DAY})"),
    ("due", rf"(?:my )?(?P<day>{_DAY})(?:'s)? (?:tasks|follow[- ]?ups|to-?dos|list)"),
    ("due", rf"(?:my )?(?:tasks|follow[- ]?ups|to-?dos) (?:for )?(?P<day>{_DAY})"),
    ("due", rf"(?P<day>{_DAY})的?(?:任务|待办|跟进)(?:有哪些|是什么|有什么)?"),
    ("contact?", rf"{_NAME}的?(?P<what>{_CONTACT})"),  # only with a question mark: "Acme phone number?", "王伟的手机？"
    ("contact?", rf"{_NAME}(?:'s|s')? (?P<what>{_CONTACT})"),
    ("contact", rf"(?:查一下|查查|告诉我)?{_NAME}的?(?P<what>{_CONTACT})(?:是)?(?:{_ASK_ZH})(?:呢|啊|呀)?"),
    ("contact", rf"(?:what(?:'s| is| are)|give me|tell me|get me|show me|do (?:you|we) have) (?:the )?{_NAME}(?:'s|s'|’s)? (?P<what>{_CONTACT})"),
    ("contact", rf"(?:what(?:'s| is) )?(?:the )?(?P<what>{_CONTACT}) (?:of|for) {_NAME}"),
    ("last_contact", rf"(?:我|我们)?(?:上次|上一次|最后一次|最近一次)(?:跟|和|与|给|去)?{_NAME}(?:{_TALK_ZH})(?:是|在)?(?:{_WHEN_ZH})(?:的)?"),
    ("last_contact", rf"{_NAME}(?:上次|上一次|最后一次|最近一次)(?:{_TALK_ZH})(?:是|在)?(?:{_WHEN_ZH})(?:的)?"),
    ("last_contact", rf"when (?:did|have) (?:i|we) last (?:{_TALK_EN})(?: to| with| from)? {_NAME}"),
    ("last_contact", rf"when was (?:my|our|the) last (?:contact|call|meeting|visit|talk|conversation|email)(?: with| to)? {_NAME}"),
    ("last_contact", rf"when was the last time (?:i|we) (?:{_TALK_EN})(?: to| with| from)? {_NAME}"),
    ("status", rf"{_NAME}(?:最近|现在|目前|近况|的近况)(?:怎么样|如何|情况如何|什么情况|咋样|怎样)(?:了)?"),
    ("status", rf"how(?:'s| is| are) {_NAME} (?:doing|going)(?: lately| these days| recently)?"),
    ("status", rf"what(?:'s| is) (?:new|up|the latest|the status) (?:with|on) {_NAME}"),
]
_COMPILED = [(kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in TEMPLATES]
_TRAILING = re.compile(r"[\s?？!！。.~～]+$")
_CONTACT_VALUE = re.compile(r"\+?[\d][\d\-()./]{5,}|[^@\s]+@[^@\s]+\.[^@\s]+")  # a phone number or an email
_REPORTED = re.compile("|".join(rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w) for w in REPORTED_ASKING), re.IGNORECASE)


def _lookup(table: dict, word: str) -> str | None:
    word = word.strip().lower()
    return next((key for key, words in table.items() if word in (w.lower() for w in words)), None)


def _clean_name(name: str) -> str:
    name = name.strip().strip("\"'“”‘’「」")
    name = re.sub(r"^(?:the |customer |client |客户)", "", name, flags=re.IGNORECASE)
    return re.sub(r"(?:'s|’s|的)$", "", name).strip()


def read(text: str) -> Intent | None:
    """The question or instruction the whole message is, or None (a note)."""
    asked = (text or "").rstrip().endswith(("?", "？"))
    body = _TRAILING.sub("", (text or "").strip().replace("’", "'"))
    body = re.sub(r"^(?:请问|麻烦问一下|问一下|hey|hi|bot)[，,\s]*", "", body, flags=re.IGNORECASE)  # polite openers addressed to the bot
    if not body or len(body) > 120 or "\n" in body:
        return None
    for kind, pattern in _COMPILED:
        m = pattern.fullmatch(body)
        if m is None or (kind.endswith("?") and not asked):
            continue
        kind = kind.rstrip("?")
        groups = m.groupdict()
        name = _clean_name(groups.get("name") or "")
        if kind != "due" and (not name or name.lower() in NOT_NAMES):
            continue
        if kind not in ("set_contact", "set_value") and _REPORTED.search(body):
            return None  # "客户问什么时候发货": a note about someone asking
        if kind == "due":
            return Intent("due", value=_lookup(DAY_WORDS, groups["day"]) or "today")
        if kind == "set_contact" and not _CONTACT_VALUE.fullmatch(groups["value"]):
            return None  # "把王总的电话改成明天打" moves a call: a note
        if kind in ("contact", "set_contact"):
            field = _lookup(CONTACT_WORDS, groups["what"]) or "phone"
            return Intent(kind, name=name, field=field, value=(groups.get("value") or "").strip())
        if kind == "set_value":
            value = groups["value"]
            tier = _lookup(TIER_WORDS, value)
            if tier:
                return Intent("set_tier", name=name, value=tier)
            return Intent("set_stage", name=name, value=_lookup(STAGE_WORDS, value) or "")
        return Intent(kind, name=name)
    return None
