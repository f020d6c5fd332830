"""What an import did not understand, said back instead of dropped: columns no field matches, and values
(tier, stage, dates, owners) that could not be read. Also reads the date forms people write in a birthday
column, lunar ones included ("农历正月初八", "阴历8月15") — those go to the lunar birthday.

Read-only: the importer (storage/importer.py) writes; this looks at the same sheet once more.
"""
from __future__ import annotations

import csv
import io
import re

from .spreadsheet import canonical_header, csv_encoding, iter_sheet

LUNAR_MONTHS = {"正": 1, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "冬": 11, "十一": 11, "腊": 12, "十二": 12}
_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_LUNAR = re.compile(r"(?:农历|阴历|旧历)\s*(?:(\d{2,4})年)?\s*(正|十一|十二|[一二三四五六七八九十冬腊]|\d{1,2})月\s*(初[一二三四五六七八九十]|十[一二三四五六七八九]?|二十[一二三四五六七八九]?|廿[一二三四五六七八九]|三十|\d{1,2})[日号]?")
_MONTHS_EN = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
MAX_SAID = 5


def _lunar_day(word: str) -> int:
    if word.isdigit():
        return int(word)
    if word.startswith("初"):
        return _DIGITS[word[1]]
    if word.startswith("廿"):
        return 20 + _DIGITS[word[1]]
    if word == "三十":
        return 30
    if word.startswith("二十"):
        return 20 + (_DIGITS[word[2]] if len(word) > 2 else 0)
    return 10 + (_DIGITS[word[1]] if len(word) > 1 else 0)  # 十, 十一…十九


def read_date(value: str | None) -> tuple[str, str] | None:
    """('birthday' | 'lunar_birthday', 'MM-DD') from what a cell says, or None when unreadable."""
    from .importer import parse_birthday

    if not value or not value.strip():
        return None
    if m := _LUNAR.search(value):
        month = int(m.group(2)) if m.group(2).isdigit() else LUNAR_MONTHS[m.group(2)]
        day = _lunar_day(m.group(3))
        if 1 <= month <= 12 and 1 <= day <= 30:
            return "lunar_birthday", f"{month:02d}-{day:02d}"
        return None
    if m := re.fullmatch(r"\s*(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s*(\d{4})?\s*|\s*([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s*(\d{4})?\s*", value):
        day, month = (m.group(1), m.group(2)) if m.group(1) else (m.group(5), m.group(4))
        if month.lower() in _MONTHS_EN:
            return "birthday", f"{_MONTHS_EN[month.lower()]:02d}-{int(day):02d}"
    solar = parse_birthday(value)
    return ("birthday", solar) if solar else None


def birthdays(values: dict) -> dict:
    """The birthday fields a row gives: a lunar date written in the birthday column goes to the lunar one."""
    out = {"birthday": None, "lunar_birthday": None}
    for column in ("birthday", "lunar_birthday"):
        found = read_date(values.get(column))
        if found is not None:
            field, day = found
            out["lunar_birthday" if column == "lunar_birthday" else field] = day
    return out


def _headers(data: bytes, filename: str) -> list[str]:
    if filename.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for row in book.worksheets[0].iter_rows(values_only=True, max_row=1, max_col=64):
                return [str(c) if c is not None else "" for c in row]
        finally:
            book.close()
        return []
    encoding = csv_encoding(data)
    head = data[:65536].decode(encoding, errors="ignore").lstrip("\ufeff").split("\n", 1)[0]
    return next(csv.reader([head], dialect="excel-tab" if head.count("\t") > head.count(",") else "excel"), [])


def review(data: bytes, filename: str, members: set[str], lang: str = "en") -> list[str]:
    """Lines naming every column and value the import did not understand (empty: all understood).

    ``members``: the team's member names, lowercase (an owner not among them is said back)."""
    from .importer import STAGE_WORDS, TIER_WORDS

    zh = lang == "zh"
    lines = []
    unknown = [h.strip() for h in _headers(data, filename) if h and str(h).strip() and canonical_header(str(h)) is None]
    if unknown:
        lines.append(("未识别的列（未导入）：" if zh else "Columns not understood (not imported): ") + ", ".join(unknown[:10]))
    problems = []
    for row in iter_sheet(data, filename):
        v = row.values
        checks = [
            ("tier", v.get("tier"), lambda x: x.strip().lower() in TIER_WORDS),
            ("stage", v.get("stage"), lambda x: x.strip().lower() in STAGE_WORDS),
            ("birthday", v.get("birthday"), lambda x: read_date(x) is not None),
            ("lunar_birthday", v.get("lunar_birthday"), lambda x: read_date(x) is not None),
            ("owner", v.get("owner"), lambda x: x.strip().lower() in members),
        ]
        for field, value, ok in checks:
            if value and value.strip() and not ok(value):
                problems.append((row.line, field, value.strip()[:30]))
    for line, field, value in problems[:MAX_SAID]:
        lines.append(f"  {'第' + str(line) + '行' if zh else 'row ' + str(line)} {field}: {value!r} " + ("未识别" if zh else "not understood"))
    if len(problems) > MAX_SAID:
        lines.append(f"  … +{len(problems) - MAX_SAID}")
    return lines
