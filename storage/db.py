"""Database engines and transactions.

SQLite: WAL, a busy timeout, and write transactions that start with BEGIN IMMEDIATE so a
read-then-write transaction never fails with SQLITE_BUSY half-way. Reads use their own
engine and plain deferred transactions, so they never wait for a writer under WAL.
PostgreSQL: one engine, READ COMMITTED; claims use FOR UPDATE SKIP LOCKED.

Short write transactions (``write(quick=True)``: a message's note, button or answer) run on SQLite in
the event loop's own thread instead of through aiosqlite's worker thread. Each statement there is a
few microseconds of SQLite but two thread switches through aiosqlite (four per SELECT: cursor, execute,
fetch, close), which made the thread hops, not SQLite, the cost of a note. The loop never waits for
a lock inline: that connection has no busy timeout and BEGIN IMMEDIATE is retried with an async
sleep (the same 10 s budget), so a writer elsewhere (another transaction in this process, another
process) is waited for without blocking the loop. Long transactions (imports, scans) stay threaded.

Those quick transactions run on a plain (blocking) SQLAlchemy Session over sqlite3, behind InlineSession's
async methods: no AsyncSession, so no greenlet per call and no aiosqlite adapter per statement (issue 17:
the async bridge cost more than a note's SQL).
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from . import team_versions  # noqa: F401 - registers the listeners that bump a team's customer version
from .crypto import attach
from .raw_sql import hold_writes
from .db_urls import async_url, sync_url

MIGRATIONS = Path(__file__).parent / "migrations"


def private_file(path: Path) -> None:
    """A new SQLite database file is created readable by its owner only (0600; SQLite gives its WAL
    and journal the same mode), in a directory made 0700."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


BUSY_SECONDS = 10.0  # how long a write waits for another writer's lock (the busy_timeout above)


