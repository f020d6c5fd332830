"""Which language to answer in: what the sender writes, then what we know of them, then the platform's hint.

Mixed notes are common ("visited 黄磊 at 金鼎建材 today"): the language is the one carrying the
sentence, so Chinese characters are weighed against English words. A bare name or a number says
nothing about the language and leaves the known one in place.
"""
from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
MIN_CJK = 4  # fewer Chinese characters than this (a name) decide nothing on their own
MIN_WORDS = 3


def detect(text: str) -> str | None:
    """'zh' or 'en' when the text says so clearly, else None (a name, digits, emoji, a bare command)."""
    body = re.sub(r"^/\S+", "", text or "")[:2000]
    cjk = len(_CJK.findall(body))
    words = len(_LATIN_WORD.findall(body))
    if cjk >= MIN_CJK and cjk > words:
        return "zh"
    if words >= MIN_WORDS and words >= cjk:
        return "en"
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
    """A new member's language before they wrote anything: the messenger's locale, else a Chinese name."""
    return from_hint(hint) or ("zh" if _CJK.search(name or "") else None) or default


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
