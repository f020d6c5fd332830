"""A follow-up reminder pushed by the scheduler, edited from its own message (issue 16): its Reschedule
button is the follow-up's edit path. Telegram (the real PTB Application polling the fake Bot API): the
reminder becomes the question in place, the typed date moves that follow-up alone, like /snooze, and is no
correction of the note's reading. Slack (the real Bolt app against the fake Web API): the follow-up form
opens, and saving it moves the date."""
from __future__ import annotations

import datetime as dt
import json

from storage.models import AuditLog, Correction, Task
from tests.conftest import SHANGHAI
from tests.fakes.slack_api import SlackEnv, seed_slack_admin, slack_env_any_db  # noqa: F401  (fixtures)
from tests.fakes.telegram_api import user
from tests.fakes.telegram_world import fake_telegram, world_any_db  # noqa: F401  (fixtures)
from tests.helpers import rows as _rows
from tests.helpers import seed_team
from tests.reminders_fixtures import at, tick

LI = user(1001, "Li", language_code="en")
CUSTOMERS = ({"name": "Wang Lei", "company": "Acme", "owner": "1001"}, {"name": "李娜", "company": "华为", "owner": "1001"})


def labels(message: dict) -> list[str]:
    return [b["text"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def local(task: Task) -> dt.datetime:
    return task.due_at.astimezone(SHANGHAI)


async def test_a_telegram_reminders_reschedule_moves_that_follow_up_alone_and_corrects_nothing(world_any_db):
    world = world_any_db
    await seed_team(world.app, members=(("1001", "admin"),), customers=CUSTOMERS, platform="telegram")
    await world.start()
    [filed] = await world.say(LI, "called Wang Lei, wants a quote Friday 3pm")
    assert "Fri 5 Mar" in filed["text"]
    [quote] = await world.rows(Task)
    async with world.app.db.write() as session:  # a second follow-up of the same note (a complaint's, a colleague's)
        session.add(Task(team_id=quote.team_id, customer_id=quote.customer_id, assignee_id=quote.assignee_id, interaction_id=quote.interaction_id, text="send samples", due_at=at(2027, 3, 10), due_has_time=False))

    world.clock.set(at(2027, 3, 5, 14, 30))  # the lead (30 min) ahead of 15:00
    await tick(world.app, world.clock())
    await world.deliver()
    [reminder] = [m for m in world.fake.sent(1001) if m.get("text", "").startswith("⏰ Follow-up")]  # (beside the weekly review list)
    assert reminder["text"].startswith("⏰ Follow-up: Wang Lei") and "📅 Reschedule" in labels(reminder)
    assert {"✓ Done", "⏰ 1 hour"} <= set(labels(reminder))  # beside done and snooze

    sent = len(world.fake.sent(1001))
    [asked] = await world.press(LI, reminder, "Reschedule")
    assert asked["message_id"] == reminder["message_id"] and asked["text"].startswith("When should the follow-up be?")
    assert labels(asked) == [] and len(world.fake.sent(1001)) == sent  # the reminder became the question, in place
    [moved] = await world.say(LI, "next Monday 10am")
    assert moved["text"] == "✓ Wang Lei: follow-up moved to Mon 8 Mar 10:00."

    quote_now, samples = sorted(await world.rows(Task), key=lambda task: task.id or 0)
    assert (local(quote_now), quote_now.due_has_time) == (at(2027, 3, 8, 10, 0), True)
    assert local(samples) == at(2027, 3, 10)  # the note's other follow-up stays where it was
    assert await world.rows(Correction) == []  # the note was read right: no lesson for the parser
    assert [row.detail for row in await world.rows(AuditLog, AuditLog.action == "task_snooze")] == [f"task {quote.id} to 2027-03-08"]
    assert len(await world.notes()) == 1  # the answer is no note

    # the reminder for the new time comes, and its own Reschedule works again
    world.clock.set(at(2027, 3, 8, 9, 30))
    await tick(world.app, world.clock())
    await world.deliver()
    again = [m for m in world.fake.sent(1001) if m.get("text", "").startswith("⏰ Follow-up")][-1]
    assert again["message_id"] != reminder["message_id"] and again["text"].startswith("⏰ Follow-up: Wang Lei") and "10:00" in again["text"]


async def test_the_change_date_button_under_a_note_still_moves_its_follow_ups_and_keeps_the_correction(world_any_db):
    world = world_any_db
    await seed_team(world.app, members=(("1001", "admin"),), customers=CUSTOMERS, platform="telegram")
    await world.start()
    [filed] = await world.say(LI, "called Wang Lei, wants a quote Friday")
    await world.press(LI, filed, "Change date")
    [moved] = await world.say(LI, "next Monday")
    assert "Mon 8 Mar" in moved["text"]
    [task] = await world.rows(Task)
    assert local(task).date() == dt.date(2027, 3, 8)
    [correction] = await world.rows(Correction)
    assert correction.corrected["date"] == "2027-03-08"


ME = "UBOSS"


async def test_a_slack_reminders_reschedule_opens_the_follow_up_form_and_saving_moves_it(slack_env_any_db: SlackEnv):
    env = slack_env_any_db
    await seed_slack_admin(env, ME, [{"name": "王伟", "company": "华东机电"}])
    await env.slack.dm(ME, "called 王伟, wants a quote Friday 3pm")
    await env.settle()
    [task] = await _rows(env.app, Task)
    env.slack.clock.set(at(2027, 3, 5, 14, 30))
    await tick(env.app, env.slack.clock())
    await env.app.deliverer.drain()
    await env.settle()
    [reminder] = [p for p in env.api.posts("DBOSS") if p.get("text", "").startswith("⏰ Follow-up")]
    assert reminder["text"].startswith("⏰ Follow-up: 王伟")
    await env.slack.press(ME, reminder, "Reschedule")
    await env.settle()
    [modal] = env.api.opened()
    assert json.loads(modal["private_metadata"])["task"] == task.id
    status, _answer = await env.slack.submit(ME, modal, {"date": "2027-03-09", "time": "11:00"})
    await env.settle()
    assert status == 200
    [task] = await _rows(env.app, Task)
    assert (local(task), task.due_has_time) == (at(2027, 3, 9, 11, 0), True)
    assert await _rows(env.app, Correction) == []
