"""A fake WeCom server API on 127.0.0.1 (port 0), and WeCom's side of an app's callback URL.

FakeWeComAPI answers like qyapi.weixin.qq.com/cgi-bin: gettoken (tokens that can be expired),
message/send (recorded; errcodes and HTTP 429 can be queued), user/get, media/upload. WeComTenant
is WeCom delivering what members do to the adapter's callback URL: XML encrypted and signed with
the app's Token and EncodingAESKey (bot.wecom.crypto, itself pinned to wechatpy's vectors), with the
injected clock's time, and pressing the buttons of the cards the bot sent.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from bot.wecom import xmltext
from bot.wecom.crypto import WeComCrypto

CORP_ID = "ww1234567890abcdef"
SECRET = "test-app-secret"
AGENT_ID = 1000002
TOKEN = "crmbotToken"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"


@dataclass
class Call:
    path: str
    params: dict
    body: dict | None


@dataclass
class FakeWeComAPI:
    corp_id: str = CORP_ID
    secret: str = SECRET
    users: dict[str, str] = field(default_factory=dict)  # UserID → name
    gone: set[str] = field(default_factory=set)  # UserIDs message/send reports as invaliduser
    calls: list[Call] = field(default_factory=list)
    errors: dict[str, list[int]] = field(default_factory=dict)  # path → queued errcodes
    http_429: dict[str, int] = field(default_factory=dict)  # path → how many HTTP 429 answers to give
    base: str = ""

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self.valid_tokens: set[str] = set()
        self._runner: web.AppRunner | None = None

    # --- setup and inspection --------------------------------------------------------------------
    def fail_next(self, path: str, errcode: int) -> None:
        self.errors.setdefault(path, []).append(errcode)

    def expire_tokens(self) -> None:
        self.valid_tokens.clear()

    def of(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    def sent(self, user: str | None = None) -> list[dict]:
        """message/send bodies that WeCom accepted, to `user` (all when None)."""
        return [c.body for c in self.calls if c.path == "message/send" and c.body and c.body.get("_accepted") and (user is None or c.body["touser"] == user)]

    def texts(self, user: str | None = None) -> list[str]:
        """What the member reads: a text's content, a card's title and subtitle."""
        out = []
        for body in self.sent(user):
            if body["msgtype"] == "text":
                out.append(body["text"]["content"])
            elif body["msgtype"] == "template_card":
                card = body["template_card"]
                out.append("\n".join(filter(None, [card["main_title"]["title"], card.get("sub_title_text")])))
        return out

    def cards(self, user: str | None = None) -> list[dict]:
        return [b["template_card"] for b in self.sent(user) if b["msgtype"] == "template_card"]

    # --- server ------------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/cgi-bin/{path:.+}", self._api)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _api(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        params = dict(request.query)
        body: dict | None = None
        if request.content_type == "application/json":
            body = await request.json()
        elif request.method == "POST":
            form = await request.post()
            body = {"files": [f.filename for f in form.values() if hasattr(f, "filename")]}
        self.calls.append(Call(path, params, body))
        if path == "gettoken":
            if params.get("corpid") != self.corp_id or params.get("corpsecret") != self.secret:
                return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
            token = f"tok{next(self._ids)}"
            self.valid_tokens.add(token)
            return web.json_response({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})
        if self.http_429.get(path):
            self.http_429[path] -= 1
            return web.Response(status=429, text="Too Many Requests")
        if params.get("access_token") not in self.valid_tokens:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        if self.errors.get(path):
            return web.json_response({"errcode": self.errors[path].pop(0), "errmsg": "queued error"})
        handler = getattr(self, "_" + path.replace("/", "_"), None)
        return web.json_response(handler(params, body) if handler else {"errcode": 0, "errmsg": "ok"})

    def _message_send(self, params: dict, body: dict | None) -> dict:
        assert body is not None
        if body.get("touser") in self.gone:
            return {"errcode": 0, "errmsg": "ok", "invaliduser": body["touser"]}
        body["_accepted"] = True
        return {"errcode": 0, "errmsg": "ok", "msgid": f"msg{next(self._ids)}", "response_code": f"rc{next(self._ids)}"}

    def _user_get(self, params: dict, body: dict | None) -> dict:
        name = self.users.get(params.get("userid", ""))
        if name is None:
            return {"errcode": 60111, "errmsg": "userid not found"}
        return {"errcode": 0, "errmsg": "ok", "userid": params["userid"], "name": name}

    def _media_upload(self, params: dict, body: dict | None) -> dict:
        return {"errcode": 0, "errmsg": "ok", "type": params.get("type"), "media_id": f"media{next(self._ids)}"}


class WeComTenant:
    """WeCom posting members' messages and card presses to the adapter's callback URL."""

    def __init__(self, endpoint: str, clock, agent_id: int = AGENT_ID) -> None:
        self.endpoint = endpoint
        self.clock = clock
        self.agent_id = agent_id
        self.crypto = WeComCrypto(TOKEN, AES_KEY, CORP_ID)
        self._ids = itertools.count(7_000_000_000_000_000_001)

    def query(self, encrypted: str, *, timestamp: int | None = None, crypto: WeComCrypto | None = None) -> dict:
        ts = str(timestamp if timestamp is not None else int(self.clock().timestamp()))
        nonce = str(next(self._ids))[-9:]
        from bot.wecom.crypto import signature

        signer = crypto or self.crypto
        return {"msg_signature": signature(signer.token, ts, nonce, encrypted), "timestamp": ts, "nonce": nonce}

    async def deliver(self, fields: dict, *, timestamp: int | None = None, crypto: WeComCrypto | None = None, query: dict | None = None) -> tuple[int, str]:
        """POST one callback, as WeCom does: the message encrypted into an envelope, the signature in the URL."""
        encrypted = (crypto or self.crypto).encrypt(xmltext.message(fields))
        params = query if query is not None else self.query(encrypted, timestamp=timestamp, crypto=crypto)
        body = f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt><AgentID><![CDATA[{self.agent_id}]]></AgentID></xml>"
        async with aiohttp.ClientSession() as session:
            async with session.post(self.endpoint, params=params, data=body.encode(), headers={"Content-Type": "text/xml"}) as response:
                return response.status, await response.text()

    async def verify_url(self, echo: str = "1616140317555161061", **options) -> tuple[int, str]:
        encrypted = self.crypto.encrypt(echo)
        params = self.query(encrypted, **options) | {"echostr": encrypted}
        async with aiohttp.ClientSession() as session:
            async with session.get(self.endpoint, params=params) as response:
                return response.status, await response.text()

    def text_fields(self, user: str, content: str, msg_id: str | None = None) -> dict:
        return {
            "ToUserName": CORP_ID,
            "FromUserName": user,
            "CreateTime": int(self.clock().timestamp()),
            "MsgType": "text",
            "Content": content,
            "MsgId": msg_id or str(next(self._ids)),
            "AgentID": self.agent_id,
        }

    async def text(self, user: str, content: str, msg_id: str | None = None) -> tuple[int, str]:
        return await self.deliver(self.text_fields(user, content, msg_id))

    def press_fields(self, user: str, card: dict, label: str) -> dict:
        for button in card["button_list"]:
            if label in button["text"]:
                return {
                    "ToUserName": CORP_ID,
                    "FromUserName": user,
                    "CreateTime": int(self.clock().timestamp()),
                    "MsgType": "event",
                    "Event": "template_card_event",
                    "EventKey": button["key"],
                    "TaskId": card["task_id"],
                    "CardType": card["card_type"],
                    "ResponseCode": f"rc{next(self._ids)}",
                    "AgentID": self.agent_id,
                }
        raise AssertionError(f"no button {label!r} in {[b['text'] for b in card['button_list']]}")

    async def press(self, user: str, card: dict, label: str) -> tuple[int, str]:
        return await self.deliver(self.press_fields(user, card, label))


# --- the world: the app wired as in production, the adapter serving its callback URL ------------------


@dataclass
class WeComEnv:
    app: object  # bot.wiring.App
    adapter: object  # bot.wecom.adapter.WeComAdapter
    api: FakeWeComAPI
    wecom: WeComTenant
    restarted: WeComEnv | None = None

    async def settle(self, patience: float = 2.0) -> None:
        """Everything acknowledged is handled and everything due is delivered, moving the injected
        clock up to `patience` seconds for replies a limit holds back."""
        import datetime as dt

        from sqlmodel import select

        from storage.models import Outbox

        await self.adapter.settle()
        clock = self.wecom.clock
        limit = clock() + dt.timedelta(seconds=patience)
        while True:
            await self.app.deliverer.drain()
            async with self.app.db.read() as session:
                pending = (await session.exec(select(Outbox.due_at).where(Outbox.platform == "wecom", Outbox.status == "pending").order_by(Outbox.due_at))).first()
            if pending is None or pending > limit or pending <= clock():
                return
            clock.set(pending)


def wecom_settings(api: FakeWeComAPI, **extra) -> dict:
    return {
        "wecom_corp_id": CORP_ID,
        "wecom_agent_id": AGENT_ID,
        "wecom_secret": SECRET,
        "wecom_token": TOKEN,
        "wecom_aes_key": AES_KEY,
        "wecom_api_url": api.base,
        "wecom_http_port": 0,
    } | extra


async def start_wecom_env(db_url: str, tmp_path, clock, api: FakeWeComAPI | None = None, **settings) -> WeComEnv:
    from bot.wiring import build_app
    from tests.conftest import make_settings

    if api is None:
        api = FakeWeComAPI()
        await api.start()
    app = build_app(make_settings(db_url, tmp_path, **wecom_settings(api, **settings)), clock=clock, migrate=False, with_adapters=True)
    [adapter] = [a for a in app.adapters if a.platform == "wecom"]
    adapter.host = "127.0.0.1"
    await adapter.start()
    return WeComEnv(app=app, adapter=adapter, api=api, wecom=WeComTenant(f"http://127.0.0.1:{adapter.port}/wecom/callback", clock))


async def restart_wecom_env(env: WeComEnv) -> WeComEnv:
    """A new process on the same database and the same WeCom (its records kept)."""
    await env.adapter.stop()
    await env.app.close()
    env.restarted = await start_wecom_env(env.app.settings.db_url, env.app.settings.data_dir.parent, env.wecom.clock, env.api)
    return env.restarted


async def stop_wecom_env(env: WeComEnv) -> None:
    api = env.api
    current: WeComEnv | None = env
    while current is not None:
        await current.adapter.stop()
        await current.app.close()
        current = current.restarted
    await api.stop()


@pytest.fixture
async def wecom_env(sqlite_url, tmp_path, clock):
    env = await start_wecom_env(sqlite_url, tmp_path, clock)
    yield env
    await stop_wecom_env(env)


@pytest.fixture
async def wecom_env_any_db(db_url, tmp_path, clock):
    env = await start_wecom_env(db_url, tmp_path, clock)
    yield env
    await stop_wecom_env(env)
