"""Feishu events (im.message.receive_v1, card.action.trigger; schema 2.0, as plain dicts) → neutral
Incoming messages. No network, no database.

A member's private chat is keyed by their open_id (pushes go to it with receive_id_type=open_id);
group chats by the chat_id. message_id is Feishu's message id, the same in every redelivery and in
both transports; a button press is keyed by the card's message, the presser and the button, so a
double tap is one press.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

from chat.messages import Incoming

PLATFORM = "feishu"
MESSAGE_EVENT = "im.message.receive_v1"
CARD_ACTION_EVENT = "card.action.trigger"
# message types we cannot read, as the router names them
MEDIA_KINDS = {"image": "photo", "audio": "voice", "media": "video", "sticker": "sticker", "file": "file"}


def event_type(envelope: dict) -> str:
    return str((envelope.get("header") or {}).get("event_type") or "")


def from_ms(value, fallback: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, dt.timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return fallback


def sender_open_id(envelope: dict) -> str:
    event = envelope.get("event") or {}
    if event_type(envelope) == CARD_ACTION_EVENT:
        return str((event.get("operator") or {}).get("open_id") or "")
    return str(((event.get("sender") or {}).get("sender_id") or {}).get("open_id") or "")


def is_from_a_person(envelope: dict) -> bool:
    """A user's message (the bot's own and other apps' are not notes)."""
    sender = (envelope.get("event") or {}).get("sender") or {}
    return sender.get("sender_type", "user") == "user" and bool(sender_open_id(envelope))


def _post_element(element: dict) -> str:
    if element.get("tag") == "at":
        return str(element.get("user_id") or "")  # the @_user_N key, resolved with the mentions below
    return str(element.get("text") or "")


def message_text(message: dict, bot_open_id: str | None) -> tuple[str, bool]:
    """What the person typed, and whether it @mentions the bot. Mentions arrive as @_user_N keys:
    the bot's own is removed, others become @name."""
    try:
        content = json.loads(message.get("content") or "{}")
    except ValueError:
        content = {}
    kind = message.get("message_type")
    if kind == "post":  # rich text: its title and the text of every element, line by line
        body = content.get("zh_cn") or content.get("en_us") or content
        lines = [body.get("title") or ""]
        for paragraph in body.get("content") or []:
            lines.append("".join(_post_element(el) for el in paragraph if isinstance(el, dict)))
        text = "\n".join(line for line in lines if line)
    else:
        text = str(content.get("text") or "") if isinstance(content, dict) else ""
    addressed = False
    for mention in message.get("mentions") or []:
        key = str(mention.get("key") or "")
        is_bot = bool(bot_open_id) and (mention.get("id") or {}).get("open_id") == bot_open_id
        addressed = addressed or is_bot or not bot_open_id  # bot unknown: a mention in a group we hear is ours
        if key:
            text = re.sub(re.escape(key) + r"(?!\d)[,:，：]?", " " if is_bot else "@" + str(mention.get("name") or ""), text)
    return re.sub(r"[ \t]+", " ", text).strip(), addressed


def from_message(envelope: dict, sender_name: str, bot_open_id: str | None, now: dt.datetime) -> Incoming:
    message = (envelope.get("event") or {}).get("message") or {}
    private = message.get("chat_type") == "p2p"
    open_id = sender_open_id(envelope)
    text, addressed = message_text(message, bot_open_id)
    kind = str(message.get("message_type") or "text")
    media = MEDIA_KINDS.get(kind) if kind not in ("text", "post") else None
    file_name = None
    if kind == "file":
        try:
            file_name = json.loads(message.get("content") or "{}").get("file_name")
        except ValueError:
            pass
    return Incoming(
        platform=PLATFORM,
        chat_id=open_id if private else str(message.get("chat_id") or ""),
        chat_kind="private" if private else "group",
        sender_id=open_id,
        sender_name=sender_name,
        text="" if media else text,
        message_id=str(message.get("message_id") or (envelope.get("header") or {}).get("event_id") or ""),
        sent_at=from_ms(message.get("create_time"), now),
        addressed=addressed or private,
        media_kind=media or (None if kind in ("text", "post") else "file"),
        file_name=file_name,
    )


SHEET_SUFFIXES = (".csv", ".xlsx", ".xls", ".tsv")


def sheet_file(envelope: dict) -> tuple[str, str, str] | None:
    """(message_id, file_key, file_name) of a spreadsheet sent as a file message, else None."""
    message = (envelope.get("event") or {}).get("message") or {}
    if message.get("message_type") != "file":
        return None
    try:
        content = json.loads(message.get("content") or "{}")
    except ValueError:
        return None
    key, name, message_id = content.get("file_key") if isinstance(content, dict) else None, content.get("file_name") if isinstance(content, dict) else None, message.get("message_id")
    if not all(isinstance(v, str) and v for v in (key, name, message_id)) or not str(name).lower().endswith(SHEET_SUFFIXES):
        return None
    return str(message_id), str(key), str(name)[:200]


def from_action(envelope: dict, sender_name: str, now: dt.datetime) -> Incoming:
    """A button of one of our cards. Its value carries the chat the card was sent to (set by cards.py,
    returned by Feishu as it was: the callback's context names only Feishu's chat id, not whether it
    is a private chat)."""
    event = envelope.get("event") or {}
    action = event.get("action") or {}
    value = action.get("value") if isinstance(action.get("value"), dict) else {}
    context = event.get("context") or {}
    open_id = sender_open_id(envelope)
    private = value.get("kind") == "private"
    payload = str(value.get("crm") or "")
    digest = hashlib.sha256(payload.encode()).hexdigest()[:16]
    card = context.get("open_message_id") or (envelope.get("header") or {}).get("event_id") or ""
    return Incoming(
        platform=PLATFORM,
        chat_id=open_id if private else str(value.get("chat") or context.get("open_chat_id") or ""),
        chat_kind="private" if private else "group",
        sender_id=open_id,
        sender_name=sender_name,
        text="",
        message_id=f"act:{card}:{open_id}:{digest}",
        sent_at=from_ms((envelope.get("header") or {}).get("create_time"), now),
        button_payload=payload,
        addressed=True,
    )
