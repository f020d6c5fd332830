"""A running Telegram setup for tests: the fake Bot API, the app wired as in production with the
real TelegramAdapter (a PTB Application) polling it, and the outbox delivered through it.

Time only moves when the test moves it: delivery runs on the injected clock, and `deliver()` jumps
the clock to the next row that the rate limits held back (instead of sleeping).
"""
from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.wiring import build_app
from handlers import background
from storage.models import Inbox, Interaction, Outbox
from tests.conftest import make_settings

from .telegram_api import TOKEN, FakeTelegram


class World:
    def __init__(self, fake: FakeTelegram, app, clock) -> None:
        self.fake = fake
        self.app = app
        self.clock = clock
        self.adapter = app.adapters[0]
        app.deliverer.sleep = self._pass_time  # the overall limit waits by moving the clock

    async def _pass_time(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)

    async def start(self) -> World:
        await self.adapter.start()
        return self

    async def stop(self) -> None:
        await self.adapter.stop()

    # -- people talking ------------------------------------------------------------------------

    async def exchange(self, update: dict, timeout: float = 5.0) -> list[dict]:
        """Wait until the adapter has handled the update and confirmed it to Telegram, deliver the
        outbox, and return what the bot showed in that chat meanwhile: messages sent, and messages
        edited into an answer (a pressed button's), in order."""
        chat_id = _chat_of(update)
        before = len(self.fake.calls)
        await self.handled(update, timeout)
        await self.deliver()
        return self.fake.shown(chat_id, since=before)

    async def say(self, sender: dict, text: str, **kw) -> list[dict]:
        self.clock.advance(seconds=5)  # people type at human speed
        return await self.exchange(self.fake.say(sender, text, **kw))

    async def press(self, sender: dict, message: dict, label: str | None = None, **kw) -> list[dict]:
        self.clock.advance(seconds=5)
        return await self.exchange(self.fake.press(sender, message, label, **kw))

    async def edit(self, said: dict, text: str) -> list[dict]:
        self.clock.advance(seconds=30)
        return await self.exchange(self.fake.edit(said, text))

    async def handled(self, update: dict, timeout: float = 5.0) -> None:
        await self.fake.wait_for(lambda: self.fake.confirmed(update), timeout)
        await self.adapter.idle()  # handled, not only received (chats are handled concurrently)
        await background.settle()  # and what it started after its commit (a digest's chart)

    async def deliver(self) -> int:
        """Send everything in the outbox, moving the clock to each row the limits held back."""
        total = 0
        for _ in range(10_000):
            total += await self.app.deliverer.drain()
            async with self.app.db.read() as session:
                waiting = (await session.exec(select(Outbox).where(Outbox.status == "pending").order_by(col(Outbox.due_at)).limit(1))).first()
            if waiting is None:
                return total
            if waiting.due_at > self.clock():
                self.clock.set(waiting.due_at)
        raise AssertionError("the outbox never drained")

    # -- reading the database ------------------------------------------------------------------

    async def rows(self, model, *where):
        async with self.app.db.read() as session:
            return list((await session.exec(select(model).where(*where))).all())

    async def notes(self) -> list[Interaction]:
        return await self.rows(Interaction)

    async def inbox(self) -> list[Inbox]:
        return await self.rows(Inbox)

    async def outbox(self) -> list[Outbox]:
        return await self.rows(Outbox)


def _chat_of(update: dict) -> int:
    if "callback_query" in update:
        return update["callback_query"]["message"]["chat"]["id"]
    return (update.get("message") or update["edited_message"])["chat"]["id"]


@pytest.fixture
async def fake_telegram(clock):
    fake = await FakeTelegram(clock=clock).start()
    yield fake
    await fake.stop()


def telegram_app(fake: FakeTelegram, url: str, tmp_path, clock, **settings):
    return build_app(make_settings(url, tmp_path, telegram_bot_token=TOKEN, telegram_api_url=fake.url, **settings), clock=clock, migrate=False, with_adapters=True)


async def _world(fake, url, tmp_path, clock, **settings):
    app = telegram_app(fake, url, tmp_path, clock, **settings)
    w = World(fake, app, clock)
    try:
        yield w
    finally:
        await w.stop()
        await app.close()


@pytest.fixture
async def world(fake_telegram, sqlite_url, tmp_path, clock):
    async for w in _world(fake_telegram, sqlite_url, tmp_path, clock):
        yield w


@pytest.fixture
async def world_any_db(fake_telegram, db_url, tmp_path, clock):
    """On SQLite, and on PostgreSQL too when CRMBOT_TEST_POSTGRES_URL is set."""
    async for w in _world(fake_telegram, db_url, tmp_path, clock):
        yield w


WEBHOOK_URL = "https://crm.example.com/telegram/hook"


@pytest.fixture
async def webhook_world(fake_telegram, db_url, tmp_path, clock):
    """In webhook mode (SQLite and PostgreSQL): the adapter serves the webhook on 127.0.0.1, on a free port."""
    async for w in _world(fake_telegram, db_url, tmp_path, clock, telegram_webhook_url=WEBHOOK_URL, telegram_webhook_port=0):
        w.adapter.webhook_host = "127.0.0.1"
        yield w
