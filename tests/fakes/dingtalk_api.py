"""A fake DingTalk on 127.0.0.1 (port 0): the OpenAPI the bot calls (access token, one-to-one and
group robot messages, interactive cards by createAndDeliver) and the stream gateway the
dingtalk-stream SDK connects to (connection open, then a websocket that pushes CALLBACK frames,
robot messages and card button presses, and collects their acks). Records every call; can answer a
send with DingTalk's QPS-limit refusal.
"""
from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from urllib.parse import unquote

from aiohttp import WSMsgType, web

CLIENT_ID = "dingtestappkey"
CLIENT_SECRET = "test-app-secret-0123456789"
BOT_MESSAGES = "/v1.0/im/bot/messages/get"
CARD_CALLBACK = "/v1.0/card/instances/callback"
CARD_PATH = "card/createAndDeliver"


@dataclass
class Sent:
    path: str
    to: str  # staff id (one-to-one) or openConversationId (group)
    msg_key: str
    param: dict

    out_track_id: str = ""  # cards: the card's id

    @property
    def text(self) -> str:
        if self.path == CARD_PATH:
            return str(self.param.get("msgContent") or "")
        return str(self.param.get("content") or self.param.get("text") or "")

    def presses(self) -> dict[str, str]:
        """Button label → the text a tap sends back (the dtmd link's content). Not for cards: card_buttons()."""
        out = {}
        for label, content in _links(self.text):
            out[label] = unquote(content)
        return out

    def card_buttons(self) -> dict[str, str]:
        """A card's button label → its action id (what a press calls back with)."""
        if self.path != CARD_PATH:
            return {}
        buttons = json.loads(self.param.get("sys_full_json_obj") or "{}").get("msgButtons") or []
        return {b["text"]: b["id"] for b in buttons if b.get("request")}


def _links(markdown: str) -> list[tuple[str, str]]:
    import re

    return re.findall(r"\[([^\]]*)\]\(dtmd://dingtalkclient/sendMessage\?content=([^)]*)\)", markdown)


