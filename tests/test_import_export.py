"""Importing customer sheets (CSV in UTF-8, UTF-8 with BOM or GBK; XLSX) and exporting the customer sheet."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from storage import crm
from storage.exporter import customer_sheet, to_csv, to_xlsx
from storage.importer import Importer, import_sheet
from storage.models import Customer
from storage.spreadsheet import SheetError

from handlers import imports
from storage.models import Outbox

from .helpers import Person, rows, seed_team


async def _answers(app) -> list[str]:
    """The import summaries queued as second replies, oldest first."""
    return [r.body["text"] for r in sorted(await rows(app, Outbox, Outbox.key.like("%:import")), key=lambda r: r.id)]

ZH_CSV = "客户名称,公司,手机,邮箱,负责人,等级,生日\n王建国,建国五金,139 0000 1111,,me,重要,1975-08-15\n刘敏,敏捷物流,13900002222,min@example.com,,普通,3月8日\n"


async def _import(app, data: bytes, name: str):
    async with app.db.read() as session:
        team = await crm.first_team(session)
    return await import_sheet(app.db, Importer(team.id), data, name)


async def _customers(app) -> dict[str, Customer]:
    async with app.db.read() as session:
        return {c.name: c for c in (await session.exec(select(Customer))).all()}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
async def test_chinese_headers_in_every_encoding_excel_writes(app, encoding):
    await seed_team(app)
    summary = await _import(app, ZH_CSV.encode(encoding), "客户.csv")
    assert (summary.imported, summary.merged, summary.rejected) == (2, 0, [])
    got = await _customers(app)
    assert got["王建国"].company == "建国五金"
    assert got["王建国"].tier == "important"
    assert got["王建国"].birthday == "08-15"
    assert got["刘敏"].birthday == "03-08"
    assert got["刘敏"].email == "min@example.com"


async def test_duplicates_are_merged_not_doubled(app):
    await seed_team(app, customers=[{"name": "Tom Baker", "company": "Baker Logistics", "phone": "+1 555 0102"}])
    csv = (
        "name,company,phone,email,aliases\n"
        "Tom Baker,Baker Logistics,,tom@baker.example,Tommy\n"  # same name at the same company
        "T. Baker,Other Co,+1-555-0102,,\n"  # same phone
        "Ann Lee,Lee Foods,,ann@lee.example,\n"
        "Ann Lee,Lee Foods,,,\n"  # duplicate of a row earlier in the same file
    ).encode()
    summary = await _import(app, csv, "people.csv")
    assert (summary.imported, summary.merged) == (1, 3)
    got = await _customers(app)
    assert set(got) == {"Tom Baker", "Ann Lee"}
    assert got["Tom Baker"].email == "tom@baker.example"  # empty field filled
    assert {"Tommy", "T. Baker"} <= set(got["Tom Baker"].aliases)


async def test_bad_rows_are_rejected_with_row_and_reason(app):
    await seed_team(app)
    csv = "name,email,tier\nGood One,,\n,x@y.example,\nBad Mail,not-an-email,\nOdd Tier,,platinum\n".encode()
    summary = await _import(app, csv, "x.csv")
    assert summary.imported == 1
    assert [row for row, _ in summary.rejected] == [3, 4, 5]
    text = summary.render("en")
    assert "row 4: bad email" in text and "row 5: unknown tier" in text


async def test_xlsx_import(app):
    await seed_team(app)
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "公司", "电话", "等级"])
    sheet.append(["赵磊", "磊石建材", 13900003333, "特殊"])
    sheet.append(["赵磊", "磊石建材", 13900003333, "特殊"])
    buf = io.BytesIO()
    book.save(buf)
    summary = await _import(app, buf.getvalue(), "list.xlsx")
    assert (summary.imported, summary.merged) == (1, 1)
    got = await _customers(app)
    assert got["赵磊"].phone == "13900003333" and got["赵磊"].tier == "special"


@pytest.mark.parametrize(
    "data,name,reason",
    [
        (b"", "empty.csv", "empty"),
        (b"foo,bar\n1,2\n", "nocol.csv", "no name column"),
        (b"PK\x03\x04 not really a zip", "broken.xlsx", "broken XLSX"),
        (b"\x89PNG\r\n", "photo.png", "unsupported file type"),
    ],
)
async def test_broken_files_change_nothing(app, data, name, reason):
    await seed_team(app, customers=[{"name": "Keep Me"}])
    with pytest.raises(SheetError, match=reason):
        await _import(app, data, name)
    assert set(await _customers(app)) == {"Keep Me"}


async def test_import_from_chat_answers_with_a_summary(app):
    await seed_team(app)
    me = Person(app, "me")
    replies = await me.say("", file_name="客户.csv", file_bytes=ZH_CSV.encode("gbk"))
    assert "Importing 客户.csv" in replies[0].text
    await imports.settle()
    assert "2 new" in (await _answers(app))[-1]
    await me.say("", file_name="bad.csv", file_bytes=b"")
    await imports.settle()
    assert "nothing changed" in (await _answers(app))[-1]
    assert len(await _customers(app)) == 2


async def test_export_sheet_has_owner_stage_last_contact_and_follow_ups(app):
    seeded = await seed_team(app, customers=[{"name": "王伟", "company": "华东机电", "owner": "me", "tier": "important"}])
    me = Person(app, "me")
    await me.say("/new 李娜 李氏食品")
    async with app.db.write() as session:
        from storage.models import Task

        session.add(Task(team_id=seeded["team"].id, customer_id=seeded["customers"]["王伟"].id, assignee_id=seeded["members"]["me"].id, text="quote", due_at=app.services.clock()))
    async with app.db.read() as session:
        rows = await customer_sheet(session, seeded["team"].id, app.settings.zone)
    by_name = {r[0]: r for r in rows}
    assert by_name["王伟"][5] == "me" and by_name["王伟"][6] == "important"
    assert by_name["王伟"][12] == 1 and by_name["王伟"][13] == "2027-03-01"
    assert by_name["李娜"][1] == "李氏食品"
    sheet = load_workbook(io.BytesIO(to_xlsx(rows, "zh"))).active
    assert sheet.title == "客户管理方案表"
    assert sheet["A1"].value == "客户名称" and sheet["A2"].value in ("王伟", "李娜")
    csv_text = to_csv(rows).decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("name,company")
    assert "华东机电" in csv_text
