"""DingTalk HTTP outgoing-robot mode end to end: signed POSTs to the adapter's real endpoint (aiohttp,
port 0), replies through the fake robot OpenAPI, a real database in between."""
from __future__ import annotations

from storage.models import Inbox, Interaction

from .fakes.dingtalk_api import CLIENT_SECRET
from .fakes.dingtalk_world import DingTalkWorld, dingtalk_http_world, fake_dingtalk  # noqa: F401  (fixtures)
from .helpers import seed_team

CUSTOMERS = [{"name": "王伟", "company": "华东机电", "aliases": ["王总"]}]


def note(world: DingTalkWorld, text: str, **kw) -> dict:
    return world.fake.message("staff01", text, created_ms=int(world.clock().timestamp() * 1000), **kw)


async def test_a_signed_callback_files_the_note_and_answers_through_the_openapi(dingtalk_http_world: DingTalkWorld):
    world = dingtalk_http_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()

    assert await world.post(note(world, "拜访了王总，下周三前发报价")) == 200

    [reply] = world.fake.to("staff01")
    assert "王伟" in reply.text and reply.presses()
    assert len(await world.rows(Interaction)) == 1


async def test_a_forged_signature_gets_401_and_writes_nothing(dingtalk_http_world: DingTalkWorld):
    world = dingtalk_http_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()

    forged = world.signed_headers(secret="not-the-app-secret")
    unsigned = {"Content-Type": "application/json"}
    assert await world.post(note(world, "拜访了王总"), forged) == 401
    assert await world.post(note(world, "拜访了王总"), unsigned) == 401
    assert await world.post(note(world, "拜访了王总"), forged | {"timestamp": "abc"}) == 401

    assert await world.rows(Inbox) == [] and await world.rows(Interaction) == []
    assert world.fake.sent == []


async def test_a_stale_signature_gets_403_and_writes_nothing(dingtalk_http_world: DingTalkWorld):
    world = dingtalk_http_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    two_hours_ago = int(world.clock().timestamp() * 1000) - 2 * 3600 * 1000

    status = await world.post(note(world, "拜访了王总"), world.signed_headers(secret=CLIENT_SECRET, at_ms=two_hours_ago))

    assert status == 403
    assert await world.rows(Inbox) == [] and world.fake.sent == []


async def test_a_repeated_callback_is_answered_once(dingtalk_http_world: DingTalkWorld):
    world = dingtalk_http_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    data = note(world, "拜访了王总，下周一回访", msg_id="msgTWICE")

    assert await world.post(data) == 200
    assert await world.post(data) == 200

    assert len(world.fake.to("staff01")) == 1 and len(await world.rows(Interaction)) == 1


async def test_a_body_that_is_no_message_gets_one_plain_answer(dingtalk_http_world: DingTalkWorld):
    world = dingtalk_http_world
    await world.start()
    assert await world.post({"hello": "world"}) == 200  # signed, but nobody said anything: acknowledged, ignored
    assert await world.rows(Inbox) == []


async def test_hostile_ids_and_text_are_stored_and_answered_once(dingtalk_http_world: DingTalkWorld):
    world = dingtalk_http_world
    await seed_team(world.app, (("staff01", "admin"),), CUSTOMERS, platform="dingtalk")
    await world.start()
    data = note(world, "拜访了王总\x00，下周一回访\ud800", msg_id="m\x00" + "x" * 5000)

    assert await world.post(data) == 200
    assert await world.post(data) == 200

    [reply] = world.fake.to("staff01")
    assert "王伟" in reply.text
    [row] = await world.rows(Inbox)
    assert row.status == "handled"
