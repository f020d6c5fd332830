"""Interactive cards for DingTalk group chats: a reply with buttons becomes a card whose buttons call
back over the stream (topic /v1.0/card/instances/callback), because a group robot only hears
messages that @mention it, so the dtmd `sendMessage` links one-to-one chats use would never reach it.

Sending: `POST /v1.0/card/instances/createAndDeliver` (create and deliver in one call) with
callbackType STREAM, delivered to the group (openSpaceId `dtv1.card//IM_GROUP.<openConversationId>`)
by our robot. The template is the public AI-card template the dingtalk-stream SDK itself uses for
cards with request buttons (`sys_full_json_obj.msgButtons` with an `id` and `request: true`); no
template needs to be made in the tenant's card builder.

Pressing: DingTalk sends `{outTrackId, userId, content: {"cardPrivateData": {"actionIds": [id]}}}`.
The card's outTrackId names the outbox row it was sent for (`crmbot-<row id>-<digest of its key>`);
the row tells the group and the buttons that were on the card, so a press is rebuilt as that group's
robot message `label 〔payload〕` (incoming.py reads it as the press) and takes the same path as
every other message: the inbox before the ack, then the router's button path. A callback naming no
row of ours, or a button that was not on it, is acked and ignored.
"""
from __future__ import annotations

import hashlib
import json
import re

from chat.messages import Button, Outgoing
from storage.models import Outbox

from .incoming import GROUP, PAYLOAD_CLOSE, PAYLOAD_OPEN, PLATFORM

CALLBACK_TOPIC = "/v1.0/card/instances/callback"
CREATE_AND_DELIVER_PATH = "/v1.0/card/instances/createAndDeliver"
UPDATE_PATH = "/v1.0/card/instances"  # PUT: new card data for a card already delivered
TEMPLATE_ID = "382e4302-551d-4880-bf29-a30acfab2e71.schema"  # the SDK's AIMarkdownCardInstance / CarouselCardInstance template
FINISHED = "3"  # flowStatus: the card is complete (not an AI card still typing)
ORDER = ["msgTitle", "msgContent", "staticMsgContent", "msgTextList", "msgImages", "msgSlider", "msgButtons"]
TEXT_LIMIT = 4000
_TRACK = re.compile(r"crmbot-(\d{1,18})-([0-9a-f]{12})")
_ACTION = re.compile(r"b(\d{1,2})_(\d{1,2})")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:12]


def out_track_id(row: Outbox) -> str:
    """The card's id: the same for every attempt at one outbox row (a resend after a timeout is the same card)."""
    return f"crmbot-{row.id}-{_digest(row.key)}"


def action_id(r: int, c: int) -> str:
    return f"b{r}_{c}"


def wants_card(row: Outbox, message: Outgoing) -> bool:
    return row.chat_kind == "group" and bool(message.buttons)


def _params(message: Outgoing) -> dict:
    text = (message.text or "").strip()[:TEXT_LIMIT] or " "
    buttons = [
        {"text": (b.label.strip() or "·")[:40], "color": "blue" if c == 0 else "gray", "id": action_id(r, c), "request": True}
        for r, row_buttons in enumerate(message.buttons)
        for c, b in enumerate(row_buttons)
    ]
    return {
        "flowStatus": FINISHED,
        "msgContent": "  \n".join(text.split("\n")),  # two trailing spaces: a markdown line break
        "staticMsgContent": "",
        "sys_full_json_obj": json.dumps({"order": ORDER, "msgButtons": buttons}, ensure_ascii=False),
    }


def replaces_card(row: Outbox, message: Outgoing) -> bool:
    """The answer to a tap on one of our group cards, with no buttons of its own: it takes the card's
    place (its text, buttons gone). An answer with buttons is a new card: the buttons of a card name
    the outbox row it was first sent for, so a card keeps the buttons it was sent with or none."""
    return row.chat_kind == "group" and not message.buttons and not (message.image_path or message.file_path) and _TRACK.fullmatch(message.replaces or "") is not None


def update_body(message: Outgoing) -> dict:
    """The PUT /v1.0/card/instances request that turns the pressed card into the answer."""
    return {"outTrackId": message.replaces, "cardData": {"cardParamMap": _params(message)}, "cardUpdateOptions": {"updateCardDataByKey": True}}


def body(row: Outbox, message: Outgoing, robot_code: str) -> dict:
    """The createAndDeliver request for a group reply with buttons."""
    params = _params(message)
    return {
        "cardTemplateId": TEMPLATE_ID,
        "outTrackId": out_track_id(row),
        "callbackType": "STREAM",
        "userIdType": 1,  # ids in callbacks are userIds (staff ids), as in robot messages and our identities
        "cardData": {"cardParamMap": params},
        "openSpaceId": f"dtv1.card//IM_GROUP.{row.chat_id}",
        "imGroupOpenSpaceModel": {"supportForward": False},
        "imGroupOpenDeliverModel": {"robotCode": robot_code},
    }


def press_of(data: dict) -> tuple[int, str, str, str] | None:
    """(outbox row id, key digest, presser's staff id, action id) of a card callback, or None."""
    track = _TRACK.fullmatch(str(data.get("outTrackId") or ""))
    user = str(data.get("userId") or "")
    content = data.get("content")
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            return None
    private = (content or {}).get("cardPrivateData") if isinstance(content, dict) else None
    actions = private.get("actionIds") if isinstance(private, dict) else None
    if track is None or not user or not isinstance(actions, list) or not actions or not isinstance(actions[0], str):
        return None
    return int(track.group(1)), track.group(2), user[:200], actions[0][:20]


def as_robot_message(data: dict, row: Outbox | None, digest: str, user: str, action: str) -> dict | None:
    """The press as the group's robot message (`label 〔payload〕` from the presser), or None when the
    card is not ours or the button was not on it."""
    if row is None or row.platform != PLATFORM or row.chat_kind != "group" or _digest(row.key) != digest:
        return None
    pressed = _ACTION.fullmatch(action)
    if pressed is None:
        return None
    rows = Outgoing.from_body(row.body or {}).buttons
    r, c = int(pressed.group(1)), int(pressed.group(2))
    if r >= len(rows) or c >= len(rows[r]):
        return None
    button: Button = rows[r][c]
    return {
        "msgId": f"card.{row.id}.{digest}.{action}.{user}",  # one press per person and button: a redelivered callback is the same key
        "conversationType": GROUP,
        "conversationId": row.chat_id,
        "senderStaffId": user,
        "senderNick": str(data.get("userNick") or user)[:100],
        "msgtype": "text",
        "text": {"content": f"{button.label} {PAYLOAD_OPEN}{button.payload}{PAYLOAD_CLOSE}"},
        "cardCallback": True,
        "pressedCard": out_track_id(row),  # incoming.py: the pressed message, which the answer may replace
    }
