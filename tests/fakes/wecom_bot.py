"""WeCom's 智能机器人 (AI bot, API mode) faked on 127.0.0.1 (port 0): the response_url endpoint
(/cgi-bin/aibot/response?response_code=…, each code good for one call, recorded by the chat it was
issued for; errcodes and HTTP 429 can be queued) beside the app API of FakeWeComAPI, and WeCom's side
of the bot's callback URL: JSON encrypted and signed with the bot's Token and EncodingAESKey (the
WXBizMsgCrypt scheme, empty receiveid), at the injected clock's time, carrying a fresh response_url.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from bot.wecom.crypto import WeComCrypto, signature

from .wecom_api import Call, FakeWeComAPI, WeComEnv, WeComTenant, wecom_settings

BOT_ID = "aib_crmbot_test"
BOT_NAME = "CRM助手"
BOT_TOKEN = "crmbotBotToken"
BOT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
USED_CODE = 600001  # the fake's answer to an unknown or used response_code (WeCom's own code is not documented)


@dataclass
class Response:
    code: str
    chat: str  # the chat whose callback carried the response_url (a group's chatid, or the userid)
    body: dict


@dataclass
class FakeWeComBotAPI(FakeWeComAPI):
    responses: list[Response] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._codes = itertools.count(1)
        self.open_codes: dict[str, str] = {}  # response_code → chat, until used

    def response_url(self, chat: str) -> str:
        code = f"rc{next(self._codes)}"
        self.open_codes[code] = chat
        return f"{self.base}/cgi-bin/aibot/response?response_code={code}"

    def to(self, chat: str) -> list[dict]:
        return [r.body for r in self.responses if r.chat == chat]

    def cards_to(self, chat: str) -> list[dict]:
        return [b["template_card"] for b in self.to(chat) if b["msgtype"] == "template_card"]

    def shown(self, chat: str) -> list[str]:
        """What the chat reads: markdown, or a card's title and subtitle."""
        out = []
        for body in self.to(chat):
            if body["msgtype"] == "markdown":
                out.append(body["markdown"]["content"])
            else:
                card = body["template_card"]
                out.append("\n".join(filter(None, [card["main_title"]["title"], card.get("sub_title_text")])))
        return out

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["path"] != "aibot/response":
            return await super()._api(request)
        path, params = "aibot/response", dict(request.query)
        body = await request.json()
        self.calls.append(Call(path, params, body))
        if self.http_429.get(path):
            self.http_429[path] -= 1
            return web.Response(status=429, text="Too Many Requests")
        if self.errors.get(path):
            return web.json_response({"errcode": self.errors[path].pop(0), "errmsg": "queued error"})
        chat = self.open_codes.pop(params.get("response_code", ""), None)
        if chat is None:
            return web.json_response({"errcode": USED_CODE, "errmsg": "response_code used or unknown"})
        self.responses.append(Response(params["response_code"], chat, body))
        return web.json_response({"errcode": 0, "errmsg": "ok"})


class WeComBotTenant:
    """WeCom posting @mentions, one-to-one messages and card presses to the bot's callback URL."""

    def __init__(self, endpoint: str, clock, api: FakeWeComBotAPI) -> None:
        self.endpoint = endpoint
        self.clock = clock
        self.api = api
        self.crypto = WeComCrypto(BOT_TOKEN, BOT_AES_KEY, "")
        self._ids = itertools.count(1)

    def _common(self, user: str, chat: str | None) -> dict:
        return {
            "msgid": f"CAIQ{next(self._ids):08d}AgAM=",
            "create_time": int(self.clock().timestamp()),
            "aibotid": BOT_ID,
            **({"chatid": chat, "chattype": "group"} if chat else {"chattype": "single"}),
            "from": {"userid": user},
            "response_url": self.api.response_url(chat or user),
        }

    def text_body(self, user: str, content: str, chat: str | None = None) -> dict:
        return self._common(user, chat) | {"msgtype": "text", "text": {"content": content}}

    def mixed_body(self, user: str, parts: list[str], chat: str | None = None) -> dict:
        items = [{"msgtype": "text", "text": {"content": p}} if not p.startswith("http") else {"msgtype": "image", "image": {"url": p}} for p in parts]
        return self._common(user, chat) | {"msgtype": "mixed", "mixed": {"msg_item": items}}

    def press_body(self, user: str, card: dict, label: str, chat: str | None = None) -> dict:
        for button in card["button_list"]:
            if label in button["text"]:
                event = {"card_type": card["card_type"], "event_key": button["key"], "task_id": card["task_id"]}
                return self._common(user, chat) | {"msgtype": "event", "event": {"eventtype": "template_card_event", "template_card_event": event}}
        raise AssertionError(f"no button {label!r} in {[b['text'] for b in card['button_list']]}")

    def query(self, encrypted: str, *, timestamp: int | None = None, crypto: WeComCrypto | None = None) -> dict:
        ts = str(timestamp if timestamp is not None else int(self.clock().timestamp()))
        nonce = f"{next(self._ids):09d}"
        return {"msg_signature": signature((crypto or self.crypto).token, ts, nonce, encrypted), "timestamp": ts, "nonce": nonce}

    async def deliver(self, body: dict, *, timestamp: int | None = None, crypto: WeComCrypto | None = None, query: dict | None = None) -> tuple[int, str]:
        encrypted = (crypto or self.crypto).encrypt(json.dumps(body, ensure_ascii=False))
        params = query if query is not None else self.query(encrypted, timestamp=timestamp, crypto=crypto)
        async with aiohttp.ClientSession() as session:
            async with session.post(self.endpoint, params=params, json={"encrypt": encrypted}) as response:
                return response.status, await response.text()

    async def verify_url(self, echo: str = "5927782489442352469", **options) -> tuple[int, str]:
        encrypted = self.crypto.encrypt(echo)
        params = self.query(encrypted, **options) | {"echostr": encrypted}
        async with aiohttp.ClientSession() as session:
            async with session.get(self.endpoint, params=params) as response:
                return response.status, await response.text()

    async def mention(self, user: str, chat: str, content: str) -> tuple[int, str]:
        return await self.deliver(self.text_body(user, content, chat))

    async def press(self, user: str, card: dict, label: str, chat: str | None = None) -> tuple[int, str]:
        return await self.deliver(self.press_body(user, card, label, chat))


