"""The outbox's delivery path: claim due rows atomically, send them within the platform's limits,
record the result. The database is the source of truth; a row is sent by one worker only.

Claiming is a conditional UPDATE on SQLite (one writer at a time) and SELECT … FOR UPDATE SKIP
LOCKED on PostgreSQL, so several processes (replicas) never take the same row; on PostgreSQL claims
also take a transaction advisory lock (CLAIM_LOCK, held for the claim's few milliseconds), so two
replicas claiming at once cannot both take rows of one chat (the second sees the first's 'sending'). A worker that dies while
sending leaves rows in 'sending'; they return to 'pending' once its lease (LEASE, short) runs out.
A live worker renews the lease of what it holds (a heartbeat every LEASE / 3).

Guarantee: at least once. A batch of rows is claimed in one short transaction that also counts each
row's attempt (a row given back unsent has it uncounted); a row claimed a while ago (a pass that
waited) has its lease checked and renewed before it is handed to the platform; it is marked sent right after; Telegram and Slack take no idempotency key, so
a send whose answer never came (a timeout, a crash between the platform's answer and our mark) is
sent again: that window is one request timeout (the senders use short ones) per row.

Failures: a 429 waits what the platform says; network trouble and 5xx back off exponentially with
jitter (BACKOFF_BASE doubling to BACKOFF_CAP, about 12 hours in all over MAX_ATTEMPTS) before a row
is marked failed; failed rows stay visible and go again with `crmbot outbox retry`.

Order: a chat's messages go out in sequence (by id). When a chat must wait (its rate limit, a
retry), its later rows wait behind the one held back, so a newer row never overtakes an older one;
a reply also waits for every earlier reply of its chat still unsent (a reply queued after a held-back
one is due before it: without this it went first, seen with three replicas under load).

Sends run concurrently across chats (at most `concurrency` in flight, one per chat at a time, so a
chat's messages keep their order), which keeps the platform's overall budget busy when each send
takes a network round trip. The limiter (limits.SharedLimiter) checks and counts a send in one
database transaction, so the platform limits hold across every replica; a platform-wide wait is
slept by one task at a time. Delivery's own writes are short transactions (db.write(quick=True): on
SQLite in the loop's thread, no worker-thread hop per statement). An idle loop wakes for a row queued
(the wake-up event) or when a row it held back (its chat's limit, a short retry_after) is due, whichever
is first, never later than its idle timeout.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import text

from chat.messages import Outgoing
from storage import attachments
from storage.db import Database
from storage.models import Outbox
from storage.plain_load import Plain
from storage.raw_sql import raw

from .limits import Limiter, SharedLimiter

log = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=60)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
CLAIM_LOCK = 0x63726D6F  # the transaction advisory lock claims take on PostgreSQL ('crmo')
MAX_ATTEMPTS = 20
BACKOFF_BASE = 5.0  # seconds before the first retry of a failed send …
BACKOFF_CAP = 3600.0  # … doubling up to an hour between tries: about 12 hours before giving up


class RetryLater(Exception):
    """The platform asked us to wait `seconds` (429), or (None) the network or the platform failed:
    try again after an exponential backoff with jitter."""

    def __init__(self, seconds: float | None, reason: str = "") -> None:
        super().__init__(reason or f"retry after {seconds}s")
        self.seconds = seconds


class PermanentFailure(Exception):
    """The platform refused the message for good (blocked, chat gone, bad request)."""


class Sender(Protocol):
    platform: str

    async def send(self, row: Outbox, message: Outgoing) -> None: ...


def attachment_bytes(ref: str) -> tuple[str, bytes]:
    """What every sender calls for a message's image or file: its name and bytes, from the database
    (loaded by the Deliverer for the row being sent), so any replica can send it. A missing one fails
    the row for good (no retry brings it back)."""
    try:
        found = attachments.read(ref)
    except attachments.AttachmentMissing as exc:
        raise PermanentFailure(str(exc)) from exc
    return found.name, found.data


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def claim(db: Database, platforms: list[str], now: dt.datetime, worker: str, limit: int = 50) -> list[Outbox]:
    """Atomically take up to `limit` due rows for these platforms, in one short transaction: the rows are
    marked 'sending' with this worker's lease and their attempt counted (what mark_sending did per row),
    and read back in the same transaction. A row given back unsent has its attempt uncounted (release,
    _hold_chat)."""
    if not platforms:
        return []
    async with db.write(quick=True) as session:
        sql = await raw(session)  # a few driver calls: an empty pass (most of them) costs a lock and two statements
        params = {"now": sql.value(now), "worker": worker, "limit": limit, "stale": sql.value(now - LEASE)}
        names = ", ".join(f":p{i}" for i in range(len(platforms)))
        params |= {f"p{i}": p for i, p in enumerate(platforms)}
        if not db.is_sqlite:
            await sql.execute("SELECT pg_advisory_xact_lock(:key)", {"key": CLAIM_LOCK})
        # rows left 'sending' by a dead worker go back to the queue
        stale = await sql.rows(f"UPDATE outbox SET status='pending' WHERE status='sending' AND claimed_at < :stale AND platform IN ({names}) RETURNING id, claimed_by", params)
        if stale:
            log.warning("outbox: took back %d row(s) whose claim ran out (%s)", len(stale), ", ".join(sorted({str(w) for _, w in stale})))
        # a chat's rows wait while an earlier one of that chat is in flight (with any worker): order by sequence;
        # and a reply waits while an earlier reply of its chat is unsent: one held back (its chat's limit, a
        # retry) is due later than a reply queued after it, which must not overtake it
        pick = (
            f"SELECT id FROM outbox WHERE status='pending' AND due_at <= :now AND platform IN ({names}) "
            "AND NOT EXISTS (SELECT 1 FROM outbox AS before WHERE before.platform=outbox.platform AND before.chat_id=outbox.chat_id "
            "AND before.id < outbox.id AND (before.status='sending' OR (outbox.kind='reply' AND before.kind='reply' AND before.status='pending'))) "
            "ORDER BY due_at, id LIMIT :limit"
        )
        if not db.is_sqlite:
            pick += " FOR UPDATE SKIP LOCKED"
        ids = [r[0] for r in await sql.rows(pick, params)]
        if not ids:
            return []
        marks = ", ".join(f":i{i}" for i in range(len(ids)))
        taken = await sql.rows(
            f"UPDATE outbox SET status='sending', claimed_by=:worker, claimed_at=:now, attempts=attempts + 1 "
            f"WHERE id IN ({marks}) AND status='pending' RETURNING {_OUTBOX.select_list}",
            {"worker": worker, "now": params["now"]} | {f"i{i}": v for i, v in enumerate(ids)},
        )
        rows = [_OUTBOX.attach(session, values) for values in taken]
    return sorted(rows, key=lambda r: (r.due_at, r.id or 0))


_OUTBOX = Plain(Outbox, "")


def _bind(db: Database, params: dict) -> dict:
    """Raw SQL bypasses our UTC column type: store datetimes the way UTCDateTime does."""
    out = {}
    for key, value in params.items():
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.timezone.utc)
            if db.is_sqlite:
                value = value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")  # as stored: text compares
        out[key] = value
    return out


async def mark_sending(db: Database, row_id: int, now: dt.datetime, worker: str) -> bool:
    """Before the platform gets a row claimed a while ago (a pass that waited): renew the lease; False
    when the row is no longer ours (the lease ran out and another worker took it). The attempt was
    counted by claim."""
    async with db.write(quick=True) as session:
        result = await (await session.connection()).execute(
            text("UPDATE outbox SET claimed_at=:now WHERE id=:id AND status='sending' AND claimed_by=:worker"),
            _bind(db, {"now": now, "id": row_id, "worker": worker}),
        )
        return bool(result.rowcount)


async def heartbeat(db: Database, worker: str, now: dt.datetime) -> set[int]:
    """Renew the lease of every row this worker holds; the ids renewed."""
    async with db.write(quick=True) as session:
        result = await (await session.connection()).execute(
            text("UPDATE outbox SET claimed_at=:now WHERE status='sending' AND claimed_by=:worker RETURNING id"), _bind(db, {"now": now, "worker": worker})
        )
        return {row[0] for row in result}


async def finish(db: Database, row_id: int, *, ok: bool, now: dt.datetime, error: str | None = None, retry_in: float | None = None) -> None:
    """The attempt's outcome (counted by claim). A retry holds the chat's later rows behind it."""
    async with db.write(quick=True) as session:
        if ok:  # one statement on the driver (the usual outcome)
            sql = await raw(session)
            sent = await sql.one("UPDATE outbox SET status='sent', sent_at=:now, last_error=NULL WHERE id=:id RETURNING kind", {"now": sql.value(now), "id": row_id})
            if sent is not None and sent[0] == "nag":  # the customers it named have now been nagged (escalation)
                from .nags import on_sent

                nag = await session.get(Outbox, row_id)
                assert nag is not None
                await on_sent(session, nag, now)
            return
        row = await session.get(Outbox, row_id)
        if row is None:
            return
        if retry_in is not None and row.attempts < MAX_ATTEMPTS:
            worker = row.claimed_by
            row.status, row.due_at, row.last_error = "pending", now + dt.timedelta(seconds=retry_in), error
            row.claimed_by = row.claimed_at = None
            session.add(row)
            await session.flush()
            await _hold_chat(session, db, row, row.due_at, worker)
        else:
            row.status, row.last_error = "failed", error
            log.error("outbox %s (%s to %s) failed for good: %s", row.key, row.kind, row.chat_id, error)
        session.add(row)


async def release(db: Database, row_id: int, due_at: dt.datetime, worker: str | None = None) -> None:
    """Give a claimed row back without counting an attempt (its chat must wait a moment), with the
    rows of its chat after it that this worker holds, and hold the chat's later rows behind it."""
    async with db.write(quick=True) as session:
        row = await session.get(Outbox, row_id)
        if row is not None and row.status == "sending":
            row.status, row.due_at, row.claimed_by, row.claimed_at = "pending", due_at, None, None
            row.attempts = max(row.attempts - 1, 0)  # claim counted it; it was not sent
            session.add(row)
            await session.flush()
            await _hold_chat(session, db, row, due_at, worker)


