"""Hostile and heavy imports (issue 13, high 2-4, medium 8): caps with one line and nothing changed,
duplicates by identifiers (never a silent merge of different people), imports that see what their
author sees, and notes that keep being written while a big import runs."""

from __future__ import annotations

import asyncio
import codecs
import io
import zipfile

import pytest
from openpyxl import Workbook

import storage.db
from handlers import imports
from storage.importer import Importer, import_sheet
from storage.models import AuditLog, Customer, Interaction, Outbox
from storage.spreadsheet import SheetError, SheetLimits
from tests.helpers import Person, rows, seed_team

MEMBERS = (("boss", "admin"), ("m1", "manager"), ("a", "rep", "m1"), ("b", "rep", "m1"))


async def _names(app) -> list[tuple[str, str | None, str | None]]:
    return sorted((c.name, c.phone, c.email) for c in await rows(app, Customer))


async def _answer(app) -> str:
    await imports.settle()
    return sorted(await rows(app, Outbox, Outbox.key.like("%:import")), key=lambda r: r.id)[-1].body["text"]


def _xlsx(table) -> bytes:
    book = Workbook()
    for row in table:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _zip_bomb(megabytes: int) -> bytes:
    """A real workbook whose sheet is padded with whitespace: a few hundred KB that unpack to `megabytes`."""
    source = zipfile.ZipFile(io.BytesIO(_xlsx([["name"], ["Ann"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("sheet1.xml"):
                with bomb.open(info.filename, "w", force_zip64=True) as part:
                    head, tail = data.split(b"<sheetData>")
                    part.write(head + b"<sheetData>")
                    for _ in range(megabytes):
                        part.write(b" " * 2**20)
                    part.write(tail)
            else:
                bomb.writestr(info, data)
    return out.getvalue()


async def test_a_zip_bomb_is_refused_before_it_is_unpacked(app):
    await seed_team(app, MEMBERS, [{"name": "Keep Me"}])
    bomb = _zip_bomb(80)
    assert len(bomb) < 500_000
    await Person(app, "boss").say("", file_name="bomb.xlsx", file_bytes=bomb)
    answer = await _answer(app)
    assert "nothing changed" in answer and "unpacks to 80 MB" in answer
    assert [c.name for c in await rows(app, Customer)] == ["Keep Me"]


@pytest.mark.parametrize(
    "data,name,reason",
    [
        (b"name,company\n" + b"x,y\n" * 11, "many.csv", "more than 10 rows"),
        (b'name,company\nAnn,"Acme\nBob,Beta\nCid,Gamma\n', "quote.csv", 'line 2: a quote (") opened there is never closed'),
    ],
)
async def test_over_a_cap_or_broken_is_one_line_and_nothing_changed(app, data, name, reason):
    await seed_team(app, MEMBERS, [{"name": "Keep Me"}])
    team = (await rows(app, Customer))[0].team_id
    with pytest.raises(SheetError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        await import_sheet(app.db, Importer(team), data, name, limits=SheetLimits(rows=10))
    assert [c.name for c in await rows(app, Customer)] == ["Keep Me"]


async def test_utf16_unicode_text_from_excel_is_read(app):
    await seed_team(app, MEMBERS)
    data = codecs.BOM_UTF16_LE + "客户名称\t公司\n王建国\t建国五金\n".encode("utf-16-le")
    summary = await import_sheet(app.db, Importer(1), data, "客户.txt")
    assert summary.imported == 1 and ("王建国", None, None) in await _names(app)


async def test_conflicting_identifiers_are_different_people_or_a_reported_conflict(app_any_db):
    app = app_any_db
    seeded = await seed_team(app, MEMBERS, [{"name": "张伟", "company": "华为", "phone": "13900000001", "email": "zw1@hw.example"}])
    team = seeded["team"].id
    sheet = (
        "客户名称,公司,手机,邮箱\n"
        "张伟,华为,13900000002,\n"  # same name and company, another phone: another person
        "张伟,华为,,zw1@hw.example\n"  # the same person (same email): merged
        "李娜,华为,13900000001,other@hw.example\n"  # 张伟's phone with another email: a conflict to settle
        "王芳,华为,13900000002,zw1@hw.example\n"  # phone of the second 张伟, email of the first: a conflict
        "张伟,华为,13900000002,zw2@hw.example\n"  # the second 张伟 again, now with an email: merged, email kept
    ).encode()
    summary = await import_sheet(app.db, Importer(team), sheet, "people.csv")
    assert (summary.imported, summary.merged) == (1, 2)
    assert [line for line, _ in summary.rejected] == [4, 5] and all("conflict" in reason for _, reason in summary.rejected)
    assert await _names(app) == [("张伟", "13900000001", "zw1@hw.example"), ("张伟", "13900000002", "zw2@hw.example")]


async def test_a_reps_import_sees_only_what_the_rep_sees_and_cannot_name_other_owners(app):
    seeded = await seed_team(app, MEMBERS, [{"name": "Hidden Co", "owner": "b", "phone": "13900000009", "tier": "general"}])
    sheet = "name,phone,tags,tier,owner\nHidden Co,13900000009,vip,important,\nMine,13900000008,,,a\nTheirs,13900000007,,,b\n".encode()
    await Person(app, "a").say("", file_name="mine.csv", file_bytes=sheet)
    answer = await _answer(app)
    assert answer.startswith("Import: 2 new, 0 merged, 1 rejected") and "only an admin" in answer  # no hint that b's customer exists
    hidden = [c for c in await rows(app, Customer) if c.owner_id == seeded["members"]["b"].id]
    assert [(c.name, c.tags, c.tier) for c in hidden] == [("Hidden Co", [], "general")]  # untouched
    a = seeded["members"]["a"].id
    assert sorted(c.name for c in await rows(app, Customer, Customer.owner_id == a)) == ["Hidden Co", "Mine"]
    audit = await rows(app, AuditLog, AuditLog.action == "import")
    assert len(audit) == 2 and {r.member_id for r in audit} == {a}
    await Person(app, "boss").say("", file_name="theirs.csv", file_bytes=sheet.replace(b"Hidden Co", b"Other"))
    assert "rejected" in await _answer(app)
    assert [c.name for c in await rows(app, Customer, Customer.name == "Theirs")] == ["Theirs"]  # an admin imports for others


async def test_notes_keep_being_written_while_a_big_import_runs(app_any_db, monkeypatch):
    """Writers wait at most BUSY_SECONDS for the lock; an import as one long transaction outlasted it
    and notes failed. Batches of short transactions let every note in."""
    app = app_any_db
    monkeypatch.setattr(storage.db, "BUSY_SECONDS", 1.0)
    await seed_team(app, MEMBERS, [{"name": "Wang Lei", "company": "Acme", "owner": "a"}])
    big = "name,company,phone\n" + "".join(f"P{i},C{i % 97},139{i:08d}\n" for i in range(3_000))
    a = Person(app, "a")
    upload = Person(app, "boss").say("", file_name="big.csv", file_bytes=big.encode())
    _, *replies = await asyncio.gather(upload, *(a.say(f"called Wang Lei about order {i}") for i in range(40)))
    assert all("Wang Lei" in r[0].text for r in replies)
    assert (await _answer(app)).startswith("Import: 3000 new")
    assert len(await rows(app, Interaction)) == 40


async def test_sheets_are_parsed_off_the_event_loop(app, monkeypatch):
    import threading

    import storage.spreadsheet as spreadsheet

    threads = set()
    real = spreadsheet._cell_text

    def spy(cell):
        threads.add(threading.current_thread())
        return real(cell)

    monkeypatch.setattr(spreadsheet, "_cell_text", spy)
    await seed_team(app, MEMBERS)
    await Person(app, "boss").say("", file_name="x.xlsx", file_bytes=_xlsx([["name", "company"], ["Ann", "Acme"], ["Bob", "Beta"]]))
    assert (await _answer(app)).startswith("Import: 2 new")
    assert threads and threading.main_thread() not in threads


async def test_a_command_line_import_does_not_lock_out_the_bots_notes(sqlite_url, tmp_path, clock, monkeypatch):
    """`crmbot import` in another process while the bot files notes (SQLite: one writer at a time)."""
    import os
    import sys
    from pathlib import Path

    from bot.wiring import build_app
    from tests.conftest import make_settings

    monkeypatch.setattr(storage.db, "BUSY_SECONDS", 1.0)  # a writer waits 1 s at most for the lock
    app = build_app(make_settings(sqlite_url, tmp_path), clock=clock, migrate=False)
    try:
        await seed_team(app, MEMBERS, [{"name": "Wang Lei", "company": "Acme", "owner": "a"}])
        sheet = tmp_path / "big.csv"
        sheet.write_text("name,company,phone\n" + "".join(f"P{i},C{i % 97},139{i:08d}\n" for i in range(10_000)))
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRMBOT_")} | {"CRMBOT_DATABASE_URL": sqlite_url, "CRMBOT_DATA_DIR": str(tmp_path / "d")}
        crmbot = Path(sys.executable).with_name("crmbot")
        proc = await asyncio.create_subprocess_exec(str(crmbot), "import", str(sheet), env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        a, answered, i = Person(app, "a"), [], 0
        while proc.returncode is None or i < 5:
            answered += await a.say(f"called Wang Lei about order {i}")
            i += 1
            if proc.returncode is None:
                try:
                    await asyncio.wait_for(asyncio.shield(proc.wait()), 0.001)  # (only looks whether it ended)
                except asyncio.TimeoutError:
                    pass
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()[-1500:]
        assert "10000 new" in out.decode()
        assert len(answered) == i and all("Wang Lei" in r.text for r in answered)
        assert len(await rows(app, Interaction)) == i
    finally:
        await app.close()
