"""Text normalisation that keeps character offsets.

The rules in zh.py / en.py match a normalised copy of the note, and the spans they
find are reported on the original text, so every step here maps one character to
exactly one character:

- Traditional -> Simplified Chinese with OpenCC (t2s). OpenCC converts phrase by
  phrase; in practice t2s keeps the length, and when it does not we convert
  character by character, which always does.
- full-width ASCII (２０２６／１２，：) -> ASCII; ideographic space -> space.
- ASCII letters lower-cased (str.lower() can change the length of some non-ASCII
  letters, so only A-Z are touched).
"""
from __future__ import annotations

import re

_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_TABLE = {**_FULLWIDTH, 0x3000: 0x20, **{c: c + 32 for c in range(ord("A"), ord("Z") + 1)},
          # Typographic apostrophe/colon variants that appear in time expressions.
          0x2019: 0x27, 0x2236: 0x3A, 0xFE55: 0x3A}
# Only text with CJK ideographs needs OpenCC.
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")

_converter = None


def _t2s(text: str) -> str:
    global _converter
    if _converter is None:
        import opencc  # a few ms; only paid when Chinese text shows up

        _converter = opencc.OpenCC("t2s")
    out = _converter.convert(text)
    if len(out) == len(text):
        return out
    # A phrase rule changed the length: fall back to one character at a time.
    return "".join(c if len(conv := _converter.convert(c)) != 1 else conv for c in text)


# Cantonese parts of the day, two characters for two: 下晝三點 = 下午三点, 朝早 = 早上, 晏晝 = 中午
_CANTONESE_DAY = re.compile(r"下[晝昼]|朝早|晏[晝昼]|今朝|听[日朝]|聽[日朝]")
_CANTONESE_AS = {"下晝": "下午", "下昼": "下午", "朝早": "早上", "晏晝": "中午", "晏昼": "中午", "今朝": "今早",
                 "听日": "明天", "聽日": "明天", "听朝": "明早", "聽朝": "明早"}


def normalize(text: str) -> str:
    """Same-length normalised copy of ``text`` (see module doc)."""
    out = text.translate(_TABLE)
    if _HAS_CJK.search(out):
        out = _t2s(out)
        if _CANTONESE_DAY.search(out):
            out = _CANTONESE_DAY.sub(lambda m: _CANTONESE_AS.get(m.group(), m.group()), out)
    return out


def without(text: str, gaps: re.Pattern) -> tuple[str, list[int]] | None:
    """``text`` with the matches of ``gaps`` taken out, and where each character of it stands in ``text`` (plus
    len(text) at the end); None when nothing matches. Spaces between Chinese words said one by one ("元旦 之后")."""
    if not gaps.search(text):
        return None
    gone = {i for m in gaps.finditer(text) for i in range(m.start(), m.end())}
    where = [i for i in range(len(text)) if i not in gone]
    return "".join(text[i] for i in where), where + [len(text)]
