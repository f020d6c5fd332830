"""Outbox rows → Slack: chat.postMessage (or a slash command's response_url), files_upload_v2 for
charts and exports. 429 becomes RetryLater(Retry-After); refusals for good become PermanentFailure.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from chat.messages import Outgoing
from reminders.delivery import PermanentFailure, RetryLater, attachment_bytes
from storage.models import Outbox

from .text import message_args

log = logging.getLogger(__name__)

PLATFORM = "slack"
NETWORK_RETRY_SECONDS = 5.0
RESPONSE_URL_LIFETIME = dt.timedelta(minutes=25)  # Slack honours them for 30 minutes
# Errors that no retry will fix: the conversation or user is gone, or the message itself is bad.
PERMANENT_ERRORS = {
    "channel_not_found", "is_archived", "not_in_channel", "account_inactive", "user_not_found",
    "user_disabled", "cannot_dm_bot", "restricted_action", "restricted_action_read_only_channel",
    "restricted_action_thread_only_channel", "restricted_action_non_threadable_channel",
    "msg_too_long", "no_text", "invalid_blocks", "invalid_blocks_format", "too_many_attachments",
    "ekm_access_denied", "team_access_not_granted", "invalid_auth", "not_authed", "token_revoked",
    "missing_scope", "method_deprecated", "user_is_bot", "channel_is_archived", "messages_tab_disabled",
}


@dataclass
class _Response:
    url: str
    response_type: str  # "ephemeral" | "in_channel"
    expires_at: dt.datetime
    for_press: bool = False  # a button's: it only replaces the pressed message (the answer's first reply)


class ResponseUrls:
    """response_urls of recent slash commands, by the inbox key of the command. In memory (a command
    handled after a restart is remembered again from its inbox row); once expired, or for a command
    older than the URL's lifetime, replies go through chat.postMessage instead."""

    def __init__(self, clock: Callable[[], dt.datetime]) -> None:
        self.clock = clock
        self._by_key: dict[str, _Response] = {}

    def remember(self, message_key: str, url: str, response_type: str, since: dt.datetime | None = None, for_press: bool = False) -> None:
        """`since`: when Slack sent the command (the URL's lifetime starts then; a command handled
        after a restart may be too old for it already, and is then answered by chat.postMessage)."""
        now = self.clock()
        self._by_key = {k: v for k, v in self._by_key.items() if v.expires_at > now}
        expires_at = (since or now) + RESPONSE_URL_LIFETIME
        if expires_at > now:
            self._by_key[message_key] = _Response(url, response_type, expires_at, for_press)

    def for_row(self, row: Outbox) -> _Response | None:
        if row.kind != "reply" or not row.key.startswith("reply:"):
            return None
        message_key = row.key.removeprefix("reply:").rsplit(":", 1)[0]
        found = self._by_key.get(message_key)
        return found if found is not None and found.expires_at > self.clock() else None

    def forget(self, row: Outbox) -> None:
        self._by_key.pop(row.key.removeprefix("reply:").rsplit(":", 1)[0], None)


class EphemeralReplies:
    """Who alone sees the replies to a message in a channel (an @mention's note confirmation), by the
    inbox key of the message. In memory: a message handled after a restart is answered in the channel."""

    def __init__(self, clock: Callable[[], dt.datetime]) -> None:
        self.clock = clock
        self._by_key: dict[str, tuple[str, dt.datetime]] = {}

    def remember(self, message_key: str, user_id: str) -> None:
        now = self.clock()
        self._by_key = {k: v for k, v in self._by_key.items() if v[1] > now}
        self._by_key[message_key] = (user_id, now + RESPONSE_URL_LIFETIME)

    def for_row(self, row: Outbox) -> str | None:
        if row.kind != "reply" or row.chat_kind != "group" or not row.key.startswith("reply:"):
            return None
        found = self._by_key.get(row.key.removeprefix("reply:").rsplit(":", 1)[0])
        return found[0] if found is not None and found[1] > self.clock() else None


