"""PostgreSQL: wake the messages waiting for an earlier inbox row of their chat the moment that row leaves
'received', on any replica (issue 18; handlers/router.py's per-chat order across replicas).

The transaction that moves a row out of 'received' (messaging.inbox_mark_handled, the router's record of a
failure) also runs pg_notify(CHANNEL, <row id>); PostgreSQL delivers it when that transaction commits, to
every connection LISTENing. Each replica listens on one connection of its own (`listen`, started by
bot/runner.serve) and sets the Event of whoever in this process waits for that row (`Waiters.watch`).

A notification can only be missed while the listening connection is down: then `listening()` is False
and the waiters poll as before (2 ms doubling to 100 ms); while it is up they still look again every
SLOW_POLL, a fallback that never matters unless a row leaves 'received' by a path that does not notify.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

log = logging.getLogger(__name__)

CHANNEL = "crmbot_inbox"  # NOTIFY payload: the id of an inbox row that is no longer 'received'
SLOW_POLL = 1.0  # seconds between a waiter's looks while the listener is up
RECONNECT = 2.0  # seconds before the listener tries again after its connection failed

NOTIFY_SQL = "SELECT pg_notify('" + CHANNEL + "', CAST(:row_id AS text))"


class Waiters:
    """This process's waiters, by inbox row id, and whether its listener (per database URL) is up."""

    def __init__(self) -> None:
        self._rows: dict[int, set[asyncio.Event]] = {}
        self._listening: set[str] = set()

    def listening(self, db_url: str) -> bool:
        return db_url in self._listening

    @contextlib.contextmanager
    def watch(self, row_id: int) -> Iterator[asyncio.Event]:
        """An Event set when row `row_id` leaves 'received'. Enter it before looking at the row: a
        notification that arrives between the look and the wait is then not lost."""
        event = asyncio.Event()
        self._rows.setdefault(row_id, set()).add(event)
        try:
            yield event
        finally:
            events = self._rows.get(row_id)
            if events is not None:
                events.discard(event)
                if not events:
                    del self._rows[row_id]

    def left(self, row_id: int) -> None:
        for event in self._rows.get(row_id, ()):
            event.set()

    def _up(self, db_url: str) -> None:
        self._listening.add(db_url)

    def _down(self, db_url: str) -> None:
        """Every waiter looks again (and polls from now on): notifications may have been missed."""
        self._listening.discard(db_url)
        for events in self._rows.values():
            for event in events:
                event.set()


WAITERS = Waiters()


async def listen(db_url: str, waiters: Waiters = WAITERS, listening: asyncio.Event | None = None) -> None:
    """LISTEN on a connection of its own and wake the waiters of each row named; runs until cancelled,
    reconnecting when the connection drops."""
    import psycopg
    from sqlalchemy.engine import make_url

    from .leases import KEEPALIVE

    dsn = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(dsn, autocommit=True, **KEEPALIVE) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                waiters._up(db_url)
                if listening is not None:
                    listening.set()
                async for note in conn.notifies():
                    if note.payload.isdigit():
                        waiters.left(int(note.payload))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("inbox: listening for handled rows failed (%r); polling, and listening again in %.0f s", exc, RECONNECT)
        finally:
            waiters._down(db_url)
        await asyncio.sleep(RECONNECT)
