"""A running Telegram setup for tests: the fake Bot API, the app wired as in production with the
real TelegramAdapter (PTB Application) polling it, and the delivery loop sending through it."""
from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from bot.wiring import build_app
from storage.models import Inbox, Interaction, Outbox
from tests.conftest import make_settings

from .telegram_api import TOKEN, FakeTelegram


class World:
    def __init__(self, fake: FakeTelegram, app, clock) -> None:
        self.fake = fake
        self.app = app
        self.clock = clock
        self.adapter = app.adapters[0]
        self._delivery: asyncio.Task | None = None

    async def start(self, deliver: bool = True) -> World:
        await self.adapter.start()
        if deliver:
            self._delivery = asyncio.create_task(self.app.deliverer.run_forever())
        return self

    async def stop(self) -> None:
        if self._delivery is not None:
            self._delivery.cancel()
            try:
                await self._delivery
            except asyncio.CancelledError:
                pass
        await self.adapter.stop()

    async def replies(self, chat_id, count: int = 1, timeout: float = 5.0) -> list[dict]:
        """Wait until the bot has sent `count` messages to the chat; returns them all."""
        await self.fake.wait_for(lambda: len(self.fake.sent(chat_id)) >= count, timeout)
        return self.fake.sent(chat_id)

    async def reply(self, chat_id, timeout: float = 5.0) -> dict:
        """The next message the bot sends to the chat after this call."""
        before = len(self.fake.sent(chat_id))
        return (await self.replies(chat_id, before + 1, timeout))[before]

    async def settled(self, update: dict, timeout: float = 5.0) -> None:
        """Wait until the adapter confirmed the update to Telegram (stored and handled) and the outbox is drained."""
        await self.fake.wait_for(lambda: self.fake.confirmed(update), timeout)
        await self.app.deliverer.drain()

    async def rows(self, model, *where):
        async with self.app.db.read() as session:
            return list((await session.exec(select(model).where(*where))).all())

    async def notes(self) -> list[Interaction]:
        return await self.rows(Interaction)

    async def inbox(self) -> list[Inbox]:
        return await self.rows(Inbox)

    async def outbox(self) -> list[Outbox]:
        return await self.rows(Outbox)


@pytest.fixture
async def fake_telegram():
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()


def telegram_app(fake: FakeTelegram, url: str, tmp_path, clock, **settings):
    return build_app(make_settings(url, tmp_path, telegram_bot_token=TOKEN, telegram_api_url=fake.url, **settings), clock=clock, migrate=False, with_adapters=True)


@pytest.fixture
async def world(fake_telegram, sqlite_url, tmp_path, clock):
    app = telegram_app(fake_telegram, sqlite_url, tmp_path, clock)
    w = World(fake_telegram, app, clock)
    yield w
    await w.stop()
    await app.close()
