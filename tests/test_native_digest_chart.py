"""A weekly digest's chart asked for with /digest week is drawn outside any database transaction (issue 16):
while it is being drawn, another chat's note is filed and answered (on SQLite a write transaction holds the
database's one write lock, so a chart drawn inside the command's transaction held up every chat). Through the
real PTB Application against the fake Bot API; the drawing is held open by the test, not slowed by sleeping.

Found by it (SQLite): /digest drew its chart inside the command's write transaction, and SQLite's write
transactions begin IMMEDIATE: every other chat's note, and the Telegram poller's inbox insert ("database is
locked"), waited until the chart was drawn. A chart not in the cache is now drawn after the commit
(handlers/background.py) and the digest with it queued then as the command's reply."""
from __future__ import annotations

import asyncio

from reminders import chart, digests
from tests.fakes.telegram_api import user
from tests.fakes.telegram_world import fake_telegram, world_any_db  # noqa: F401  (fixtures)
from tests.helpers import seed_team

LI = user(1001, "Li", language_code="en")
MEI = user(1002, "Mei", language_code="zh-hans")
CUSTOMERS = ({"name": "Wang Lei", "company": "Acme", "owner": "1001"}, {"name": "李娜", "company": "华为", "owner": "1002"})


async def test_another_chats_note_is_answered_while_a_digest_chart_is_drawn(world_any_db, monkeypatch):
    world = world_any_db
    chart._cache.clear()  # drawn now, not taken from an earlier test's cache
    await seed_team(world.app, members=(("1001", "admin"), ("1002", "rep")), customers=CUSTOMERS, platform="telegram")
    await world.start()
    await world.say(LI, "called Wang Lei, sent the price list")

    drawing, release = asyncio.Event(), asyncio.Event()
    draw = digests.chart_png

    async def held(digest, lang):
        drawing.set()
        await release.wait()  # the worker process is busy drawing
        return await draw(digest, lang)

    monkeypatch.setattr(digests, "chart_png", held)
    asked = world.fake.say(LI, "/digest week")
    await asyncio.wait_for(drawing.wait(), timeout=10)
    note = world.fake.say(MEI, "拜访了李娜，下周三前发报价")
    try:
        await world.fake.wait_for(lambda: world.fake.confirmed(note), timeout=10)
        await asyncio.wait_for(world.adapter.idle(chat_id=1002), timeout=10)  # Mei's note handled while Li's chart is drawn
        await world.deliver()
        [reply] = world.fake.sent(1002)
        assert "发报价" in reply["text"]
    finally:
        release.set()
    await world.handled(asked, timeout=30)  # (the first chart starts the worker process)
    await world.deliver()
    [digest] = [m for m in world.fake.shown(1001) if "photo" in m]
    assert digest["caption"].startswith("📊 Weekly digest")


async def test_in_the_console_the_digest_with_its_chart_comes_before_the_next_line(sqlite_url, tmp_path, clock):
    """The console answers a line before it reads the next: a chart drawn after the commit included."""
    import io

    from bot.console.adapter import ConsoleChat
    from bot.console.member import ensure_console_member
    from bot.console.sender import ConsoleSender
    from bot.wiring import build_app
    from tests.conftest import make_settings

    chart._cache.clear()
    out = io.StringIO()
    sender = ConsoleSender(out)
    app = build_app(make_settings(sqlite_url, tmp_path), clock=clock, senders=[sender], migrate=False)
    try:
        await ensure_console_member(app, "boss")  # the first member of a fresh database: the admin
        script = iter(["/digest week", "/help"])
        printed_before_help: list[str] = []

        async def read_line():
            line = next(script, None)
            if line == "/help":
                printed_before_help.append(out.getvalue())
            return line

        await ConsoleChat(app, "boss", sender, read_line=read_line).run(tick_seconds=3600)
    finally:
        await app.close()
    [before] = printed_before_help
    assert "📊 Weekly digest" in before and ".png" in before  # the digest and its chart, before /help was read
