"""/pair links the same person across the new messengers: a Feishu member's code, sent from DingTalk
over the real stream (fake gateway, port 0), makes that DingTalk account the same member, whose notes
and customers are then one (issue 15)."""
from __future__ import annotations

import re

from sqlmodel import delete

from storage.models import Identity, Interaction, Outbox

from .fakes.dingtalk_world import DingTalkWorld, dingtalk_world_any_db, fake_dingtalk  # noqa: F401  (fixtures)
from .helpers import Person, rows, seed_team

CUSTOMERS = [{"name": "李娜", "company": "星河贸易", "owner": "小李"}]


async def test_a_feishu_members_code_sent_from_dingtalk_pairs_the_accounts(dingtalk_world_any_db: DingTalkWorld):
    world = dingtalk_world_any_db
    seeded = await seed_team(world.app, (("小李", "admin"),), CUSTOMERS, platform="feishu")
    await world.start()
    feishu = Person(world.app, "小李", platform="feishu")
    [coded] = await feishu.say("/绑定")
    found = re.search(r"(?:Code|配对码) ([0-9A-F]{6})", coded.text)
    assert found, coded.text
    code = found.group(1)
    async with world.app.db.write() as session:  # Feishu is not running here: its queued reply is not ours to deliver
        await session.exec(delete(Outbox).where(Outbox.platform == "feishu"))

    [paired] = await world.say("staff01", f"/pair {code}", nick="小李")
    assert ("钉钉" in paired.text or "DingTalk" in paired.text) and "小李" in paired.text, paired.text
    [again] = await world.say("staff09", f"/pair {code}", nick="someone")  # a code is good once
    assert "无效" in again.text or "not valid" in again.text

    [filed] = await world.say("staff01", "拜访了李娜，下周三前发报价")
    assert "李娜" in filed.text
    [note] = await rows(world.app, Interaction)
    assert note.author_id == seeded["members"]["小李"].id
    assert {(i.platform, i.platform_user_id) for i in await rows(world.app, Identity)} >= {("feishu", "小李"), ("dingtalk", "staff01")}
    assert ("dingtalk", "staff09") not in {(i.platform, i.platform_user_id) for i in await rows(world.app, Identity)}
