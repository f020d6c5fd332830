"""bot/feishu/api.py: messages go over one kept-alive connection with one cached tenant token; a token
Feishu calls invalid is dropped and fetched again; a refused token or an error page is a retry, not a loss."""
from __future__ import annotations

import pytest
from aiohttp import web

from bot.feishu.api import OpenAPI
from bot.feishu.sender import FeishuSender
from chat.messages import Outgoing
from reminders.delivery import RetryLater
from storage.models import Outbox


class Platform:
    """A stand-in for the Open API that notes each request's client port (one port: one connection)."""

    def __init__(self) -> None:
        self.tokens_given = 0
        self.ports: list[int] = []
        self.answers: list[tuple[int, dict]] = []  # queued answers for the next message calls
        self.error_page = False

    async def token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("app_secret") != "secret":
            return web.json_response({"code": 10014, "msg": "app secret invalid"})
        self.tokens_given += 1
        return web.json_response({"code": 0, "msg": "ok", "tenant_access_token": f"t-{self.tokens_given}", "expire": 7200})

    async def message(self, request: web.Request) -> web.Response:
        self.ports.append(request.transport.get_extra_info("peername")[1])  # type: ignore[union-attr]
        if self.error_page:
            return web.Response(status=502, text="<html>Bad Gateway</html>")
        if self.answers:
            status, body = self.answers.pop(0)
            return web.json_response(body, status=status)
        assert request.headers["Authorization"] == f"Bearer t-{self.tokens_given}"
        return web.json_response({"code": 0, "msg": "ok", "data": {"message_id": f"om_{len(self.ports)}"}})


@pytest.fixture
async def platform():
    fake = Platform()
    app = web.Application()
    app.router.add_post("/open-apis/auth/v3/tenant_access_token/internal", fake.token)
    app.router.add_post("/open-apis/im/v1/messages", fake.message)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[attr-defined,union-attr]
    yield fake
    await runner.cleanup()


def sender(platform: Platform, secret: str = "secret") -> FeishuSender:
    return FeishuSender(None, OpenAPI(platform.base, "cli_app", secret))  # type: ignore[arg-type]  (no uploads here: no SDK client)


def row(n: int) -> Outbox:
    return Outbox(key=f"reply:{n}", kind="reply", platform="feishu", chat_id="ou_boss", chat_kind="private", body={})


async def test_messages_share_one_connection_and_one_token(platform: Platform):
    feishu = sender(platform)
    for n in range(5):
        await feishu.send(row(n), Outgoing(f"第{n}条"))
    await feishu.api.close()
    assert platform.tokens_given == 1
    assert len(platform.ports) == 5 and len(set(platform.ports)) == 1


async def test_a_token_feishu_calls_invalid_is_dropped_and_the_retry_fetches_a_new_one(platform: Platform):
    feishu = sender(platform)
    await feishu.send(row(1), Outgoing("一"))
    platform.answers.append((400, {"code": 99991663, "msg": "Invalid access token"}))
    with pytest.raises(RetryLater, match="token"):
        await feishu.send(row(2), Outgoing("二"))
    await feishu.send(row(2), Outgoing("二"))
    await feishu.api.close()
    assert platform.tokens_given == 2


async def test_refused_credentials_and_error_pages_are_retried_later(platform: Platform):
    wrong = sender(platform, secret="wrong")
    with pytest.raises(RetryLater, match="10014"):
        await wrong.send(row(1), Outgoing("一"))
    await wrong.api.close()
    feishu = sender(platform)
    platform.error_page = True
    with pytest.raises(RetryLater, match="unreadable"):
        await feishu.send(row(2), Outgoing("二"))
    await feishu.api.close()
