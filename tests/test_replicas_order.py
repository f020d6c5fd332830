"""Per-chat order across replicas (issue 18). Two App instances on one PostgreSQL database stand for two
replicas (each its own engine, index and deliverer). One chat's notes are stored in the inbox in the order
they arrived (as the adapters store them before they ack) and handed alternately to the two replicas, the
later ones first; the router handles them in arrival order all the same (the chat's advisory lock and the
inbox id as the chat's sequence), and the two replicas' deliverers send the replies in that order: none
lost, none doubled. On SQLite (one process) the router does not wait for earlier rows: unchanged."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlmodel import col, select

from bot.wiring import build_app
from chat.messages import Incoming, Outgoing
from handlers import router
from reminders import delivery
from storage import messaging
from storage.models import Customer, Inbox, Interaction, Outbox, utcnow
from tests.conftest import make_settings
from tests.fakes.fleet import NAMES, query, until
from tests.helpers import seed_team

NOTES = 12
CHAT = "chat-1"


class Recorder:
    """The platform: what arrived, in order."""

    platform = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, row: Outbox, message: Outgoing) -> None:
        await asyncio.sleep(0)  # a round trip: the other replica runs meanwhile
        self.sent.append((row.chat_id, message.text))


def _note(i: int) -> str:
    return f"给{NAMES[i]}打了电话，聊了订单 {i:02d}"


def _message(app, i: int) -> Incoming:
    return Incoming(platform="telegram", chat_id=CHAT, chat_kind="private", sender_id="li", sender_name="li", text=_note(i), message_id=str(i), sent_at=app.services.clock())


async def _store_in_arrival_order(app, messages: list[Incoming]) -> None:
    """What an adapter does before it acks: one row per message, 'received', one transaction each."""
    for msg in messages:
        async with app.db.write() as session:
            await messaging.inbox_record(session, msg.key, msg.platform, msg.chat_id, msg.sender_id, {"text": msg.text})


@pytest.fixture
def pg_url(request) -> str:
    from tests.conftest import _truncate_pg

    url = request.getfixturevalue("pg_database")  # skips without CRMBOT_TEST_POSTGRES_URL
    _truncate_pg(url)
    return url


async def _unsent(app) -> int:
    async with app.db.read() as session:
        return len((await session.exec(select(Outbox.id).where(Outbox.status != "sent"))).all())


async def _lock_waiters(url: str) -> int:
    """Sessions of this database waiting for a chat's lock (pg_locks: not granted, class CHAT_LOCK)."""
    rows = await query(
        url,
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = %s AND objsubid = 2 "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (messaging.CHAT_LOCK,),
    )
    return rows[0][0]


def _customer(text: str) -> str:
    return next((name for name in NAMES if name in text), text)


async def _two_replicas(url: str, tmp_path, clock):
    replicas = [build_app(make_settings(url, tmp_path), clock=clock, migrate=False) for _ in range(2)]
    await seed_team(replicas[0], members=(("li", "admin"),), customers=[dict(name=name, company=f"公司{i}") for i, name in enumerate(NAMES[:NOTES])], platform="telegram")
    return replicas


async def test_one_chats_notes_on_two_replicas_are_handled_and_replied_in_arrival_order(pg_url, tmp_path, clock):
    replicas = await _two_replicas(pg_url, tmp_path, clock)
    recorder = Recorder()
    try:
        messages = [_message(replicas[0], i) for i in range(NOTES)]
        await _store_in_arrival_order(replicas[0], messages)
        # alternately to the two replicas, each note twice (a retry that reached the other replica too), the last first
        work = [(replicas[(i + n) % 2], messages[i]) for i in reversed(range(NOTES)) for n in range(2)]
        tasks = [asyncio.create_task(router.handle(msg, app.services)) for app, msg in work]
        answered = await asyncio.wait_for(asyncio.gather(*tasks), 120)  # a failsafe, not a wait for time

        # handled once each, in arrival order
        assert sum(1 for replies in answered if replies) == NOTES  # the second delivery of each found it handled
        async with replicas[0].db.read() as session:
            notes = list((await session.exec(select(Interaction).order_by(col(Interaction.id)))).all())
            names = {c.id: c.name for c in (await session.exec(select(Customer))).all()}
            inbox = Counter((await session.exec(select(Inbox.status))).all())
            replies = list((await session.exec(select(Outbox).where(Outbox.kind == "reply").order_by(col(Outbox.id)))).all())
        assert [n.text for n in notes] == [_note(i) for i in range(NOTES)]
        assert [names[n.customer_id] for n in notes] == list(NAMES[:NOTES])
        assert inbox == {"handled": NOTES}
        assert [_customer(r.body["text"]) for r in replies if r.body["text"].startswith("✓")] == list(NAMES[:NOTES])

        # replied in that order by the two replicas' deliverers together, each reply once
        async def advance(seconds: float) -> None:  # a platform-wide wait passes on the shared clock
            clock.advance(seconds=seconds)

        deliverers = [delivery.Deliverer(db=app.db, senders={"telegram": recorder}, clock=clock, worker=f"replica-{i}", sleep=advance, batch=2) for i, app in enumerate(replicas)]
        for _ in range(400):
            if not await _unsent(replicas[0]):
                break
            if not sum(await asyncio.gather(*(d.deliver_due() for d in deliverers))):
                clock.advance(milliseconds=250)  # the chat's rate limit: its next reply is due a moment later
        else:
            raise AssertionError("the replies did not drain")
        confirmations = [_customer(text) for _, text in recorder.sent if text.startswith("✓")]
        assert confirmations == list(NAMES[:NOTES]), confirmations
        assert len(recorder.sent) == len(replies)
    finally:
        for app in replicas:
            await app.close()


