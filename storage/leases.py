"""Leases: work that must run on exactly one replica at a time (the scheduler tick, retention, backups,
Telegram long polling), each a lease of its own, so they may spread over the replicas.

PostgreSQL: a session-level advisory lock held on a connection of the lease's own. The server
releases it the moment that connection ends, so a replica that dies (SIGKILL, a lost host: TCP
keepalives end the connection within about 15 s) hands the lease over to the next replica that
asks; replicas ask every `Singleton.retry_seconds`. The holder checks its connection at the same
pace and stops the work as soon as the connection is gone. The connection's application_name is
the worker id, so `holders()` (and /readyz, the metrics) can say who holds what.

SQLite: one machine, so an exclusive lock on a file beside the database (flock; released by the
kernel when the process dies) plays the same part.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Awaitable, Callable
from typing import Any
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

KEEPALIVE: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}


def lease_key(name: str) -> int:
    """The advisory lock key of a lease: a stable 32-bit number (so pg_locks.objid shows it whole)."""
    return zlib.crc32(f"crmbot:{name}".encode())


class Leases:
    """The leases this process holds, by name."""

    def __init__(self, db_url: str, worker: str) -> None:
        self.url = make_url(db_url)
        self.worker = worker
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self._held: dict[str, object] = {}  # name → the psycopg connection or the open lock file

    def holds(self, name: str) -> bool:
        return name in self._held

    async def try_acquire(self, name: str) -> bool:
        """Take the lease if nobody holds it; True when this process holds it now."""
        if name in self._held:
            return True
        holder = await (self._acquire_file(name) if self.is_sqlite else self._acquire_pg(name))
        if holder is None:
            return False
        self._held[name] = holder
        log.info("lease %s taken by %s", name, self.worker)
        return True

    async def still_held(self, name: str) -> bool:
        """Whether the lease is still ours (PostgreSQL: its connection still answers)."""
        holder = self._held.get(name)
        if holder is None:
            return False
        if self.is_sqlite:
            return True
        try:
            await asyncio.wait_for(holder.execute("SELECT 1"), 10)  # type: ignore[attr-defined]
            return True
        except Exception as exc:  # the connection is gone, so is the lock: stop before someone else starts
            log.warning("lease %s lost (%r)", name, exc)
            await self._forget(name)
            return False

    async def release(self, name: str) -> None:
        await self._forget(name)

    async def release_all(self) -> None:
        for name in list(self._held):
            await self._forget(name)

    async def holders(self) -> dict[str, str]:
        """lease name → worker id of the holder: any replica's (PostgreSQL), or ours (SQLite)."""
        if self.is_sqlite:
            return {name: self.worker for name in self._held}
        import psycopg

        async with await psycopg.AsyncConnection.connect(self._dsn(), autocommit=True) as conn:
            rows = await (
                await conn.execute(
                    "SELECT l.objid::bigint, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objsubid = 1 "
                    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            ).fetchall()
        by_key = {key: app for key, app in rows}
        return {name: by_key[lease_key(name)] for name in KNOWN_LEASES if lease_key(name) in by_key}

    # ---- the two kinds of holder --------------------------------------------------------------------------------
    def _dsn(self) -> str:
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def _acquire_pg(self, name: str):
        import psycopg

        conn = await psycopg.AsyncConnection.connect(self._dsn(), autocommit=True, application_name=self.worker[:63], **KEEPALIVE)
        try:
            got = (await (await conn.execute("SELECT pg_try_advisory_lock(%s)", (lease_key(name),))).fetchone())[0]  # type: ignore[index]
        except Exception:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return None
        return conn

    async def _acquire_file(self, name: str):
        import fcntl

        path = Path(self.url.database or "crmbot.db").expanduser()
        lock_file = open(f"{path}.lease-{name}", "a")  # noqa: SIM115 - held open for as long as the lease
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock_file.close()
            return None
        return lock_file

    async def _forget(self, name: str) -> None:
        holder = self._held.pop(name, None)
        if holder is None:
            return
        with contextlib.suppress(Exception):  # closing ends the session: the server or the kernel releases the lock
            result = holder.close()  # type: ignore[attr-defined]
            if asyncio.iscoroutine(result):
                await result
        log.info("lease %s released by %s", name, self.worker)


SCHEDULER = "scheduler"  # the minute tick: reminders, greetings, nags, digests …
RETENTION = "retention"  # redacting old message copies, pruning charts (once a day)
BACKUPS = "backups"  # the daily backup
TELEGRAM_POLLING = "telegram-polling"  # getUpdates: Telegram answers one poller per token
INBOX_SWEEP = "inbox-sweep"  # handling what a dead replica acked but never handled (bot/runner.py)
KNOWN_LEASES = (SCHEDULER, RETENTION, BACKUPS, TELEGRAM_POLLING, INBOX_SWEEP)
JOB_LEASES = {SCHEDULER: "tick", RETENTION: "retention", BACKUPS: "backup"}  # lease → the scheduler job it runs (reminders/jobs.py)


class Singleton:
    """Runs `start` while this process holds lease `name` and `stop` when it loses it.

    `step()` is one look (take the lease if free, or check it is still ours); `run()` looks every
    `retry_seconds`, so a dead holder's lease is taken over within that (plus the keepalive time).
    """

    def __init__(
        self,
        leases: Leases,
        name: str,
        start: Callable[[], Awaitable[None]],
        stop: Callable[[], Awaitable[None]],
        *,
        retry_seconds: float = 5.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.leases, self.name, self._start, self._stop = leases, name, start, stop
        self.retry_seconds = retry_seconds
        self.sleep = sleep
        self.running = False

    async def step(self, raise_errors: bool = False) -> bool:
        """One look; True while this process runs the work. raise_errors: a failing start is raised
        (at start-up, so `crmbot run` says what is wrong) instead of logged and tried again later."""
        if self.running:
            if not await self.leases.still_held(self.name):
                await self._halt()
            return self.running
        try:
            got = await self.leases.try_acquire(self.name)
        except Exception as exc:  # the database is away: try again next time
            log.warning("lease %s: could not ask (%r)", self.name, exc)
            return False
        if got:
            try:
                await self._start()
                self.running = True
            except Exception:
                await self.leases.release(self.name)
                if raise_errors:
                    raise
                log.exception("starting %s failed; the lease is given back", self.name)
        return self.running

    async def run(self) -> None:
        me = asyncio.current_task()
        try:
            while True:
                await self.step()
                if me is not None and me.cancelling():
                    # a cancel that reached step() but was swallowed on the way (Python 3.11's wait_for
                    # returns a result that arrived with the cancel; a driver may turn it into an error
                    # still_held catches): stop anyway, or `crmbot run` never exits on SIGTERM
                    raise asyncio.CancelledError
                await self.sleep(self.retry_seconds)
        finally:
            await self.close()

    async def close(self) -> None:
        if self.running:
            await self._halt()
        await self.leases.release(self.name)

    async def _halt(self) -> None:
        self.running = False
        try:
            await self._stop()
        except Exception:
            log.exception("stopping %s failed", self.name)
        await self.leases.release(self.name)
