"""1 vs 3 replicas on PostgreSQL (issue 18): notes/s through the router path with ingress spread over the
replicas, delivery throughput, and failover time when the scheduler-lease holder is killed; each beside a
floor measured in the same run.

Replicas are real `crmbot run` processes (tests/fakes/fleet.py: Telegram webhook and Slack HTTP in front of
the fakes, one PostgreSQL database each configuration, made by the migrations). This process plays the
platforms and the people, so it shares the machine's cores with the replicas and the database.

- notes: NOTES notes from CHATS chats (half Telegram, half Slack), each chat's next note sent once the
  previous one was acked, round-robin over the replicas; notes/s = NOTES / (first send → last note filed,
  polled in the database). Floor: raw psycopg writing the same rows as a note (benchmarks/raw_floor.py's
  statements, one transaction per note) with as many connections as replicas, on a database of its own.
- delivery: PUSHES messages queued straight into the outbox for PUSH_CHATS Telegram chats; rows/s = PUSHES /
  (queued → the fake received the last). Telegram allows 30 a second per bot (and 1 a second per chat), so
  that is the ceiling; the floor beside it is raw psycopg doing the bookkeeping of the same rows (claim with
  SKIP LOCKED, mark sent), to show what the database costs of it.
- failover (3 replicas): SIGKILL the scheduler-lease holder; the time from the kill (clock_timestamp()) to the
  first poll (every 50 ms) that sees a survivor hold the lease (pg_locks), both PostgreSQL's clock: an upper
  bound (a survivor's lock connection may predate the kill, so its backend_start is no acquisition time). Floor: a process holding a raw
  advisory lock SIGKILLed while another connection blocks on that lock: how long PostgreSQL takes to free it.
  crmbot's survivors try for a free lease every 5 s (runner.serve's lease_retry_seconds).

- order waits: a chat's note handled on one replica while its earlier note is still being handled on another
  waits for it; the waiter is woken by NOTIFY at that note's commit (storage/inbox_notify.py). `--inbox-poll`
  runs the replicas without listening, so they poll (2 ms doubling to 100 ms) as before; interleave runs with
  and without it to compare (the writers still send the NOTIFY either way).

    CRMBOT_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test uv run python -m benchmarks.replicas_bench [--inbox-poll]
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.fakes.fleet import Fleet, chats, dsn, lease_holder, note_text, query, seed, until

from .__main__ import _pg_database
from .raw_floor import _INTERACTION, _SELECTS, _WRITES, _params, _seed_sql, write_note_pg

NOTES, CHATS = 400, 40
PUSHES, PUSH_CHATS = 300, 150
TELEGRAM_PER_BOT = 30  # messages a second


def _migrated(admin_url: str):
    from storage.db import migrate

    url, drop = _pg_database(admin_url)
    migrate(url)
    return url, drop


# --- the floors --------------------------------------------------------------------------------------------
def notes_floor(admin_url: str, notes: int, writers: int) -> dict:
    """Raw psycopg writing a note's rows, `writers` connections at once, `notes` in all."""
    import psycopg

    url, drop = _migrated(admin_url)
    try:
        def pg(sql: str) -> str:
            import re

            return re.sub(r":(\w+)", r"%(\1)s", sql)

        utc = dt.datetime.now(dt.timezone.utc)
        with psycopg.connect(dsn(url)) as conn, conn.transaction():
            for sql, params in _seed_sql(1000):
                conn.execute(pg(sql), {k: (v.replace(tzinfo=dt.timezone.utc) if isinstance(v, dt.datetime) else v) for k, v in params.items()})
        selects, interaction, writes = [pg(s) for s in _SELECTS], pg(_INTERACTION), [pg(s) for s in _WRITES]

        def write(w: int) -> None:
            with psycopg.connect(dsn(url)) as conn:
                for i in range(w, notes, writers):
                    write_note_pg(conn, _params(i, 1, 1, 1 + i % 1000, utc), selects, interaction, writes)

        elapsed = _threads_timed(write, writers)
        return {"notes": notes, "writers": writers, "seconds": round(elapsed, 2), "notes_per_s": round(notes / elapsed, 1)}
    finally:
        drop()


