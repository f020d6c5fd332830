"""Several customers in one note: "上午拜访了张总和王芳", "met Bob and Sarah from Globex".

The matcher picks the customer the interaction was with; a second known customer counts when the note joins
them with a conjunction (和 / 跟 / 与 / 及 / 、 / and / &, "and Ms. Sato"), when an interaction of its own reaches
them ("又打马俊", "then called Bob"), or when a clause of their own says what they want or did ("；孙浩说五一前都不
进货了", "Bob wants a demo"). Someone merely mentioned ("she said Bob recommended us", "他把何勇介绍给我们",
"Bob Smith was there") stays out.
"""
from __future__ import annotations

import re

from .clauses import blanked

MAX_CUSTOMERS = 4
_CONJ_NEAR = re.compile(r"\s*(?:总|经理|老板|先生|女士|小姐|姐|哥)?\s*(?:和|跟|与|及|以及|、|还有|and\b|&|\+|/)", re.I)
_CONJ_BEFORE = re.compile(r"(?:和|跟|与|及|以及|、|还有|\band|&|\+|/)\s*$", re.I)

_JOINED = re.compile(r"^\s*(?:[(（][^()（）]{1,40}[)）]\s*)?(?:总|经理|老板|先生|女士|小姐|姐|哥)?\s*(?:和|跟|与|及|以及|、|还有|and|&|\+|/)\s*"
                     r"(?:(?:mr|ms|mrs|miss|dr|director|manager)\.?\s+)?$", re.I)
# an interaction of its own right before the name: "又打马俊", "也去了", "then called", "also visited"
_OWN_INTERACTION = re.compile(r"(?:又|也|再|还|接着|然后|顺便)(?:打给|打了?|拨了?|打电话给|联系了?|拜访了?|去了?|见了?|约了?|找了?|问了?)\s*$|"
                              r"\b(?:then|also|and then|later)\s+(?:called|rang|phoned|visited|met|emailed|texted|pinged|saw)\s+"
                              r"(?:(?:mr|ms|mrs|miss|dr)\.?\s+)?$", re.I)
# a clause of their own that says what they want, think or did: "孙浩说…", "韩梅直接下了单", "Bob wants…"
_OWN_CLAUSE_VERB = re.compile(r"\s*(?:总|经理|老板|先生|女士|小姐|姐|哥|那边|这边)?\s*(?:也|还|则|就|直接|已经|倒是)?\s*"
                              r"(?:说|要|想|需要|在考虑|考虑|下了|下单|订了|同意|答应|确认|问|希望|打算|准备|回复|回了|嫌|觉得|表示|反馈)|"
                              r"\s+(?:also\s+|still\s+)?(?:said|says|wants|wanted|needs|asked|agreed|confirmed|will|ordered|placed|signed|"
                              r"thinks|is (?:keen|interested)|replied|prefers)\b", re.I)
_CLAUSE_LEAD = re.compile(r"(?:^|[，,；;。.!！?？\n]|\s-\s)\s*(?:\d+[.)、]\s*)?(?:而|另外|还有|至于|then|also|and)?\s*$", re.I)
_STRONG_KINDS = ("name", "alias", "company", "pinyin")


def joined_customers(index, head: str, first, prefer=None) -> list[tuple[object, list[tuple[int, int]]]]:
    """[(customer, spans)] for the first match and every known customer joined to it, in the order named."""
    if first.customer is None or first.ambiguous:
        return []
    found = [(first.customer, list(first.spans or [first.span]))]
    # a lone surname right after another given name is that other person's ("jason wu and jessica wu … call jessica")
    done = [sp for sp in found[0][1] if sp == first.span or not _surname_of_another(head, sp)]
    text = head
    for _ in range(MAX_CUSTOMERS + 2):
        text = blanked(text, done)
        m = index.match(text, prefer=prefer) if prefer is not None else index.match(text)
        if m.customer is None or m.ambiguous or m.kind == "fuzzy" or m.span is None:
            break
        done = list(m.spans or [m.span])
        if any(c is m.customer or (c.id is not None and c.id == m.customer.id) for c, _ in found):
            continue  # the same customer named again another way
        strong = m.kind in _STRONG_KINDS
        if any(_joined(head, a, b) for _, ss in found for a in ss for b in done) or strong and (
                any(_on_their_own(head, b) or _LIST_ITEM.search(head, max(0, b[0] - 6), b[0])
                    or _DASH_ITEM.search(head, max(0, b[0] - 4), b[0]) and _ITEM_HEAD.match(head, b[1]) for b in done)
                or any(_listed(head, a, b) for _, ss in found for a in ss for b in done)):
            found.append((m.customer, done))
            if len(found) >= MAX_CUSTOMERS:
                break
    found = [(c, _every_place(head, spans)) for c, spans in found]
    found.sort(key=lambda cs: min(s for s, _ in cs[1]))
    return found


def _surname_of_another(text: str, span: tuple[int, int]) -> bool:
    s, e = span
    word = text[s:e]
    return word.isascii() and " " not in word.strip() and s > 1 and text[s - 1] == " " and bool(
        re.search(r"(?<![A-Za-z])(?!(?:and|the|with|to|for|from|of|mr|ms|mrs|dr|called|met|emailed)\b)[A-Za-z]{2,}$", text[:s - 1], re.I))


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


def _on_their_own(text: str, span: tuple[int, int]) -> bool:
    """An interaction of its own reaches the name, or the name opens a clause saying what they want or did."""
    s, e = span
    return bool(_OWN_INTERACTION.search(text, max(0, s - 16), s)) or (
        bool(_CLAUSE_LEAD.search(text, max(0, s - 12), s)) and bool(_OWN_CLAUSE_VERB.match(text, e)))


# a list of names: "Peter Wong, Robert Chen, Chloe Martin - send mooncakes", "王伟 王芳 两位王总"
_LIST_GAP = re.compile(r"^\s*[,，]\s*$")
_CJK_ONLY = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
# a list item that opens with the name: "• Michelle Obi - $1,100", "- 林芳：续约"
_BOTH = re.compile(r"\s*(?:两位|二位|俩|两个|都|一起|一齐|\bboth\b)")
# the same list flattened onto one line: "- 林芳：续约 - 刘洋：运费还没付" (a name then its colon)
_DASH_ITEM = re.compile(r"\s[-•·*→▪◦]\s*$")
_ITEM_HEAD = re.compile(r"\s*[:：]")
_LIST_ITEM = re.compile(r"(?:^|\n)[ \t]*(?:[•·*→▪◦-]|\d+[.)、])[ \t]*$")


def _listed(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    lo, hi = (a, b) if a[0] < b[0] else (b, a)
    if lo[1] > hi[0]:
        return False
    gap = text[lo[1]:hi[0]]
    # two Chinese names side by side count together only when the note says so ("两位", "都", "一起")
    return bool(_LIST_GAP.match(gap)) or (gap == " " and bool(_CJK_ONLY.match(text[lo[0]:lo[1]])) and bool(_CJK_ONLY.match(text[hi[0]:hi[1]]))
                                          and bool(_BOTH.match(text, hi[1])))


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
