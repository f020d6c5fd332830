"""The daily scans over 100k customers and 1M interactions on SQLite (target: < 2 s in total).

Measures a full tick at a working-day morning (reminders, overdue lists, greetings, birthdays,
nags, lifecycle) and the evening digests, with the outbox empty (worst case: nothing memoised).

    uv run python benchmarks/scan_bench.py [--customers 100000] [--interactions 1000000]
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402

from bot.settings import Settings  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from reminders import digests, followups, greetings, lifecycle, nags, overdue, sweep, workdays  # noqa: E402
from storage.models import Customer, Identity, Interaction, Member, Task, Team  # noqa: E402

NOW = dt.datetime(2027, 3, 1, 1, 30, tzinfo=dt.timezone.utc)  # Monday 09:30 in Shanghai


async def seed(app, n_customers: int, n_interactions: int, reps: int = 50) -> None:
    rnd = random.Random(7)
    async with app.db.write() as session:
        conn = await session.connection()
        await conn.execute(insert(Team.__table__), [dict(id=1, name="Bench", timezone="Asia/Shanghai", holiday_country="CN", created_at=NOW)])
        members = [dict(id=1, team_id=1, display_name="boss", role="manager", manager_id=None, timezone="Asia/Shanghai", language="zh", active=True, created_at=NOW)]
        members += [dict(id=i + 2, team_id=1, display_name=f"rep{i}", role="rep", manager_id=1, timezone="Asia/Shanghai", language="zh", active=True, created_at=NOW) for i in range(reps)]
        await conn.execute(insert(Member.__table__), members)
        await conn.execute(insert(Identity.__table__), [dict(member_id=m["id"], platform="console", platform_user_id=m["display_name"]) for m in members])
        customers = []
        for i in range(n_customers):
            bday = f"{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}" if rnd.random() < 0.3 else None
            lunar = f"{rnd.randint(1, 12):02d}-{rnd.randint(1, 30):02d}" if rnd.random() < 0.1 else None
            customers.append(dict(id=i + 1, team_id=1, owner_id=rnd.randint(2, reps + 1), name=f"客户{i}", aliases=[], tags=[], tier=rnd.choice(["important", "special", "general", "general"]), stage="potential", birthday=bday, lunar_birthday=lunar, created_at=NOW - dt.timedelta(days=800), updated_at=NOW))
        for k in range(0, len(customers), 20_000):
            await conn.execute(insert(Customer.__table__), customers[k : k + 20_000])
        batch = []
        for j in range(n_interactions):
            cid = rnd.randint(1, n_customers)
            at = NOW - dt.timedelta(minutes=rnd.randint(60, 720 * 24 * 60))
            won = rnd.random() < 0.05
            batch.append(dict(team_id=1, customer_id=cid, author_id=customers[cid - 1]["owner_id"], channel="call", text="bench note", occurred_at=at, risk=["complaint"] if rnd.random() < 0.01 else [], outcome="won" if won else None, amount=rnd.randint(1, 100) * 1000.0 if won else None, currency="CNY" if won else None, status="filed", created_at=at))
            if len(batch) == 50_000:
                await conn.execute(insert(Interaction.__table__), batch)
                batch = []
        if batch:
            await conn.execute(insert(Interaction.__table__), batch)
        # what crm.touch_customer keeps for each note filed: last and first contact, count, the last contact's risks
        await conn.execute(
            text(
                "UPDATE customer SET last_contact_at = (SELECT max(occurred_at) FROM interaction i WHERE i.customer_id = customer.id),"
                " first_contact_at = (SELECT min(occurred_at) FROM interaction i WHERE i.customer_id = customer.id),"
                " contact_count = (SELECT count(*) FROM interaction i WHERE i.customer_id = customer.id)"
            )
        )
        await conn.execute(
            text(
                "UPDATE customer SET last_risk = coalesce((SELECT i.risk FROM interaction i WHERE i.customer_id = customer.id"
                " AND i.occurred_at = customer.last_contact_at AND i.risk <> '[]' ORDER BY i.id DESC LIMIT 1), '[]')"
            )
        )
        tasks = [dict(team_id=1, customer_id=rnd.randint(1, n_customers), assignee_id=rnd.randint(2, reps + 1), text="follow up", due_at=NOW + dt.timedelta(hours=rnd.randint(-24 * 30, 24 * 30)), due_has_time=rnd.random() < 0.5, status="open", created_at=NOW) for _ in range(20_000)]
        await conn.execute(insert(Task.__table__), tasks)
    async with app.db.write() as session:
        await (await session.connection()).execute(text("ANALYZE"))


async def timed(label: str, coro) -> float:
    start = time.perf_counter()
    result = await coro
    took = time.perf_counter() - start
    print(f"  {label:<28} {took * 1000:8.0f} ms   ({result})")
    return took


async def main(n_customers: int, n_interactions: int, keep: str | None) -> None:
    data = Path(keep or tempfile.mkdtemp())
    fresh = not (data / "bench.db").exists()
    settings = Settings(database_url=f"sqlite:///{data}/bench.db", data_dir=data)
    app = build_app(settings, clock=lambda: NOW)
    if fresh:
        t0 = time.perf_counter()
        await seed(app, n_customers, n_interactions)
        print(f"seeded {n_customers:,} customers, {n_interactions:,} interactions, 20,000 tasks in {time.perf_counter() - t0:.0f} s ({data})")
        if keep:
            import shutil

            shutil.copy(data / "bench.db", data / "seeded.db")
    else:
        import shutil

        await app.db.dispose()
        shutil.copy(data / "seeded.db", data / "bench.db")
        for suffix in ("-wal", "-shm"):
            (data / f"bench.db{suffix}").unlink(missing_ok=True)
        app = build_app(settings, clock=lambda: NOW)
        print(f"reusing the seeded database in {data}")
    t0 = time.perf_counter()
    workdays.public_holidays(settings.holiday_country, NOW.year)  # once per process: loading the calendar
    import matplotlib.pyplot  # noqa: F401 - once per process: the weekly chart's import

    print(f"holiday calendar and matplotlib loaded in {(time.perf_counter() - t0) * 1000:.0f} ms (once per process, not counted below)")
    print(f"morning tick at {NOW.isoformat()}:")
    total = 0.0
    for label, scan in [("sweep", sweep.scan), ("follow-up reminders", followups.scan), ("overdue lists", overdue.scan), ("holiday greetings", greetings.scan_holidays), ("birthdays", greetings.scan_birthdays), ("nags (100k customers)", nags.scan), ("lifecycle (100k customers)", lifecycle.scan)]:
        total += await timed(label, scan(app, NOW))
    print(f"  {'total daily scans':<28} {total * 1000:8.0f} ms   target < 2000 ms")
    evening = NOW.replace(hour=9, minute=30)  # 17:30 in Shanghai
    await timed("evening digests", digests.scan(app, evening))
    await app.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--interactions", type=int, default=1_000_000)
    ap.add_argument("--keep", help="a directory to keep the seeded database in and reuse it from")
    args = ap.parse_args()
    asyncio.run(main(args.customers, args.interactions, args.keep))
