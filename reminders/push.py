"""Putting a push into the outbox: once per key, never before the recipient's working hours.

The key names (kind, subject, occurrence), so every process and every restart computes the same
key for the same push; the insert is INSERT … ON CONFLICT DO NOTHING, so racing writers on
SQLite or PostgreSQL leave exactly one row. Extra facts for the delivery side (the task a
reminder is about, when the push stops being worth sending) travel in body["meta"].
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from handlers.messages import Outgoing
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


def is_late(now: dt.datetime, meant_for: dt.datetime) -> bool:
    return now - meant_for > LATE_AFTER
