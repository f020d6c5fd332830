"""Issue 14: the review cycle, through the scheduler's tick and the router. Every customer is reviewed at
least every 30/45/60 days by tier; the owner gets one short batched list a week with one-tap answers;
answering marks the customer reviewed (audited), and reviewed customers drop off the list."""
from __future__ import annotations

import datetime as dt

from storage.models import AuditLog, Customer, Task

from .helpers import Person, rows, seed_team
from .reminders_fixtures import at, outbox, record, set_member, tick_and_send

MEMBERS = (("boss", "manager"), ("li", "rep", "boss"))


def _ago(clock, days):
    return clock() - dt.timedelta(days=days)


async def _team(app, clock):
    customers = [
        {"name": "Imp", "owner": "li", "tier": "important", "created_at": _ago(clock, 31)},
        {"name": "Fresh", "owner": "li", "tier": "general", "created_at": _ago(clock, 59)},
        {"name": "Old", "owner": "li", "tier": "general", "created_at": _ago(clock, 61)},
        {"name": "Older", "owner": "li", "tier": "special", "created_at": _ago(clock, 90)},
        {"name": "Gone", "owner": "li", "tier": "general", "stage": "churned", "created_at": _ago(clock, 300)},
    ]
    return await seed_team(app, MEMBERS, customers)


async def test_weekly_review_list_with_one_tap_answers(app_any_db, clock):
    app = app_any_db
    await _team(app, clock)  # Monday 1 March 2027, 10:00
    sent = record(app, clock)
    await tick_and_send(app, clock)
    [(_, row, message)] = [x for x in sent.sent if x[1].kind == "review"]
    assert row.chat_id == "console:li"
    names = [line.split(" · ")[0].lstrip("• ") for line in message.text.splitlines()[1:]]
    assert names == ["Older", "Imp", "Old"]  # most overdue first; Fresh is not due, Gone is churned
    assert len(message.buttons) == 3 and [b.label for b in message.buttons[0]][1:] == ["Tier", "Stage", "Hand over", "Drop"]
    clock.advance(hours=2)
    await tick_and_send(app, clock)
    assert len(await outbox(app, "review")) == 1  # one list a week

    li = Person(app, "li")
    li.last = [message]
    reply = await li.press("✓ Imp")
    assert "Imp reviewed" in reply[0].text
    li.last = [message]
    await li.press("Stage")  # Older's row comes first: its Stage button
    await li.press("active")
    li.last = [message]
    handover = [b for b in message.buttons[2] if b.label == "Hand over"][0]
    reply = await li.say("", button_payload=handover.payload)
    assert "boss" in reply[0].text
    customers = {c.name: c for c in await rows(app, Customer)}
    assert customers["Older"].stage == "active"
    reviews = await rows(app, AuditLog, AuditLog.action == "review")
    assert {a.customer_id for a in reviews} == {customers[n].id for n in ("Imp", "Older", "Old")}
    assert [t.text for t in await rows(app, Task) if t.customer_id == customers["Old"].id] == ["Hand over Old (asked by li)"]
    assert [a.detail for a in await rows(app, AuditLog, AuditLog.action == "stage")] == ["potential>active"]

    clock.set(at(2027, 3, 8, 10, 0))  # next Monday: only Fresh has come due since
    await tick_and_send(app, clock)
    latest = [m for _, r, m in sent.sent if r.kind == "review"][-1]
    assert latest.text.splitlines()[1].startswith("• Fresh") and len(latest.text.splitlines()) == 2


async def test_review_list_in_chinese_and_drop(app_any_db, clock):
    app = app_any_db
    seeded = await seed_team(app, MEMBERS, [{"name": "王伟", "owner": "li", "created_at": _ago(clock, 70)}])
    await set_member(app, seeded["members"]["li"], language="zh")
    li = Person(app, "li")
    sent = record(app, clock)
    await tick_and_send(app, clock)
    [message] = [m for _, r, m in sent.sent if r.kind == "review"]
    assert "待复盘" in message.text and "✓ 王伟 仍有效" in [b.label for b in message.buttons[0]]
    li.last = [message]
    await li.press("放弃")
    [wang] = await rows(app, Customer)
    assert wang.stage == "churned"
    assert [a.detail for a in await rows(app, AuditLog, AuditLog.action == "review")] == ["dropped"]