async def _hold_chat(session, db: Database, row: Outbox, until: dt.datetime, worker: str | None = None) -> None:
    """The chat's rows after `row` that are due before `until` wait until then (order by sequence); those
    this worker had claimed go back unsent, their attempt (counted by claim) uncounted."""
    params = {"platform": row.platform, "chat": row.chat_id, "id": row.id, "until": until, "worker": worker or ""}
    await (await session.connection()).execute(
        text(
            "UPDATE outbox SET status='pending', due_at=:until, claimed_by=NULL, claimed_at=NULL, "
            "attempts=CASE WHEN status='sending' AND attempts > 0 THEN attempts - 1 ELSE attempts END "
            "WHERE platform=:platform AND chat_id=:chat AND id > :id "
            "AND ((status='pending' AND due_at < :until) OR (status='sending' AND claimed_by=:worker))"
        ),
        _bind(db, params),
    )


async def retry_failed(db: Database, now: dt.datetime, ids: list[int] | None = None) -> int:
    """Failed rows (all, or these) go again, due now, with a fresh count of attempts."""
    async with db.write() as session:
        from sqlmodel import col, select

        stmt = select(Outbox).where(Outbox.status == "failed")
        if ids:
            stmt = stmt.where(col(Outbox.id).in_(ids))
        rows = list((await session.exec(stmt)).all())
        for row in rows:
            row.status, row.due_at, row.attempts, row.claimed_by, row.claimed_at = "pending", now, 0, None, None
            session.add(row)
        return len(rows)


