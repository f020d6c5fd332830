"""Statements run on the transaction's own driver connection, below SQLAlchemy: a note's hot path.

A note runs about ten short statements. Through SQLAlchemy each cost far more Python than the database
spends on it (statement cache lookups, result objects, the async bridge's greenlet switches); here each is
one driver call. They run on the session's connection, so in the session's transaction: they commit or roll
back with it, and see (and are seen by) its other statements. The ORM's pending objects are not flushed
first, as with Core statements. Values go in as the models' column types would store them (UTC datetimes
without an offset on SQLite, JSON as text); encrypted columns are never written here.

SQL is written with :name parameters, SQLite's own style; psycopg gets them as %(name)s. A unique key
violated here raises SQLAlchemy's IntegrityError, like the statements it replaces.

On PostgreSQL a statement whose result nobody reads (execute, execute_many: the note's INSERTs and UPDATEs)
is held back and sent with the others in one request (one round trip) right before the next statement that
reads (with it), before any SQLAlchemy statement on the connection, and at commit (with the COMMIT); a
rollback drops them. Their order is kept, so every read still sees every earlier write; an error in one (a
unique key) is raised there and fails the transaction as before.
"""
from __future__ import annotations

import datetime as dt
import re
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.util.concurrency import await_

from .types import _json_text  # the JSON text the models' JSON columns store

_TUPLES_OK = 2  # libpq's PGRES_TUPLES_OK (psycopg.pq.ExecStatus.TUPLES_OK)
_CACHE = "crmbot_raw_sql"  # session.info: (the transaction, its Raw)
_PG_PARAMS: dict[str, str] = {}


def _pg(sql: str) -> str:
    done = _PG_PARAMS.get(sql)
    if done is None:
        done = _PG_PARAMS[sql] = re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql.replace("%", "%%"))
    return done


class Raw:
    """One transaction's driver connection: SQLite's sqlite3 (in the loop's thread, or via aiosqlite's) or psycopg's."""

    def __init__(self, driver: Any, is_sqlite: bool, holds: bool = False) -> None:
        self.is_sqlite = is_sqlite
        self._holds = holds and not is_sqlite  # writes held back (an engine given hold_writes)
        self._driver = driver
        self._inline = _inline_sqlite3(driver) if is_sqlite else None
        self._held: list[tuple[str, Any, bool]] = []  # PostgreSQL: (sql, params or rows, many) not sent yet
        # rows read ahead for this transaction by whoever knew they would be wanted (the router's first round trip
        # on PostgreSQL: the member, their open question), taken by the function that would read them (take())
        self.ahead: dict[tuple, Any] = {}
        self.team_versions: dict[int, int] = {}  # a team's customer_version as read in this transaction (with the team)

    def take(self, key: tuple) -> Any:
        """What was read ahead under ``key`` in this transaction (once), else None."""
        return self.ahead.pop(key, None) if self.ahead else None

    async def reads(self, statements: list[tuple[str, Any]]) -> list[list[tuple]]:
        """Several statements' rows, in order; on PostgreSQL in one round trip (one request, after the held
        writes). Each statement still sees what the earlier ones did."""
        if self._inline is not None or self.is_sqlite or len(statements) == 1:
            return [await self.rows(sql, params) for sql, params in statements]
        return await self._batch(statements)

    async def send_held(self, then: str | None = None, params: Any = None) -> list[tuple]:
        """The held-back writes, in order, in one request (PostgreSQL), followed by ``then`` (a statement
        whose rows are returned, or COMMIT): one round trip for all of them."""
        if then == "COMMIT":
            await self._batch([], commit=True)
            return []
        return (await self._batch([(then, params)] if then is not None else []) or [[]])[0]

    async def _batch(self, statements: list[tuple[str, Any]], commit: bool = False) -> list[list[tuple]]:
        """The held writes, then ``statements`` (their rows returned, in order), then COMMIT if asked: one request,
        so one round trip. Sent as one simple query of several statements with the values bound by psycopg's
        client-side cursor (its own quoting): one message and one parse of results instead of a pipeline's
        per-statement machinery, which cost more CPU than the statements. Each statement still runs in order in
        the transaction, and the first that fails (a unique key) fails the request and the transaction."""
        held, self._held = self._held, []
        cursor = _psycopg().AsyncClientCursor(self._driver)
        parts = []
        sql: str = "COMMIT" if commit else ""
        params: Any = None
        try:
            for sql, params, many in held:
                for values in params if many else (params,):
                    parts.append(cursor.mogrify(_pg(sql), values or {}))
            for sql, params in statements:
                parts.append(cursor.mogrify(_pg(sql), params or {}))
            if commit:
                sql, params = "COMMIT", None
                parts.append("COMMIT")
            if not parts:
                return []
            await cursor.execute(";\n".join(parts))
            results = []
            for index in range(len(parts)):  # one result per statement, in order
                if index >= len(parts) - len(statements) - commit and index < len(parts) - commit:
                    results.append(list(await cursor.fetchall()) if _has_rows(cursor) else [])
                if index < len(parts) - 1:
                    cursor.nextset()
            return results
        except Exception as error:
            raise _translated(error, sql, params, self._driver) from error
        finally:
            await cursor.close()

    def drop_held(self) -> None:
        self._held = []

    def value(self, value: Any) -> Any:
        """A Python value as its column stores it."""
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(dt.timezone.utc)
            # SQLAlchemy's SQLite text form, "%Y-%m-%d %H:%M:%S.%f" (isoformat writes it faster than strftime)
            return value.replace(tzinfo=None).isoformat(" ", "microseconds") if self.is_sqlite else value
        if isinstance(value, (list, dict)):
            return _json_text(value)
        return value

    async def rows(self, sql: str, params: dict) -> list[tuple]:
        try:
            if self._inline is not None:
                return self._inline.execute(sql, params).fetchall()
            if self.is_sqlite:
                async with self._driver.execute(sql, params) as cursor:
                    return list(await cursor.fetchall())
            if self._held:
                return await self.send_held(sql, params)
            cursor = await self._driver.execute(_pg(sql), params)
            return list(await cursor.fetchall()) if _has_rows(cursor) else []
        except Exception as error:
            raise _translated(error, sql, params, self._driver) from error

    async def one(self, sql: str, params: dict) -> tuple | None:
        found = await self.rows(sql, params)
        return found[0] if found else None

    async def execute(self, sql: str, params: dict) -> None:
        if self._holds:
            self._held.append((sql, params, False))
            return
        await self.rows(sql, params)

    async def execute_many(self, sql: str, rows: list[dict]) -> None:
        if self._holds:
            self._held.append((sql, rows, True))
            return
        try:
            if self._inline is not None:
                self._inline.executemany(sql, rows)
            elif self.is_sqlite:
                await self._driver.executemany(sql, rows)
            else:
                async with self._driver.cursor() as cursor:
                    await cursor.executemany(_pg(sql), rows)
        except Exception as error:
            raise _translated(error, sql, rows, self._driver) from error


