"""Nothing lost, nothing doubled: a kill -9 between receiving and replying, the webhook's secret,
and a second instance on the same token (409)."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.runner import serve
from bot.wiring import build_app
from storage.models import Inbox, Interaction
from tests.conftest import make_settings
from tests.fakes.telegram_api import TOKEN, FakeTelegram, user
from tests.fakes.telegram_world import fake_telegram, telegram_app, webhook_world  # noqa: F401
from tests.helpers import seed_team

LI = user(1001, "Li", language_code="en")
ROOT = Path(__file__).resolve().parents[1]
CUSTOMERS = ({"name": "Wang Lei", "company": "Acme", "owner": "1001"},)
PATIENCE = 180  # seconds another process gets to start, answer or stop: only a hang reaches it (CI machines are loaded)


# -- a crash between receiving and replying ------------------------------------------------------


def _env(fake: FakeTelegram, db_url: str, tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRMBOT_", "TELEGRAM_", "SLACK_"))}
    env |= {"TELEGRAM_BOT_TOKEN": TOKEN, "CRMBOT_TELEGRAM_API_URL": fake.url, "CRMBOT_DATABASE_URL": db_url, "CRMBOT_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    return env


async def _read_db(db_url: str, tmp_path, model):
    app = build_app(make_settings(db_url, tmp_path), migrate=False)
    try:
        async with app.db.read() as session:
            from sqlmodel import select

            return list((await session.exec(select(model))).all())
    finally:
        await app.close()


async def test_killed_after_storing_the_note_is_filed_once_and_answered_on_restart(db_url, tmp_path):
    sqlite_url = db_url  # (SQLite, and PostgreSQL when available)
    seeder = build_app(make_settings(sqlite_url, tmp_path), migrate=False)
    await seed_team(seeder, members=(("1001", "admin"),), customers=CUSTOMERS, platform="telegram")
    await seeder.close()
    fake = await FakeTelegram().start()  # real time: the processes run on the system clock
    env = _env(fake, sqlite_url, tmp_path)
    try:
        note = fake.say(LI, "called Wang Lei, wants a quote for 200 units")

        first = await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.fakes.telegram_process", "--hang-after-store", cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            line = await asyncio.wait_for(first.stdout.readline(), PATIENCE)
        except BaseException:
            first.kill()
            raise
        assert line.decode().strip() == f"STORED {note['update_id']}", line
        first.send_signal(signal.SIGKILL)
        await first.wait()

        [row] = await _read_db(sqlite_url, tmp_path, Inbox)
        assert row.status == "received" and row.payload["update_id"] == note["update_id"]
        assert await _read_db(sqlite_url, tmp_path, Interaction) == []
        assert not fake.confirmed(note) and fake.sent() == []  # Telegram will send it again

        crmbot = Path(sys.executable).with_name("crmbot")
        second = await asyncio.create_subprocess_exec(str(crmbot), "run", cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            await fake.wait_for(lambda: fake.sent(1001) and fake.confirmed(note), PATIENCE)
        finally:
            second.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(second.communicate(), PATIENCE)
        assert second.returncode == 0, err.decode()[-2000:]
        assert "telegram adapter running" in err.decode() and TOKEN not in err.decode()  # httpx logs no URL with the token
        [reply] = fake.sent(1001)
        assert "Wang Lei" in reply["text"]
        notes = await _read_db(sqlite_url, tmp_path, Interaction)
        assert len(notes) == 1 and "200 units" in notes[0].text
        assert [r.status for r in await _read_db(sqlite_url, tmp_path, Inbox)] == ["handled"]
    finally:
        await fake.stop()


# -- a second instance ---------------------------------------------------------------------------


async def test_a_second_instance_says_so_and_the_runner_exits_non_zero(fake_telegram, sqlite_url, tmp_path, clock, caplog):
    fake_telegram.fail("getUpdates", 409, times=100)
    code = await asyncio.wait_for(serve(telegram_app(fake_telegram, sqlite_url, tmp_path, clock)), 10)
    assert code == 1
    assert "another instance is already receiving updates for this bot token" in caplog.text
    assert len(fake_telegram.called("getUpdates")) == 1  # it did not fight


async def test_a_409_while_running_stops_polling_and_the_runner_exits_non_zero(fake_telegram, sqlite_url, tmp_path, clock, caplog):
    running = asyncio.create_task(serve(telegram_app(fake_telegram, sqlite_url, tmp_path, clock)))
    await fake_telegram.wait_for(lambda: len(fake_telegram.called("getUpdates")) >= 2)  # the start-up poll, then a long poll
    fake_telegram.fail("getUpdates", 409)
    fake_telegram.say(LI, "/help")  # ends the long poll; the next one meets the 409
    assert await asyncio.wait_for(running, 10) == 1
    assert "another instance is already receiving updates" in caplog.text
    assert len(fake_telegram.called("getUpdates")) == 3  # and it stopped polling


# -- webhook mode --------------------------------------------------------------------------------


async def _post(world, body: dict | bytes, secret: str | None):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    url = f"http://127.0.0.1:{world.adapter.webhook.port}{world.adapter.webhook.path}"
    async with aiohttp.ClientSession() as session:
        kwargs = {"data": body} if isinstance(body, bytes) else {"json": body}
        async with session.post(url, headers=headers, **kwargs) as response:
            return response.status


async def test_webhook_checks_the_secret_and_stores_before_answering(webhook_world):
    world = webhook_world
    await seed_team(world.app, members=(("1001", "admin"),), customers=CUSTOMERS, platform="telegram")
    await world.start()
    hook = world.fake.webhook
    secret = hook["secret_token"]
    assert hook["url"] == "https://crm.example.com/telegram/hook" and len(secret) >= 32
    assert hook.get("drop_pending_updates") in (None, "false", False)
    assert hook["allowed_updates"] == ["message", "edited_message", "callback_query"]

    update = world.fake.say(LI, "called Wang Lei, wants a quote", push=False) | {"update_id": 77}
    assert await _post(world, update, None) == 403
    assert await _post(world, update, "wrong-" + secret[6:]) == 403
    assert await _post(world, update, secret[:-1]) == 403
    assert await world.inbox() == []  # nothing written for a bad secret

    assert await _post(world, update, secret) == 200
    assert len(await world.inbox()) == 1  # stored by the time Telegram hears 200
    assert await _post(world, update, secret) == 200  # Telegram retries: a no-op
    await world.adapter.drained()
    await world.deliver()
    [reply] = world.fake.sent(1001)
    assert "Wang Lei" in reply["text"]
    assert len(await world.notes()) == 1
    assert await _post(world, b"not json", secret) == 400
    assert world.fake.called("getUpdates") == []  # webhook mode does not poll


@pytest.mark.parametrize("body", [{"update_id": "x"}, []])
async def test_webhook_rejects_malformed_updates(webhook_world, body):
    await webhook_world.start()
    assert await _post(webhook_world, body, webhook_world.fake.webhook["secret_token"]) == 400
