"""Telegram as its users expect it: answers to a button take the pressed message's place, edited
notes are re-read, invite deep links, command menus per chat kind and language, ForceReply in groups.
The real PTB Application polls a fake Bot API over HTTP."""
from __future__ import annotations

from tests.fakes.telegram_api import user
from tests.fakes.telegram_world import fake_telegram, world, world_any_db  # noqa: F401
from tests.helpers import seed_team

LI = user(1001, "Li", language_code="en")
MEI = user(1002, "Mei", language_code="zh-hans")
GROUP = {"id": -100500, "type": "supergroup", "title": "Sales East"}
CUSTOMERS = (
    {"name": "Wang Lei", "company": "Acme", "owner": "1001"},
    {"name": "Wang Fang", "company": "Beta", "owner": "1001"},
    {"name": "李娜", "company": "华为", "owner": "1001"},
)


async def seeded(world, members=(("1001", "admin"),)):
    team = await seed_team(world.app, members=members, customers=CUSTOMERS, platform="telegram")
    await world.start()
    return team


def labels(message: dict) -> list[str]:
    return [b["text"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def test_undo_edits_the_confirmation_in_place_and_answers_the_press(world):
    await seeded(world)
    [filed] = await world.say(LI, "called Wang Lei, wants a quote")
    sent = len(world.fake.sent(1001))
    [undone] = await world.press(LI, filed, "Undo")
    assert undone["message_id"] == filed["message_id"] and undone["text"].startswith("↩")
    assert labels(undone) == []  # the buttons went with the question
    assert len(world.fake.sent(1001)) == sent  # no new message
    assert len(world.fake.called("answerCallbackQuery")) == 1
    assert await world.notes() == []


async def test_a_message_that_cannot_be_edited_gets_the_answer_as_a_new_message(world):
    await seeded(world)
    [filed] = await world.say(LI, "called Wang Lei, wants a quote")
    world.fake.fail("editMessageText", 400, description="Bad Request: message can't be edited")
    [undone] = await world.press(LI, filed, "Undo")
    assert undone["message_id"] != filed["message_id"] and undone["text"].startswith("↩")
    assert "reply_markup" not in world.fake.messages[(1001, filed["message_id"])]  # its buttons went all the same
