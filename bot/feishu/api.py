"""Sending a message (im.v1.message.create) on the bot's own loop, over one kept-alive HTTP session,
with the tenant token cached.

Why not the SDK for this one call: its calls are synchronous and each opens a new connection
(`requests.request`: TCP and TLS to open.feishu.cn for every message), so every send took a worker
thread and a fresh handshake. Uploads and the rare lookups still go through the SDK.

The token (auth/v3/tenant_access_token/internal) is kept until shortly before Feishu says it expires,
as the SDK keeps its own, and dropped when Feishu calls it invalid, so the retry fetches a new one.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
TOKEN_MARGIN = 600.0  # seconds before its expiry a token is renewed (the SDK's margin too)
INVALID_TOKEN = {99991663, 99991664, 99991665, 99991666, 99991668}  # the token's fault, not the request's: a new one fixes it


@dataclass(frozen=True)
class Answer:
    status: int
    code: int | None
    msg: str
    data: dict
    headers: dict[str, str]


class TokenRefused(Exception):
    """Feishu gave no tenant token (wrong app id or secret, or a gateway's error)."""


class OpenAPI:
    def __init__(self, domain: str, app_id: str, app_secret: str, *, timeout: float = 10.0) -> None:
        self.domain = domain.rstrip("/")
        self.app_id, self.app_secret = app_id, app_secret
        self.timeout = aiohttp.ClientTimeout(total=timeout)  # per request: the resend window of a lost answer
        self._session: aiohttp.ClientSession | None = None
        self._token: tuple[str, float] | None = None  # (token, time.monotonic() it is renewed at)
        self._token_lock = asyncio.Lock()  # concurrent sends wait for one token fetch, not one each

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:  # made on first use: it belongs to the running loop
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def token(self) -> str:
        async with self._token_lock:
            if self._token is not None and self._token[1] > time.monotonic():
                return self._token[0]
            credentials = {"app_id": self.app_id, "app_secret": self.app_secret}
            async with self._http().post(self.domain + TOKEN_PATH, json=credentials) as response:
                body = await response.json(content_type=None)
            token = body.get("tenant_access_token") if isinstance(body, dict) and body.get("code") == 0 else None
            if not token:
                raise TokenRefused(f"{response.status} {body.get('code') if isinstance(body, dict) else body!r:.100}")
            lifetime = float(body.get("expire") or 0)
            self._token = (token, time.monotonic() + lifetime - min(TOKEN_MARGIN, lifetime / 2))
            return token

    async def post(self, path: str, params: dict[str, str], body: dict) -> Answer:
        """One call; raises aiohttp/OS errors on network trouble, TokenRefused, ValueError on an answer that is no JSON object."""
        token = await self.token()
        headers = {"Authorization": f"Bearer {token}"}
        async with self._http().post(self.domain + path, params=params, json=body, headers=headers) as response:
            payload = await response.json(content_type=None)
            if not isinstance(payload, dict):
                raise ValueError(f"not a JSON object: {payload!r:.100}")
            answer = Answer(response.status, payload.get("code"), str(payload.get("msg") or ""), payload.get("data") or {}, dict(response.headers))
        if answer.code in INVALID_TOKEN and self._token is not None and self._token[0] == token:
            self._token = None
        return answer

    async def get_bytes(self, path: str, params: dict[str, str], limit: int) -> tuple[int, bytes | None, int | None]:
        """A binary GET (a message's file): (HTTP status, the bytes or None when over `limit`, Feishu's
        code when it answered JSON instead). Raises aiohttp/OS errors on network trouble, TokenRefused."""
        token = await self.token()
        headers = {"Authorization": f"Bearer {token}"}
        async with self._http().get(self.domain + path, params=params, headers=headers, timeout=aiohttp.ClientTimeout(total=60)) as response:
            if response.status == 200 and not response.content_type.startswith("application/json"):
                data = await response.content.read(limit + 1)
                return 200, (None if len(data) > limit else data), None
            try:
                payload = await response.json(content_type=None)
            except ValueError:
                payload = {}
            code = payload.get("code") if isinstance(payload, dict) else None
        if code in INVALID_TOKEN and self._token is not None and self._token[0] == token:
            self._token = None
        return response.status, None, code

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
