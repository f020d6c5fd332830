"""Manager digests: daily contents, group chats without amounts, the weekly chart, /digest."""
from __future__ import annotations

import datetime as dt
from chat.messages import Outgoing
from handlers import background
from storage import attachments
from storage.models import ChatLink, Customer, Task
from tests.helpers import Person, seed_team
from tests.reminders_fixtures import add_note, add_task, at, outbox, record, run_tick, tick_and_send


async def _team(app, clock):
    seeded = await seed_team(
        app,
        [("boss", "manager"), ("li", "rep", "boss"), ("wu", "rep", "boss"), ("other", "rep")],
        [{"name": f"C{i}", "owner": "li", "tier": "general"} for i in range(10)] + [{"name": "Vip", "owner": "wu", "tier": "important"}, {"name": "Elsewhere", "owner": "other"}],
    )
    team, m, c = seeded["team"], seeded["members"], seeded["customers"]
    today = clock().replace(hour=10)
    # 10 customers won over the year: C0 brings 800k, the others 20k each → top 2 of 10 bring 840/980
    await add_note(app, team, m["li"], c["C0"], when=today - dt.timedelta(days=100), outcome="won", amount=800000, currency="CNY")
    for i in range(1, 10):
        await add_note(app, team, m["li"], c[f"C{i}"], when=today - dt.timedelta(days=50), outcome="won", amount=20000, currency="CNY")
    await add_note(app, team, m["li"], c["C1"], when=today, text="won again", outcome="won", amount=50000, currency="CNY")
    await add_note(app, team, m["li"], c["C2"], when=today, text="lost it", outcome="lost", amount=30000, currency="CNY")
    await add_note(app, team, m["wu"], c["Vip"], when=today - dt.timedelta(days=30))
    await add_note(app, team, m["li"], c["C3"], when=today - dt.timedelta(days=3), risk=["overdue_payment"], text="payment late")
    await add_note(app, team, m["other"], c["Elsewhere"], when=today, outcome="won", amount=1, currency="CNY")
    done = await add_task(app, team, m["li"], c["C1"], due=today)
    async with app.db.write() as session:
        row = await session.get(Task, done.id)
        row.status, row.done_at = "done", today
        session.add(row)
    clock.set(today - dt.timedelta(days=30))  # the visit was planned a month ago, Vip silent since
    await add_task(app, team, m["wu"], c["Vip"], due=today - dt.timedelta(days=5), text="visit")
    clock.set(today)
    async with app.db.write() as session:
        session.add(Customer(team_id=team.id, owner_id=m["wu"].id, name="Newbie", created_at=today))
        session.add(ChatLink(team_id=team.id, platform="console", chat_id="console:sales-group", subscriptions=["digest", f"digest_by:{m['boss'].id}"]))
    return seeded


async def test_daily_digest_for_the_manager_and_the_group(app, clock):
    await _team(app, clock)
    sent = record(app, clock)
    clock.set(at(2027, 3, 1, 17, 29))
    await tick_and_send(app, clock)
    assert not [t for t in sent.texts("digest") if "Daily" in t]
    clock.set(at(2027, 3, 1, 17, 30))
    await tick_and_send(app, clock)
    rows = [row for _, row, _ in sent.sent if row.kind == "digest" and "Daily" in row.body["text"]]
    manager = next(row.body["text"] for row in rows if row.chat_id == "console:boss")
    group = next(row.body["text"] for row in rows if row.chat_id == "console:sales-group")
    assert "Notes: li 3, boss 0, wu 0" in manager
    assert "Follow-ups: 1 done, 1 overdue" in manager
    assert "New customers: 1" in manager
    assert "Won: 50,000 CNY · Lost: 30,000 CNY" in manager
    assert "At risk (1): C3" in manager and "Silent important (1): Vip" in manager
    assert "80/20: top 2 of 10 customers bring 84% of revenue" in manager
    assert "Overdue > 3 days: Vip (wu, 5d)" in manager
    assert "Elsewhere" not in manager  # not this manager's team
    assert "CNY" not in group and "Won: 1 deal(s) · Lost: 1" in group  # a group sees no amounts, and only its subscriber's scope (boss)
    assert len(manager.splitlines()) <= 12
    await tick_and_send(app, clock)
    assert len([r for r in await outbox(app, "digest") if "Daily" in r.body["text"]]) == 2


async def test_weekly_digest_carries_a_chart(app, clock):
    await _team(app, clock)
    sent = record(app, clock)
    clock.set(at(2027, 3, 8, 9, 0))  # the next Monday
    await tick_and_send(app, clock)
    weekly = [m for _, row, m in sent.sent if row.kind == "digest" and "Weekly" in m.text and row.chat_id == "console:boss"]
    [message] = weekly
    assert "Weekly digest · Mon 1 Mar – Sun 7 Mar" in message.text and "Notes: li" in message.text
    assert (await _chart(app, message.image_path))[:8] == b"\x89PNG\r\n\x1a\n"  # in the database, not a file on this host


async def _chart(app, ref: str) -> bytes:
    async with app.db.read() as session:
        [chart] = (await attachments.load(session, [ref])).values()
    return chart.data


async def test_digest_command_for_managers_only(app, clock):
    await _team(app, clock)
    clock.advance(minutes=5)
    boss = Person(app, "boss")
    [reply] = await boss.say("/digest")
    assert reply.text.startswith("📊 Daily digest") and "Won: 50,000 CNY" in reply.text
    replies = await boss.say("/摘要 周")  # a chart not in the cache is drawn after the commit, then queued as the reply
    await background.settle()
    if not replies:
        [row] = [row for row in await outbox(app) if row.key.endswith(":digest")]
        replies = [Outgoing.from_body(row.body)]
    [reply] = replies
    assert (await _chart(app, reply.image_path or ""))[:8] == b"\x89PNG\r\n\x1a\n"
    [reply] = await Person(app, "li").say("/digest")
    assert "Only a manager" in reply.text


async def test_a_stale_daily_digest_is_dropped_not_sent_late(app, clock):
    await _team(app, clock)
    clock.set(at(2027, 3, 1, 17, 40))
    await run_tick(app, clock)  # queued, but the bot goes down before sending it
    sent = record(app, clock)
    clock.set(at(2027, 3, 3, 9, 5))  # two days later: Tuesday's digest was meant since, Monday's is stale
    await tick_and_send(app, clock)
    assert not [t for t in sent.texts("digest") if "Daily" in t]
    rows = [r for r in await outbox(app, "digest") if "Daily" in r.body["text"]]
    assert rows and {(r.status, r.last_error) for r in rows} == {("dropped", "expired")}
    clock.set(at(2027, 3, 3, 17, 30))
    await tick_and_send(app, clock)
    assert [r for r in await outbox(app, "digest") if r.status == "sent" and "Daily digest · Wed 3 Mar" in r.body["text"]]
