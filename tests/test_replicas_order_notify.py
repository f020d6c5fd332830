"""Per-chat order across replicas, woken by NOTIFY (issue 18; storage/inbox_notify.py). A message waiting
for its chat's earlier inbox row (handled by another replica) is woken by that row's commit, not by
polling: the tests set the waiters' slow poll to an hour, so only the notification can wake them within
the failsafe. Also: nothing is announced before the commit, or by a transaction rolled back, and a
waiter without a listener still polls (the fallback)."""
from __future__ import annotations

import asyncio
import time

import pytest

from bot.wiring import build_app
from chat.messages import Incoming
from handlers import router
from storage import inbox_notify, messaging
from tests.conftest import make_settings

FAILSAFE = 20.0  # seconds; a wake-up takes milliseconds


@pytest.fixture
def pg_url(request) -> str:
    from tests.conftest import _truncate_pg

    url = request.getfixturevalue("pg_database")  # skips without CRMBOT_TEST_POSTGRES_URL
    _truncate_pg(url)
    return url


@pytest.fixture
async def two_replicas(pg_url, tmp_path):
    """Two App instances on one database (two replicas' engines); the first listens, as runner.serve does."""
    apps = [build_app(make_settings(pg_url, tmp_path / str(n)), migrate=False) for n in range(2)]
    waiters = inbox_notify.Waiters()
    listening = asyncio.Event()
    listener = asyncio.create_task(inbox_notify.listen(apps[0].db.url, waiters, listening))
    await asyncio.wait_for(listening.wait(), FAILSAFE)
    try:
        yield apps, waiters
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        for app in apps:
            await app.close()


async def _received(app, key: str) -> int:
    async with app.db.write() as session:
        row = await messaging.inbox_record(session, key, "telegram", "chat-1", "li", {"text": key})
        assert row.id is not None
        return row.id


async def test_a_row_handled_on_another_replica_wakes_its_waiter_at_commit(two_replicas):
    (app, other), waiters = two_replicas
    row_id = await _received(app, "telegram:chat-1:1")
    with waiters.watch(row_id) as left:
        async with other.db.write() as session:
            await messaging.inbox_mark_handled(session, "telegram:chat-1:1", other.services.clock())
            await asyncio.sleep(0.3)  # (inside the transaction: a notification now would be one too early)
            assert not left.is_set()
        await asyncio.wait_for(left.wait(), FAILSAFE)


async def test_a_transaction_rolled_back_announces_nothing(two_replicas):
    (app, other), waiters = two_replicas
    first, second = await _received(app, "telegram:chat-1:1"), await _received(app, "telegram:chat-1:2")
    with waiters.watch(first) as rolled_back, waiters.watch(second) as committed:
        with pytest.raises(RuntimeError):
            async with other.db.write() as session:
                await messaging.inbox_mark_handled(session, "telegram:chat-1:1", other.services.clock())
                raise RuntimeError("handling failed")
        async with other.db.write() as session:  # a later commit's notification arrives after any earlier one
            await messaging.inbox_mark_handled(session, "telegram:chat-1:2", other.services.clock())
        await asyncio.wait_for(committed.wait(), FAILSAFE)
        assert not rolled_back.is_set()


async def test_the_router_waiter_is_woken_by_the_notification_not_the_poll(two_replicas, monkeypatch):
    """router._wait_for with the listener up and a slow poll of an hour returns once the other replica's
    transaction commits; and a failure recorded (the row 'failed', not 'handled') wakes it too."""
    (app, other), waiters = two_replicas
    monkeypatch.setattr(inbox_notify, "WAITERS", waiters)
    monkeypatch.setattr(inbox_notify, "SLOW_POLL", 3600.0)
    for n, fail in ((1, False), (2, True)):
        key = f"telegram:chat-1:{n}"
        row_id = await _received(app, key)
        waiting = asyncio.create_task(router._wait_for(app.services, row_id, time.monotonic() + 600))
        while row_id not in waiters._rows:  # registered (it looked, found the row 'received', and waits)
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert not waiting.done()
        began = time.monotonic()
        if fail:
            msg = Incoming(platform="telegram", chat_id="chat-1", chat_kind="private", sender_id="li", sender_name="li", text="x", message_id=str(n), sent_at=other.services.clock())
            assert await router._record_failure(msg, other.services, [])
        else:
            async with other.db.write() as session:
                await messaging.inbox_mark_handled(session, key, other.services.clock())
        assert await asyncio.wait_for(waiting, FAILSAFE) is True
        assert time.monotonic() - began < FAILSAFE


async def test_without_a_listener_the_waiter_polls(pg_url, tmp_path, monkeypatch):
    apps = [build_app(make_settings(pg_url, tmp_path / str(n)), migrate=False) for n in range(2)]
    monkeypatch.setattr(inbox_notify, "WAITERS", inbox_notify.Waiters())  # nobody listens in this process
    monkeypatch.setattr(inbox_notify, "SLOW_POLL", 3600.0)
    try:
        row_id = await _received(apps[0], "telegram:chat-1:1")
        waiting = asyncio.create_task(router._wait_for(apps[0].services, row_id, time.monotonic() + 600))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        async with apps[1].db.write() as session:
            await messaging.inbox_mark_handled(session, "telegram:chat-1:1", apps[1].services.clock())
        assert await asyncio.wait_for(waiting, FAILSAFE) is True
    finally:
        for app in apps:
            await app.close()
