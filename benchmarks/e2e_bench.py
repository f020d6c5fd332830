"""End to end in process: neutral message in → interaction and task stored → reply in the outbox.

Single process, one note at a time through handlers.router.handle (the same path adapters use),
on SQLite (a file, WAL) and on PostgreSQL when CRMBOT_BENCH_POSTGRES_URL is set. Each run is paired
with the raw driver writing the same rows (raw_floor.py) on a database made by the same migrations,
interleaved, so the ratio holds on a noisy machine. A few notes are handled before timing (imports,
compiled patterns): the figure is a running bot's, not a cold start's.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from bot.settings import Settings
from bot.wiring import build_app
from handlers import router
from chat.messages import Incoming
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


WARM_UP = 20  # notes handled before timing


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
            for _ in range(notes + WARM_UP):
                name = rng.choice(people)[0]
                from pypinyin import lazy_pinyin

                texts.append(rng.choice(TEMPLATES).format(n=name, p=" ".join(lazy_pinyin(name)).title()))
            now = dt.datetime.now(dt.timezone.utc)
            for i, text in enumerate(texts):
                if i == WARM_UP:
                    start, cpu = time.perf_counter(), time.process_time()
                msg = Incoming(platform="bench", chat_id="c1", chat_kind="private", sender_id="rep", sender_name="rep", text=text, message_id=str(i), sent_at=now)
                await router.handle(msg, app.services)
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu
        finally:
            await app.close()
    return {"notes": notes, "customers": customers, "seconds": round(elapsed, 2), "notes_per_s": round(notes / elapsed, 1), "cpu_s": round(cpu, 2), "notes_per_cpu_s": round(notes / cpu, 1)}


def floor(url: str, notes: int, customers: int = 1000) -> dict:
    """raw_floor on a fresh database made by the app's migrations at ``url``."""
    from storage.db import migrate

    from . import raw_floor

    migrate(url)
    if url.startswith("sqlite"):
        return raw_floor.sqlite_floor(url.split("///", 1)[1], notes, customers)
    return raw_floor.postgres_floor(url, notes, customers)


def paired(fresh_url, notes: int, repeats: int) -> dict:
    """``repeats`` pairs of (raw floor, app), interleaved; medians and the ratio of the medians.

    ``fresh_url``: a context manager giving the URL of an empty database (and removing it afterwards)."""
    apps, floors = [], []
    for _ in range(repeats):
        with fresh_url() as url:
            floors.append(floor(url, notes))
        with fresh_url() as url:
            apps.append(asyncio.run(run(url, notes=notes)))
    app_rate = statistics.median(r["notes_per_s"] for r in apps)
    floor_rate = statistics.median(r["notes_per_s"] for r in floors)
    return {
        "notes_per_s": app_rate,
        "floor_notes_per_s": floor_rate,
        "ratio": round(floor_rate / app_rate, 1),
        "cpu_ms_per_note": round(statistics.median(1000 * r["cpu_s"] / r["notes"] for r in apps), 2),
        "floor_cpu_ms_per_note": statistics.median(r["cpu_ms_per_note"] for r in floors),
        "runs": [r["notes_per_s"] for r in apps],
        "floor_runs": [r["notes_per_s"] for r in floors],
        "notes": notes,
        "repeats": repeats,
    }


@contextlib.contextmanager
def sqlite_url():
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{tmp}/e2e.db"


def postgres_url(admin_url: str):
    @contextlib.contextmanager
    def fresh():
        from .__main__ import _pg_database

        url, drop = _pg_database(admin_url)
        try:
            yield url
        finally:
            drop()

    return fresh


def main() -> dict:
    ap = argparse.ArgumentParser(description="end to end notes/s beside the raw driver's floor")
    ap.add_argument("--notes", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    results = {"sqlite": paired(sqlite_url, args.notes, args.repeats)}
    pg = os.environ.get("CRMBOT_BENCH_POSTGRES_URL")
    if pg:
        results["postgresql"] = paired(postgres_url(pg), args.notes, args.repeats)
    return results


if __name__ == "__main__":
    for backend, figures in main().items():
        print(backend, figures)
