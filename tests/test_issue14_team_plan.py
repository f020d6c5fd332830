"""Issue 14: a team sets its own contact plan (/plan, /方案): the days of silence before a nag and between
reviews, per tier, over the CRMBOT_* defaults. Changing it changes what the scheduler pushes; another
team keeps the defaults. The working days to the owner's follow-up after a complaint or an overdue
payment are the team's too. Reps may read the plan but not change it (refused, audited); bad input gets one line."""

from __future__ import annotations

import datetime as dt

from storage.models import AuditLog, Task

from .helpers import Person, rows, seed_team
from .reminders_fixtures import SHANGHAI, add_note, record, set_member, tick_and_send


def _names(message) -> list[str]:
    return [line.split(" · ")[0].lstrip("• ") for line in message.text.splitlines()[1:] if line.startswith("• ")]


async def test_a_shorter_review_cycle_brings_the_review_list_sooner(app_any_db, clock):
    app = app_any_db
    created = clock() - dt.timedelta(days=25)  # important: due after 30 days by default
    await seed_team(app, (("boss", "manager"), ("li", "rep", "boss")), [{"name": "Acme", "owner": "li", "tier": "important", "created_at": created}])
    await seed_team(app, (("boss2", "manager"), ("wu", "rep", "boss2")), [{"name": "Initech", "owner": "wu", "tier": "important", "created_at": created}])
    sent = record(app, clock)
    await tick_and_send(app, clock)
    assert [r for _, r, _ in sent.sent if r.kind == "review"] == []

    [reply] = await Person(app, "boss").say("/plan review important 20")
    assert reply.text == "✓ important customers: reviewed every 20 days."
    clock.advance(hours=1)
    await tick_and_send(app, clock)
    reviews = [(r.chat_id, m) for _, r, m in sent.sent if r.kind == "review"]
    assert [chat for chat, _ in reviews] == ["console:li"]  # wu's team keeps the 30-day default
    assert _names(reviews[0][1]) == ["Acme"]
    [audit] = await rows(app, AuditLog, AuditLog.action == "plan")
    assert audit.detail == "review important: 30 -> 20"


async def test_a_shorter_silence_brings_the_nag_and_back_to_default_stops_it(app_any_db, clock):
    app = app_any_db
    first = await seed_team(app, (("boss", "manager"), ("li", "rep", "boss")), [{"name": "Acme", "owner": "li", "tier": "important"}])
    other = await seed_team(app, (("boss2", "manager"), ("wu", "rep", "boss2")), [{"name": "Initech", "owner": "wu", "tier": "important"}])
    ten_days_ago = clock() - dt.timedelta(days=10)  # the default for important is 14
    await add_note(app, first["team"], first["members"]["li"], first["customers"]["Acme"], when=ten_days_ago)
    await add_note(app, other["team"], other["members"]["wu"], other["customers"]["Initech"], when=ten_days_ago)
    sent = record(app, clock)
    await tick_and_send(app, clock)
    assert [r for _, r, _ in sent.sent if r.kind == "nag"] == []

    await Person(app, "boss").say("/方案 联系 重要 7天")
    clock.advance(hours=1)
    await tick_and_send(app, clock)
    nags = [(r.chat_id, m.text) for _, r, m in sent.sent if r.kind == "nag"]
    assert [chat for chat, _ in nags] == ["console:li"] and "Acme" in nags[0][1]

    [reply] = await Person(app, "boss").say("/plan contact important default")
    assert "14" in reply.text
    clock.advance(days=1)  # Tuesday: a new day's nag, had Acme still been past its plan
    await tick_and_send(app, clock)
    assert len([r for _, r, _ in sent.sent if r.kind == "nag"]) == 1


async def test_the_card_shows_the_teams_contact_cadence(app, clock):
    await seed_team(app, (("boss", "manager"),), [{"name": "Acme", "owner": "boss", "tier": "special"}])
    boss = Person(app, "boss")
    await boss.say("/plan contact special 10")
    [card] = await boss.say("/customer Acme")
    assert "(every 10 days)" in card.text


