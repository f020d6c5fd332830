"""Pushes reach a DingTalk-only member: a follow-up reminder comes to their one-to-one chat through the
robot OpenAPI (the fake, port 0) with its buttons, and Done, tapped there, closes the follow-up
(issue 15; 'dingtalk' was missing from the platforms pushes may go to, so such a member got none)."""
from __future__ import annotations

from storage.models import Outbox, Task

from .fakes.dingtalk_world import DingTalkWorld, dingtalk_world_any_db, fake_dingtalk  # noqa: F401  (fixtures)
from .helpers import seed_team
from .reminders_fixtures import at, tick_and_send

CUSTOMERS = [{"name": "李娜", "company": "星河贸易"}]


async def test_a_follow_up_reminder_reaches_the_dingtalk_member_and_done_closes_it(dingtalk_world_any_db: DingTalkWorld):
    world = dingtalk_world_any_db
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    await world.say("staff01", "拜访了李娜，下周三前发报价")
    sent_before = len(world.fake.to("staff01"))

    world.clock.set(at(2027, 3, 10, 9, 0))
    await tick_and_send(world.app, world.clock)
    await world.deliver()

    [reminder] = world.fake.to("staff01")[sent_before:]
    assert "李娜" in reminder.text and "发报价" in reminder.text
    assert any("完成" in label for label in reminder.presses()), reminder.presses()
    assert {r.platform for r in await world.rows(Outbox, Outbox.kind == "reminder")} == {"dingtalk"}
    await world.press("staff01", reminder, "完成")
    [task] = await world.rows(Task)
    assert task.status == "done"
