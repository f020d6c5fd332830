"""Every benchmark of issues 8 and 17, with fixed sizes and seeds: one table, results/latest.json and RESULTS.md's table.

    uv run python -m benchmarks            # the issues' sizes (about 15 minutes on a loaded 2-core machine)
    uv run python -m benchmarks --quick    # smaller sizes, for a quick look (figures not comparable to targets)
    uv run python -m benchmarks --big      # … and a million customers over many teams (benchmarks/big_bench.py)

PostgreSQL is measured when CRMBOT_BENCH_POSTGRES_URL points at a server (e.g. postgresql://postgres@127.0.0.1:5432/test):
a fresh database is created next to the one named there and dropped afterwards.

Method: each timed figure is the median over repeated runs; wall time and CPU time (time.process_time, all
threads of the process; getrusage for subprocesses) are both reported, because on a shared machine the wall
time includes waiting for a core. Sizes and the machine (cores, load average, a Python speed calibration)
are written next to the figures.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import io
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
NOW = dt.datetime(2026, 11, 23, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def median(xs):
    return statistics.median(xs) if xs else None


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


class Table:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, figure: str, value, unit: str, target: str | None = None, met: bool | None = None, floor: str | None = None, ratio: float | None = None, **detail) -> None:
        """floor: the raw floor measured in the same run (what the database or interpreter alone does), ratio: value / floor."""
        self.rows.append({"figure": figure, "value": value, "unit": unit, "target": target, "met": met, "floor": floor, "ratio": ratio, **detail})
        shown = f"{value:,.3g}" if isinstance(value, float) and value < 100 else (f"{value:,.0f}" if isinstance(value, (int, float)) else str(value))
        mark = "" if met is None else ("✓" if met else "✗")
        print(f"  {figure:<58} {shown:>9} {unit:<8} {floor or '':<22} {f'{ratio}x' if ratio is not None else '':<7} {target or '':<16} {mark}", flush=True)


# ---- machine ---------------------------------------------------------------------------------------------------
def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    loops = []
    for _ in range(5):  # a fixed pure-Python loop: how fast this machine runs Python right now
        t = time.process_time()
        for _ in range(2000):
            sum(range(1000))
        loops.append((time.process_time() - t) / 2000 * 1e6)
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "sum_range_1000_us": round(median(loops), 1),
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


# ---- note understanding ---------------------------------------------------------------------------------------
def bench_parse(table: Table, sizes: list[int], notes: int, repeats: int) -> None:
    from handlers.understanding.matching import CustomerIndex
    from handlers.understanding.notes import NoteParser

    from .parse_bench import make_customers, make_notes

    for size in sizes:
        rng = random.Random(7)
        recs = make_customers(size, rng)
        texts = make_notes(recs, notes, rng)
        parser = NoteParser(CustomerIndex(recs))
        for text in texts[:50]:
            parser.parse(text, NOW)  # warm-up: regexes, caches
        p50s, p99s, c50s, c99s = [], [], [], []
        for _ in range(repeats):
            wall, cpu = [], []
            for text in texts:
                c, w = time.thread_time_ns(), time.perf_counter_ns()
                parser.parse(text, NOW)
                wall.append((time.perf_counter_ns() - w) / 1e6)
                cpu.append((time.thread_time_ns() - c) / 1e6)
            p50s.append(median(wall))
            p99s.append(pct(wall, 0.99))
            c50s.append(median(cpu))
            c99s.append(pct(cpu, 0.99))
        detail = dict(customers=size, notes=len(texts), repeats=repeats, cpu_p50_ms=round(median(c50s), 3), cpu_p99_ms=round(median(c99s), 3))
        big = size >= 100_000
        table.add(f"note understanding p50, {size:,} customers", round(median(p50s), 3), "ms", "< 2 ms" if big else None, median(p50s) < 2 if big else None, **detail)
        table.add(f"note understanding p99, {size:,} customers", round(median(p99s), 3), "ms", "< 10 ms" if big else None, median(p99s) < 10 if big else None, **detail)
        del parser, recs


# ---- memory ---------------------------------------------------------------------------------------------------
def _probe(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.rss_probe", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    return json.loads(out.splitlines()[-1]) if out else {}


def bench_memory(table: Table, customers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/rss.db"
        _probe("seed", url, str(customers))
        bot = _probe("bot", url)
    index = _probe("index", str(customers))
    big = customers >= 100_000
    table.add(f"RSS, bot process with {customers:,} customers indexed", bot["rss_mb"], "MB", "< 200 MB" if big else None, bot["rss_mb"] < 200 if big else None,
              peak_mb=bot["peak_mb"], build_s=bot["build_s"], how="build_app + the team's index from SQLite, gc, VmRSS")
    table.add(f"RSS, matching index only, {customers:,} customers", index["rss_mb"], "MB", None, None, peak_mb=index["peak_mb"], build_s=index["build_s"],
              how="a process holding only NoteParser(CustomerIndex(records))")


# ---- end to end -----------------------------------------------------------------------------------------------
def _pg_database(admin_url: str):
    """A fresh database on the server of admin_url (created here, dropped by the caller)."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"crmbot_bench_{uuid.uuid4().hex[:8]}"
    base = make_url(admin_url)
    dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return base.set(database=name).render_as_string(hide_password=False), drop


