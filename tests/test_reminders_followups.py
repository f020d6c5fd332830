"""Follow-up reminders: local due time in two timezones, buttons (snooze, done), quiet hours,
downtime catch-up, and the morning overdue list."""
from __future__ import annotations


from sqlmodel import select

from storage.models import Outbox, Prompt, Task
from tests.helpers import Person, seed_team
from tests.reminders_fixtures import LONDON, add_task, at, outbox, record, set_member, tick_and_send


async def test_reminded_at_local_time_across_two_timezones(app, clock):
    seeded = await seed_team(app, [("li", "rep"), ("tom", "rep")], [{"name": "王伟", "owner": "li"}, {"name": "Acme", "owner": "tom"}])
    team, li, tom = seeded["team"], seeded["members"]["li"], seeded["members"]["tom"]
    await set_member(app, li, language="zh")
    await set_member(app, tom, timezone="Europe/London")
    sent = record(app, clock)
    # date-only tasks for Tuesday 2 March: each reminded at 09:00 in their own zone
    await add_task(app, team, li, seeded["customers"]["王伟"], due=at(2027, 3, 2), has_time=False, text="发报价", note="拜访王总，谈采购计划")
    await add_task(app, team, tom, seeded["customers"]["Acme"], due=at(2027, 3, 2, tz=LONDON), has_time=False, text="call back")
    clock.set(at(2027, 3, 2, 8, 59))
    await tick_and_send(app, clock)
    assert sent.sent == []
    clock.set(at(2027, 3, 2, 9, 0))
    await tick_and_send(app, clock)
    assert len(sent.texts("reminder")) == 1
    text = sent.texts("reminder")[0]
    assert "王伟" in text and "发报价" in text and "拜访王总" in text and "跟进提醒" in text
    clock.set(at(2027, 3, 2, 8, 59, tz=LONDON))
    await tick_and_send(app, clock)
    assert len(sent.texts("reminder")) == 1
    clock.set(at(2027, 3, 2, 9, 0, tz=LONDON))
    await tick_and_send(app, clock)
    assert len(sent.texts("reminder")) == 2
    assert "Follow-up: Acme" in sent.texts("reminder")[1] and "call back" in sent.texts("reminder")[1]
    # a timed task: the lead (30 minutes by default) ahead of its time, not before
    await add_task(app, team, li, seeded["customers"]["王伟"], due=at(2027, 3, 3, 15, 0), text="见面")
    clock.set(at(2027, 3, 3, 14, 29))
    await tick_and_send(app, clock)
    assert len(sent.texts("reminder")) == 2
    clock.set(at(2027, 3, 3, 14, 30))
    await tick_and_send(app, clock)
    assert len(sent.texts("reminder")) == 3 and not any(row.late for row in await outbox(app, "reminder"))


async def _press(app, user: str, row: Outbox, label: str):
    person = Person(app, user)
    for line in row.body["buttons"]:
        for button in line:
            if label in button["label"]:
                return await person.say("", button_payload=button["payload"])
    raise AssertionError(f"no {label} in {row.body['buttons']}")


async def test_snooze_then_done(app, clock):
    seeded = await seed_team(app, [("li", "rep")], [{"name": "Acme", "owner": "li"}])
    sent = record(app, clock)
    task = await add_task(app, seeded["team"], seeded["members"]["li"], seeded["customers"]["Acme"], due=at(2027, 3, 1, 10, 0))
    await tick_and_send(app, clock)
    [row] = await outbox(app, "reminder")
    replies = await _press(app, "li", row, "1 hour")
    assert "11:00" in replies[0].text
    clock.advance(minutes=59)
    await tick_and_send(app, clock)
    assert len(sent.texts("reminder")) == 1
    clock.advance(minutes=1)
    await tick_and_send(app, clock)
    rows = await outbox(app, "reminder")
    assert len(rows) == 2 and len(sent.texts("reminder")) == 2
    replies = await _press(app, "li", rows[1], "Tomorrow")
    assert "tomorrow" in replies[0].text
    clock.set(at(2027, 3, 2, 9, 0))
    await tick_and_send(app, clock)
    rows = await outbox(app, "reminder")
    assert len(rows) == 3
    replies = await _press(app, "li", rows[2], "Done")
    assert "Done: Acme" in replies[0].text
    async with app.db.read() as session:
        assert (await session.get(Task, task.id)).status == "done"
    replies = await _press(app, "li", rows[2], "Done")  # pressed twice: closed, nothing changes
    assert "closed" in replies[0].text
    clock.set(at(2027, 3, 3, 9, 0))
    await tick_and_send(app, clock)
    assert len(await outbox(app, "reminder")) == 3 and await outbox(app, "overdue") == []


async def test_reschedule_button_asks_for_a_date(app, clock):
    seeded = await seed_team(app, [("li", "rep")], [{"name": "Acme", "owner": "li"}])
    record(app, clock)
    task = await add_task(app, seeded["team"], seeded["members"]["li"], seeded["customers"]["Acme"], due=at(2027, 3, 1, 10, 0))
    await tick_and_send(app, clock)
    [row] = await outbox(app, "reminder")
    replies = await _press(app, "li", row, "Reschedule")
    assert "When" in replies[0].text
    replies = await Person(app, "li").say("Friday 3pm")
    async with app.db.read() as session:
        moved = await session.get(Task, task.id)
    assert moved.due_at == at(2027, 3, 5, 15, 0) and moved.due_has_time


