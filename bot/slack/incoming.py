"""Slack payloads (events, slash commands, button presses) → neutral Incoming messages.

A member's private conversation is keyed by their user id (the scheduler pushes to it the same
way); channels by the channel id. message_id is Slack's event_id for events, so retries and
Socket Mode redeliveries share one inbox key.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from handlers.commands import COMMANDS, parse_command
from chat.messages import Incoming

from .profiles import Profile
from .text import incoming_text

PLATFORM = "slack"
_COMMAND_NAMES = {name for c in COMMANDS for name in (c.name, *c.aliases)}
# message subtypes that are something a person said (others: edits, joins, bot posts, …)
HUMAN_SUBTYPES = {None, "thread_broadcast", "file_share"}


def from_ts(ts: str | None, fallback: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(float(ts), dt.timezone.utc)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return fallback


def is_direct_message(event: dict) -> bool:
    """A person writing to the bot in its DM (we subscribe to message.im only; anything else is skipped)."""
    return (
        event.get("channel_type") == "im"
        and event.get("subtype") in HUMAN_SUBTYPES
        and not event.get("bot_id")
        and bool(event.get("user"))
    )


def _common(profile: Profile) -> dict:
    return {"platform": PLATFORM, "sender_id": profile.user_id, "sender_name": profile.name, "language_hint": profile.locale, "sender_timezone": profile.timezone}


def from_message(body: dict, event: dict, profile: Profile, bot_user_id: str | None, now: dt.datetime) -> Incoming:
    files = event.get("files") or []
    return Incoming(
        chat_id=profile.user_id,
        chat_kind="private",
        text=incoming_text(event.get("text"), bot_user_id),
        message_id=body.get("event_id") or event["ts"],
        sent_at=from_ts(event.get("ts"), now),
        media_kind=("file" if files else None),
        file_name=(files[0].get("name") if files else None),
        **_common(profile),
    )


def from_mention(body: dict, event: dict, profile: Profile, bot_user_id: str | None, now: dt.datetime) -> Incoming:
    return Incoming(
        chat_id=event["channel"],
        chat_kind="group",
        text=incoming_text(event.get("text"), bot_user_id),
        message_id=body.get("event_id") or event["ts"],
        sent_at=from_ts(event.get("ts"), now),
        addressed=True,
        **_common(profile),
    )


def command_is_private(command: dict) -> bool:
    return command.get("channel_name") == "directmessage" or str(command.get("channel_id", "")).startswith("D")


_CANONICAL = {name: c.name for c in COMMANDS for name in (c.name, *c.aliases)}


def command_name(text: str) -> str | None:
    """The command a message's text runs ("/摘要 week" → "digest"), or None."""
    return _CANONICAL.get(parse_command(text)[0]) if text.startswith("/") else None


def command_text(text: str | None) -> str:
    """`/crm find wang` arrives as "find wang" → "/find wang"; bare `/crm` is help; `/crm 王伟 …` is a note."""
    text = incoming_text(text).lstrip("/").strip()
    if not text:
        return "/help"
    name, _ = parse_command("/" + text)
    if name in _COMMAND_NAMES:
        return "/" + text
    return "/note " + text


def from_command(command: dict, profile: Profile, now: dt.datetime) -> Incoming:
    private = command_is_private(command)
    return Incoming(
        chat_id=profile.user_id if private else command["channel_id"],
        chat_kind="private" if private else "group",
        text=command_text(command.get("text")),
        message_id="cmd:" + command.get("trigger_id", ""),
        sent_at=now,
        addressed=True,
        **_common(profile),
    )


def action_is_private(body: dict) -> bool:
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    channel_id = channel.get("id") or container.get("channel_id") or ""
    return channel.get("name") == "directmessage" or channel_id.startswith("D")


def from_action(body: dict, action: dict, profile: Profile, now: dt.datetime) -> Incoming:
    """A button press. The same person pressing the same button of the same message twice is one message."""
    private = action_is_private(body)
    container = body.get("container") or {}
    channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    value = action.get("value") or ""
    digest = hashlib.sha256(value.encode()).hexdigest()[:16]
    message_ts = container.get("message_ts") or (body.get("message") or {}).get("ts") or action.get("action_ts", "")
    return Incoming(
        chat_id=profile.user_id if private else channel_id,
        chat_kind="private" if private else "group",
        text="",
        message_id=f"act:{message_ts}:{profile.user_id}:{digest}",
        sent_at=from_ts(action.get("action_ts"), now),
        button_payload=value,
        addressed=True,
        pressed_message_id=container.get("message_ts") or (body.get("message") or {}).get("ts") or None,
        **_common(profile),
    )


def from_home(body: dict, action: dict, profile: Profile, now: dt.datetime) -> Incoming:
    """A Done / Snooze button on the App Home tab: the command it stands for, from the presser, answered
    in their DM (the tab has no conversation). The same press delivered twice is one message."""
    from .home import command_of

    value = action.get("value") or ""
    digest = hashlib.sha256(value.encode()).hexdigest()[:16]
    return Incoming(
        chat_id=profile.user_id,
        chat_kind="private",
        text=command_of(value) or "",
        message_id=f"home:{action.get('action_ts', '')}:{profile.user_id}:{digest}",
        sent_at=from_ts(action.get("action_ts"), now),
        addressed=True,
        **_common(profile),
    )


def from_shortcut(body: dict, profile: Profile, bot_user_id: str | None, now: dt.datetime) -> Incoming:
    """The "Log as CRM note" message shortcut: the message's text, filed as a note of whoever invoked it,
    as of when it was written. One key per message and invoker, so a redelivery (or invoking it again
    on the same message) files nothing twice."""
    channel = body.get("channel") if isinstance(body.get("channel"), dict) else {}
    channel_id = str(channel.get("id") or "")[:40]
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    ts = str(message.get("ts") or body.get("message_ts") or "")[:40]
    words = message.get("text")
    private = channel.get("name") == "directmessage" or channel_id.startswith("D") or not channel_id
    return Incoming(
        chat_id=profile.user_id if private else channel_id,
        chat_kind="private" if private else "group",
        text=incoming_text(words if isinstance(words, str) else "", bot_user_id),
        message_id=f"log:{channel_id}:{ts}:{profile.user_id}",
        sent_at=from_ts(ts, now),
        addressed=True,
        logged_note=True,
        **_common(profile),
    )


def from_form(body: dict, profile: Profile, now: dt.datetime) -> Incoming:
    """A submitted edit modal: the neutral form, answered where its Edit was pressed (a channel: seen by
    the submitter only; else their DM). One view is submitted once."""
    from .forms import form_of

    view = body.get("view") or {}
    read = form_of(view)
    form, origin = read if read is not None else ({"kind": None}, {})
    channel = origin.get("channel")
    return Incoming(
        chat_id=channel or profile.user_id,
        chat_kind="group" if channel else "private",
        text="",
        message_id=f"form:{view.get('id', '')}",
        sent_at=now,
        addressed=True,
        form=form,
        **_common(profile),
    )
