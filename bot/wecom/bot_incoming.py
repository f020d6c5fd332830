"""A WeCom 智能机器人 (AI bot, API mode) callback (the decrypted JSON) → a neutral Incoming.

The bot hears what members write to it one-to-one and, in a group, only messages that @mention it
(msgtype text or mixed), and card button presses (msgtype event, template_card_event). A group is
keyed by its chatid; a one-to-one chat by the sender's userid, as the self-built app keys it, so the
member is the same person in both and pushes reach them through the app. message_id is the
callback's msgid (the same on WeCom's retries); a button press is keyed by the card's task id, the
presser and the button, so a retried or double-tapped press is one message.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import replace

from chat.messages import Incoming
from storage.text import storable

from .incoming import PLATFORM

GROUP = "group"
MEDIA_KINDS = {"image": "photo", "voice": "voice", "file": "file", "video": "video"}
_LEADING_MENTION = re.compile(r"^\s*@\S+\s*")  # the bot's @name, written first (its name not configured)


def _id(value) -> str:
    return storable(str(value or ""))[:200]


def sender_id(body: dict) -> str:
    sender = body.get("from")
    return _id(sender.get("userid")) if isinstance(sender, dict) else ""


def is_group(body: dict) -> bool:
    return body.get("chattype") == GROUP


def chat_id(body: dict) -> str:
    return _id(body.get("chatid")) if is_group(body) else sender_id(body)


def card_event(body: dict) -> dict | None:
    event = body.get("event")
    if body.get("msgtype") != "event" or not isinstance(event, dict) or event.get("eventtype") != "template_card_event":
        return None
    card = event.get("template_card_event")
    return card if isinstance(card, dict) and isinstance(card.get("event_key"), str) and card["event_key"] else None


def message_id(body: dict) -> str | None:
    """The id that makes the inbox key; None for what crmbot does not answer (entering the chat, feedback …)."""
    if not sender_id(body) or not chat_id(body):
        return None
    card = card_event(body)
    if card is not None:
        digest = hashlib.sha256(f"{sender_id(body)}\n{card['event_key']}".encode()).hexdigest()[:16]
        return f"card:{_id(card.get('task_id'))[:64]}:{digest}"
    if body.get("msgtype") in ("text", "mixed", *MEDIA_KINDS) and body.get("msgid"):
        return _id(body["msgid"])
    return None


def text_of(body: dict) -> str:
    """What was written: a text's content, a mixed message's text parts (its images are not read)."""
    kind = body.get("msgtype")
    if kind == "text":
        return str((body.get("text") or {}).get("content") or "")
    if kind == "mixed":
        items = (body.get("mixed") or {}).get("msg_item") or []
        parts = [str((i.get("text") or {}).get("content") or "") for i in items if isinstance(i, dict) and i.get("msgtype") == "text"]
        return "\n".join(p for p in parts if p)
    return ""


def without_mention(text: str, bot_name: str | None) -> str:
    """The note without the bot's @mention: every @name when its name is known, else a leading @word
    (WeCom writes the mention as typed, e.g. "@CRM助手 拜访了李娜")."""
    if bot_name:
        return re.sub(r"\s*@" + re.escape(bot_name.lstrip("@")) + r"\s*", " ", text).strip()
    return _LEADING_MENTION.sub("", text, count=1).strip()


def sent_at(body: dict, fallback: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(body["create_time"]), dt.timezone.utc)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return fallback


def from_body(body: dict, sender_name: str | None, now: dt.datetime, bot_name: str | None = None) -> Incoming | None:
    mid = message_id(body)
    if mid is None:
        return None
    group = is_group(body)
    kind = body.get("msgtype")
    text = text_of(body)
    msg = Incoming(
        platform=PLATFORM,
        chat_id=chat_id(body),
        chat_kind="group" if group else "private",
        sender_id=sender_id(body),
        sender_name=(sender_name or sender_id(body))[:100],
        text=without_mention(text, bot_name) if group else text.strip(),
        message_id=mid,
        sent_at=sent_at(body, now),
        addressed=True,  # in a group the bot only hears messages that @mention it
    )
    card = card_event(body)
    if card is not None:
        return replace(msg, text="", button_payload=str(card["event_key"]))
    if kind in MEDIA_KINDS:
        return replace(msg, media_kind=MEDIA_KINDS[str(kind)])
    return msg
