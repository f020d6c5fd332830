"""A typed line → the neutral Incoming. A number that is a button shown (sender.py) presses it."""
from __future__ import annotations

import datetime as dt
import uuid

from chat.messages import Incoming

PLATFORM = "console"


def translate(line: str, user: str, choices: dict[int, str], now: dt.datetime) -> Incoming:
    payload = None
    stripped = line.strip()
    if stripped.isdigit() and int(stripped) in choices:
        payload = choices[int(stripped)]
    return Incoming(
        platform=PLATFORM,
        chat_id=f"console:{user}",
        chat_kind="private",
        sender_id=user,
        sender_name=user,
        text="" if payload else line,
        message_id=uuid.uuid4().hex,  # unique across restarts: a reused key would read as a redelivery
        sent_at=now,
        button_payload=payload,
    )