@dataclass
class FakeDingTalk:
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    corp_id: str = "dingcorp1"
    sent: list[Sent] = field(default_factory=list)
    calls: list[tuple[str, dict]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)  # issued, newest last
    acks: dict[str, dict] = field(default_factory=dict)  # stream messageId → the client's ack
    refusals: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # path → queued (HTTP status, code)
    flow_controlled: list[str] = field(default_factory=list)  # staff ids the next batchSend leaves out
    files: dict[str, bytes] = field(default_factory=dict)  # downloadCode → what someone sent the robot
    downloads: list[str] = field(default_factory=list)  # downloadCodes whose bytes were fetched
    card_updates: list[tuple[str, dict]] = field(default_factory=list)  # (outTrackId, the new cardParamMap)
    base: str = ""

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._ids = itertools.count(1)
        self.sockets: list[web.WebSocketResponse] = []
        self._changed = asyncio.Condition()

    # --- setup -------------------------------------------------------------------------------
    async def start(self) -> FakeDingTalk:
        app = web.Application()
        app.router.add_post("/v1.0/oauth2/accessToken", self._token)
        app.router.add_post("/v1.0/gateway/connections/open", self._open)
        app.router.add_get("/connect", self._socket)
        app.router.add_post("/v1.0/robot/{kind}/{method}", self._send)
        app.router.add_post("/v1.0/card/instances/createAndDeliver", self._card)
        app.router.add_put("/v1.0/card/instances", self._card_update)
        app.router.add_get("/files/{code}", self._file)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def refuse_next(self, path: str, status: int = 403, code: str = "Forbidden.AccessDenied.QpsLimitForApi") -> None:
        """The next send to `path` ('oToMessages/batchSend', 'groupMessages/send') is refused so."""
        self.refusals.setdefault(path, []).append((status, code))

    def flow_control_next(self, staff_id: str) -> None:
        """The next one-to-one send to this user is answered 200 with the user in flowControlledStaffIdList."""
        self.flow_controlled.append(staff_id)

    # --- what the bot sent -------------------------------------------------------------------
    def to(self, chat: str) -> list[Sent]:
        return [s for s in self.sent if s.to == chat]

    # --- people talking (robot messages as DingTalk sends them) -------------------------------
    def message(self, staff_id: str, text: str, *, nick: str | None = None, group: str | None = None, msg_id: str | None = None, created_ms: int = 0) -> dict:
        data = {
            "conversationId": group or f"cidPRIVATE{staff_id}",
            "conversationType": "2" if group else "1",
            "chatbotCorpId": self.corp_id,
            "chatbotUserId": "$:LWCP_v1:$robot",
            "msgId": msg_id or f"msg{next(self._ids)}",
            "senderNick": nick or staff_id,
            "isAdmin": False,
            "senderStaffId": staff_id,
            "sessionWebhookExpiredTime": created_ms + 3600_000,
            "createAt": created_ms,
            "senderCorpId": self.corp_id,
            "senderId": f"$:LWCP_v1:${staff_id}",
            "sessionWebhook": f"{self.base}/robot/sendBySession?session=secret",
            "robotCode": self.client_id,
            "msgtype": "text",
            "text": {"content": text},
        }
        if group:
            data |= {"conversationTitle": "销售群", "isInAtList": True, "atUsers": [{"dingtalkId": "$:LWCP_v1:$robot"}]}
        return data

    async def push(self, data: dict, topic: str = BOT_MESSAGES) -> str:
        """Send a CALLBACK frame down the stream; returns its messageId (the ack's key)."""
        await self.wait_for(lambda: bool(self.sockets))
        frame_id = f"frame-{next(self._ids)}"
        frame = {
            "specVersion": "1.0",
            "type": "CALLBACK",
            "headers": {"appId": "app1", "connectionId": "conn1", "contentType": "application/json", "messageId": frame_id, "time": "1700000000000", "topic": topic},
            "data": json.dumps(data, ensure_ascii=False),
        }
        await self.sockets[-1].send_str(json.dumps(frame, ensure_ascii=False))
        return frame_id

    def file_message(self, staff_id: str, file_name: str, data: bytes, **kw) -> dict:
        """A file sent to the robot (msgtype file): DingTalk gives a downloadCode, exchanged for a temporary link."""
        message = self.message(staff_id, "", **kw)
        code = f"dl{next(self._ids)}"
        self.files[code] = data
        message.pop("text")
        return message | {"msgtype": "file", "content": {"downloadCode": code, "fileName": file_name}}

    def card_press(self, staff_id: str, card: Sent, label: str, *, action: str | None = None) -> dict:
        """The card callback DingTalk sends when `staff_id` taps the button labelled `label` (or any action id)."""
        if action is None:
            matches = [a for name, a in card.card_buttons().items() if label in name]
            assert matches, f"no button {label!r} on the card: {list(card.card_buttons())}"
            action = matches[0]
        content = {"cardPrivateData": {"actionIds": [action], "params": {}}}
        return {
            "extension": "{}", "corpId": self.corp_id, "spaceType": "IM_GROUP", "spaceId": card.to, "userIdType": 1,
            "type": "actionCallback", "userId": staff_id, "outTrackId": card.out_track_id,
            "content": json.dumps(content), "value": json.dumps(content),
        }

    async def system(self, topic: str, data: dict | None = None) -> str:
        """A SYSTEM frame ('ping' keep-alive, 'disconnect' before the gateway drops the connection)."""
        await self.wait_for(lambda: bool(self.sockets))
        frame_id = f"system-{next(self._ids)}"
        headers = {"contentType": "application/json", "messageId": frame_id, "topic": topic}
        await self.sockets[-1].send_str(json.dumps({"specVersion": "1.0", "type": "SYSTEM", "headers": headers, "data": json.dumps(data or {})}))
        return frame_id

    async def acked(self, frame_id: str, timeout: float = 5.0) -> dict:
        await self.wait_for(lambda: frame_id in self.acks, timeout)
        return self.acks[frame_id]

    async def wait_for(self, condition, timeout: float = 5.0) -> None:
        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(condition)

        await asyncio.wait_for(wait(), timeout)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- server ------------------------------------------------------------------------------
    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(("accessToken", {"appKey": body.get("appKey")}))
        if body.get("appKey") != self.client_id or body.get("appSecret") != self.client_secret:
            return web.json_response({"code": "invalidClientIdOrSecret", "message": "无效的clientId或clientSecret"}, status=400)
        token = f"token-{next(self._ids)}"
        self.tokens.append(token)
        return web.json_response({"accessToken": token, "expireIn": 7200})

    async def _open(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(("open", {"clientId": body.get("clientId"), "subscriptions": body.get("subscriptions")}))
        if body.get("clientId") != self.client_id or body.get("clientSecret") != self.client_secret:
            return web.json_response({"code": "InvalidAuthentication", "message": "clientId or clientSecret is invalid"}, status=401)
        return web.json_response({"endpoint": self.base.replace("http", "ws", 1) + "/connect", "ticket": f"ticket-{next(self._ids)}"})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.calls.append(("connect", {"ticket": request.query.get("ticket")}))
        self.sockets.append(ws)
        await self._notify()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    ack = json.loads(message.data)
                    self.acks[(ack.get("headers") or {}).get("messageId", "")] = ack
                    await self._notify()
        finally:
            self.sockets.remove(ws)
        return ws

    async def _card(self, request: web.Request) -> web.Response:
        """createAndDeliver: checked as DingTalk would (token, template, STREAM callbacks, a group space, our robot)."""
        body = await request.json()
        self.calls.append((CARD_PATH, body))
        if request.headers.get("x-acs-dingtalk-access-token") not in self.tokens[-1:]:
            return web.json_response({"code": "InvalidAuthentication", "message": "不合法的access_token"}, status=401)
        if self.refusals.get(CARD_PATH):
            status, code = self.refusals[CARD_PATH].pop(0)
            return web.json_response({"code": code, "message": "请求被限流", "requestid": "r1"}, status=status)
        space = str(body.get("openSpaceId") or "")
        params = ((body.get("cardData") or {}).get("cardParamMap")) or {}
        if (
            not body.get("cardTemplateId") or not body.get("outTrackId") or body.get("callbackType") != "STREAM"
            or not space.startswith("dtv1.card//IM_GROUP.") or (body.get("imGroupOpenDeliverModel") or {}).get("robotCode") != self.client_id
            or not all(isinstance(v, str) for v in params.values())  # cardParamMap values are strings
        ):
            return web.json_response({"code": "param.invalid", "message": "参数错误"}, status=400)
        group = space.removeprefix("dtv1.card//IM_GROUP.")
        self.sent.append(Sent(CARD_PATH, group, "card", params, out_track_id=body["outTrackId"]))
        await self._notify()
        return web.json_response({"success": True, "result": {"outTrackId": body["outTrackId"], "deliverResults": [{"spaceType": "IM_GROUP", "spaceId": group, "success": True}]}})

    async def _card_update(self, request: web.Request) -> web.Response:
        """PUT /v1.0/card/instances: a delivered card shows new data (the recorded card changes too)."""
        body = await request.json()
        self.calls.append(("card/update", body))
        if request.headers.get("x-acs-dingtalk-access-token") not in self.tokens[-1:]:
            return web.json_response({"code": "InvalidAuthentication", "message": "不合法的access_token"}, status=401)
        cards = [s for s in self.sent if s.path == CARD_PATH and s.out_track_id == body.get("outTrackId")]
        params = ((body.get("cardData") or {}).get("cardParamMap")) or {}
        if not cards:
            return web.json_response({"code": "param.cardInstanceNotExist", "message": "卡片实例不存在"}, status=400)
        if not all(isinstance(v, str) for v in params.values()):
            return web.json_response({"code": "param.invalid", "message": "参数错误"}, status=400)
        cards[0].param = cards[0].param | params
        self.card_updates.append((body["outTrackId"], params))
        await self._notify()
        return web.json_response({"success": True, "result": True})

    async def _file(self, request: web.Request) -> web.Response:
        code = request.match_info["code"]
        if code not in self.files or request.query.get("sig") != "ok":
            return web.Response(status=403, text="AccessDenied")
        self.downloads.append(code)
        return web.Response(body=self.files[code], content_type="application/octet-stream")

    async def _send(self, request: web.Request) -> web.Response:
        path = f"{request.match_info['kind']}/{request.match_info['method']}"
        body = await request.json()
        self.calls.append((path, body))
        if request.headers.get("x-acs-dingtalk-access-token") not in self.tokens[-1:]:
            return web.json_response({"code": "InvalidAuthentication", "message": "不合法的access_token"}, status=401)
        if path == "messageFiles/download":
            if body.get("robotCode") != self.client_id or body.get("downloadCode") not in self.files:
                return web.json_response({"code": "invalidParameter.downloadCode", "message": "downloadCode无效"}, status=400)
            return web.json_response({"downloadUrl": f"{self.base}/files/{body['downloadCode']}?sig=ok"})
        if self.refusals.get(path):
            status, code = self.refusals[path].pop(0)
            return web.json_response({"code": code, "message": "请求被限流", "requestid": "r1"}, status=status)
        if body.get("robotCode") != self.client_id:
            return web.json_response({"code": "resource.not.found", "message": "robot 不存在"}, status=400)
        param = json.loads(body["msgParam"])
        if path == "oToMessages/batchSend":
            held = [user for user in body["userIds"] if user in self.flow_controlled]
            for user in held:
                self.flow_controlled.remove(user)
            for user in body["userIds"]:
                if user not in held:
                    self.sent.append(Sent(path, user, body["msgKey"], param))
            await self._notify()
            return web.json_response({"processQueryKey": f"pq{next(self._ids)}", "invalidStaffIdList": [], "flowControlledStaffIdList": held})
        elif path == "groupMessages/send":
            self.sent.append(Sent(path, body["openConversationId"], body["msgKey"], param))
        else:
            return web.json_response({"code": "NotFound", "message": path}, status=404)
        await self._notify()
        return web.json_response({"processQueryKey": f"pq{next(self._ids)}", "invalidStaffIdList": [], "flowControlledStaffIdList": []})
