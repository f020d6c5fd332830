"""Phone-sized replies: long lists (/find, /tasks, the morning overdue list) show a page and a "More"
button whose press shows the next page, in place of the pressed message where the messenger edits
messages; every item once, none skipped. /help is short and points to /help all.

Through the router as an adapter delivers messages (and the console chat, whose numbers press
buttons), on the injected clock, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlmodel import select

from bot.console.adapter import ConsoleChat
from bot.console.member import ensure_console_member
from bot.console.sender import ConsoleSender
from bot.wiring import build_app
from reminders import pages
from storage import crm
from storage.models import Customer, Prompt, Task
from tests.conftest import make_settings
from tests.helpers import Person, seed_team
from tests.reminders_fixtures import add_task, at, outbox, record, set_member, tick_and_send

FORTY = [f"Acme {i:02d}" for i in range(1, 41)]
FORTY_ZH = [f"华东客户{i:02d}" for i in range(1, 41)]


def _items(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("• ")]


def _more(reply) -> str | None:
    """The payload of the reply's "More" button, if it has one."""
    found = [b.payload for row in reply.buttons for b in row if "▸" in b.label]
    assert len(found) <= 1 and len(reply.buttons) <= 1
    return found[0] if found else None


async def _page_through(person: Person, first) -> list:
    """Press "More" until the last page, each press as a messenger that edits the pressed message sends it."""
    shown = [first]
    while (payload := _more(shown[-1])) is not None:
        [reply] = await person.say("", button_payload=payload, pressed_message_id=f"msg-{len(shown)}")
        assert reply.replaces == f"msg-{len(shown)}"  # the next page takes the pressed message's place
        shown.append(reply)
    return shown


@pytest.mark.parametrize(
    "names, command, head, first_button, first_range, last_range",
    [
        (FORTY, "/find acme", "40 found:", "More ▸ (30)", "1–10 of 40", "31–40 of 40"),
        (FORTY_ZH, "/查找 华东客户", "找到 40 个：", "更多 ▸（还有 30 条）", "第 1–10 条，共 40 条", "第 31–40 条，共 40 条"),
    ],
)
async def test_forty_customers_page_through_with_more_no_duplicates_none_skipped(app_any_db, names, command, head, first_button, first_range, last_range):
    app = app_any_db
    await seed_team(app, [("li", "rep")], [{"name": name, "owner": "li", "phone": f"1381234{i:04d}"} for i, name in enumerate(names)])
    li = Person(app, "li")
    [first] = await li.say(command)
    lines = first.text.splitlines()
    assert lines[0] == head and lines[-1] == first_range
    assert len(_items(first.text)) == pages.PAGE_SIZE and len(lines) <= 12  # phone-sized
    assert [b.label for row in first.buttons for b in row] == [first_button]
    shown = await _page_through(li, first)
    assert len(shown) == 4
    assert shown[-1].text.splitlines()[-1] == last_range and shown[-1].buttons == []
    listed = [line.removeprefix("• ").split(" · ")[0] for reply in shown for line in _items(reply.text)]
    assert len(listed) == len(set(listed)) == 40  # no duplicates
    assert sorted(listed) == sorted(names)  # none skipped
    # an older page's button, pressed again, shows the same page again
    again = await li.say("", button_payload=_more(shown[1]))
    assert again[0].text == shown[2].text


async def test_a_short_list_has_no_button_and_no_prompt(app_any_db):
    app = app_any_db
    await seed_team(app, [("li", "rep")], [{"name": name, "owner": "li"} for name in FORTY[:10]])
    [reply] = await Person(app, "li").say("/find acme")
    assert len(_items(reply.text)) == 10 and reply.buttons == []
    assert "of 10" not in reply.text
    async with app.db.read() as session:
        assert (await session.exec(select(Prompt).where(Prompt.kind == pages.KIND))).all() == []


async def test_tasks_page_through_and_a_task_closed_meanwhile_is_marked_not_skipped(app_any_db, clock):
    app = app_any_db
    seeded = await seed_team(app, [("li", "rep")], [{"name": name, "owner": "li"} for name in FORTY[:25]])
    team, li_member = seeded["team"], seeded["members"]["li"]
    for i, name in enumerate(FORTY[:25]):  # due today and on the days before: all in /tasks
        await add_task(app, team, li_member, seeded["customers"][name], due=at(2027, 3, 1, 9, 0) - dt.timedelta(hours=i), text=f"call {name}")
    li = Person(app, "li")
    [first] = await li.say("/tasks")
    assert first.text.splitlines()[0] == "Due today and overdue (25):"
    numbers = [int(m) for m in re.findall(r"^#(\d+) ", first.text, re.M)]
    assert len(numbers) == 10
    # one on the next page is done before "More" is pressed
    async with app.db.read() as session:
        ordered = [t.id for t in (await session.exec(select(Task).order_by(Task.due_at, Task.id))).all()]
    closing = ordered[12]
    await li.say(f"/done {closing}")
    [_, *rest] = await _page_through(li, first)
    listed = numbers + [int(m) for reply in rest for m in re.findall(r"^#(\d+) ", reply.text, re.M)]
    assert listed == ordered  # each once, in order, none skipped
    assert any(line.startswith(f"#{closing} ✓ ") for line in rest[0].text.splitlines())
    assert rest[-1].text.splitlines()[-1] == "21–25 of 25"


