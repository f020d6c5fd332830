"""Feishu end to end: the real adapter behind its callback URL (encrypted, signed events in) and the
real lark-oapi client against a fake Feishu Open API on 127.0.0.1, a real database in between."""
from __future__ import annotations

import datetime as dt

from storage.models import ChatLink, Customer, Interaction, Member, Task

from .fakes.feishu_api import FeishuEnv, feishu_env, feishu_env_any_db  # noqa: F401  (fixtures)
from .conftest import SHANGHAI
from .helpers import rows, seed_team

CUSTOMERS = [
    {"name": "王伟", "company": "华东机电", "aliases": ["王总"], "phone": "13800001111", "tier": "important"},
    {"name": "李娜", "company": "星河贸易"},
    {"name": "张强", "company": "星河贸易"},
    {"name": "张丽", "company": "张记餐饮"},
]


async def seed(env: FeishuEnv, user: str = "ou_boss", name: str = "老板") -> None:
    await seed_team(env.app, ((user, "admin"),), CUSTOMERS, platform="feishu")
    env.api.add_user(user, name)


async def test_a_chinese_note_in_a_dm_is_filed_and_confirmed_with_buttons(feishu_env_any_db: FeishuEnv):
    env = feishu_env_any_db
    await seed(env)
    status, answer = await env.tenant.dm("ou_boss", "拜访了李娜，下周三前发报价")
    assert (status, answer) == (200, {})
    await env.settle()

    [note] = await rows(env.app, Interaction)
    li_na = next(c for c in await rows(env.app, Customer) if c.name == "李娜")
    assert note.customer_id == li_na.id
    [reply] = env.api.to("ou_boss")
    assert reply["receive_id_type"] == "open_id" and reply["msg_type"] == "interactive"
    assert "李娜" in env.api.texts("ou_boss")[0] and "3月10日" in env.api.texts("ou_boss")[0]
    labels = [b["text"]["content"] for b in env.api.buttons(reply)]
    assert "撤销" in labels


async def test_change_date_button_then_a_typed_date_moves_the_follow_up(feishu_env: FeishuEnv):
    env = feishu_env
    await seed(env)
    await env.tenant.dm("ou_boss", "拜访了李娜，下周三前发报价")
    await env.settle()
    [confirmation] = env.api.to("ou_boss")
    [task] = await rows(env.app, Task)
    assert task.due_at is not None and task.due_at.astimezone(SHANGHAI).date() == dt.date(2027, 3, 10)

    status, answer = await env.tenant.press("ou_boss", confirmation, "改日期")
    assert (status, answer) == (200, {})
    await env.settle()
    assert env.api.to("ou_boss")[-1] is not confirmation  # the question comes as a new message
    await env.tenant.dm("ou_boss", "3月12日")
    await env.settle()
    [task] = await rows(env.app, Task)
    assert task.due_at.astimezone(SHANGHAI).date() == dt.date(2027, 3, 12)
    assert "3月12日" in env.api.texts("ou_boss")[-1]


async def test_a_double_tap_on_a_card_button_is_one_press(feishu_env: FeishuEnv):
    env = feishu_env
    await seed(env)
    await env.tenant.dm("ou_boss", "拜访了李娜，下周三前发报价")
    await env.settle()
    [confirmation] = env.api.to("ou_boss")
    for _ in range(2):
        await env.tenant.press("ou_boss", confirmation, "撤销")
        await env.settle()
    assert await rows(env.app, Interaction, Interaction.status == "filed") == []
    assert len(env.api.to("ou_boss")) == 2  # the confirmation, and one answer to the press


async def test_a_group_mention_is_a_note_answered_in_the_group_without_contact_details(feishu_env: FeishuEnv):
    env = feishu_env
    await seed(env)
    await env.tenant.mention("ou_boss", "oc_sales", "今天拜访了王总，周五前发报价")
    await env.settle()
    [note] = await rows(env.app, Interaction)
    wang = next(c for c in await rows(env.app, Customer) if c.name == "王伟")
    assert note.customer_id == wang.id and "@_user_1" not in note.text and "王总" in note.text
    [reply] = env.api.to("oc_sales")
    assert reply["receive_id_type"] == "chat_id"
    assert "王伟" in env.api.texts("oc_sales")[0] and "13800001111" not in env.api.texts("oc_sales")[0]
    assert env.api.to("ou_boss") == []


async def test_group_chatter_that_does_not_mention_the_bot_is_not_a_note(feishu_env: FeishuEnv):
    env = feishu_env
    await seed(env)
    other = {"key": "@_user_1", "id": {"open_id": "ou_colleague"}, "name": "小李"}
    event = env.tenant.message_event("ou_boss", "@_user_1 王总那边你跟一下", chat_type="group", chat_id="oc_sales", mentions=[other])
    assert (await env.tenant.deliver(event))[0] == 200
    await env.settle()
    assert await rows(env.app, Interaction) == []
    assert env.api.messages == []


async def test_a_follow_up_reminder_is_a_card_whose_done_button_closes_it(feishu_env: FeishuEnv):
    from reminders.followups import scan

    env = feishu_env
    await seed(env)
    await env.tenant.dm("ou_boss", "拜访了李娜，明天发报价")
    await env.settle()
    env.tenant.clock.set(dt.datetime(2027, 3, 2, 9, 5, tzinfo=SHANGHAI))
    assert await scan(env.app, env.tenant.clock()) == 1
    await env.settle()
    reminder = env.api.to("ou_boss")[-1]
    assert reminder["msg_type"] == "interactive" and "李娜" in env.api.texts("ou_boss")[-1]
    assert {b["value"]["kind"] for b in env.api.buttons(reminder)} == {"private"}

    await env.tenant.press("ou_boss", reminder, "完成")
    await env.settle()
    [task] = await rows(env.app, Task)
    assert task.status == "done"


async def test_the_first_feishu_user_of_a_fresh_install_becomes_admin_by_their_feishu_name(feishu_env: FeishuEnv):
    env = feishu_env
    env.api.add_user("ou_first", "周杰")
    await env.tenant.dm("ou_first", "/start")
    await env.settle()
    [member] = await rows(env.app, Member)
    assert member.role == "admin" and member.display_name == "周杰"
    assert env.api.texts("ou_first")


async def test_an_image_gets_one_friendly_line_in_the_members_chinese(feishu_env: FeishuEnv):
    env = feishu_env
    await seed(env)
    await env.tenant.dm("ou_boss", "拜访了李娜")  # Feishu's events carry no locale: the language is learnt from what they write
    await env.settle()
    event = env.tenant.message_event("ou_boss", "", message_type="image", content={"image_key": "img_v2_1"})
    assert (await env.tenant.deliver(event))[0] == 200
    await env.settle()
    line = env.api.texts("ou_boss")[-1]
    assert "图片" in line and "\n" not in line.strip()
    assert len(await rows(env.app, Interaction)) == 1


async def test_commands_work_in_a_group_after_an_at_mention(feishu_env: FeishuEnv):
    env = feishu_env
    await seed(env)
    await env.tenant.mention("ou_boss", "oc_sales", "/link")
    await env.settle()
    await env.tenant.mention("ou_boss", "oc_sales", "/customer 王伟")
    await env.settle()
    [link] = await rows(env.app, ChatLink)
    assert (link.platform, link.chat_id) == ("feishu", "oc_sales")
    _, card = env.api.texts("oc_sales")
    assert "王伟" in card and "13800001111" not in card
