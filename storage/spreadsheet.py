"""Reading customer sheets, streamed: CSV (UTF-8, UTF-8 with BOM, UTF-16 as Excel's "Unicode text",
GBK) or XLSX, headers in English or Chinese.

Nothing is read whole into rows: `iter_sheet` yields one SheetRow at a time (CSV through the csv
module over a decoding stream, XLSX through openpyxl's read-only mode), so memory does not grow with
the file. `SheetLimits` bounds what one file may cost: rows, columns, cells, characters per cell and,
for XLSX (a zip), the declared unpacked size of its parts, checked before anything is unpacked
(zipfile never unpacks a part past its declared size). Anything over a limit, and a broken file,
raises SheetError with a line for the user.

Only reading and header mapping live here; writing rows into the database is importer.py's job.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .text import storable

# Canonical field -> the header spellings people actually use (compared case-insensitively, spaces removed).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "customer", "customername", "contact", "fullname", "客户名称", "客户名", "客户", "姓名", "联系人", "名称"),
    "company": ("company", "organization", "organisation", "account", "公司", "公司名称", "单位", "企业"),
    "aliases": ("aliases", "alias", "nickname", "别名", "昵称", "称呼"),
    "phone": ("phone", "mobile", "tel", "telephone", "phonenumber", "电话", "手机", "手机号", "联系电话", "电话号码"),
    "email": ("email", "e-mail", "mail", "邮箱", "电子邮件", "电邮"),
    "owner": ("owner", "rep", "salesrep", "assignedto", "负责人", "销售", "业务员", "跟进人"),
    "tier": ("tier", "level", "grade", "等级", "级别", "客户等级", "客户级别", "客户分级", "客户类别", "分类"),
    "stage": ("stage", "lifecycle", "status", "阶段", "状态", "客户阶段"),
    "birthday": ("birthday", "dob", "dateofbirth", "生日", "出生日期"),
    "lunar_birthday": ("lunarbirthday", "lunar", "农历生日", "阴历生日"),
    "tags": ("tags", "tag", "labels", "标签"),
    "language": ("language", "lang", "语言"),
}

_LOOKUP = {spelling.replace(" ", "").replace("_", "").lower(): field for field, spellings in HEADER_ALIASES.items() for spelling in spellings}


class SheetError(ValueError):
    """The file as a whole cannot be read (wrong type, broken, empty, no name column, too big)."""


@dataclass(frozen=True)
class SheetLimits:
    rows: int = 200_000
    columns: int = 64
    cells: int = 3_000_000
    cell_chars: int = 2_000
    unzipped_bytes: int = 64 * 1024 * 1024  # XLSX: every part of the zip together, as declared


@dataclass
class SheetRow:
    line: int  # 1-based row number as the user sees it in the sheet (header is row 1)
    values: dict[str, str]


def canonical_header(header: str) -> str | None:
    return _LOOKUP.get(header.strip().replace(" ", "").replace("_", "").lower())


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


def _rows(table: Iterator[tuple[int, list]], limits: SheetLimits) -> Iterator[SheetRow]:
    """(line, cells) → SheetRows under the header, within the limits."""
    fields: list[str | None] | None = None
    count = cells = 0
    for line, raw in table:
        if not any(str(cell or "").strip() for cell in raw):
            continue
        if fields is None:
            fields = [canonical_header(str(h or "")) for h in raw[: limits.columns]]
            if "name" not in fields:
                raise SheetError("no name column (expected a header such as name / 客户名称 / 姓名)")
            continue
        count += 1
        cells += len(raw)
        if count > limits.rows:
            raise SheetError(f"more than {limits.rows:,} rows: split the file")
        if cells > limits.cells:
            raise SheetError(f"more than {limits.cells:,} cells: split the file")
        values = {}
        for field, cell in zip(fields, raw):
            if field and cell is not None and str(cell).strip():
                values[field] = storable(_cell_text(cell)[: limits.cell_chars])
        yield SheetRow(line=line, values=values)
    if fields is None:
        raise SheetError("the file is empty")


def iter_sheet(data: bytes, filename: str, limits: SheetLimits = SheetLimits()) -> Iterator[SheetRow]:
    """The rows of a sheet, one at a time; SheetError (possibly after some rows) when the file is bad."""
    if not data.strip():
        raise SheetError("the file is empty")
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm") or data[:2] == b"PK":
        return _rows(_xlsx_table(data, limits), limits)
    if suffix not in ("", ".csv", ".txt", ".tsv"):
        raise SheetError(f"unsupported file type {suffix}: send a CSV or XLSX file")
    return _rows(_csv_table(data, suffix, limits), limits)


def check_sheet(data: bytes, filename: str, limits: SheetLimits = SheetLimits()) -> int:
    """Read the whole file once without keeping it: its number of rows, or SheetError."""
    return sum(1 for _ in iter_sheet(data, filename, limits))


# --- CSV --------------------------------------------------------------------------------------------
def csv_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text"
    for encoding in ("utf-8", "gb18030"):  # gb18030 is a superset of GBK, what Chinese Excel writes
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), 1 << 20):  # checked in pieces: never a second copy of the file
                decoder.decode(data[start : start + (1 << 20)])
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise SheetError("cannot decode the file: save it as UTF-8 or GBK CSV")


def _csv_table(data: bytes, suffix: str, limits: SheetLimits) -> Iterator[tuple[int, list]]:
    encoding = csv_encoding(data)
    head = data[:65536].decode(encoding, errors="ignore").lstrip("\ufeff").split("\n", 1)[0]
    if "\x00" in head:
        raise SheetError("this does not look like a CSV file")
    tabs = suffix == ".tsv" or head.count("\t") > head.count(",")
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(text, dialect="excel-tab" if tabs else "excel", strict=True)
    while True:
        start = reader.line_num + 1
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "unexpected end of data" in str(exc) or "field larger" in str(exc):
                raise SheetError(f'line {start}: a quote (") opened there is never closed') from exc
            raise SheetError(f"broken CSV at line {start}: {exc}") from exc
        if any("\x00" in cell for cell in raw):
            raise SheetError("this does not look like a CSV file")
        yield start, raw[: limits.columns]


# --- XLSX -------------------------------------------------------------------------------------------
def _xlsx_table(data: bytes, limits: SheetLimits) -> Iterator[tuple[int, list]]:
    from xml.etree.ElementTree import ParseError

    from openpyxl import load_workbook

    broken = (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, TypeError, ParseError, EOFError)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except broken as exc:
        raise SheetError("broken XLSX file") from exc
    if unpacked > limits.unzipped_bytes:
        raise SheetError(f"the XLSX file unpacks to {unpacked / 2**20:,.0f} MB (limit {limits.unzipped_bytes / 2**20:,.0f} MB): split it or save it as CSV")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except broken as exc:
        raise SheetError("broken XLSX file") from exc
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # a forged <dimension> must not make every row a million cells wide
        for line, row in enumerate(sheet.iter_rows(values_only=True, max_col=limits.columns), start=1):
            yield line, list(row)
    except broken as exc:
        raise SheetError("broken XLSX file") from exc
    finally:
        book.close()


def read_sheet_bytes(data: bytes, filename: str, limits: SheetLimits = SheetLimits()) -> list[SheetRow]:
    return list(iter_sheet(data, filename, limits))


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
