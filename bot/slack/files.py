"""A file sent to the bot in its DM (a spreadsheet to import): fetched with the bot token."""
from __future__ import annotations

import dataclasses
import logging

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from chat.messages import Incoming

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024
IMPORTABLE = (".csv", ".xlsx", ".xls", ".tsv")


async def download(client: AsyncWebClient, msg: Incoming, file: dict) -> Incoming:
    """The message with the file's bytes attached, or marked as media we cannot read."""
    name = file.get("name") or "upload"
    url = file.get("url_private_download") or file.get("url_private")
    if not name.lower().endswith(IMPORTABLE) or not url or (file.get("size") or 0) > MAX_FILE_BYTES:
        kind = "photo" if (file.get("mimetype") or "").startswith("image/") else "file"
        return dataclasses.replace(msg, media_kind=kind, file_name=name, file_bytes=None)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            async with session.get(url, headers={"Authorization": f"Bearer {client.token}"}) as response:
                response.raise_for_status()
                data = await response.content.read(MAX_FILE_BYTES + 1)
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("downloading %s failed: %s", name, exc)
        return dataclasses.replace(msg, media_kind="file", file_name=name, file_bytes=None)
    if len(data) > MAX_FILE_BYTES:
        return dataclasses.replace(msg, media_kind="file", file_name=name, file_bytes=None)
    return dataclasses.replace(msg, media_kind=None, file_name=name, file_bytes=data)
