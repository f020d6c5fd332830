"""The one normal form of a phone number and an email, so duplicates and lookups agree."""
from __future__ import annotations

import re


def normalize_phone(value: str | None) -> str | None:
    """Digits (and a leading +) only; a Chinese +86 prefix dropped: '+86 139-0000-1111' → '13900001111'."""
    if not value:
        return None
    digits = re.sub(r"[^\d+]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits or None


def normalize_email(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value or None


def looks_like_phone(text: str) -> bool:
    digits = normalize_phone(text) or ""
    return len(digits.lstrip("+")) >= 7 and not re.search(r"[^\d+\s\-()./]", text.strip())


def looks_like_email(text: str) -> bool:
    return bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text.strip()))