def bench_e2e(table: Table, notes: int, repeats: int) -> None:
    """Notes/s through handlers.router.handle beside raw sqlite3 / psycopg writing the same rows, interleaved."""
    from . import e2e_bench

    backends = [("SQLite", e2e_bench.sqlite_url, 600, 4)]
    if os.environ.get("CRMBOT_BENCH_POSTGRES_URL"):
        backends.append(("PostgreSQL", e2e_bench.postgres_url(os.environ["CRMBOT_BENCH_POSTGRES_URL"]), 300, 3))
    for label, fresh_url, rate_target, ratio_target in backends:
        r = e2e_bench.paired(fresh_url, notes, repeats)
        met = r["notes_per_s"] >= rate_target and r["ratio"] <= ratio_target
        table.add(f"end to end, {label}, 1k customers", r["notes_per_s"], "notes/s", f">= {rate_target}/s, <= {ratio_target}x", met,
                  floor=f"{r['floor_notes_per_s']:,.0f}/s raw", customers=1000, **r)


def bench_console(table: Table, notes: int, repeats: int) -> None:
    """Notes piped into `crmbot chat` (start-up subtracted) beside raw sqlite3 writing inbox, note, task, outbox."""
    from . import console_bench

    r = console_bench.run(long=notes, repeats=repeats)
    table.add("console pipe (`crmbot chat` on stdin), per note", r["ms_per_note"], "ms", "<= 4x floor", r["ratio"] <= 4, floor=f"{r['floor_ms_per_note']} ms raw", **r)


# ---- delivery and scans (the scheduler's own benchmarks, run as they are) --------------------------------------
def _captured(fn, *args) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        asyncio.run(fn(*args))
    return buf.getvalue()


def _number(pattern: str, text: str) -> float | None:
    m = re.search(pattern, text)
    return float(m.group(1).replace(",", "")) if m else None


def bench_delivery(table: Table, n: int, chats: int) -> None:
    from storage.db import migrate

    from . import delivery_bench

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/delivery.db"
        migrate(url)
        cpu = time.process_time()
        out = _captured(delivery_bench.main, url, n, chats)
        cpu = time.process_time() - cpu
    rate = _number(r"→\s+([\d.]+) msg/s", out)
    violations, dupes, missing = (None if v is None else int(v) for v in (_number(p, out) for p in (r"limit violations: (\d+)", r"duplicates: (\d+)", r"missing: (\d+)")))
    share = rate / 30 * 100 if rate is not None else None
    ok = share is not None and share >= 90 and violations == 0 and dupes == 0 and missing == 0
    table.add(f"delivery, {n:,} reminders: share of 30 msg/s", round(share, 1) if share is not None else "n/a", "%", ">= 90%, 0/0", ok,
              msg_per_s=rate, violations=violations, duplicates=dupes, missing=missing, wall_s=_number(r"wall time[^:]*: ([\d.]+) s", out),
              cpu_s=round(cpu, 1), chats=chats, output=out.strip().splitlines())


