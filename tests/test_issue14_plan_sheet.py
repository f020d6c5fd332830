"""Issue 14: `crmbot export` writes the 客户管理方案表 in the team's language by default — one row per
customer with tier, stage, owner, contact plan (how often, next date), last contact, open risks and the
next step; Chinese values for a Chinese team; cells that a spreadsheet would run stay text."""
from __future__ import annotations

import asyncio
import csv
import io

from bot import cli

from .helpers import Person, seed_team
from .reminders_fixtures import set_member

MEMBERS = (("boss", "manager"), ("li", "rep", "boss"))


def _run(argv) -> int:
    try:
        return cli.main(argv) or 0
    except SystemExit as done:
        return done.code or 0


async def _export(argv) -> int:
    return await asyncio.to_thread(_run, argv)


def _read(path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


async def test_export_writes_the_plan_in_the_teams_language(app, sqlite_url, tmp_path, monkeypatch):
    seeded = await seed_team(app, MEMBERS, [{"name": "王伟", "company": "华东机电", "owner": "li", "tier": "important", "stage": "active"}, {"name": "=HYPERLINK(1)", "owner": "li"}])
    for member in seeded["members"].values():
        await set_member(app, member, language="zh")
    await Person(app, "li").say("给王伟打了电话，他投诉交货太慢，下周三前发报价")
    monkeypatch.setenv("CRMBOT_DATA_DIR", str(tmp_path / "d"))
    out = tmp_path / "plan.csv"
    assert await _export(["export", "--format", "csv", "--out", str(out), "--db", sqlite_url]) == 0
    header, *rows = _read(out)
    assert header == ["客户名称", "公司", "级别", "阶段", "负责人", "联系频率", "下次联系", "最近联系", "未解决风险", "下一步"]
    wang = next(r for r in rows if r[0] == "王伟")
    assert wang[1:6] == ["华东机电", "重要", "活跃", "li", "每14天"]
    assert wang[6] and wang[7] and wang[8] == "投诉" and "报价" in wang[9]
    assert rows[0][0] == "王伟"  # important customers first
    assert any(r[0] == "'=HYPERLINK(1)" for r in rows)  # neutralised, as the contact sheet is

    out_en = tmp_path / "plan_en.xlsx"
    assert await _export(["export", "--out", str(out_en), "--db", sqlite_url, "--lang", "en"]) == 0
    from openpyxl import load_workbook

    sheet = load_workbook(out_en).active
    assert sheet.title == "Customer plan" and sheet["C2"].value == "important" and sheet["I2"].value == "complaint"


async def test_contact_sheet_still_available(app, sqlite_url, tmp_path, monkeypatch):
    await seed_team(app, MEMBERS, [{"name": "Acme", "owner": "li", "phone": "13812345678"}])
    monkeypatch.setenv("CRMBOT_DATA_DIR", str(tmp_path / "d"))
    out = tmp_path / "c.csv"
    assert await _export(["export", "--sheet", "customers", "--format", "csv", "--out", str(out), "--db", sqlite_url]) == 0
    header, row = _read(out)
    assert header[0] == "name" and "13812345678" in row
