"""The Slack side of the inbox: what a listener accepted is written here (enough of the raw payload
to rebuild the Incoming, status 'received') before Slack gets its ack, and read back after a crash.
The router marks rows handled; a row already handled makes a retry a no-op.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from chat.messages import Incoming
from storage import messaging
from storage.db import Database

from . import incoming as translate
from .profiles import Profile

log = logging.getLogger(__name__)

PLATFORM = translate.PLATFORM
KINDS = ("message", "mention", "command", "action", "home", "shortcut", "form")  # home: a button on the App Home tab; shortcut: "Log as CRM note"; form: an edit modal submitted


@dataclass(frozen=True)
class Received:
    """One thing a listener accepted, as stored: its kind, the trimmed Slack payload, when it came."""

    kind: str  # one of KINDS
    body: dict  # the event envelope / the slash command's form / the block_actions payload (trimmed)
    action: dict | None  # the pressed button (actions)
    received_at: dt.datetime

    @property
    def user_id(self) -> str:
        if self.kind in ("message", "mention"):
            return self.body["event"]["user"]
        if self.kind == "command":
            return self.body["user_id"]
        return self.body["user"]["id"]

    def incoming(self, profile: Profile, bot_user_id: str | None) -> Incoming:
        """The neutral message; its key never depends on the profile (only on the user id)."""
        now = self.received_at
        if self.kind == "message":
            return translate.from_message(self.body, self.body["event"], profile, bot_user_id, now)
        if self.kind == "mention":
            return translate.from_mention(self.body, self.body["event"], profile, bot_user_id, now)
        if self.kind == "command":
            return translate.from_command(self.body, profile, now)
        if self.kind == "home":
            return translate.from_home(self.body, self.action or {}, profile, now)
        if self.kind == "shortcut":
            return translate.from_shortcut(self.body, profile, bot_user_id, now)
        if self.kind == "form":
            return translate.from_form(self.body, profile, now)
        return translate.from_action(self.body, self.action or {}, profile, now)

    def bare(self) -> Incoming:
        """The Incoming without asking users.info: enough for its key and chat."""
        return self.incoming(Profile(user_id=self.user_id, name=self.user_id), None)

    @property
    def key(self) -> str:
        return self.bare().key

    def to_payload(self) -> dict:
        payload = {"slack": self.kind, "body": self.body, "received_at": self.received_at.isoformat()}
        if self.action is not None:
            payload["action"] = self.action
        return payload

    @classmethod
    def from_payload(cls, payload: dict | None) -> Received | None:
        payload = payload or {}
        if payload.get("slack") not in KINDS or not isinstance(payload.get("body"), dict):
            return None  # blanked (/forget), or not written by this module
        try:
            received_at = dt.datetime.fromisoformat(payload["received_at"])
        except (KeyError, TypeError, ValueError):
            return None
        return cls(payload["slack"], payload["body"], payload.get("action"), received_at)


def received(kind: str, body: dict, now: dt.datetime, action: dict | None = None) -> Received:
    """What a listener got, trimmed to what rebuilding the Incoming needs (no verification token;
    for button presses not the whole message the buttons were on)."""
    body = {k: v for k, v in body.items() if k != "token"}
    if kind == "home":
        body = {k: body[k] for k in ("type", "user", "team", "trigger_id") if k in body}
    if kind == "shortcut":  # the message it was invoked on: only what the note needs
        message = body.get("message") if isinstance(body.get("message"), dict) else {}
        body = {k: body[k] for k in ("type", "callback_id", "user", "team", "channel", "trigger_id", "action_ts", "message_ts", "response_url") if k in body}
        body["message"] = {k: message[k] for k in ("ts", "text", "user") if k in message}
    if kind == "form":  # the submitted view: what reading the form needs (not its blocks)
        view = body.get("view") if isinstance(body.get("view"), dict) else {}
        body = {k: body[k] for k in ("type", "user", "team") if k in body}
        body["view"] = {k: view[k] for k in ("id", "hash", "callback_id", "private_metadata", "state") if k in view}
    if kind == "action":
        message = body.get("message") or {}
        body = {k: body[k] for k in ("type", "user", "team", "channel", "container", "trigger_id", "response_url") if k in body}
        if message.get("ts"):
            body["message"] = {"ts": message["ts"]}
    return Received(kind, body, dict(action) if action is not None else None, now)


async def store(db: Database, item: Received) -> bool:
    """Write it unless it is there already. True when it is still to be handled (new, or stored by an
    earlier delivery and not handled yet); False for a delivery of something already handled. Raises
    when nothing could be stored: the caller must not ack then."""
    msg = item.bare()
    key = msg.key
    try:
        async with db.write() as session:
            row = await messaging.inbox_get(session, key)
            if row is None:
                await messaging.inbox_record(session, key, PLATFORM, msg.chat_id, msg.sender_id, item.to_payload())
                return True
            return row.status == "received"
    except IntegrityError:
        log.info("slack: a concurrent delivery of %s stored it first", key)
        return False  # that delivery handles it


async def stored(db: Database, key: str) -> tuple[str, Received | None] | None:
    """The inbox row of this key: its status and what was stored (None when blanked); None when absent."""
    async with db.read() as session:
        row = await messaging.inbox_get(session, key)
    return None if row is None else (row.status, Received.from_payload(row.payload))


async def unhandled(db: Database, skip: set[str]) -> list[tuple[str, Received]]:
    """Stored but not handled (a crash between the ack and the reply), oldest first."""
    async with db.read() as session:
        rows = await messaging.inbox_unhandled(session, PLATFORM)
    out = []
    for row in rows:
        if row.key in skip:
            continue
        item = Received.from_payload(row.payload)
        if item is None:
            log.warning("slack: inbox row %s cannot be rebuilt (payload %s); left as it is", row.key, sorted((row.payload or {}).keys()))
            skip.add(row.key)
            continue
        out.append((row.key, item))
    return out
