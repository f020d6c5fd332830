"""Slack text in and out, as plain dicts: mrkdwn escapes, mention clean-up, Block Kit for buttons."""
from __future__ import annotations

import html
import re

from chat.messages import Outgoing

BUTTON_ACTION_PREFIX = "crm:"  # every button's action_id starts with this; its value is the opaque payload
SECTION_LIMIT = 3000  # characters per section block
LABEL_LIMIT = 75  # characters per button label
BUTTONS_PER_BLOCK = 25

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto|tel):[^|>]+)(?:\|([^>]*))?>")


def incoming_text(text: str | None, bot_user_id: str | None = None) -> str:
    """What the person typed: the bot's own mention removed, others as @name, links as their label."""
    text = text or ""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>[,:，：]?", " ", text)
    text = _USER.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _SUBTEAM.sub(lambda m: m.group(1) or "@group", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:").removeprefix("tel:"), text)
    text = html.unescape(text) if "&" in text else text
    return re.sub(r"[ \t]+", " ", text).strip()


def escape(text: str) -> str:
    """Slack treats &, < and > as control characters in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chunks(text: str, size: int) -> list[str]:
    parts: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > size // 2 else size
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return parts + [text] if text else parts


def message_args(message: Outgoing) -> dict:
    """chat.postMessage / response_url arguments for a reply: text, and blocks when it has buttons."""
    text = escape(message.text or " ")
    args: dict = {"text": text}
    if not message.buttons and message.edit is None:
        return args
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": part, "verbatim": True}} for part in _chunks(text, SECTION_LIMIT)]
    n = 0
    for row in message.buttons:
        elements = []
        for button in row:
            elements.append(
                {
                    "type": "button",
                    "action_id": f"{BUTTON_ACTION_PREFIX}{n}",
                    "text": {"type": "plain_text", "text": button.label[:LABEL_LIMIT] or "·", "emoji": True},
                    "value": button.payload,
                }
            )
            n += 1
        for start in range(0, len(elements), BUTTONS_PER_BLOCK):
            blocks.append({"type": "actions", "elements": elements[start : start + BUTTONS_PER_BLOCK]})
    if message.edit is not None:  # opens the edit form (a modal: bot/slack/forms.py)
        from .forms import edit_button

        blocks.append({"type": "actions", "elements": [edit_button(message.edit.label, message.edit.payload)]})
    args["blocks"] = blocks[:50]
    return args
