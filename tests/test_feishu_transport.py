"""Feishu HTTP callbacks and delivery: who may write (signature, token, encryption), nothing twice,
nothing lost (the inbox before the answer, 429s retried, crashes recovered)."""
from __future__ import annotations

import json

import pytest

from chat.messages import Button, Outgoing
from storage.models import Inbox, Interaction, Outbox

from .fakes.feishu_api import ENCRYPT_KEY, FeishuEnv, encrypt, feishu_env, feishu_env_any_db, sign, start_feishu_env, stop_feishu_env  # noqa: F401  (fixtures)
from .helpers import rows, seed_team

CUSTOMERS = [{"name": "李娜", "company": "星河贸易"}, {"name": "王伟", "company": "华东机电"}]


@pytest.fixture
async def team(feishu_env: FeishuEnv) -> FeishuEnv:
    await seed_team(feishu_env.app, (("ou_boss", "admin"),), CUSTOMERS, platform="feishu")
    feishu_env.api.add_user("ou_boss", "老板")
    return feishu_env


@pytest.fixture
async def team_any_db(feishu_env_any_db: FeishuEnv) -> FeishuEnv:
    await seed_team(feishu_env_any_db.app, (("ou_boss", "admin"),), CUSTOMERS, platform="feishu")
    feishu_env_any_db.api.add_user("ou_boss", "老板")
    return feishu_env_any_db


NOTE = "拜访了李娜，下周三前发报价"


async def test_forged_stale_or_unsigned_requests_get_401_and_write_nothing(team_any_db: FeishuEnv):
    env = team_any_db
    event = env.tenant.message_event("ou_boss", NOTE)
    body = json.dumps({"encrypt": encrypt(json.dumps(event))}).encode()
    now = int(env.tenant.clock().timestamp())
    forged = sign(str(now), "n1", body, key="not-the-key")
    stale = str(now - 6 * 60)
    attempts = [
        {"X-Lark-Signature": forged},
        {"X-Lark-Request-Timestamp": stale, "X-Lark-Request-Nonce": "n1", "X-Lark-Signature": sign(stale, "n1", body)},
        {"X-Lark-Request-Timestamp": "soon", "X-Lark-Signature": sign("soon", "n1", body)},
        {"X-Lark-Signature": None},  # no signature: only a url_verification may come unsigned
    ]
    for headers in attempts:
        status, _ = await env.tenant.deliver(event, headers=headers, body=body)
        assert status == 401, headers
    plain = json.dumps(event).encode()  # signed, but not encrypted with our key
    assert (await env.tenant.deliver(event, body=plain))[0] == 401
    wrong_key = json.dumps({"encrypt": encrypt(json.dumps(event), key="other-key")}).encode()
    assert (await env.tenant.deliver(event, body=wrong_key))[0] == 401
    await env.settle()
    assert await rows(env.app, Inbox) == [] and await rows(env.app, Interaction) == []
    assert env.api.messages == []


async def test_a_signed_event_with_a_wrong_verification_token_gets_403_and_writes_nothing(team: FeishuEnv):
    event = team.tenant.envelope("im.message.receive_v1", team.tenant.message_event("ou_boss", NOTE)["event"], token="someone-elses")
    assert (await team.tenant.deliver(event))[0] == 403
    await team.settle()
    assert await rows(team.app, Inbox) == [] and team.api.messages == []


async def test_url_verification_is_answered_only_with_the_right_token(team: FeishuEnv):
    challenge = {"challenge": "c-123", "token": "test-verification-token", "type": "url_verification"}
    body = json.dumps({"encrypt": encrypt(json.dumps(challenge))}).encode()
    assert await team.tenant.deliver({}, body=body, headers={"X-Lark-Signature": None}) == (200, {"challenge": "c-123"})
    forged = json.dumps({"encrypt": encrypt(json.dumps(challenge | {"token": "guess"}))}).encode()
    assert (await team.tenant.deliver({}, body=forged, headers={"X-Lark-Signature": None}))[0] == 403


async def test_a_redelivered_event_is_answered_once(team_any_db: FeishuEnv):
    env = team_any_db
    event = env.tenant.message_event("ou_boss", NOTE)
    assert (await env.tenant.deliver(event))[0] == 200
    await env.settle()
    again = env.tenant.envelope("im.message.receive_v1", event["event"])  # Feishu's retry: a new event_id, the same message
    assert (await env.tenant.deliver(again))[0] == 200
    assert (await env.tenant.deliver(event))[0] == 200
    await env.settle()
    assert len(await rows(env.app, Interaction)) == 1
    assert len(env.api.to("ou_boss")) == 1


async def test_the_event_is_in_the_inbox_when_feishu_gets_its_answer_and_a_restart_handles_it(team: FeishuEnv, sqlite_url, tmp_path):
    team.adapter._spawn = lambda work: work.close()  # a crash right after the answer: nothing handled
    assert (await team.tenant.dm("ou_boss", NOTE))[0] == 200
    [row] = await rows(team.app, Inbox)
    assert row.status == "received" and await rows(team.app, Interaction) == []

    await stop_feishu_env(team, keep_api=True)
    restarted = await start_feishu_env(sqlite_url, tmp_path, team.tenant.clock, api=team.api)
    try:
        await restarted.settle()
        assert len(await rows(restarted.app, Interaction)) == 1
        assert "李娜" in restarted.api.texts("ou_boss")[-1]
        await restarted.tenant.deliver(restarted.tenant.message_event("ou_boss", NOTE, message_id=row.key.split(":", 2)[2]))  # Feishu retries it too
        await restarted.settle()
        assert len(await rows(restarted.app, Interaction)) == 1 and len(restarted.api.to("ou_boss")) == 1
    finally:
        await stop_feishu_env(restarted, keep_api=True)
        team.adapter.stop = team.app.close = _nothing  # already stopped (the fixture stops it again)


