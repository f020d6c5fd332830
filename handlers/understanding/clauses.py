"""A note as clauses with roles.

A quick note mixes what happened ("拜访了张总"), what comes next ("下周三前发报价") and the situation
("元旦那天他值班", "he'll be off that week"). Each clause gets one role:

- ``next``: asks for, promises or plans a next step;
- ``situation``: a state, an explanation or a prediction;
- ``report``: what happened;
- ``plain``: none of these said (a bare "demo on Feb 10" still announces something).

Follow-up dates come from next-step and plain clauses, never from situation clauses. The cue words are
data (data/clauses.toml).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .lexicon import CLAUSE_BREAK
from .vocab import load


@dataclass(frozen=True, slots=True)
class Clause:
    start: int  # span in the note
    end: int
    role: str  # "next" | "situation" | "report" | "plain"


@lru_cache(maxsize=1)
def _cues() -> dict[str, re.Pattern]:
    data = load("clauses")
    return {k: re.compile("|".join(f"(?:{p})" for p in v)) for k, v in data.items()}


_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_PHRASE_BEFORE = re.compile(r"[\u4e00-\u9fff]{3}$")
_PHRASE_AFTER = re.compile(r"[\u4e00-\u9fff]{3}")


def split(n: str, times=()) -> list[Clause]:
    """Clauses of the normalized note, in order, each with its role. ``times``: spans of the time phrases, read
    apart from the words around them (the 前 of 年前 says nothing about a next step)."""
    cues = _cues()
    cuts = {0, len(n)}
    for m in CLAUSE_BREAK.finditer(n):
        if m.group().strip() not in ("and", "but"):
            cuts.update((m.start(), m.end()))
    for m in cues["soft_breaks"].finditer(n):
        cuts.add(m.start())
    spaces = list(_CJK_SPACE.finditer(n))
    # "拜访了韩梅 下周三再约": a space ends a clause; "黄丽芳 七月份 去 新加坡": spaces between words do not
    if len(spaces) <= 2 or len(n) / (len(spaces) + 1) >= 8:
        cuts.update(m.start() for m in spaces)
    else:  # "请吃饭 聊得很开心 记一下", "今天拜访的是韩雪 冷链那个": a space between two phrases is typed as a comma
        cuts.update(m.start() for m in spaces if _PHRASE_BEFORE.search(n, 0, m.start()) and _PHRASE_AFTER.match(n, m.end()))
    bounds = sorted(cuts)
    text = blanked(n, times) if times else n
    out = []
    for s, e in zip(bounds, bounds[1:]):
        if not re.search(r"[a-z0-9\u4e00-\u9fff]", n[s:e]):
            continue
        out.append(Clause(s, e, role_of(n[s:e], text[s:e])))
    return out


# "中秋要回乡下", "he'll be off": the modal belongs to the situation it introduces
_MODAL_BEFORE = re.compile(r"(?:要|会|将|准备|打算|得|\bwill\s+|'ll\s+|\bgoing to\s+|\bgonna\s+|\bwants? to\s+|\bwanted to\s+)\x00")


def blanked(n: str, spans) -> str:
    """n with the characters of the given spans turned to spaces (same length)."""
    chars = list(n)
    for a, b in spans:
        for k in range(max(0, a), min(len(chars), b)):
            chars[k] = " "
    return "".join(chars)


def role_of(piece: str, bare: str | None = None) -> str:
    """``bare``: the same words with the time phrases blanked, read for next-step and report cues."""
    cues = _cues()
    bare = piece if bare is None else bare
    if cues["no_need"].search(piece):
        return "situation"
    rest = _MODAL_BEFORE.sub(" ", cues["situation"].sub("\x00", bare)).replace("\x00", " ")
    if cues["situation"].search(piece) and not cues["next_strong"].search(rest) and not _acts(piece):
        return "situation"
    if cues["next_strong"].search(bare):
        return "next"
    report = cues["report"].search(bare)
    if cues["next_weak"].search(bare) and not report:
        return "next"
    if report:
        return "report"
    return "plain"


_ACTION = re.compile(r"(?<![a-z])(?:call|send|email|ship|deliver|visit|meet|follow up|remind|regroup|check in|chase)(?![a-z])|"
                     r"(?:再约|再联系|再谈|再聊|回复|回电|发货|寄|送|打电话|联系|跟进|拜访|下单|付款|签|交(?!通|流|易|情|期|了)|找(?!到|了|过|不到|工作|借口))")


def _acts(piece: str) -> bool:
    """A situation clause that still asks for an action ("off that week; call him 5/14" split badly)."""
    return bool(_ACTION.search(piece)) and not re.search(r"可能|might|may |也许|can'?t |cannot |unable to |无法|没法|不能", piece)


def clause_at(clauses: list[Clause], pos: int) -> Clause | None:
    for c in clauses:
        if c.start <= pos < c.end:
            return c
    return None
