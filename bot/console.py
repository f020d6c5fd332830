"""The console adapter: a chat in the terminal with the same handlers a messenger uses.

Buttons are shown numbered; typing the number presses the button. Due reminders and other
pushes print while it runs.
"""
from __future__ import annotations

import asyncio
import uuid
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from handlers import router
from handlers.messages import Incoming, Outgoing
from storage import crm
from storage.models import Outbox

PLATFORM = "console"
QUIT_WORDS = {"/quit", "/exit", "/q", "退出", "/退出"}


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
                lines.append(f"📎 {path}")
        self.out.write("\n".join("bot> " + line if i == 0 else "     " + line for i, line in enumerate(lines)) + "\n")
        self.out.flush()


async def ensure_console_member(app, user: str, *, admin_if_new_team: bool = True):
    """The console is local and trusted: whoever types is a member (created on first use)."""
    async with app.db.write() as session:
        member = await crm.member_by_identity(session, PLATFORM, user)
        if member is not None:
            return member
        team = await crm.first_team(session)
        if team is None:
            team = await crm.create_team(session, "My team", app.settings.timezone)
            role = "admin" if admin_if_new_team else "rep"
        else:
            existing = await crm.member_by_name(session, team.id, user)
            if existing is not None:
                session.add(crm.Identity(member_id=existing.id, platform=PLATFORM, platform_user_id=user))
                return existing
            role = "rep"
        return await crm.create_member(session, team, user, role=role, platform=PLATFORM, user_id=user, language=app.settings.language)


class ConsoleChat:
    def __init__(self, app, user: str, sender: ConsoleSender, read_line: Callable[[], Awaitable[str | None]] | None = None) -> None:
        self.app = app
        self.user = user
        self.sender = sender
        self.read_line = read_line or _stdin_line
        # one drain at a time: the answer to a line is printed (and its buttons numbered)
        # before the next line is read, even when the background loop claimed it first
        self._delivering = asyncio.Lock()

    def incoming(self, line: str) -> Incoming:
        payload = None
        stripped = line.strip()
        if stripped.isdigit() and int(stripped) in self.sender.choices:
            payload = self.sender.choices[int(stripped)]
        return Incoming(
            platform=PLATFORM,
            chat_id=f"console:{self.user}",
            chat_kind="private",
            sender_id=self.user,
            sender_name=self.user,
            text="" if payload else line,
            message_id=uuid.uuid4().hex,  # unique across restarts: a reused key would read as a redelivery
            sent_at=self.app.services.clock(),
            button_payload=payload,
        )

    async def say(self, line: str) -> None:
        await router.handle(self.incoming(line), self.app.services)
        await self._drain()

    async def _drain(self) -> None:
        async with self._delivering:
            await self.app.deliverer.drain()

    async def run(self, tick: Callable[[], Awaitable[None]] | None = None, tick_seconds: float = 30.0) -> None:
        background = asyncio.create_task(self._pushes(tick, tick_seconds))
        try:
            while True:
                line = await self.read_line()
                if line is None or line.strip() in QUIT_WORDS:
                    break
                if not line.strip():
                    continue
                await self.say(line)
        finally:
            background.cancel()
            try:
                await background
            except (asyncio.CancelledError, Exception):
                pass

    async def _pushes(self, tick, seconds: float) -> None:
        while True:
            if tick is not None:
                try:
                    await tick()
                except Exception:  # a failing scan must not end the chat
                    import logging

                    logging.getLogger(__name__).exception("scheduled scan failed")
            await self._drain()
            await asyncio.sleep(seconds)


async def _stdin_line() -> str | None:
    def read() -> str | None:
        try:
            return input("you> ")
        except EOFError:
            return None

    return await asyncio.to_thread(read)
