"""The DingTalk OpenAPI (api.dingtalk.com, or DINGTALK_API_URL): the app's access token, fetched with
the app key and secret, cached until five minutes before it expires and fetched again after a 401;
JSON POSTs whose failures become the outbox's RetryLater / PermanentFailure.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable

import aiohttp

from reminders.delivery import PermanentFailure, RetryLater

log = logging.getLogger(__name__)

DEFAULT_URL = "https://api.dingtalk.com"
TOKEN_PATH = "/v1.0/oauth2/accessToken"
FILE_PATH = "/v1.0/robot/messageFiles/download"  # a received file's downloadCode → a temporary downloadUrl
TOKEN_MARGIN = dt.timedelta(minutes=5)
TIMEOUT = aiohttp.ClientTimeout(total=10)  # at-least-once: a send with no answer goes again
THROTTLED_SECONDS = 2.0  # DingTalk's QPS limits say no Retry-After; its windows are a second long


def is_throttled(status: int, code: str) -> bool:
    """DingTalk answers an exceeded QPS limit with 403 Forbidden.AccessDenied.QpsLimit… (or a 429)."""
    return status == 429 or "qpslimit" in code.lower() or "throttl" in code.lower() or "ratelimit" in code.lower()


class DingTalkAPI:
    def __init__(self, base_url: str | None, app_key: str, app_secret: str, clock: Callable[[], dt.datetime]) -> None:
        self.base_url = (base_url or DEFAULT_URL).rstrip("/")
        self.app_key = app_key
        self.app_secret = app_secret
        self.clock = clock
        self._token: tuple[str, dt.datetime] | None = None
        self._token_lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def access_token(self) -> str:
        async with self._token_lock:
            if self._token is not None and self._token[1] > self.clock():
                return self._token[0]
            status, body = await self._post(TOKEN_PATH, {"appKey": self.app_key, "appSecret": self.app_secret}, token=None)
            token = body.get("accessToken") if status == 200 else None
            if not token:
                raise _failure(status, body, "access token")
            expires_in = int(body.get("expireIn") or 7200)
            self._token = (str(token), self.clock() + dt.timedelta(seconds=expires_in) - TOKEN_MARGIN)
            return self._token[0]

    async def call(self, path: str, body: dict, *, method: str = "POST") -> dict:
        """POST (or PUT) with the access token; a 401 fetches a fresh token and tries once more."""
        for attempt in (1, 2):
            token = await self.access_token()
            status, answer = await self._post(path, body, token=token, method=method)
            if status == 200:
                return answer
            if status == 401 and attempt == 1:
                self._token = None
                continue
            raise _failure(status, answer, path)
        raise RetryLater(None, f"{path}: unauthorized")  # (not reached)

    async def download(self, download_code: str, robot_code: str, limit: int) -> bytes | None:
        """A file someone sent the robot: its temporary link from messageFiles/download, then the bytes.
        None when it is larger than `limit`; RetryLater / PermanentFailure like every call."""
        answer = await self.call(FILE_PATH, {"downloadCode": download_code, "robotCode": robot_code})
        url = answer.get("downloadUrl")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise PermanentFailure("messageFiles/download: no downloadUrl")
        try:
            async with self._http().get(url, timeout=aiohttp.ClientTimeout(total=60)) as response:
                if response.status != 200:
                    raise _failure(response.status, {}, "file download")
                data = await response.content.read(limit + 1)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RetryLater(None, f"file download: {exc!r}"[:200]) from exc
        return None if len(data) > limit else data

    async def _post(self, path: str, body: dict, token: str | None, method: str = "POST") -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["x-acs-dingtalk-access-token"] = token
        try:
            async with self._http().request(method, self.base_url + path, data=json.dumps(body, ensure_ascii=False).encode(), headers=headers) as response:
                raw = await response.read()
                retry_after = response.headers.get("Retry-After")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RetryLater(None, f"network: {exc!r}"[:200]) from exc
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {"message": raw[:200].decode("utf-8", "replace")}
        if not isinstance(answer, dict):
            answer = {}
        if retry_after:
            answer["_retry_after"] = retry_after
        return response.status, answer


def _failure(status: int, body: dict, what: str) -> Exception:
    code = str(body.get("code") or "")
    reason = f"{what}: HTTP {status} {code} {str(body.get('message') or '')[:120]}".strip()
    if is_throttled(status, code):
        return RetryLater(_seconds(body.get("_retry_after")), reason)
    if status >= 500 or status in (401, 408, 409) or status == 0:
        return RetryLater(None, reason)  # backoff with jitter
    return PermanentFailure(reason)  # 400/403/404: a bad request, a user or group that is gone, no permission


def _seconds(value) -> float:
    try:
        return max(1.0, float(value))
    except (TypeError, ValueError):
        return THROTTLED_SECONDS
