"""Issue 14, defect 7: an import says back every column and value it did not understand, reads lunar
birthdays written 农历正月初八, audits what it changes, and gives unowned rows to the importer."""
from __future__ import annotations

from handlers import imports
from storage.models import AuditLog, Customer, Outbox

from .helpers import Person, rows, seed_team

SHEET = "姓名,公司,客户级别,生日,微信号,阶段\n王建国,宏达机械,重要,农历正月初八,wxid_1,活跃\n李娜,李氏食品,一般,1985-03-05,wxid_2,半熟\n".encode()


async def test_import_reports_what_it_did_not_understand_and_reads_lunar_dates(app):
    seeded = await seed_team(app, (("boss", "admin"), ("li", "rep", "boss")))
    await Person(app, "li").say("", file_name="客户.csv", file_bytes=SHEET)
    await imports.settle()
    summary = [o.body["text"] for o in await rows(app, Outbox) if o.key.endswith(":import")][0]
    assert "微信号" in summary  # the unknown column is named
    assert "客户级别" not in summary  # a usual Chinese name of the tier column is understood
    assert "半熟" in summary  # the unknown stage value is named
    wang = next(c for c in await rows(app, Customer) if c.name == "王建国")
    assert wang.tier == "important" and wang.lunar_birthday == "01-08" and wang.birthday is None
    assert wang.owner_id == seeded["members"]["li"].id  # unowned rows belong to the importer
    audited = {a.customer_id for a in await rows(app, AuditLog) if a.action != "read"}
    assert wang.id in audited
