"""Delivery on every replica: three Deliverers (three replicas: each its own engine and worker id) on one
database send a queue of many chats. Every message goes out once, each chat's in order, and the
platform's limits hold for the replicas together (counted as the platform would, on the shared clock);
a replica that dies holding rows loses none of them."""
from __future__ import annotations

import asyncio
from collections import defaultdict

from chat.messages import Outgoing
from reminders import delivery
from reminders.limits import RULES
from storage import messaging
from storage.db import Database
from storage.models import Outbox

CHATS = [f"c{i}" for i in range(6)] + ["g1", "g2"]  # six private chats and two groups
PER_CHAT = 5


class PlatformLog:
    """The fake platform: every accepted message with the moment it arrived."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.sent: list[tuple[float, str, str]] = []

    def sender(self):
        log = self

        class Sender:
            platform = "telegram"

            async def send(self, row: Outbox, message: Outgoing) -> None:
                await asyncio.sleep(0)  # a network round trip: the other replicas run meanwhile
                log.sent.append((log.clock().timestamp(), row.chat_id, message.text))

        return Sender()

    def most_in_any_window(self, chats, seconds: float) -> int:
        times = sorted(t for t, chat, _ in self.sent if chat in chats)
        return max((sum(1 for u in times if t <= u < t + seconds) for t in times), default=0)


async def _queue(db: Database, clock) -> None:
    async with db.write() as session:
        for i in range(PER_CHAT):
            for chat in CHATS:
                kind = "group" if chat.startswith("g") else "private"
                await messaging.outbox_add(session, Outbox(key=f"r:{chat}:{i}", kind="reply", platform="telegram", chat_id=chat, chat_kind=kind, body={"text": f"{chat}-{i}"}, due_at=clock()))


async def _pending(db: Database) -> int:
    from sqlmodel import func, select

    async with db.read() as session:
        return (await session.exec(select(func.count()).select_from(Outbox).where(Outbox.status != "sent"))).one()


async def _run_replicas(deliverers, db, clock, rounds: int = 400) -> None:
    for _ in range(rounds):
        if not await _pending(db):
            return
        handled = await asyncio.gather(*(d.deliver_due() for d in deliverers))
        if not any(handled):
            clock.advance(milliseconds=250)
    raise AssertionError("the queue did not drain")


async def test_three_replicas_send_each_message_once_in_order_within_the_platforms_limits(db_url, clock):
    platform = PlatformLog(clock)
    dbs = [Database(db_url) for _ in range(3)]

    async def advance(seconds: float) -> None:  # a platform-wide wait passes on the shared clock
        clock.advance(seconds=seconds)

    deliverers = [delivery.Deliverer(db=d, senders={"telegram": platform.sender()}, clock=clock, worker=f"replica-{i}", sleep=advance, batch=2) for i, d in enumerate(dbs)]
    try:
        await _queue(dbs[0], clock)
        await _run_replicas(deliverers, dbs[0], clock)
    finally:
        for d in dbs:
            await d.dispose()

    texts = [text for _, _, text in platform.sent]
    assert sorted(texts) == sorted(f"{chat}-{i}" for chat in CHATS for i in range(PER_CHAT))  # each once
    for chat in CHATS:
        assert [text for _, c, text in platform.sent if c == chat] == [f"{chat}-{i}" for i in range(PER_CHAT)]
        assert platform.most_in_any_window({chat}, 1.0) <= 1  # Telegram: one a second per chat, across replicas
    group_rule = next(r for r in RULES["telegram"] if r.scope == "group")
    for group in ("g1", "g2"):
        assert platform.most_in_any_window({group}, group_rule.seconds) <= group_rule.count


async def test_the_overall_limit_holds_across_replicas(db_url, clock):
    """Sixty chats with one message each: at most 30 a second in all, though three replicas send."""
    platform = PlatformLog(clock)
    dbs = [Database(db_url) for _ in range(3)]

    async def advance(seconds: float) -> None:
        clock.advance(seconds=seconds)

    deliverers = [delivery.Deliverer(db=d, senders={"telegram": platform.sender()}, clock=clock, worker=f"replica-{i}", sleep=advance, batch=2) for i, d in enumerate(dbs)]
    try:
        async with dbs[0].write() as session:
            for i in range(60):
                await messaging.outbox_add(session, Outbox(key=f"p:{i}", platform="telegram", chat_id=f"u{i}", body={"text": f"u{i}"}, due_at=clock()))
        await _run_replicas(deliverers, dbs[0], clock)
    finally:
        for d in dbs:
            await d.dispose()
    assert len(platform.sent) == 60
    assert platform.most_in_any_window({f"u{i}" for i in range(60)}, 1.0) <= 30


async def test_a_replica_killed_holding_rows_loses_none(db_url, clock):
    platform = PlatformLog(clock)
    dead, live = Database(db_url), Database(db_url)
    try:
        await _queue(dead, clock)
        taken = await delivery.claim(dead, ["telegram"], clock(), "dead-replica", limit=10)  # … and then it is SIGKILLed
        assert taken
        survivor = delivery.Deliverer(db=live, senders={"telegram": platform.sender()}, clock=clock, worker="live-replica")
        clock.advance(seconds=delivery.LEASE.total_seconds() + 1)  # the dead replica's lease runs out
        await _run_replicas([survivor], live, clock)
    finally:
        await dead.dispose()
        await live.dispose()
    by_chat = defaultdict(list)
    for _, chat, text in platform.sent:
        by_chat[chat].append(text)
    assert {chat: texts for chat, texts in by_chat.items()} == {chat: [f"{chat}-{i}" for i in range(PER_CHAT)] for chat in CHATS}



async def test_a_reply_queued_during_an_empty_pass_is_sent_without_waiting_for_the_idle_timeout(db_url, clock):
    """A reply committed while a delivery pass finds nothing (its wake-up arrives mid-pass) goes out on the
    next pass, not after the idle timeout: the wake-up is cleared before a pass, never after one."""
    sent = asyncio.Event()

    class Sender:
        platform = "telegram"

        async def send(self, row: Outbox, message: Outgoing) -> None:
            sent.set()

    db = Database(db_url)

    class QueuesDuringAnEmptyPass(delivery.Deliverer):
        queued = False

        async def deliver_due(self, limit: int | None = None) -> int:
            handled = await super().deliver_due(limit)
            if not handled and not self.queued:  # a handler commits a reply after this pass's claim looked
                self.queued = True
                async with db.write() as session:
                    await messaging.outbox_add(session, Outbox(key="r:late", platform="telegram", chat_id="c1", body={"text": "late"}, due_at=clock()))
                self.wakeup.set()  # as services.on_outbox does
            return handled

    deliverer = QueuesDuringAnEmptyPass(db=db, senders={"telegram": Sender()}, clock=clock)
    loop = asyncio.create_task(deliverer.run_forever(idle_seconds=3600))  # the idle timeout never passes here
    try:
        await asyncio.wait_for(sent.wait(), 20)  # a failsafe only: without the wake-up it would wait an hour
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await db.dispose()


async def test_a_row_whose_claim_ran_out_during_a_wait_for_the_platform_is_not_sent_by_the_first_replica(db_url, clock):
    """Regression (the fleet test's doubled replies under load): a replica claims a row, then waits for
    the platform's overall limit longer than the lease (its heartbeat held back); meanwhile another replica
    takes the row back and sends it. The first one checks its claim right before its send, not before
    the wait: the row goes out once."""
    platform = PlatformLog(clock)
    slow_db, other_db = Database(db_url), Database(db_url)
    other = delivery.Deliverer(db=other_db, senders={"telegram": platform.sender()}, clock=clock, worker="replica-b")

    class BusyPlatform:
        """The overall limit says 'wait' once (not the chat's own limit), then lets the send go."""

        waited = False

        async def take(self, platform_: str, chat_id: str, chat_kind: str = "private") -> tuple[float, bool]:
            if not self.waited:
                self.waited = True
                return 1.0, False
            return 0.0, True

        async def block_chat(self, platform_: str, chat_id: str, seconds: float) -> None:
            pass

    async def stalled(seconds: float) -> None:  # the wait outlasts the lease; the other replica runs meanwhile
        clock.advance(seconds=delivery.LEASE.total_seconds() + 1)
        assert await other.deliver_due() == 1

    slow = delivery.Deliverer(db=slow_db, senders={"telegram": platform.sender()}, clock=clock, worker="replica-a", limiter=BusyPlatform(), sleep=stalled)
    try:
        async with slow_db.write() as session:
            await messaging.outbox_add(session, Outbox(key="r:c1:0", platform="telegram", chat_id="c1", body={"text": "c1-0"}, due_at=clock()))
        await slow.deliver_due()
        assert [text for _, _, text in platform.sent] == ["c1-0"]  # sent by replica-b only
        assert await _pending(slow_db) == 0
    finally:
        await slow_db.dispose()
        await other_db.dispose()
