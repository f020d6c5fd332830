"""DingTalk group chats with buttons, end to end in stream mode: a reply with buttons goes out as an
interactive card (createAndDeliver, STREAM callbacks) and a tap comes back as a card callback over
the real dingtalk-stream SDK's websocket, stored before its ack and handled like any button press."""
from __future__ import annotations

from storage.models import Inbox, Interaction, Prompt, Task

from .fakes.dingtalk_api import CARD_CALLBACK, CARD_PATH
from .fakes.dingtalk_world import DingTalkWorld, dingtalk_http_world, dingtalk_world, dingtalk_world_any_db, fake_dingtalk  # noqa: F401  (fixtures)
from .helpers import seed_team

GROUP = "cidGROUP1"
CUSTOMERS = [
    {"name": "王伟", "company": "华东机电", "aliases": ["王总"], "tier": "important"},
    {"name": "李娜", "company": "星河贸易"},
]


async def _group_note(world: DingTalkWorld, text: str = "拜访了李娜，下周三前发报价"):
    await world.say("staff01", "/link", group=GROUP)
    [card] = await world.say("staff01", text, group=GROUP)
    return card


async def test_a_group_note_is_confirmed_on_a_card_and_a_tap_changes_the_follow_up(dingtalk_world_any_db: DingTalkWorld):
    world = dingtalk_world_any_db
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    subscribed = [c[1]["subscriptions"] for c in world.fake.calls if c[0] == "open"][0]
    assert {"type": "CALLBACK", "topic": CARD_CALLBACK} in subscribed

    card = await _group_note(world)

    assert card.path == CARD_PATH and card.to == GROUP
    assert "李娜" in card.text and "3月10日(周三)" in card.text
    assert any("改日期" in label for label in card.card_buttons()), card.card_buttons()
    [question] = await world.press_card("staff01", card, "改日期")
    assert question.to == GROUP and "改到什么时候" in question.text
    [changed] = await world.say("staff01", "3月12日", group=GROUP)

    [task] = await world.rows(Task)
    assert task.due_at.astimezone(world.clock().tzinfo).date().isoformat() == "2027-03-12"
    assert "3月12日" in changed.text
    [note] = await world.rows(Interaction)
    assert "〔" not in note.text, "a press is no note"
    press_rows = [r for r in await world.rows(Inbox) if ".b" in r.key and ":card." in r.key]
    assert len(press_rows) == 1 and press_rows[0].status == "handled" and press_rows[0].chat_id == GROUP


async def test_a_redelivered_card_callback_is_acked_again_but_answered_once(dingtalk_world: DingTalkWorld):
    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    card = await _group_note(world)
    callback = world.fake.card_press("staff01", card, "改日期")

    first = await world.exchange(callback, topic=CARD_CALLBACK, chat=GROUP)
    again = await world.exchange(callback, topic=CARD_CALLBACK, chat=GROUP)  # DingTalk missed our ack

    assert len(first) == 1 and again == []
    assert len([p for p in await world.rows(Prompt) if p.kind == "change_date"]) == 1


async def test_a_press_on_a_card_or_button_that_is_not_ours_is_acked_and_changes_nothing(dingtalk_world: DingTalkWorld):
    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    card = await _group_note(world)
    inbox_before, sent_before = len(await world.rows(Inbox)), len(world.fake.sent)

    no_such_button = world.fake.card_press("staff01", card, "", action="b9_9")
    forged_card = world.fake.card_press("staff01", card, "改日期") | {"outTrackId": card.out_track_id[:-1] + "0"}
    not_a_press = world.fake.card_press("staff01", card, "改日期") | {"content": "not json"}
    for callback in (no_such_button, forged_card, not_a_press):
        assert await world.exchange(callback, topic=CARD_CALLBACK, chat=GROUP) == []

    assert len(await world.rows(Inbox)) == inbox_before and len(world.fake.sent) == sent_before
    [task] = await world.rows(Task)
    assert task.due_at.astimezone(world.clock().tzinfo).date().isoformat() == "2027-03-10"


async def test_a_tap_by_someone_else_in_the_group_is_refused_in_their_language(dingtalk_world: DingTalkWorld):
    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"), ("staff02", "rep", "staff01")), CUSTOMERS, platform="dingtalk")
    await world.start()
    card = await _group_note(world)

    [answer] = await world.press_card("staff02", card, "撤销")

    assert answer.to == GROUP and "\n" not in answer.text.strip()
    assert len(await world.rows(Interaction)) == 1, "someone else's tap undoes nothing"


async def test_an_answer_without_buttons_takes_the_place_of_the_tapped_card(dingtalk_world: DingTalkWorld):
    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    card = await _group_note(world)
    assert len(await world.rows(Interaction)) == 1

    new_messages = await world.press_card("staff01", card, "撤销")

    assert new_messages == [], "the answer went into the card, not into a new message"
    assert card.text.startswith("↩") and card.card_buttons() == {}
    assert [track for track, _ in world.fake.card_updates] == [card.out_track_id]
    assert await world.rows(Interaction) == []


async def test_a_card_that_can_no_longer_change_gets_its_answer_as_a_new_message(dingtalk_world: DingTalkWorld):
    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    card = await _group_note(world)
    world.fake.sent.remove(card)  # DingTalk no longer knows the card (expired, recalled)
    world.fake.sent.append(type(card)(card.path, "elsewhere", card.msg_key, card.param, out_track_id="gone"))

    [answer] = await world.exchange(world.fake.card_press("staff01", card, "撤销"), topic=CARD_CALLBACK, chat=GROUP)

    assert answer.path == "groupMessages/send" and answer.text.startswith("↩")
    assert await world.rows(Interaction) == []


async def test_a_rate_limited_card_is_sent_later_without_loss(dingtalk_world: DingTalkWorld):
    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    await world.say("staff01", "/link", group=GROUP)
    world.fake.refuse_next(CARD_PATH, 403, "Forbidden.AccessDenied.QpsLimitForApi")

    [card] = await world.say("staff01", "拜访了李娜，下周三前发报价", group=GROUP)

    assert card.path == CARD_PATH and "李娜" in card.text
    attempts = [body for path, body in world.fake.calls if path == CARD_PATH]
    assert len(attempts) == 2 and attempts[0]["outTrackId"] == attempts[1]["outTrackId"], "the same card, tried again"


async def test_http_mode_has_no_card_callbacks_so_group_replies_keep_their_links(dingtalk_http_world: DingTalkWorld):
    world = dingtalk_http_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    for text in ("/link", "拜访了李娜，下周三前发报价"):
        world.clock.advance(seconds=5)
        assert await world.post(world.fake.message("staff01", text, group=GROUP, created_ms=int(world.clock().timestamp() * 1000))) == 200

    reply = world.fake.to(GROUP)[-1]
    assert reply.path == "groupMessages/send" and reply.presses() and not [c for c in world.fake.calls if c[0] == CARD_PATH]
