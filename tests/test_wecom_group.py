"""WeCom group @mentions end to end, through the 智能机器人 (AI bot) in API mode: the adapter's real
callback URL (encrypted, signed JSON in), a fake WeCom on 127.0.0.1 out (each callback's response_url,
and the self-built app's API beside it), a real database in between."""
from __future__ import annotations

import datetime as dt

from storage.models import Customer, Inbox, Interaction, Outbox, Task

from .fakes.wecom_api import CORP_ID
from .fakes.wecom_bot import (  # noqa: F401  (fixtures)
    BOT_AES_KEY,
    BOT_NAME,
    WeComBotEnv,
    restart_bot_env,
    wecom_bot_env,
    wecom_bot_env_any_db,
    wecom_bot_only_env,
)
from .helpers import rows, seed_team

GROUP = "wrGROUP_sales"
CUSTOMERS = [
    {"name": "李娜", "company": "华南贸易", "phone": "13900002222"},
    {"name": "王伟", "company": "华东机电", "aliases": ["王总"]},
]


async def seeded(env: WeComBotEnv, user: str = "zhangsan", name: str = "张三") -> str:
    """A team whose admin is this WeCom member (the same userid the app and the bot report)."""
    await seed_team(env.app, ((user, "admin"),), CUSTOMERS, platform="wecom")
    env.api.users[user] = name
    return user


async def test_the_bot_url_check_answers_the_echostr_and_refuses_a_forged_one(wecom_bot_env: WeComBotEnv):
    from bot.wecom.crypto import WeComCrypto

    assert await wecom_bot_env.bot.verify_url("5927782489442352469") == (200, "5927782489442352469")
    forger = WeComCrypto("guessed-token", BOT_AES_KEY, "")
    assert (await wecom_bot_env.bot.verify_url(crypto=forger))[0] == 401


async def test_a_chinese_note_mentioning_the_bot_in_a_group_is_filed_and_confirmed_with_a_card_in_the_group(wecom_bot_env_any_db: WeComBotEnv):
    env = wecom_bot_env_any_db
    user = await seeded(env)
    status, body = await env.bot.mention(user, GROUP, f"@{BOT_NAME} 拜访了李娜，下周三前发报价")
    assert (status, body) == (200, "")  # stored, then answered at once, with no passive reply
    await env.settle()

    [note] = await rows(env.app, Interaction)
    li_na = next(c for c in await rows(env.app, Customer) if c.name == "李娜")
    assert note.customer_id == li_na.id and "@" not in note.text and "拜访了李娜" in note.text
    [task] = await rows(env.app, Task)
    assert task.due_at.astimezone(env.app.settings.zone).date() == dt.date(2027, 3, 10)

    [card] = env.api.cards_to(GROUP)  # through the response_url the group's callback carried
    assert card["card_type"] == "button_interaction"
    assert [b["text"] for b in card["button_list"]] == ["客户不对", "改日期", "撤销"]
    shown = env.api.shown(GROUP)[-1]
    assert "李娜" in shown and "跟进" in shown and "13900002222" not in shown  # the sender's language; no phone in a group
    assert env.api.sent(user) == [], "the group's answer stays in the group"


async def test_pressing_change_date_on_the_group_card_moves_the_follow_up(wecom_bot_env: WeComBotEnv):
    env = wecom_bot_env
    user = await seeded(env)
    await env.bot.mention(user, GROUP, f"@{BOT_NAME} 拜访了李娜，下周三前发报价")
    await env.settle()
    [card] = env.api.cards_to(GROUP)

    assert (await env.bot.press(user, card, "改日期", chat=GROUP))[0] == 200
    await env.settle()
    assert "跟进改到什么时候" in env.api.shown(GROUP)[-1]  # answered through the press's own response_url
    await env.bot.mention(user, GROUP, f"@{BOT_NAME} 下周五")
    await env.settle()
    assert "改到" in env.api.shown(GROUP)[-1]
    [task] = await rows(env.app, Task)
    assert task.due_at.astimezone(env.app.settings.zone).date() == dt.date(2027, 3, 12)

    before = len(env.api.to(GROUP))
    await env.bot.press(user, card, "改日期", chat=GROUP)  # the same button of the same card again: one press
    await env.settle()
    assert len(env.api.to(GROUP)) == before


