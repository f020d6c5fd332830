"""Issue 13, item 12 leftovers: an absurd amount is left out of the note and the user is told so in one
line (in their language); `crmbot import` / `crmbot export` honour `--team` and refuse an unknown one."""
from __future__ import annotations

import asyncio
import csv

import pytest

from bot.cli import main
from handlers.conversation_texts import t as ct
from storage import crm
from storage.models import Customer, Interaction
from tests.helpers import Person, rows, seed_team

NOTES = {
    "en": "called Wang Lei, he offered ¥99999999999999999 for the order",
    "zh": "给王磊打电话，他说订单金额¥99999999999999999",
}


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_an_absurd_amount_is_not_recorded_and_the_reply_says_so(app, lang):
    await seed_team(app, customers=[{"name": "Wang Lei", "company": "Acme", "owner": "me"}, {"name": "王磊", "company": "华为", "owner": "me"}])
    me = Person(app, "me")
    text = NOTES[lang]
    replies = await me.say(text)

    notes = await rows(app, Interaction, Interaction.text == text)
    assert len(notes) == 1  # filed, not held back by the question
    assert notes[0].status == "filed" and notes[0].customer_id is not None
    assert notes[0].amount is None and notes[0].currency is None

    line = ct("amount_too_large", lang)
    assert line in me.text
    assert "\n" not in line and len(line) < 90
    other = ct("amount_too_large", "zh" if lang == "en" else "en")
    assert other not in me.text
    assert "inf" not in me.text.lower().replace("info", "")
    buttons = [b.label for r in replies for row in r.buttons for b in row]
    assert ct("btn_ok", lang) in buttons

    await me.press(ct("btn_ok", lang))  # acknowledging changes nothing
    assert ct("kept", lang) in me.text
    again = await rows(app, Interaction, Interaction.text == text)
    assert len(again) == 1 and again[0].amount is None


async def test_a_real_amount_is_still_kept_and_checked_as_before(app):
    await seed_team(app, customers=[{"name": "Wang Lei", "company": "Acme", "owner": "me"}])
    me = Person(app, "me")
    await me.say("called Wang Lei, budget ¥80,000 for the order")
    note = (await rows(app, Interaction))[0]
    assert note.amount == 80000
    assert ct("amount_too_large", "en") not in me.text


# --- crmbot import / export --team -------------------------------------------------------------


async def _cli(*argv: str) -> int:
    """The real `crmbot` command, in a thread of its own (it runs its own event loop)."""
    return await asyncio.to_thread(_run, *argv)


def _run(*argv: str) -> int:
    try:
        main(list(argv))
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def _sheet(path, *names: str) -> str:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "company", "phone"])
        for i, name in enumerate(names):
            writer.writerow([name, "Zenith Pumps", f"1380013{i:04d}"])
    return str(path)


async def _two_teams(app) -> dict:
    async with app.db.write() as session:
        a = await crm.create_team(session, "Alpha", "Asia/Shanghai")
        b = await crm.create_team(session, "Bravo", "Asia/Shanghai")
        await crm.create_member(session, a, "anna", role="admin", platform="console", user_id="anna")
        await crm.create_member(session, b, "bert", role="admin", platform="console", user_id="bert")
        await crm.add_customer(session, Customer(team_id=a.id, name="Alice Only-A", company="A Corp"))
        await crm.add_customer(session, Customer(team_id=b.id, name="Bob Only-B", company="B Corp"))
    return {"A": a, "B": b}


async def test_import_and_export_use_the_team_named_by_team(app, sqlite_url, tmp_path, capsys):
    teams = await _two_teams(app)
    sheet = _sheet(tmp_path / "b.csv", "Zoltan Kovacs", "Yuki Tanaka")

    assert await _cli("import", sheet, "--db", sqlite_url, "--team", "bravo") == 0  # names match case-insensitively
    capsys.readouterr()
    by_team = {c.name: c.team_id for c in await rows(app, Customer)}
    assert by_team["Zoltan Kovacs"] == teams["B"].id and by_team["Yuki Tanaka"] == teams["B"].id
    assert [n for n, team in by_team.items() if team == teams["A"].id] == ["Alice Only-A"]

    out = tmp_path / "b-export.csv"
    assert await _cli("export", "--db", sqlite_url, "--team", "Bravo", "--sheet", "customers", "--format", "csv", "--out", str(out)) == 0
    exported = out.read_bytes().decode("utf-8-sig")
    for name in ("Bob Only-B", "Zoltan Kovacs", "Yuki Tanaka"):
        assert name in exported
    assert "Alice Only-A" not in exported and "A Corp" not in exported

    out_a = tmp_path / "a-export.csv"
    assert await _cli("export", "--db", sqlite_url, "--team", "Alpha", "--sheet", "customers", "--format", "csv", "--out", str(out_a)) == 0
    exported_a = out_a.read_bytes().decode("utf-8-sig")
    assert "Alice Only-A" in exported_a
    assert not any(name in exported_a for name in ("Bob Only-B", "Zoltan Kovacs", "Yuki Tanaka"))


@pytest.mark.parametrize("command", ["import", "export"])
async def test_an_unknown_team_is_one_clear_line_and_a_failure(app, sqlite_url, tmp_path, capsys, command):
    await _two_teams(app)
    before = sorted((c.name, c.team_id) for c in await rows(app, Customer))
    out = tmp_path / "nowhere.csv"
    if command == "import":
        argv = ["import", _sheet(tmp_path / "x.csv", "Zoltan Kovacs"), "--db", sqlite_url, "--team", "Charlie"]
    else:
        argv = ["export", "--db", sqlite_url, "--team", "Charlie", "--format", "csv", "--out", str(out)]
    capsys.readouterr()
    assert await _cli(*argv) != 0
    err = capsys.readouterr().err.strip()
    assert "Charlie" in err and "no team" in err
    assert "\n" not in err and "Traceback" not in err
    assert not out.exists()
    assert sorted((c.name, c.team_id) for c in await rows(app, Customer)) == before  # nothing imported anywhere
