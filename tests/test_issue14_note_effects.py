"""Issue 14: a complaint or an overdue payment in a note makes a follow-up for the owner (not only a nag);
a lost deal moves the lifecycle stage (audited), and the daily lifecycle scan keeps it there."""
from __future__ import annotations

import datetime as dt

from reminders import lifecycle
from storage.models import AuditLog, Customer, Task

from .helpers import Person, rows, seed_team
from .reminders_fixtures import add_note

MEMBERS = (("boss", "manager"), ("li", "rep", "boss"), ("wu", "rep", "boss"))


async def test_complaint_makes_a_follow_up_for_the_owner(app_any_db):
    app = app_any_db
    await seed_team(app, MEMBERS, [{"name": "王伟", "owner": "li"}, {"name": "Acme", "owner": "wu"}])
    [reply] = await Person(app, "li").say("给王伟打了电话，他投诉交货太慢")
    [task] = await rows(app, Task)
    assert task.assignee_id is not None and "投诉" in task.text and task.due_at is not None
    assert "跟进" in reply.text
    # a colleague's note about wu's customer: the follow-up is wu's, and the writer is told
    boss = Person(app, "boss")
    [reply] = await boss.say("called Acme, overdue payment of 20k")
    acme_tasks = [t for t in await rows(app, Task) if "overdue payment" in t.text]
    wu = next(c for c in await rows(app, Customer) if c.name == "Acme").owner_id
    assert [t.assignee_id for t in acme_tasks] == [wu] and "wu" in reply.text


async def test_a_planned_follow_up_is_not_doubled(app_any_db):
    app = app_any_db
    await seed_team(app, MEMBERS, [{"name": "王伟", "owner": "li"}])
    await Person(app, "li").say("王伟投诉交货慢，明天去拜访")
    assert len(await rows(app, Task)) == 1


async def test_lost_deal_moves_the_stage_and_the_scan_keeps_it(app_any_db, clock):
    app = app_any_db
    seeded = await seed_team(app, MEMBERS, [{"name": "Acme", "owner": "li", "stage": "active"}])
    await add_note(app, seeded["team"], seeded["members"]["li"], seeded["customers"]["Acme"], when=clock() - dt.timedelta(days=40), outcome="won", amount=100, currency="CNY")
    [reply] = await Person(app, "li").say("Acme went with a competitor, we lost the deal")
    [acme] = await rows(app, Customer)
    assert acme.stage == "churned" and "churned" in reply.text
    assert [a.detail for a in await rows(app, AuditLog, AuditLog.action == "stage")] == ["active>churned"]
    async with app.db.write() as session:
        assert await lifecycle.recompute(session, seeded["team"].id, clock()) == 0  # a lost deal after the last order stays churned
    assert (await rows(app, Customer))[0].stage == "churned"
