"""Slack's rules end to end: signatures (401, never 500, no write), ack before slow work, retries
deduplicated on event_id, the outbox honouring 429 Retry-After, DMs by user id, file uploads."""
from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from chat.messages import Button, Outgoing
from handlers import imports
from storage.models import Customer, Inbox, Interaction, Outbox

from .fakes.slack_api import seed_slack_admin, SlackEnv, sign, slack_env, slack_env_any_db  # noqa: F401  (fixtures)
from .helpers import rows as _rows

CUSTOMERS = [{"name": "王伟", "company": "华东机电", "phone": "13800001111"}]
ME = "UBOSS"




async def _seeded(env: SlackEnv) -> SlackEnv:
    return await seed_slack_admin(env, ME, CUSTOMERS)


@pytest.fixture
async def team(slack_env: SlackEnv):
    return await _seeded(slack_env)


@pytest.fixture
async def team_any_db(slack_env_any_db: SlackEnv):
    """SQLite, and PostgreSQL when CRMBOT_TEST_POSTGRES_URL is set."""
    return await _seeded(slack_env_any_db)


# --- signatures --------------------------------------------------------------------------------------

def _bad_requests(now: int, body: bytes) -> dict[str, dict]:
    good_ts = str(now)
    return {
        "stale timestamp": {"X-Slack-Request-Timestamp": str(now - 301), "X-Slack-Signature": sign(body, str(now - 301))},
        "future timestamp": {"X-Slack-Request-Timestamp": str(now + 301), "X-Slack-Signature": sign(body, str(now + 301))},
        "tampered body": {"X-Slack-Request-Timestamp": good_ts, "X-Slack-Signature": sign(body.replace(b"quote", b"QUOTE"), good_ts)},
        "wrong secret": {"X-Slack-Request-Timestamp": good_ts, "X-Slack-Signature": sign(body, good_ts, "another-secret")},
        "missing signature": {"X-Slack-Request-Timestamp": good_ts, "X-Slack-Signature": None},
        "missing timestamp": {"X-Slack-Request-Timestamp": None, "X-Slack-Signature": sign(body, good_ts)},
        "non-numeric timestamp": {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": sign(body, "soon")},
        "float timestamp": {"X-Slack-Request-Timestamp": f"{now}.5", "X-Slack-Signature": sign(body, f"{now}.5")},
        "non-ascii digits": {"X-Slack-Request-Timestamp": "١٢٣", "X-Slack-Signature": sign(body, "١٢٣")},
        "empty signature": {"X-Slack-Request-Timestamp": good_ts, "X-Slack-Signature": ""},
        "garbage signature": {"X-Slack-Request-Timestamp": good_ts, "X-Slack-Signature": "v0=zz"},
    }


async def test_bad_signatures_get_401_and_write_nothing(team_any_db: SlackEnv):
    team = team_any_db
    body = json.dumps(team.slack.dm_event(ME, "called Wang, wants quote Friday")).encode()
    now = int(team.slack.clock().timestamp())
    for case, headers in _bad_requests(now, body).items():
        status, _ = await team.slack.post(body, "application/json", {k: v for k, v in headers.items()}, signed=False)
        assert status == 401, case
    status, _ = await team.slack.post(body, "application/json", signed=False)
    assert status == 401, "unsigned"
    await team.settle()
    assert await _rows(team.app, Inbox) == []
    assert await _rows(team.app, Interaction) == []
    assert team.api.of("users.info") == [] and team.api.posts() == []

    status, _ = await team.slack.post(body, "application/json")  # the same request, signed: accepted
    assert status == 200
    await team.settle()
    assert len(await _rows(team.app, Interaction)) == 1


async def test_a_timestamp_within_five_minutes_is_accepted(team: SlackEnv):
    body = json.dumps(team.slack.dm_event(ME, "/tasks")).encode()
    ts = str(int(team.slack.clock().timestamp()) - 290)
    status, _ = await team.slack.post(body, "application/json", {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(body, ts)}, signed=False)
    assert status == 200


async def test_url_verification_is_answered(slack_env: SlackEnv):
    status, text = await slack_env.slack.post_json({"token": "t", "challenge": "abc123", "type": "url_verification"})
    assert status == 200 and "abc123" in text


# --- ack first, work after ---------------------------------------------------------------------------

async def test_slow_slack_api_and_slow_handling_are_acked_in_time(team: SlackEnv):
    users_info = team.api.hold("users.info")  # Slack itself is slow to tell us who wrote
    status, _ = await asyncio.wait_for(team.slack.dm(ME, "called Wang, wants quote Friday"), timeout=3)
    assert status == 200
    [row] = await _rows(team.app, Inbox)  # stored, then acked, before anything was handled
    assert row.status == "received"

    gate, entered = asyncio.Event(), asyncio.Event()  # then the database / parser is slow too
    waiting = []
    real = team.adapter.handle

    async def slow_handle(msg, services):
        waiting.append(msg)
        if len(waiting) == 2:
            entered.set()
        await gate.wait()
        return await real(msg, services)

    team.adapter.handle = slow_handle
    users_info.set()
    status, _ = await asyncio.wait_for(team.slack.command(ME, "DBOSS", "tasks"), timeout=3)
    assert status == 200
    await asyncio.wait_for(entered.wait(), timeout=3)  # both are being handled, both were acked
    assert await _rows(team.app, Interaction) == []
    gate.set()
    await team.settle()
    assert len(await _rows(team.app, Interaction)) == 1
    assert "王伟" in team.api.texts("DBOSS")[-1]
    assert team.api.responses[-1][1]["response_type"] == "ephemeral"


# --- retries -------------------------------------------------------------------------------------------

async def test_retries_are_deduplicated_on_event_id(team_any_db: SlackEnv):
    team = team_any_db
    event = team.slack.dm_event(ME, "called Wang, wants quote Friday", event_id="Ev0RETRY1")
    assert (await team.slack.post_json(event))[0] == 200
    await team.settle()
    for n, reason in ((1, "http_timeout"), (2, "http_error")):
        status, _ = await team.slack.post_json(event, {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": reason})
        assert status == 200
    await team.settle()
    assert len(await _rows(team.app, Inbox)) == 1
    assert len(await _rows(team.app, Interaction)) == 1
    assert len(team.api.posts("DBOSS")) == 1


async def test_a_retry_racing_its_first_delivery_is_one_record(team_any_db: SlackEnv):
    team = team_any_db
    event = team.slack.dm_event(ME, "called Wang, wants quote Friday", event_id="Ev0RACE")
    first, retry = await asyncio.gather(team.slack.post_json(event), team.slack.post_json(event, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}))
    assert first[0] == retry[0] == 200
    await team.settle()
    assert len(await _rows(team.app, Inbox)) == 1
    assert len(await _rows(team.app, Interaction)) == 1
    assert len(await _rows(team.app, Outbox)) == 1


async def test_a_retry_whose_first_delivery_never_arrived_is_processed(team: SlackEnv):
    event = team.slack.dm_event(ME, "called Wang, wants quote Friday", event_id="Ev0LOST")
    status, _ = await team.slack.post_json(event, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert status == 200
    await team.settle()
    assert len(await _rows(team.app, Interaction)) == 1
    assert "王伟" in team.api.texts("DBOSS")[-1]


async def test_edits_joins_and_bot_messages_are_not_notes(team: SlackEnv):
    await team.slack.dm(ME, "called Wang", subtype="message_changed")
    await team.slack.dm(ME, "called Wang", bot_id="B999")
    await team.slack.post_json(team.slack.event({"type": "message", "channel_type": "channel", "channel": "C1", "user": ME, "text": "called Wang", "ts": team.slack.now_ts()}))
    await team.settle()
    assert await _rows(team.app, Inbox) == []
    assert team.api.posts() == []


# --- sending -------------------------------------------------------------------------------------------

async def test_429_retry_after_is_honoured(team: SlackEnv):
    team.api.rate_limit_next("chat.postMessage", 7)
    await team.slack.dm(ME, "/tasks")
    await team.settle(patience=0)
    [row] = await _rows(team.app, Outbox)
    assert row.status == "pending" and row.attempts == 1 and "ratelimited" in (row.last_error or "")
    assert row.due_at == team.slack.clock() + dt.timedelta(seconds=7)

    team.slack.clock.advance(seconds=6)
    await team.app.deliverer.drain()
    assert len(team.api.of("chat.postMessage")) == 1  # still waiting: no second try yet
    team.slack.clock.advance(seconds=1)
    await team.app.deliverer.drain()
    [row] = await _rows(team.app, Outbox)
    assert row.status == "sent"
    assert len(team.api.of("chat.postMessage")) == 2 and len(team.api.posts("DBOSS")) == 2


async def test_a_gone_channel_fails_for_good(team: SlackEnv):
    team.api.fail_next("chat.postMessage", "channel_not_found")
    await team.slack.dm(ME, "/tasks")
    await team.settle()
    [row] = await _rows(team.app, Outbox)
    assert row.status == "failed" and row.last_error == "channel_not_found"


async def test_expired_response_url_falls_back_to_a_post(team: SlackEnv):
    team.api.dead_response_urls.add("cmd1")
    await team.slack.command(ME, "DBOSS", "find wang")
    await team.settle()
    assert team.api.responses == []
    assert "王伟" in team.api.texts("DBOSS")[-1]


async def test_push_to_a_member_by_user_id_opens_the_dm_with_buttons(team: SlackEnv):
    message = Outgoing("⏰ Send Wang the quote <today> & call", buttons=[[Button("Done", "p:abc:done"), Button("Snooze", "p:abc:snooze"), Button("Reschedule", "p:abc:date")]])
    async with team.app.db.write() as session:
        session.add(Outbox(key="reminder:1", kind="reminder", platform="slack", chat_id=ME, chat_kind="private", body=message.to_body()))
    await team.settle()
    assert team.api.of("conversations.open")[-1]["users"] == ME
    [post] = team.api.posts("DBOSS")
    assert post["text"] == "⏰ Send Wang the quote &lt;today&gt; &amp; call"
    buttons = [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["text"]["text"], b["value"]) for b in buttons] == [("Done", "p:abc:done"), ("Snooze", "p:abc:snooze"), ("Reschedule", "p:abc:date")]
    assert len({b["action_id"] for b in buttons}) == 3


async def test_charts_and_exports_are_uploaded(team: SlackEnv, tmp_path):
    chart = tmp_path / "digest.png"
    chart.write_bytes(b"\x89PNG fake chart")
    async with team.app.db.write() as session:
        session.add(Outbox(key="digest:1", kind="digest", platform="slack", chat_id="C7", chat_kind="group", body=Outgoing("Weekly digest", image_path=str(chart)).to_body()))
    await team.settle()
    assert team.api.of("files.getUploadURLExternal")[-1]["filename"] == "digest.png"
    complete = team.api.of("files.completeUploadExternal")[-1]
    assert complete["channel_id"] == "C7" and complete["initial_comment"] == "Weekly digest"
    assert list(team.api.uploads.values()) == [b"\x89PNG fake chart"]
    [row] = await _rows(team.app, Outbox)
    assert row.status == "sent"


async def test_a_spreadsheet_sent_in_the_dm_is_imported(team: SlackEnv):
    url = team.api.add_file("customers.csv", "name,company\n刘洋,洋洋科技\nTom Baker,Baker Logistics\n".encode())
    files = [{"id": "F1", "name": "customers.csv", "mimetype": "text/csv", "size": 60, "url_private_download": url}]
    await team.slack.dm(ME, "", subtype="file_share", files=files)
    await team.settle()
    await imports.settle()  # the import runs after the message's own short transaction
    await team.settle()  # and queues its summary as a second reply
    names = {c.name for c in await _rows(team.app, Customer)}
    assert {"刘洋", "Tom Baker"} <= names
    [download] = [c for c in team.api.calls if c.method == "GET /files"]
    assert download.token == "xoxb-test"


async def test_router_sees_the_neutral_message_only(team: SlackEnv):
    seen = []
    real = team.adapter.handle

    async def spy(msg, services):
        seen.append(msg)
        return await real(msg, services)

    team.adapter.handle = spy
    await team.slack.mention(ME, "C5", "<@U777> met Wang <https://example.com|site>")
    await team.settle()
    [msg] = seen
    assert (msg.platform, msg.chat_id, msg.chat_kind, msg.addressed) == ("slack", "C5", "group", True)
    assert msg.text == "@U777 met Wang site"
    assert msg.sender_name == "Boss" and msg.sender_timezone == "Asia/Shanghai" and msg.language_hint == "en-US"
