"""names.char_pinyin reads pypinyin's character table directly (fast start-up); it must say what pypinyin says."""
import random

from pypinyin import Style, lazy_pinyin

from handlers.understanding.names import COMMON_SURNAMES, _pinyin_table, char_pinyin


def _pypinyin(c: str) -> str:
    r = lazy_pinyin(c, style=Style.NORMAL, errors="ignore")
    return r[0] if r else ""


def test_char_pinyin_agrees_with_pypinyin():
    table = _pinyin_table()
    assert table is not None and len(table) > 20000
    codes = sorted(int(k) for k in table)
    sample = set(COMMON_SURNAMES) | set("伟芳娜敏静丽强磊军洋勇艳杰吕女略绿虐曾单解朴区仇尉迟万俟嗯呣〇") | {chr(k) for k in random.Random(8).sample(codes, 3000)}
    sample |= set("aZ9，。 ·é")  # not in the table: nothing
    assert {c: char_pinyin(c) for c in sample} == {c: _pypinyin(c) for c in sample}
