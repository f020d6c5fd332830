"""A running DingTalk setup for tests: the fake DingTalk, the app wired as in production with the real
DingTalkAdapter (the dingtalk-stream SDK connected to the fake's gateway, or the HTTP outgoing-robot
endpoint on 127.0.0.1), and the outbox delivered through the robot OpenAPI.

Time only moves when the test moves it: `deliver()` jumps the clock to the next row that the rate
limits or a retry held back, instead of sleeping.
"""
from __future__ import annotations

import json

import aiohttp
import pytest
from sqlmodel import col, select

from bot.dingtalk.signature import sign
from bot.wiring import build_app
from storage.models import Outbox
from tests.conftest import make_settings

from .dingtalk_api import BOT_MESSAGES, CARD_CALLBACK, CLIENT_ID, CLIENT_SECRET, FakeDingTalk, Sent


class DingTalkWorld:
    def __init__(self, fake: FakeDingTalk, app, clock) -> None:
        self.fake = fake
        self.app = app
        self.clock = clock
        self.adapter = app.adapters[0]
        app.deliverer.sleep = self._pass_time  # a platform-wide wait moves the clock

    async def _pass_time(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)

    async def start(self) -> DingTalkWorld:
        await self.adapter.start()
        return self

    # --- people talking ---------------------------------------------------------------------
    async def say(self, staff_id: str, text: str, *, group: str | None = None, **kw) -> list[Sent]:
        self.clock.advance(seconds=5)  # people type at human speed
        kw.setdefault("created_ms", int(self.clock().timestamp() * 1000))
        return await self.exchange(self.fake.message(staff_id, text, group=group, **kw))

    async def press(self, staff_id: str, shown: Sent, label: str, *, group: str | None = None) -> list[Sent]:
        """Tap the button whose label contains `label`: DingTalk sends the link's text as the user's message."""
        matches = [text for name, text in shown.presses().items() if label in name]
        assert matches, f"no button {label!r} in {list(shown.presses())}"
        return await self.say(staff_id, matches[0], group=group)

    async def press_card(self, staff_id: str, card: Sent, label: str) -> list[Sent]:
        """Tap a button on a group card: DingTalk calls back over the stream with the card's id and the button's."""
        self.clock.advance(seconds=5)
        return await self.exchange(self.fake.card_press(staff_id, card, label), topic=CARD_CALLBACK, chat=card.to)

    async def exchange(self, data: dict, *, topic: str = BOT_MESSAGES, chat: str | None = None) -> list[Sent]:
        """Push the message (or callback) down the stream, wait for its ack and its handling, deliver
        the outbox, and return what the bot sent to that chat meanwhile."""
        if chat is None:
            chat = data["conversationId"] if data["conversationType"] == "2" else data["senderStaffId"]
        before = len(self.fake.to(chat))
        frame = await self.fake.push(data, topic=topic)
        ack = await self.fake.acked(frame)
        assert ack["code"] == 200, ack
        await self.adapter.settle()
        await self.deliver()
        return self.fake.to(chat)[before:]

    async def deliver(self) -> int:
        """Send everything in the outbox, moving the clock to each row held back."""
        total = 0
        for _ in range(1000):
            total += await self.app.deliverer.drain()
            async with self.app.db.read() as session:
                waiting = (await session.exec(select(Outbox).where(Outbox.status == "pending").order_by(col(Outbox.due_at)).limit(1))).first()
            if waiting is None:
                return total
            if waiting.due_at > self.clock():
                self.clock.set(waiting.due_at)
        raise AssertionError("the outbox never drained")

    # --- HTTP outgoing-robot mode -----------------------------------------------------------
    def signed_headers(self, *, secret: str = CLIENT_SECRET, at_ms: int | None = None) -> dict:
        timestamp = str(int(self.clock().timestamp() * 1000) if at_ms is None else at_ms)
        return {"timestamp": timestamp, "sign": sign(secret, timestamp), "Content-Type": "application/json"}

    async def post(self, data: dict, headers: dict | None = None) -> int:
        """POST a robot message to the adapter's endpoint as DingTalk does; returns the HTTP status."""
        url = f"http://127.0.0.1:{self.adapter.port}/dingtalk/robot"
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=json.dumps(data).encode(), headers=headers if headers is not None else self.signed_headers()) as response:
                await response.read()
                status = response.status
        await self.adapter.settle()
        await self.deliver()
        return status

    async def rows(self, model, *where):
        async with self.app.db.read() as session:
            stmt = select(model)
            for condition in where:
                stmt = stmt.where(condition)
            return list((await session.exec(stmt)).all())


def dingtalk_app(fake: FakeDingTalk, url: str, tmp_path, clock, **settings):
    settings = dict(dingtalk_client_id=CLIENT_ID, dingtalk_client_secret=CLIENT_SECRET, dingtalk_api_url=fake.base) | settings
    return build_app(make_settings(url, tmp_path, **settings), clock=clock, migrate=False, with_adapters=True)


@pytest.fixture
async def fake_dingtalk():
    fake = await FakeDingTalk().start()
    yield fake
    await fake.stop()


async def _world(fake, url, tmp_path, clock, **settings):
    app = dingtalk_app(fake, url, tmp_path, clock, **settings)
    world = DingTalkWorld(fake, app, clock)
    if settings.get("dingtalk_http_port") is not None:
        world.adapter.host = "127.0.0.1"
    try:
        yield world
    finally:
        await world.adapter.stop()
        await app.close()


@pytest.fixture
async def dingtalk_world(fake_dingtalk, sqlite_url, tmp_path, clock):
    """Stream mode, on SQLite (started by the test, after it seeded what it needs)."""
    async for world in _world(fake_dingtalk, sqlite_url, tmp_path, clock):
        yield world


@pytest.fixture
async def dingtalk_world_any_db(fake_dingtalk, db_url, tmp_path, clock):
    """Stream mode, on SQLite and on PostgreSQL too when CRMBOT_TEST_POSTGRES_URL is set."""
    async for world in _world(fake_dingtalk, db_url, tmp_path, clock):
        yield world


@pytest.fixture
async def dingtalk_http_world(fake_dingtalk, db_url, tmp_path, clock):
    """HTTP outgoing-robot mode on a free port of 127.0.0.1 (SQLite and PostgreSQL)."""
    async for world in _world(fake_dingtalk, db_url, tmp_path, clock, dingtalk_http_port=0):
        yield world
