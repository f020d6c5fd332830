"""Queries on the inbox (incoming keys), the outbox (outgoing messages) and prompts (open questions)."""
from __future__ import annotations

import datetime as dt
import secrets
from contextvars import ContextVar

from sqlalchemy import bindparam
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from . import inbox_notify
from .crypto import Encrypted
from .models import OPEN_TEXT_PROMPTS, Inbox, Outbox, Prompt, utcnow
from .plain_load import Plain
from .raw_sql import raw
from .types import JSONDict, JSONList, UTCDateTime


# Built once, like _OPEN_TEXT_PROMPT below: building a statement costs more than SQLite running it.
_INBOX_BY_KEY = select(Inbox).where(Inbox.key == bindparam("key"))


async def inbox_get(session: AsyncSession, key: str) -> Inbox | None:
    return (await session.exec(_INBOX_BY_KEY, params={"key": key})).first()


async def inbox_status(session: AsyncSession, key: str) -> str | None:
    """The status of the message with this key ('received', 'handled', 'failed'), None when it was never stored."""
    found = await (await raw(session)).one('SELECT status FROM inbox WHERE "key" = :key', {"key": key})
    return found[0] if found else None


# Per-chat order across replicas (PostgreSQL). A chat's messages are stored in the inbox as they arrive (the
# adapters store before they ack, and a platform sends a chat's next update only after that ack), so the
# inbox id is the chat's sequence. Handling a message takes the chat's transaction advisory lock (two-key
# form, class CHAT_LOCK: no lease or outbox claim shares its keys) and goes ahead only when no earlier row of
# the chat is still 'received'; otherwise the router waits for that row and tries again (handlers/router.py).
CHAT_LOCK = 0x63726D63  # 'crmc'
_CHAT_TURN = (
    "SELECT mine.status, (SELECT min(e.id) FROM inbox AS e WHERE e.platform = mine.platform AND e.chat_id = mine.chat_id"
    " AND e.status = 'received' AND e.id < mine.id AND e.received_at >= :since) FROM inbox AS mine WHERE mine.key = :key"
)


async def inbox_turn(
    session: AsyncSession, key: str, platform: str, chat_id: str, since: dt.datetime, ahead: list[tuple[tuple, str, dict]] | tuple = ()
) -> tuple[str | None, int | None]:
    """PostgreSQL only: lock the chat for this transaction, then (the status of the message with this key,
    the id of the chat's earliest row stored before it, since `since`, and not handled yet: None when it is
    this message's turn). Two statements: the second's snapshot is taken after the lock is granted, so it
    sees what the chat's previous holder committed.

    ``ahead``: (key, sql, params) of reads the message will want, sent in the same round trip (after the lock,
    so their snapshots are too) and kept in the transaction's Raw.ahead under their keys."""
    db = await raw(session)
    await db.execute("SELECT pg_advisory_xact_lock(:cls, hashtext(:chat))", {"cls": CHAT_LOCK, "chat": f"{platform}:{chat_id}"})
    results = await db.reads([(_CHAT_TURN, {"key": key, "since": db.value(since)}), *((sql, params) for _key, sql, params in ahead)])
    for (read_key, _sql, _params), rows in zip(ahead, results[1:], strict=True):
        db.ahead[read_key] = rows
    found = results[0][0] if results[0] else None
    return (found[0], found[1] if found[0] == "received" else None) if found else (None, None)


async def inbox_received_id(session: AsyncSession, key: str) -> int | None:
    """The inbox id of the message with this key while it is 'received' (stored, not handled yet)."""
    found = await (await raw(session)).one("SELECT id FROM inbox WHERE \"key\" = :key AND status = 'received'", {"key": key})
    return found[0] if found else None


async def inbox_waiting(session: AsyncSession, row_id: int) -> tuple[str, str, dt.datetime] | None:
    """(key, platform, received_at) of inbox row `row_id` while it is 'received'; None once it is not."""
    db = await raw(session)
    found = await db.one("SELECT \"key\", platform, received_at FROM inbox WHERE id = :id AND status = 'received'", {"id": row_id})
    if found is None:
        return None
    received = found[2]
    if not isinstance(received, dt.datetime):
        received = dt.datetime.fromisoformat(str(received))
    return found[0], found[1], received if received.tzinfo else received.replace(tzinfo=dt.timezone.utc)


