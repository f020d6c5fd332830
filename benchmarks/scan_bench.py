"""The daily scans over 100k customers and 1M interactions on SQLite (target: < 1 s in total; < 5 s at 1M / 10M, --teams).

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


from bot.settings import Settings  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from reminders import digests, followups, greetings, lifecycle, nags, overdue, sweep, workdays  # noqa: E402

NOW = dt.datetime(2027, 3, 1, 1, 30, tzinfo=dt.timezone.utc)  # Monday 09:30 in Shanghai


def _ts(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")  # as storage.types.UTCDateTime stores it


def seed_raw(path: str, team_sizes: list[int], n_interactions: int, reps_per_team: int = 50, records=None, tasks_per_customer: float = 0.2, seed: int = 7) -> dict:
    """Customers, interactions and open tasks written with raw sqlite3 (executemany; the interaction indexes
    dropped and rebuilt around the load) into a migrated database: 10M interactions in minutes, not hours.

    team_sizes: customers per team (teams 1..n, each with a manager and reps_per_team reps); records: optional
    CustomerRecord-like objects (name, company, aliases) for the customers' names, else 客户N. The contact figures
    crm.touch_customer keeps (first/last contact, count, last risk) are computed while the interactions stream by."""
    import json
    import sqlite3
    from array import array

    rnd = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -200000")
    n_customers = sum(team_sizes)
    team_of, owner_of, members, identities, teams = array("i"), array("i"), [], [], []
    member_id = 0
    for t, size in enumerate(team_sizes, start=1):
        teams.append((t, f"Team {t}", "Asia/Shanghai", "CN", _ts(NOW), 0, "{}"))
        member_id += 1
        boss = member_id
        members.append((boss, t, f"boss{t}", "manager", None, "Asia/Shanghai", "zh", 1, _ts(NOW)))
        reps = []
        for r in range(reps_per_team):
            member_id += 1
            reps.append(member_id)
            members.append((member_id, t, f"rep{t}.{r}", "rep", boss, "Asia/Shanghai", "zh", 1, _ts(NOW)))
        for _ in range(size):
            team_of.append(t)
            owner_of.append(rnd.choice(reps))
    identities = [(m[0], "console", m[2]) for m in members]
    conn.executemany("INSERT INTO team (id, name, timezone, holiday_country, created_at, customer_version, contact_plan) VALUES (?, ?, ?, ?, ?, ?, ?)", teams)
    conn.executemany("INSERT INTO member (id, team_id, display_name, role, manager_id, timezone, language, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", members)
    conn.executemany("INSERT INTO identity (member_id, platform, platform_user_id) VALUES (?, ?, ?)", identities)
    # interactions first (their figures go on the customer rows), with the table's indexes rebuilt after
    indexes = [sql for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'interaction' AND sql IS NOT NULL")]
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'interaction' AND sql IS NOT NULL").fetchall():
        conn.execute(f"DROP INDEX {name}")
    first, last, count, risky = array("d", [0.0]) * (n_customers + 1), array("d", [0.0]) * (n_customers + 1), array("i", [0]) * (n_customers + 1), set()
    base = NOW.timestamp()
    stamps: dict[int, str] = {}

    def rows():
        for _ in range(n_interactions):
            cid = rnd.randint(1, n_customers)
            minutes = rnd.randint(60, 720 * 24 * 60)
            at = base - minutes * 60
            won = rnd.random() < 0.05
            risk = rnd.random() < 0.01
            if count[cid] == 0 or at < first[cid]:
                first[cid] = at
            if at >= last[cid]:
                last[cid] = at
                if risk:
                    risky.add(cid)
                else:
                    risky.discard(cid)
            count[cid] += 1
            when = stamps.get(minutes)
            if when is None:
                when = stamps[minutes] = _ts(NOW - dt.timedelta(minutes=minutes))
            yield (team_of[cid - 1], cid, owner_of[cid - 1], "call", "bench note", when, '["complaint"]' if risk else "[]", "won" if won else None,
                   rnd.randint(1, 100) * 1000.0 if won else None, "CNY" if won else None, "filed", when)

    conn.executemany(
        "INSERT INTO interaction (team_id, customer_id, author_id, channel, text, occurred_at, risk, outcome, amount, currency, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows()
    )
    for sql in indexes:
        conn.execute(sql)

    def when(ts: float) -> str:
        return _ts(dt.datetime.fromtimestamp(ts, dt.timezone.utc))

    def customers():
        for i in range(1, n_customers + 1):
            bday = f"{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}" if rnd.random() < 0.3 else None
            lunar = f"{rnd.randint(1, 12):02d}-{rnd.randint(1, 30):02d}" if rnd.random() < 0.1 else None
            rec = records[i - 1] if records is not None else None
            name, company, aliases = (rec.name, rec.company, json.dumps(list(rec.aliases), ensure_ascii=False)) if rec else (f"客户{i}", None, "[]")
            seen = count[i] > 0
            yield (i, team_of[i - 1], owner_of[i - 1], name, company, aliases, "[]", rnd.choice(("important", "special", "general", "general")), "potential", bday, lunar,
                   _ts(NOW - dt.timedelta(days=800)), _ts(NOW), when(last[i]) if seen else None, when(first[i]) if seen else None, count[i], '["complaint"]' if i in risky else "[]")

    conn.executemany(
        "INSERT INTO customer (id, team_id, owner_id, name, company, aliases, tags, tier, stage, birthday, lunar_birthday, created_at, updated_at, last_contact_at,"
        " first_contact_at, contact_count, last_risk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        customers(),
    )
    n_tasks = int(n_customers * tasks_per_customer)
    conn.executemany(
        "INSERT INTO task (team_id, customer_id, assignee_id, text, due_at, due_has_time, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (team_of[cid - 1], cid, owner_of[cid - 1], "follow up", _ts(NOW + dt.timedelta(hours=rnd.randint(-24 * 30, 24 * 30))), rnd.random() < 0.5, "open", _ts(NOW))
            for cid in (rnd.randint(1, n_customers) for _ in range(n_tasks))
        ),
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return {"teams": len(team_sizes), "customers": n_customers, "interactions": n_interactions, "tasks": n_tasks, "members": len(members)}


CPU: list[float] = []  # CPU seconds of each timed scan (all threads: SQLite runs in aiosqlite's)


async def timed(label: str, coro) -> float:
    start, cpu = time.perf_counter(), time.process_time()
    result = await coro
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    CPU.append(cpu)
    print(f"  {label:<28} {took * 1000:8.0f} ms   {cpu * 1000:6.0f} ms CPU   ({result})")
    return took


def team_sizes_for(n_customers: int, teams: int) -> list[int]:
    """One team of min(100k, n) customers (the issue's big team), the rest spread evenly over the other teams."""
    if teams <= 1:
        return [n_customers]
    big = min(100_000, n_customers // 2)
    rest = n_customers - big
    return [big] + [rest // (teams - 1) + (1 if i < rest % (teams - 1) else 0) for i in range(teams - 1)]


def raw_floor(path: Path) -> float:
    """The raw floor beside the scans, seconds: raw sqlite3 making one pass over the columns they read
    (benchmarks/__main__.py's _scan_floor, the figure RESULTS.md quotes)."""
    from benchmarks.__main__ import _scan_floor

    return _scan_floor(path) / 1000


async def main(n_customers: int, n_interactions: int, keep: str | None, teams: int = 1, evening: bool = True) -> None:
    data = Path(keep or tempfile.mkdtemp())
    fresh = not (data / "seeded.db").exists()
    settings = Settings(database_url=f"sqlite:///{data}/bench.db", data_dir=data)
    import shutil

    if fresh:
        t0 = time.perf_counter()
        app = build_app(settings, clock=lambda: NOW)  # migrates the new file
        await app.close()
        sizes = team_sizes_for(n_customers, teams)
        seeded = seed_raw(str(data / "bench.db"), sizes, n_interactions, reps_per_team=50 if teams == 1 else max(5, 50 // teams))
        # the stages as yesterday's lifecycle scan left them: today's tick moves only what changed since
        app = build_app(settings, clock=lambda: NOW)
        await lifecycle.scan(app, NOW - dt.timedelta(days=1))
        await app.close()
        print(f"seeded {seeded} in {time.perf_counter() - t0:.0f} s ({data}); stages as of yesterday's lifecycle scan")
        shutil.copy(data / "bench.db", data / "seeded.db")
    for suffix in ("", "-wal", "-shm"):
        (data / f"bench.db{suffix}").unlink(missing_ok=True)
    shutil.copy(data / "seeded.db", data / "bench.db")
    app = build_app(settings, clock=lambda: NOW)
    t0 = time.perf_counter()
    workdays.public_holidays(settings.holiday_country, NOW.year)  # once per process: loading the calendar
    import matplotlib.pyplot  # noqa: F401 - once per process: the weekly chart's import

    print(f"holiday calendar and matplotlib loaded in {(time.perf_counter() - t0) * 1000:.0f} ms (once per process, not counted below)")
    print(f"morning tick at {NOW.isoformat()} ({n_customers:,} customers in {teams} team(s), {n_interactions:,} interactions):")
    total = 0.0
    CPU.clear()
    for label, scan in [("sweep", sweep.scan), ("follow-up reminders", followups.scan), ("overdue lists", overdue.scan), ("holiday greetings", greetings.scan_holidays), ("birthdays", greetings.scan_birthdays), ("nags", nags.scan), ("lifecycle", lifecycle.scan)]:
        total += await timed(label, scan(app, NOW))
    print(f"  {'total daily scans':<28} {total * 1000:8.0f} ms   {sum(CPU) * 1000:6.0f} ms CPU")
    floor = raw_floor(data / "seeded.db")
    print(f"  {'raw floor (one pass)':<28} {floor * 1000:8.0f} ms   ratio {total / floor if floor else 0:.1f}x")
    if evening:  # not part of the morning total (python -m benchmarks leaves it out: minutes at 1M customers)
        await timed("evening digests", digests.scan(app, NOW.replace(hour=9, minute=30)))  # 17:30 in Shanghai
    await app.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--interactions", type=int, default=1_000_000)
    ap.add_argument("--teams", type=int, default=1, help="teams: one of min(100k, half) customers, the rest spread over the others")
    ap.add_argument("--keep", help="a directory to keep the seeded database in and reuse it from")
    ap.add_argument("--no-evening", action="store_true", help="the morning tick only (the evening digests take minutes at 1M customers)")
    args = ap.parse_args()
    asyncio.run(main(args.customers, args.interactions, args.keep, args.teams, evening=not args.no_evening))
