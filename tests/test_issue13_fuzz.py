"""Issue 13's fuzz line at full size: a few thousand generated hostile messages (lone surrogates,
control characters, huge ones, mixed scripts, garbage commands; generator in test_hostile_input.py)
through the router and through the Telegram adapter. Every message is stored once, handled and
answered, none with the error line, and the bot still files a plain note afterwards. Each test prints
its counts for the closing note."""

from __future__ import annotations

from collections import Counter

from handlers.texts import t
from storage.models import Inbox, Interaction, Outbox
from tests.fakes.telegram_api import user
from tests.fakes.telegram_world import fake_telegram, world_any_db  # noqa: F401
from tests.helpers import Person, rows, seed_team
from tests.test_hostile_input import CUSTOMERS, messages

BROKEN = {t("error", "en"), t("error", "zh"), t("error_not_kept", "en"), t("error_not_kept", "zh")}


def _answered(inbox: list[Inbox], outbox: list[Outbox]) -> Counter:
    """Per inbox key: how many replies were queued for it."""
    keys = {row.key for row in inbox}
    return Counter(key for row in outbox if row.kind == "reply" and (key := row.key.removeprefix("reply:").rsplit(":", 1)[0]) in keys)


async def test_thousands_of_hostile_messages_through_the_router(app_any_db):
    app = app_any_db
    await seed_team(app, customers=CUSTOMERS)
    me = Person(app, "me")
    texts = messages(2026, 2500 if app.db.is_sqlite else 800)  # PostgreSQL handles ~3x slower here: fewer, same mix
    errors = 0
    for text in texts:
        errors += any(r.text in BROKEN for r in await me.say(text))
    inbox = await rows(app, Inbox)
    answered = _answered(inbox, await rows(app, Outbox))
    stored_once = len({row.key for row in inbox}) == len(inbox)
    print(
        f"\nfuzz router [{'sqlite' if app.db.is_sqlite else 'postgres'}]: {len(texts)} sent, {len(inbox)} stored, once each: {stored_once}, {sum(r.status == 'handled' for r in inbox)} handled, {len(answered)} answered, {errors} error replies"
    )
    assert len(inbox) == len(texts) and stored_once
    assert {row.status for row in inbox} == {"handled"}
    assert len(answered) == len(texts) and errors == 0
    before = len(await rows(app, Interaction))
    assert "Wang Lei" in (await me.say("called Wang Lei, wants a quote Friday"))[0].text
    assert len(await rows(app, Interaction)) == before + 1  # still filing notes


async def test_a_thousand_hostile_updates_through_the_telegram_adapter(world_any_db):
    world = world_any_db
    await seed_team(world.app, members=(("1001", "admin"),), customers=[{**c, "owner": "1001"} for c in CUSTOMERS], platform="telegram")
    await world.start()
    sender = user(1001, "Li\ud800\x00", language_code="en")
    updates = [world.fake.say(sender, text) for text in messages(2027, 1000)]
    await world.fake.wait_for(lambda: all(world.fake.confirmed(u) for u in updates), 240)
    await world.adapter.idle()
    inbox = await world.inbox()
    answered = _answered(inbox, await world.outbox())
    stored_once = len({row.key for row in inbox}) == len(inbox)
    print(
        f"\nfuzz telegram [{'sqlite' if world.app.db.is_sqlite else 'postgres'}]: {len(updates)} updates, {sum(world.fake.confirmed(u) for u in updates)} confirmed, "
        f"{len(inbox)} stored, once each: {stored_once}, {sum(r.status == 'handled' for r in inbox)} handled, {len(answered)} answered"
    )
    assert len(inbox) == len(updates) and stored_once
    assert {row.status for row in inbox} == {"handled"}
    assert len(answered) == len(updates)
    last = world.fake.say(user(1001, "Li"), "called Wang Lei, wants a quote Friday")
    await world.handled(last)
    assert await rows(world.app, Interaction, Interaction.source_key.like(f"%:{last['message']['message_id']}"))
