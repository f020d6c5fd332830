"""Issue 14's workflows that were tested only through the router and the scheduler, now through Telegram's
fake Bot API (the real PTB Application) and the console (ConsoleChat): a complaint in a note becomes the
owner's follow-up, a lost deal moves the stage, the manager's daily digest names the customers behind the
won amount (80/20) and the riskiest ones with the reason, and a member's language is learnt from their
name or messenger locale (Chinese from the first reply, in the console too). A risk
is named in the digest once it has waited a day (reminders/nags), so the complaint is Monday's and the
digest Tuesday's."""

from __future__ import annotations

import datetime as dt
import io


from bot.console.adapter import ConsoleChat
from bot.console.member import ensure_console_member
from bot.console.sender import ConsoleSender
from bot.wiring import build_app
from reminders.scheduler import tick
from storage.models import Customer, Member, Task
from tests.conftest import make_settings
from tests.fakes.telegram_api import user
from tests.fakes.telegram_world import fake_telegram, world_any_db  # noqa: F401
from tests.helpers import rows, seed_team
from tests.reminders_fixtures import at

BOSS = user(1001, "Boss", language_code="zh-hans")
LI = user(1002, "小李", language_code="zh-hans")
WON = (("王伟", 40000), ("李娜", 15000), ("陈静", 5000))


async def _customers(app) -> dict[str, Customer]:
    return {c.name: c for c in await rows(app, Customer)}


async def test_note_effects_and_the_managers_digest_through_telegram(world_any_db):
    world = world_any_db
    app = world.app
    old = world.clock() - dt.timedelta(days=10)
    names = [name for name, _ in WON] + ["赵六", "孙七"]
    seeded = await seed_team(
        app, members=(("1001", "manager"), ("1002", "rep", "1001")), customers=[{"name": n, "owner": "1002", "created_at": old} for n in names], platform="telegram"
    )
    await world.start()
    await world.say(BOSS, "/任务")  # the manager writes Chinese

    [complaint] = await world.say(LI, "给赵六打电话，他投诉交货太慢")  # Monday
    assert "赵六" in complaint["text"] and "跟进" in complaint["text"]
    [task] = [t for t in await rows(app, Task) if "投诉" in t.text]
    customers = await _customers(app)
    assert (task.customer_id, task.assignee_id) == (customers["赵六"].id, seeded["members"]["1002"].id) and task.due_at is not None

    world.clock.set(at(2027, 3, 2, 10, 0))  # Tuesday: the complaint has waited a day; deals won and one lost
    for name, amount in WON:
        await world.say(LI, f"{name}签了合同，订单 {amount} 元")
    [lost] = await world.say(LI, "孙七转去别的厂了，这单丢了")
    assert "孙七" in lost["text"]
    assert (await _customers(app))["孙七"].stage == "churned"

    world.clock.set(at(2027, 3, 2, 17, 30))  # the daily digest's hour (Shanghai)
    before = len(world.fake.calls)
    await tick(app, world.clock())
    await world.deliver()
    shown = [m.get("text") or m.get("caption") or "" for m in world.fake.shown(1001, since=before)]
    [digest] = [text for text in shown if "日报" in text and "3月2日" in text]
    [biggest] = [line for line in digest.splitlines() if "成交额" in line]
    assert "王伟" in biggest and "李娜" in biggest and "陈静" not in biggest  # 92% of the won amount: the top two
    assert "赵六（投诉）" in digest
    assert "孙七 潜在→流失" in digest
    assert "丢单：1 单" in digest  # the lost deal named no amount: counted, not "0"


async def _console(app, who: str, sender, out, steps) -> str:
    """Run ConsoleChat as `who` through `steps` (lines, or callables run before the line they return), and
    return what it printed meanwhile."""
    await ensure_console_member(app, who)
    start = len(out.getvalue())
    lines = iter(steps)

    async def read_line():
        line = next(lines, None)
        return (await line()) if callable(line) else line

    await ConsoleChat(app, who, sender, read_line=read_line).run(tick_seconds=3600)
    return out.getvalue()[start:]


