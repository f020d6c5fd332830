"""Nothing lost on Slack: every listener stores what it got in the inbox before the ack, so a crash
between the ack (after which Slack never sends it again) and the handling loses nothing; the next
start handles it, once. The real Bolt app, signed requests, the fake Slack Web API."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from storage.models import Customer, Inbox, Interaction

from bot.wiring import build_app
from tests.conftest import make_settings

from .fakes.slack_api import seed_slack_admin, SIGNING_SECRET, FakeSlackAPI, SlackEnv, SlackWorkspace, crash_after_ack, restart_slack_env, sign, slack_env, slack_env_any_db  # noqa: F401  (fixtures)
from .helpers import seed_team, rows as _rows

ME = "UBOSS"
CUSTOMERS = [{"name": "王伟", "company": "华东机电", "phone": "13800001111"}, {"name": "张强", "company": "星河贸易"}, {"name": "张丽", "company": "张记餐饮"}]
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}




async def _seeded(env: SlackEnv) -> SlackEnv:
    return await seed_slack_admin(env, ME, CUSTOMERS)


@pytest.fixture
async def team(slack_env: SlackEnv):
    return await _seeded(slack_env)


@pytest.fixture
async def team_any_db(slack_env_any_db: SlackEnv):
    return await _seeded(slack_env_any_db)


def _question(channel: str, value: str = "p:nope:1") -> dict:
    """A message of ours with one button, as the fake recorded it (for a press)."""
    element = {"type": "button", "action_id": "crm:0", "value": value, "text": {"type": "plain_text", "text": "Pick"}}
    return {"channel": channel, "ts": "1800000000.000042", "text": "?", "blocks": [{"type": "actions", "elements": [element]}]}


# --- stored before the ack ---------------------------------------------------------------------------

async def test_every_kind_is_in_the_inbox_when_its_ack_arrives(team: SlackEnv):
    users_info = team.api.hold("users.info")  # nothing gets past users.info: only the listener's write happens
    event = team.slack.dm_event(ME, "called Wang, wants quote Friday", event_id="Ev0DM")
    expected = []
    for request, key in (
        (team.slack.post_json(event), f"slack:{ME}:Ev0DM"),
        (team.slack.mention(ME, "C9", "visited Wang"), None),
        (team.slack.command(ME, "C1", "find wang"), None),
        (team.slack.press(ME, _question("DBOSS"), "Pick"), None),
    ):
        status, _ = await asyncio.wait_for(request, timeout=3)
        assert status == 200
        rows = await _rows(team.app, Inbox)  # read the moment the ack arrived
        assert len(rows) == len(expected) + 1 and rows[-1].status == "received"
        assert key is None or rows[-1].key == key
        expected.append(rows[-1].key)
    assert [r.chat_id for r in await _rows(team.app, Inbox)] == [ME, "C9", "C1", ME]
    assert "token" not in json.dumps([r.payload["body"] for r in await _rows(team.app, Inbox)])  # no verification token kept

    users_info.set()
    await team.settle()
    rows = await _rows(team.app, Inbox)
    assert [r.key for r in rows] == expected  # the router reused the rows: one per request
    assert {r.status for r in rows} == {"handled"}


async def test_bad_signatures_write_nothing_for_commands_and_presses_either(team: SlackEnv):
    from urllib.parse import urlencode

    now = str(int(team.slack.clock().timestamp()))
    form = urlencode({"command": "/crm", "text": "find wang", "user_id": ME, "channel_id": "DBOSS", "trigger_id": "trig.x", "response_url": team.api.response_url("x")}).encode()
    press = urlencode({"payload": json.dumps(team.slack.action_payload(ME, _question("DBOSS"), _question("DBOSS")["blocks"][0]["elements"][0]))}).encode()
    for body in (form, press):
        headers = {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": sign(body, now, "another-secret")}
        status, _ = await team.slack.post(body, "application/x-www-form-urlencoded", headers, signed=False)
        assert status == 401
    await team.settle()
    assert await _rows(team.app, Inbox) == []
    assert team.api.calls == [c for c in team.api.calls if c.method == "auth.test"]


async def test_when_the_inbox_cannot_be_written_slack_gets_no_ack_and_its_retry_is_handled(team: SlackEnv, monkeypatch):
    import bot.slack.inbox

    real = bot.slack.inbox.store

    async def database_down(db, item):
        raise OSError("database unavailable")

    monkeypatch.setattr(bot.slack.inbox, "store", database_down)
    event = team.slack.dm_event(ME, "called Wang, wants quote Friday", event_id="Ev0DOWN")
    status, _ = await team.slack.post_json(event)
    assert status != 200  # Slack will send it again
    await team.settle()
    assert team.api.of("users.info") == [] and await _rows(team.app, Inbox) == []

    monkeypatch.setattr(bot.slack.inbox, "store", real)
    assert (await team.slack.post_json(event, RETRY))[0] == 200
    await team.settle()
    assert len(await _rows(team.app, Interaction)) == 1
    assert "王伟" in team.api.texts("DBOSS")[-1]


# --- a crash after the ack ---------------------------------------------------------------------------

async def test_crash_after_the_ack_is_filed_once_on_restart_and_answered(team_any_db: SlackEnv):
    env = team_any_db
    crash_after_ack(env)
    event = env.slack.dm_event(ME, "called Wang, wants quote Friday", event_id="Ev0CRASH")
    assert (await env.slack.post_json(event))[0] == 200  # acked: Slack will not send it again on its own
    [row] = await _rows(env.app, Inbox)
    assert row.status == "received"
    assert await _rows(env.app, Interaction) == [] and env.api.posts() == []

    env = await restart_slack_env(env)  # start() handles the inbox before it listens
    await env.settle()
    [note] = await _rows(env.app, Interaction)
    assert "quote" in note.text and note.customer_id is not None
    [reply] = env.api.posts("DBOSS")
    assert "王伟" in reply["text"] and "Fri 5 Mar" in reply["text"]  # dated from when it was sent
    [row] = await _rows(env.app, Inbox)
    assert row.status == "handled"

    assert (await env.slack.post_json(event, RETRY))[0] == 200  # a late retry anyway: a no-op
    env = await restart_slack_env(env)  # and a second restart finds nothing to do
    await env.settle()
    assert len(await _rows(env.app, Interaction)) == 1 and len(env.api.posts("DBOSS")) == 1


async def test_a_retry_of_a_stored_but_unhandled_event_is_handled_once(team_any_db: SlackEnv):
    env = team_any_db
    crash_after_ack(env)  # the first delivery's handling never happens …
    event = env.slack.dm_event(ME, "called Wang, wants quote Friday", event_id="Ev0AGAIN")
    assert (await env.slack.post_json(event))[0] == 200
    del env.adapter._spawn  # … the adapter itself goes on
    results = await asyncio.gather(env.slack.post_json(event, RETRY), env.slack.post_json(event, RETRY | {"X-Slack-Retry-Num": "2"}))
    assert [status for status, _ in results] == [200, 200]
    await env.settle()
    assert len(await _rows(env.app, Interaction)) == 1
    assert len(env.api.posts("DBOSS")) == 1 and len(env.api.of("users.info")) == 1
    assert (await env.slack.post_json(event, RETRY | {"X-Slack-Retry-Num": "3"}))[0] == 200
    await env.settle()
    assert len(await _rows(env.app, Interaction)) == 1 and len(env.api.posts("DBOSS")) == 1


async def test_every_kind_survives_a_crash_after_its_ack(team: SlackEnv):
    env = team
    await env.slack.dm(ME, "张总说价格太高，下周三前再报一次价")  # a question with buttons, before the crash
    await env.settle()
    question = env.api.posts("DBOSS")[-1]

    crash_after_ack(env)
    await env.slack.press(ME, question, "张丽")
    await env.slack.mention(ME, "C9", "visited Wang today, wants a quote Friday")
    await env.slack.command(ME, "DBOSS", "find 张")
    assert [r.status for r in await _rows(env.app, Inbox)] == ["handled", "received", "received", "received"]

    env.api.users[ME].tz = "Europe/Berlin"  # users.info is asked again after the restart
    env = await restart_slack_env(env)
    await env.settle()
    assert {r.status for r in await _rows(env.app, Inbox)} == {"handled"}
    notes = await _rows(env.app, Interaction)
    zhang_li = next(c for c in await _rows(env.app, Customer) if c.name == "张丽")
    assert len(notes) == 2 and zhang_li.id in {n.customer_id for n in notes}
    assert any("张丽" in body["text"] and body["replace_original"] for _, body in env.api.responses)  # the press's answer replaced its question
    assert "王伟" in env.api.ephemerals("C9", user=ME)[-1]["text"]  # still for its author alone
    assert "张强" in env.api.responses[-1][1]["text"]  # a fresh command: still through its response_url


@pytest.mark.parametrize("minutes, through_response_url", [(10, True), (31, False)])
async def test_a_recovered_slash_command_past_its_response_url_answers_by_post(team: SlackEnv, minutes, through_response_url):
    env = team
    crash_after_ack(env)
    await env.slack.command(ME, "DBOSS", "find wang")
    env.slack.clock.advance(minutes=minutes)  # down that long
    env = await restart_slack_env(env)
    await env.settle()
    if through_response_url:
        [(_, body)] = env.api.responses
        assert "王伟" in body["text"] and body["response_type"] == "ephemeral" and env.api.posts() == []
    else:
        assert env.api.responses == []  # Slack would refuse the expired URL
        assert "王伟" in env.api.texts("DBOSS")[-1]


# --- kill -9 ---------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
PATIENCE = 180  # seconds another process gets to start, answer or stop: only a hang reaches it (CI machines are loaded)


async def _db_rows(db_url: str, tmp_path, model):
    app = build_app(make_settings(db_url, tmp_path), migrate=False)
    try:
        return await _rows(app, model)
    finally:
        await app.close()


async def _until(condition, timeout: float = PATIENCE) -> None:
    """Wait for another process to do something (real time: it runs on the system clock)."""
    async def poll():
        while not condition():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


async def test_killed_right_after_the_ack_is_filed_once_by_the_next_crmbot_run(db_url, tmp_path):
    seeder = build_app(make_settings(db_url, tmp_path), migrate=False)
    await seed_team(seeder, ((ME, "admin"),), CUSTOMERS, platform="slack")
    await seeder.close()
    api = FakeSlackAPI()
    await api.start()
    api.add_user(ME, "Boss")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRMBOT_", "TELEGRAM_", "SLACK_"))}
    env |= {
        "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SIGNING_SECRET, "CRMBOT_SLACK_API_URL": api.base_url, "CRMBOT_SLACK_HTTP_PORT": "0",
        "CRMBOT_DATABASE_URL": db_url, "CRMBOT_DATA_DIR": str(tmp_path / "data"), "CRMBOT_TIMEZONE": "Asia/Shanghai", "PYTHONPATH": str(ROOT),
    }

    async def crmbot(*args: str):
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.fakes.slack_api", *args, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        line = (await asyncio.wait_for(process.stdout.readline(), PATIENCE)).decode().strip()
        assert line.startswith("PORT "), line + (await process.stderr.read()).decode()[-2000:]
        return process, SlackWorkspace(f"http://127.0.0.1:{line.split()[1]}/slack/events", api, lambda: dt.datetime.now(dt.timezone.utc))

    try:
        first, slack = await crmbot("--drop-after-ack")
        event = slack.dm_event(ME, "called Wang, wants quote Friday", event_id="Ev0KILL9")
        assert (await slack.post_json(event))[0] == 200
        assert (await asyncio.wait_for(first.stdout.readline(), PATIENCE)).decode().strip() == f"ACKED slack:{ME}:Ev0KILL9"
        first.send_signal(signal.SIGKILL)
        await first.wait()
        [row] = await _db_rows(db_url, tmp_path, Inbox)
        assert row.status == "received" and row.payload["body"]["event_id"] == "Ev0KILL9"
        assert await _db_rows(db_url, tmp_path, Interaction) == [] and api.posts() == []

        second, _ = await crmbot()  # listening only once the inbox is handled
        try:
            await _until(lambda: api.posts("DBOSS"))
        finally:
            second.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(second.communicate(), PATIENCE)
        assert second.returncode == 0, err.decode()[-2000:]
        [reply] = api.posts("DBOSS")
        assert "王伟" in reply["text"]
        [note] = await _db_rows(db_url, tmp_path, Interaction)
        assert "quote" in note.text
        assert [r.status for r in await _db_rows(db_url, tmp_path, Inbox)] == ["handled"]
    finally:
        await api.stop()


# --- who wrote -----------------------------------------------------------------------------------------

async def test_every_incoming_carries_the_senders_current_slack_timezone_and_name(team: SlackEnv):
    seen = []
    real = team.adapter.handle

    async def spy(msg, services):
        seen.append(msg)
        return await real(msg, services)

    team.adapter.handle = spy
    await team.slack.dm(ME, "/tasks")
    await team.settle()
    team.api.users[ME].tz = "America/New_York"
    team.api.users[ME].display_name = "Big Boss"
    team.slack.clock.advance(hours=2)  # users.info answers are kept for a while, not for ever
    await team.slack.dm(ME, "/tasks")
    await team.settle()
    assert [(m.sender_timezone, m.sender_name) for m in seen] == [("Asia/Shanghai", "Boss"), ("America/New_York", "Big Boss")]