def _no_busy_wait(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")  # never block the event loop on a lock (see Database._quick)
    cursor.close()


PING_IDLE_SECONDS = 5.0  # a pooled PostgreSQL connection unused this long is pinged before it is handed out


def _ping_when_idle(engine: Engine) -> None:
    """pool_pre_ping for connections that sat in the pool a while: one that was in use a moment ago is handed
    out as it is (a ping is a round trip of its own before every transaction, the most costly part of a busy
    replica's note), one idle longer (a database restarted meanwhile, a connection dropped by a firewall) is
    pinged and, when dead, replaced before anyone uses it, as pool_pre_ping does."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:  # noqa: ANN001 - SQLAlchemy event signature
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:  # noqa: ANN001 - SQLAlchemy event signature
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < PING_IDLE_SECONDS:
            return  # new (just connected), or used a moment ago
        if not engine.dialect._do_ping_w_event(dbapi_connection):  # what pool_pre_ping calls
            raise DisconnectionError("the pooled connection was dropped while idle")


_IDLE_SINCE = "crmbot_idle_since"


def is_locked(error: BaseException) -> bool:
    """A SQLite write that gave up waiting for another writer's lock (SQLAlchemy's error or sqlite3's)."""
    error = getattr(error, "orig", None) or error
    return isinstance(error, sqlite3.OperationalError) and ("locked" in str(error) or "busy" in str(error))


class InlineConnection:
    """AsyncConnection's methods over a blocking Connection (InlineSession.connection())."""

    def __init__(self, sync_connection) -> None:
        self.sync_connection = sync_connection

    def __getattr__(self, name: str):
        return getattr(self.sync_connection, name)

    async def execute(self, *args, **kwargs):
        return self.sync_connection.execute(*args, **kwargs)

    async def exec_driver_sql(self, *args, **kwargs):
        return self.sync_connection.exec_driver_sql(*args, **kwargs)

    async def scalar(self, *args, **kwargs):
        return self.sync_connection.scalar(*args, **kwargs)

    async def scalars(self, *args, **kwargs):
        return self.sync_connection.scalars(*args, **kwargs)

    async def run_sync(self, fn, *args, **kwargs):
        return fn(self.sync_connection, *args, **kwargs)

    async def get_raw_connection(self):
        return self.sync_connection.connection


class InlineSession:
    """AsyncSession's methods over a blocking sqlmodel Session whose statements run at once in the loop's
    thread (SQLite quick writes). Everything else (add, info, identity_map, new, dirty, sync_session…) is the
    Session's own, as AsyncSession proxies it."""

    def __init__(self, sync_session: Session) -> None:
        self.sync_session = sync_session

    def __getattr__(self, name: str):
        return getattr(self.sync_session, name)

    async def exec(self, *args, **kwargs):
        return self.sync_session.exec(*args, **kwargs)

    async def execute(self, *args, **kwargs):
        return self.sync_session.execute(*args, **kwargs)

    async def scalar(self, *args, **kwargs):
        return self.sync_session.scalar(*args, **kwargs)

    async def scalars(self, *args, **kwargs):
        return self.sync_session.scalars(*args, **kwargs)

    async def get(self, *args, **kwargs):
        return self.sync_session.get(*args, **kwargs)

    async def get_one(self, *args, **kwargs):
        return self.sync_session.get_one(*args, **kwargs)

    async def refresh(self, *args, **kwargs) -> None:
        self.sync_session.refresh(*args, **kwargs)

    async def merge(self, *args, **kwargs):
        return self.sync_session.merge(*args, **kwargs)

    async def delete(self, instance) -> None:
        self.sync_session.delete(instance)

    async def flush(self, objects=None) -> None:
        self.sync_session.flush(objects)

    async def run_sync(self, fn, *args, **kwargs):
        return fn(self.sync_session, *args, **kwargs)

    async def connection(self, **kwargs) -> InlineConnection:
        return InlineConnection(self.sync_session.connection(**kwargs))

    async def commit(self) -> None:
        self.sync_session.commit()

    async def rollback(self) -> None:
        self.sync_session.rollback()

    async def close(self) -> None:
        self.sync_session.close()


class Database:
    def __init__(self, url: str, cipher=None) -> None:
        """cipher: a storage.crypto.Cipher when phone numbers and emails are encrypted at rest."""
        self.url = url
        self.cipher = cipher
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        if self.is_sqlite:
            path = make_url(url).database
            if path and path != ":memory:":
                private_file(Path(path).expanduser())
            self.write_engine = self._sqlite_engine("BEGIN IMMEDIATE")
            self.read_engine = self._sqlite_engine("BEGIN")
            self.quick_engine: Engine | None = self._inline_engine()
            self._idle: list[Connection] = []  # the quick engine's open connections, none in a transaction
        else:
            self.write_engine = create_async_engine(async_url(url))
            _ping_when_idle(self.write_engine.sync_engine)
            hold_writes(self.write_engine.sync_engine)
            self.read_engine = self.write_engine
            self.quick_engine = None
        for engine in {self.write_engine, self.read_engine, self.quick_engine} - {None}:
            attach(engine, cipher)

    def _sqlite_engine(self, begin: str) -> AsyncEngine:
        engine = create_async_engine(async_url(self.url))
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn):  # noqa: ANN001 - SQLAlchemy event signature
            conn.exec_driver_sql(begin)

        return engine

    def _inline_engine(self) -> Engine:
        """The blocking engine of quick writes: sqlite3 in the loop's thread, never waiting for a lock there."""
        path = make_url(self.url).database or ":memory:"
        # NullPool: a blocking pool that ran out would block the event loop waiting for a connection (a burst of
        # deliveries); connections are kept open by _quick's own list instead
        engine = create_engine(sync_url(self.url), creator=lambda: sqlite3.connect(path, check_same_thread=False), poolclass=NullPool)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _no_busy_wait)

        @event.listens_for(engine, "begin")
        def _begin(conn):  # noqa: ANN001 - SQLAlchemy event signature
            # on the driver (SQLAlchemy's statement machinery cost more than the BEGIN); busy_timeout=0: fails at
            # once on a held lock (see _quick)
            conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE")

        return engine

    @contextlib.asynccontextmanager
    async def _quick(self) -> AsyncIterator[InlineSession]:
        """A quick write on SQLite: BEGIN IMMEDIATE at once, retried with an async sleep while another writer
        holds the lock (the same budget as busy_timeout), so the loop never blocks on it. Its connection is kept
        open for the next one (checking one out of the pool and back in cost more than the transaction's SQL)."""
        assert self.quick_engine is not None
        # let the loop's other ready tasks run first, as a transaction through aiosqlite did: without any yield a
        # burst of deliveries interleaved differently and sent 34 in one second (test_telegram_delivery's burst).
        # Before taking a connection: a task cancelled here holds none.
        await asyncio.sleep(0)
        connection = self._idle.pop() if self._idle else self.quick_engine.connect()
        session = Session(connection, expire_on_commit=False)
        try:
            deadline, delay = time.monotonic() + BUSY_SECONDS, 0.001
            while True:
                try:
                    session.connection()
                    break
                except (OperationalError, sqlite3.OperationalError) as error:  # raised by the driver in the begin event
                    session.close()
                    if not is_locked(error) or time.monotonic() >= deadline:
                        raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.01)  # try often: SQLite hands the lock to whoever asks first, not to who waited longest
            try:
                yield InlineSession(session)
            except BaseException:
                session.rollback()
                raise
            session.commit()
        finally:
            session.close()
            if connection.invalidated or connection.in_transaction() or len(self._idle) >= 8:
                connection.close()
            else:
                self._idle.append(connection)

    @contextlib.asynccontextmanager
    async def write(self, quick: bool = False) -> AsyncIterator[AsyncSession]:
        """One write transaction: commits on success, rolls back on any exception.

        quick=True: a short transaction (one message's work); on SQLite it runs in the loop's thread.
        """
        if quick and self.quick_engine is not None:
            async with self._quick() as inline:
                yield inline  # type: ignore[misc] - AsyncSession's methods, as used by the handlers
            return
        if quick:  # PostgreSQL: begun by its first statement; committed (or rolled back) and closed in one trip
            session = AsyncSession(self.write_engine, expire_on_commit=False)  # through the async bridge, not three
            try:
                yield session
            except BaseException:
                await session.run_sync(_rollback_and_close)
                raise
            try:
                await session.run_sync(_commit_and_close)
            except BaseException:
                await session.run_sync(_rollback_and_close)
                raise
            return
        async with AsyncSession(self.write_engine, expire_on_commit=False) as session:
            async with session.begin():
                yield session

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with AsyncSession(self.read_engine, expire_on_commit=False) as session:
            async with session.begin():
                yield session

    def migrate(self) -> None:
        """Bring the schema to the newest migration (blocking; call at start-up)."""
        migrate(self.url)

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
        if self.quick_engine is not None:
            while self._idle:
                self._idle.pop().close()
            self.quick_engine.dispose()