async def test_note_effects_and_the_managers_digest_through_the_console(sqlite_url, tmp_path, clock):
    out = io.StringIO()
    sender = ConsoleSender(out)
    app = build_app(make_settings(sqlite_url, tmp_path), clock=clock, senders=[sender], migrate=False)
    try:
        old = clock() - dt.timedelta(days=10)
        names = [name for name, _ in WON] + ["赵六", "孙七"]
        seeded = await seed_team(app, (("boss", "manager"), ("li", "rep", "boss")), [{"name": n, "owner": "li", "created_at": old} for n in names])

        async def tuesday():
            clock.set(at(2027, 3, 2, 10, 0))
            return f"{WON[0][0]}签了合同，订单 {WON[0][1]} 元"

        said = await _console(
            app, "li", sender, out,
            ["给赵六打电话，他投诉交货太慢", tuesday, *(f"{n}签了合同，订单 {a} 元" for n, a in WON[1:]), "孙七转去别的厂了，这单丢了"],
        )
        complaint = said.split("bot> ✓ 已记到 赵六", 1)[1].split("bot>")[0]
        assert "跟进 明天：跟进：投诉" in complaint  # the owner's own follow-up, said back
        assert "阶段 → 流失" in said.split("bot> ✓ 已记到 孙七", 1)[1].split("bot>")[0]
        [task] = [t for t in await rows(app, Task) if "投诉" in t.text]
        customers = await _customers(app)
        assert (task.customer_id, task.assignee_id) == (customers["赵六"].id, seeded["members"]["li"].id)
        assert customers["孙七"].stage == "churned"

        async def digest_hour():
            clock.set(at(2027, 3, 2, 17, 30))
            await tick(app, clock())
            return "/任务"

        shown = await _console(app, "boss", sender, out, ["/任务", digest_hour])
        digest = shown.split("bot> 🔔 [digest → boss]", 1)[1].split("bot>")[0]
        assert "日报 · 3月2日" in digest
        [biggest] = [line for line in digest.splitlines() if "成交额" in line]
        assert "王伟" in biggest and "李娜" in biggest and "陈静" not in biggest  # 92% of the won amount: the top two
        assert "风险客户（1）：赵六（投诉）" in digest
        assert "孙七 潜在→流失" in digest
    finally:
        await app.close()


async def test_a_members_language_is_learnt_from_name_or_locale_through_telegram(world_any_db):
    """A Chinese name (whatever the locale) or a zh locale: Chinese from the first reply (/start), in /join's welcome
    and stored for pushes; an English name with an en locale stays English."""
    world = world_any_db
    app = world.app
    await seed_team(app, members=(("1001", "admin"),), platform="telegram")
    await world.start()
    boss = user(1001, "Boss", language_code="en")
    # 王芳 runs Telegram in English (it has no official Chinese interface): her name says Chinese
    expected = {"张三": "zh", "Lee": "zh", "Tom": "en", "王芳": "zh"}
    for newcomer in (user(1003, "张三", language_code=None), user(1004, "Lee", language_code="zh-hans"), user(1005, "Tom", language_code="en"),
                     user(1006, "王芳", language_code="en")):
        zh = expected[newcomer["first_name"]] == "zh"
        [first] = await world.say(newcomer, "/start")
        assert ("邀请码" in first["text"]) == zh and ("invite code" in first["text"]) != zh
        [invite] = await world.say(boss, "/invite rep")
        code = invite["text"].split("/join ")[1].split()[0].strip("）).")
        [welcome] = await world.say(newcomer, f"/join {code}")
        assert welcome["text"].startswith("欢迎加入" if zh else "Welcome to"), welcome["text"]
        [tasks] = await world.say(newcomer, "/tasks")
        assert ("没有待跟进" in tasks["text"]) == zh
    assert {m.display_name: m.language for m in await rows(app, Member) if m.display_name in expected} == expected


async def test_a_chinese_console_name_is_answered_in_chinese_from_the_first_reply(sqlite_url, tmp_path, clock):
    """`crmbot chat --as 张三` in a team that does not know 张三 yet: found in Telegram's /join, not in the console."""
    out = io.StringIO()
    sender = ConsoleSender(out)
    app = build_app(make_settings(sqlite_url, tmp_path), clock=clock, senders=[sender], migrate=False)
    try:
        await seed_team(app, (("boss", "admin"),))
        said = await _console(app, "张三", sender, out, ["/tasks"])
        assert "没有待跟进" in said, said
    finally:
        await app.close()
