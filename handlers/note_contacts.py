"""Phone numbers and emails written inside a note go onto the customer's card (encrypted like every contact)."""
from __future__ import annotations

import re

from storage.contacts import normalize_email, normalize_phone
from storage.models import Customer

# a mainland mobile (11 digits from 1[3-9]), optionally +86 and spaced/dashed, or an international +number
PHONE = re.compile(r"(?<![\d.])(?:\+86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?![\d.])|(?<![\w.])\+\d[\d\s-]{7,16}\d(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def found(text: str) -> dict:
    """The one phone and the one email a note mentions (several of a kind: none, it is unclear whose)."""
    out = {}
    phones = {normalize_phone(m) for m in PHONE.findall(text)}
    if len(phones) == 1:
        out["phone"] = phones.pop()
    emails = {normalize_email(m) for m in EMAIL.findall(text)}
    if len(emails) == 1:
        out["email"] = emails.pop()
    return out


def apply(customer: Customer, text: str) -> dict:
    """Put a new phone/email from the note on the card; returns what changed."""
    changed = {}
    for field, value in found(text).items():
        if value and getattr(customer, field) != value:
            setattr(customer, field, value)
            changed[field] = value
    return changed
