"""WeCom end to end: the adapter's real callback URL (encrypted, signed XML in), a fake WeCom API on
127.0.0.1 out (message/send, gettoken, user/get), a real database in between."""
from __future__ import annotations

import datetime as dt

from sqlmodel import select

from storage.models import Customer, Inbox, Interaction, Member, Outbox, Task

from .fakes.wecom_api import CORP_ID, WeComEnv, restart_wecom_env, wecom_env, wecom_env_any_db  # noqa: F401  (fixtures)
from .helpers import rows, seed_team

CUSTOMERS = [
    {"name": "李娜", "company": "华南贸易", "phone": "13900002222"},
    {"name": "王伟", "company": "华东机电", "aliases": ["王总"]},
]


async def seeded(env: WeComEnv, user: str = "zhangsan", name: str = "张三") -> str:
    """A team whose admin is this WeCom member (known to the fake's user/get), speaking Chinese."""
    await seed_team(env.app, ((user, "admin"),), CUSTOMERS, platform="wecom")
    env.api.users[user] = name
    return user


async def test_url_verification_answers_the_echostr_and_refuses_a_forged_one(wecom_env: WeComEnv):
    assert await wecom_env.wecom.verify_url("1616140317555161061") == (200, "1616140317555161061")
    from bot.wecom.crypto import WeComCrypto

    forger = WeComCrypto("guessed-token", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", CORP_ID)
    status, _ = await wecom_env.wecom.verify_url(crypto=forger)
    assert status == 401


async def test_chinese_note_in_the_one_to_one_chat_is_filed_and_confirmed_with_a_card(wecom_env_any_db: WeComEnv):
    env = wecom_env_any_db
    user = await seeded(env)
    status, body = await env.wecom.text(user, "拜访了李娜，下周三前发报价")
    assert (status, body) == (200, "")  # answered at once, no passive reply
    await env.settle()

    [note] = await rows(env.app, Interaction)
    li_na = next(c for c in await rows(env.app, Customer) if c.name == "李娜")
    assert note.customer_id == li_na.id
    [task] = await rows(env.app, Task)
    assert task.due_at.astimezone(env.app.settings.zone).date() == dt.date(2027, 3, 10)

    [card] = env.api.cards(user)
    assert card["card_type"] == "button_interaction"
    shown = env.api.texts(user)[-1]
    assert "李娜" in shown and "跟进" in shown  # in the sender's language
    assert [b["text"] for b in card["button_list"]] == ["客户不对", "改日期", "撤销"]
    [send] = env.api.sent(user)
    assert send["agentid"] == 1000002 and send["touser"] == user
    assert [m.display_name for m in await rows(env.app, Member)] == [user]  # (seeded by UserID; the name is used for replies)


async def test_pressing_change_date_on_the_card_moves_the_follow_up(wecom_env: WeComEnv):
    env = wecom_env
    user = await seeded(env)
    await env.wecom.text(user, "拜访了李娜，下周三前发报价")
    await env.settle()
    [card] = env.api.cards(user)

    status, _ = await env.wecom.press(user, card, "改日期")
    assert status == 200
    await env.settle()
    assert "跟进改到什么时候" in env.api.texts(user)[-1]
    await env.wecom.text(user, "下周五")
    await env.settle()
    assert "改到" in env.api.texts(user)[-1]
    [task] = await rows(env.app, Task)
    assert task.due_at.astimezone(env.app.settings.zone).date() == dt.date(2027, 3, 12)

    before = len(env.api.sent(user))
    await env.wecom.press(user, card, "改日期")  # the same button of the same card again: one press
    await env.settle()
    assert len(env.api.sent(user)) == before


async def test_forged_or_stale_callbacks_get_401_and_write_nothing(wecom_env: WeComEnv):
    env = wecom_env
    user = await seeded(env)
    from bot.wecom.crypto import WeComCrypto

    fields = env.wecom.text_fields(user, "拜访了李娜")
    forger = WeComCrypto("guessed-token", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", CORP_ID)
    assert (await env.wecom.deliver(fields, crypto=forger))[0] == 401  # signed with the wrong token
    stale = int(env.wecom.clock().timestamp()) - 600
    assert (await env.wecom.deliver(fields, timestamp=stale))[0] == 401  # a replay ten minutes on
    other_corp = WeComCrypto("crmbotToken", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "ww_another_corp")
    assert (await env.wecom.deliver(fields, crypto=other_corp))[0] == 401  # right token, another corp's message
    assert (await env.wecom.deliver(fields, query={}))[0] == 401  # no signature at all
    await env.settle()
    assert await rows(env.app, Inbox) == [] and await rows(env.app, Interaction) == []
    assert env.api.sent() == []


async def test_redelivered_message_is_answered_once(wecom_env: WeComEnv):
    env = wecom_env
    user = await seeded(env)
    fields = env.wecom.text_fields(user, "给王总打了电话，周五前寄样品")
    # WeCom retries when it had no answer in 5 s: the retries may arrive while the first is handled, or after
    assert (await env.wecom.deliver(fields))[0] == 200
    assert (await env.wecom.deliver(fields))[0] == 200
    await env.settle()
    assert (await env.wecom.deliver(fields))[0] == 200
    await env.settle()
    assert len(await rows(env.app, Interaction)) == 1
    assert len(env.api.sent(user)) == 1
    [row] = await rows(env.app, Inbox)
    assert row.status == "handled"


async def test_rate_limited_reply_is_sent_later_without_loss(wecom_env: WeComEnv):
    env = wecom_env
    user = await seeded(env)
    env.api.fail_next("message/send", 45009)  # 接口调用超过限制
    await env.wecom.text(user, "拜访了李娜，下周三前发报价")
    await env.adapter.settle()
    await env.app.deliverer.drain()
    assert env.api.sent(user) == []
    [row] = await rows(env.app, Outbox)
    assert row.status == "pending" and "45009" in (row.last_error or "")
    assert row.due_at > env.wecom.clock()

    env.api.http_429["message/send"] = 1  # and an HTTP 429 on the next try
    env.wecom.clock.set(row.due_at)
    await env.app.deliverer.drain()
    assert env.api.sent(user) == []
    [row] = await rows(env.app, Outbox)
    env.wecom.clock.set(row.due_at)
    await env.app.deliverer.drain()
    [card] = env.api.cards(user)
    assert "李娜" in card["main_title"]["title"] + card.get("sub_title_text", "")
    [row] = await rows(env.app, Outbox)
    assert row.status == "sent" and row.attempts == 3


async def test_an_expired_access_token_is_replaced_once_and_the_send_goes_through(wecom_env: WeComEnv):
    env = wecom_env
    user = await seeded(env)
    await env.wecom.text(user, "/help")
    await env.settle()
    tokens_before = len(env.api.of("gettoken"))
    env.api.expire_tokens()  # WeCom answers 42001 to the cached token
    await env.wecom.text(user, "/帮助")
    await env.settle()
    assert len(env.api.of("gettoken")) == tokens_before + 1
    assert len(env.api.sent(user)) == 2
    [_, second] = await rows(env.app, Outbox, Outbox.status == "sent")
    assert second.attempts == 1  # refreshed within the one attempt, not a failed try


async def test_a_member_outside_the_apps_range_fails_for_good_and_stays_visible(wecom_env: WeComEnv):
    env = wecom_env
    user = await seeded(env)
    env.api.gone.add(user)
    await env.wecom.text(user, "/help")
    await env.settle()
    [row] = await rows(env.app, Outbox)
    assert row.status == "failed" and "invaliduser" in (row.last_error or "")


async def test_a_stranger_gets_one_line_in_their_language_and_the_first_member_becomes_admin(wecom_env: WeComEnv):
    env = wecom_env
    env.api.users["lisi"] = "李四"
    await env.wecom.text("lisi", "/start")
    await env.settle()
    assert "管理员" in env.api.texts("lisi")[-1] or "admin" in env.api.texts("lisi")[-1]
    [member] = await rows(env.app, Member)
    assert member.role == "admin" and member.display_name == "李四"


async def test_events_the_bot_does_not_answer_are_acknowledged_and_ignored(wecom_env: WeComEnv):
    env = wecom_env
    user = await seeded(env)
    fields = {"ToUserName": CORP_ID, "FromUserName": user, "CreateTime": int(env.wecom.clock().timestamp()), "MsgType": "event", "Event": "enter_agent", "AgentID": 1000002}
    assert await env.wecom.deliver(fields) == (200, "")
    assert await rows(env.app, Inbox) == []


async def test_a_message_acknowledged_before_a_crash_is_handled_on_the_next_start(wecom_env: WeComEnv):
    env = wecom_env
    user = await seeded(env)
    env.adapter._spawn = lambda work: work.close()  # the process dies right after the 200
    assert (await env.wecom.text(user, "拜访了李娜，下周三前发报价"))[0] == 200
    [row] = await rows(env.app, Inbox)
    assert row.status == "received"

    env = await restart_wecom_env(env)
    await env.settle()
    [note] = await rows(env.app, Interaction)
    assert note.customer_id is not None
    assert len(env.api.cards(user)) == 1
    async with env.app.db.read() as session:
        assert (await session.exec(select(Inbox.status))).all() == ["handled"]


async def test_a_follow_up_reminder_reaches_the_wecom_member_as_a_card_and_done_closes_it(wecom_env: WeComEnv):
    from tests.reminders_fixtures import at, tick_and_send

    env = wecom_env
    user = await seeded(env)
    await env.wecom.text(user, "拜访了李娜，下周三前发报价")
    await env.settle()
    assert len(env.api.cards(user)) == 1
    env.wecom.clock.set(at(2027, 3, 10, 9, 0))
    await tick_and_send(env.app, env.wecom.clock)
    await env.settle()
    assert len(env.api.cards(user)) == 2  # a WeCom-only member is pushed to on WeCom
    reminder = env.api.cards(user)[-1]
    assert "李娜" in env.api.texts(user)[-1] and "发报价" in env.api.texts(user)[-1]
    assert any("完成" in b["text"] for b in reminder["button_list"])

    await env.wecom.press(user, reminder, "完成")
    await env.settle()
    [task] = await rows(env.app, Task)
    assert task.status == "done"


async def test_an_xml_bomb_in_the_envelope_is_refused_and_writes_nothing(wecom_env: WeComEnv):
    import aiohttp

    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><Encrypt>&b;</Encrypt></xml>'
    async with aiohttp.ClientSession() as session:
        async with session.post(wecom_env.wecom.endpoint, params=wecom_env.wecom.query("x"), data=bomb) as response:
            assert response.status == 400
    assert await rows(wecom_env.app, Inbox) == []


async def test_missing_wecom_settings_stop_the_start_with_one_clear_line(sqlite_url, tmp_path, clock):
    import pytest

    from bot.wecom.adapter import WeComAdapter, WeComConfigError
    from bot.wiring import build_app
    from tests.conftest import make_settings

    app = build_app(make_settings(sqlite_url, tmp_path, wecom_corp_id=CORP_ID, wecom_secret="s"), clock=clock, migrate=False)
    try:
        with pytest.raises(WeComConfigError, match="WECOM_AGENT_ID.*WECOM_TOKEN.*WECOM_AES_KEY.*WECOM_HTTP_PORT"):
            WeComAdapter(app.settings, app.services)
    finally:
        await app.close()
