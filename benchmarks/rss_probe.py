"""Resident memory with N customers loaded for matching, each case in a fresh process (run by benchmarks/__main__).

    python -m benchmarks.rss_probe seed URL N        # write N synthetic customers (parse_bench's generator) into a new database
    python -m benchmarks.rss_probe bot URL           # the bot's own process: build_app + the team's index, as a running bot holds it
    python -m benchmarks.rss_probe index N           # only the matching index, built from N records in memory

Prints one JSON line: rss_mb (VmRSS after the build and a gc: what stays resident), peak_mb (VmHWM), build_s.
"""
from __future__ import annotations

import asyncio
import gc
import json
import random
import sys
import time


def _status() -> dict[str, float]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key + ":"] = int(value.split()[0]) / 1024
    return out


def _report(build_s: float, customers: int) -> None:
    gc.collect()
    s = _status()
    print(json.dumps({"customers": customers, "rss_mb": round(s["VmRSS:"], 1), "peak_mb": round(s["VmHWM:"], 1), "build_s": round(build_s, 2)}))


async def _seed(url: str, n: int) -> None:
    from pathlib import Path
    import tempfile

    from sqlalchemy import insert

    from bot.settings import Settings
    from bot.wiring import build_app
    from storage import crm
    from storage.messaging import row_values
    from storage.models import Customer

    from .parse_bench import make_customers

    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Settings(database_url=url, data_dir=Path(tmp)))
        try:
            async with app.db.write() as session:
                team = await crm.create_team(session, "bench")
                members = [await crm.create_member(session, team, f"rep{i}") for i in range(5)]
                rows = [
                    row_values(Customer, team_id=team.id, owner_id=members[ord(r.owner) - ord("a")].id, name=r.name, company=r.company, aliases=list(r.aliases), stage="active")
                    for r in make_customers(n, random.Random(7))
                ]
                conn = await session.connection()
                for k in range(0, len(rows), 10_000):
                    await conn.execute(insert(Customer.__table__), rows[k : k + 10_000])
        finally:
            await app.close()


async def _bot(url: str) -> None:
    from pathlib import Path
    import tempfile

    from bot.settings import Settings
    from bot.wiring import build_app
    from storage import crm

    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Settings(database_url=url, data_dir=Path(tmp)), migrate=False)
        try:
            async with app.db.read() as session:
                team = await crm.first_team(session)
            start = time.perf_counter()
            parser = await app.services.indexes.parser(team.id)
            build = time.perf_counter() - start
            _report(build, len(parser.index))
        finally:
            await app.close()


def _index(n: int) -> None:
    from handlers.understanding.matching import CustomerIndex
    from handlers.understanding.notes import NoteParser

    from .parse_bench import make_customers

    records = make_customers(n, random.Random(7))
    start = time.perf_counter()
    parser = NoteParser(CustomerIndex(records))
    build = time.perf_counter() - start
    del records
    _report(build, len(parser.index))


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "seed":
        asyncio.run(_seed(sys.argv[2], int(sys.argv[3])))
    elif what == "bot":
        asyncio.run(_bot(sys.argv[2]))
    else:
        _index(int(sys.argv[2]))