class SlackSender:
    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, response_urls: ResponseUrls, ephemeral: EphemeralReplies | None = None) -> None:
        self.client = client
        self.response_urls = response_urls
        self.ephemeral = ephemeral or EphemeralReplies(response_urls.clock)
        self._dm: dict[str, str] = {}  # user id → DM channel id

    async def send(self, row: Outbox, message: Outgoing) -> None:
        try:
            if await self._via_response_url(row, message):
                return
            channel = await self._channel(row.chat_id)
            if message.replaces and await self._update(channel, message):
                return
            files = [p for p in (message.image_path, message.file_path) if p]
            if files and not message.buttons:
                await self._upload(channel, files, message.text)
                return
            only_for = self.ephemeral.for_row(row)
            if only_for and not files:
                await self.client.chat_postEphemeral(channel=channel, user=only_for, **message_args(message))
                return
            await self.client.chat_postMessage(channel=channel, unfurl_links=False, unfurl_media=False, **message_args(message))
            if files:
                await self._upload(channel, files, None)
        except SlackApiError as exc:
            translated = _translated(exc)
            if translated is exc:
                raise
            raise translated from exc
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RetryLater(None, f"network: {exc!r}"[:200]) from exc  # backoff with jitter

    async def _via_response_url(self, row: Outbox, message: Outgoing) -> bool:
        response = self.response_urls.for_row(row)
        if response is None or message.image_path or message.file_path:
            return False
        if response.for_press and not message.replaces:
            return False  # a press's other replies are new messages
        body = message_args(message) | {"response_type": response.response_type, "replace_original": response.for_press}
        result = await AsyncWebhookClient(response.url, timeout=10).send_dict(body)
        if result.status_code == 200:
            return True
        if result.status_code == 429:
            raise RetryLater(_seconds(result.headers.get("Retry-After") or result.headers.get("retry-after")), "ratelimited (response_url)")
        log.info("response_url for %s refused (%s %s); posting instead", row.key, result.status_code, result.body[:100])
        self.response_urls.forget(row)
        return False

    async def _update(self, channel: str, message: Outgoing) -> bool:
        """chat.update of the pressed message (when its response_url is gone); False when Slack will
        not (an ephemeral message, a deleted one): the answer is then posted as a new message."""
        args = message_args(message)
        try:
            await self.client.chat_update(channel=channel, ts=message.replaces, text=args["text"], blocks=args.get("blocks", []))
        except SlackApiError as exc:
            error = (exc.response.data or {}).get("error", "") if isinstance(exc.response.data, dict) else ""
            if error in ("message_not_found", "cant_update_message", "edit_window_closed", "msg_too_long"):
                return False
            raise
        return True

    async def _channel(self, chat_id: str) -> str:
        """Members' private chats are kept under their user id; Slack wants the DM's channel id."""
        if chat_id[:1] not in ("U", "W"):
            return chat_id
        if chat_id not in self._dm:
            opened = await self.client.conversations_open(users=chat_id)
            self._dm[chat_id] = opened["channel"]["id"]
        return self._dm[chat_id]

    async def _upload(self, channel: str, paths: list[str], text: str | None) -> None:
        files = [attachment_bytes(p) for p in paths]
        uploads = [{"content": data, "filename": name, "title": name} for name, data in files]
        extra = {"initial_comment": text} if text else {}
        await self.client.files_upload_v2(channel=channel, file_uploads=uploads, **extra)


def _seconds(value) -> float:
    try:
        return max(1.0, float(value))
    except (TypeError, ValueError):
        return 30.0


def _translated(exc: SlackApiError) -> Exception:
    response = exc.response
    if response.status_code == 429:
        headers = response.headers or {}
        return RetryLater(_seconds(headers.get("Retry-After") or headers.get("retry-after")), "ratelimited")
    error = (response.data or {}).get("error", "") if isinstance(response.data, dict) else ""
    if error in PERMANENT_ERRORS:
        return PermanentFailure(error)
    if error in ("ratelimited", "service_unavailable", "fatal_error", "internal_error", "request_timeout"):
        return RetryLater(None, error)  # 5xx and the like: backoff with jitter
    return exc
