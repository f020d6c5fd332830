"""Outbox rows → the terminal: text, numbered buttons, attachments by name and size (their bytes are in the database)."""
from __future__ import annotations

import sys
from typing import TextIO

from chat.messages import Outgoing
from reminders.delivery import attachment_bytes
from storage.models import Outbox

from .incoming import PLATFORM


class ConsoleSender:
    """Prints outgoing messages; every button shown gets a number, so typing it presses it.

    Each reply with buttons numbers them from 1 again (numbers stay small, and the same after a
    restart); a push (reminder, digest) printed meanwhile numbers its buttons after the reply's, so it
    cannot change what "2" means.
    """

    platform = PLATFORM
    REMEMBERED = 200

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.choices: dict[int, str] = {}

    async def send(self, row: Outbox, message: Outgoing) -> None:
        lines = []
        if row.kind != "reply":
            to = row.chat_id.removeprefix("console:")
            lines.append(f"🔔 [{row.kind} → {to}{' · late' if row.late else ''}]")
        lines.extend(message.text.splitlines() or [""])
        if message.buttons:
            if row.kind == "reply":
                self.choices = {}
            number = max(self.choices, default=0)
            shown = []
            for button in (b for line in message.buttons for b in line):
                number += 1
                self.choices[number] = button.payload
                shown.append(f"[{number}] {button.label}")
            lines.append("  ".join(shown))
            for old in sorted(self.choices)[: -self.REMEMBERED]:
                del self.choices[old]
        for path in (message.image_path, message.file_path):
            if path:
                name, data = attachment_bytes(path)  # from the database: the chart is no file here
                lines.append(f"📎 {name} ({len(data) // 1024 + 1} kB)")
        self.out.write("\n".join("bot> " + line if i == 0 else "     " + line for i, line in enumerate(lines)) + "\n")
        self.out.flush()
