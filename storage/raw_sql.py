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
is held back and sent with the others in one pipeline (one round trip) right before the next statement that
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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.util.concurrency import await_

from .types import _json_text  # the JSON text the models' JSON columns store

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

    async def send_held(self, then: str | None = None, params: Any = None) -> list[tuple]:
        """The held-back writes, in order, in one pipeline (PostgreSQL), followed by ``then`` (a statement
        whose rows are returned, or COMMIT): one round trip for all of them."""
        held, self._held = self._held, []
        sql = held[0][0] if held else then or ""
        try:
            async with self._driver.pipeline() as pipeline:
                async with self._driver.cursor() as cursor:
                    for sql, values, many in held:
                        if many:
                            await cursor.executemany(_pg(sql), values)
                        else:
                            await cursor.execute(_pg(sql), values)
                    if then is None:
                        return []
                    sql = then
                    if then == "COMMIT":
                        await self._driver.execute("COMMIT")
                        return []
                    await cursor.execute(_pg(then), params)
                    await pipeline.sync()  # its results arrive here (until then the cursor has no description)
                    return list(await cursor.fetchall()) if cursor.description else []
        except Exception as error:
            raise _translated(error, sql, params) from error

    def drop_held(self) -> None:
        self._held = []

    def value(self, value: Any) -> Any:
        """A Python value as its column stores it."""
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(dt.timezone.utc)
            return value.strftime("%Y-%m-%d %H:%M:%S.%f") if self.is_sqlite else value  # SQLAlchemy's SQLite text form
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
            return list(await cursor.fetchall()) if cursor.description else []
        except Exception as error:
            raise _translated(error, sql, params) from error

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
            raise _translated(error, sql, rows) from error


def _inline_sqlite3(driver: Any) -> sqlite3.Connection | None:
    """The sqlite3 connection itself when it runs in the loop's thread (a quick write: db.InlineSession)."""
    return driver if isinstance(driver, sqlite3.Connection) else None


def _translated(error: Exception, sql: str, params: Any) -> Exception:
    if isinstance(error, sqlite3.IntegrityError) or type(error).__name__ in ("UniqueViolation", "IntegrityError", "ForeignKeyViolation"):
        return IntegrityError(sql, params, error)
    return error


async def raw(session) -> Raw:
    """The Raw of the session's current transaction (begun here if it was not yet)."""
    sync = session.sync_session
    cached = sync.info.get(_CACHE)
    transaction = sync.get_transaction()
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]
    connection = await session.connection()
    fairy = await connection.get_raw_connection()
    holds = getattr(connection.sync_connection.engine, _HOLDS, False)
    made = Raw(fairy.driver_connection, connection.dialect.name == "sqlite", holds)
    sync.info[_CACHE] = (sync.get_transaction(), made)
    if holds:
        connection.sync_connection.info[_HOLDER] = made  # for the listeners below
    return made


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