async def test_someone_elses_more_button_is_refused(app):
    await seed_team(app, [("li", "rep"), ("wu", "rep")], [{"name": name} for name in FORTY])
    [first] = await Person(app, "li").say("/find acme")
    [reply] = await Person(app, "wu").say("", button_payload=_more(first))
    assert "isn't for you" in reply.text


@pytest.mark.parametrize("language, head, button, second_head", [("en", "⚠️ 14 overdue follow-up(s):", "More ▸ (4)", "⚠️ 14 overdue follow-up(s):"), ("zh", "⚠️ 14 个跟进已逾期：", "更多 ▸（还有 4 条）", "⚠️ 14 个跟进已逾期：")])
async def test_the_morning_overdue_list_pages_too(app_any_db, clock, language, head, button, second_head):
    app = app_any_db
    seeded = await seed_team(app, [("li", "rep")], [{"name": name, "owner": "li"} for name in FORTY[:14]])
    li_member = seeded["members"]["li"]
    await set_member(app, li_member, language=language)
    record(app, clock)
    for i, name in enumerate(FORTY[:14]):
        await add_task(app, seeded["team"], li_member, seeded["customers"][name], due=at(2027, 2, 26), has_time=False, text=f"quote {i:02d}")
    clock.set(at(2027, 3, 1, 9, 0))  # Monday morning: Friday's follow-ups are overdue
    await tick_and_send(app, clock)
    [row] = await outbox(app, "overdue")
    assert row.body["text"].splitlines()[0] == head
    assert len([line for line in row.body["text"].splitlines() if line.startswith("• ")]) == 10
    [[more]] = row.body["buttons"]
    assert more["label"] == button
    [second] = await Person(app, "li").say("", button_payload=more["payload"])
    lines = second.text.splitlines()
    assert lines[0] == second_head and len([line for line in lines if line.startswith("• ")]) == 4 and second.buttons == []
    quotes = re.findall(r"quote (\d\d)", row.body["text"] + second.text)
    assert sorted(quotes) == [f"{i:02d}" for i in range(14)] and len(quotes) == 14


async def test_more_in_the_console_by_its_number(sqlite_url, tmp_path, clock):
    out = io.StringIO()
    sender = ConsoleSender(out)
    app = build_app(make_settings(sqlite_url, tmp_path), clock=clock, senders=[sender], migrate=False)
    try:
        member = await ensure_console_member(app, "newcomer")
        async with app.db.write() as session:
            for name in FORTY:
                await crm.add_customer(session, Customer(team_id=member.team_id, owner_id=member.id, name=name))
        script = iter(["/find acme", "1", "1", "1"])

        async def read_line():
            return next(script, None)

        await ConsoleChat(app, "newcomer", sender, read_line=read_line).run(tick_seconds=3600)
    finally:
        await app.close()
    printed = out.getvalue()
    listed = re.findall(r"• (Acme \d\d)", printed)
    assert listed == FORTY  # four pages, pressed by number, each customer once and in order
    assert "[1] More ▸ (30)" in printed and "[1] More ▸ (10)" in printed and "31–40 of 40" in printed


@pytest.mark.parametrize("language, full_word", [("en", "All commands: /help all"), ("zh", "全部命令：/help all")])
async def test_help_is_short_and_points_to_the_full_list(app, language, full_word):
    seeded = await seed_team(app)
    await set_member(app, seeded["members"]["me"], language=language)
    me = Person(app, "me")
    [short] = await me.say("/help")
    assert len(short.text.splitlines()) <= 8 and short.text.splitlines()[-1] == full_word
    [full] = await me.say("/help all")
    assert len(full.text.splitlines()) > 15 and "/help all" not in full.text.splitlines()[-1]
    short_commands = set(re.findall(r"^/([a-z]+)", short.text, re.M))
    full_commands = set(re.findall(r"^/([a-z]+)", full.text, re.M))
    assert short_commands < full_commands and {"tasks", "find", "customer"} <= short_commands


async def test_the_question_what_is_due_today_pages_too(app_any_db, clock):
    app = app_any_db
    seeded = await seed_team(app, [("li", "rep")], [{"name": name, "owner": "li"} for name in FORTY_ZH[:12]])
    for name in FORTY_ZH[:12]:
        await add_task(app, seeded["team"], seeded["members"]["li"], seeded["customers"][name], due=at(2027, 3, 1, 16, 0), text="发报价")
    li = Person(app, "li")
    [first] = await li.say("今天要跟进哪些客户？")
    assert first.text.splitlines()[0] == "今天要跟进（12）："
    assert [b.label for row in first.buttons for b in row] == ["更多 ▸（还有 2 条）"]
    shown = await _page_through(li, first)
    listed = re.findall(r"华东客户\d\d", "\n".join(reply.text for reply in shown))
    assert sorted(listed) == FORTY_ZH[:12] and len(shown) == 2
