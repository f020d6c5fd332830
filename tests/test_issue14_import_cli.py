"""Issue 14, defect 7, on the command line: rows imported without an owner are not left for every rep to
see (handlers/access shows an unowned customer to every rep; the README says a rep sees what they own
or is shared with them). `crmbot import` gives them to --owner NAME, else to --as NAME, else to the
team's admin, says whom in its output, and audits the import as --as or the admin."""

from __future__ import annotations

import asyncio

from bot.cli import main
from storage.models import AuditLog, Customer
from tests.helpers import Person, rows, seed_team

MEMBERS = (("boss", "admin"), ("m1", "manager"), ("li", "rep", "m1"), ("wu", "rep", "m1"))
SHEET = "客户名称,公司,负责人\n赵六,六六科技,\n孙七,七星贸易,li\n"


def _run(*argv: str) -> int:
    try:
        main(list(argv))
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


async def _sees(app, who: str, name: str) -> bool:
    [reply] = await Person(app, who).say(f"/customer {name}")
    return "六六科技" in reply.text


async def test_rows_without_an_owner_go_to_the_admin_not_to_every_rep(app, sqlite_url, tmp_path, capsys):
    seeded = await seed_team(app, MEMBERS)
    sheet = tmp_path / "客户.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    assert await asyncio.to_thread(_run, "import", str(sheet), "--db", sqlite_url) == 0
    out = capsys.readouterr().out
    assert "2 new" in out and "1 row without an owner went to boss (admin)" in out
    owners = {c.name: c.owner_id for c in await rows(app, Customer)}
    members = seeded["members"]
    assert owners == {"赵六": members["boss"].id, "孙七": members["li"].id}
    assert not await _sees(app, "wu", "赵六")  # another rep's view: no such customer
    assert await _sees(app, "boss", "赵六")
    assert {a.member_id for a in await rows(app, AuditLog, AuditLog.action == "import")} == {members["boss"].id}


async def test_owner_names_the_owner_of_rows_without_one(app, sqlite_url, tmp_path, capsys):
    seeded = await seed_team(app, MEMBERS)
    sheet = tmp_path / "c.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    assert await asyncio.to_thread(_run, "import", str(sheet), "--db", sqlite_url, "--owner", "WU", "--lang", "zh") == 0
    assert "没有负责人的 1 行归 wu。" in capsys.readouterr().out
    members = seeded["members"]
    assert {c.name: c.owner_id for c in await rows(app, Customer)} == {"赵六": members["wu"].id, "孙七": members["li"].id}
    assert await _sees(app, "wu", "赵六") and not await _sees(app, "li", "赵六")
    assert {a.member_id for a in await rows(app, AuditLog, AuditLog.action == "import")} == {members["boss"].id}  # who imported: the admin


async def test_an_unknown_owner_is_one_line_and_changes_nothing(app, sqlite_url, tmp_path, capsys):
    await seed_team(app, MEMBERS)
    sheet = tmp_path / "c.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    assert await asyncio.to_thread(_run, "import", str(sheet), "--db", sqlite_url, "--owner", "zhang") == 1
    assert capsys.readouterr().err.strip() == "Import failed, nothing changed: no member called zhang in Test team"
    assert await rows(app, Customer) == []


async def test_as_names_the_owner_of_rows_without_one(app, sqlite_url, tmp_path, capsys):
    seeded = await seed_team(app, MEMBERS)
    sheet = tmp_path / "c.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    assert await asyncio.to_thread(_run, "import", str(sheet), "--db", sqlite_url, "--as", "wu") == 0
    owners = {c.name: c.owner_id for c in await rows(app, Customer)}
    assert owners == {"赵六": seeded["members"]["wu"].id, "孙七": seeded["members"]["li"].id}
