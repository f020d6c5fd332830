"""Issue 14's workflows through the console and through a messenger (the earlier tests ran them through
the router, and only /new, /tasks, /done and the card through Telegram): editing from chat, /merge
with its button and /unmerge, /snooze and /done several, the scheduler's review list answered with one
tap, and the manager's digest counting the day's notes."""

from __future__ import annotations

import datetime as dt
import io
import re

from bot.console.adapter import ConsoleChat
from bot.console.member import ensure_console_member
from bot.console.sender import ConsoleSender
from bot.wiring import build_app
from reminders.scheduler import tick
from storage.models import AuditLog, Customer, Interaction, Task
from tests.conftest import make_settings
from tests.fakes.telegram_api import user
from tests.fakes.telegram_world import fake_telegram, world_any_db  # noqa: F401
from tests.helpers import rows, seed_team
from tests.reminders_fixtures import at

BOSS = user(1001, "Boss", language_code="zh-hans")
LI = user(1002, "小李", language_code="zh-hans")


def _labels(message: dict) -> list[str]:
    return [b["text"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def _customers(app) -> dict[str, Customer]:
    return {c.name: c for c in await rows(app, Customer)}


async def test_edits_merge_tasks_review_and_digest_through_telegram(world_any_db):
    world = world_any_db
    app = world.app
    old = world.clock() - dt.timedelta(days=90)
    await seed_team(
        app,
        members=(("1001", "manager"), ("1002", "rep", "1001")),
        customers=[{"name": "王伟", "company": "华东机电", "owner": "1002", "created_at": old}, {"name": "王伟伟", "owner": "1002", "created_at": old}],
        platform="telegram",
    )
    await world.start()

    await world.say(LI, "/tier 王伟 重要")
    await world.say(LI, "/阶段 王伟 活跃")
    await world.say(LI, "/phone 王伟 13812345678")
    await world.say(LI, "/alias 王伟 王总")
    wang = (await _customers(app))["王伟"]
    assert (wang.tier, wang.stage, wang.phone, wang.aliases) == ("important", "active", "13812345678", ["王总"])

    await world.say(LI, "给王伟伟打电话，周五发报价")
    [ask] = await world.say(LI, "/merge 王伟 王伟伟")
    await world.press(LI, ask, next(label for label in _labels(ask) if label in ("合并", "Merge")))
    assert set(await _customers(app)) == {"王伟"}
    assert {n.customer_id for n in await rows(app, Interaction)} == {wang.id}
    await world.say(LI, "/unmerge")
    assert set(await _customers(app)) == {"王伟", "王伟伟"}

    await world.say(LI, "给王总打电话，明天发样品")
    ids = sorted(t.id for t in await rows(app, Task))
    await world.say(LI, f"/snooze {ids[0]} 下周一")
    [done] = await world.say(LI, f"/done {ids[1]}")
    assert "王伟" in done["text"]
    tasks = {t.id: t for t in await rows(app, Task)}
    assert tasks[ids[1]].status == "done" and tasks[ids[0]].due_at.astimezone(world.clock().tzinfo).date().isoformat() == "2027-03-08"

    before = len(world.fake.calls)
    await tick(app, world.clock())  # Monday: the weekly review list
    await world.deliver()
    [review] = [m for m in world.fake.shown(1002, since=before) if "王伟伟" in (m.get("text") or "")]
    tap = next(label for label in _labels(review) if label.startswith("✓") and "王伟伟" in label)
    [answer] = await world.press(LI, review, tap)
    assert "王伟伟" in answer["text"]
    assert (await _customers(app))["王伟伟"].id in {a.customer_id for a in await rows(app, AuditLog, AuditLog.action == "review")}

    world.clock.set(at(2027, 3, 1, 17, 30))  # the daily digest's hour (Shanghai)
    before = len(world.fake.calls)
    await tick(app, world.clock())
    await world.deliver()
    digests = [m["text"] for m in world.fake.shown(1001, since=before) if "2" in m.get("text", "")]
    assert digests, [m.get("text") for m in world.fake.shown(1001, since=before)]
    assert re.search(r"1002\D{0,6}2", digests[0]), digests[0]  # the rep's two notes of the day


async def test_edits_merge_and_tasks_through_the_console(sqlite_url, tmp_path, clock):
    out = io.StringIO()
    sender = ConsoleSender(out)
    app = build_app(make_settings(sqlite_url, tmp_path), clock=clock, senders=[sender], migrate=False)
    try:
        await seed_team(app, (("boss", "manager"), ("li", "rep", "boss")), [{"name": "王伟", "company": "华东机电", "owner": "li"}, {"name": "王伟伟", "owner": "li"}])
        await ensure_console_member(app, "li")
        lines = iter(
            [
                "/new 王建国, 宏达机械, 13812345678, 别名 王总, 重要",
                "给王总打电话，周五发报价",
                "/tier 王伟 特殊",
                "/stage 王伟 活跃",
                "/company 王伟 华东重工",
                "给王伟伟打电话，明天发样品",
                "/merge 王伟 王伟伟",
                lambda text: _number(text, ("合并", "Merge")),
                "/tasks all",
                lambda text: f"/snooze {_task_ids(text)[0]} 下周一",
                lambda text: f"/done {_task_ids(text)[1]}",
                "/customer 王建国",
            ]
        )

        async def read_line():
            line = next(lines, None)
            return line(out.getvalue()) if callable(line) else line

        await ConsoleChat(app, "li", sender, read_line=read_line).run(tick_seconds=3600)
        text = out.getvalue()
        customers = await _customers(app)
        assert set(customers) == {"王建国", "王伟"}
        jian, wang = customers["王建国"], customers["王伟"]
        assert (jian.phone, jian.tier, jian.aliases) == ("13812345678", "important", ["王总"])
        assert (wang.tier, wang.stage, wang.company) == ("special", "active", "华东重工") and "王伟伟" in wang.aliases
        notes = {n.text: n.customer_id for n in await rows(app, Interaction)}
        assert notes == {"给王总打电话，周五发报价": jian.id, "给王伟伟打电话，明天发样品": wang.id}
        tasks = {t.customer_id: t for t in await rows(app, Task)}
        assert tasks[wang.id].status == "open" and tasks[wang.id].due_at.astimezone(clock().tzinfo).date().isoformat() == "2027-03-08"  # snoozed
        assert tasks[jian.id].status == "done"
        card = text.rsplit("bot> 王建国 · ", 1)[-1]
        assert card.startswith("宏达机械") and "重要" in card and "13812345678" in card and "发报价" in card
    finally:
        await app.close()


def _number(text: str, labels: tuple[str, ...]) -> str:
    """The console number of the last button with one of these labels."""
    found = [n for n, label in re.findall(r"\[(\d+)\]\s*([^\[\n]+)", text) if label.strip() in labels]
    assert found, text[-800:]
    return found[-1]


def _task_ids(text: str) -> list[str]:
    """The follow-up numbers of the last /tasks listing, in its order."""
    listing = re.split(r"bot> (?:你的待跟进|Your follow-ups)", text)[-1].split("bot>")[0]
    return re.findall(r"^\s+#(\d+)", listing, re.M)


async def test_the_review_list_answered_through_the_console(sqlite_url, tmp_path, clock):
    out = io.StringIO()
    sender = ConsoleSender(out)
    app = build_app(make_settings(sqlite_url, tmp_path), clock=clock, senders=[sender], migrate=False)
    try:
        old = clock() - dt.timedelta(days=90)
        seeded = await seed_team(app, (("boss", "manager"), ("li", "rep", "boss")), [{"name": "王伟", "owner": "li", "created_at": old}])
        await ensure_console_member(app, "li")
        step = 0

        async def read_line():
            nonlocal step
            step += 1
            if step == 1:
                await tick(app, clock())  # Monday 10:00: the weekly review list is queued …
                return "/tasks"  # … and printed with the answer to the next line
            if step == 2:
                found = re.findall(r"\[(\d+)\]\s*✓[^\[\n]*王伟", out.getvalue())
                assert found, out.getvalue()[-800:]
                return found[-1]
            return None

        await ConsoleChat(app, "li", sender, read_line=read_line).run(tick_seconds=3600)
        assert "王伟" in out.getvalue().rsplit("bot>", 1)[-1]  # the tap's answer
        reviews = await rows(app, AuditLog, AuditLog.action == "review")
        assert [(a.customer_id, a.member_id) for a in reviews] == [(seeded["customers"]["王伟"].id, seeded["members"]["li"].id)]
    finally:
        await app.close()
