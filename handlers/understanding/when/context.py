"""Does the clause around a time expression tell of something that already happened?

"visited 黄磊 today" and "今天拜访了李娜" use *today* for when the interaction took
place; "send it today" and "今天发报价" make today a due date. We look at the clause
(text between punctuation marks) around the expression, minus the expression
itself: a past cue (an interaction verb in the past, 了/已经/刚) without a future
cue (will, need to, 要, 记得, 再...) means the past.
"""
from __future__ import annotations

import re

_CLAUSE_END = re.compile(r"[,.;!?\n，。；！？：:]")
_EN_PAST = re.compile(
    r"(?<![a-z])(?:visited|met|called|phoned|rang|talked|spoke|emailed|e-mailed|messaged|texted|chatted|"
    r"saw|went|came|had|was|were|did|signed|delivered|received|got|paid|sent|dropped\s+by|stopped\s+by|"
    r"demoed|presented|discussed|attended|toured|shipped|ordered|bought|placed|hosted|joined|"
    r"dropped\s+off|picked\s+up|showed|gave|left|reached|contacted|pitched|quoted|closed)(?![a-z])")
_EN_FUTURE = re.compile(
    r"(?<![a-z])(?:will|'ll|shall|going\s+to|gonna|need|needs|have\s+to|has\s+to|must|should|please|pls|"
    r"plan|plans|planning|want|wants|remind|follow|ping|schedule|book|todo|next|due|deadline|expects?|"
    r"let's|lets|would|'d|can|could|try|until|till|send|call|email|ship|deliver|reply|ping|chase|submit|book|"
    r"visit|meet|confirm|check|prepare)(?![a-z])")
# 发邮件过来, 打电话来, 来电: they reached us, so it has happened
_ZH_PAST = re.compile(r"了|已经|已|刚刚|刚才|刚|过了|来过|去过|见过|(?:发|寄|打|传|送)\S{0,4}?过来(?![^，。,.\s]{0,2}(?:吧|啊|哈))|打(?:了)?(?:个|一个)?电话来|来电|认识|结识|碰到|遇到|碰见|遇见")
_ZH_FUTURE = re.compile(r"要|(?<![展开晚年舞聚酒例峰约机社宴茶工博])会(?![议员所计场展])|将|得|需|记得|请|准备|打算|计划|再|约|安排|跟进|回电|回复|提醒|下次|等|之前|以前|前|尽快|务必|必须|让|叫他|叫她")


def clause(text: str, start: int, end: int) -> str:
    """The clause holding text[start:end], with the expression itself blanked out."""
    left = max((m.end() for m in _CLAUSE_END.finditer(text, max(0, start - 80), start)), default=max(0, start - 80))
    m = _CLAUSE_END.search(text, end, end + 80)
    right = m.start() if m else min(len(text), end + 80)
    return text[left:start] + " " + text[end:right]


_WENT_WELL = re.compile(r"(?<![a-z])(?:went|was) (?:really |very |pretty |quite )?(?:well|great|fine|ok|okay|badly|smoothly|good)(?![a-z])")


def past_context(text: str, start: int, end: int) -> bool:
    c = clause(text, start, end)
    if _WENT_WELL.search(c):
        return True  # "call w/ Tanaka at 7am went well": told as done, whatever verbs it names
    if _EN_PAST.search(c) or _ZH_PAST.search(c):
        return not (_EN_FUTURE.search(c) or _ZH_FUTURE.search(c))
    return False
