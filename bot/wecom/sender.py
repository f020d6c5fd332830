"""Outbox rows → WeCom `message/send` (the app's message to one member).

A reply with buttons is a template card of the button_interaction type (up to 6 buttons each; a
button's key is the opaque payload, at most 1024 bytes, and comes back in a template_card_event);
anything else is text (2048 bytes a message). Images and files are uploaded (media/upload) and sent
after the text. Limits (errcode 45009 / 45033, HTTP 429) become RetryLater; members WeCom cannot
reach become PermanentFailure.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging

import aiohttp

from chat.messages import Button, Outgoing
from reminders.delivery import PermanentFailure, RetryLater, attachment_bytes
from storage.models import Outbox

from .api import ApiError, WeComApi
from .incoming import PLATFORM

log = logging.getLogger(__name__)

TEXT_BYTES = 2048
BUTTONS_PER_CARD = 6
TITLE_CHARS = 36  # main_title.title, as WeCom advises
SUBTITLE_CHARS = 160  # sub_title_text
LABEL_CHARS = 20
KEY_BYTES = 1024
RATE_LIMITED = {45009: 60.0, 45033: 5.0}  # calls over the limit (per minute) / too many at once: seconds to wait
BUSY = {-1, 45047}  # system busy; temporarily refused: back off
# No retry fixes these: the member is gone or outside the app's range, or the message is bad.
PERMANENT = {40003, 40008, 40056, 44004, 45002, 60011, 81013, 82001, 86001}


def split_bytes(text: str, limit: int = TEXT_BYTES) -> list[str]:
    """Text in pieces of at most `limit` UTF-8 bytes, cut at line ends where possible."""
    parts: list[str] = []
    while len(text.encode()) > limit:
        cut = len(text.encode()[:limit].decode("utf-8", "ignore"))
        newline = text.rfind("\n", 0, cut)
        cut = newline if newline > cut // 2 else cut
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return parts + [text] if text else parts


def task_id(row_key: str, index: int) -> str:
    """Unique per card and the same on every try of a row: WeCom's duplicate check drops a resend."""
    return "crm_" + hashlib.sha256(f"{row_key}#{index}".encode()).hexdigest()[:40]


def cards(row: Outbox, message: Outgoing) -> tuple[str | None, list[dict]]:
    """(text sent before the cards, or None; the template cards). The reply's first line is the card's
    title and the rest its subtitle when they fit; otherwise the text goes first as a message of its own."""
    buttons: list[Button] = [b for row_ in message.buttons for b in row_ if len(b.payload.encode()) <= KEY_BYTES]
    lines = (message.text or "").strip().split("\n", 1)
    title, rest = lines[0].strip(), (lines[1].strip() if len(lines) > 1 else "")
    before = None
    if not title or len(title) > TITLE_CHARS or len(rest) > SUBTITLE_CHARS:
        before = message.text
        title, rest = (lines[-1].strip() if len(lines[-1].strip()) <= TITLE_CHARS else "👇"), ""
    out = []
    for n, start in enumerate(range(0, len(buttons), BUTTONS_PER_CARD)):
        card: dict = {
            "card_type": "button_interaction",
            "main_title": {"title": title if n == 0 else "…"},
            "task_id": task_id(row.key, n),
            "button_list": [{"text": b.label[:LABEL_CHARS] or "·", "style": 1, "key": b.payload} for b in buttons[start : start + BUTTONS_PER_CARD]],
        }
        if rest and n == 0:
            card["sub_title_text"] = rest
        out.append(card)
    return before, out


class WeComSender:
    platform = PLATFORM

    def __init__(self, api: WeComApi, agent_id: int) -> None:
        self.api = api
        self.agent_id = agent_id

    async def send(self, row: Outbox, message: Outgoing) -> None:
        if row.chat_kind != "private":
            raise PermanentFailure("a WeCom app sends only to members (no group chats)")
        try:
            await self._send(row, message)
        except ApiError as exc:
            raise _translated(exc) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RetryLater(None, f"network: {exc!r}"[:200]) from exc

    async def _send(self, row: Outbox, message: Outgoing) -> None:
        if message.buttons:
            before, templates = cards(row, message)
            for piece in split_bytes(before or ""):
                await self._post(row, "text", {"content": piece})
            for card in templates:
                await self._post(row, "template_card", card, duplicate_check=True)
        else:
            for piece in split_bytes(message.text or ""):
                await self._post(row, "text", {"content": piece})
        for path, kind in ((message.image_path, "image"), (message.file_path, "file")):
            if not path:
                continue
            media_id = await self.api.upload(kind, *attachment_bytes(path))
            await self._post(row, kind, {"media_id": media_id})

    async def _post(self, row: Outbox, msgtype: str, content: dict, duplicate_check: bool = False) -> None:
        body: dict = {"touser": row.chat_id, "msgtype": msgtype, "agentid": self.agent_id, msgtype: content}
        if duplicate_check:
            body |= {"enable_duplicate_check": 1, "duplicate_check_interval": 1800}
        answer = await self.api.send_message(body)
        if answer.get("invaliduser"):
            raise PermanentFailure(f"invaliduser {answer['invaliduser']}: not in the app's visible range, or gone")


def _translated(exc: ApiError) -> Exception:
    if exc.errcode in RATE_LIMITED:
        return RetryLater(RATE_LIMITED[exc.errcode], f"rate limited ({exc.errcode})")
    if exc.errcode in BUSY:
        return RetryLater(None, str(exc))
    if exc.errcode in PERMANENT:
        return PermanentFailure(str(exc))
    return exc  # unknown: the deliverer retries with backoff and keeps the error visible