def bench_scan(table: Table, customers: int, interactions: int) -> None:
    from . import scan_bench

    with tempfile.TemporaryDirectory() as tmp:
        out = _captured(scan_bench.main, customers, interactions, tmp, 1, False)
        floor_ms = _scan_floor(Path(tmp) / "seeded.db")
    total, cpu = _number(r"total daily scans\s+(\d+) ms", out), _number(r"total daily scans\s+\d+ ms\s+(\d+) ms CPU", out)
    big = customers >= 100_000
    table.add(f"daily scans, {customers:,} customers / {interactions:,} interactions", total / 1000 if total else "n/a", "s", "< 1 s" if big else None,
              (total is not None and total < 1000) if big else None, floor=f"{floor_ms / 1000:.2f} s raw pass", ratio=round(total / floor_ms, 1) if total and floor_ms else None,
              cpu_s=cpu / 1000 if cpu else None, output=out.strip().splitlines())


def _scan_floor(path: Path) -> float:
    """The raw floor of a day's scans: one pass of raw sqlite3 over the columns they read (customers' contact
    figures, tiers, birthdays; open tasks), ms."""
    import sqlite3

    conn = sqlite3.connect(path)
    start = time.perf_counter()
    conn.execute("SELECT count(*), max(last_contact_at), max(first_contact_at), sum(contact_count), max(tier), max(birthday), max(lunar_birthday), max(last_risk) FROM customer").fetchall()
    conn.execute("SELECT count(*), max(due_at) FROM task WHERE status = 'open'").fetchall()
    took = (time.perf_counter() - start) * 1000
    conn.close()
    return took


