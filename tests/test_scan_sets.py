"""The daily scans read sets, not rows one by one (issue 17): what they send must be what the per-task rules say.

The overdue list reads the bulk of a member's follow-ups as bare ids (those due before the last working day began:
overdue for certain) and checks only the few due since with the working-time rules; the follow-up reminders never
read the ones due before that day. Both are compared here with the rules applied to every open follow-up, over
weeks of follow-ups (with and without a time, a weekend, the Spring Festival holidays) and two time zones."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from chat.messages import Button, Outgoing
from reminders import followups, nags, overdue, workdays
from storage.models import Task
from tests.helpers import seed_team
from tests.reminders_fixtures import SHANGHAI, add_note, at, outbox, set_member

NEW_YORK = ZoneInfo("America/New_York")
MOMENTS = [
    at(2027, 3, 1, 10, 0),  # a Monday morning (the weekend's follow-ups)
    at(2027, 3, 3, 15, 40),  # a Wednesday afternoon
    at(2027, 2, 18, 9, 5),  # the first working day after the Spring Festival holidays
    at(2027, 3, 1, 8, 0),  # before the working day begins
]


async def _spread(app, clock):
    """Two reps (Shanghai, New York), each with a follow-up every 5 hours from 40 days before to 3 days after
    each moment, every other one a date alone."""
    seeded = await seed_team(app, [("boss", "manager"), ("li", "rep", "boss"), ("ny", "rep", "boss")], [{"name": "Acme", "owner": "li"}])
    team, members = seeded["team"], seeded["members"]
    await set_member(app, members["ny"], timezone="America/New_York")
    rows = []
    for moment in MOMENTS:
        for member in (members["li"], members["ny"]):
            for i, hours in enumerate(range(-40 * 24, 3 * 24, 5)):
                due = moment + dt.timedelta(hours=hours, minutes=7 * (i % 3))
                has_time = i % 2 == 0
                if not has_time:
                    local = due.astimezone(SHANGHAI if member is members["li"] else NEW_YORK)
                    due = dt.datetime.combine(local.date(), dt.time(0, 0), tzinfo=local.tzinfo)
                rows.append(dict(team_id=team.id, customer_id=seeded["customers"]["Acme"].id, assignee_id=member.id, text=f"t{len(rows)}", due_at=due, due_has_time=has_time,
                                 status="open" if i % 7 else "done", created_at=moment - dt.timedelta(days=41)))
    async with app.db.write() as session:
        await (await session.connection()).execute(Task.__table__.insert(), rows)
    return seeded


async def _by_rule(app, now: dt.datetime, member_ids) -> dict[int, list[int]]:
    async with app.db.read() as session:
        rows = await overdue.open_overdue_rows(session, now, member_ids=member_ids)
    return {mid: [task.id for task, _ in items] for mid, items in overdue.overdue_tasks_by_member(rows, now, app.settings).items()}


async def test_the_overdue_lists_read_as_sets_are_the_lists_the_rules_make(app_any_db, clock):
    app = app_any_db
    seeded = await _spread(app, clock)
    members = {m.id: m for name, m in seeded["members"].items() if name != "boss"}
    for now in MOMENTS:
        expected = await _by_rule(app, now, list(members))
        async with app.db.read() as session:
            got = await overdue.overdue_ids_by_member(session, now, app.settings, members)
        assert got == expected, now
        assert all(len(ids) > 50 for ids in got.values())  # weeks of them: the bulk went through the set-based read


async def test_no_follow_up_before_the_last_working_day_is_reminded_nor_overdue_today(app_any_db, clock):
    """certain_before: anything due earlier is on the overdue list, whatever its time zone."""
    settings = app_any_db.settings
    for now in MOMENTS:
        bound = followups.certain_before(now, {SHANGHAI, NEW_YORK}, settings)
        for tz in (SHANGHAI, NEW_YORK):
            today = workdays.local_today(now, tz)
            for minutes in range(1, 3 * 24 * 60, 37):
                due = bound - dt.timedelta(minutes=minutes)
                for has_time in (True, False):
                    moment = followups.working_moment(Task(team_id=1, assignee_id=1, text="x", due_at=due, due_has_time=has_time), tz, settings)
                    assert moment.astimezone(tz).date() < today, (now, tz, due, has_time)


async def test_the_reminders_queued_are_those_the_rules_pick_among_all_open_follow_ups(app_any_db, clock):
    app = app_any_db
    seeded = await _spread(app, clock)
    members = {m.id: m for name, m in seeded["members"].items() if name != "boss"}
    now = MOMENTS[0]
    async with app.db.read() as session:
        tasks = (await (await session.connection()).execute(Task.__table__.select().where(Task.__table__.c.status == "open"))).all()
    expected = set()
    for task in tasks:
        tz = workdays.zone("America/New_York" if members[task.assignee_id].display_name == "ny" else "Asia/Shanghai")
        if task.due_at <= now - followups.LOOKBACK or followups.remind_at(task, tz, app.settings) > now:
            continue
        if followups.working_moment(task, tz, app.settings).astimezone(tz).date() < workdays.local_today(now, tz):
            continue
        expected.add(task.id)
    assert len(expected) > 5
    assert await followups.scan(app, now) == len(expected)
    rows = await outbox(app, "reminder")
    assert {row.body["meta"]["task_id"] for row in rows} == expected
    assert await followups.scan(app, now) == 0  # once per key


def test_a_reminders_body_is_the_messages_own():
    buttons = followups.buttons("abc", "zh")
    message = Outgoing("提醒\n第二行", buttons)
    assert followups._Message(message.text, buttons).to_body() == message.to_body()
    assert Outgoing.from_body(followups._Message("x", [[Button("a", "p:1:done")]]).to_body()) == Outgoing("x", [[Button("a", "p:1:done")]])


async def test_one_pass_for_every_owner_finds_what_the_owners_own_query_finds(app_any_db, clock):
    app = app_any_db
    seeded = await seed_team(
        app, [("boss", "manager"), ("li", "rep", "boss"), ("wang", "rep", "boss")],
        [{"name": f"C{i}", "owner": ("li", "wang")[i % 2], "tier": ("important", "special", "general")[i % 3]} for i in range(30)],
    )
    team, now = seeded["team"], clock()
    for i, (name, customer) in enumerate(seeded["customers"].items()):
        member = seeded["members"][("li", "wang")[i % 2]]
        for days in range(3 + i % 4):
            await add_note(app, team, member, customer, when=now - dt.timedelta(days=20 + 3 * i + 5 * days), risk=["complaint"] if i % 5 == 0 and days == 0 else ())
    li = seeded["members"]["li"].id
    async with app.db.read() as session:
        own = await nags.find(session, now, app.settings, owner_ids=[li], top=2)
        all_of_them = (await nags.find(session, now, app.settings, top=2)).of([li])
    assert [(g.customer.id, g.reason) for g in own] == [(g.customer.id, g.reason) for g in all_of_them]
    assert own.counts == all_of_them.counts and len(own) > 5
    # what an owner's message lists: their first nags in order, and the total, with fewer rows read
    async with app.db.read() as session:
        full = await nags.find(session, now, app.settings)
        trimmed = await nags.find(session, now, app.settings, top=2, per_owner=3)
    for owner in (li, seeded["members"]["wang"].id):
        first = [(g.customer.id, g.reason) for g in full if g.customer.owner_id == owner][:3]
        assert [(g.customer.id, g.reason) for g in trimmed if g.customer.owner_id == owner][:3] == first
        assert trimmed.count(owner=owner) == full.count(owner=owner) > 3
    assert len(trimmed.nags) < len(full.nags)


async def test_the_lifecycle_read_from_the_outcome_index_moves_the_stages_stage_for_says(app_any_db, clock):
    """Every mix of orders, losses and silence, from every starting stage, in two teams: the stages recompute
    writes are stage_for's, customer by customer."""
    from sqlmodel import select

    from reminders import lifecycle
    from storage.models import Customer

    app, now = app_any_db, clock()
    histories = {
        "none": [], "quiet": [(3, None)], "silent": [(200, None)], "won_new": [(10, "won")], "won_old": [(120, "won"), (2, None)],
        "loyal": [(100, "won"), (60, "won"), (20, "won")], "won_silent": [(200, "won")], "lost_only": [(5, "lost")],
        "lost_after_win": [(50, "won"), (5, "lost")], "won_after_loss": [(50, "lost"), (5, "won")], "lost_silent": [(300, "lost")],
    }
    expected = {}
    for t in range(2):
        rep = f"li{t}"
        seeded = await seed_team(app, [(rep, "rep")], [{"name": f"{t}-{h}-{s}", "owner": rep, "stage": s} for h in histories for s in ("potential", "new", "active", "loyal", "churned")])
        team, li = seeded["team"], seeded["members"][rep]
        for name, customer in seeded["customers"].items():
            history = histories[name.split("-")[1]]
            for days, outcome in history:
                await add_note(app, team, li, customer, when=now - dt.timedelta(days=days), outcome=outcome, amount=100 if outcome == "won" else None, currency="CNY" if outcome == "won" else None)
            wins = [now - dt.timedelta(days=d) for d, o in history if o == "won"]
            losses = [now - dt.timedelta(days=d) for d, o in history if o == "lost"]
            last_contact = max((now - dt.timedelta(days=d) for d, _ in history), default=None)
            lost_last = bool(losses) and (not wins or max(losses) > max(wins))
            expected[name] = lifecycle.stage_for(customer.stage, len(wins), min(wins, default=None), last_contact, now, lost_last)
        async with app.db.write() as session:
            await lifecycle.recompute(session, team.id, now)
    async with app.db.read() as session:
        got = {c.name: c.stage for c in (await session.exec(select(Customer))).all()}
    assert got == expected
    assert len({v for v in expected.values()}) == 5  # every stage reached
