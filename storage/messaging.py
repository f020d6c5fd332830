"""Queries on the inbox (incoming keys), the outbox (outgoing messages) and prompts (open questions)."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from .models import Inbox, Outbox, Prompt, utcnow


# Built once, like _OPEN_TEXT_PROMPT below: building a statement costs more than SQLite running it.
_INBOX_BY_KEY = select(Inbox).where(Inbox.key == bindparam("key"))


async def inbox_get(session: AsyncSession, key: str) -> Inbox | None:
    return (await session.exec(_INBOX_BY_KEY, params={"key": key})).first()


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
        await (await session.connection()).execute(model.__table__.insert(), rows)


async def inbox_unhandled(session: AsyncSession, platform: str, limit: int = 500) -> list[Inbox]:
    stmt = select(Inbox).where(Inbox.platform == platform, Inbox.status == "received").order_by(Inbox.id).limit(limit)
    return list((await session.exec(stmt)).all())


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
TEXT_ANSWER_KINDS = ("name_customer", "change_date")
_OPEN_TEXT_PROMPT = (
    select(Prompt)
    .where(
        Prompt.member_id == bindparam("member_id"),
        Prompt.platform == bindparam("platform"),
        Prompt.chat_id == bindparam("chat_id"),
        Prompt.status == "open",
        col(Prompt.kind).in_(TEXT_ANSWER_KINDS),
        col(Prompt.created_at) >= bindparam("since"),
    )
    .order_by(col(Prompt.created_at).desc())
    .limit(1)
)


async def prompt_add(session: AsyncSession, member_id: int, platform: str, chat_id: str, kind: str, data: dict, now: dt.datetime | None = None) -> Prompt:
    """Open a question; `now` is the injected clock's time (typed answers are accepted for a while after it)."""
    if kind in TEXT_ANSWER_KINDS:
        stmt = select(Prompt).where(
            Prompt.platform == platform, Prompt.chat_id == chat_id, Prompt.member_id == member_id, Prompt.status == "open", col(Prompt.kind).in_(TEXT_ANSWER_KINDS)
        )
        for old in (await session.exec(stmt)).all():
            old.status = "expired"
            session.add(old)
    prompt = Prompt(id=new_prompt_id(), member_id=member_id, platform=platform, chat_id=chat_id, kind=kind, data=data, created_at=now or utcnow())
    session.add(prompt)
    await session.flush()
    return prompt


async def prompt_add_id(session: AsyncSession, member_id: int, platform: str, chat_id: str, kind: str, data: dict, now: dt.datetime | None = None) -> str:
    """prompt_add returning only the new question's id; a button-only question is a plain INSERT (no instance to build)."""
    if kind in TEXT_ANSWER_KINDS:
        return (await prompt_add(session, member_id, platform, chat_id, kind, data, now=now)).id
    prompt_id = new_prompt_id()
    row = row_values(Prompt, id=prompt_id, member_id=member_id, platform=platform, chat_id=chat_id, kind=kind, data=data, created_at=now or utcnow())
    await insert_rows(session, Prompt, [row])
    return prompt_id


async def prompt_get(session: AsyncSession, prompt_id: str) -> Prompt | None:
    return await session.get(Prompt, prompt_id)


async def prompt_open_in_chat(session: AsyncSession, member_id: int, platform: str, chat_id: str, since: dt.datetime) -> Prompt | None:
    params = {"member_id": member_id, "platform": platform, "chat_id": chat_id, "since": since}
    return (await session.exec(_OPEN_TEXT_PROMPT, params=params)).first()


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
