"""WeCom app callbacks (the decrypted XML, as a dict) → neutral Incoming messages.

A self-built app receives what members write to it in their one-to-one chat with the app (WeCom
sends an app no group messages; groups it made with appchat/create only receive), so every message
is private and keyed by the sender's UserID, which is also where the scheduler pushes. message_id is
WeCom's MsgId, the same on each of its retries; a card button press is keyed by the card's task id,
the presser and the button, so a retried or double-tapped press is one message.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import replace

from chat.messages import Incoming

PLATFORM = "wecom"
MEDIA_KINDS = {"image": "photo", "voice": "voice", "video": "video", "file": "file", "location": "location", "link": "link"}


def sent_at(fields: dict, fallback: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(fields.get("CreateTime", "")), dt.timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return fallback


def key_fields(fields: dict) -> tuple[str, str] | None:
    """(sender UserID, message id) for what crmbot answers; None for what it ignores (other events)."""
    user = str(fields.get("FromUserName") or "")
    kind = fields.get("MsgType")
    if not user:
        return None
    if kind == "event":
        if fields.get("Event") != "template_card_event" or not fields.get("EventKey"):
            return None  # entering the app, subscribing, menu clicks …
        digest = hashlib.sha256(str(fields["EventKey"]).encode()).hexdigest()[:16]
        return user, f"card:{fields.get('TaskId', '')}:{digest}"
    if kind in ("text", *MEDIA_KINDS) and fields.get("MsgId"):
        return user, str(fields["MsgId"])
    return None


def from_fields(fields: dict, sender_name: str | None, now: dt.datetime) -> Incoming | None:
    found = key_fields(fields)
    if found is None:
        return None
    user, message_id = found
    kind = fields.get("MsgType")
    msg = Incoming(
        platform=PLATFORM,
        chat_id=user,
        chat_kind="private",
        sender_id=user,
        sender_name=sender_name or user,
        text=str(fields.get("Content") or "") if kind == "text" else "",
        message_id=message_id,
        sent_at=sent_at(fields, now),
    )
    if kind == "event":
        return replace(msg, button_payload=str(fields["EventKey"]), addressed=True)
    if kind != "text":
        return replace(msg, media_kind=MEDIA_KINDS[str(kind)])
    return msg
