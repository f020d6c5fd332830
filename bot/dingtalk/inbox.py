"""The DingTalk side of the inbox: a robot message is written here (its JSON, status 'received')
before DingTalk gets the ack (stream) or the 200 (HTTP), and read back after a crash. The router
marks rows handled; a row already handled makes a redelivery a no-op.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.exc import IntegrityError

from storage import messaging
from storage.db import Database

from . import incoming as translate

log = logging.getLogger(__name__)

PLATFORM = translate.PLATFORM
# Not kept: the reply webhook is a credential for an hour, and replies go through the OpenAPI anyway.
_DROPPED = ("sessionWebhook", "sessionWebhookExpiredTime")


def trimmed(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in _DROPPED}


async def store(db: Database, data: dict, now: dt.datetime) -> bool:
    """Write it unless it is there already. True when it is still to be handled (new, or stored by an
    earlier delivery and not handled yet); False for a redelivery of something handled. Raises when
    nothing could be stored: the caller must not acknowledge then (DingTalk delivers it again)."""
    key = translate.message_key(data)
    try:
        async with db.write() as session:
            row = await messaging.inbox_get(session, key)
            if row is None:
                payload = {"dingtalk": trimmed(data), "received_at": now.isoformat()}
                await messaging.inbox_record(session, key, PLATFORM, translate.chat_id(data), translate.sender_id(data), payload)
                return True
            return row.status == "received"
    except IntegrityError:
        log.info("dingtalk: a concurrent delivery of %s stored it first", key)
        return False  # that delivery handles it


async def unhandled(db: Database, skip: set[str]) -> list[tuple[str, dict, dt.datetime]]:
    """Stored but not handled (a crash between the ack and the reply), oldest first."""
    async with db.read() as session:
        rows = await messaging.inbox_unhandled(session, PLATFORM)
    out = []
    for row in rows:
        if row.key in skip:
            continue
        payload = row.payload or {}
        data = payload.get("dingtalk")
        try:
            received_at = dt.datetime.fromisoformat(payload["received_at"])
        except (KeyError, TypeError, ValueError):
            data = None
        if not isinstance(data, dict) or not translate.is_message(data):
            log.warning("dingtalk: inbox row %s cannot be rebuilt; left as it is", row.key)
            skip.add(row.key)
            continue
        out.append((row.key, data, received_at))
    return out
