"""The WeCom server API (qyapi.weixin.qq.com/cgi-bin) over aiohttp: an access token from `gettoken`,
cached until shortly before it expires and fetched again once when WeCom says it is invalid or
expired; every answer's errcode turned into an ApiError.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

DEFAULT_URL = "https://qyapi.weixin.qq.com"
TOKEN_ERRORS = {40014, 42001, 40082}  # invalid / expired access_token, invalid suite token: fetch a new one
TOKEN_MARGIN = dt.timedelta(minutes=5)  # fetch a new token this long before WeCom says it expires
TIMEOUT = aiohttp.ClientTimeout(total=10)


class ApiError(Exception):
    def __init__(self, errcode: int, errmsg: str, status: int = 200, body: dict | None = None) -> None:
        super().__init__(f"wecom errcode {errcode}: {errmsg}"[:300])
        self.errcode = errcode
        self.errmsg = errmsg
        self.status = status
        self.body = body or {}


class WeComApi:
    def __init__(self, corp_id: str, secret: str, clock: Callable[[], dt.datetime], base_url: str | None = None) -> None:
        self.corp_id = corp_id
        self.secret = secret
        self.clock = clock
        self.base_url = (base_url or DEFAULT_URL).rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._token_expires: dt.datetime | None = None
        self._token_lock = asyncio.Lock()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def token(self, *, stale: str | None = None) -> str:
        """The cached access token; a new one when it is about to expire, or when `stale` (the one a
        call was refused with) is still the cached one. One fetch at a time."""
        async with self._token_lock:
            fresh = self._token and self._token_expires and self.clock() < self._token_expires
            if fresh and self._token != stale:
                return self._token  # type: ignore[return-value]
            body = await self._request("GET", "/cgi-bin/gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret})
            self._token = str(body["access_token"])
            self._token_expires = self.clock() + dt.timedelta(seconds=int(body.get("expires_in", 7200))) - TOKEN_MARGIN
            return self._token

    async def call(self, method: str, path: str, *, json: dict | None = None, params: dict | None = None, form: Callable[[], Any] | None = None) -> dict:
        """A call with the access token; an invalid or expired token is replaced once and the call made again.
        `form` makes the multipart body (made again for the second try: a body is read once)."""
        token = await self.token()
        try:
            return await self._request(method, path, params={"access_token": token} | (params or {}), json=json, data=form() if form else None)
        except ApiError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            log.info("wecom: access token refused (%s); fetching a new one", exc.errcode)
        token = await self.token(stale=token)
        return await self._request(method, path, params={"access_token": token} | (params or {}), json=json, data=form() if form else None)

    async def _request(self, method: str, path: str, *, params: dict, json: dict | None = None, data: Any = None) -> dict:
        async with self._http().request(method, self.base_url + path, params=params, json=json, data=data) as response:
            if response.status == 429 or response.status >= 500:
                raise ApiError(-1 if response.status >= 500 else 45009, f"HTTP {response.status}", response.status)
            try:
                body = await response.json(content_type=None)
            except (ValueError, aiohttp.ContentTypeError) as exc:
                raise ApiError(-1, f"HTTP {response.status}: not JSON", response.status) from exc
        if not isinstance(body, dict):
            raise ApiError(-1, "not a JSON object", response.status)
        errcode = int(body.get("errcode") or 0)
        if errcode:
            raise ApiError(errcode, str(body.get("errmsg", "")), response.status, body)
        return body

    # --- the calls crmbot makes ----------------------------------------------------------------------
    async def send_message(self, body: dict) -> dict:
        return await self.call("POST", "/cgi-bin/message/send", json=body)

    async def send_appchat(self, body: dict) -> dict:
        return await self.call("POST", "/cgi-bin/appchat/send", json=body)

    async def user_name(self, user_id: str) -> str | None:
        body = await self.call("GET", "/cgi-bin/user/get", params={"userid": user_id})
        return body.get("name") or None

    async def upload(self, kind: str, filename: str, content: bytes) -> str:
        """media/upload: a temporary media id (3 days) for an image or a file."""

        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field("media", content, filename=filename, content_type="application/octet-stream")
            return data

        body = await self.call("POST", "/cgi-bin/media/upload", params={"type": kind}, form=form)
        return str(body["media_id"])
