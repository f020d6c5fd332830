"""Putting a push into the outbox: once per key, never before the recipient's working hours.

The key names (kind, subject, occurrence), so every process and every restart computes the same
key for the same push; the insert is INSERT … ON CONFLICT DO NOTHING, so racing writers on
SQLite or PostgreSQL leave exactly one row. Extra facts for the delivery side (the task a
reminder is about, when the push stops being worth sending) travel in body["meta"].
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from chat.messages import Outgoing
from storage.models import Outbox

from .destinations import Destination

LATE_AFTER = dt.timedelta(minutes=15)  # a push sent this long after its moment is marked late


async def exists(session, key: str) -> bool:
    return (await session.exec(select(Outbox.id).where(Outbox.key == key))).first() is not None


async def existing_keys(session, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set((await session.exec(select(Outbox.key).where(col(Outbox.key).in_(keys)))).all())


async def queue(
    session,
    *,
    key: str,
    kind: str,
    dest: Destination,
    message: Outgoing,
    due_at: dt.datetime,
    member_id: int | None = None,
    late: bool = False,
    meta: dict | None = None,
) -> bool:
    """Insert the push unless its key exists; True when this call inserted it."""
    body = message.to_body()
    if meta:
        body["meta"] = meta
    values = {
        "key": key,
        "kind": kind,
        "platform": dest.platform,
        "chat_id": dest.chat_id,
        "chat_kind": dest.chat_kind,
        "member_id": member_id,
        "body": body,
        "status": "pending",
        "due_at": due_at,
        "attempts": 0,
        "late": late,
        "created_at": dt.datetime.now(dt.timezone.utc),
    }
    conn = await session.connection()
    module = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = module.insert(Outbox.__table__).values(**values).on_conflict_do_nothing(index_elements=["key"])
    result = await conn.execute(stmt)
    return (result.rowcount or 0) > 0


@dataclass
class Push:
    key: str
    kind: str
    dest: Destination
    message: Outgoing
    due_at: dt.datetime
    member_id: int | None = None
    late: bool = False
    meta: dict | None = None

    def values(self, created_at: dt.datetime) -> dict:
        body = self.message.to_body()
        if self.meta:
            body["meta"] = self.meta
        return {
            "key": self.key,
            "kind": self.kind,
            "platform": self.dest.platform,
            "chat_id": self.dest.chat_id,
            "chat_kind": self.dest.chat_kind,
            "member_id": self.member_id,
            "body": body,
            "status": "pending",
            "due_at": self.due_at,
            "attempts": 0,
            "late": self.late,
            "created_at": created_at,
        }


BATCH = 500  # rows per INSERT (12 columns each: well under SQLite's 32,766 variables)


async def queue_many(session, pushes: list[Push]) -> set[str]:
    """Insert many pushes, a few hundred rows per statement, each unless its key exists (INSERT …
    ON CONFLICT (key) DO NOTHING: still exactly one row per key under racing writers). Returns the
    keys this call inserted."""
    if not pushes:
        return set()
    conn = await session.connection()
    module = sqlite if conn.dialect.name == "sqlite" else postgresql
    table = Outbox.__table__
    now = dt.datetime.now(dt.timezone.utc)
    inserted: set[str] = set()
    # one statement with many parameter sets: SQLAlchemy sends it as multi-row INSERTs of up to
    # BATCH rows ("insertmanyvalues"), without compiling a statement per batch
    stmt = module.insert(table).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.key)
    for i in range(0, len(pushes), BATCH):
        rows = [p.values(now) for p in pushes[i : i + BATCH]]
        inserted.update((await conn.execute(stmt, rows)).scalars().all())
    return inserted


def is_late(now: dt.datetime, meant_for: dt.datetime) -> bool:
    return now - meant_for > LATE_AFTER
