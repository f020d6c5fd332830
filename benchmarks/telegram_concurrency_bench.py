"""Telegram adapter under a burst: 200 chats at once, the fake Bot API answering every call after 50 ms.

    uv run python -m benchmarks.telegram_concurrency_bench [--chats 200] [--latency 0.05]

Two workloads, each with the adapter handling one chat at a time (before: chats_at_once=1) and with
chats concurrent, in order within a chat (after: the default): every chat sends a note at once
(reply = its sendMessage), then every chat presses the first button under its answer at once (reply = the
editMessageText; handling a press answers the callback query, a 50 ms call, inside the handling).
Figures: p50/p99 from the update being queued at the fake to its reply reaching the fake, and
throughput. The raw floor, in the same run: the same number of sendMessage calls made directly and
concurrently through a PTB bot with the adapter's connection pool (the API's cost alone). SQLite file database, real clock.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bot.wiring import build_app
from tests.conftest import make_settings
from tests.fakes.telegram_api import TOKEN, FakeTelegram, user
from tests.helpers import seed_team


def _figures(started: dict[int, float], replies: dict[int, float]) -> dict:
    waits = sorted(replies[c] - started[c] for c in started)
    span = max(replies.values()) - min(started.values())
    return {"p50_ms": 1000 * statistics.median(waits), "p99_ms": 1000 * waits[int(0.99 * (len(waits) - 1))], "per_s": len(waits) / span}


async def _wait_replies(fake: FakeTelegram, method: str, chats: list[int], since: int) -> dict[int, float]:
    await fake.wait_for(lambda: len({int(c.params["chat_id"]) for c in fake.calls[since:] if c.method == method and "result" in c.params}) >= len(chats), timeout=600)
    out: dict[int, float] = {}
    for c in fake.calls[since:]:
        if c.method == method and "result" in c.params:
            out.setdefault(int(c.params["chat_id"]), c.at)
    return out


async def run(chats: int, latency: float, chats_at_once: int | None) -> dict:
    fake = await FakeTelegram().start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(f"sqlite:///{tmp}/bench.db", Path(tmp), telegram_bot_token=TOKEN, telegram_api_url=fake.url)
        app = build_app(settings, with_adapters=True)
        adapter = app.adapters[0]
        if chats_at_once is not None:
            adapter._slots = asyncio.Semaphore(chats_at_once)
        ids = list(range(10_001, 10_001 + chats))
        await seed_team(app, members=[(str(i), "admin" if i == ids[0] else "rep") for i in ids], platform="telegram")
        await adapter.start()
        delivering = asyncio.create_task(app.deliverer.run_forever(idle_seconds=0.05))
        fake.latency = latency
        try:
            since = len(fake.calls)
            started = {}
            for i in ids:
                fake.say(user(i, f"R{i}"), f"called Zhou{i}, wants a quote Friday")
                started[i] = time.time()
            notes = _figures(started, await _wait_replies(fake, "sendMessage", ids, since))
            since = len(fake.calls)
            started = {}
            for i in ids:
                confirmation = next(m for (chat, _), m in fake.messages.items() if chat == i)
                fake.press(user(i, f"R{i}"), confirmation, "")  # its first button
                started[i] = time.time()
            presses = _figures(started, await _wait_replies(fake, "editMessageText", ids, since))
        finally:
            delivering.cancel()
            await adapter.stop()
            await app.close()
            await fake.stop()
    return {"notes": notes, "presses": presses}


async def raw_floor(chats: int, latency: float) -> float:
    """Seconds for `chats` sendMessage calls made at once through the PTB bot to the same fake."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.telegram.adapter import CONNECTIONS

    fake = await FakeTelegram().start()
    fake.latency = latency
    try:
        async with Bot(TOKEN, base_url=f"{fake.url}/bot", request=HTTPXRequest(connection_pool_size=CONNECTIONS)) as bot:
            began = time.perf_counter()
            await asyncio.gather(*(bot.send_message(10_001 + i, "x") for i in range(chats)))
            return time.perf_counter() - began
    finally:
        await fake.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    floor = await raw_floor(args.chats, args.latency)
    print(f"raw floor: {args.chats} sendMessage at once, {args.latency * 1000:.0f} ms API latency: {floor:.2f} s ({args.chats / floor:.0f}/s)")
    for label, at_once in (("one chat at a time", 1), ("concurrent across chats", None)):
        result = await run(args.chats, args.latency, at_once)
        for workload, f in result.items():
            print(f"{label:>24} · {workload:7}: p50 {f['p50_ms']:7.0f} ms  p99 {f['p99_ms']:7.0f} ms  {f['per_s']:6.1f}/s")


if __name__ == "__main__":
    asyncio.run(main())
