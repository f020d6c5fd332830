"""DingTalk end to end in stream mode: the real dingtalk-stream SDK connected to a fake DingTalk
gateway (connection open + websocket, port 0), CALLBACK frames in, acks back, replies through the
robot OpenAPI of the same fake, a real database in between."""
from __future__ import annotations

from storage.models import Customer, Inbox, Interaction, Outbox, Task

from .fakes.dingtalk_world import DingTalkWorld, dingtalk_world, dingtalk_world_any_db, fake_dingtalk  # noqa: F401  (fixtures)
from .helpers import seed_team

CUSTOMERS = [
    {"name": "王伟", "company": "华东机电", "aliases": ["王总"], "tier": "important"},
    {"name": "李娜", "company": "星河贸易"},
]


async def test_chinese_note_in_one_to_one_chat_is_filed_and_confirmed_with_buttons(dingtalk_world_any_db: DingTalkWorld):
    world = dingtalk_world_any_db
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()

    [reply] = await world.say("staff01", "拜访了李娜，下周三前发报价", nick="小李")

    assert reply.path == "oToMessages/batchSend" and reply.to == "staff01"
    assert "李娜" in reply.text and "3月10日(周三)" in reply.text and "发报价" in reply.text
    assert reply.msg_key == "sampleMarkdown" and reply.presses(), "the confirmation has buttons"
    [note] = await world.rows(Interaction)
    [follow_up] = await world.rows(Task)
    assert note.customer_id == follow_up.customer_id
    [row] = await world.rows(Inbox)
    assert row.status == "handled" and "sessionWebhook" not in row.payload["dingtalk"]


async def test_a_button_press_changes_the_follow_up(dingtalk_world: DingTalkWorld):
    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    [confirmation] = await world.say("staff01", "拜访了李娜，下周三前发报价")

    [question] = await world.press("staff01", confirmation, "改日期")
    assert "改到什么时候" in question.text
    [changed] = await world.say("staff01", "3月12日")

    [task] = await world.rows(Task)
    assert task.due_at is not None and task.due_at.astimezone(world.clock().tzinfo).date().isoformat() == "2027-03-12"
    assert "3月12日" in changed.text
    [note] = await world.rows(Interaction)
    assert "〔" not in note.text, "a press is no note"


async def test_a_note_that_mentions_the_robot_in_a_group_is_filed_and_answered_in_the_group(dingtalk_world: DingTalkWorld):
    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    await world.say("staff01", "/link", group="cidGROUP1")

    [reply] = await world.say("staff01", "给王总打了电话，他想要周五的报价", group="cidGROUP1")

    assert reply.path == "card/createAndDeliver" and reply.to == "cidGROUP1", "with buttons: a card (test_dingtalk_cards.py)"
    assert "王伟" in reply.text
    [note] = await world.rows(Interaction)
    [wang] = await world.rows(Customer, Customer.name == "王伟")
    assert note.customer_id == wang.id
    assert not world.fake.to("staff01"), "the group's answer stays in the group"


async def test_a_redelivered_message_is_acked_again_but_answered_once(dingtalk_world_any_db: DingTalkWorld):
    world = dingtalk_world_any_db
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    data = world.fake.message("staff01", "拜访了王伟，下周一回访", msg_id="msgSAME", created_ms=int(world.clock().timestamp() * 1000))

    first = await world.exchange(data)
    again = await world.exchange(data)  # DingTalk sends it again (it missed our ack)

    assert len(first) == 1 and again == []
    assert len(await world.rows(Interaction)) == 1 and len(await world.rows(Inbox)) == 1


async def test_a_rate_limited_reply_is_sent_later_without_loss(dingtalk_world: DingTalkWorld):
    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    world.fake.refuse_next("oToMessages/batchSend", 403, "Forbidden.AccessDenied.QpsLimitForApi")
    world.fake.refuse_next("oToMessages/batchSend", 429, "Throttling")
    started = world.clock()

    [reply] = await world.say("staff01", "拜访了王伟，下周一回访")

    assert "王伟" in reply.text
    attempts = [body for path, body in world.fake.calls if path == "oToMessages/batchSend"]
    assert len(attempts) == 3, "two refusals, then the send"
    [row] = await world.rows(Outbox)
    assert row.status == "sent" and row.sent_at is not None and row.sent_at > started