async def test_anyone_reads_the_plan_only_managers_change_it(app):
    seeded = await seed_team(app, (("boss", "manager"), ("li", "rep", "boss")))
    li, boss = Person(app, "li"), Person(app, "boss")
    [plan] = await li.say("/plan")
    assert plan.text.splitlines()[1:] == [
        "⭐ important: 14 · 30",
        "🕒 special: 30 · 45",
        "• general: 60 · 60",
        "Follow-up for the owner after a complaint: 1 · overdue payment: 2 working day(s)",
    ]
    [refused] = await li.say("/plan review general 10")
    assert refused.text == "Only an admin or a manager can do that."
    assert [(a.member_id, a.detail) for a in await rows(app, AuditLog, AuditLog.action == "refused")] == [(seeded["members"]["li"].id, "rep: /plan")]

    await boss.say("/plan review general 40")
    [plan] = await boss.say("/plan")
    assert "• general: 60 · 40*" in plan.text and "set by the team" in plan.text and "/plan review important 20" in plan.text
    assert [a.detail for a in await rows(app, AuditLog, AuditLog.action == "plan")] == ["review general: 60 -> 40"]


async def test_bad_input_gets_one_line_in_the_senders_language(app):
    await seed_team(app, (("boss", "manager"),))
    boss = Person(app, "boss")
    for bad in ("/plan review important 0", "/plan contact general 400"):
        [reply] = await boss.say(bad)
        assert reply.text == "Days must be between 1 and 365."
    for bad in ("/plan review", "/plan often important 20", "/plan review important 20 30", "/plan review vip soon"):
        [reply] = await boss.say(bad)
        assert reply.text.startswith("Usage: /plan contact|review") and "\n" not in reply.text
    [reply] = await boss.say("/方案 复盘 特殊 二十")
    assert reply.text.startswith("用法：/方案") and "\n" not in reply.text
    [reply] = await boss.say("/方案 复盘 特殊 20")
    assert reply.text == "✓ 特殊客户：每 20 天复盘一次。"
    assert [a.detail for a in await rows(app, AuditLog, AuditLog.action == "plan")] == ["review special: 45 -> 20"]


async def test_the_team_sets_how_soon_a_complaint_is_followed_up(app_any_db, clock):
    app = app_any_db
    seeded = await seed_team(app, (("boss", "manager"), ("li", "rep", "boss")), [{"name": "Acme", "owner": "li"}, {"name": "王伟", "owner": "li"}])
    boss, li = Person(app, "boss"), Person(app, "li")
    [reply] = await boss.say("/plan complaint 3")
    assert reply.text == "✓ A complaint in a note: the owner's follow-up 3 working day(s) later."
    await li.say("called Acme, they complained about late delivery")  # Monday 1 March 2027
    [task] = await rows(app, Task)
    assert task.due_at.astimezone(SHANGHAI).date() == dt.date(2027, 3, 4)  # Thursday, not Tuesday
    await set_member(app, seeded["members"]["boss"], language="zh")
    [reply] = await boss.say("/方案 投诉 40")
    assert reply.text == "天数须在 1 到 30 之间。"
    await boss.say("/plan complaint default")
    await li.say("王伟投诉交货慢")
    [_, task] = await rows(app, Task)
    assert task.due_at.astimezone(SHANGHAI).date() == dt.date(2027, 3, 2)
    assert [a.detail for a in await rows(app, AuditLog, AuditLog.action == "plan")] == ["risk complaint: 1 -> 3", "risk complaint: 3 -> 1 (default)"]


async def test_the_digests_review_coverage_follows_the_teams_cycle(app, clock):
    created = clock() - dt.timedelta(days=20)
    await seed_team(app, (("boss", "manager"), ("li", "rep", "boss")), [{"name": "Acme", "owner": "li", "created_at": created}, {"name": "Beta", "owner": "li", "created_at": clock()}])
    boss = Person(app, "boss")
    [digest] = await boss.say("/digest")
    assert "Reviewed on time: 2/2 (100%)" in digest.text
    await boss.say("/plan review general 14")  # Acme, created 20 days ago, is now overdue
    [digest] = await boss.say("/digest")
    assert "Reviewed on time: 1/2 (50%)" in digest.text
