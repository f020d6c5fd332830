"""Issue 13, medium 10 (b) and (d), each with a test that fails on the code before d2261c8 (the
earlier tests in test_delivery_guarantees.py passed there too): the outbox row is marked (attempt
counted, lease renewed) before the real TelegramSender hands it to the Bot API, so a crash or a
timeout mid-send is visible; and a chat's rows held back by its rate limit are not overtaken by
newer rows whose due time is earlier than theirs."""

from __future__ import annotations

import asyncio
from collections import Counter

from storage import messaging
from storage.models import Outbox
from tests.fakes.telegram_world import fake_telegram, world_any_db  # noqa: F401

CHATS = (4001, 4002)


async def _queue(world, per_chat: int, tag: str) -> list[str]:
    texts = []
    async with world.app.db.write() as session:
        for i in range(per_chat):
            for chat in CHATS:
                text = f"{tag}{chat}-{i:02d}"
                texts.append(text)
                await messaging.outbox_add(session, Outbox(key=f"t:{text}", kind="reminder", platform="telegram", chat_id=str(chat), body={"text": text}, due_at=world.clock()))
    return texts


def _delivered(world) -> list[tuple[str, str]]:
    return [(str(c.params["chat_id"]), c.params["text"]) for c in world.fake.calls if c.method == "sendMessage" and "result" in c.params]


async def test_a_row_is_marked_before_its_send_goes_out(world_any_db):
    world = world_any_db
    await world.start()
    [text] = (await _queue(world, 1, "m"))[:1]
    gate = world.fake.hold("sendMessage")  # the send reaches the fake and waits there for its answer
    sending = asyncio.create_task(world.app.deliverer.drain())
    try:
        await world.fake.wait_for(lambda: any(c.method == "sendMessage" for c in world.fake.calls), 30)
        [row] = [r for r in await world.outbox() if r.body["text"] == text]
        assert (row.status, row.attempts, row.claimed_by is not None) == ("sending", 1, True)  # counted before the platform answered
    finally:
        gate.set()
        await sending
    await world.deliver()
    [row] = [r for r in await world.outbox() if r.body["text"] == text]
    assert (row.status, row.attempts) == ("sent", 1)


async def test_rows_held_back_by_a_chats_limit_are_not_overtaken_by_newer_ones(world_any_db):
    world = world_any_db
    await world.start()
    first = await _queue(world, 3, "a")
    await world.app.deliverer.drain()  # one per chat goes now; the others are given back, due in about a second
    world.clock.advance(seconds=0.5)
    second = await _queue(world, 3, "b")  # newer rows, due earlier than the held ones
    world.clock.advance(seconds=2)  # the deliverer comes back after both are due
    await world.deliver()
    got = Counter(text for _, text in _delivered(world))
    lost = sum(1 for t in first + second if got[t] == 0)
    doubled = sum(n - 1 for n in got.values() if n > 1)
    order = {chat: [text for c, text in _delivered(world) if c == str(chat)] for chat in CHATS}
    print(
        f"\ndelivery order [{'sqlite' if world.app.db.is_sqlite else 'postgres'}]: {len(first + second)} messages to {len(CHATS)} chats, {lost} lost, {doubled} doubled, in order: {all(m == sorted(m) for m in order.values())}"
    )
    assert (lost, doubled) == (0, 0)
    for chat, mine in order.items():
        assert mine == sorted(mine), f"chat {chat}: {mine}"  # every a… before every b…
