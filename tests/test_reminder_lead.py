"""Reminder lead time: a follow-up with a time (a call, a meeting) is reminded the lead ahead of it
(CRMBOT_REMINDER_LEAD_MINUTES, 30 by default); a date alone keeps the start of the working day. A reply
promising a follow-up whose reminder falls outside working hours says when it will really come. A lead
changed between ticks (a restart, replicas set differently) neither doubles nor loses a reminder.

Notes go through the router as an adapter delivers them; ticks run the scheduler as `crmbot tick`
does, on the injected clock, and the deliverer drains the outbox into a recording sender."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from bot.settings import Settings, SettingsError, load_settings
from bot.wiring import build_app
from storage.models import Outbox, Task
from tests.conftest import make_settings
from tests.helpers import Person, seed_team
from tests.reminders_fixtures import at, outbox, record, tick_and_send


async def _tasks(app) -> list[Task]:
    async with app.db.read() as session:
        return list((await session.exec(select(Task).order_by(Task.id))).all())


async def _tick_at(app, clock, when) -> None:
    clock.set(when)
    await tick_and_send(app, clock)


@pytest.mark.parametrize(
    "note, lang_word",
    [("明天下午3点给王伟打电话", "跟进提醒"), ("call 王伟 tomorrow at 3pm", "Follow-up")],
)
async def test_a_call_at_15_00_is_reminded_at_14_30(app_any_db, clock, note, lang_word):
    app = app_any_db
    await seed_team(app, [("li", "rep")], [{"name": "王伟", "owner": "li"}])
    sent = record(app, clock)
    replies = await Person(app, "li").say(note)  # Monday 1 March 2027, 10:00 in Shanghai
    assert "15:00" in replies[0].text
    assert "⏰" not in replies[0].text  # 14:30 is working time: nothing to warn about
    [task] = await _tasks(app)
    assert task.due_has_time and task.due_at == at(2027, 3, 2, 15, 0)
    await _tick_at(app, clock, at(2027, 3, 2, 14, 29))
    assert sent.texts("reminder") == []
    await _tick_at(app, clock, at(2027, 3, 2, 14, 30))
    [text] = sent.texts("reminder")
    assert lang_word in text and "王伟" in text and "15:00" in text
    [row] = await outbox(app, "reminder")
    assert row.due_at == at(2027, 3, 2, 14, 30) and not row.late
    await _tick_at(app, clock, at(2027, 3, 2, 15, 0))  # the call's own minute: nothing more
    assert len(sent.texts("reminder")) == 1


async def test_a_date_alone_keeps_the_start_of_the_working_day(app_any_db, clock):
    app = app_any_db
    await seed_team(app, [("li", "rep")], [{"name": "Acme", "owner": "li"}])
    sent = record(app, clock)
    replies = await Person(app, "li").say("send Acme the quote on Wednesday")
    assert "⏰" not in replies[0].text
    [task] = await _tasks(app)
    assert not task.due_has_time
    await _tick_at(app, clock, at(2027, 3, 3, 8, 59))
    assert sent.texts("reminder") == []
    await _tick_at(app, clock, at(2027, 3, 3, 9, 0))
    assert len(sent.texts("reminder")) == 1
    [row] = await outbox(app, "reminder")
    assert row.due_at == at(2027, 3, 3, 9, 0)


async def test_the_lead_setting_is_honoured(db_url, tmp_path, clock):
    app = build_app(make_settings(db_url, tmp_path, reminder_lead_minutes=90), clock=clock, migrate=False)
    try:
        await seed_team(app, [("li", "rep")], [{"name": "Acme", "owner": "li"}])
        sent = record(app, clock)
        await Person(app, "li").say("meet Acme tomorrow at 3pm")
        await _tick_at(app, clock, at(2027, 3, 2, 13, 29))
        assert sent.texts("reminder") == []
        await _tick_at(app, clock, at(2027, 3, 2, 13, 30))
        assert len(sent.texts("reminder")) == 1
    finally:
        await app.close()


async def test_a_lead_changed_between_ticks_neither_doubles_nor_loses_a_reminder(db_url, tmp_path, clock):
    """Two processes on one database with different leads (a restart with a new setting, or replicas
    set differently), ticking in turns: each follow-up is reminded exactly once."""
    short = build_app(make_settings(db_url, tmp_path, reminder_lead_minutes=30), clock=clock, migrate=False)
    long = build_app(make_settings(db_url, tmp_path, reminder_lead_minutes=60), clock=clock, migrate=False)
    try:
        await seed_team(short, [("li", "rep")], [{"name": "Acme", "owner": "li"}, {"name": "Initech", "owner": "li"}])
        sent = record(short, clock)
        record(long, clock).sent = sent.sent  # one recording of what either process delivered
        await Person(short, "li").say("call Acme tomorrow at 3pm")
        await Person(short, "li").say("meet Initech tomorrow at 5pm")
        # 15:00 call: the 60-minute process queues it at 14:00; the 30-minute one finds it queued at 14:30
        await _tick_at(short, clock, at(2027, 3, 2, 13, 59))
        await _tick_at(long, clock, at(2027, 3, 2, 13, 59))
        assert sent.texts("reminder") == []
        await _tick_at(short, clock, at(2027, 3, 2, 14, 0))
        assert sent.texts("reminder") == []  # 30 minutes ahead is not yet
        await _tick_at(long, clock, at(2027, 3, 2, 14, 0))
        assert len(sent.texts("reminder")) == 1 and "Acme" in sent.texts("reminder")[0]
        await _tick_at(short, clock, at(2027, 3, 2, 14, 30))
        await _tick_at(long, clock, at(2027, 3, 2, 14, 31))
        assert len(sent.texts("reminder")) == 1
        # 17:00 meeting: at 16:10 the 30-minute process has nothing to do; the lead becomes 60, whose moment
        # (16:00) has passed: queued at once, not lost, and not marked late (still ahead of the meeting)
        await _tick_at(short, clock, at(2027, 3, 2, 16, 10))
        assert len(sent.texts("reminder")) == 1
        await _tick_at(long, clock, at(2027, 3, 2, 16, 11))
        assert len(sent.texts("reminder")) == 2 and "Initech" in sent.texts("reminder")[1]
        await _tick_at(short, clock, at(2027, 3, 2, 16, 30))
        await _tick_at(long, clock, at(2027, 3, 2, 17, 0))
        rows = await outbox(short, "reminder")
        assert len(rows) == 2 and len(sent.texts("reminder")) == 2
        assert not any(row.late for row in rows)
        assert len({row.key for row in rows}) == 2
    finally:
        await short.close()
        await long.close()


@pytest.mark.parametrize(
    "note, line",
    [
        ("今晚11点给王伟打电话", "⏰ 非工作时间，明天 09:00再提醒你。"),
        ("call 王伟 tonight at 11pm", "⏰ Outside working hours: I'll remind you tomorrow 09:00."),
    ],
)
async def test_a_reminder_promised_for_23_00_says_when_it_will_come(app_any_db, clock, note, line):
    app = app_any_db
    await seed_team(app, [("li", "rep")], [{"name": "王伟", "owner": "li"}])
    sent = record(app, clock)
    replies = await Person(app, "li").say(note)
    assert "23:00" in replies[0].text
    assert line in replies[0].text.splitlines()
    # and it does come then: queued at 22:30, held back through the night, sent at 09:00
    await _tick_at(app, clock, at(2027, 3, 1, 22, 30))
    assert sent.texts("reminder") == []
    [row] = await outbox(app, "reminder")
    assert row.due_at == at(2027, 3, 2, 9, 0)
    await _tick_at(app, clock, at(2027, 3, 2, 8, 59))
    assert sent.texts("reminder") == []
    await _tick_at(app, clock, at(2027, 3, 2, 9, 0))
    assert len(sent.texts("reminder")) == 1


async def test_a_weekend_time_says_monday_and_a_moved_date_says_it_too(app, clock):
    await seed_team(app, [("li", "rep")], [{"name": "Acme", "owner": "li"}])
    li = Person(app, "li")
    replies = await li.say("visit Acme on Saturday at 10am")  # Saturday 6 March 2027 is no working day in China
    assert "⏰ Outside working hours: I'll remind you Mon 8 Mar 09:00." in replies[0].text.splitlines()
    [task] = await _tasks(app)
    replies = await li.say(f"/snooze {task.id} Thursday 2pm")  # working time: nothing to add
    assert len(replies[0].text.splitlines()) == 1
    replies = await li.say(f"/snooze {task.id} 明天晚上8点")  # Tuesday 20:00, in Chinese: answered in Chinese
    assert replies[0].text.splitlines()[-1] == "⏰ 非工作时间，3月3日(周三) 09:00再提醒你。"


async def test_snooze_an_hour_reminds_in_an_hour_and_says_when_after_hours(app, clock):
    await seed_team(app, [("li", "rep")], [{"name": "Acme", "owner": "li"}])
    sent = record(app, clock)
    li = Person(app, "li")
    await li.say("call Acme today at 5:30pm")
    await _tick_at(app, clock, at(2027, 3, 1, 17, 0))
    [row] = await outbox(app, "reminder")
    assert row.due_at == at(2027, 3, 1, 17, 0)
    button = next(b for line in row.body["buttons"] for b in line if "1 hour" in b["label"])
    replies = await li.say("", button_payload=button["payload"])  # 18:00 is after working hours
    assert replies[0].text == "⏰ Outside working hours: I'll remind you tomorrow 09:00."
    await _tick_at(app, clock, at(2027, 3, 1, 18, 0))
    await _tick_at(app, clock, at(2027, 3, 2, 8, 59))
    assert len(sent.texts("reminder")) == 1
    await _tick_at(app, clock, at(2027, 3, 2, 9, 0))
    assert len(sent.texts("reminder")) == 2


def test_the_lead_setting_is_read_and_checked(monkeypatch):
    assert Settings().reminder_lead_minutes == 30
    monkeypatch.setenv("CRMBOT_REMINDER_LEAD_MINUTES", "45")
    assert load_settings().reminder_lead_minutes == 45
    for bad in ("-5", "1441", "half an hour"):
        monkeypatch.setenv("CRMBOT_REMINDER_LEAD_MINUTES", bad)
        with pytest.raises(SettingsError) as err:
            load_settings()
        assert "CRMBOT_REMINDER_LEAD_MINUTES" in str(err.value)


async def test_outbox_rows_are_keyed_by_the_task_and_its_time_not_the_lead(app, clock):
    await seed_team(app, [("li", "rep")], [{"name": "Acme", "owner": "li"}])
    record(app, clock)
    await Person(app, "li").say("call Acme tomorrow at 3pm")
    await _tick_at(app, clock, at(2027, 3, 2, 14, 30))
    [task] = await _tasks(app)
    async with app.db.read() as session:
        [row] = (await session.exec(select(Outbox).where(Outbox.kind == "reminder"))).all()
    assert row.key == f"reminder:task:{task.id}:{at(2027, 3, 2, 15, 0).astimezone(dt.timezone.utc).isoformat()}"
