"""The Telegram side of the inbox: updates are written here (raw JSON, status 'received') before
Telegram hears they arrived, and read back after a crash. The router marks them handled."""
from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.exc import DataError
from sqlmodel import select
from telegram import Bot, Update

from storage import messaging
from storage.db import Database
from storage.models import ChatLink

from .incoming import PLATFORM, Translated

log = logging.getLogger(__name__)


# What one bad update (not a database outage) raises: it must not block the updates after it.
_UPDATE_ERRORS = (UnicodeError, ValueError, TypeError, KeyError, AttributeError, DataError)


async def store(db: Database, updates: list[Update], translate: Callable[[Update], Translated | None]) -> list[Update]:
    """Write the updates that are for us; returns those still to be handled (new, or stored but
    not handled yet). One transaction; when one update cannot be stored (or read), the others are
    stored one by one and that one is quarantined (a 'failed' inbox row without its content), so
    no single update blocks the queue. On a database error nothing is stored and the caller must
    not confirm the updates to Telegram."""
    try:
        return await _store(db, updates, translate)
    except _UPDATE_ERRORS as exc:
        if len(updates) == 1:
            await _quarantine(db, updates[0], exc)
            return []
        log.warning("telegram: a batch of %d updates could not be stored (%r); storing them one by one", len(updates), exc)
    todo: list[Update] = []
    for update in updates:
        todo += await store(db, [update], translate)
    return todo


async def _quarantine(db: Database, update: Update, error: BaseException) -> None:
    log.error("telegram: update %s cannot be stored or read (%r); quarantined as a failed inbox row", update.update_id, error)
    async with db.write() as session:
        key = f"{PLATFORM}:update:{update.update_id}"
        if await messaging.inbox_get(session, key) is None:
            row = await messaging.inbox_record(session, key, PLATFORM, "", "", {"update_id": update.update_id, "quarantined": repr(error)[:500]})
            row.status = "failed"
            session.add(row)


async def _store(db: Database, updates: list[Update], translate: Callable[[Update], Translated | None]) -> list[Update]:
    todo: dict[str, Update] = {}
    async with db.write() as session:
        for update in updates:
            if update.message is not None and update.message.migrate_to_chat_id:
                await follow_migration(session, update.message.chat.id, update.message.migrate_to_chat_id)
            translated = translate(update)
            if translated is None:
                continue  # not for us (group chatter, service messages): never stored
            msg = translated.incoming
            row = await messaging.inbox_get(session, msg.key)
            if row is None:
                payload = {"update": update.to_dict(), "update_id": update.update_id}
                await messaging.inbox_record(session, msg.key, PLATFORM, msg.chat_id, msg.sender_id, payload)
                todo[msg.key] = update
            elif row.status == "received":
                todo[msg.key] = update
            # else: a redelivery of something already handled — nothing to do
    return list(todo.values())


async def unhandled(db: Database, bot: Bot, skip: set[str]) -> list[tuple[str, Update]]:
    """Stored but not handled (a crash between receiving and replying), oldest first."""
    async with db.read() as session:
        rows = await messaging.inbox_unhandled(session, PLATFORM)
    out = []
    for row in rows:
        raw = (row.payload or {}).get("update")
        if row.key not in skip and raw:
            out.append((row.key, Update.de_json(raw, bot)))
    return out


async def still_received(db: Database, bot: Bot, keys: list[str]) -> list[tuple[str, Update | None]]:
    """For each key: its update if it is still waiting to be handled, else None."""
    async with db.read() as session:
        rows = [await messaging.inbox_get(session, key) for key in keys]
    return [(key, Update.de_json(row.payload["update"], bot) if row is not None and row.status == "received" else None) for key, row in zip(keys, rows)]


async def follow_migration(session, old_chat_id: int, new_chat_id: int) -> None:
    """A group that became a supergroup gets a new id: its team link moves along (once)."""
    old, new = str(old_chat_id), str(new_chat_id)
    if (await session.exec(select(ChatLink).where(ChatLink.platform == PLATFORM, ChatLink.chat_id == new))).first() is not None:
        return
    for link in (await session.exec(select(ChatLink).where(ChatLink.platform == PLATFORM, ChatLink.chat_id == old))).all():
        link.chat_id = new
        session.add(link)
        log.info("telegram: group %s became supergroup %s; its team link moved", old, new)
