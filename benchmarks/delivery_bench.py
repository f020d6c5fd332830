"""10,000 due reminders through the outbox to a fake platform that enforces Telegram's limits.

Time is virtual: the deliverer's clock and sleep are a fake clock (at 30 msg/s the real run would
take 5.5 minutes of waiting). Reported: virtual rate vs the 30/s ceiling, limit violations,
duplicates, and the wall time the database work took (claim + finish per row).

    uv run python benchmarks/delivery_bench.py [--db URL] [--n 10000] [--chats 2000]
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

from sqlalchemy import insert, select  # noqa: E402

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

    def __init__(self, clock):
        self.clock, self.times, self.last, self.keys, self.violations = clock, [], {}, [], 0
        self.window = []

    async def send(self, row, message):
        now = self.clock().timestamp()
        if row.chat_id in self.last and now - self.last[row.chat_id] < 1.0 - 1e-6:
            self.violations += 1
        self.window = [t for t in self.window if t > now - 1.0 + 1e-6]
        if len(self.window) >= 30:
            self.violations += 1
        self.window.append(now)
        self.last[row.chat_id] = now
        self.keys.append(row.key)


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
    args = ap.parse_args()
    url = args.db
    if not url:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    migrate(url)
    asyncio.run(main(url, args.n, args.chats))