def _commit_and_close(session: Session) -> None:
    session.commit()
    session.close()


def _rollback_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return cfg


MIGRATION_LOCK = 0x63726D6D  # the advisory lock key every replica's `crmbot migrate` takes ('crmm')


def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the schema, one process at a time: replicas starting together wait for the first,
    then find nothing left to do (a PostgreSQL advisory lock; on SQLite a lock file beside the database)."""
    from .schema_version import is_current

    if revision == "head" and is_current(url):
        return  # nothing to do: alembic is not even imported (most of a start-up's time)
    from alembic import command

    with _migration_lock(url):
        command.upgrade(alembic_config(url), revision)


@contextlib.contextmanager
def _migration_lock(url: str):
    if make_url(url).get_backend_name() == "sqlite":
        path = make_url(url).database
        if not path or path == ":memory:":
            yield
            return
        private_file(Path(path).expanduser())
        import fcntl

        with open(str(Path(path).expanduser()) + ".migrate-lock", "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)  # released when the file closes, or the process dies
            yield
        return
    import psycopg

    # session-level lock on a connection of its own: released on unlock, or by the server if we die
    with psycopg.connect(make_url(sync_url(url)).set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


def schema_revisions(url: str) -> tuple[str | None, str]:
    """(the database's revision, the newest this code knows). Reads only: a missing database or
    table reads as None, and nothing is created (read-only commands touch no schema)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, pool

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head() or ""
    if make_url(url).get_backend_name() == "sqlite":
        path = make_url(url).database
        if not path or path == ":memory:" or not Path(path).expanduser().exists():
            return None, head
        url = f"sqlite:///file:{Path(path).expanduser()}?mode=ro&uri=true"  # never creates the file
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision(), head
    finally:
        engine.dispose()


def schema_problem(url: str) -> str | None:
    """One line saying why this database cannot be served by this code, or None when it is current."""
    current, head = schema_revisions(url)
    if current == head:
        return None
    if current is None:
        return "the database has no schema yet: run `crmbot migrate` (or `crmbot run --migrate`)"
    from alembic.script import ScriptDirectory

    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config(url)).walk_revisions()}
    if current not in known:
        return f"the database's schema ({current}) is newer than this version of crmbot ({head}): upgrade crmbot"
    return f"the database's schema is {current}, this version needs {head}: run `crmbot migrate` (or `crmbot run --migrate`)"
