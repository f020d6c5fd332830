"""Several customers in one note: "上午拜访了张总和王芳", "met Bob and Sarah from Globex".

The matcher picks the customer the interaction was with; a second known customer counts only when the note
joins them with a conjunction (和 / 跟 / 与 / 及 / 、 / and / &), so someone merely mentioned ("she said Bob
recommended us", "他把何勇介绍给我们") stays out.
"""
from __future__ import annotations

import re

from .clauses import blanked

MAX_CUSTOMERS = 4
_CONJ_NEAR = re.compile(r"\s*(?:总|经理|老板|先生|女士|小姐|姐|哥)?\s*(?:和|跟|与|及|以及|、|还有|and\b|&|\+|/)", re.I)
_CONJ_BEFORE = re.compile(r"(?:和|跟|与|及|以及|、|还有|\band|&|\+|/)\s*$", re.I)

_JOINED = re.compile(r"^\s*(?:总|经理|老板|先生|女士|小姐|姐|哥)?\s*(?:和|跟|与|及|以及|、|还有|and|&|\+|/)\s*$", re.I)


def joined_customers(index, head: str, first, prefer=None) -> list[tuple[object, list[tuple[int, int]]]]:
    """[(customer, spans)] for the first match and every known customer joined to it, in the order named."""
    if first.customer is None or first.ambiguous:
        return []
    found = [(first.customer, list(first.spans or [first.span]))]
    if not any(_CONJ_NEAR.match(head, e) or _CONJ_BEFORE.search(head, 0, s) for s, e in found[0][1]):
        return [(first.customer, _every_place(head, found[0][1]))]  # no "和"/"and" next to the name: one customer
    text, done = head, found[0][1]
    for _ in range(MAX_CUSTOMERS):
        text = blanked(text, done)
        m = index.match(text, prefer=prefer) if prefer is not None else index.match(text)
        if m.customer is None or m.ambiguous or m.kind == "fuzzy" or m.span is None:
            break
        done = list(m.spans or [m.span])
        if any(c is m.customer or (c.id is not None and c.id == m.customer.id) for c, _ in found):
            continue  # the same customer named again another way
        if not any(_joined(head, a, b) for _, ss in found for a in ss for b in done):
            break
        found.append((m.customer, done))
    found = [(c, _every_place(head, spans)) for c, spans in found]
    found.sort(key=lambda cs: min(s for s, _ in cs[1]))
    return found


def _every_place(text: str, spans) -> list[tuple[int, int]]:
    """Every occurrence of the words that named the customer ("王总…王总要样品")."""
    out = set(spans)
    for s, e in spans:
        word = text[s:e]
        if len(word.strip()) < 2:
            continue
        k = text.find(word)
        while k >= 0:
            out.add((k, k + len(word)))
            k = text.find(word, k + 1)
    return sorted(out)


def _joined(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    lo, hi = (a, b) if a[0] < b[0] else (b, a)
    return lo[1] <= hi[0] and bool(_JOINED.match(text[lo[1]:hi[0]]))


def owner_of(position: int, named: list[tuple[object, list[tuple[int, int]]]], clause_start: int, clause_end: int):
    """The customer a follow-up at ``position`` belongs to: the one named in its clause, else the last one
    named before it; None when the note names one customer."""
    if len(named) < 2:
        return None
    inside = [c for c, spans in named if any(clause_start <= s < clause_end for s, _ in spans)]
    if len(inside) == 1:
        return inside[0]
    before = [(max(s for s, _ in spans if s <= position), c) for c, spans in named if any(s <= position for s, _ in spans)]
    return max(before, key=lambda x: x[0])[1] if before else named[0][0]