def _psycopg():
    import psycopg  # only ever on PostgreSQL (a SQLite install need not load it)

    return psycopg


def _has_rows(cursor) -> bool:
    """A psycopg cursor's last statement returned rows (cheaper than .description, which builds every column's object)."""
    result = cursor.pgresult
    return result is not None and result.status == _TUPLES_OK


def _inline_sqlite3(driver: Any) -> sqlite3.Connection | None:
    """The sqlite3 connection itself when it runs in the loop's thread (a quick write: db.InlineSession)."""
    return driver if isinstance(driver, sqlite3.Connection) else None


def _translated(error: Exception, sql: str, params: Any, driver: Any = None) -> Exception:
    """The driver's error as SQLAlchemy would raise it where a caller tells them apart: a unique key, a lost connection."""
    if isinstance(error, sqlite3.IntegrityError) or type(error).__name__ in ("UniqueViolation", "IntegrityError", "ForeignKeyViolation"):
        return IntegrityError(sql, params, error)
    if not isinstance(driver, sqlite3.Connection) and getattr(driver, "closed", False) is True:  # psycopg: the server went away
        return OperationalError(sql, params, error, connection_invalidated=True)
    return error


async def raw(session) -> Raw:
    """The Raw of the session's current transaction (begun here if it was not yet)."""
    sync = session.sync_session
    cached = sync.info.get(_CACHE)
    transaction = sync.get_transaction()
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]
    connection, driver = await session.run_sync(_driver_of)  # one trip through the async bridge, not two
    holds = getattr(connection.engine, _HOLDS, False)
    made = Raw(driver, connection.dialect.name == "sqlite", holds)
    sync.info[_CACHE] = (sync.get_transaction(), made)
    if holds:
        connection.info[_HOLDER] = made  # for the listeners below
    return made


def _driver_of(sync_session) -> tuple[Any, Any]:
    """(the session's Connection, begun, and its driver's own connection: sqlite3, aiosqlite's or psycopg's)."""
    connection = sync_session.connection()
    return connection, connection.connection.driver_connection


_HOLDS = "crmbot_holds_writes"  # an Engine attribute: hold_writes was given it
_HOLDER = "crmbot_raw_held"  # Connection.info: the Raw whose held-back writes go before the connection's next statement


def hold_writes(engine: Engine) -> None:
    """Let Raw hold back a PostgreSQL engine's writes: sent at its connections' next statement or commit,
    dropped at rollback."""
    setattr(engine, _HOLDS, True)
    event.listen(engine, "before_cursor_execute", _send_before_statement)
    event.listen(engine, "commit", _send_with_commit)
    event.listen(engine, "rollback", _drop_on_rollback)


def _send_before_statement(conn, _cursor, _statement, _parameters, _context, _executemany) -> None:
    held = conn.info.get(_HOLDER)
    if held is not None and held._held:
        await_(held.send_held())  # SQLAlchemy's async engine runs this in its greenlet


def _send_with_commit(conn) -> None:
    """Right before the driver's commit (after the ORM's flush): the held writes and COMMIT in one round trip;
    psycopg's own commit then finds no transaction left and sends nothing."""
    held = conn.info.pop(_HOLDER, None)
    if held is not None and held._held:
        await_(held.send_held("COMMIT"))


def _drop_on_rollback(conn) -> None:
    held = conn.info.pop(_HOLDER, None)
    if held is not None:
        held.drop_held()
