"""The WeCom side of the inbox: a decrypted callback is written here (its fields, status 'received')
before WeCom gets its 200, and read back after a crash. The router marks rows handled; a row already
handled makes WeCom's retry (it sends a callback again when not answered within 5 s) a no-op.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.exc import IntegrityError

from chat.messages import Incoming
from storage import messaging
from storage.db import Database

from . import incoming as translate

log = logging.getLogger(__name__)

PLATFORM = translate.PLATFORM
KEPT_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "AgentID", "Event", "EventKey", "TaskId", "CardType", "ResponseCode", "MediaId", "Title")


@dataclass(frozen=True)
class Received:
    fields: dict  # the decrypted message's fields (those crmbot reads)
    received_at: dt.datetime

    def incoming(self, sender_name: str | None) -> Incoming:
        msg = translate.from_fields(self.fields, sender_name, self.received_at)
        assert msg is not None  # only answerable messages are made into a Received
        return msg

    @property
    def key(self) -> str:
        return self.incoming(None).key

    @property
    def user_id(self) -> str:
        return str(self.fields.get("FromUserName") or "")

    def to_payload(self) -> dict:
        return {"wecom": self.fields, "received_at": self.received_at.isoformat()}

    @classmethod
    def from_payload(cls, payload: dict | None) -> Received | None:
        payload = payload or {}
        fields = payload.get("wecom")
        if not isinstance(fields, dict) or translate.key_fields(fields) is None:
            return None  # blanked (retention, /forget), or not written by this module
        try:
            return cls(fields, dt.datetime.fromisoformat(payload["received_at"]))
        except (KeyError, TypeError, ValueError):
            return None


def received(fields: dict, now: dt.datetime) -> Received | None:
    """What a callback carried, when crmbot answers it (None for events it ignores)."""
    if translate.key_fields(fields) is None:
        return None
    return Received({k: fields[k] for k in KEPT_FIELDS if isinstance(fields.get(k), str)}, now)


class Storable(Protocol):
    """A callback kept in the inbox: the app's (Received) and the AI bot's (bot_inbox.BotReceived)."""

    def incoming(self, sender_name: str | None) -> Incoming: ...

    def to_payload(self) -> dict: ...


async def store(db: Database, item: Storable) -> bool:
    """Write it unless it is there already. True when it is still to be handled (new, or stored by an
    earlier delivery and not handled yet); False when already handled. Raises when nothing could be
    stored: WeCom must not get its 200 then (it retries)."""
    msg = item.incoming(None)
    try:
        async with db.write() as session:
            row = await messaging.inbox_get(session, msg.key)
            if row is None:
                await messaging.inbox_record(session, msg.key, PLATFORM, msg.chat_id, msg.sender_id, item.to_payload())
                return True
            return row.status == "received"
    except IntegrityError:
        log.info("wecom: a concurrent delivery of %s stored it first", msg.key)
        return False


async def unhandled(db: Database, skip: set[str]) -> list[tuple[str, Received]]:
    """Stored but not handled (a crash between the 200 and the reply), oldest first."""
    async with db.read() as session:
        rows = await messaging.inbox_unhandled(session, PLATFORM)
    out = []
    for row in rows:
        if row.key in skip or "wecom_bot" in (row.payload or {}):
            continue  # the AI bot's rows are its adapter's (bot_inbox.py)
        item = Received.from_payload(row.payload)
        if item is None:
            log.warning("wecom: inbox row %s cannot be rebuilt; left as it is", row.key)
            skip.add(row.key)
            continue
        out.append((row.key, item))
    return out