def _threads_timed(target, n: int) -> float:
    """Seconds for n threads running target(0..n-1) to finish."""
    threads = [threading.Thread(target=target, args=(w,)) for w in range(n)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def delivery_floor(admin_url: str, rows: int, workers: int) -> dict:
    """Raw psycopg doing delivery's bookkeeping for `rows` outbox rows: claim a batch with SKIP LOCKED, mark each sent."""
    import psycopg

    url, drop = _migrated(admin_url)
    try:
        now = dt.datetime.now(dt.timezone.utc)
        with psycopg.connect(dsn(url)) as conn, conn.transaction():
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO outbox (key, kind, platform, chat_id, chat_kind, body, status, due_at, attempts, late, created_at) "
                    "VALUES (%s, 'reminder', 'telegram', %s, 'private', '{\"text\": \"x\"}', 'pending', %s, 0, false, %s)",
                    [(f"floor:{i}", str(i % PUSH_CHATS), now, now) for i in range(rows)],
                )

        def work(w: int) -> None:
            with psycopg.connect(dsn(url), autocommit=True) as conn:
                while True:
                    with conn.transaction():
                        ids = [r[0] for r in conn.execute(
                            "UPDATE outbox SET status = 'sending', claimed_by = %s, claimed_at = now(), attempts = attempts + 1 WHERE id IN "
                            "(SELECT id FROM outbox WHERE status = 'pending' AND due_at <= now() ORDER BY due_at, id LIMIT 100 FOR UPDATE SKIP LOCKED) RETURNING id",
                            (f"w{w}",),
                        ).fetchall()]
                    if not ids:
                        return
                    for row_id in ids:
                        conn.execute("UPDATE outbox SET status = 'sent', sent_at = now() WHERE id = %s", (row_id,))

        elapsed = _threads_timed(work, workers)
        return {"rows": rows, "workers": workers, "seconds": round(elapsed, 3), "rows_per_s": round(rows / elapsed, 1)}
    finally:
        drop()


async def failover_floor(admin_url: str) -> dict:
    """A process holding an advisory lock is SIGKILLed; another connection blocked on the lock gets it: how long."""
    import psycopg

    url, drop = _pg_database(admin_url)
    try:
        holder = await asyncio.create_subprocess_exec(
            sys.executable, "-c",
            "import psycopg, sys, time\nc = psycopg.connect(sys.argv[1], autocommit=True)\nc.execute('SELECT pg_advisory_lock(42)')\nprint('held', flush=True)\ntime.sleep(600)",
            dsn(url), stdout=asyncio.subprocess.PIPE,
        )
        assert holder.stdout is not None
        assert (await holder.stdout.readline()).strip() == b"held"
        async with await psycopg.AsyncConnection.connect(dsn(url), autocommit=True) as waiter:
            [[killed_at]] = await query(url, "SELECT clock_timestamp()")
            waiting = asyncio.create_task(waiter.execute("SELECT pg_advisory_lock(42)"))
            holder.kill()
            await waiting
            [[got_at]] = await (await waiter.execute("SELECT clock_timestamp()")).fetchall()
        await holder.wait()
        return {"seconds": round((got_at - killed_at).total_seconds(), 3)}
    finally:
        drop()


# --- crmbot ------------------------------------------------------------------------------------------------
async def fleet_run(admin_url: str, replicas: int, notes: int, chat_count: int, pushes: int, kill: bool, sticky: bool = False, inbox_poll: bool = False) -> dict:
    url, drop = _migrated(admin_url)
    people = chats(chat_count)
    per_chat = notes // chat_count
    out: dict = {"replicas": replicas, "notes": notes, "chats": chat_count, "ingress": "sticky" if sticky else "round-robin", "order_waits": "poll" if inbox_poll else "notify"}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            await seed(url, Path(tmp), people)
            async with Fleet(url, Path(tmp), extra_env={"REPLICA_TEST_INBOX_POLL": "1"} if inbox_poll else {}) as fleet:
                fleet.tick_seconds = 60.0  # the production tick: the scheduler's own work out of the way
                fleet.lease_seconds = 60.0  # the production outbox lease
                fleet.prepare(people)
                await fleet.start(replicas)
                await until(lambda: lease_holder(url, "scheduler"), 120, "the scheduler lease taken")

                # notes through the router path, ingress spread over the replicas
                async def chat_says(k: int) -> None:
                    for i in range(per_chat):
                        await fleet.say(people[k], note_text(people[k], i), first=k if sticky else k + i)  # sticky: a chat always to one replica

                async def filed() -> bool:
                    [[n]] = await query(url, "SELECT count(*) FROM interaction")
                    return n >= notes

                cpu_before = _cpu_seconds(fleet)
                start = time.perf_counter()
                await asyncio.gather(*(chat_says(k) for k in range(chat_count)))
                out["acked_s"] = round(time.perf_counter() - start, 2)
                await until(filed, 600, "every note filed", every=0.05)
                out["filed_s"] = round(time.perf_counter() - start, 2)
                out["notes_per_s"] = round(notes / out["filed_s"], 1)
                out["replica_cpu_ms_per_note"] = round(1000 * (_cpu_seconds(fleet) - cpu_before) / notes, 2)  # all replicas' CPU, filing and sending

                def confirmations() -> int:
                    return sum(1 for _, _, text, _ in fleet.sends() if text.startswith("✓"))

                async def replied() -> bool:
                    return confirmations() >= notes

                await until(replied, 600, "every reply sent", every=0.05)
                out["replied_s"] = round(time.perf_counter() - start, 2)

                # delivery: pushes queued straight into the outbox, Telegram chats
                telegram_before = len([c for c in fleet.telegram.calls if c.method == "sendMessage"])
                [[now]] = await query(url, "SELECT now()")
                rows = [(f"bench:push:{i}", str(900_001 + i % PUSH_CHATS), json.dumps({"text": f"push {i}"}), now, now) for i in range(pushes)]
                start = time.perf_counter()
                import psycopg

                async with await psycopg.AsyncConnection.connect(dsn(url), autocommit=True) as conn:
                    async with conn.cursor() as cur:
                        await cur.executemany(
                            "INSERT INTO outbox (key, kind, platform, chat_id, chat_kind, body, status, due_at, attempts, late, created_at) "
                            "VALUES (%s, 'reminder', 'telegram', %s, 'private', %s, 'pending', %s, 0, false, %s)",
                            rows,
                        )

                async def pushed() -> bool:
                    return len([c for c in fleet.telegram.calls if c.method == "sendMessage"]) - telegram_before >= pushes

                await until(pushed, 600, "every push sent", every=0.05)
                out["pushes"] = pushes
                out["delivery_s"] = round(time.perf_counter() - start, 2)
                out["delivery_per_s"] = round(pushes / out["delivery_s"], 1)
                sent = [str(c.params.get("text", "")) for c in fleet.telegram.calls if c.method == "sendMessage" and str(c.params.get("text", "")).startswith("push ")]
                out["push_doubled"] = len(sent) - len(set(sent))

                if kill:
                    worker, _ = await lease_holder(url, "scheduler")  # type: ignore[misc]
                    victim = next(r for r in fleet.replicas if worker.endswith(f":{r.pid}"))
                    [[killed_at]] = await query(url, "SELECT clock_timestamp()")
                    fleet.kill(victim)

                    async def moved():
                        found = await lease_holder(url, "scheduler")
                        if found is None or found[0] == worker:
                            return None
                        [[seen]] = await query(url, "SELECT clock_timestamp()")
                        return seen

                    seen_at = await until(moved, 120, "the scheduler lease moving", every=0.05)
                    out["failover_s"] = round((seen_at - killed_at).total_seconds(), 2)
        finally:
            drop()
    return out


