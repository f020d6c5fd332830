"""Socket Mode end to end: the real Bolt AsyncSocketModeHandler connected to the fake's WebSocket.
Envelopes are stored in the inbox, then acked; redeliveries of an event (same event_id) are one record."""
from __future__ import annotations

import asyncio
from pathlib import Path


from storage.models import Inbox, Interaction

from .fakes.slack_api import SlackEnv, slack_socket_env  # noqa: F401  (fixture)
from .helpers import seed_team, rows as _rows

ME = "UBOSS"




async def test_socket_mode_acks_first_and_dedupes_redeliveries(slack_socket_env: SlackEnv):
    env = slack_socket_env
    await seed_team(env.app, ((ME, "admin"),), [{"name": "王伟", "company": "华东机电"}], platform="slack")
    env.api.add_user(ME, "Boss")
    assert env.api.of("apps.connections.open") and env.api.calls[-1].token == "xapp-test"

    users_info = env.api.hold("users.info")
    event = env.slack.dm_event(ME, "called Wang, wants quote Friday", event_id="Ev0SOCKET")
    await env.api.socket_send("events_api", event, envelope_id="env-1")
    await asyncio.wait_for(env.api.acked("env-1"), timeout=3)  # acked while users.info still hangs …
    [row] = await _rows(env.app, Inbox)  # … and stored before the ack
    assert row.status == "received" and row.payload["body"]["event_id"] == "Ev0SOCKET"

    await env.api.socket_send("events_api", event, envelope_id="env-2", retry_attempt=1)
    await asyncio.wait_for(env.api.acked("env-2"), timeout=3)
    users_info.set()
    await env.settle()
    assert len(await _rows(env.app, Inbox)) == 1
    assert len(await _rows(env.app, Interaction)) == 1
    [post] = env.api.posts("DBOSS")
    assert "王伟" in post["text"]


async def test_socket_mode_slash_command_and_button(slack_socket_env: SlackEnv):
    env = slack_socket_env
    await seed_team(env.app, ((ME, "admin"),), [{"name": "张强", "company": "星河贸易"}, {"name": "张丽", "company": "张记餐饮"}], platform="slack")
    env.api.add_user(ME, "Boss")
    command = {"command": "/crm", "text": "find 张", "user_id": ME, "channel_id": "DBOSS", "channel_name": "directmessage", "team_id": "T1", "trigger_id": "trig.s1", "response_url": env.api.response_url("s1")}
    await env.api.socket_send("slash_commands", command, envelope_id="env-c")
    await asyncio.wait_for(env.api.acked("env-c"), timeout=3)
    await env.settle()
    assert "张强" in env.api.responses[-1][1]["text"]

    await env.api.socket_send("events_api", env.slack.dm_event(ME, "张总说价格太高，下周三前再报一次价"), envelope_id="env-n")
    await asyncio.wait_for(env.api.acked("env-n"), timeout=3)  # acked once the work is spawned
    await env.settle()
    question = env.api.posts("DBOSS")[-1]
    element = next(e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"] if "张丽" in e["text"]["text"])
    await env.api.socket_send("interactive", env.slack.action_payload(ME, question, element), envelope_id="env-b")
    await asyncio.wait_for(env.api.acked("env-b"), timeout=3)
    await env.settle()
    _, answer = env.api.responses[-1]
    assert "张丽" in answer["text"] and answer["replace_original"] is True  # the question became the answer


def test_manifest_matches_what_the_adapter_listens_to():
    manifest = (Path(__file__).parent.parent / "slack-manifest.yml").read_text(encoding="utf-8")
    for needed in ("command: /crm", "- app_mention", "- message.im", "socket_mode_enabled: true", "is_enabled: true"):
        assert needed in manifest
    for scope in ("app_mentions:read", "chat:write", "commands", "im:history", "im:write", "users:read", "files:read", "files:write"):
        assert f"- {scope}" in manifest
