"""Telegram update → the neutral Incoming. Pure translation: no network, no database.

`translate` decides whether an update is for us at all (group chatter, other bots' commands and
service messages are not, and are never stored) and builds the Incoming without file contents;
the adapter downloads an importable document afterwards and adds the bytes.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from telegram import Message, Update, User

from chat.messages import Incoming

PLATFORM = "telegram"
SHEET_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
MAX_SHEET_BYTES = 10 * 1024 * 1024  # the Bot API serves files up to 20 MB; imports are far smaller


@dataclass(frozen=True)
class Translated:
    incoming: Incoming
    file_id: str | None = None  # an importable document to download before handling
    callback_id: str | None = None  # a button press to answer


def translate(update: Update, me: User, now: dt.datetime) -> Translated | None:
    """The Incoming for this update, or None when the update is not for the bot."""
    if update.callback_query is not None:
        return _press(update, now)
    message = update.message or update.edited_message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return None
    edited = update.message is None  # an edit: its note is read again (a key of its own per edit)
    kind = _chat_kind(message.chat.type)
    if kind is None:
        return None
    raw_text = message.text or message.caption or ""
    addressed = _mentions(message, me)
    reply_to_bot = bool(message.reply_to_message and message.reply_to_message.from_user and message.reply_to_message.from_user.id == me.id)
    command_for_other = _command_for_other_bot(raw_text, me)
    if command_for_other:
        return None
    is_command = raw_text.startswith("/")
    if kind == "group" and not (is_command or addressed or reply_to_bot):
        return None  # plain chatter: never stored, never answered
    file_id = file_name = media_kind = None
    if message.document is not None:
        file_name = message.document.file_name or "upload"
        if _is_sheet(file_name) and (message.document.file_size or 0) <= MAX_SHEET_BYTES:
            file_id = message.document.file_id
        else:
            media_kind = "document"
    else:
        media_kind = _media_kind(message)
    if not raw_text and media_kind is None and file_id is None:
        return None  # service messages (members joining, pins, …)
    sender = message.from_user
    incoming = Incoming(
        platform=PLATFORM,
        chat_id=str(message.chat.id),
        chat_kind=kind,
        sender_id=str(sender.id),
        sender_name=sender.full_name or sender.username or str(sender.id),
        text=_without_mention(raw_text, me) if addressed else raw_text,
        message_id=f"{message.message_id}e{_edit_stamp(message)}" if edited else str(message.message_id),
        sent_at=_aware(message.edit_date if edited else message.date, now),
        edit_of=str(message.message_id) if edited else None,
        start_link=f"https://t.me/{me.username}?start=" if me.username else None,
        reply_to_bot=reply_to_bot,
        addressed=addressed,
        language_hint=sender.language_code,
        file_name=file_name,
        media_kind=media_kind,
    )
    return Translated(incoming, file_id=file_id)


def _press(update: Update, now: dt.datetime) -> Translated | None:
    query = update.callback_query
    if query.message is None or not query.data:
        return None  # inline-mode or game buttons: not ours
    kind = _chat_kind(query.message.chat.type)
    if kind is None:
        return None
    incoming = Incoming(
        platform=PLATFORM,
        chat_id=str(query.message.chat.id),
        chat_kind=kind,
        sender_id=str(query.from_user.id),
        sender_name=query.from_user.full_name or str(query.from_user.id),
        text="",
        message_id=f"cb{query.id}",
        sent_at=now,
        button_payload=query.data,
        language_hint=query.from_user.language_code,
        pressed_message_id=str(query.message.message_id),
    )
    return Translated(incoming, callback_id=query.id)


def _edit_stamp(message: Message) -> int:
    edit_date = message.edit_date or message.date
    return int(edit_date.timestamp()) if edit_date else 0


def _chat_kind(chat_type: str) -> str | None:
    return {"private": "private", "group": "group", "supergroup": "group"}.get(chat_type)


def _mentions(message: Message, me: User) -> bool:
    handle = f"@{me.username}".lower() if me.username else None
    try:
        entities = {**message.parse_entities(), **message.parse_caption_entities()}
    except UnicodeError:  # a lone surrogate: UTF-16 offsets cannot be read; only direct mentions count
        entities = {e: "" for e in (*message.entities, *message.caption_entities)}
    for entity, text in entities.items():
        if entity.type == "mention" and handle and text.lower() == handle:
            return True
        if entity.type == "text_mention" and entity.user and entity.user.id == me.id:
            return True
    return False


def _without_mention(text: str, me: User) -> str:
    if not me.username:
        return text
    return re.sub(rf"@{re.escape(me.username)}\b[,:，：]?", "", text, flags=re.IGNORECASE).strip()


def _command_for_other_bot(text: str, me: User) -> bool:
    """'/help@someone_else_bot' in a group is for another bot."""
    if not text.startswith("/"):
        return False
    head = text.split(maxsplit=1)[0]
    if "@" not in head:
        return False
    return head.split("@", 1)[1].lower() != (me.username or "").lower()


def _media_kind(message: Message) -> str | None:
    if message.voice or message.audio:
        return "voice"
    if message.photo:
        return "photo"
    if message.sticker:
        return "sticker"
    if message.video or message.video_note or message.animation:
        return "video"
    if message.location or message.contact or message.venue or message.poll or message.dice:
        return "other"
    return None


def _is_sheet(file_name: str) -> bool:
    return Path(file_name).suffix.lower() in SHEET_SUFFIXES


def _aware(value: dt.datetime | None, fallback: dt.datetime) -> dt.datetime:
    if value is None:
        return fallback
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
