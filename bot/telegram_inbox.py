"""The Telegram side of the inbox: updates are written here (raw JSON, status 'received') before
Telegram hears they arrived, and read back after a crash. The router marks them handled."""
from __future__ import annotations

import logging
from collections.abc import Callable

from sqlmodel import select
from telegram import Bot, Update

from storage import messaging
from storage.db import Database
from storage.models import ChatLink

from .telegram_incoming import PLATFORM, Translated

log = logging.getLogger(__name__)


async def store(db: Database, updates: list[Update], translate: Callable[[Update], Translated | None]) -> list[Update]:
    """Write the updates that are for us; returns those still to be handled (new, or stored but
    not handled yet). One transaction: on any error nothing is stored and the caller must not
    confirm the updates to Telegram."""
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