_MARK_HANDLED = "UPDATE inbox SET status = 'handled', handled_at = :at WHERE \"key\" = :key"
# PostgreSQL: the same UPDATE, announcing the row (delivered at commit) to the chat's next messages waiting on any replica (storage/inbox_notify.py)
_MARK_HANDLED_PG = f"WITH done AS ({_MARK_HANDLED} RETURNING id) SELECT pg_notify('{inbox_notify.CHANNEL}', CAST(id AS text)) FROM done"


async def inbox_mark_handled(session: AsyncSession, key: str, at: dt.datetime) -> None:
    db = await raw(session)
    await db.execute(_MARK_HANDLED if db.is_sqlite else _MARK_HANDLED_PG, {"key": key, "at": db.value(at)})


async def inbox_announce(session: AsyncSession, row_id: int) -> None:
    """PostgreSQL: tell the waiters (any replica) that inbox row `row_id` left 'received' in this transaction."""
    db = await raw(session)
    if not db.is_sqlite:
        await db.execute(inbox_notify.NOTIFY_SQL, {"row_id": row_id})


async def inbox_record(session: AsyncSession, key: str, platform: str, chat_id: str, sender_id: str, payload: dict) -> Inbox:
    row = Inbox(key=key, platform=platform, chat_id=chat_id, sender_id=sender_id, payload=payload)
    session.add(row)
    await session.flush()
    return row


def _field_defaults(model) -> tuple[dict, dict]:
    """A table model's defaults: plain values and factories (for rows inserted without an instance)."""
    from pydantic_core import PydanticUndefined

    plain, factories = {}, {}
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            factories[name] = field.default_factory
        elif field.default is not PydanticUndefined and not (name == "id" and field.default is None):
            plain[name] = field.default
    return plain, factories


_DEFAULTS: dict[type, tuple[dict, dict]] = {}


def row_values(model, **values) -> dict:
    """The column values ``model(**values)`` would insert, without building the instance (which costs more than the INSERT)."""
    defaults = _DEFAULTS.get(model)
    if defaults is None:
        defaults = _DEFAULTS[model] = _field_defaults(model)
    plain, factories = defaults
    row = {**plain, **{name: make() for name, make in factories.items() if name not in values}}
    row.update(values)
    return row


async def insert_rows(session: AsyncSession, model, rows: list[dict]) -> None:
    """INSERT rows made by row_values now, in this transaction (no ORM instances: nothing reads them back here)."""
    if rows:
        await insert_returning_ids(session, model, rows, returning=False)


async def insert_returning_ids(session: AsyncSession, model, rows: list[dict], *, returning: bool = True) -> list[int]:
    """insert_rows giving the new rows' ids; straight on the driver (raw_sql) unless the table has encrypted columns."""
    converters = _converters(model)
    if converters is None:
        result = await (await session.connection()).execute(model.__table__.insert().returning(model.__table__.c.id) if returning else model.__table__.insert(), rows)
        return list(result.scalars()) if returning else []
    db = await raw(session)
    sql, convert = _insert_plan(model, tuple(rows[0]), converters)
    values = []
    for row in rows:
        row = dict(row)
        for name, to_column in convert:
            row[name] = to_column(db, row[name])
        values.append(row)
    if returning:
        return [(await db.one(sql + " RETURNING id", row))[0] for row in values]
    if len(values) == 1:
        await db.execute(sql, values[0])
    else:
        await db.execute_many(sql, values)
    return []


_INSERTS: dict[tuple, tuple[str, list]] = {}


def _insert_plan(model, names: tuple[str, ...], converters: dict) -> tuple[str, list]:
    """(the INSERT for these columns, [(column, converter)] for those that need one), built once per column set."""
    plan = _INSERTS.get((model, names))
    if plan is None:
        columns, params = ", ".join(f'"{n}"' for n in names), ", ".join(f":{n}" for n in names)
        plan = _INSERTS[(model, names)] = (f"INSERT INTO {model.__tablename__} ({columns}) VALUES ({params})", [(n, converters[n]) for n in names if n in converters])
    return plan