@dataclass
class WeComBotEnv(WeComEnv):
    bot_adapter: object = None  # bot.wecom.bot_adapter.WeComBotAdapter
    bot: WeComBotTenant | None = None

    async def settle(self, patience: float = 2.0) -> None:
        await self.bot_adapter.settle()
        await super().settle(patience)


def bot_settings(**extra) -> dict:
    return {"wecom_bot_token": BOT_TOKEN, "wecom_bot_aes_key": BOT_AES_KEY, "wecom_bot_id": BOT_ID, "wecom_bot_name": BOT_NAME, "wecom_bot_http_port": 0} | extra


async def start_bot_env(db_url: str, tmp_path, clock, *, with_app: bool = True, api: FakeWeComBotAPI | None = None, **settings) -> WeComBotEnv:
    from bot.wecom.adapter import WeComAdapter
    from bot.wecom.bot_adapter import WeComBotAdapter
    from bot.wiring import build_app
    from tests.conftest import make_settings

    if api is None:
        api = FakeWeComBotAPI()
        await api.start()
    base = wecom_settings(api) if with_app else {"wecom_api_url": api.base}
    app = build_app(make_settings(db_url, tmp_path, **(base | bot_settings(**settings))), clock=clock, migrate=False, with_adapters=True)
    [bot_adapter] = [a for a in app.adapters if isinstance(a, WeComBotAdapter)]
    apps = [a for a in app.adapters if isinstance(a, WeComAdapter)]
    for adapter in apps + [bot_adapter]:
        adapter.host = "127.0.0.1"
        await adapter.start()
    app_adapter = apps[0] if apps else bot_adapter  # WeComEnv.settle settles .adapter
    tenant = WeComTenant(f"http://127.0.0.1:{apps[0].port}/wecom/callback", clock) if apps else None
    return WeComBotEnv(
        app=app, adapter=app_adapter, api=api, wecom=tenant or _ClockOnly(clock), bot_adapter=bot_adapter, bot=WeComBotTenant(f"http://127.0.0.1:{bot_adapter.port}/wecom/bot", clock, api)
    )


class _ClockOnly:
    def __init__(self, clock) -> None:
        self.clock = clock


async def restart_bot_env(env: WeComBotEnv) -> WeComBotEnv:
    """A new process on the same database and the same WeCom."""
    with_app = env.adapter is not env.bot_adapter
    for adapter in (env.bot_adapter, env.adapter) if with_app else (env.bot_adapter,):
        await adapter.stop()
    await env.app.close()
    env.restarted = await start_bot_env(env.app.settings.db_url, env.app.settings.data_dir.parent, env.bot.clock, with_app=with_app, api=env.api)
    return env.restarted


async def stop_bot_env(env: WeComBotEnv) -> None:
    current = env
    while current is not None:
        await current.bot_adapter.stop()
        nxt = current.restarted
        current.restarted = None
        if current.adapter is current.bot_adapter:
            await current.app.close()
        else:
            await stop_wecom_env_one(current)
        current = nxt
    await env.api.stop()


async def stop_wecom_env_one(env: WeComEnv) -> None:
    await env.adapter.stop()
    await env.app.close()


@pytest.fixture
async def wecom_bot_env(sqlite_url, tmp_path, clock):
    env = await start_bot_env(sqlite_url, tmp_path, clock)
    yield env
    await stop_bot_env(env)


@pytest.fixture
async def wecom_bot_env_any_db(db_url, tmp_path, clock):
    env = await start_bot_env(db_url, tmp_path, clock)
    yield env
    await stop_bot_env(env)


@pytest.fixture
async def wecom_bot_only_env(sqlite_url, tmp_path, clock):
    """The AI bot configured alone (no self-built app)."""
    env = await start_bot_env(sqlite_url, tmp_path, clock, with_app=False)
    yield env
    await stop_bot_env(env)
