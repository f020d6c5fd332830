"""Outbox rows → Telegram: text with inline keyboards, photos, documents; errors → retry or give up.

The Deliverer decides when a row goes out (and paces it); this only sends it and says how it went:
RetryLater on 429 (Telegram's retry_after) and network trouble, PermanentFailure when Telegram
refuses for good (blocked, chat gone, bad request).
"""
from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable

from telegram import Bot, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, ReplyParameters, User
from telegram.warnings import PTBDeprecationWarning
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from chat.messages import Outgoing
from reminders.delivery import PermanentFailure, RetryLater, attachment_bytes
from storage.models import Outbox

log = logging.getLogger(__name__)

PLATFORM = "telegram"
MAX_TEXT = 4096
MAX_CAPTION = 1024
SEND_TIMEOUT = 10.0  # seconds for a send's answer: Telegram takes no idempotency key, so a timed-out
# send may have arrived and is sent again (at least once); a short timeout keeps that window small


def keyboard(message: Outgoing) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label[:64], callback_data=b.payload) for b in row] for row in message.buttons])


def chunks(text: str, size: int = MAX_TEXT) -> list[str]:
    """Split a long text on line breaks into messages Telegram accepts (rare: replies are short)."""
    if len(text) <= size:
        return [text]
    out, current = [], ""
    for line in text.split("\n"):
        while len(line) > size:
            if current:
                out.append(current)
                current = ""
            out.append(line[:size])
            line = line[size:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > size:
            out.append(current)
            current = line
        else:
            current = candidate
    if current:
        out.append(current)
    return out


def reply_target(row: Outbox) -> int | None:
    """In groups a reply quotes the message it answers (keys look like reply:telegram:<chat>:<id>:<n>)."""
    if row.kind != "reply" or row.chat_kind != "group":
        return None
    parts = row.key.split(":")
    if len(parts) >= 5 and parts[0] == "reply" and parts[1] == PLATFORM and parts[-2].isdigit():
        return int(parts[-2])
    return None


class TelegramSender:
    platform = PLATFORM

    def __init__(self, bot: Callable[[], Awaitable[Bot]], timeout: float = SEND_TIMEOUT) -> None:
        self._bot = bot  # the initialized bot, when the adapter is ready
        self.timeout = timeout

    async def send(self, row: Outbox, message: Outgoing) -> None:
        bot = await self._bot()
        chat_id: int | str = int(row.chat_id) if row.chat_id.lstrip("-").isdigit() else row.chat_id
        try:
            try:
                await self._send(bot, chat_id, row, message)
            except ChatMigrated as moved:  # the group became a supergroup: same conversation, new id
                log.info("telegram chat %s moved to %s", chat_id, moved.new_chat_id)
                await self._send(bot, moved.new_chat_id, row, message)
        except RetryAfter as exc:
            raise RetryLater(retry_seconds(exc), f"telegram 429: {exc.message}") from exc
        except Forbidden as exc:
            raise PermanentFailure(f"telegram 403: {exc.message}") from exc
        except BadRequest as exc:
            raise PermanentFailure(f"telegram 400: {exc.message}") from exc
        except (TimedOut, NetworkError) as exc:  # 5xx and network trouble: back off (the Deliverer's schedule)
            raise RetryLater(None, f"telegram network: {exc.message}") from exc
        except FileNotFoundError as exc:
            raise PermanentFailure(f"attachment missing: {exc.filename}") from exc

    async def _send(self, bot: Bot, chat_id: int | str, row: Outbox, message: Outgoing) -> None:
        if forces_reply(row, message):
            await self._ask(bot, chat_id, row, message)
            return
        if message.replaces and await self._edit(bot, chat_id, message):
            return
        markup = keyboard(message)
        quote = reply_target(row)
        reply = ReplyParameters(message_id=quote, allow_sending_without_reply=True) if quote else None
        text = message.text or ""
        attachment = message.image_path or message.file_path
        if attachment:
            caption = text if len(text) <= MAX_CAPTION else None
            name, data = attachment_bytes(attachment)
            kwargs = {"caption": caption, "reply_markup": markup if caption is not None else None, "reply_parameters": reply}
            if message.image_path:
                await bot.send_photo(chat_id, photo=data, filename=name, **kwargs, **self._timeouts(upload=True))
            else:
                await bot.send_document(chat_id, document=data, filename=name, **kwargs, **self._timeouts(upload=True))
            if caption is not None:
                return
            reply = None
        parts = chunks(text) if text else []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            await bot.send_message(chat_id, part, reply_markup=markup if last else None, reply_parameters=reply if i == 0 else None, **self._timeouts())

    async def _edit(self, bot: Bot, chat_id: int | str, message: Outgoing) -> bool:
        """The answer to a press takes the place of the pressed message; False when it must be sent
        as a new one instead (too long, a photo's caption, a message Telegram no longer lets us edit)."""
        text = message.text or ""
        if not text or len(text) > MAX_TEXT or not (message.replaces or "").isdigit():
            return False
        try:
            await bot.edit_message_text(text, chat_id=chat_id, message_id=int(message.replaces or 0), reply_markup=keyboard(message), **self._timeouts())
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return True  # the same press twice: it already reads so
            log.info("telegram: cannot edit message %s in %s (%s); sending a new one", message.replaces, chat_id, exc.message)
            try:  # its buttons go all the same (a photo's caption, say)
                await bot.edit_message_reply_markup(chat_id=chat_id, message_id=int(message.replaces or 0), reply_markup=None, **self._timeouts())
            except BadRequest:
                pass
            return False
        return True

    async def _ask(self, bot: Bot, chat_id: int | str, row: Outbox, message: Outgoing) -> None:
        """A question waiting for typed text in a group: a new message with ForceReply(selective), so
        the asked person's app makes their answer a reply to it, which reaches the bot without an
        @mention in privacy mode. Selective aims at whom it asks: the message it answers (a typed
        ask), else a mention of the presser. ForceReply takes the place of the buttons (Cancel, Skip:
        typing "cancel" / "算了" still closes it); the pressed message loses its buttons."""
        if message.replaces and message.replaces.isdigit():
            try:
                await bot.edit_message_reply_markup(chat_id=chat_id, message_id=int(message.replaces), reply_markup=None, **self._timeouts())
            except BadRequest:
                pass  # already without them, or too old to edit
        text, entities = message.text, None
        quote = reply_target(row)
        if quote is None and (message.asked_of or "").isdigit():
            name = (message.asked_of_name or "").strip()[:64] or "→"
            text = f"{name}{'，' if _cjk(message.text[:8]) else ', '}{message.text}"  # in the question's language
            who = User(id=int(message.asked_of or 0), first_name=name, is_bot=False)
            entities = [MessageEntity(MessageEntity.TEXT_MENTION, 0, len(name.encode("utf-16-le")) // 2, user=who)]
        reply = ReplyParameters(message_id=quote, allow_sending_without_reply=True) if quote else None
        await bot.send_message(chat_id, text[:MAX_TEXT], entities=entities, reply_markup=ForceReply(selective=True), reply_parameters=reply, **self._timeouts())

    def _timeouts(self, upload: bool = False) -> dict:
        return {"read_timeout": self.timeout, "write_timeout": self.timeout * (3 if upload else 1), "connect_timeout": self.timeout}


def forces_reply(row: Outbox, message: Outgoing) -> bool:
    """A question for typed text in a group (privacy mode would keep an answer without @mention from the bot)."""
    return message.asks_for_text and row.chat_kind == "group" and not (message.image_path or message.file_path) and bool(message.text)


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that retry_after becomes a timedelta; accept both
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
