"""The console adapter: a chat in the terminal with the same handlers a messenger uses.

Buttons are shown numbered (sender.py); typing the number presses the button (incoming.py). Due
reminders and other pushes print while it runs.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from handlers import router
from handlers.background import settle as settle_background
from chat.messages import Incoming

from .incoming import translate
from .sender import ConsoleSender

QUIT_WORDS = {"/quit", "/exit", "/q", "退出", "/退出"}
STOP_GRACE_SECONDS = 30.0
log = logging.getLogger(__name__)


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
        return translate(line, self.user, self.sender.choices, self.app.services.clock())

    async def say(self, line: str) -> None:
        await router.handle(self.incoming(line), self.app.services)
        await settle_background()  # what the line started after its commit (a digest's chart): its answer too
        await self._drain()

    async def _drain(self) -> None:
        async with self._delivering:
            await self.app.deliverer.drain()

    async def run(self, tick: Callable[[], Awaitable[None]] | None = None, tick_seconds: float = 30.0) -> None:
        """Read lines until /quit or the end of input (Ctrl-D, a closed pipe). The background scan is
        asked to stop and finishes what it is doing, never cut off inside a transaction."""
        stop = asyncio.Event()
        background = asyncio.create_task(self._pushes(tick, tick_seconds, stop))
        try:
            while True:
                line = await self.read_line()
                if line is None or line.strip() in QUIT_WORDS:
                    break
                if not line.strip():
                    continue
                await self.say(line)
        finally:
            stop.set()
            try:
                await asyncio.wait_for(asyncio.shield(background), STOP_GRACE_SECONDS)
            except asyncio.TimeoutError:  # a scan that hangs: cut it off after all
                background.cancel()
            except (asyncio.CancelledError, Exception):
                pass
            if background.done() and not background.cancelled() and background.exception() is not None:
                log.warning("scheduled scan ended with %r", background.exception())

    async def _pushes(self, tick, seconds: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if tick is not None:
                try:
                    await tick()
                except Exception:  # a failing scan must not end the chat
                    log.exception("scheduled scan failed")
            await self._drain()
            try:
                await asyncio.wait_for(stop.wait(), seconds)
            except asyncio.TimeoutError:
                pass


async def _stdin_line() -> str | None:
    def read() -> str | None:
        try:
            return input("you> ")
        except EOFError:
            return None

    return await asyncio.to_thread(read)