async def test_forged_or_stale_bot_callbacks_get_401_and_write_nothing(wecom_bot_env: WeComBotEnv):
    from bot.wecom.crypto import WeComCrypto

    env = wecom_bot_env
    user = await seeded(env)
    body = env.bot.text_body(user, f"@{BOT_NAME} 拜访了李娜", GROUP)
    forger = WeComCrypto("guessed-token", BOT_AES_KEY, "")
    assert (await env.bot.deliver(body, crypto=forger))[0] == 401  # signed with the wrong token
    assert (await env.bot.deliver(body, timestamp=int(env.bot.clock().timestamp()) - 600))[0] == 401  # a replay ten minutes on
    app_sealed = WeComCrypto("crmbotBotToken", BOT_AES_KEY, CORP_ID)
    assert (await env.bot.deliver(body, crypto=app_sealed))[0] == 401  # right token, but sealed for a corp, not the bot
    assert (await env.bot.deliver(body, query={}))[0] == 401  # no signature at all
    await env.settle()
    assert await rows(env.app, Inbox) == [] and await rows(env.app, Interaction) == []
    assert env.api.responses == [] and env.api.sent() == []


async def test_a_redelivered_bot_callback_is_answered_once(wecom_bot_env_any_db: WeComBotEnv):
    env = wecom_bot_env_any_db
    user = await seeded(env)
    body = env.bot.text_body(user, f"@{BOT_NAME} 给王总打了电话，周五前寄样品", GROUP)
    assert (await env.bot.deliver(body))[0] == 200  # WeCom retries a callback it thinks unanswered, with the same msgid
    assert (await env.bot.deliver(body))[0] == 200
    await env.settle()
    assert (await env.bot.deliver(body))[0] == 200
    await env.settle()
    assert len(await rows(env.app, Interaction)) == 1
    assert len(env.api.to(GROUP)) == 1
    [row] = await rows(env.app, Inbox)
    assert row.status == "handled"


async def test_a_rate_limited_group_answer_is_sent_later_without_loss(wecom_bot_env: WeComBotEnv):
    env = wecom_bot_env
    user = await seeded(env)
    env.api.fail_next("aibot/response", 45009)  # 接口调用超过限制
    await env.bot.mention(user, GROUP, f"@{BOT_NAME} 拜访了李娜，下周三前发报价")
    await env.bot_adapter.settle()
    await env.app.deliverer.drain()
    assert env.api.to(GROUP) == []
    [row] = await rows(env.app, Outbox)
    assert row.status == "pending" and "45009" in (row.last_error or "") and row.due_at > env.bot.clock()

    env.api.http_429["aibot/response"] = 1  # and an HTTP 429 on the next try
    env.bot.clock.set(row.due_at)
    await env.app.deliverer.drain()
    assert env.api.to(GROUP) == []
    [row] = await rows(env.app, Outbox)
    env.bot.clock.set(row.due_at)
    await env.app.deliverer.drain()
    [card] = env.api.cards_to(GROUP)
    assert "李娜" in card["main_title"]["title"] + card.get("sub_title_text", "")
    [row] = await rows(env.app, Outbox)
    assert row.status == "sent" and row.attempts == 3


async def test_an_answer_whose_response_url_expired_goes_to_the_sender_through_the_app(wecom_bot_env: WeComBotEnv):
    env = wecom_bot_env
    user = await seeded(env)
    env.api.fail_next("aibot/response", 45009)
    await env.bot.mention(user, GROUP, f"@{BOT_NAME} 拜访了李娜，下周三前发报价")
    await env.bot_adapter.settle()
    await env.app.deliverer.drain()
    env.bot.clock.advance(minutes=61)  # a response_url lasts an hour
    await env.app.deliverer.drain()
    assert env.api.to(GROUP) == []
    [card] = env.api.cards(user)  # the app's message/send, to the member who wrote
    assert "李娜" in card["main_title"]["title"] + card.get("sub_title_text", "")


