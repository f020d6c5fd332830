"""A fake Feishu/Lark open platform on 127.0.0.1 (port 0): the Open API the SDK calls (tenant token,
bot info, contacts, im.v1 messages, images and files), and the long-connection endpoint with its
WebSocket speaking the SDK's protobuf frames. Records every call, answers like Feishu, rate-limits
on request, and keeps one message per uuid as Feishu does.

`FeishuTenant` is the users' side: events as Feishu builds them, encrypted with the encrypt key and
signed, POSTed to the adapter's callback URL (HTTP mode) or pushed down the WebSocket (long
connection), waiting for the adapter's answer.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import os
import uuid as uuidlib
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

APP_ID = "cli_test"
APP_SECRET = "test-app-secret"
ENCRYPT_KEY = "test-encrypt-key"
VERIFICATION_TOKEN = "test-verification-token"
BOT_OPEN_ID = "ou_bot"
TENANT_KEY = "tenant1"


@dataclass
class Call:
    method: str  # "POST /open-apis/im/v1/messages"
    args: dict
    token: str | None = None


@dataclass
class FakeFeishuAPI:
    users: dict[str, str] = field(default_factory=dict)  # open_id → name (contact.v3)
    calls: list[Call] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)  # im.v1.message.create, as Feishu kept them
    rate_limits: list[int] = field(default_factory=list)  # queued x-ogw-ratelimit-reset seconds for message.create
    errors: list[tuple[int, int]] = field(default_factory=list)  # queued (HTTP status, code) for message.create
    uploads: dict[str, bytes] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # file_key → a file someone sent the bot (im/v1/messages/:id/resources/:key)
    base: str = ""

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._by_uuid: dict[str, dict] = {}
        self._runner: web.AppRunner | None = None
        self.sockets: list[web.WebSocketResponse] = []
        self.live: list[web.WebSocketResponse] = []  # connections the client has spoken on (its first ping): handshake done on both ends
        self.frame_answers: dict[str, dict] = {}  # frame message_id → the client's answer (decoded)
        self._change = asyncio.Condition()

    # --- setup and what happened -------------------------------------------------------------------
    def add_user(self, open_id: str, name: str) -> None:
        self.users[open_id] = name

    def rate_limit_next(self, reset_seconds: int) -> None:
        self.rate_limits.append(reset_seconds)

    def fail_next(self, status: int, code: int) -> None:
        self.errors.append((status, code))

    def to(self, receive_id: str) -> list[dict]:
        return [m for m in self.messages if m["receive_id"] == receive_id]

    def texts(self, receive_id: str) -> list[str]:
        """What each message to this chat shows: a text's text, a card's text block."""
        out = []
        for m in self.to(receive_id):
            if m["msg_type"] == "text":
                out.append(m["content"]["text"])
            elif m["msg_type"] == "interactive":
                out.append("\n".join(e["text"]["content"] for e in m["content"]["elements"] if e["tag"] == "div"))
        return out

    def buttons(self, message: dict) -> list[dict]:
        return [a for e in message["content"].get("elements", []) if e["tag"] == "action" for a in e["actions"]]

    # --- server --------------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/open-apis/auth/v3/tenant_access_token/internal", self._token)
        app.router.add_post("/callback/ws/endpoint", self._endpoint)
        app.router.add_get("/ws", self._socket)
        app.router.add_route("*", "/open-apis/{path:.*}", self._api)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws in list(self.sockets):
            try:  # bounded: a client that never answers the close must not hang the test's teardown
                await asyncio.wait_for(ws.close(), 5)
            except asyncio.TimeoutError:
                pass
        if self._runner is not None:
            await asyncio.wait_for(self._runner.cleanup(), 30)

    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call("POST /auth/v3/tenant_access_token/internal", {"app_id": body.get("app_id")}))
        if body.get("app_id") != APP_ID or body.get("app_secret") != APP_SECRET:
            return web.json_response({"code": 10014, "msg": "app secret invalid"})
        return web.json_response({"code": 0, "msg": "ok", "tenant_access_token": "t-fake", "expire": 7200})

    async def _api(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if request.content_type == "application/json":
            args = dict(request.query) | await request.json()
        elif request.content_type.startswith("multipart/"):
            args = dict(request.query)
            async for part in await request.multipart():
                data = await part.read()  # type: ignore[union-attr]
                args[part.name] = data if part.name in ("image", "file") else data.decode()  # type: ignore[union-attr]
        else:
            args = dict(request.query)
        self.calls.append(Call(f"{request.method} /{path}", args, token))
        if not token.startswith("t-"):
            return web.json_response({"code": 99991663, "msg": "Invalid access token"}, status=400)
        if request.method == "GET" and path == "bot/v3/info":
            return web.json_response({"code": 0, "msg": "ok", "bot": {"open_id": BOT_OPEN_ID, "app_name": "crmbot", "activate_status": 2}})
        if request.method == "GET" and path.startswith("contact/v3/users/"):
            open_id = path.rsplit("/", 1)[1]
            if open_id not in self.users:
                return web.json_response({"code": 41050, "msg": "no user authority error"}, status=400)
            return web.json_response({"code": 0, "msg": "ok", "data": {"user": {"open_id": open_id, "name": self.users[open_id]}}})
        if request.method == "POST" and path == "im/v1/messages":
            return self._create_message(args)
        if request.method == "GET" and path.startswith("im/v1/messages/") and "/resources/" in path:
            file_key = path.rsplit("/", 1)[1]
            if file_key not in self.files or args.get("type") != "file":
                return web.json_response({"code": 234003, "msg": "File not in msg."}, status=400)
            return web.Response(body=self.files[file_key], content_type="application/octet-stream")
        if request.method == "POST" and path in ("im/v1/images", "im/v1/files"):
            key = f"{'img' if path.endswith('images') else 'file'}_{next(self._ids)}"
            self.uploads[key] = args.get("image") or args.get("file") or b""
            return web.json_response({"code": 0, "msg": "ok", "data": {"image_key" if key.startswith("img") else "file_key": key}})
        return web.json_response({"code": 404, "msg": f"fake: no {request.method} /{path}"}, status=404)

    def _create_message(self, args: dict) -> web.Response:
        if self.rate_limits:
            reset = self.rate_limits.pop(0)
            headers = {"x-ogw-ratelimit-limit": "5", "x-ogw-ratelimit-reset": str(reset)}
            return web.json_response({"code": 99991400, "msg": "request trigger frequency limit"}, status=429, headers=headers)
        if self.errors:
            status, code = self.errors.pop(0)
            return web.json_response({"code": code, "msg": "fake failure"}, status=status)
        uuid = args.get("uuid")
        if uuid and uuid in self._by_uuid:  # Feishu: one message per uuid within an hour
            return web.json_response({"code": 0, "msg": "ok", "data": {"message_id": self._by_uuid[uuid]["message_id"]}})
        message = {
            "message_id": f"om_{next(self._ids)}",
            "receive_id_type": args.get("receive_id_type"),
            "receive_id": args.get("receive_id"),
            "msg_type": args.get("msg_type"),
            "content": json.loads(args.get("content") or "{}"),
            "uuid": uuid,
        }
        self.messages.append(message)
        if uuid:
            self._by_uuid[uuid] = message
        return web.json_response({"code": 0, "msg": "ok", "data": {"message_id": message["message_id"], "chat_id": args.get("receive_id")}})

    # --- long connection ---------------------------------------------------------------------------------
    async def _endpoint(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call("POST /callback/ws/endpoint", {"AppID": body.get("AppID")}))
        if body.get("AppID") != APP_ID or body.get("AppSecret") != APP_SECRET:
            return web.json_response({"code": 1000040351, "msg": "invalid app credentials"})
        url = self.base.replace("http://", "ws://") + "/ws?device_id=dev1&service_id=7"
        config = {"ReconnectCount": -1, "ReconnectInterval": 1, "ReconnectNonce": 0, "PingInterval": 120}
        return web.json_response({"code": 0, "msg": "ok", "data": {"URL": url, "ClientConfig": config}})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        from lark_oapi.ws.pb.pbbp2_pb2 import Frame

        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async with self._change:
            self.sockets.append(ws)
            self._change.notify_all()
        async for message in ws:
            if message.type != WSMsgType.BINARY:
                continue
            if ws not in self.live:
                async with self._change:
                    self.live.append(ws)
                    self._change.notify_all()
            frame = Frame()
            frame.ParseFromString(message.data)
            headers = {h.key: h.value for h in frame.headers}
            if frame.method == 1 and "message_id" in headers:  # a data frame back: the answer to an event
                async with self._change:
                    self.frame_answers[headers["message_id"]] = json.loads(frame.payload)
                    self._change.notify_all()
        async with self._change:
            self.sockets.remove(ws)
            if ws in self.live:
                self.live.remove(ws)
            self._change.notify_all()
        return ws

    async def push_event(self, event: dict) -> dict:
        """Send an event down the long connection as Feishu does; the client's answer."""
        from lark_oapi.ws.pb.pbbp2_pb2 import Frame

        async with self._change:
            await self._change.wait_for(lambda: any(not ws.closed for ws in self.live))
        socket = [ws for ws in self.live if not ws.closed][-1]  # a reconnect replaces a dead connection
        frame_id = uuidlib.uuid4().hex
        frame = Frame(SeqID=next(self._ids), LogID=0, service=7, method=1, payload=json.dumps(event, ensure_ascii=False).encode())
        for key, value in (("type", "event"), ("message_id", frame_id), ("trace_id", "trace"), ("sum", "1"), ("seq", "0")):
            header = frame.headers.add()
            header.key, header.value = key, value
        await socket.send_bytes(frame.SerializeToString())
        async with self._change:
            await self._change.wait_for(lambda: frame_id in self.frame_answers)
        return self.frame_answers[frame_id]