def _cpu_seconds(fleet: Fleet) -> float:
    """User + system CPU of the fleet's live replica processes so far (/proc; Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for replica in fleet.replicas:
        if replica.alive:
            fields = Path(f"/proc/{replica.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


async def main_async(admin_url: str, notes: int, chat_count: int, pushes: int, inbox_poll: bool = False) -> dict:
    result: dict = {"commit": _git_commit(), "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "load_average_start": [round(x, 2) for x in os.getloadavg()], "cores": os.cpu_count()}
    for replicas in (1, 3):
        print(f"{replicas} replica(s) …", flush=True)
        run = await fleet_run(admin_url, replicas, notes, chat_count, pushes, kill=replicas > 1, inbox_poll=inbox_poll)
        run["notes_floor"] = await asyncio.to_thread(notes_floor, admin_url, notes, replicas)
        run["delivery_floor"] = await asyncio.to_thread(delivery_floor, admin_url, pushes, replicas)
        run["load_average"] = [round(x, 2) for x in os.getloadavg()]
        result[f"replicas_{replicas}"] = run
        print(json.dumps(run, ensure_ascii=False), flush=True)
    result["failover_floor"] = await failover_floor(admin_url)
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


async def sticky_async(admin_url: str, notes: int, chat_count: int, pushes: int) -> dict:
    """3 replicas, a chat's notes always to the same replica (a load balancer routing by chat): what spreading a
    chat over the replicas costs, beside the round-robin figures."""
    result: dict = {"commit": _git_commit(), "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "load_average_start": [round(x, 2) for x in os.getloadavg()]}
    result["replicas_3_sticky"] = await fleet_run(admin_url, 3, notes, chat_count, pushes, kill=False, sticky=True)
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=NOTES)
    parser.add_argument("--chats", type=int, default=CHATS)
    parser.add_argument("--pushes", type=int, default=PUSHES)
    parser.add_argument("--sticky-only", action="store_true", help="only 3 replicas with each chat's notes always to the same replica (no cross-replica wait for per-chat order)")
    parser.add_argument("--inbox-poll", action="store_true", help="replicas poll for a chat's earlier note instead of being woken by NOTIFY (how it was before)")
    args = parser.parse_args(argv)
    admin_url = os.environ.get("CRMBOT_BENCH_POSTGRES_URL")
    if not admin_url:
        print("set CRMBOT_BENCH_POSTGRES_URL (a PostgreSQL server; a fresh database is made per run)", file=sys.stderr)
        return 2
    if args.sticky_only:
        result = asyncio.run(sticky_async(admin_url, args.notes, args.chats, args.pushes))
    else:
        result = asyncio.run(main_async(admin_url, args.notes, args.chats, args.pushes, args.inbox_poll))
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
