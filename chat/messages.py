"""The neutral message types: the only thing adapters and handlers share.

Adapters translate a platform update into an ``Incoming`` and send ``Outgoing`` replies;
handlers never see a telegram or slack object.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from typing import Any

from storage.types import storable

MAX_STORED_CHARS = 50_000  # a message's text beyond this is never looked at nor kept (router.MAX_INPUT_CHARS)


@dataclass(frozen=True)
class Button:
    label: str
    payload: str  # opaque: a prompt id and a choice, checked against the presser


@dataclass
class Outgoing:
    text: str
    buttons: list[list[Button]] = field(default_factory=list)  # rows of buttons
    image_path: str | None = None
    file_path: str | None = None
    # optional, for messengers that can do better than a new message (others ignore them):
    replaces: str | None = None  # the platform id of the bot's message to edit in place (a pressed button's)
    asks_for_text: bool = False  # waits for a typed answer (Telegram groups: ForceReply, no @mention needed)
    asked_of: str | None = None  # a question after a press: the platform id and name of whom it asks
    asked_of_name: str | None = None  # (so a group's ForceReply goes to the presser only)
    edit: Button | None = None  # what this shows can be edited in a form (payload "customer:12"): messengers with forms (Slack's modals) add this button

    def to_body(self) -> dict:
        """asdict's dict, field by field (asdict's recursive deep copy cost more than the reply's whole INSERT)."""
        body: dict[str, Any] = {
            "text": self.text,
            "buttons": [[{"label": b.label, "payload": b.payload} for b in row] for row in self.buttons],
            "image_path": self.image_path,
            "file_path": self.file_path,
        }
        for name in ("replaces", "asks_for_text", "asked_of", "asked_of_name"):  # rows written before these fields look the same
            value = getattr(self, name)
            if value:
                body[name] = value
        if self.edit:
            body["edit"] = {"label": self.edit.label, "payload": self.edit.payload}
        return body

    @classmethod
    def from_body(cls, body: dict) -> Outgoing:
        rows = [[Button(**b) for b in row] for row in body.get("buttons") or []]
        return cls(
            text=body.get("text", ""), buttons=rows, image_path=body.get("image_path"), file_path=body.get("file_path"),
            replaces=body.get("replaces"), asks_for_text=bool(body.get("asks_for_text")),
            asked_of=body.get("asked_of"), asked_of_name=body.get("asked_of_name"),
            edit=Button(**body["edit"]) if isinstance(body.get("edit"), dict) else None,
        )


@dataclass(frozen=True)
class Incoming:
    platform: str  # "console" | "telegram" | "slack"
    chat_id: str
    chat_kind: str  # "private" | "group"
    sender_id: str
    sender_name: str
    text: str
    message_id: str
    sent_at: dt.datetime
    button_payload: str | None = None  # set when the message is a button press
    reply_to_bot: bool = False  # a reply to one of the bot's messages
    addressed: bool = False  # mentions the bot (groups)
    language_hint: str | None = None  # the platform's idea of the sender's language (e.g. "zh-hans")
    sender_timezone: str | None = None
    file_name: str | None = None  # a document sent along (import)
    file_bytes: bytes | None = None
    media_kind: str | None = None  # "voice" | "photo" | "sticker" | … : something we cannot read
    pressed_message_id: str | None = None  # a button press: the platform id of the bot's message it was on
    edit_of: str | None = None  # an edited message: the message_id of the message as first sent
    start_link: str | None = None  # a link that opens a chat with the bot and sends /start CODE (CODE appended)
    logged_note: bool = False  # someone's message the sender files as their note (Slack's "Log as CRM note"): never a command or an answer, and not the sender's own words (their language stays theirs)
    form: dict[str, Any] | None = None  # a filled-in form (Slack's edit modals): handlers/edit_forms.py applies it

    def storable(self) -> Incoming:
        """This message with every text field storable on any backend (lone surrogates replaced,
        NULs dropped, the text capped), so a hostile message is kept and answered, never lost."""
        changes: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                clean = storable(value[:MAX_STORED_CHARS] if f.name == "text" else value[:1000])
                if clean is not value:
                    changes[f.name] = clean
        return replace(self, **changes) if changes else self

    @property
    def key(self) -> str:
        """Unique per message: the same key twice is a redelivery."""
        return f"{self.platform}:{self.chat_id}:{self.message_id}"
