"""Outbox rows → Feishu: im.v1.message.create (text, or a card with buttons), images and files
uploaded first (im.v1.image.create / im.v1.file.create).

A message goes out on the loop over one kept-alive session with a cached token (api.py: the SDK
would open a new connection per call, from a worker thread); uploads use the SDK's synchronous calls,
each in a worker thread, so the event loop never waits on Feishu. Every message carries a uuid made from the
outbox key: Feishu sends at most one message per uuid within an hour, so a resend after a lost
answer is not a double. A 429 (code 99991400, or 230020 for one chat) becomes RetryLater with the
x-ogw-ratelimit-reset seconds; refusals for good become PermanentFailure.
"""
from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging

import aiohttp
import lark_oapi as lark
import requests
from lark_oapi.api.im.v1 import (
    CreateFileRequest,
    CreateFileRequestBody,
    CreateImageRequest,
    CreateImageRequestBody,
)
from lark_oapi.core.exception import ObtainAccessTokenException

from chat.messages import Outgoing
from reminders.delivery import PermanentFailure, RetryLater, attachment_bytes
from storage.models import Outbox

from .api import INVALID_TOKEN, OpenAPI, TokenRefused
from .cards import message_content, receive_id_type
from .incoming import PLATFORM

log = logging.getLogger(__name__)

MESSAGES_PATH = "/open-apis/im/v1/messages"
RATE_LIMITED = {99991400, 230020}  # the app's budget / this chat's
# Codes no retry will fix: the chat or user is gone or out of reach, the bot was removed, the
# content is refused, or the app lacks a permission.
PERMANENT_CODES = {
    230001, 230002, 230006, 230013, 230017, 230025, 230027, 230028, 230034, 230035, 230099,
    99991672, 99992402,
}


class FeishuSender:
    platform = PLATFORM

    def __init__(self, client: lark.Client, api: OpenAPI) -> None:
        self.client = client  # the SDK: uploads
        self.api = api  # messages

    async def send(self, row: Outbox, message: Outgoing) -> None:
        if message.image_path:
            key = await self._call(self._upload_image, message.image_path)
            await self._create(row, "image", json.dumps({"image_key": key}), "image")
        if message.file_path:
            key = await self._call(self._upload_file, message.file_path)
            await self._create(row, "file", json.dumps({"file_key": key}), "file")
        if message.text or message.buttons or not (message.image_path or message.file_path):
            msg_type, content = message_content(message, row.chat_id, row.chat_kind)
            await self._create(row, msg_type, content, "text")

    async def _create(self, row: Outbox, msg_type: str, content: str, part: str) -> None:
        # Feishu: at most 50 characters of uuid; one message per uuid within an hour
        uuid = hashlib.sha256(f"{row.key}:{part}".encode()).hexdigest()[:40]
        body = {"receive_id": row.chat_id, "msg_type": msg_type, "content": content, "uuid": uuid}
        try:
            answer = await self.api.post(MESSAGES_PATH, {"receive_id_type": receive_id_type(row.chat_id)}, body)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, TokenRefused) as exc:
            raise RetryLater(None, f"network: {exc!r}"[:200]) from exc
        except ValueError as exc:  # not JSON: a proxy's or gateway's error page
            raise RetryLater(None, f"unreadable answer: {exc!r}"[:200]) from exc
        if answer.code != 0:
            refused(answer.status, answer.code, answer.msg, answer.headers)

    def _upload_image(self, path: str):
        _name, data = attachment_bytes(path)
        body = CreateImageRequestBody.builder().image_type("message").image(io.BytesIO(data)).build()
        return self.client.im.v1.image.create(CreateImageRequest.builder().request_body(body).build())

    def _upload_file(self, path: str):
        name, data = attachment_bytes(path)
        body = CreateFileRequestBody.builder().file_type("stream").file_name(name).file(io.BytesIO(data)).build()
        return self.client.im.v1.file.create(CreateFileRequest.builder().request_body(body).build())

    async def _call(self, fn, *args) -> str | None:
        """Run one SDK call in a thread; its answer checked. Returns an uploaded image's or file's key."""
        try:
            response = await asyncio.to_thread(fn, *args)
        except (requests.RequestException, OSError, ObtainAccessTokenException) as exc:
            raise RetryLater(None, f"network: {exc!r}"[:200]) from exc
        except ValueError as exc:  # not JSON: a proxy's or gateway's error page
            raise RetryLater(None, f"unreadable answer: {exc!r}"[:200]) from exc
        raise_for(response)
        data = getattr(response, "data", None)
        return getattr(data, "image_key", None) or getattr(data, "file_key", None)


def _header(headers: dict, name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _seconds(value) -> float:
    try:
        return max(1.0, float(value))
    except (TypeError, ValueError):
        return 10.0


def raise_for(response) -> None:
    """The exception an SDK response stands for, if any."""
    if response.success():
        return
    raw = getattr(response, "raw", None)
    refused(getattr(raw, "status_code", 0) or 0, response.code, response.msg, getattr(raw, "headers", None) or {})


def refused(status: int, code: int | None, msg: str, headers: dict) -> None:
    """Raise the exception a refused call stands for."""
    if status == 429 or code in RATE_LIMITED:
        raise RetryLater(_seconds(_header(headers, "x-ogw-ratelimit-reset")), f"rate limited ({code})")
    if code in INVALID_TOKEN:  # (api.py has dropped it: the next try fetches a new one)
        raise RetryLater(None, f"token refused ({code}: {msg})"[:300])
    if code in PERMANENT_CODES or status in (400, 403, 404) and code not in (None, 0):
        raise PermanentFailure(f"{code}: {msg}"[:300])
    raise RetryLater(None, f"{status} {code}: {msg}"[:300])  # 5xx and the unknown: backoff with jitter
