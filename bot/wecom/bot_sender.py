"""Outbox rows → the WeCom AI bot's response_url (主动回复), with the self-built app for what it cannot carry.

Every callback brings a response_url, good for one call within an hour; it is the only way this mode
reaches a group. The first reply sent for a message takes it: with buttons a button_interaction
template card (its presses come back as template_card_event callbacks), otherwise markdown. What it
cannot carry goes through the app (sender.py) when one is configured: pushes (reminders, digests to
members), a message's second reply, and a reply whose response_url is used or expired goes to the
sender's one-to-one chat with the app; without the app such rows fail for good, visibly
(`crmbot outbox`). Rate limits (errcode 45009/45033, HTTP 429) and busy answers are retried later; any
other refusal is final, since a single-use, hour-long URL is not worth twelve hours of retries.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Callable

import aiohttp
from sqlmodel import col, select

from chat.messages import Outgoing
from reminders.delivery import PermanentFailure, RetryLater
from storage.db import Database
from storage.models import Outbox

from . import bot_inbox
from .api import DEFAULT_URL
from .incoming import PLATFORM
from .sender import BUSY, RATE_LIMITED, WeComSender, cards, split_bytes

log = logging.getLogger(__name__)

RESPONSE_PATH = "/cgi-bin/aibot/response"
RESPONSE_URL_LIFE = dt.timedelta(hours=1) - dt.timedelta(minutes=2)  # WeCom says an hour; a margin for the call itself
MARKDOWN_BYTES = 20480  # the markdown message's documented cap
TIMEOUT = aiohttp.ClientTimeout(total=10)
_REPLY_KEY = re.compile(r"^reply:(.+?):(?:failed:)?\d+$")  # handlers/router.py: reply:{inbox key}:{n}


def answered_key(row_key: str) -> str | None:
    """The inbox key of the message this outbox row answers; None for a push."""
    found = _REPLY_KEY.match(row_key)
    return found.group(1) if found else None


def response_body(row: Outbox, message: Outgoing) -> dict:
    """The one message a response_url takes: a card when the reply has buttons and its text fits on
    one (first line the title, the rest its subtitle), else markdown of the whole text."""
    if message.buttons:
        before, templates = cards(row, message)
        if before is None and templates:
            if len(templates) > 1:
                log.info("wecom bot: %s has more buttons than a card holds; the first card is sent", row.key)
            return {"msgtype": "template_card", "template_card": templates[0]}
    text = (message.text or "").strip() or "👍"
    pieces = split_bytes(text, MARKDOWN_BYTES)
    return {"msgtype": "markdown", "markdown": {"content": pieces[0] if len(pieces) == 1 else pieces[0] + "…"}}


class WeComBotSender:
    platform = PLATFORM

    def __init__(self, db: Database, clock: Callable[[], dt.datetime], api_url: str | None = None, app: WeComSender | None = None) -> None:
        self.db = db
        self.clock = clock
        self.app = app
        self.allowed = (api_url or DEFAULT_URL).rstrip("/") + RESPONSE_PATH  # a response_url elsewhere is not WeCom's
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, row: Outbox, message: Outgoing) -> None:
        inbox_key = answered_key(row.key)
        origin = await bot_inbox.origin(self.db, inbox_key) if inbox_key else None
        if origin is None:  # a push, or the answer to a message the app received
            return await self._by_app(row, message, "the WeCom AI bot can only answer messages; pushes need the self-built app (WECOM_AGENT_ID …)")
        reason = await self._unusable(row, origin, inbox_key or "")
        if reason:
            if self.app is None:
                raise PermanentFailure(reason)
            log.info("wecom bot: %s (%s); sent to %s through the app", row.key, reason, origin.sender_id)
            return await self.app.send(row.model_copy(update={"chat_id": origin.sender_id, "chat_kind": "private"}), message)
        await self._post(str(origin.response_url), response_body(row, message))

    async def _by_app(self, row: Outbox, message: Outgoing, why: str) -> None:
        if self.app is None:
            raise PermanentFailure(why)
        await self.app.send(row, message)

    async def _unusable(self, row: Outbox, origin: bot_inbox.Origin, inbox_key: str) -> str | None:
        """Why this row cannot use its message's response_url (None: it can)."""
        if origin.response_url is None:
            return "the callback had no response_url"
        if not origin.response_url.startswith(self.allowed + "?"):
            return "the response_url is not on WeCom's API host"
        if self.clock() - origin.received_at > RESPONSE_URL_LIFE:
            return "the response_url has expired (an hour)"
        async with self.db.read() as session:
            others = select(Outbox.id).where(col(Outbox.key).startswith(f"reply:{inbox_key}:", autoescape=True), Outbox.status == "sent", Outbox.id != row.id)
            if (await session.exec(others.limit(1))).first() is not None:
                return "the message's response_url was used by an earlier reply"
        return None

    async def _post(self, url: str, body: dict) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        try:
            async with self._session.post(url, json=body) as response:
                if response.status == 429:
                    raise RetryLater(RATE_LIMITED[45009], "HTTP 429")
                if response.status >= 500:
                    raise RetryLater(None, f"HTTP {response.status}")
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RetryLater(None, f"network: {exc!r}"[:200]) from exc
        errcode = int(answer.get("errcode") or 0) if isinstance(answer, dict) else -1
        if errcode in RATE_LIMITED:
            raise RetryLater(RATE_LIMITED[errcode], f"rate limited ({errcode})")
        if errcode in BUSY:
            raise RetryLater(None, f"wecom errcode {errcode}")
        if errcode:
            raise PermanentFailure(f"wecom errcode {errcode}: {str(answer.get('errmsg', ''))[:200]}")