async def drop(db: Database, row_id: int, reason: str) -> None:
    async with db.write(quick=True) as session:
        row = await session.get(Outbox, row_id)
        if row is not None:
            row.status, row.last_error = "dropped", reason
            session.add(row)


def expired(row: Outbox, now: dt.datetime) -> bool:
    """A push may say when it stops being worth sending (a greeting once its holiday has begun)."""
    expires = (row.body or {}).get("meta", {}).get("expires_at")
    return bool(expires) and dt.datetime.fromisoformat(expires) <= now


def backoff(attempts: int, rng: random.Random = random.Random()) -> float:
    """Seconds before retry number `attempts`: exponential, capped, with jitter (so a platform coming
    back is not met by every waiting row at once)."""
    ceiling = min(BACKOFF_BASE * 2.0 ** max(attempts - 1, 0), BACKOFF_CAP)
    return ceiling * (0.5 + rng.random() / 2)


@dataclass
class Deliverer:
    """Sends what is due through the senders it has. One per process."""

    db: Database
    senders: dict[str, Sender]
    clock: Callable[[], dt.datetime]
    worker: str = ""
    limiter: Limiter | SharedLimiter | None = None  # default: the database's, shared by the replicas
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)  # injectable: tests never sleep
    concurrency: int = 24  # sends in flight at once, each to a different chat
    batch: int = 100  # rows claimed per pass
    deliveries: Any = None  # prometheus Counter (platform, outcome) from bot/metrics.py; None: not counted
    rate_limited: Any = None  # prometheus Counter (platform): the 429s

    def __post_init__(self) -> None:
        self.worker = self.worker or worker_id()
        self.wakeup = asyncio.Event()
        self.limiter = self.limiter or SharedLimiter(self.db, self.clock)
        self._slots = asyncio.Semaphore(max(1, self.concurrency))
        self._gates: dict[str, asyncio.Lock] = {}  # one sleeper per platform for platform-wide waits
        # SQLite has one writer at a time: our own bookkeeping writes queue here rather than in
        # SQLite's busy handler (which backs off in steps of milliseconds)
        self._writes = asyncio.Lock() if self.db.is_sqlite else None
        self.held_until: dt.datetime | None = None  # the earliest time a row this worker held back is due
        self._renewed: dict[int, dt.datetime] = {}  # row id → when the heartbeat last renewed its lease
        self._beat = None  # PostgreSQL: the heartbeat's own connection

    async def deliver_due(self, limit: int | None = None) -> int:
        """One pass: claim what is due and send it, chats concurrently, each chat's rows in order.
        Returns how many rows were handled."""
        rows = await claim(self.db, list(self.senders), self.clock(), self.worker, limit or self.batch)
        by_chat: dict[tuple[str, str], list[Outbox]] = {}
        for row in sorted(rows, key=lambda r: r.id or 0):
            by_chat.setdefault((row.platform, row.chat_id), []).append(row)
        beat = asyncio.create_task(self._heartbeat()) if rows else None
        try:
            if len(by_chat) <= 1 or self.concurrency <= 1:
                for chat_rows in by_chat.values():
                    await self._send_chat(chat_rows)
            else:
                await asyncio.gather(*(self._send_chat(chat_rows) for chat_rows in by_chat.values()))
        finally:
            if beat is not None:
                beat.cancel()
        return len(rows)

    async def _heartbeat(self) -> None:
        """While a pass holds rows, renew their lease (real time: a pass may wait on the platform)."""
        while True:
            await asyncio.sleep(LEASE.total_seconds() / 3)
            try:
                await self._renew_all()
            except Exception:
                log.exception("outbox heartbeat failed")
                await self._close_beat()

    async def _renew_all(self) -> None:
        """Renew the lease of every row this worker holds. On PostgreSQL on a connection of its own: a pool
        busy with note handling (every connection in a transaction, more waiting) held the heartbeat back
        past the lease, another replica took the rows back and sent them again (fleet test under load)."""
        now = self.clock()
        if self.db.is_sqlite:
            ids = await self._write(heartbeat, self.worker, now)
        else:
            conn = await self._beat_connection()
            sql = "UPDATE outbox SET claimed_at = %s WHERE status = 'sending' AND claimed_by = %s RETURNING id"
            cursor = await asyncio.wait_for(conn.execute(sql, (now.astimezone(dt.timezone.utc), self.worker)), LEASE.total_seconds() / 3)
            ids = {row[0] for row in await cursor.fetchall()}
        self._renewed = dict.fromkeys(ids, now)  # rows taken back meanwhile are not among them

    async def _beat_connection(self):
        if self._beat is None or self._beat.closed:
            import psycopg
            from sqlalchemy.engine import make_url

            dsn = make_url(self.db.url).set(drivername="postgresql").render_as_string(hide_password=False)
            self._beat = await asyncio.wait_for(psycopg.AsyncConnection.connect(dsn, autocommit=True, application_name=f"{self.worker}:outbox"[:63]), LEASE.total_seconds() / 3)
        return self._beat

    async def _close_beat(self) -> None:
        beat, self._beat = self._beat, None
        if beat is not None:
            with contextlib.suppress(Exception):
                await beat.close()

    async def close(self) -> None:
        """The heartbeat's own connection (PostgreSQL), if one was opened."""
        await self._close_beat()

    async def _send_chat(self, rows: list[Outbox]) -> None:
        async with self._slots:
            for row in rows:
                if not await self.send_one(row):
                    return  # held back: the chat's later rows were given back behind it

    async def _write(self, fn, *args, **kwargs):
        if self._writes is None:
            return await fn(self.db, *args, **kwargs)
        async with self._writes:
            return await fn(self.db, *args, **kwargs)

    async def _take_turn(self, row: Outbox) -> bool:
        """Wait until the limits allow this row and count it as sent (True), or give the row back
        when its own chat must wait (False): the slot goes to other chats meanwhile."""
        gate = self._gates.setdefault(row.platform, asyncio.Lock())
        assert self.limiter is not None
        while True:
            async with gate:  # the platform is busy: one task sleeps it off, the others queue here
                wait, own = await self._locked(self.limiter.take(row.platform, row.chat_id, row.chat_kind))  # checked and counted at once
                if wait <= 0:
                    return True
                if not own:
                    await self.sleep(wait)
                    continue
            due = self.clock() + dt.timedelta(seconds=wait)
            await self._write(release, row.id, due, self.worker)
            self._held(due)
            return False

    async def _locked(self, work: Awaitable):
        """A write of the limiter's, queued behind our other SQLite writes like _write's."""
        if self._writes is None:
            return await work
        async with self._writes:
            return await work

    async def send_one(self, row: Outbox) -> bool:
        """Send one claimed row; False when it was held back (its chat must wait, or it is no longer ours)."""
        sender = self.senders[row.platform]
        message = Outgoing.from_body(row.body)
        if expired(row, self.clock()):
            await self._write(drop, row.id, "expired")
            self._count(row, "expired")
            return True
        if not await self._take_turn(row):  # (a row given back here has its attempt uncounted)
            return False
        # right before the send (after any wait for the platform's limits): claimed or renewed a while ago,
        # is it still ours? (renews the lease, so the send has a whole lease before anyone takes it back)
        renewed = max(row.claimed_at or EPOCH, self._renewed.get(row.id or 0, EPOCH))
        if self.clock() - renewed >= LEASE / 3:
            if not await self._write(mark_sending, row.id, self.clock(), self.worker):
                self._count(row, "lost")
                return False  # the lease ran out meanwhile and another worker has it (its turn was counted: harmless)
        attempts = row.attempts  # counted by claim
        try:
            files = await self._attachments(message)
            with attachments.provided(files):
                await sender.send(row, message)
        except RetryLater as exc:
            if exc.seconds is not None and self.limiter is not None:
                await self._locked(self.limiter.block_chat(row.platform, row.chat_id, exc.seconds))
            wait = exc.seconds if exc.seconds is not None else backoff(attempts)
            now = self.clock()
            log.info("outbox: %s to %s again in %.1f s (%s)", row.key, row.chat_id, wait, exc)
            await self._write(finish, row.id, ok=False, now=now, error=str(exc), retry_in=wait)
            self._count(row, "retry", rate_limited=exc.seconds is not None)
            if attempts < MAX_ATTEMPTS:
                self._held(now + dt.timedelta(seconds=wait))
        except PermanentFailure as exc:
            await self._write(finish, row.id, ok=False, now=self.clock(), error=str(exc))
            self._count(row, "failed")
        except Exception as exc:  # unknown errors: retry with backoff, keep the error visible
            log.warning("sending %s failed: %r", row.key, exc)
            await self._write(finish, row.id, ok=False, now=self.clock(), error=repr(exc)[:500], retry_in=backoff(attempts))
            self._count(row, "retry")
        else:
            await self._write(finish, row.id, ok=True, now=self.clock())
            self._count(row, "sent")
        return True

    def _count(self, row: Outbox, outcome: str, rate_limited: bool = False) -> None:
        if self.deliveries is not None:
            self.deliveries.labels(row.platform, outcome).inc()
        if rate_limited and self.rate_limited is not None:  # a 429: the platform said how long to wait
            self.rate_limited.labels(row.platform).inc()

    async def _attachments(self, message: Outgoing) -> dict[str, attachments.File]:
        refs = [p for p in (message.image_path, message.file_path) if p and attachments.is_ref(p)]
        if not refs:
            return {}
        async with self.db.read() as session:
            return await attachments.load(session, refs)

    async def drain(self) -> int:
        total = 0
        while n := await self.deliver_due():
            total += n
        return total

    def _held(self, due: dt.datetime) -> None:
        if self.held_until is None or due < self.held_until:
            self.held_until = due

    def idle_timeout(self, idle_seconds: float) -> float:
        """How long an idle loop waits: its idle timeout, or less when a row this worker held back (its
        chat's limit, a short retry_after) is due sooner, so that row goes out when due."""
        if self.held_until is None:
            return idle_seconds
        left = (self.held_until - self.clock()).total_seconds()
        if left <= 0:
            self.held_until = None
            return 0.0
        return min(idle_seconds, left)

    async def idle(self, seconds: float) -> None:
        """Wait for a wake-up (a row queued) or `seconds`, whichever comes first."""
        try:
            await asyncio.wait_for(self.wakeup.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    async def run_forever(self, idle_seconds: float = 1.0) -> None:
        while True:
            # cleared before the pass: a reply queued while the pass runs (after its claim looked)
            # leaves the event set, so it is sent next instead of after the idle timeout
            self.wakeup.clear()
            if self.held_until is not None and self.held_until <= self.clock():
                self.held_until = None  # due now: this pass takes it
            try:
                if await self.deliver_due():
                    continue
            except Exception:
                log.exception("delivery pass failed")
            await self.idle(self.idle_timeout(idle_seconds))