# --- Feishu's side of the events -----------------------------------------------------------------------

def encrypt(plaintext: str, key: str = ENCRYPT_KEY) -> str:
    """AES-256-CBC with sha256(key), a random IV in front, PKCS#7, base64: Feishu's event encryption."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(hashlib.sha256(key.encode()).digest()), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(data) + encryptor.finalize()).decode()


def sign(timestamp: str, nonce: str, body: bytes, key: str = ENCRYPT_KEY) -> str:
    return hashlib.sha256((timestamp + nonce + key).encode() + body).hexdigest()


class FeishuTenant:
    """What users do, as Feishu delivers it: to the adapter's callback URL (endpoint set) or down
    the long connection (endpoint None)."""

    def __init__(self, api: FakeFeishuAPI, clock, endpoint: str | None) -> None:
        self.api = api
        self.clock = clock
        self.endpoint = endpoint
        self._ids = itertools.count(1)

    def _ms(self) -> str:
        return str(int(self.clock().timestamp() * 1000))

    def envelope(self, event_type: str, event: dict, event_id: str | None = None, token: str = VERIFICATION_TOKEN) -> dict:
        header = {"event_id": event_id or f"ev_{uuidlib.uuid4().hex[:12]}", "event_type": event_type, "create_time": self._ms(), "token": token, "app_id": APP_ID, "tenant_key": TENANT_KEY}
        return {"schema": "2.0", "header": header, "event": event}

    def message_event(self, user: str, text: str, *, chat_type: str = "p2p", chat_id: str | None = None, mentions: list[dict] | None = None, message_type: str = "text", content: dict | None = None, message_id: str | None = None) -> dict:
        message = {
            "message_id": message_id or f"om_in_{next(self._ids)}",
            "create_time": self._ms(),
            "chat_id": chat_id or f"oc_p2p_{user}",
            "chat_type": chat_type,
            "message_type": message_type,
            "content": json.dumps(content if content is not None else {"text": text}, ensure_ascii=False),
            "mentions": mentions or [],
        }
        sender = {"sender_id": {"open_id": user, "union_id": "on_" + user, "user_id": user.removeprefix("ou_")}, "sender_type": "user", "tenant_key": TENANT_KEY}
        return self.envelope("im.message.receive_v1", {"sender": sender, "message": message})

    def action_event(self, user: str, message: dict, button: dict) -> dict:
        event = {
            "operator": {"open_id": user, "union_id": "on_" + user, "user_id": user.removeprefix("ou_"), "tenant_key": TENANT_KEY},
            "token": "c-update-token",
            "action": {"value": button["value"], "tag": "button"},
            "host": "im_message",
            "context": {"open_message_id": message["message_id"], "open_chat_id": "oc_of_" + message["receive_id"]},
        }
        return self.envelope("card.action.trigger", event)

    # --- delivery ----------------------------------------------------------------------------------------
    async def deliver(self, envelope: dict, *, headers: dict | None = None, body: bytes | None = None) -> tuple[int, dict]:
        """HTTP mode: (status, JSON answer); long connection: (the frame's code, its decoded data)."""
        if self.endpoint is None:
            answer = await self.api.push_event(envelope)
            data = json.loads(base64.b64decode(answer["data"])) if answer.get("data") else {}
            return answer["code"], data
        import aiohttp

        body = body if body is not None else json.dumps({"encrypt": encrypt(json.dumps(envelope, ensure_ascii=False))}).encode()
        timestamp, nonce = str(int(self.clock().timestamp())), uuidlib.uuid4().hex
        sent = {"Content-Type": "application/json", "X-Lark-Request-Timestamp": timestamp, "X-Lark-Request-Nonce": nonce, "X-Lark-Signature": sign(timestamp, nonce, body)}
        sent = {k: v for k, v in (sent | (headers or {})).items() if v is not None}
        async with aiohttp.ClientSession() as session:
            async with session.post(self.endpoint, data=body, headers=sent) as response:
                try:
                    return response.status, await response.json(content_type=None)
                except ValueError:
                    return response.status, {}

    async def dm(self, user: str, text: str, **extra) -> tuple[int, dict]:
        return await self.deliver(self.message_event(user, text, **extra))

    async def mention(self, user: str, chat_id: str, text: str) -> tuple[int, dict]:
        mention = {"key": "@_user_1", "id": {"open_id": BOT_OPEN_ID, "union_id": "on_bot", "user_id": ""}, "name": "crmbot", "tenant_key": TENANT_KEY}
        return await self.deliver(self.message_event(user, f"@_user_1 {text}", chat_type="group", chat_id=chat_id, mentions=[mention]))

    async def press(self, user: str, message: dict, label: str) -> tuple[int, dict]:
        for button in self.api.buttons(message):
            if label in button["text"]["content"]:
                return await self.deliver(self.action_event(user, message, button))
        raise AssertionError(f"no button {label!r} in {[b['text']['content'] for b in self.api.buttons(message)]}")


# --- fixtures (import them into a test module) -----------------------------------------------------------

import pytest  # noqa: E402


@dataclass
class FeishuEnv:
    app: object  # bot.wiring.App with the Feishu adapter wired as in production
    adapter: object  # bot.feishu.adapter.FeishuAdapter
    api: FakeFeishuAPI
    tenant: FeishuTenant

    async def settle(self, patience: float = 2.0) -> None:
        """Everything accepted is handled and everything due is delivered; replies held back by the
        per-chat limit are waited for by moving the injected clock up to `patience` seconds."""
        import datetime as dt

        from sqlmodel import select

        from storage.models import Outbox

        await self.adapter.settle()
        clock = self.tenant.clock
        limit = clock() + dt.timedelta(seconds=patience)
        while True:
            await self.app.deliverer.drain()
            async with self.app.db.read() as session:
                pending = (await session.exec(select(Outbox.due_at).where(Outbox.platform == "feishu", Outbox.status == "pending").order_by(Outbox.due_at))).first()
            if pending is None or pending > limit or pending <= clock():
                return
            clock.set(pending)


def feishu_settings(api: FakeFeishuAPI, *, http: bool = True) -> dict:
    settings = {"feishu_app_id": APP_ID, "feishu_app_secret": APP_SECRET, "feishu_api_url": api.base}
    if http:
        settings |= {"feishu_encrypt_key": ENCRYPT_KEY, "feishu_verification_token": VERIFICATION_TOKEN, "feishu_http_port": 0}
    return settings


async def start_feishu_env(db_url: str, tmp_path, clock, *, http: bool = True, api: FakeFeishuAPI | None = None) -> FeishuEnv:
    from bot.wiring import build_app
    from tests.conftest import make_settings

    if api is None:
        api = FakeFeishuAPI()
        await api.start()
    app = build_app(make_settings(db_url, tmp_path, **feishu_settings(api, http=http)), clock=clock, migrate=False, with_adapters=True)
    [adapter] = [a for a in app.adapters if a.platform == "feishu"]
    adapter.host = "127.0.0.1"
    await adapter.start()
    endpoint = f"http://127.0.0.1:{adapter.port}/feishu/events" if http else None
    return FeishuEnv(app=app, adapter=adapter, api=api, tenant=FeishuTenant(api, clock, endpoint))


async def stop_feishu_env(env: FeishuEnv, *, keep_api: bool = False) -> None:
    await env.adapter.stop()
    await env.app.close()
    if not keep_api:
        await env.api.stop()


@pytest.fixture
async def feishu_env(sqlite_url, tmp_path, clock):
    env = await start_feishu_env(sqlite_url, tmp_path, clock)
    yield env
    await stop_feishu_env(env)


@pytest.fixture
async def feishu_env_any_db(db_url, tmp_path, clock):
    env = await start_feishu_env(db_url, tmp_path, clock)
    yield env
    await stop_feishu_env(env)


@pytest.fixture
async def feishu_ws_env(sqlite_url, tmp_path, clock):
    """The adapter on the long connection (the SDK's WebSocket client) to the fake."""
    env = await start_feishu_env(sqlite_url, tmp_path, clock, http=False)
    yield env
    await stop_feishu_env(env)
