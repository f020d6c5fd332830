"""Delivery's bookkeeping: one claim transaction per batch (the attempt counted there, not per row),
attempts uncounted for rows given back unsent, and an idle loop that wakes when a held-back row is due
rather than after its full idle timeout. The clock is injected; nothing here sleeps or times anything."""
from __future__ import annotations

import contextlib

from sqlmodel import select

from reminders import delivery
from reminders.limits import Limiter
from storage.db import Database
from storage.models import Outbox
from tests.reminders_fixtures import fake_sleep


class Sent:
    platform = "telegram"

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def send(self, row, message) -> None:
        self.keys.append(row.key)


class CountingDatabase(Database):
    """Counts write transactions (each is a BEGIN IMMEDIATE on SQLite)."""

    writes = 0

    @contextlib.asynccontextmanager
    async def write(self, quick: bool = False):
        self.writes += 1
        async with super().write(quick) as session:
            yield session


async def _queue(db: Database, clock, chats: dict[str, int]) -> None:
    async with db.write() as session:
        for chat, n in chats.items():
            for i in range(n):
                session.add(Outbox(key=f"{chat}-{i}", kind="reminder", platform="telegram", chat_id=chat, body={"text": f"{chat}-{i}"}, due_at=clock()))


async def _rows(db: Database) -> dict[str, Outbox]:
    async with db.read() as session:
        return {r.key: r for r in (await session.exec(select(Outbox))).all()}


async def test_a_batch_is_claimed_and_marked_in_one_transaction_each_row_counted_once(db_url, clock):
    db = CountingDatabase(db_url)
    try:
        await _queue(db, clock, {f"c{i}": 1 for i in range(6)})
        sender = Sent()
        deliverer = delivery.Deliverer(db=db, senders={"telegram": sender}, clock=clock, limiter=Limiter(clock), sleep=fake_sleep(clock), worker="w1")
        db.writes = 0
        assert await deliverer.deliver_due() == 6
        assert db.writes == 1 + 6  # the claim (mark included), then each row's outcome: no per-row mark_sending
        rows = await _rows(db)
        assert sorted(sender.keys) == sorted(rows) and {r.status for r in rows.values()} == {"sent"}
        assert {r.attempts for r in rows.values()} == {1}
    finally:
        await db.dispose()


async def test_rows_held_back_by_their_chats_limit_have_no_attempt_counted(db_url, clock):
    db = Database(db_url)
    try:
        await _queue(db, clock, {"a": 3})
        sender = Sent()
        deliverer = delivery.Deliverer(db=db, senders={"telegram": sender}, clock=clock, limiter=Limiter(clock), sleep=fake_sleep(clock), worker="w1")
        await deliverer.deliver_due()
        rows = await _rows(db)
        assert sender.keys == ["a-0"] and rows["a-0"].attempts == 1
        for key in ("a-1", "a-2"):  # claimed with the batch, given back unsent behind the held one
            assert rows[key].status == "pending" and rows[key].attempts == 0 and rows[key].claimed_by is None
        assert deliverer.held_until == rows["a-1"].due_at == clock() + delivery.dt.timedelta(seconds=1)
    finally:
        await db.dispose()


async def test_a_row_claimed_long_ago_is_checked_before_it_is_sent(db_url, clock):
    db = Database(db_url)
    try:
        await _queue(db, clock, {"a": 1})
        (row,) = await delivery.claim(db, ["telegram"], clock(), "w1")
        clock.advance(seconds=delivery.LEASE.total_seconds() + 1)  # the lease ran out and another worker took it
        assert [r.key for r in await delivery.claim(db, ["telegram"], clock(), "w2")] == ["a-0"]
        sender = Sent()
        deliverer = delivery.Deliverer(db=db, senders={"telegram": sender}, clock=clock, limiter=Limiter(clock), worker="w1")
        assert await deliverer.send_one(row) is False and sender.keys == []
    finally:
        await db.dispose()


class Stop(Exception):
    pass


async def test_the_idle_loop_wakes_when_a_held_back_row_is_due_not_after_its_idle_timeout(db_url, clock):
    db = Database(db_url)
    waits: list[float] = []
    sender = Sent()

    class Recording(delivery.Deliverer):
        async def idle(self, seconds: float) -> None:  # what run_forever would wait: recorded, then the clock moves
            waits.append(seconds)
            if len(sender.keys) == 2:
                raise Stop
            clock.advance(seconds=seconds)

    try:
        await _queue(db, clock, {"a": 2})  # the second must wait a second behind the first (1/s per chat)
        deliverer = Recording(db=db, senders={"telegram": sender}, clock=clock, limiter=Limiter(clock), sleep=fake_sleep(clock), worker="w1")
        try:
            await deliverer.run_forever(idle_seconds=3600)
        except Stop:
            pass
        assert sender.keys == ["a-0", "a-1"]
        assert waits == [1.0, 3600]  # woke when a-1 was due, then idle with nothing held
    finally:
        await db.dispose()


def test_idle_timeout_is_the_idle_seconds_or_the_earliest_held_row(clock):
    deliverer = delivery.Deliverer(db=Database("sqlite:///:memory:"), senders={}, clock=clock, limiter=Limiter(clock))
    assert deliverer.idle_timeout(1.0) == 1.0
    deliverer._held(clock() + delivery.dt.timedelta(seconds=0.25))
    deliverer._held(clock() + delivery.dt.timedelta(seconds=5))
    assert deliverer.idle_timeout(1.0) == 0.25
    clock.advance(seconds=0.25)
    assert deliverer.idle_timeout(1.0) == 0.0 and deliverer.held_until is None