async def test_a_note_waits_for_an_earlier_one_another_replica_is_handling(pg_url, tmp_path, clock):
    """The earlier note's replica holds the chat's lock mid-transaction: the later note, on the other
    replica, is filed after it commits (its lock waits), not beside it."""
    first, second = await _two_replicas(pg_url, tmp_path, clock)
    try:
        earlier, later = _message(first, 0), _message(first, 1)
        await _store_in_arrival_order(first, [earlier, later])
        async with first.db.write() as session:  # the first replica is on the earlier note: lock taken, not committed
            status, before = await messaging.inbox_turn(session, earlier.key, "telegram", CHAT, utcnow() - router.ORDER_HORIZON)
            assert (status, before) == ("received", None)
            waiting = asyncio.create_task(router.handle(later, second.services))
            await until(lambda: _lock_waiters(pg_url), 60, "the other replica waiting for the chat's lock")
            assert not waiting.done()
            replies = await router._handle_in(session, earlier, status, first.services)
        assert replies and (await asyncio.wait_for(waiting, 60))
        async with first.db.read() as session:
            texts = list((await session.exec(select(Interaction.text).order_by(col(Interaction.id)))).all())
        assert texts == [_note(0), _note(1)]
    finally:
        await first.close()
        await second.close()


async def test_an_earlier_note_left_too_long_is_not_waited_for(pg_url, tmp_path, clock):
    """A row stored over ORDER_HORIZON ago and never handled (no replica could: say its payload cannot be
    rebuilt) does not hold up its chat: the next note is handled at once."""
    import datetime as dt

    (app, other) = await _two_replicas(pg_url, tmp_path, clock)
    try:
        old, new = _message(app, 0), _message(app, 1)
        await _store_in_arrival_order(app, [old, new])
        async with app.db.write() as session:
            row = await messaging.inbox_get(session, old.key)
            assert row is not None
            row.received_at = utcnow() - router.ORDER_HORIZON - dt.timedelta(seconds=1)
            session.add(row)
        assert await asyncio.wait_for(router.handle(new, app.services), 30)
        async with app.db.read() as session:
            assert (await session.exec(select(Interaction.text))).all() == [_note(1)]
    finally:
        await app.close()
        await other.close()


async def test_an_earlier_note_a_dead_replica_acked_is_taken_over_by_the_next_one(pg_url, tmp_path, clock):
    """The replica that stored (and acked) the earlier note died before handling it: the next note of the
    chat, on a live replica, waits TAKE_OVER_AFTER from the earlier one's arrival (here: long past), then
    has it handled through its adapter's recovery (bot/runner.take_over; here a stand-in), then itself."""
    import datetime as dt

    first, second = await _two_replicas(pg_url, tmp_path, clock)
    taken: list[str] = []

    async def take(key: str) -> None:  # what the Telegram adapter's recovery does with a stored update
        taken.append(key)
        await router.handle(by_key[key], second.services)

    router.takeovers[(second.db.url, "telegram")] = take
    try:
        orphan, later = _message(first, 0), _message(first, 1)
        by_key = {orphan.key: orphan}
        await _store_in_arrival_order(first, [orphan, later])
        async with first.db.write() as session:  # acked by a replica that died at once
            row = await messaging.inbox_get(session, orphan.key)
            assert row is not None
            row.received_at = utcnow() - router.TAKE_OVER_AFTER - dt.timedelta(seconds=1)
            session.add(row)
        assert await asyncio.wait_for(router.handle(later, second.services), 60)
        assert taken == [orphan.key]
        async with first.db.read() as session:
            texts = list((await session.exec(select(Interaction.text).order_by(col(Interaction.id)))).all())
            inbox = Counter((await session.exec(select(Inbox.status))).all())
        assert texts == [_note(0), _note(1)] and inbox == {"handled": 2}
    finally:
        router.takeovers.pop((second.db.url, "telegram"), None)
        await first.close()
        await second.close()


async def test_sqlite_handles_a_note_without_waiting_for_earlier_rows(sqlite_url, tmp_path, clock):
    """One process on SQLite: its adapters keep a chat's order; the router checks no sequence (unchanged)."""
    app = build_app(make_settings(sqlite_url, tmp_path), clock=clock, migrate=False)
    try:
        await seed_team(app, members=(("li", "admin"),), customers=[dict(name=name) for name in NAMES[:2]], platform="telegram")
        earlier, later = _message(app, 0), _message(app, 1)
        await _store_in_arrival_order(app, [earlier, later])
        assert await router.handle(later, app.services)  # the earlier row is still 'received': no wait
        async with app.db.read() as session:
            assert (await session.exec(select(Interaction.text))).all() == [_note(1)]
    finally:
        await app.close()