async def _nothing() -> None:
    return None


async def test_when_the_inbox_cannot_be_written_feishu_gets_500_and_its_retry_is_handled(team: FeishuEnv, monkeypatch):
    from bot.feishu import inbox

    real_store = inbox.store

    async def broken(db, item):
        raise OSError("disk full")

    monkeypatch.setattr(inbox, "store", broken)
    event = team.tenant.message_event("ou_boss", NOTE)
    assert (await team.tenant.deliver(event))[0] == 500
    monkeypatch.setattr(inbox, "store", real_store)
    assert (await team.tenant.deliver(event))[0] == 200
    await team.settle()
    assert len(await rows(team.app, Interaction)) == 1 and len(team.api.to("ou_boss")) == 1


async def test_a_429_is_retried_after_the_reset_feishu_names_without_loss(team_any_db: FeishuEnv):
    env = team_any_db
    env.api.rate_limit_next(3)
    await env.tenant.dm("ou_boss", NOTE)
    await env.settle(patience=1)
    assert env.api.to("ou_boss") == []  # held back: Feishu said 3 seconds
    [row] = await rows(env.app, Outbox)
    assert row.status == "pending" and "rate limited" in (row.last_error or "")
    await env.settle(patience=5)
    [reply] = env.api.to("ou_boss")
    assert "李娜" in env.api.texts("ou_boss")[0]
    [row] = await rows(env.app, Outbox)
    assert row.status == "sent" and row.attempts == 2


async def test_a_resend_after_a_lost_answer_is_not_a_double(team: FeishuEnv):
    """Feishu keeps one message per uuid: a send whose answer was lost and is sent again shows once."""
    row = Outbox(key="reminder:7", kind="reminder", platform="feishu", chat_id="ou_boss", chat_kind="private", body=Outgoing("⏰ 李娜：发报价").to_body())
    await team.adapter.sender.send(row, Outgoing("⏰ 李娜：发报价"))
    await team.adapter.sender.send(row, Outgoing("⏰ 李娜：发报价"))
    assert team.api.texts("ou_boss") == ["⏰ 李娜：发报价"]


async def test_a_chat_the_bot_left_fails_for_good_and_later_chats_still_go(team: FeishuEnv):
    team.api.fail_next(400, 230002)  # the bot is not in the chat
    async with team.app.db.write() as session:
        session.add(Outbox(key="digest:1", kind="digest", platform="feishu", chat_id="oc_gone", chat_kind="group", body=Outgoing("日报").to_body()))
        session.add(Outbox(key="digest:2", kind="digest", platform="feishu", chat_id="oc_sales", chat_kind="group", body=Outgoing("日报").to_body()))
    await team.settle()
    gone, sales = sorted(await rows(team.app, Outbox), key=lambda r: r.key)
    assert gone.status == "failed" and "230002" in (gone.last_error or "") and gone.attempts == 1
    assert sales.status == "sent" and team.api.texts("oc_sales") == ["日报"]


async def test_a_push_with_buttons_is_a_card_whose_buttons_carry_payload_and_chat(team: FeishuEnv):
    message = Outgoing("⏰ 李娜 · 发报价", buttons=[[Button("✓ 完成", "p:abc:done"), Button("⏰ 1小时后", "p:abc:1h")]])
    async with team.app.db.write() as session:
        session.add(Outbox(key="reminder:1", kind="reminder", platform="feishu", chat_id="ou_boss", chat_kind="private", body=message.to_body()))
    await team.settle()
    [card] = team.api.to("ou_boss")
    assert card["msg_type"] == "interactive" and card["receive_id_type"] == "open_id"
    values = [b["value"] for b in team.api.buttons(card)]
    assert values == [{"crm": "p:abc:done", "chat": "ou_boss", "kind": "private"}, {"crm": "p:abc:1h", "chat": "ou_boss", "kind": "private"}]


async def test_charts_and_exports_are_uploaded_then_sent(team: FeishuEnv, tmp_path):
    chart, sheet = tmp_path / "chart.png", tmp_path / "plan.xlsx"
    chart.write_bytes(b"\x89PNG fake")
    sheet.write_bytes(b"PK fake")
    async with team.app.db.write() as session:
        session.add(Outbox(key="digest:c", kind="digest", platform="feishu", chat_id="ou_boss", chat_kind="private", body=Outgoing("本周", image_path=str(chart)).to_body()))
        session.add(Outbox(key="export:x", kind="reply", platform="feishu", chat_id="ou_boss", chat_kind="private", body=Outgoing("", file_path=str(sheet)).to_body()))
    await team.settle()
    kinds = [m["msg_type"] for m in team.api.to("ou_boss")]
    assert kinds == ["image", "text", "file"]
    image, _, file = team.api.to("ou_boss")
    assert team.api.uploads[image["content"]["image_key"]] == b"\x89PNG fake"
    assert team.api.uploads[file["content"]["file_key"]] == b"PK fake"
