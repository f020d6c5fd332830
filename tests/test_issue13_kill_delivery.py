"""kill -9 while sending (issue 13, medium 10c): a real `crmbot run` process delivers the outbox to a
local fake Bot API, is killed with SIGKILL while a send is on the wire (Telegram took the message,
its answer never came), and a new process takes over. Every message arrives (0 lost); a message is
doubled only when it was on the wire at the kill (at least once: Telegram takes no idempotency key);
each chat's messages arrive in order. Waits are on conditions, never on fixed sleeps."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from sqlmodel import select

from bot.wiring import build_app
from storage import messaging
from storage.models import Outbox
from tests.conftest import make_settings
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.helpers import seed_team

ROOT = Path(__file__).resolve().parents[1]
CHATS = (3001, 3002, 3003)
PER_CHAT = 6


def _env(fake: FakeTelegram, db_url: str, tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRMBOT_", "TELEGRAM_", "SLACK_", "FEISHU_", "DINGTALK_", "WECOM_"))}
    env |= {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "CRMBOT_TELEGRAM_API_URL": fake.url,
        "CRMBOT_DATABASE_URL": db_url,
        "CRMBOT_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(ROOT),
        "DELIVERY_TEST_LEASE_SECONDS": "3",
    }
    return env


async def _queue(db_url: str, tmp_path) -> list[str]:
    import datetime as dt

    app = build_app(make_settings(db_url, tmp_path), migrate=False)
    try:
        await seed_team(app, platform="telegram")
        texts = []
        async with app.db.write() as session:
            now = dt.datetime.now(dt.timezone.utc)
            for i in range(PER_CHAT):
                for chat in CHATS:
                    text = f"k{chat}-{i:02d}"
                    texts.append(text)
                    await messaging.outbox_add(session, Outbox(key=f"kill:{text}", kind="reminder", platform="telegram", chat_id=str(chat), body={"text": text}, due_at=now))
        return texts
    finally:
        await app.close()


async def _outbox(db_url: str, tmp_path) -> list[Outbox]:
    app = build_app(make_settings(db_url, tmp_path), migrate=False)
    try:
        async with app.db.read() as session:
            # only the rows these tests queued: the processes run the real scheduler on the real clock, which may
            # queue its own pushes (a daily digest for the seeded member, due tomorrow morning) depending on the hour
            rows = (await session.exec(select(Outbox))).all()
            return [r for r in rows if r.key.startswith(("kill:", "replicas:"))]
    finally:
        await app.close()


def _delivered(fake: FakeTelegram) -> list[tuple[str, str]]:
    """(chat, text) of every sendMessage Telegram took, answered or not."""
    return [(str(c.params["chat_id"]), c.params["text"]) for c in fake.calls if c.method == "sendMessage" and "result" in c.params]


async def _start(env: dict) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.fakes.delivery_process", cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    assert (await asyncio.wait_for(proc.stdout.readline(), 60)).strip() == b"STARTED"
    return proc


async def test_kill_9_while_sending_loses_nothing_and_doubles_only_what_was_on_the_wire(db_url, tmp_path):
    texts = await _queue(db_url, tmp_path)
    fake = await FakeTelegram().start()  # real time: the processes run on the system clock
    env = _env(fake, db_url, tmp_path)
    try:
        first = await _start(env)
        try:
            await fake.wait_for(lambda: len(_delivered(fake)) >= 4, 60)
            fake.trouble("sendMessage", "hang")  # the next send reaches Telegram; its answer never comes
            await fake.wait_for(lambda: not fake.troubles["sendMessage"], 60)
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        on_the_wire = {text for _, text in _delivered(fake)} - {r.body["text"] for r in await _outbox(db_url, tmp_path) if r.status == "sent"}
        assert on_the_wire, "the kill came while a send was on the wire"
        assert any(r.status == "sending" for r in await _outbox(db_url, tmp_path))  # the dead worker's rows

        second = await _start(env)
        try:
            await fake.wait_for(lambda: set(texts) <= {text for _, text in _delivered(fake)}, 90)
            rows = await _wait_all_sent(db_url, tmp_path)
        finally:
            second.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode == 0, err.decode()[-2000:]
    finally:
        await fake.stop()

    got = Counter(text for _, text in _delivered(fake))
    lost = [t for t in texts if got[t] == 0]
    doubled = {t for t, n in got.items() if n > 1}
    print(f"kill -9 delivery: {len(texts)} messages, {len(lost)} lost, {sum(got[t] - 1 for t in doubled)} doubled, {len(on_the_wire)} on the wire at the kill")
    assert lost == []
    assert doubled <= on_the_wire and all(got[t] <= 2 for t in doubled)
    assert {r.status for r in rows} == {"sent"}, [(r.key, r.kind, r.status, r.due_at, r.chat_id) for r in rows if r.status != "sent"]
    for chat in CHATS:
        firsts = list(dict.fromkeys(text for c, text in _delivered(fake) if c == str(chat)))
        assert firsts == sorted(firsts), f"chat {chat} out of order: {firsts}"


async def _wait_all_sent(db_url: str, tmp_path) -> list[Outbox]:
    """The outbox as soon as every row is marked sent (the mark follows Telegram's answer)."""
    for _ in range(600):
        rows = await _outbox(db_url, tmp_path)
        if all(r.status == "sent" for r in rows):
            return rows
        await asyncio.sleep(0.1)  # polling another process's database: there is no event to wait on
    return rows
