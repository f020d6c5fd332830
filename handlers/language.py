"""Which language to answer in: what the sender writes, then what we know of them, then the platform's hint.

Mixed notes are common ("visited 黄磊 at 金鼎建材 today"): the language is the one carrying the
sentence, so Chinese characters are weighed against English words. A bare name or a number says
nothing about the language and leaves the known one in place.
"""
from __future__ import annotations

import re
from collections import OrderedDict

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
MIN_CJK = 4  # fewer Chinese characters than this (a name) decide nothing on their own
MIN_WORDS = 3


def detect(text: str) -> str | None:
    """'zh' or 'en' when the text says so clearly, else None (a name, digits, emoji, a bare English command).
    A command typed by its Chinese name (/任务, /摘要) is Chinese: someone who only ever types commands is
    otherwise never heard, and their digests stayed in the language their account was created with."""
    command = re.match(r"/(\S+)", text or "")
    body = (text or "")[command.end() if command else 0 :][:2000]
    cjk = len(_CJK.findall(body))
    words = len(_LATIN_WORD.findall(body))
    if cjk >= MIN_CJK and cjk > words:
        return "zh"
    if words >= MIN_WORDS and words >= cjk:
        return "en"
    if command and _CJK.search(command.group(1)):
        return "zh"
    return None


def heard(text: str, known: str | None) -> str | None:
    """What a message says about its writer's language, given the one we know: a Chinese writer's message
    that still carries Chinese (an English customer or company name in it, "拜访了Acme Trading Co") stays
    Chinese; only a message wholly in the other script switches."""
    said = detect(text)
    if said == "en" and known == "zh" and _CJK.search(text or ""):
        return "zh"
    return said


def initial(name: str | None, hint: str | None, default: str = "en") -> str:
    """A new member's language before they wrote anything: Chinese for a zh locale or a Chinese name (many Chinese
    users run Telegram in English, which has no official Chinese interface), else the locale, else the default."""
    if from_hint(hint) == "zh" or _CJK.search(name or ""):
        return "zh"
    return from_hint(hint) or default


def from_hint(hint: str | None) -> str | None:
    if not hint:
        return None
    hint = hint.lower()
    if hint.startswith("zh"):
        return "zh"
    if hint.startswith("en"):
        return "en"
    return None


def choose(text: str, hint: str | None, known: str | None, default: str = "en") -> str:
    return heard(text, known) or known or from_hint(hint) or default


# ---- the member's own language (pushes, digests) and the conversation's ---------------------------------------------
SWITCH_RUN = 3  # messages in a row wholly in the other language before the member's stored language changes
MEMBERS_REMEMBERED = 10_000  # members whose latest messages a process remembers (least recently heard dropped)


class Habits:
    """What each member wrote lately, in this process's memory: the language of their latest message (the
    conversation's: "when did I last talk to 李娜" after an English question is English) and how many messages
    in a row were in a language other than the stored one. The stored language (pushes, digests) changes only
    after SWITCH_RUN of them, so a member who mixes languages keeps theirs and costs no UPDATE per note; the first
    message this process hears from a member decides at once (the stored language may be a guess from a locale:
    a newcomer's first Chinese message makes their digests Chinese). Nothing is read for it: a restart, or another
    replica, hears the member afresh."""

    def __init__(self, size: int = MEMBERS_REMEMBERED) -> None:
        self.size = size
        self._heard: OrderedDict[int, tuple[str, int]] = OrderedDict()  # member id → (latest language, its run)

    def conversation(self, member_id: int | None, stored: str | None) -> str | None:
        """The language the member is writing in now: their latest message's, else the stored one."""
        latest = self._heard.get(member_id) if member_id is not None else None
        return latest[0] if latest else stored

    def hear(self, member_id: int, stored: str | None, text: str) -> str | None:
        """Take in one of the member's messages; the language to store when their run has just reached
        SWITCH_RUN (else None). A message that says nothing (a name, a number) leaves everything as it was."""
        said = heard(text, self.conversation(member_id, stored))
        if said is None:
            return None
        first = member_id not in self._heard
        latest, run = self._heard.pop(member_id, (None, 0))
        run = run + 1 if said == latest else 1
        self._heard[member_id] = (said, run)
        while len(self._heard) > self.size:
            self._heard.popitem(last=False)
        if said != stored and (run >= SWITCH_RUN or first):
            return said
        return None


def habits_of(services) -> Habits:
    """The app's Habits (one per Services: tests run many apps, whose member ids repeat)."""
    found = getattr(services, "_language_habits", None)
    if found is None:
        found = Habits()
        setattr(services, "_language_habits", found)
    return found
