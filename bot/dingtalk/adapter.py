"""The DingTalk adapter: stream mode (the dingtalk-stream SDK's websocket; no public address) by
default, or HTTP outgoing-robot callbacks (signed POSTs) when DINGTALK_HTTP_PORT is set.

Nothing lost: a robot message is first stored in the inbox (status 'received'; one INSERT), then
acknowledged (the stream ack, or the HTTP 200), then handled in a tracked background task. A crash
after the ack leaves the row 'received'; start() handles such rows before it listens again, and a
redelivery of a message already handled is a no-op (the router skips keys already 'handled').
Replies are queued in the outbox by the router and sent by DingTalkSender through the robot OpenAPI.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from handlers import router
from chat.messages import Incoming, Outgoing

from reminders.delivery import PermanentFailure
from storage.models import Outbox

from ..settings import reveal
from . import cards, inbox
from . import incoming as translate
from .api import DEFAULT_URL, DingTalkAPI
from .sender import DingTalkSender
from .signature import check
from .stream import StreamConnection

log = logging.getLogger(__name__)

ROBOT_PATH = "/dingtalk/robot"
MAX_BODY_BYTES = 1024 * 1024
MAX_SHEET_BYTES = 10 * 1024 * 1024  # a spreadsheet sent to import (as on Slack)
Handle = Callable[[Incoming, object], Awaitable[list[Outgoing]]]


class DingTalkConfigError(SystemExit):
    pass


class DingTalkAdapter:
    platform = translate.PLATFORM

    def __init__(self, settings, services, *, handle: Handle | None = None, host: str = "0.0.0.0") -> None:
        self.settings = settings
        self.services = services
        self.handle = handle or router.handle
        self.host = host
        self.port: int | None = None  # HTTP mode: the port actually bound
        self.client_id = settings.dingtalk_client_id or ""
        self.secret = reveal(settings.dingtalk_client_secret) or ""
        self.api = DingTalkAPI(settings.dingtalk_api_url, self.client_id, self.secret, services.clock)
        self.sender = DingTalkSender(self.api, settings.dingtalk_robot_code or self.client_id, group_cards=settings.dingtalk_http_port is None)
        self.stream: StreamConnection | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task] = set()
        self._active: set[str] = set()  # inbox keys being handled right now

    # --- the inbox, then the ack -------------------------------------------------------------------
    async def accept(self, data: dict) -> None:
        """Store, and only then return (the caller acks). Raises when nothing could be stored."""
        if not translate.is_message(data):
            log.info("dingtalk: skipped a callback that is no person's message (%s)", sorted(data)[:8])
            return
        now = self.services.clock()
        if await inbox.store(self.services.db, data, now):
            self._spawn(self._process(inbox.trimmed(data), now))

    async def accept_card(self, data: dict) -> None:
        """A card button press: rebuilt from the outbox row of its card as the group's message, then
        stored like one (cards.py). Raises when nothing could be stored (no ack: DingTalk sends it again)."""
        press = cards.press_of(data)
        if press is None:
            log.info("dingtalk: skipped a card callback that is no button press (%s)", sorted(data)[:8])
            return
        row_id, digest, user, action = press
        async with self.services.db.read() as session:
            row = await session.get(Outbox, row_id)
        message = cards.as_robot_message(data, row, digest, user, action)
        if message is None:
            log.info("dingtalk: a press on a card or button that is not ours (%s)", data.get("outTrackId"))
            return
        await self.accept(message)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("dingtalk message failed; it stays in the inbox for the next start", exc_info=task.exception())

    async def settle(self) -> None:
        """Wait until every acknowledged message has been handled (tests, and stop())."""
        while self._tasks or (self.stream is not None and self.stream._frames):
            if self.stream is not None:
                await self.stream.settle()
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _process(self, data: dict, received_at) -> None:
        key = translate.message_key(data)
        if key in self._active:
            return  # a redelivery while its first delivery is still being handled
        self._active.add(key)
        try:
            msg = translate.to_incoming(data, received_at)
            if (sheet := translate.sheet_file(data)) is not None:
                msg = await self._with_sheet(msg, *sheet)
            await self.handle(msg, self.services)
        finally:
            self._active.discard(key)

    async def _with_sheet(self, msg: Incoming, download_code: str, name: str) -> Incoming:
        """A spreadsheet sent as a file, with its bytes (handlers/imports.py imports it like on Telegram
        and Slack). A file DingTalk will not give (gone, too big) is answered as a file we cannot read;
        a network or server failure raises, so the row stays 'received' and is handled again later."""
        try:
            data = await self.api.download(download_code, self.sender.robot_code, MAX_SHEET_BYTES)
        except PermanentFailure as exc:
            log.warning("dingtalk: file %s could not be fetched: %s", name, exc)
            data = None
        if data is None:
            return dataclasses.replace(msg, media_kind="file", file_name=name, file_bytes=None)
        return dataclasses.replace(msg, media_kind=None, file_name=name, file_bytes=data)

    async def _recover(self) -> None:
        """Handle what was stored and acked but not handled before the last stop (a crash, a kill -9)."""
        seen: set[str] = set()
        while todo := await inbox.unhandled(self.services.db, seen):
            log.info("dingtalk: handling %d message(s) received before the last stop", len(todo))
            for key, data, received_at in todo:
                seen.add(key)
                try:
                    await self._process(data, received_at)
                except Exception:
                    log.exception("dingtalk: handling %s after the restart failed; left for the next start", key)

    # --- HTTP outgoing-robot callbacks -------------------------------------------------------------
    async def _http(self, request: web.Request) -> web.Response:
        body = await request.read()
        problem = check(self.secret, request.headers, self.services.clock().timestamp() * 1000)
        if problem is not None:
            return web.Response(status=401 if problem == "forged" else 403, text=f"{problem} signature")
        try:
            data = json.loads(body)
        except ValueError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(data, dict):
            return web.Response(status=400, text="not a message")
        try:
            await self.accept(data)
        except Exception:
            log.exception("dingtalk: storing a robot message failed")
            return web.Response(status=503, text="try again")
        return web.json_response({})  # the reply goes through the OpenAPI, not this answer

    # --- running -----------------------------------------------------------------------------------
    async def start(self) -> None:
        if not self.secret:
            raise DingTalkConfigError("crmbot: DingTalk needs DINGTALK_CLIENT_SECRET (the app secret) with DINGTALK_CLIENT_ID")
        await self._recover()  # before listening: what a crash left behind comes first
        if self.settings.dingtalk_http_port is not None:
            web_app = web.Application(client_max_size=MAX_BODY_BYTES)
            web_app.router.add_post(ROBOT_PATH, self._http)
            self._runner = web.AppRunner(web_app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.host, self.settings.dingtalk_http_port)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            log.info("DingTalk outgoing-robot callbacks on %s:%s%s", self.host, self.port, ROBOT_PATH)
        else:
            self.stream = StreamConnection(self.settings.dingtalk_api_url or DEFAULT_URL, self.client_id, self.secret, self.accept, self.accept_card)
            await self.stream.begin()
            log.info("DingTalk stream mode connecting")

    async def stop(self) -> None:
        if self.stream is not None:
            await self.stream.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        try:
            await asyncio.wait_for(self.settle(), timeout=10)
        except asyncio.TimeoutError:
            log.warning("stopping with %d DingTalk messages still in progress", len(self._tasks))
        await self.api.close()
