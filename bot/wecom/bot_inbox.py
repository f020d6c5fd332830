"""The WeCom AI bot's callbacks in the inbox: stored before WeCom gets its 200, read back after a crash,
and the response_url each one carries, which is how the answer reaches the chat (bot_sender.py).

The payload is {"wecom_bot": the callback's fields, "received_at": …}; the self-built app's rows
({"wecom": …}, inbox.py) share the platform and are told apart by that key.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass


from chat.messages import Incoming
from storage import messaging
from storage.db import Database

from . import bot_incoming as translate
from . import inbox
from .incoming import PLATFORM

log = logging.getLogger(__name__)

PAYLOAD_KEY = "wecom_bot"
KEPT_FIELDS = ("msgid", "create_time", "aibotid", "chatid", "chattype", "from", "msgtype", "text", "mixed", "event", "response_url")


@dataclass(frozen=True)
class BotReceived:
    body: dict  # the decrypted callback's fields crmbot reads
    received_at: dt.datetime

    def incoming(self, sender_name: str | None, bot_name: str | None = None) -> Incoming:
        msg = translate.from_body(self.body, sender_name, self.received_at, bot_name)
        assert msg is not None  # only answerable callbacks are made into a BotReceived
        return msg

    @property
    def key(self) -> str:
        return self.incoming(None).key

    @property
    def user_id(self) -> str:
        return translate.sender_id(self.body)

    def to_payload(self) -> dict:
        return {PAYLOAD_KEY: self.body, "received_at": self.received_at.isoformat()}

    @classmethod
    def from_payload(cls, payload: dict | None) -> BotReceived | None:
        body = (payload or {}).get(PAYLOAD_KEY)
        if not isinstance(body, dict) or translate.message_id(body) is None:
            return None  # blanked (retention, /forget), or not the bot's
        try:
            return cls(body, dt.datetime.fromisoformat((payload or {})["received_at"]))
        except (KeyError, TypeError, ValueError):
            return None


def received(body: dict, now: dt.datetime) -> BotReceived | None:
    """What a callback carried, when crmbot answers it (None for events it ignores)."""
    if translate.message_id(body) is None:
        return None
    return BotReceived({k: body[k] for k in KEPT_FIELDS if k in body}, now)


async def store(db: Database, item: BotReceived) -> bool:
    """Write it unless it is there already, as the app's callbacks are (inbox.store): True when it is still to be
    handled; raises when nothing could be stored, so WeCom gets no 200 and retries."""
    return await inbox.store(db, item)


async def unhandled(db: Database, skip: set[str]) -> list[tuple[str, BotReceived]]:
    """The bot's rows stored but not handled (a crash between the 200 and the reply), oldest first."""
    async with db.read() as session:
        rows = await messaging.inbox_unhandled(session, PLATFORM)
    out = []
    for row in rows:
        if row.key in skip or PAYLOAD_KEY not in (row.payload or {}):
            continue  # the app's rows are the app adapter's
        item = BotReceived.from_payload(row.payload)
        if item is None:
            log.warning("wecom bot: inbox row %s cannot be rebuilt; left as it is", row.key)
            skip.add(row.key)
            continue
        out.append((row.key, item))
    return out


@dataclass(frozen=True)
class Origin:
    """The stored callback an answer replies to."""

    response_url: str | None
    received_at: dt.datetime
    sender_id: str


async def origin(db: Database, inbox_key: str) -> Origin | None:
    """The callback behind inbox row `inbox_key`, when it is the bot's (None: the app's, or gone)."""
    async with db.read() as session:
        row = await messaging.inbox_get(session, inbox_key)
    if row is None or not isinstance((row.payload or {}).get(PAYLOAD_KEY), dict):
        return None
    url = row.payload[PAYLOAD_KEY].get("response_url")
    try:
        received_at = dt.datetime.fromisoformat(row.payload["received_at"])  # the adapter's clock (injected in tests)
    except (KeyError, TypeError, ValueError):
        return Origin(None, row.received_at, row.sender_id)
    return Origin(url if isinstance(url, str) and url else None, received_at, row.sender_id)
