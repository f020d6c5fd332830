"""The webhook endpoint: checks Telegram's secret header, stores the update, then answers 200.

Telegram retries an update until it gets a 2xx, so the update is written to the inbox *before*
the answer; handling happens afterwards. A wrong or missing secret gets 403 and writes nothing.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

from aiohttp import web

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024


def new_secret() -> str:
    """1–256 characters of A-Z, a-z, 0-9, '_' and '-', as Telegram requires."""
    return secrets.token_urlsafe(48)


def stable_secret(token: str, key: str | None = None) -> str:
    """The webhook secret every replica derives alike, restart after restart: HMAC-SHA256 of the bot
    token under `key` (CRMBOT_TELEGRAM_WEBHOOK_KEY). Changing the key (or the token) rotates it; a
    fresh secret per start would make replicas lock each other out."""
    digest = hmac.new((key or "crmbot telegram webhook").encode(), token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def path_of(url: str) -> str:
    return urlparse(url).path or "/"


class WebhookServer:
    def __init__(self, path: str, secret: str, accept: Callable[[dict], Awaitable[None]], host: str = "0.0.0.0", port: int = 8443) -> None:
        self.path = path
        self._secret = secret.encode()
        self._accept = accept  # stores the update durably; raises when it could not
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self.path, self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info("telegram webhook listening on %s:%s%s", self.host, self.port, self.path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=403)
        try:
            data = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400)
        try:
            await self._accept(data)
        except Exception:
            log.exception("could not store telegram update %s; Telegram will retry", data.get("update_id"))
            return web.Response(status=500)
        return web.Response(status=200)