def _utc(db, value):
    return None if value is None else db.value(value)


_CONVERTERS: dict[type, dict | None] = {}


def _converters(model) -> dict | None:
    """How each column's value is stored, for the columns that need it; None when a column is encrypted (Core does that)."""
    if model not in _CONVERTERS:
        out: dict | None = {}
        for column in model.__table__.columns:
            if isinstance(column.type, Encrypted):
                out = None
                break
            if isinstance(column.type, UTCDateTime):
                out[column.name] = _utc
            elif isinstance(column.type, (JSONDict, JSONList)):  # their own text form
                out[column.name] = lambda _db, value, kind=column.type: kind.process_bind_param(value, None)
        _CONVERTERS[model] = out
    return _CONVERTERS[model]


# Set by the runner's inbox sweep (bot/runner.py) around an adapter's recovery: only rows received before
# this moment are read, i.e. those a dead replica acked and never handled, not those a live one is on.
received_before: ContextVar[dt.datetime | None] = ContextVar("received_before", default=None)


async def inbox_unhandled(session: AsyncSession, platform: str, limit: int = 500) -> list[Inbox]:
    stmt = select(Inbox).where(Inbox.platform == platform, Inbox.status == "received")
    before = received_before.get()
    if before is not None:
        stmt = stmt.where(col(Inbox.received_at) < before)
    return list((await session.exec(stmt.order_by(Inbox.id).limit(limit))).all())


async def inbox_stale_platforms(session: AsyncSession, before: dt.datetime) -> set[str]:
    """Platforms with inbox rows still 'received' that arrived before `before`."""
    stmt = select(Inbox.platform).where(Inbox.status == "received", col(Inbox.received_at) < before).distinct()
    return set((await session.exec(stmt)).all())


async def outbox_add(session: AsyncSession, row: Outbox) -> bool:
    """Insert unless the key exists already; True when inserted."""
    existing = (await session.exec(select(Outbox.id).where(Outbox.key == row.key))).first()
    if existing is not None:
        return False
    session.add(row)
    await session.flush()
    return True


async def outbox_by_status(session: AsyncSession, status: str, limit: int = 100) -> list[Outbox]:
    stmt = select(Outbox).where(Outbox.status == status).order_by(col(Outbox.id).desc()).limit(limit)
    return list((await session.exec(stmt)).all())


def new_prompt_id() -> str:
    return secrets.token_urlsafe(9)


# Questions answered by typing; only one of them may be open per chat, or a typed answer would be
# ambiguous. Button-only prompts (filed notes, reminders) stay usable side by side.
TEXT_ANSWER_KINDS = ("name_customer", "change_date", "create_customer")  # Create …? too: a note sent next drops it (issue 14)
# The partial index ix_prompt_open_text holds only open typed questions (at most one per member and chat), so
# these cost the same after 100k past prompts. Its condition is written out literally here: SQLite uses a
# partial index only when the query repeats the index's own WHERE terms.
_OPEN_TEXT = OPEN_TEXT_PROMPTS
_OPEN_TEXT_PROMPT = (
    f"SELECT id FROM prompt WHERE member_id = :member_id AND platform = :platform AND chat_id = :chat_id AND {_OPEN_TEXT}"
    " AND created_at >= :since ORDER BY created_at DESC LIMIT 1"
)
_EXPIRE_OPEN_TEXT = f"UPDATE prompt SET status = 'expired' WHERE member_id = :member_id AND platform = :platform AND chat_id = :chat_id AND {_OPEN_TEXT}"


async def prompt_add(session: AsyncSession, member_id: int, platform: str, chat_id: str, kind: str, data: dict, now: dt.datetime | None = None) -> Prompt:
    """Open a question; `now` is the injected clock's time (typed answers are accepted for a while after it)."""
    if kind in TEXT_ANSWER_KINDS:
        await _expire_open_text(session, member_id, platform, chat_id)
    prompt = Prompt(id=new_prompt_id(), member_id=member_id, platform=platform, chat_id=chat_id, kind=kind, data=data, created_at=now or utcnow())
    session.add(prompt)
    await session.flush()
    return prompt