async def test_reminder_button_of_someone_else_is_refused(app, clock):
    seeded = await seed_team(app, [("li", "rep"), ("wu", "rep")], [{"name": "Acme", "owner": "li"}])
    record(app, clock)
    await add_task(app, seeded["team"], seeded["members"]["li"], seeded["customers"]["Acme"], due=at(2027, 3, 1, 10, 0))
    await tick_and_send(app, clock)
    [row] = await outbox(app, "reminder")
    replies = await _press(app, "wu", row, "Done")
    assert "isn't for you" in replies[0].text


async def test_quiet_hours_and_days_off_wait_for_the_working_morning(app, clock):
    seeded = await seed_team(app, [("li", "rep")], [{"name": "Acme", "owner": "li"}])
    team, li, acme = seeded["team"], seeded["members"]["li"], seeded["customers"]["Acme"]
    sent = record(app, clock)
    await add_task(app, team, li, acme, due=at(2027, 3, 1, 20, 30), text="evening call")
    await add_task(app, team, li, acme, due=at(2027, 3, 6), has_time=False, text="saturday thing")  # a Saturday
    clock.set(at(2027, 3, 1, 20, 30))
    await tick_and_send(app, clock)
    [row] = await outbox(app, "reminder")
    assert row.due_at == at(2027, 3, 2, 9, 0) and row.status == "pending" and sent.sent == []  # nothing out of hours (the review list waits too)
    clock.set(at(2027, 3, 2, 9, 0))
    await tick_and_send(app, clock)
    assert sent.texts("reminder") and "evening call" in sent.texts("reminder")[0]
    assert await outbox(app, "overdue") == []  # reminded this morning: not "overdue" as well
    for day in (6, 7):
        clock.set(at(2027, 3, day, 9, 0))
        await tick_and_send(app, clock)
    assert len([x for x in sent.sent if x[1].kind != "review"]) == 1  # the week's review list went out on Tuesday morning too
    clock.set(at(2027, 3, 8, 9, 0))  # Monday
    await tick_and_send(app, clock)
    assert [m for m in sent.texts("reminder") if "saturday thing" in m]


async def test_downtime_catch_up_sends_once_marked_late(app, clock):
    seeded = await seed_team(app, [("li", "rep")], [{"name": "Acme", "owner": "li"}])
    team, li, acme = seeded["team"], seeded["members"]["li"], seeded["customers"]["Acme"]
    sent = record(app, clock)
    await add_task(app, team, li, acme, due=at(2027, 3, 2, 9, 30), text="today's call")
    await add_task(app, team, li, acme, due=at(2027, 2, 26, 9, 30), text="last week's call")
    clock.set(at(2027, 3, 2, 13, 0))  # the bot was down all morning
    await tick_and_send(app, clock)
    await tick_and_send(app, clock)
    reminders = [row for row in await outbox(app, "reminder")]
    assert len(reminders) == 1 and reminders[0].late and "today's call" in reminders[0].body["text"]
    [overdue] = await outbox(app, "overdue")
    assert "last week's call" in overdue.body["text"] and overdue.late
    assert sent.keys().count(reminders[0].key) == 1


async def test_morning_overdue_list_once_per_day(app, clock):
    seeded = await seed_team(app, [("li", "rep")], [{"name": "王伟", "owner": "li"}])
    team, li = seeded["team"], seeded["members"]["li"]
    await set_member(app, li, language="zh")
    sent = record(app, clock)
    await add_task(app, team, li, seeded["customers"]["王伟"], due=at(2027, 3, 1, 10, 0), text="发报价")
    await tick_and_send(app, clock)
    clock.set(at(2027, 3, 2, 9, 0))
    await tick_and_send(app, clock)
    clock.advance(hours=2)
    await tick_and_send(app, clock)
    overdue = sent.texts("overdue")
    assert len(overdue) == 1 and "逾期" in overdue[0] and "王伟" in overdue[0] and "发报价" in overdue[0]
    clock.set(at(2027, 3, 3, 9, 0))
    await tick_and_send(app, clock)
    assert len(sent.texts("overdue")) == 2


async def test_stale_reminder_dropped_when_task_closed_overnight(app, clock):
    seeded = await seed_team(app, [("li", "rep")], [{"name": "Acme", "owner": "li"}])
    sent = record(app, clock)
    task = await add_task(app, seeded["team"], seeded["members"]["li"], seeded["customers"]["Acme"], due=at(2027, 3, 1, 21, 0))
    clock.set(at(2027, 3, 1, 21, 0))
    await tick_and_send(app, clock)
    async with app.db.write() as session:
        row = await session.get(Task, task.id)
        row.status = "done"
        session.add(row)
    clock.set(at(2027, 3, 2, 9, 0))
    await tick_and_send(app, clock)
    [row] = await outbox(app, "reminder")
    assert row.status == "dropped" and row.last_error == "task closed" and sent.texts("reminder") == []


async def test_reminder_prompts_are_kind_reminder(app, clock):
    seeded = await seed_team(app, [("li", "rep")], [{"name": "Acme", "owner": "li"}])
    record(app, clock)
    task = await add_task(app, seeded["team"], seeded["members"]["li"], seeded["customers"]["Acme"], due=at(2027, 3, 1, 10, 0))
    await tick_and_send(app, clock)
    async with app.db.read() as session:
        prompts = (await session.exec(select(Prompt).where(Prompt.kind == "reminder"))).all()
    assert [p.data for p in prompts] == [{"task_id": task.id}] and prompts[0].chat_id == "console:li"