async def test_the_access_token_is_cached_and_fetched_again_when_dingtalk_rejects_it(dingtalk_world: DingTalkWorld):
    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    await world.say("staff01", "拜访了王伟")
    await world.say("staff01", "拜访了李娜")
    assert len(world.fake.tokens) == 1, "one token for both replies"

    world.fake.tokens.append("token-issued-elsewhere")  # the app's token was renewed by another client
    [reply] = await world.say("staff01", "/help")
    fetched = [c for c in world.fake.calls if c[0] == "accessToken"]
    assert reply.text and len(fetched) == 2 and world.fake.tokens[-1] != "token-issued-elsewhere"

    world.clock.advance(hours=2)  # past the token's two hours
    [reply] = await world.say("staff01", "/help")
    assert reply.text and len([c for c in world.fake.calls if c[0] == "accessToken"]) == 3


async def test_a_message_stored_before_a_crash_is_answered_on_the_next_start(dingtalk_world: DingTalkWorld):
    from bot.dingtalk import inbox

    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    data = world.fake.message("staff01", "拜访了王伟，下周一回访", created_ms=int(world.clock().timestamp() * 1000))
    assert await inbox.store(world.app.db, data, world.clock())  # acked, then the process died

    await world.start()
    await world.deliver()

    [reply] = world.fake.to("staff01")
    assert "王伟" in reply.text
    [row] = await world.rows(Inbox)
    assert row.status == "handled"


async def test_wrong_credentials_stop_the_start_with_one_clear_line(fake_dingtalk, sqlite_url, tmp_path, clock):
    import pytest

    from bot.dingtalk.stream import StreamConfigError
    from tests.fakes.dingtalk_world import dingtalk_app

    app = dingtalk_app(fake_dingtalk, sqlite_url, tmp_path, clock, dingtalk_client_secret="wrong")
    try:
        with pytest.raises(StreamConfigError, match="DINGTALK_CLIENT_SECRET"):
            await app.adapters[0].start()
    finally:
        await app.adapters[0].stop()
        await app.close()


async def test_a_message_that_cannot_be_stored_is_not_acked_and_comes_again(dingtalk_world: DingTalkWorld):
    from sqlalchemy import text

    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    data = world.fake.message("staff01", "拜访了王伟，下周一回访", created_ms=int(world.clock().timestamp() * 1000))
    async with world.app.db.write() as session:
        await session.exec(text("ALTER TABLE inbox RENAME TO inbox_away"))  # the database refuses the write

    frame = await world.fake.push(data)
    await world.adapter.settle()
    assert frame not in world.fake.acks, "no ack for what was not stored"

    async with world.app.db.write() as session:
        await session.exec(text("ALTER TABLE inbox_away RENAME TO inbox"))
    [reply] = await world.exchange(data)  # DingTalk delivers it again
    assert "王伟" in reply.text


async def test_a_user_dingtalk_flow_controls_is_sent_to_later(dingtalk_world: DingTalkWorld):
    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    world.fake.flow_control_next("staff01")

    [reply] = await world.say("staff01", "拜访了王伟")

    assert "王伟" in reply.text
    assert len([c for c in world.fake.calls if c[0] == "oToMessages/batchSend"]) == 2


async def test_keep_alive_pings_are_acked_and_a_disconnect_is_followed_by_a_new_connection(dingtalk_world: DingTalkWorld):
    import asyncio

    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()

    async def no_wait(seconds: float) -> None:
        await asyncio.sleep(0)

    world.adapter.stream.sleep = no_wait  # the reconnect delay passes at once
    ping = await world.fake.system("ping", {"opaque": "x1"})
    assert (await world.fake.acked(ping))["data"] == '{"opaque": "x1"}'

    await world.fake.acked(await world.fake.system("disconnect"))
    await world.fake.wait_for(lambda: len([c for c in world.fake.calls if c[0] == "connect"]) == 2)
    [reply] = await world.say("staff01", "拜访了王伟，下周一回访")  # over the new connection
    assert "王伟" in reply.text
    tickets = [c[1]["ticket"] for c in world.fake.calls if c[0] == "connect"]
    assert len(set(tickets)) == 2, "a fresh ticket for the new connection"


async def test_a_picture_gets_one_friendly_line(dingtalk_world: DingTalkWorld):
    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    data = world.fake.message("staff01", "", created_ms=int(world.clock().timestamp() * 1000))
    data.pop("text")
    data |= {"msgtype": "picture", "content": {"downloadCode": "code1"}}

    [reply] = await world.exchange(data)

    assert reply.text and "Traceback" not in reply.text and len(reply.text.splitlines()) <= 2
    assert await world.rows(Interaction) == []
