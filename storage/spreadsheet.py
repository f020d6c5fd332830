"""Reading customer sheets: CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX, headers in English or Chinese.

Only reading and header mapping live here; merging rows into the database is importer.py's job.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

# Canonical field -> the header spellings people actually use (compared case-insensitively, spaces removed).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "customer", "customername", "contact", "fullname", "客户名称", "客户名", "客户", "姓名", "联系人", "名称"),
    "company": ("company", "organization", "organisation", "account", "公司", "公司名称", "单位", "企业"),
    "aliases": ("aliases", "alias", "nickname", "别名", "昵称", "称呼"),
    "phone": ("phone", "mobile", "tel", "telephone", "phonenumber", "电话", "手机", "手机号", "联系电话", "电话号码"),
    "email": ("email", "e-mail", "mail", "邮箱", "电子邮件", "电邮"),
    "owner": ("owner", "rep", "salesrep", "assignedto", "负责人", "销售", "业务员", "跟进人"),
    "tier": ("tier", "level", "grade", "等级", "级别", "客户等级", "分类"),
    "stage": ("stage", "lifecycle", "status", "阶段", "状态", "客户阶段"),
    "birthday": ("birthday", "dob", "dateofbirth", "生日", "出生日期"),
    "lunar_birthday": ("lunarbirthday", "lunar", "农历生日", "阴历生日"),
    "tags": ("tags", "tag", "labels", "标签"),
    "language": ("language", "lang", "语言"),
}

_LOOKUP = {spelling.replace(" ", "").replace("_", "").lower(): field for field, spellings in HEADER_ALIASES.items() for spelling in spellings}


class SheetError(ValueError):
    """The file as a whole cannot be read (wrong type, broken, empty, no name column)."""


@dataclass
class SheetRow:
    line: int  # 1-based row number as the user sees it in the sheet (header is row 1)
    values: dict[str, str]


def canonical_header(header: str) -> str | None:
    return _LOOKUP.get(header.strip().replace(" ", "").replace("_", "").lower())


def decode_csv_bytes(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    for encoding in ("utf-8", "gb18030"):  # gb18030 is a superset of GBK, what Chinese Excel writes
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError("cannot decode the file: save it as UTF-8 or GBK CSV")


def _rows_from_table(table: list[list[str]]) -> list[SheetRow]:
    table = [row for row in table if any(str(cell or "").strip() for cell in row)]
    if not table:
        raise SheetError("the file is empty")
    fields = [canonical_header(str(h or "")) for h in table[0]]
    if "name" not in fields:
        raise SheetError("no name column (expected a header such as name / 客户名称 / 姓名)")
    rows = []
    for number, raw in enumerate(table[1:], start=2):
        values = {}
        for field, cell in zip(fields, raw):
            if field and cell is not None and str(cell).strip():
                values[field] = _cell_text(cell)
        rows.append(SheetRow(line=number, values=values))
    return rows


def _cell_text(cell) -> str:
    import datetime as dt

    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    text = str(cell).strip()
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]  # our own export's guard against formula injection (exporter.neutralized)
    return text


def read_sheet_bytes(data: bytes, filename: str) -> list[SheetRow]:
    if not data.strip():
        raise SheetError("the file is empty")
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm") or data[:2] == b"PK":
        return _rows_from_table(_xlsx_table(data))
    if suffix not in ("", ".csv", ".txt", ".tsv"):
        raise SheetError(f"unsupported file type {suffix}: send a CSV or XLSX file")
    text = decode_csv_bytes(data)
    if "\x00" in text:
        raise SheetError("this does not look like a CSV file")
    dialect = "excel-tab" if suffix == ".tsv" else "excel"
    try:
        table = list(csv.reader(io.StringIO(text), dialect=dialect))
    except csv.Error as exc:
        raise SheetError(f"broken CSV: {exc}") from exc
    return _rows_from_table(table)


def _xlsx_table(data: bytes) -> list[list[str]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SheetError("broken XLSX file") from exc
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def read_sheet(path: str | Path) -> list[SheetRow]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SheetError(f"cannot read {path}: {exc.strerror}") from exc
    return read_sheet_bytes(data, path.name)


def split_aliases(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    for sep in ("；", ";", "，", ",", "、", "|", "/"):
        value = value.replace(sep, ";")
    return tuple(a.strip() for a in value.split(";") if a.strip())
