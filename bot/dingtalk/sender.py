"""Outbox rows → DingTalk robot messages: one-to-one by oToMessages/batchSend (the member's staff id),
groups by groupMessages/send (the openConversationId).

Plain replies are sampleText. In one-to-one chats, replies with buttons are sampleMarkdown whose
buttons are `dtmd://dingtalkclient/sendMessage` links: a tap sends `label 〔payload〕` to the robot as
the user's own message (incoming.py reads it as the press). DingTalk's ActionCard buttons can only
open URLs, so they are no use for answers. In group chats such a link would post a message that does
not @mention the robot, which the robot never hears: there (stream mode) a reply with buttons is an
interactive card whose buttons call back over the stream (cards.py). In HTTP outgoing-robot mode
there is no stream for card callbacks, and group replies keep the links.
"""
from __future__ import annotations

import json
import logging
from urllib.parse import quote

from chat.messages import Button, Outgoing
from reminders.delivery import PermanentFailure, RetryLater
from storage.models import Outbox

from . import cards
from .api import THROTTLED_SECONDS, DingTalkAPI
from .incoming import PAYLOAD_CLOSE, PAYLOAD_OPEN, PLATFORM

log = logging.getLogger(__name__)

ONE_TO_ONE_PATH = "/v1.0/robot/oToMessages/batchSend"
GROUP_PATH = "/v1.0/robot/groupMessages/send"
TEXT_LIMIT = 4000  # characters per message (DingTalk cuts longer robot messages)
TITLE_LIMIT = 40  # the notification line of a markdown message
PRESS_LINK = "dtmd://dingtalkclient/sendMessage?content="


def press_text(button: Button) -> str:
    return f"{button.label} {PAYLOAD_OPEN}{button.payload}{PAYLOAD_CLOSE}"


def _label(text: str) -> str:
    return (text.replace("[", "［").replace("]", "］").strip() or "·")[:40]


def message_param(message: Outgoing) -> tuple[str, dict]:
    """(msgKey, msgParam) for a reply."""
    text = (message.text or "").strip()[:TEXT_LIMIT] or " "
    if not message.buttons:
        return "sampleText", {"content": text}
    lines = [line if line.strip() else "" for line in text.split("\n")]
    body = "  \n".join(lines)  # two trailing spaces: a markdown line break
    rows = ["　".join(f"[{_label(b.label)}]({PRESS_LINK}{quote(press_text(b), safe='')})" for b in row) for row in message.buttons]
    title = next((line.strip() for line in lines if line.strip()), "crmbot")[:TITLE_LIMIT]
    return "sampleMarkdown", {"title": title, "text": body + "\n\n" + "  \n".join(rows)}


class DingTalkSender:
    platform = PLATFORM

    def __init__(self, api: DingTalkAPI, robot_code: str, *, group_cards: bool = False) -> None:
        self.api = api
        self.robot_code = robot_code
        self.group_cards = group_cards  # stream mode: card callbacks can reach us

    async def send(self, row: Outbox, message: Outgoing) -> None:
        if (message.image_path or message.file_path) and not (message.text or "").strip():
            raise PermanentFailure("files and charts are not sent on DingTalk yet")
        if message.image_path or message.file_path:
            log.info("dingtalk: %s goes without its file (not supported yet)", row.key)
        if self.group_cards and cards.replaces_card(row, message):
            try:
                await self.api.call(cards.UPDATE_PATH, cards.update_body(message), method="PUT")
                return
            except PermanentFailure as exc:  # the card is gone or can no longer change: the answer comes as a new message
                log.info("dingtalk: card %s not updated (%s); sending the answer anew", message.replaces, exc)
        if self.group_cards and cards.wants_card(row, message):
            answer = await self.api.call(cards.CREATE_AND_DELIVER_PATH, cards.body(row, message, self.robot_code))
            failed = [r for r in ((answer.get("result") or {}).get("deliverResults") or []) if isinstance(r, dict) and r.get("success") is False]
            if failed:
                raise RetryLater(None, f"card not delivered: {str(failed[0].get('errorMsg') or '')[:120]}")
            return
        msg_key, param = message_param(message)
        common = {"robotCode": self.robot_code, "msgKey": msg_key, "msgParam": json.dumps(param, ensure_ascii=False)}
        if row.chat_kind == "group":
            await self.api.call(GROUP_PATH, common | {"openConversationId": row.chat_id})
            return
        answer = await self.api.call(ONE_TO_ONE_PATH, common | {"userIds": [row.chat_id]})
        if row.chat_id in (answer.get("flowControlledStaffIdList") or []):
            raise RetryLater(THROTTLED_SECONDS, "flow controlled")  # DingTalk's per-user limit
        if row.chat_id in (answer.get("invalidStaffIdList") or []):
            raise PermanentFailure("invalid staff id")
