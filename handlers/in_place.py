"""A pressed button is answered in place: the first reply takes the place of the message the button
was on (its text and buttons), so a chat does not fill up with one new message per tap. Messengers
that cannot edit a message send the reply as a new one. An answer that asks for text names whom it
asks (the presser), so that in a group only they are asked to reply (Telegram's selective ForceReply)."""
from __future__ import annotations

from dataclasses import replace

from chat.messages import Incoming, Outgoing


def answer_in_place(msg: Incoming, replies: list[Outgoing]) -> list[Outgoing]:
    """Only for presses that were taken (a refused or stale press leaves the question as it was)."""
    if not msg.pressed_message_id or not replies:
        return replies
    first = replies[0]
    if first.image_path or first.file_path or first.replaces:
        return replies  # a picture or a file is something new: it gets a message of its own
    asked = {"asked_of": msg.sender_id, "asked_of_name": msg.sender_name} if first.asks_for_text else {}
    return [replace(first, replaces=msg.pressed_message_id, **asked), *replies[1:]]
