"""The Feishu side of the inbox: an event we accept is written here (the decrypted event, status
'received') before Feishu gets its answer, and read back after a crash. The router marks rows
handled; a redelivery of a handled event is a no-op."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from chat.messages import Incoming
from storage import messaging
from storage.db import Database

from . import incoming as translate

log = logging.getLogger(__name__)

PLATFORM = translate.PLATFORM
KINDS = ("message", "action")


@dataclass(frozen=True)
class Received:
    kind: str  # one of KINDS
    envelope: dict  # the schema 2.0 event, trimmed (no verification token)
    received_at: dt.datetime

    @property
    def user_id(self) -> str:
        return translate.sender_open_id(self.envelope)

    def incoming(self, sender_name: str, bot_open_id: str | None) -> Incoming:
        """The neutral message; its key never depends on the name or the bot's id."""
        if self.kind == "message":
            return translate.from_message(self.envelope, sender_name, bot_open_id, self.received_at)
        return translate.from_action(self.envelope, sender_name, self.received_at)

    def bare(self) -> Incoming:
        return self.incoming(self.user_id, None)

    @property
    def key(self) -> str:
        return self.bare().key

    def to_payload(self) -> dict:
        return {"feishu": self.kind, "envelope": self.envelope, "received_at": self.received_at.isoformat()}

    @classmethod
    def from_payload(cls, payload: dict | None) -> Received | None:
        payload = payload or {}
        if payload.get("feishu") not in KINDS or not isinstance(payload.get("envelope"), dict):
            return None  # blanked (/forget), or not written by this module
        try:
            return cls(payload["feishu"], payload["envelope"], dt.datetime.fromisoformat(payload["received_at"]))
        except (KeyError, TypeError, ValueError):
            return None


def received(envelope: dict, now: dt.datetime) -> Received | None:
    """What to keep of an event, or None for events that are not for us (other types, bots' messages)."""
    kind = translate.event_type(envelope)
    header = {k: v for k, v in (envelope.get("header") or {}).items() if k != "token"}
    trimmed = {"schema": envelope.get("schema"), "header": header, "event": envelope.get("event") or {}}
    if kind == translate.MESSAGE_EVENT and translate.is_from_a_person(envelope):
        return Received("message", trimmed, now)
    if kind == translate.CARD_ACTION_EVENT and translate.sender_open_id(envelope):
        event = dict(trimmed["event"])
        event.pop("token", None)  # the card's update token: not needed to rebuild the press
        return Received("action", trimmed | {"event": event}, now)
    return None


async def store(db: Database, item: Received) -> bool:
    """Write it unless it is there already. True when it is still to be handled; False for a
    redelivery of something handled (or stored by a concurrent delivery). Raises when nothing could
    be stored: the caller must not acknowledge then."""
    msg = item.bare()
    try:
        async with db.write() as session:
            row = await messaging.inbox_get(session, msg.key)
            if row is None:
                await messaging.inbox_record(session, msg.key, PLATFORM, msg.chat_id, msg.sender_id, item.to_payload())
                return True
            return row.status == "received"
    except IntegrityError:
        log.info("feishu: a concurrent delivery of %s stored it first", msg.key)
        return False


async def unhandled(db: Database, skip: set[str]) -> list[tuple[str, Received]]:
    """Stored but not handled (a crash between the ack and the reply), oldest first."""
    async with db.read() as session:
        rows = await messaging.inbox_unhandled(session, PLATFORM)
    out = []
    for row in rows:
        if row.key in skip:
            continue
        item = Received.from_payload(row.payload)
        if item is None:
            log.warning("feishu: inbox row %s cannot be rebuilt; left as it is", row.key)
            skip.add(row.key)
            continue
        out.append((row.key, item))
    return out
