"""Due reminders through the outbox to a fake platform that enforces Telegram's limits.

1. Virtual time (10,000 rows): the deliverer's clock and sleep are a fake clock and sends are
   instant (at 30 msg/s the real run would take 5.5 minutes of waiting). Reported: virtual rate vs
   the 30/s ceiling, limit violations, duplicates, and the wall time of the database work.
2. Real time with network latency (--latency-n rows, default 1,500): each send takes --latency
   seconds (default 0.05, a Telegram round trip) on the real clock, so only concurrent sends can
   keep the 30/s budget busy. Reported: the achieved share of 30 msg/s (target ≥ 90%), violations
   (1 ms tolerance for clock jitter between the limiter and the fake), duplicates.

    uv run python benchmarks/delivery_bench.py [--db URL] [--n 10000] [--chats 2000] [--latency 0.05] [--latency-n 1500] [--concurrency 24]
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text  # noqa: E402

from reminders.delivery import Deliverer  # noqa: E402
from storage.db import Database, migrate  # noqa: E402
from storage.models import Outbox  # noqa: E402


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


class TelegramFake:
    platform = "telegram"

    def __init__(self, clock, latency: float = 0.0, tolerance: float = 1e-6):
        self.clock, self.times, self.last, self.keys, self.violations = clock, [], {}, [], 0
        self.window = []
        self.latency, self.tolerance = latency, tolerance
        self.in_flight: set[str] = set()

    async def send(self, row, message):
        now = self.clock().timestamp()
        if row.chat_id in self.in_flight:
            self.violations += 1  # two messages in flight to one chat: order not guaranteed
        if row.chat_id in self.last and now - self.last[row.chat_id] < 1.0 - self.tolerance:
            self.violations += 1
        self.window = [t for t in self.window if t > now - 1.0 + self.tolerance]
        if len(self.window) >= 30:
            self.violations += 1
        self.window.append(now)
        self.last[row.chat_id] = now
        if self.latency:
            self.in_flight.add(row.chat_id)
            try:
                await asyncio.sleep(self.latency)  # the round trip
            finally:
                self.in_flight.discard(row.chat_id)
        self.keys.append(row.key)


class RealClock:
    def __call__(self):
        return dt.datetime.now(dt.timezone.utc)


async def with_latency(url: str, n: int, chats: int, latency: float, concurrency: int) -> None:
    """Real time: sends take `latency` seconds; the deliverer runs as `crmbot run` does."""
    clock = RealClock()
    db = Database(url)
    start = clock()
    async with db.write() as session:
        conn = await session.connection()
        # the virtual run's windows (stamped in 2027 by its clock) would hold every real-time send back
        await conn.execute(text("DELETE FROM send_window"))
        await conn.execute(
            insert(Outbox.__table__),
            [
                dict(key=f"lat:{i}", kind="reminder", platform="telegram", chat_id=f"L{i % chats}", chat_kind="private", body={"text": f"reminder {i}"}, status="pending", due_at=start, attempts=0, late=False, created_at=start)
                for i in range(n)
            ],
        )
    fake = TelegramFake(clock, latency=latency, tolerance=1e-3)
    deliverer = Deliverer(db=db, senders={"telegram": fake}, clock=clock, worker="bench-latency", concurrency=concurrency)
    t0 = time.perf_counter()
    runner = asyncio.create_task(deliverer.run_forever(idle_seconds=0.02))
    while len(fake.keys) < n and time.perf_counter() - t0 < n / 10 + 30:
        await asyncio.sleep(0.05)
    took = time.perf_counter() - t0
    runner.cancel()
    try:
        await runner
    except asyncio.CancelledError:
        pass
    rate = len(fake.keys) / took
    dupes = len(fake.keys) - len(set(fake.keys))
    print(f"with {latency * 1000:.0f} ms per send (real time, concurrency {concurrency}): {len(fake.keys)} / {n} messages to {chats} chats in {took:.1f} s")
    print(f"  → {rate:.1f} msg/s = {100 * rate / 30:.0f}% of 30/s (target ≥ 90%)  violations: {fake.violations}  duplicates: {dupes}  missing: {n - len(set(fake.keys))}")
    await db.dispose()


async def main(url: str, n: int, chats: int) -> None:
    clock = Clock(dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.timezone.utc))
    db = Database(url)
    table = Outbox.__table__
    async with db.write() as session:
        conn = await session.connection()
        await conn.execute(
            insert(table),
            [
                dict(key=f"bench:{i}", kind="reminder", platform="telegram", chat_id=str(i % chats), chat_kind="private", body={"text": f"reminder {i}"}, status="pending", due_at=clock(), attempts=0, late=False, created_at=clock())
                for i in range(n)
            ],
        )

    async def sleep(seconds):
        clock.now += dt.timedelta(seconds=seconds)

    fake = TelegramFake(clock)
    deliverer = Deliverer(db=db, senders={"telegram": fake}, clock=clock, worker="bench", sleep=sleep)
    start_virtual, start_wall = clock(), time.perf_counter()
    while True:
        await deliverer.drain()
        async with db.read() as session:
            nxt = (await session.exec(select(Outbox.due_at).where(Outbox.status == "pending").order_by(Outbox.due_at).limit(1))).first()
        if nxt is None:
            break
        clock.now = max(clock.now, nxt[0] if isinstance(nxt, tuple) else nxt)
    wall = time.perf_counter() - start_wall
    virtual = (clock() - start_virtual).total_seconds()
    dupes = len(fake.keys) - len(set(fake.keys))
    per_chat = defaultdict(int)
    for k in fake.keys:
        per_chat[k] += 1
    print(f"backend: {url.split(':')[0]}  messages: {len(fake.keys)} / {n}  chats: {chats}")
    print(f"virtual time: {virtual:.1f} s  →  {len(fake.keys) / max(virtual, 1e-9):.1f} msg/s (ceiling 30/s; {n} msgs need ≥ {n / 30 - 1:.0f} s)")
    print(f"limit violations: {fake.violations}  duplicates: {dupes}  missing: {n - len(set(fake.keys))}")
    print(f"wall time (database claim/finish, fake sends): {wall:.1f} s  →  {n / wall:.0f} rows/s")
    await db.dispose()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--chats", type=int, default=2_000)
    ap.add_argument("--latency", type=float, default=0.05, help="seconds per send in the real-time run (0: skip it)")
    ap.add_argument("--latency-n", type=int, default=1_500)
    ap.add_argument("--concurrency", type=int, default=24)
    ap.add_argument("--skip-virtual", action="store_true")
    args = ap.parse_args()
    url = args.db
    if not url:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    migrate(url)
    if not args.skip_virtual:
        asyncio.run(main(url, args.n, args.chats))
    if args.latency > 0:
        asyncio.run(with_latency(url, args.latency_n, min(args.chats, args.latency_n), args.latency, args.concurrency))
