"""A DingTalk robot message (the JSON of a stream CALLBACK's data, or an outgoing-robot POST) → Incoming.

A one-to-one chat is keyed by the sender's staff id (the userId that oToMessages/batchSend takes,
and that pushes use); a group by its openConversationId (groupMessages/send). message_id is
DingTalk's msgId, so a redelivery has the same inbox key. Buttons are links that make DingTalk send
`label 〔payload〕` as the user's own message (sender.py); such a message is a button press.
"""
from __future__ import annotations

import datetime as dt
import re

from chat.messages import Incoming
from storage.text import storable

PLATFORM = "dingtalk"
PRIVATE, GROUP = "1", "2"  # conversationType
PAYLOAD_OPEN, PAYLOAD_CLOSE = "〔", "〕"
_PRESS = re.compile(r"〔(p:[A-Za-z0-9_-]{1,40}:[A-Za-z0-9_.-]{1,40})〕\s*$")


def _id(value) -> str:
    """An id as every backend stores it, short enough that the key never gets cut later (Incoming.storable)."""
    return storable(str(value or ""))[:200]


def sender_id(data: dict) -> str:
    """The member: staff id inside the organisation (what the send APIs take), else the opaque sender id."""
    return _id(data.get("senderStaffId") or data.get("senderId"))


def chat_id(data: dict) -> str:
    return sender_id(data) if data.get("conversationType") != GROUP else _id(data.get("conversationId"))


def message_key(data: dict) -> str:
    return f"{PLATFORM}:{chat_id(data)}:{_id(data.get('msgId'))}"


def is_message(data: dict) -> bool:
    """Something a person sent the robot, with what the key needs."""
    return bool(data.get("msgId")) and bool(sender_id(data)) and bool(chat_id(data))


def text_of(data: dict) -> str:
    msgtype = data.get("msgtype")
    if msgtype == "text":
        return str((data.get("text") or {}).get("content") or "")
    if msgtype == "richText":
        parts = ((data.get("content") or {}).get("richText")) or []
        return "".join(str(p.get("text") or "") for p in parts if isinstance(p, dict))
    return ""


SHEET_SUFFIXES = (".csv", ".xlsx", ".xls", ".tsv")


def _content(data: dict) -> dict:
    content = data.get("content")
    return content if isinstance(content, dict) else {}


def sheet_file(data: dict) -> tuple[str, str] | None:
    """(downloadCode, fileName) of a spreadsheet sent as a file (msgtype file), else None."""
    if data.get("msgtype") != "file":
        return None
    content = _content(data)
    code, name = content.get("downloadCode"), content.get("fileName")
    if not isinstance(code, str) or not code or not isinstance(name, str) or not name.lower().endswith(SHEET_SUFFIXES):
        return None
    return code, storable(name)[:200]


def _sent_at(data: dict, fallback: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(data["createAt"]) / 1000, dt.timezone.utc)
    except (KeyError, TypeError, ValueError, OverflowError):
        return fallback


def to_incoming(data: dict, received_at: dt.datetime) -> Incoming:
    group = data.get("conversationType") == GROUP
    text = text_of(data)
    payload = None
    pressed = _PRESS.search(text)
    pressed_card = None
    if pressed:
        payload, text = pressed.group(1), ""
        if data.get("cardCallback") and isinstance(data.get("pressedCard"), str):
            pressed_card = _id(data["pressedCard"])  # a tap on a group card (cards.py): its answer may take the card's place
    media = None if data.get("msgtype") in ("text", "richText") else ("photo" if data.get("msgtype") == "picture" else "file")
    content = _content(data)
    file_name = storable(str(content.get("fileName")))[:200] if data.get("msgtype") == "file" and content.get("fileName") else None
    return Incoming(
        platform=PLATFORM,
        chat_id=chat_id(data),
        chat_kind="group" if group else "private",
        sender_id=sender_id(data),
        sender_name=str(data.get("senderNick") or sender_id(data))[:100],
        text=text.strip(),
        message_id=_id(data["msgId"]),
        sent_at=_sent_at(data, received_at),
        button_payload=payload,
        pressed_message_id=pressed_card,
        addressed=True,  # in a group the robot only hears messages that @mention it
        media_kind=media,  # a spreadsheet's bytes are added by the adapter (which then clears this)
        file_name=file_name,
    )