# ---- cold start -----------------------------------------------------------------------------------------------
def _bytecode_env(tmp: str) -> dict:
    """The environment of an installed crmbot: bytecode compiled once (`uv sync --compile-bytecode`, UV_COMPILE_BYTECODE=1)
    and kept. Here it is kept under a private prefix, warmed by a first run, because this machine may set
    PYTHONDONTWRITEBYTECODE (then every start compiles every module again: several seconds)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
    return env


def _interpreter_start(repeats: int) -> float:
    """The floor of any start-up: this Python starting and doing nothing (`python -c pass`), median wall seconds."""
    walls = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        walls.append(time.perf_counter() - start)
    return median(walls)


def bench_cold_start(table: Table, customers: int, repeats: int) -> None:
    from .import_bench import GIVEN, SURNAMES

    rng = random.Random(5)
    exe = Path(sys.executable).with_name("crmbot")
    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / "customers.csv"
        lines = ["客户名称,公司,手机"] + [f"{(n := rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN))},{n[0]}氏公司{i},139{i:08d}" for i in range(customers)]
        sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
        note = f"拜访了{lines[1].split(',')[0]}，下周三前发报价"
        cmd = [str(exe), "parse", "--customers", str(sheet), note]
        env = _bytecode_env(tmp)
        subprocess.run(cmd, capture_output=True, check=True, env=env)  # the first run compiles and warms the OS file cache
        walls, cpus = [], []
        for _ in range(repeats):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True, env=env)
            walls.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    floor = _interpreter_start(repeats)
    wall = median(walls)
    table.add(f"`crmbot parse` one note, {customers:,} customers in a CSV", round(wall, 2), "s", "< 0.5 s", wall < 0.5, floor=f"{floor:.3f} s `python -c pass`",
              ratio=round(wall / floor, 1), cpu_s=round(median(cpus), 2), runs=[round(w, 2) for w in walls], how="the console script in a new process, import to answer")


def bench_chat_start(table: Table, repeats: int) -> None:
    """`crmbot chat` on a database at the current schema, until its prompt is printed: wall, and the process's CPU
    then (from /proc). The schema check reads the version without alembic (storage/schema_version.py)."""
    exe = Path(sys.executable).with_name("crmbot")
    tick = os.sysconf("SC_CLK_TCK")
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/chat.db"
        env = {**_bytecode_env(tmp), "CRMBOT_DATA_DIR": str(Path(tmp) / "data")}
        subprocess.run([str(exe), "chat", "--db", db], input=b"/quit\n", capture_output=True, check=True, env=env)  # creates and migrates
        walls, cpus = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            proc = subprocess.Popen([str(exe), "chat", "--db", db], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
            seen = b""
            while b"you>" not in seen:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                seen += chunk
            walls.append(time.perf_counter() - start)
            with open(f"/proc/{proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpus.append((int(fields[11]) + int(fields[12])) / tick)
            proc.communicate(b"/quit\n")
    floor = _interpreter_start(repeats)
    wall = median(walls)
    table.add("`crmbot chat` to its prompt, current schema", round(wall, 2), "s", "< 1 s", wall < 1, floor=f"{floor:.3f} s `python -c pass`", ratio=round(wall / floor, 1),
              cpu_s=round(median(cpus), 2), runs=[round(w, 2) for w in walls], bytecode="compiled once, kept")


# ---- history: the open typed question's lookup ------------------------------------------------------------------
def bench_history(table: Table) -> None:
    """SQLite virtual-machine steps of the open-question lookup with 0 and 100k past prompts (work, not time)."""
    import sqlite3

    from storage import messaging
    from storage.db import migrate

    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/history.db"
        migrate(f"sqlite:///{path}")
        conn = sqlite3.connect(path)
        stamp = "2027-03-01 02:00:00.000000"
        params = {"member_id": 1, "platform": "console", "chat_id": "console:me", "since": "2027-03-01 01:30:00.000000"}
        insert = "INSERT INTO prompt (id, member_id, platform, chat_id, kind, data, status, created_at) VALUES (?, 1, 'console', ?, ?, '{}', ?, ?)"
        conn.execute(insert, ("open-one", "console:me", "name_customer", "open", stamp))
        conn.commit()

        def steps() -> int:
            count = 0

            def tick() -> int:
                nonlocal count
                count += 1
                return 0

            conn.set_progress_handler(tick, 1)
            conn.execute(messaging._OPEN_TEXT_PROMPT, params).fetchall()
            conn.set_progress_handler(None, 1)
            return count

        before = steps()
        kinds = [("filed", "open"), ("name_customer", "answered"), ("change_date", "expired"), ("filed", "answered")]
        conn.executemany(insert, ((f"past{i}", "console:me" if i % 2 else "console:other", *kinds[i % 4], "2027-01-01 00:00:00.000000") for i in range(100_000)))
        conn.commit()
        conn.execute("ANALYZE")
        after = steps()
        conn.close()
    table.add("open question lookup, 100k past prompts (SQLite VM steps)", after, "steps", "same as with 0", after == before, floor=f"{before} steps with 0", ratio=round(after / before, 2) if before else None)


# ---- a million customers (--big) -----------------------------------------------------------------------------------
def bench_big(table: Table, customers: int, teams: int, interactions: int, keep: str | None) -> None:
    from . import big_bench

    r = big_bench.run(customers, teams, interactions, Path(keep) if keep else None)
    where = f"{customers:,} customers, {teams} teams"
    floors = r.get("floors", {})
    table.add(f"RSS of a serving process, {where}", r["rss_mb"], "MB", "< 400 MB", r["rss_mb"] < 400, floor=f"{r['rss_start_mb']} MB before any index",
              ratio=round(r["rss_mb"] / r["rss_start_mb"], 1), peak_mb=r["peak_mb"], indexes_held=r["indexes_held"], customers_indexed=r["customers_indexed"])
    table.add(f"index ready, the {r['big_team_customers']:,}-customer team", r["index_build_s"], "s", "< 5 s", r["index_build_s"] < 5,
              floor=f"{floors.get('read_team_s', '?')} s raw read", ratio=round(r["index_build_s"] / floors["read_team_s"], 1) if floors.get("read_team_s") else None, cpu_s=r["index_build_cpu_s"])
    for who in ("admin", "rep"):
        p99 = r[f"parse_{who}_p99_cpu_ms"]
        table.add(f"parse p99 CPU, {who}, the {r['big_team_customers']:,}-customer team", p99, "ms", "< 10 ms", p99 < 10, cpu_p50_ms=r[f"parse_{who}_p50_cpu_ms"])
    table.add(f"/find p99, the {r['big_team_customers']:,}-customer team", r["find_p99_ms"], "ms", "< 100 ms", r["find_p99_ms"] < 100, floor=f"{floors.get('find_p99_ms', '?')} ms raw SQL",
              ratio=round(r["find_p99_ms"] / floors["find_p99_ms"], 1) if floors.get("find_p99_ms") else None, cpu_p99_ms=r["find_p99_cpu_ms"], p50_ms=r["find_p50_ms"])
    scans = r.get("scans_s")
    table.add(f"daily scans, {customers:,} customers / {interactions:,} interactions", scans if scans is not None else "n/a", "s", "< 5 s", scans is not None and scans < 5,
              floor=f"{floors.get('scan_pass_s', '?')} s raw pass", ratio=round(scans / floors["scan_pass_s"], 1) if scans and floors.get("scan_pass_s") else None,
              cpu_s=r.get("scans_cpu_s"), output=r.get("scan_output"))


# ---- import ---------------------------------------------------------------------------------------------------
def bench_import(table: Table, rows: int, repeats: int) -> None:
    from . import import_bench

    runs = []
    for _ in range(repeats):
        cpu = time.process_time()
        result = asyncio.run(import_bench.run(rows))
        result["cpu_s"] = round(time.process_time() - cpu, 1)
        runs.append(result)
    seconds = median([r["seconds"] for r in runs])
    big = rows >= 100_000
    table.add(f"import {rows:,} CSV rows with duplicates", seconds, "s", "< 60 s" if big else None, seconds < 60 if big else None,
              imported=runs[0]["imported"], merged=runs[0]["merged"], rejected=runs[0]["rejected"], cpu_s=median([r["cpu_s"] for r in runs]), runs=[r["seconds"] for r in runs])


# ---- output ---------------------------------------------------------------------------------------------------
TOP_END = "\n## "  # RESULTS.md: the generated table is everything before the first section heading (sections are hand-written)


def write_markdown(path: Path, data: dict) -> None:
    """The table at the top of RESULTS.md, replaced; the sections below it (written by hand, per issue) are kept."""
    m = data["machine"]
    flags = " ".join(f for f, on in (("--quick", data["quick"]), ("--big", data.get("big"))) if on)
    lines = [
        "# Benchmark results",
        "",
        f"`uv run python -m benchmarks{' ' + flags if flags else ''}` at {m['at']} (commit {data['commit']}){', PostgreSQL included' if data.get('postgres') else ''}.",
        "",
        f"Machine: {m['cores']} cores ({m['cpu'] or 'unknown CPU'}), Python {m['python']}; load average {m['load_average_start']} at the start,"
        f" {m['load_average']} at the end (other suites were running). Python speed right then: `sum(range(1000))` took"
        f" {m['sum_range_1000_us']} µs of CPU (a typical modern laptop core: about 10–15 µs). Timed figures are medians over repeated"
        " runs; each floor is measured in the same run (raw sqlite3 / psycopg doing the same rows, the bare interpreter's start,"
        " the process before any index); ratio = value / floor. See benchmarks/__main__.py.",
        "",
        "| figure | value | raw floor | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in data["figures"]:
        value = f"{r['value']:,}" if isinstance(r["value"], (int, float)) else r["value"]
        met = "" if r["met"] is None else ("✓" if r["met"] else "✗")
        extra = []
        for k in ("cpu_p50_ms", "cpu_p99_ms", "cpu_ms_per_note", "floor_cpu_ms_per_note", "cpu_s", "peak_mb", "violations", "duplicates", "msg_per_s"):
            if r.get(k) is not None:
                extra.append(f"{k.replace('_', ' ')} {r[k]}")
        ratio = f"{r['ratio']}×" if r.get("ratio") is not None else ""
        lines.append(f"| {r['figure']} | {value} {r['unit']}{' (' + ', '.join(extra) + ')' if extra else ''} | {r.get('floor') or ''} | {ratio} | {r['target'] or ''} | {met} |")
    lines.append("")
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    rest = old[old.index(TOP_END) + 1 :] if TOP_END in old else ""
    path.write_text("\n".join(lines) + ("\n" + rest if rest else ""), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a quick look; not the issue's sizes)")
    ap.add_argument("--only", help="comma-separated: parse,memory,cold,chat,history,e2e,console,delivery,import,scan,big")
    ap.add_argument("--big", action="store_true", help="also a million customers over many teams (benchmarks/big_bench.py)")
    ap.add_argument("--big-customers", type=int, default=1_000_000)
    ap.add_argument("--big-teams", type=int, default=91)
    ap.add_argument("--big-interactions", type=int, default=10_000_000)
    ap.add_argument("--big-dir", help="seed the big database here once and reuse it (seeding 10M interactions takes many minutes)")
    ap.add_argument("--no-write", action="store_true", help="print only: leave RESULTS.md as it is")
    args = ap.parse_args()
    q = args.quick
    only = set(args.only.split(",")) if args.only else None
    sys.path.insert(0, str(ROOT))
    info = machine()
    info["load_average_start"] = info["load_average"]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    print(f"machine: {info['cores']} cores, {info['cpu']}, load {info['load_average']}, sum(range(1000)) {info['sum_range_1000_us']} µs; commit {commit}")
    print(f"  {'figure':<58} {'value':>9} {'unit':<8} {'raw floor':<22} {'ratio':<7} {'target':<16} met")
    table = Table()
    steps = [
        ("parse", lambda: bench_parse(table, [1_000, 10_000] if q else [1_000, 10_000, 100_000], 200 if q else 400, 3)),
        ("memory", lambda: bench_memory(table, 10_000 if q else 100_000)),
        ("cold", lambda: bench_cold_start(table, 1_000, 5 if q else 9)),
        ("chat", lambda: bench_chat_start(table, 3 if q else 7)),
        ("history", lambda: bench_history(table)),
        ("e2e", lambda: bench_e2e(table, 300 if q else 1_000, 2 if q else 3)),
        ("console", lambda: bench_console(table, 100 if q else 600, 1 if q else 3)),
        ("delivery", lambda: bench_delivery(table, 2_000 if q else 10_000, 400 if q else 2_000)),
        ("import", lambda: bench_import(table, 10_000 if q else 100_000, 1 if q else 3)),
        ("scan", lambda: bench_scan(table, 10_000 if q else 100_000, 100_000 if q else 1_000_000)),
    ]
    if args.big:
        steps.append(("big", lambda: bench_big(table, args.big_customers, args.big_teams, args.big_interactions, args.big_dir)))
    data: dict = {"quick": q, "big": args.big, "commit": commit, "machine": info, "figures": table.rows}
    for name, step in steps:
        if only and name not in only:
            continue
        try:
            step()
        except Exception as error:  # one broken benchmark must not hide the others' figures
            table.add(f"{name}: failed", f"{type(error).__name__}: {error}"[:200], "", None, False)
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
        data = {"quick": q, "big": args.big, "postgres": bool(os.environ.get("CRMBOT_BENCH_POSTGRES_URL")), "commit": commit, "machine": info, "figures": table.rows}
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "latest.json").write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")  # after each step: a cut-off run keeps what it measured
    if not only and not args.no_write:
        write_markdown(ROOT / "benchmarks" / "RESULTS.md", data)
    print(f"wrote {RESULTS / 'latest.json'}" + ("" if only or args.no_write else " and the table of benchmarks/RESULTS.md"))


if __name__ == "__main__":
    main()
