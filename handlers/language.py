"""Which language to answer in: what the sender writes, then the platform's hint, then what we know."""
from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]{2,}")


def detect(text: str) -> str | None:
    """'zh' or 'en' when the text says so clearly, else None (digits, emoji, a bare command)."""
    body = re.sub(r"^/\S+", "", text or "")
    if _CJK.search(body):
        return "zh"
    if _LATIN.search(body):
        return "en"
    return None


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
    return detect(text) or known or from_hint(hint) or default
