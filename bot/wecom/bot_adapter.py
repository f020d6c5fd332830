"""The WeCom 智能机器人 (AI bot) in API mode: its callback URL served by aiohttp (WECOM_BOT_HTTP_PORT),
answers through each callback's response_url (bot_sender.py). The way WeCom hands a bot group
messages: a member @mentions it in a group (or writes to it one-to-one).

GET /wecom/bot is WeCom checking the URL (echostr verified and answered decrypted). POST /wecom/bot is
a message or an event as encrypted JSON ({"encrypt": …}, msg_signature/timestamp/nonce in the URL; the
same WXBizMsgCrypt scheme as the app's callback, with an empty receiveid): a forged or stale one is 401
and writes nothing; a good one is stored in the inbox, answered 200 with no passive reply, and handled
in the background. A crash after the 200 leaves the row 'received' for the next start; a retry of a
stored callback (same msgid) is answered 200 and not handled twice.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable

from aiohttp import web

from handlers import router

from ..settings import reveal
from . import bot_inbox
from .adapter import MAX_SKEW_SECONDS, Handle, WeComAdapter, WeComConfigError
from .bot_sender import WeComBotSender
from .crypto import CryptoError, WeComCrypto
from .incoming import PLATFORM

log = logging.getLogger(__name__)

CALLBACK_PATH = "/wecom/bot"
MAX_BYTES = 256 * 1024
BOT_RECEIVE_ID = ""  # an internal AI bot's ciphertext ends with no corp id


class WeComBotAdapter:
    platform = PLATFORM

    def __init__(self, settings, services, *, app: WeComAdapter | None = None, handle: Handle | None = None, host: str = "0.0.0.0") -> None:
        missing = [n.upper() for n in ("wecom_bot_token", "wecom_bot_aes_key", "wecom_bot_http_port") if getattr(settings, n) is None]
        if missing:
            raise WeComConfigError(f"crmbot: the WeCom AI bot needs {', '.join(missing)} (its API mode's Token and EncodingAESKey, and the port of its callback URL)")
        self.settings = settings
        self.services = services
        self.handle = handle or router.handle
        self.host = host
        self.app = app  # the self-built app, when configured: member names, and what a response_url cannot carry
        self.port: int | None = None
        try:
            self.crypto = WeComCrypto(reveal(settings.wecom_bot_token) or "", reveal(settings.wecom_bot_aes_key) or "", BOT_RECEIVE_ID)
        except ValueError as exc:
            raise WeComConfigError(f"crmbot: {str(exc).replace('WECOM_AES_KEY', 'WECOM_BOT_AES_KEY')}") from None
        self.sender = WeComBotSender(services.db, services.clock, settings.wecom_api_url, app.sender if app else None)
        self._tasks: set[asyncio.Task] = set()
        self._active: set[str] = set()
        self._runner: web.AppRunner | None = None

    # --- the callback URL ----------------------------------------------------------------------
    def _fresh(self, timestamp: str) -> bool:
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
            return False
        return abs(self.services.clock().timestamp() - int(timestamp)) <= MAX_SKEW_SECONDS

    def _open(self, request: web.Request, encrypted: str) -> str:
        q = request.query
        if not self._fresh(q.get("timestamp", "")):
            raise CryptoError("stale")
        return self.crypto.open(q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""), encrypted)

    async def _verify_url(self, request: web.Request) -> web.Response:
        try:
            return web.Response(text=self._open(request, request.query.get("echostr", "")))
        except CryptoError:
            return web.Response(status=401, text="invalid signature")

    async def _callback(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            envelope = json.loads(raw) if len(raw) <= MAX_BYTES else None
            encrypted = envelope.get("encrypt") if isinstance(envelope, dict) else None
            if not isinstance(encrypted, str):
                return web.Response(status=400, text="bad request")
            body = json.loads(self._open(request, encrypted))
        except CryptoError:
            return web.Response(status=401, text="invalid signature")
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="bad request")
        if not isinstance(body, dict):
            return web.Response(status=400, text="bad request")
        if self.settings.wecom_bot_id and str(body.get("aibotid", self.settings.wecom_bot_id)) != self.settings.wecom_bot_id:
            return web.Response(text="")  # another bot's callback: not ours to answer
        item = bot_inbox.received(body, self.services.clock())
        if item is None:
            return web.Response(text="")  # entering the chat, feedback …: nothing to answer
        todo = await bot_inbox.store(self.services.db, item)  # raises → 500: WeCom retries, nothing was acknowledged
        if todo:
            self._spawn(self._process(item))
        return web.Response(text="")  # no passive reply: the answer goes through the outbox to the response_url

    # --- after the 200 -------------------------------------------------------------------------
    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("wecom bot message failed; it stays in the inbox for the next start", exc_info=task.exception())

    async def settle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _process(self, item: bot_inbox.BotReceived) -> None:
        key = item.key
        if key in self._active:
            return  # a retry while its first delivery is still being handled
        self._active.add(key)
        try:
            name = await self.app._name(item.user_id) if self.app is not None else None  # the bot's callbacks carry no names
            await self.handle(item.incoming(name, self.settings.wecom_bot_name), self.services)
        finally:
            self._active.discard(key)

    async def _recover(self) -> None:
        seen: set[str] = set()
        while todo := await bot_inbox.unhandled(self.services.db, seen):
            log.info("wecom bot: handling %d message(s) received before the last stop", len(todo))
            for key, item in todo:
                seen.add(key)
                try:
                    await self._process(item)
                except Exception:
                    log.exception("wecom bot: handling %s after the restart failed; left for the next start", key)

    # --- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        await self._recover()
        web_app = web.Application(client_max_size=MAX_BYTES)
        web_app.router.add_get(CALLBACK_PATH, self._verify_url)
        web_app.router.add_post(CALLBACK_PATH, self._callback)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.settings.wecom_bot_http_port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info("WeCom AI bot callback URL on %s:%s%s", self.host, self.port, CALLBACK_PATH)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        try:
            await asyncio.wait_for(self.settle(), timeout=10)
        except asyncio.TimeoutError:
            log.warning("stopping with %d WeCom AI bot messages still in progress", len(self._tasks))
        await self.sender.close()