async def _expire_open_text(session: AsyncSession, member_id: int, platform: str, chat_id: str) -> None:
    """Only one typed question is open per member and chat: the earlier ones expire."""
    if session.new or session.dirty:
        await session.flush()  # a question opened earlier in this transaction is in the table before it is expired
    await (await raw(session)).execute(_EXPIRE_OPEN_TEXT, {"member_id": member_id, "platform": platform, "chat_id": chat_id})
    for old in session.identity_map.values():  # and questions loaded earlier read as expired too
        if isinstance(old, Prompt) and old.member_id == member_id and old.platform == platform and old.chat_id == chat_id and old.status == "open" and old.kind in TEXT_ANSWER_KINDS:
            set_committed_value(old, "status", "expired")


async def prompt_add_id(session: AsyncSession, member_id: int, platform: str, chat_id: str, kind: str, data: dict, now: dt.datetime | None = None) -> str:
    """prompt_add returning only the new question's id, as a plain INSERT (no instance to build)."""
    if kind in TEXT_ANSWER_KINDS:
        await _expire_open_text(session, member_id, platform, chat_id)
    prompt_id = new_prompt_id()
    row = row_values(Prompt, id=prompt_id, member_id=member_id, platform=platform, chat_id=chat_id, kind=kind, data=data, created_at=now or utcnow())
    await insert_rows(session, Prompt, [row])
    return prompt_id


async def prompt_get(session: AsyncSession, prompt_id: str) -> Prompt | None:
    return await session.get(Prompt, prompt_id)


_PROMPT = Plain(Prompt, "p")
# the same probe for a messenger account's member (its id not known yet: read ahead with the transaction's first statements)
_OPEN_TEXT_PROMPT_OF = (
    f"SELECT {_PROMPT.select_list} FROM prompt AS p WHERE p.member_id IN (SELECT member_id FROM identity WHERE platform = :platform AND platform_user_id = :user_id)"
    f" AND p.platform = :platform AND p.chat_id = :chat_id AND p.{_OPEN_TEXT.replace(' AND kind', ' AND p.kind')} AND p.created_at >= :since ORDER BY p.created_at DESC LIMIT 1"
)


def prompt_open_ahead(db, platform: str, user_id: str, chat_id: str, since: dt.datetime) -> tuple[tuple, str, dict]:
    """(key, sql, params) reading ahead what prompt_open_in_chat will look for (since: at most its own ``since``)."""
    return ("open_prompt", platform, chat_id), _OPEN_TEXT_PROMPT_OF, {"platform": platform, "user_id": user_id, "chat_id": chat_id, "since": db.value(since)}


async def prompt_open_in_chat(session: AsyncSession, member_id: int, platform: str, chat_id: str, since: dt.datetime) -> Prompt | None:
    """The member's open typed question in this chat, asked since ``since`` (one index probe: see _OPEN_TEXT)."""
    db = await raw(session)
    ahead = db.take(("open_prompt", platform, chat_id))
    if ahead is not None:  # read with the transaction's first statements: the whole row
        prompt = _PROMPT.attach(session, ahead[0]) if ahead else None
        if prompt is None or prompt.member_id != member_id or prompt.created_at < since:
            return None
        return prompt if prompt.status == "open" else None
    found = await db.one(_OPEN_TEXT_PROMPT, {"member_id": member_id, "platform": platform, "chat_id": chat_id, "since": db.value(since)})
    if found is None:
        return None
    prompt = await session.get(Prompt, found[0])
    return prompt if prompt is not None and prompt.status == "open" else None  # closed earlier in this transaction


async def prompt_latest_in_chat(session: AsyncSession, member_id: int, platform: str, chat_id: str, since: dt.datetime, kinds: tuple[str, ...]) -> Prompt | None:
    """The member's newest open question of one of ``kinds`` in this chat, asked since ``since``."""
    stmt = (
        select(Prompt)
        .where(Prompt.member_id == member_id, Prompt.platform == platform, Prompt.chat_id == chat_id, Prompt.status == "open", col(Prompt.kind).in_(kinds), col(Prompt.created_at) >= since)
        .order_by(col(Prompt.created_at).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()


def close_prompt(session: AsyncSession, prompt: Prompt) -> None:
    prompt.status = "answered"
    session.add(prompt)


__all__ = ["utcnow"]