async def test_without_the_app_a_push_fails_for_good_and_says_why(wecom_bot_only_env: WeComBotEnv):
    from tests.reminders_fixtures import at, tick_and_send

    env = wecom_bot_only_env
    user = await seeded(env)
    await env.bot.mention(user, GROUP, f"@{BOT_NAME} 拜访了李娜，下周三前发报价")
    await env.settle()
    assert len(env.api.cards_to(GROUP)) == 1 and env.api.of("gettoken") == []  # the bot alone needs no app credentials

    env.bot.clock.set(at(2027, 3, 10, 9, 0))
    await tick_and_send(env.app, env.bot.clock)
    failed = await rows(env.app, Outbox, Outbox.status == "failed")
    assert failed and all("self-built app" in (row.last_error or "") for row in failed)
    assert len(env.api.responses) == 1


async def test_a_bot_callback_acknowledged_before_a_crash_is_handled_on_the_next_start(wecom_bot_env: WeComBotEnv):
    env = wecom_bot_env
    user = await seeded(env)
    env.bot_adapter._spawn = lambda work: work.close()  # the process dies right after the 200
    assert (await env.bot.mention(user, GROUP, f"@{BOT_NAME} 拜访了李娜，下周三前发报价"))[0] == 200
    [row] = await rows(env.app, Inbox)
    assert row.status == "received"

    env = await restart_bot_env(env)
    await env.settle()
    [note] = await rows(env.app, Interaction)
    assert note.customer_id is not None
    assert len(env.api.cards_to(GROUP)) == 1
    assert [r.status for r in await rows(env.app, Inbox)] == ["handled"]


async def test_a_mixed_message_and_a_one_to_one_chat_with_the_bot_are_notes_too(wecom_bot_env: WeComBotEnv):
    env = wecom_bot_env
    user = await seeded(env)
    await env.bot.deliver(env.bot.mixed_body(user, [f"@{BOT_NAME} 给王总打了电话", "https://wework.qpic.cn/x.png", "周五前寄样品"], GROUP))
    await env.bot.deliver(env.bot.text_body(user, "拜访了李娜，下周三前发报价"))  # one-to-one with the bot: no @mention
    await env.settle()
    customers = {c.id: c.name for c in await rows(env.app, Customer)}
    assert sorted(customers[n.customer_id] for n in await rows(env.app, Interaction)) == ["李娜", "王伟"]
    assert len(env.api.to(GROUP)) == 1 and len(env.api.to(user)) == 1  # each answered where it was written
    assert env.api.sent(user) == []


async def test_callbacks_for_another_bot_and_events_the_bot_does_not_answer_are_acknowledged_and_ignored(wecom_bot_env: WeComBotEnv):
    env = wecom_bot_env
    user = await seeded(env)
    other_bot = env.bot.text_body(user, "@别的机器人 你好", GROUP) | {"aibotid": "aib_someone_else"}
    assert await env.bot.deliver(other_bot) == (200, "")
    entering = env.bot.text_body(user, "") | {"msgtype": "event", "event": {"eventtype": "enter_chat"}}
    assert await env.bot.deliver(entering) == (200, "")
    await env.settle()
    assert await rows(env.app, Inbox) == [] and env.api.responses == []


def test_the_mention_is_stripped_by_name_or_as_the_leading_word():
    from bot.wecom.bot_incoming import without_mention

    assert without_mention("@CRM助手 拜访了李娜", "CRM助手") == "拜访了李娜"
    assert without_mention("拜访了李娜 @CRM助手\u2005下周三发报价", "CRM助手") == "拜访了李娜 下周三发报价"
    assert without_mention("@小李 王总那边你跟一下 @CRM助手", "CRM助手") == "@小李 王总那边你跟一下"
    assert without_mention("@CRM助手\u2005拜访了李娜", None) == "拜访了李娜"


def test_an_answer_is_traced_back_to_the_message_it_answers():
    from bot.wecom.bot_sender import answered_key

    assert answered_key("reply:wecom:wrG:CAIQ1=:0") == "wecom:wrG:CAIQ1="
    assert answered_key("reply:wecom:wrG:card:crm_ab:0123abcd:1") == "wecom:wrG:card:crm_ab:0123abcd"
    assert answered_key("reply:wecom:wrG:123:failed:0") == "wecom:wrG:123"
    assert answered_key("reminder:42:2027-03-10") is None
