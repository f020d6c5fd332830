"""The Feishu/Lark adapter: events by the SDK's long connection (default: no public address) or by
HTTP callbacks when FEISHU_HTTP_PORT is set (encrypted, signed: bot/feishu/callback.py).

Nothing lost: both transports hand each decrypted event to `accept`, which writes it to the inbox
(one INSERT) before Feishu gets its answer, then handles it in a tracked background task. A crash
after the answer leaves the row 'received'; start() handles such rows before it listens again, and
a redelivery of a handled event is a no-op. Replies are queued in the outbox by the router and sent
by FeishuSender.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import lark_oapi as lark
from aiohttp import web
from lark_oapi.core.exception import ObtainAccessTokenException

from handlers import router
from chat.messages import Incoming, Outgoing

from ..settings import reveal
from . import inbox
from . import incoming as translate
from .api import INVALID_TOKEN, OpenAPI
from .callback import open_callback
from .connection import LongConnection
from .incoming import PLATFORM
from .profiles import Profiles
from .sender import FeishuSender

log = logging.getLogger(__name__)

EVENTS_PATH = "/feishu/events"
MAX_SHEET_BYTES = 10 * 1024 * 1024  # a spreadsheet sent to import (as on Slack and DingTalk)
Handle = Callable[[Incoming, object], Awaitable[list[Outgoing]]]


class FeishuConfigError(SystemExit):
    pass


class FeishuAdapter:
    platform = PLATFORM

    def __init__(self, settings, services, *, handle: Handle | None = None, host: str = "0.0.0.0") -> None:
        self.settings = settings
        self.services = services
        self.handle = handle or router.handle
        self.host = host
        self.port: int | None = None  # HTTP mode: the port actually bound
        self.domain = (settings.feishu_api_url or lark.FEISHU_DOMAIN).rstrip("/")
        self.client = (
            lark.Client.builder()
            .app_id(settings.feishu_app_id or "")
            .app_secret(reveal(settings.feishu_app_secret) or "")
            .domain(self.domain)
            .timeout(10)  # seconds per request: the resend window of a lost answer
            .log_level(lark.LogLevel.WARNING)
            .build()
        )
        self.sender = FeishuSender(self.client, OpenAPI(self.domain, settings.feishu_app_id or "", reveal(settings.feishu_app_secret) or ""))
        self.profiles = Profiles(self.client, services.clock)
        self.bot_open_id: str | None = None
        self._tasks: set[asyncio.Task] = set()
        self._active: set[str] = set()  # inbox keys being handled right now
        self._runner: web.AppRunner | None = None
        self._connection: LongConnection | None = None

    # --- the inbox, then the answer ----------------------------------------------------------------
    async def accept(self, envelope: dict) -> dict:
        """Store an event (raises when it cannot be stored: then Feishu must not hear it arrived) and
        return the answer for Feishu; the handling follows in the background."""
        item = inbox.received(envelope, self.services.clock())
        if item is not None and await inbox.store(self.services.db, item):
            self._spawn(self._process(item))
        return {}  # a card action's answer: no toast, no card change (the reply comes as a message)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("feishu event failed; it stays in the inbox for the next start", exc_info=task.exception())

    async def settle(self) -> None:
        """Wait until every accepted event has been handled (tests, and stop())."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _recover(self) -> None:
        seen: set[str] = set()
        while todo := await inbox.unhandled(self.services.db, seen):
            log.info("feishu: handling %d event(s) received before the last stop", len(todo))
            for key, item in todo:
                seen.add(key)
                try:
                    await self._process(item)
                except Exception:
                    log.exception("feishu: handling %s after the restart failed; left for the next start", key)

    async def _process(self, item: inbox.Received) -> None:
        key = item.key
        if key in self._active:
            return  # a redelivery while its first delivery is still being handled
        self._active.add(key)
        try:
            name = await self.profiles.name(item.user_id)
            msg = item.incoming(name, self.bot_open_id)
            if item.kind == "message" and (sheet := translate.sheet_file(item.envelope)) is not None:
                msg = await self._with_sheet(msg, *sheet)
            await self.handle(msg, self.services)
        finally:
            self._active.discard(key)

    async def _with_sheet(self, msg: Incoming, message_id: str, file_key: str, name: str) -> Incoming:
        """A spreadsheet sent as a file, with its bytes (im/v1/messages/:id/resources/:key?type=file), for
        handlers/imports.py as on Telegram and Slack. A file Feishu will not give (4xx, too big) is
        answered as a file we cannot read; a network or server failure raises, so the event stays
        'received' and is handled again later."""
        path = f"/open-apis/im/v1/messages/{quote(message_id, safe='')}/resources/{quote(file_key, safe='')}"
        status, data, code = await self.sender.api.get_bytes(path, {"type": "file"}, MAX_SHEET_BYTES)
        if status >= 500 or status == 429 or (code is not None and code in INVALID_TOKEN):
            raise RuntimeError(f"feishu: fetching {name} failed ({status}, {code}); tried again later")
        if data is None:
            log.warning("feishu: file %s could not be fetched (%s, %s)", name, status, code)
            return dataclasses.replace(msg, media_kind="file", file_name=name, file_bytes=None)
        return dataclasses.replace(msg, media_kind=None, file_name=name, file_bytes=data)

    # --- transports --------------------------------------------------------------------------------
    async def _http(self, request: web.Request) -> web.Response:
        body = await request.read()
        opened = open_callback(
            body, request.headers, reveal(self.settings.feishu_encrypt_key) or "", reveal(self.settings.feishu_verification_token) or "", self.services.clock().timestamp()
        )
        if not opened.ok:
            return web.json_response({"msg": "rejected"}, status=opened.status)
        if opened.challenge is not None:
            return web.json_response({"challenge": opened.challenge})
        try:
            answer = await self.accept(opened.body or {})
        except Exception:
            log.exception("feishu: an event could not be stored; Feishu will deliver it again")
            return web.json_response({"msg": "not stored"}, status=500)
        return web.json_response(answer)

    def _bot_open_id(self) -> str | None:
        """/open-apis/bot/v3/info: our own open_id (to tell an @mention of the bot from others'); fails fast on bad credentials."""
        request = lark.BaseRequest.builder().http_method(lark.HttpMethod.GET).uri("/open-apis/bot/v3/info").token_types({lark.AccessTokenType.TENANT}).build()
        response = self.client.request(request)
        if not response.success():
            raise FeishuConfigError(f"crmbot: Feishu refused the app's credentials or bot info ({response.code}: {response.msg})")
        return (json.loads(response.raw.content).get("bot") or {}).get("open_id")

    async def start(self) -> None:
        settings = self.settings
        if not settings.feishu_app_secret:
            raise FeishuConfigError("crmbot: Feishu needs FEISHU_APP_SECRET")
        if settings.feishu_http_port is not None and not (settings.feishu_encrypt_key and settings.feishu_verification_token):
            raise FeishuConfigError("crmbot: Feishu HTTP mode needs FEISHU_ENCRYPT_KEY and FEISHU_VERIFICATION_TOKEN")
        try:
            self.bot_open_id = await asyncio.to_thread(self._bot_open_id)
        except ObtainAccessTokenException as exc:
            raise FeishuConfigError(f"crmbot: Feishu refused the app's credentials ({exc})") from exc
        await self._recover()  # before listening: what a crash left behind comes first
        if settings.feishu_http_port is not None:
            web_app = web.Application(client_max_size=1024 * 1024)
            web_app.router.add_post(EVENTS_PATH, self._http)
            self._runner = web.AppRunner(web_app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.host, settings.feishu_http_port)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            log.info("Feishu HTTP callbacks on %s:%s%s", self.host, self.port, EVENTS_PATH)
        else:
            self._connection = LongConnection(settings.feishu_app_id, reveal(settings.feishu_app_secret) or "", self.domain, self.accept)
            try:
                await self._connection.start()
            except Exception as exc:
                raise FeishuConfigError(f"crmbot: Feishu refused the long connection ({exc})") from exc
            log.info("Feishu long connection open")

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.stop()
            self._connection = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        try:
            await asyncio.wait_for(self.settle(), timeout=10)
        except asyncio.TimeoutError:
            log.warning("stopping with %d Feishu events still in progress", len(self._tasks))
        await self.sender.api.close()
