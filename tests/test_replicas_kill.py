"""Three `crmbot run` processes on one PostgreSQL, one killed with SIGKILL half-way (issue 18): its leases
(the scheduler tick, retention, backups, Telegram polling) move to a survivor, its claimed rows go back
to the queue, every message is sent, doubled only if it was on the wire at the kill (the platform's
own at-least-once), and each chat's messages arrive in order. Waits are on conditions."""
from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter

import pytest

from storage.leases import BACKUPS, RETENTION, SCHEDULER, TELEGRAM_POLLING, Leases
from tests.fakes.telegram_api import FakeTelegram
from tests.test_issue13_kill_delivery import _delivered, _env, _outbox, _start

CHATS = tuple(range(4001, 4011))
PER_CHAT = 12
JOBS = (SCHEDULER, RETENTION, BACKUPS, TELEGRAM_POLLING)


async def _queue(db_url: str, tmp_path) -> list[str]:
    import datetime as dt

    from bot.wiring import build_app
    from storage import messaging
    from storage.models import Outbox
    from tests.conftest import make_settings
    from tests.helpers import seed_team

    app = build_app(make_settings(db_url, tmp_path), migrate=False)
    try:
        await seed_team(app, platform="telegram")
        texts = []
        async with app.db.write() as session:
            now = dt.datetime.now(dt.timezone.utc)
            for i in range(PER_CHAT):
                for chat in CHATS:
                    texts.append(text := f"r{chat}-{i:02d}")
                    await messaging.outbox_add(session, Outbox(key=f"replicas:{text}", kind="reminder", platform="telegram", chat_id=str(chat), body={"text": text}, due_at=now))
        return texts
    finally:
        await app.close()


async def _until(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds  # a failsafe; the loop waits on another process's state
    while time.monotonic() < deadline:
        if found := await condition():
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {seconds} s")


async def test_three_replicas_one_killed_half_way_lose_nothing_and_its_leases_move(db_url, tmp_path):
    if db_url.startswith("sqlite"):
        pytest.skip("replicas share a PostgreSQL database")
    texts = await _queue(db_url, tmp_path)
    fake = await FakeTelegram().start()
    env = _env(fake, db_url, tmp_path)
    observer = Leases(db_url, "observer")
    replicas = []
    try:
        for _ in range(3):
            replicas.append(await _start(env))

        async def all_leases_held():
            holders = await observer.holders()
            return holders if set(JOBS) <= set(holders) else None

        holders = await _until(all_leases_held, 60, "all leases taken")
        victim = next(p for p in replicas if holders[SCHEDULER].endswith(f":{p.pid}"))
        await fake.wait_for(lambda: len(_delivered(fake)) >= len(texts) // 3, 60)  # half-way, roughly
        victim.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        await victim.wait()
        worker = holders[SCHEDULER]
        held_at_kill = {r.body["text"] for r in await _outbox(db_url, tmp_path) if r.status == "sending" and r.claimed_by == worker}
        sent_before = Counter(text for _, text in _delivered(fake))

        async def leases_moved():
            now = await observer.holders()
            return now if set(JOBS) <= set(now) and worker not in now.values() else None

        moved = await _until(leases_moved, 30, "the dead replica's leases moving")
        failover = time.monotonic() - killed_at
        await fake.wait_for(lambda: set(texts) <= {text for _, text in _delivered(fake)}, 90)

        async def all_sent():
            rows = await _outbox(db_url, tmp_path)
            return rows if all(r.status == "sent" for r in rows) else None

        rows = await _until(all_sent, 60, "every row marked sent")
    finally:
        for proc in replicas:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in replicas:
            await asyncio.wait_for(proc.communicate(), 60)
        await fake.stop()

    got = Counter(text for _, text in _delivered(fake))
    doubled = {t for t, n in got.items() if n > 1}
    print(f"3 replicas, 1 killed: {len(texts)} messages, {sum(1 for t in texts if not got[t])} lost, {sum(got[t] - 1 for t in doubled)} doubled; leases moved in {failover:.1f} s")
    assert all(got[t] for t in texts)  # nothing lost
    assert doubled <= held_at_kill and all(got[t] <= 2 for t in doubled) and not any(sent_before[t] > 1 for t in sent_before)
    assert {r.status for r in rows} == {"sent"} and worker not in moved.values()
    assert all(p.returncode == 0 for p in replicas if p is not victim)  # the survivors stop cleanly
    for chat in CHATS:
        firsts = list(dict.fromkeys(text for c, text in _delivered(fake) if c == str(chat)))
        assert firsts == sorted(firsts), f"chat {chat} out of order: {firsts}"
