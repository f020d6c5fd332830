"""`crmbot run` serves every configured messenger in one process (issue 15): one app wired as in
production with DingTalk (stream, the real dingtalk-stream SDK) and WeCom (the callback URL) against
their fakes (port 0); a rep's note on WeCom is on the customer card their manager asks for on DingTalk,
and each answer goes out through its own messenger."""
from __future__ import annotations

from storage.models import Customer, Interaction, Member

from .fakes.dingtalk_api import CLIENT_ID, CLIENT_SECRET
from .fakes.dingtalk_world import DingTalkWorld, fake_dingtalk  # noqa: F401  (fixtures)
from .fakes.wecom_api import start_wecom_env, stop_wecom_env
from .helpers import rows, seed_team
from .reminders_fixtures import move_identity

CUSTOMERS = [{"name": "李娜", "company": "星河贸易"}]


async def test_a_note_on_wecom_is_on_the_card_asked_for_on_dingtalk(fake_dingtalk, sqlite_url, tmp_path, clock):
    env = await start_wecom_env(sqlite_url, tmp_path, clock, dingtalk_client_id=CLIENT_ID, dingtalk_client_secret=CLIENT_SECRET, dingtalk_api_url=fake_dingtalk.base)
    world = None
    try:
        assert {a.platform for a in env.app.adapters} == {"dingtalk", "wecom"}
        world = DingTalkWorld(fake_dingtalk, env.app, clock)
        assert world.adapter.platform == "dingtalk"
        await world.start()
        seeded = await seed_team(env.app, (("staff01", "manager"), ("zhangsan", "rep", "staff01")), CUSTOMERS, platform="dingtalk")
        await move_identity(env.app, seeded["members"]["zhangsan"], "wecom", "zhangsan")
        env.api.users["zhangsan"] = "张三"
        async with env.app.db.write() as session:  # the customer is the rep's
            customer = await session.get(Customer, seeded["customers"]["李娜"].id)
            customer.owner_id = seeded["members"]["zhangsan"].id
            session.add(customer)

        assert (await env.wecom.text("zhangsan", "拜访了李娜，下周三前发报价"))[0] == 200
        await env.settle()
        assert "李娜" in env.api.texts("zhangsan")[-1]
        [card] = await world.say("staff01", "/客户 李娜")

        assert "李娜" in card.text and "发报价" in card.text
        [note] = await rows(env.app, Interaction)
        author = next(m for m in await rows(env.app, Member) if m.id == note.author_id)
        assert author.display_name == "zhangsan"
        assert not fake_dingtalk.to("zhangsan") and not env.api.texts("staff01"), "each answer through its own messenger"
    finally:
        if world is not None:
            await world.adapter.stop()
        await stop_wecom_env(env)
