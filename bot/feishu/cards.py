"""Replies as Feishu messages: plain text, or an interactive card (message card JSON 1.0: a text
block and rows of buttons) when the reply has buttons. A button's value carries the opaque payload
and the chat the card went to (see incoming.from_action)."""
from __future__ import annotations

import json

from chat.messages import Outgoing

TEXT_LIMIT = 10_000  # characters per message sent (Feishu's cap is 150 KB of JSON for text, 30 KB for a card)
LABEL_LIMIT = 40  # a button's label shows about this much on a phone
BUTTONS_PER_ROW = 3


def message_content(message: Outgoing, chat_id: str, chat_kind: str) -> tuple[str, str]:
    """(msg_type, content) for im.v1.message.create."""
    text = (message.text or " ")[:TEXT_LIMIT]
    if not message.buttons:
        return "text", json.dumps({"text": text}, ensure_ascii=False)
    elements: list[dict] = [{"tag": "div", "text": {"tag": "plain_text", "content": text}}]
    for row in message.buttons:
        for start in range(0, len(row), BUTTONS_PER_ROW):
            actions = [
                {
                    "tag": "button",
                    "text": {"tag": "plain_text", "content": button.label[:LABEL_LIMIT] or "·"},
                    "type": "default",
                    "value": {"crm": button.payload, "chat": chat_id, "kind": chat_kind},
                }
                for button in row[start : start + BUTTONS_PER_ROW]
            ]
            elements.append({"tag": "action", "actions": actions})
    card = {"config": {"wide_screen_mode": True}, "elements": elements}
    return "interactive", json.dumps(card, ensure_ascii=False)


def receive_id_type(chat_id: str) -> str:
    """Members' private chats are kept under their open_id (ou_…); group chats under the chat_id (oc_…)."""
    return "open_id" if chat_id.startswith("ou_") else "chat_id"
