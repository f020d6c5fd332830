"""The customer sheet (客户管理方案表): one row per customer with owner, tier, stage, last contact, open follow-ups."""
from __future__ import annotations

import csv
import io

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .models import Customer, Member, Task

HEADERS = {
    "en": ["name", "company", "aliases", "phone", "email", "owner", "tier", "stage", "birthday", "lunar_birthday", "tags", "last_contact", "open_follow_ups", "next_follow_up"],
    "zh": ["客户名称", "公司", "别名", "电话", "邮箱", "负责人", "等级", "阶段", "生日", "农历生日", "标签", "最近联系", "待跟进数", "下次跟进"],
}


async def customer_sheet(session: AsyncSession, team_id: int, zone) -> list[list]:
    owners = {m.id: m.display_name for m in (await session.exec(select(Member).where(Member.team_id == team_id))).all()}
    stmt = select(Task.customer_id, func.count(), func.min(Task.due_at)).where(Task.team_id == team_id, Task.status == "open").group_by(Task.customer_id)
    open_tasks = {cid: (n, due) for cid, n, due in (await session.exec(stmt)).all()}
    rows = []
    for c in (await session.exec(select(Customer).where(Customer.team_id == team_id).order_by(Customer.name))).all():
        n, due = open_tasks.get(c.id, (0, None))
        rows.append(
            [
                c.name, c.company or "", ";".join(c.aliases), c.phone or "", c.email or "", owners.get(c.owner_id, ""), c.tier, c.stage,
                c.birthday or "", c.lunar_birthday or "", ";".join(c.tags),
                c.last_contact_at.astimezone(zone).date().isoformat() if c.last_contact_at else "",
                n, _as_utc(due).astimezone(zone).date().isoformat() if due else "",
            ]
        )
    return rows


def _as_utc(value):
    import datetime as dt

    if isinstance(value, str):  # aggregate over SQLite returns text
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP CSV injection: what a spreadsheet may run


def neutralized(value):
    """A text cell a spreadsheet would read as a formula, prefixed with ' (OWASP); other values as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(rows: list[list], lang: str = "en", headers: list[str] | None = None) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers or HEADERS[lang])
    writer.writerows([neutralized(v) for v in row] for row in rows)
    return buf.getvalue().encode("utf-8-sig")  # BOM: Excel opens it as UTF-8


def to_xlsx(rows: list[list], lang: str = "en", headers: list[str] | None = None, title: str | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title or ("客户管理方案表" if lang == "zh" else "Customers")
    sheet.append(headers or HEADERS[lang])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS)):
                cell.data_type = "s"  # text, never a formula (openpyxl takes any '=…' string for one)
                cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJKLMN", (14, 22, 14, 16, 24, 10, 10, 10, 8, 8, 12, 12, 8, 12)):
        sheet.column_dimensions[column].width = width
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
