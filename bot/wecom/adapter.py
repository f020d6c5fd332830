"""The WeCom adapter: a self-built app's callback URL served by aiohttp (WECOM_HTTP_PORT), replies and
pushes through the app API (bot/wecom/sender.py).

GET /wecom/callback is WeCom checking the URL: the echostr is verified (msg_signature) and answered
decrypted. POST /wecom/callback is a message or an event: the envelope's signature and time are
checked (a forged or stale one is 401 and writes nothing), the message is decrypted, stored in the
inbox, answered 200 at once (WeCom retries a callback it has no answer to within 5 s, three times),
and handled in the background. A crash after the 200 leaves the row 'received': start() handles it
before listening again; a retry of something already stored is answered 200 and not handled twice.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from handlers import router
from chat.messages import Incoming, Outgoing

from ..settings import reveal
from . import inbox
from .api import ApiError, WeComApi
from .crypto import CryptoError, WeComCrypto
from .incoming import PLATFORM
from .sender import WeComSender
from .xmltext import BadXML, parse

log = logging.getLogger(__name__)

CALLBACK_PATH = "/wecom/callback"
MAX_SKEW_SECONDS = 5 * 60  # a callback signed longer ago than this (or ahead of us) is refused as stale
NAME_TTL = dt.timedelta(hours=6)
Handle = Callable[[Incoming, object], Awaitable[list[Outgoing]]]


class WeComConfigError(SystemExit):
    pass


class WeComAdapter:
    platform = PLATFORM

    def __init__(self, settings, services, *, handle: Handle | None = None, host: str = "0.0.0.0") -> None:
        missing = [name for name in ("wecom_agent_id", "wecom_secret", "wecom_token", "wecom_aes_key") if not getattr(settings, name)]
        if missing or settings.wecom_http_port is None:
            names = ", ".join(n.upper() for n in missing + ([] if settings.wecom_http_port is not None else ["wecom_http_port"]))
            raise WeComConfigError(f"crmbot: WeCom needs {names} (the app's AgentId, Secret, and its callback's Token and EncodingAESKey)")
        self.settings = settings
        self.services = services
        self.handle = handle or router.handle
        self.host = host
        self.port: int | None = None  # the port actually bound
        try:
            self.crypto = WeComCrypto(reveal(settings.wecom_token) or "", reveal(settings.wecom_aes_key) or "", settings.wecom_corp_id)
        except ValueError as exc:
            raise WeComConfigError(f"crmbot: {exc}") from None
        self.api = WeComApi(settings.wecom_corp_id, reveal(settings.wecom_secret) or "", services.clock, settings.wecom_api_url)
        self.sender = WeComSender(self.api, int(settings.wecom_agent_id))
        self._names: dict[str, tuple[str, dt.datetime]] = {}  # UserID → (name, when asked)
        self._tasks: set[asyncio.Task] = set()
        self._active: set[str] = set()  # inbox keys being handled right now
        self._runner: web.AppRunner | None = None

    # --- the callback URL ----------------------------------------------------------------------
    def _fresh(self, timestamp: str) -> bool:
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
            return False
        return abs(self.services.clock().timestamp() - int(timestamp)) <= MAX_SKEW_SECONDS

    async def _verify_url(self, request: web.Request) -> web.Response:
        q = request.query
        if not self._fresh(q.get("timestamp", "")):
            return web.Response(status=401, text="stale")
        try:
            echo = self.crypto.open(q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""), q.get("echostr", ""))
        except CryptoError:
            return web.Response(status=401, text="invalid signature")
        return web.Response(text=echo)

    async def _callback(self, request: web.Request) -> web.Response:
        q = request.query
        try:
            envelope = parse(await request.read())
            encrypted = envelope.get("Encrypt")
            if not isinstance(encrypted, str) or not self._fresh(q.get("timestamp", "")):
                return web.Response(status=401, text="invalid signature")
            fields = parse(self.crypto.open(q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""), encrypted))
        except CryptoError:
            return web.Response(status=401, text="invalid signature")
        except BadXML:
            return web.Response(status=400, text="bad request")
        if str(fields.get("AgentID", self.settings.wecom_agent_id)) != str(self.settings.wecom_agent_id):
            return web.Response(text="")  # another app of this corp: not ours to answer
        item = inbox.received(fields, self.services.clock())
        if item is None:
            return web.Response(text="")  # an event crmbot does not answer (entering the app …)
        todo = await inbox.store(self.services.db, item)  # raises → 500: WeCom retries, nothing was acknowledged
        if todo:
            self._spawn(self._process(item))
        return web.Response(text="")  # no passive reply: replies go through the outbox

    # --- after the 200 -------------------------------------------------------------------------
    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("wecom message failed; it stays in the inbox for the next start", exc_info=task.exception())

    async def settle(self) -> None:
        """Wait until every acknowledged callback has been handled (tests, and stop())."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _process(self, item: inbox.Received) -> None:
        key = item.key
        if key in self._active:
            return  # a retry while its first delivery is still being handled
        self._active.add(key)
        try:
            await self.handle(item.incoming(await self._name(item.user_id)), self.services)
        finally:
            self._active.discard(key)

    async def _name(self, user_id: str) -> str | None:
        """The member's name from user/get (needs the app to see the member); the UserID when WeCom won't say."""
        now = self.services.clock()
        cached = self._names.get(user_id)
        if cached is not None and now - cached[1] < NAME_TTL:
            return cached[0]
        try:
            name = await self.api.user_name(user_id) or user_id
        except (ApiError, OSError, asyncio.TimeoutError) as exc:
            log.info("wecom: no name for %s (%s)", user_id, exc)
            return cached[0] if cached else None
        self._names[user_id] = (name, now)
        return name

    async def _recover(self) -> None:
        """Handle what was stored and acknowledged but not handled before the last stop."""
        seen: set[str] = set()
        while todo := await inbox.unhandled(self.services.db, seen):
            log.info("wecom: handling %d message(s) received before the last stop", len(todo))
            for key, item in todo:
                seen.add(key)
                try:
                    await self._process(item)
                except Exception:
                    log.exception("wecom: handling %s after the restart failed; left for the next start", key)

    # --- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        await self.api.token()  # fails fast on a wrong corp id or secret
        await self._recover()
        web_app = web.Application(client_max_size=512 * 1024)
        web_app.router.add_get(CALLBACK_PATH, self._verify_url)
        web_app.router.add_post(CALLBACK_PATH, self._callback)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.settings.wecom_http_port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info("WeCom callback URL on %s:%s%s", self.host, self.port, CALLBACK_PATH)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        try:
            await asyncio.wait_for(self.settle(), timeout=10)
        except asyncio.TimeoutError:
            log.warning("stopping with %d WeCom messages still in progress", len(self._tasks))
        await self.api.close()
