"""End to end in process: neutral message in → interaction and task stored → reply in the outbox.

Single process, one note at a time through handlers.router.handle (the same path adapters use),
on SQLite (a file, WAL) and on PostgreSQL when CRMBOT_BENCH_POSTGRES_URL is set.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import tempfile
import time
from pathlib import Path

from bot.settings import Settings
from bot.wiring import build_app
from handlers import router
from handlers.messages import Incoming
from storage import crm
from storage.models import Customer

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"
TEMPLATES = [
    "拜访了{n}，下周三前发报价",
    "给{n}打电话，他说明天下午3点再聊",
    "{n}微信说货款要拖到月底",
    "called {p}, wants quote Friday",
    "{n}来电确认订单，3万元",
    "met {p} at the expo, follow up in 2 weeks",
]


def _customers(count: int, rng: random.Random) -> list[tuple[str, str]]:
    names = set()
    while len(names) < count:
        names.add(rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else ""))
    return [(n, f"{n}公司") for n in names]


async def run(url: str, customers: int = 1000, notes: int = 2000, seed: int = 7) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Settings(database_url=url, data_dir=Path(tmp)))
        try:
            async with app.db.write() as session:
                team = await crm.create_team(session, "bench")
                await crm.create_member(session, team, "rep", role="admin", platform="bench", user_id="rep")
                people = _customers(customers, rng)
                for name, company in people:
                    session.add(Customer(team_id=team.id, name=name, company=company))
            await app.services.indexes.parser(team.id)  # warm the index once, as a running bot has it
            texts = []
            for _ in range(notes):
                name = rng.choice(people)[0]
                from pypinyin import lazy_pinyin

                texts.append(rng.choice(TEMPLATES).format(n=name, p=" ".join(lazy_pinyin(name)).title()))
            now = dt.datetime.now(dt.timezone.utc)
            start, cpu = time.perf_counter(), time.process_time()
            for i, text in enumerate(texts):
                msg = Incoming(platform="bench", chat_id="c1", chat_kind="private", sender_id="rep", sender_name="rep", text=text, message_id=str(i), sent_at=now)
                await router.handle(msg, app.services)
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu
        finally:
            await app.close()
    return {"notes": notes, "customers": customers, "seconds": round(elapsed, 2), "notes_per_s": round(notes / elapsed, 1), "cpu_s": round(cpu, 2), "notes_per_cpu_s": round(notes / cpu, 1)}


def main() -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = asyncio.run(run(f"sqlite:///{tmp}/bench.db"))
    pg = os.environ.get("CRMBOT_BENCH_POSTGRES_URL")
    if pg:
        results["postgresql"] = asyncio.run(run(pg))
    return results


if __name__ == "__main__":
    for backend, figures in main().items():
        print(backend, figures)
