"""Notes piped into `crmbot chat --demo` on stdin, beside raw sqlite3 writing a note's rows.

Start-up is subtracted: the chat runs once with SHORT notes and once with SHORT + LONG, each on a fresh
data directory, and the difference in wall (and CPU) time is what LONG notes cost. The floor is raw
sqlite3 writing an inbox row, an interaction, a task and an outbox row per note, one transaction each
(raw_floor.py writes the full set of a note's rows; this is the issue's narrower console floor).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.demo import CUSTOMERS

TEMPLATES = ["拜访了{n}，下周三前发报价", "给{n}打电话，他说明天下午3点再聊", "{n}微信说货款要拖到月底", "{n}来电确认订单，3万元"]


def _notes(count: int) -> str:
    names = [c[0] for c in CUSTOMERS]
    return "".join(TEMPLATES[i % len(TEMPLATES)].format(n=names[i % len(names)]) + "\n" for i in range(count)) + "/quit\n"


def _chat(notes: int) -> tuple[float, float]:
    """(wall s, CPU s) of one `crmbot chat --demo` reading ``notes`` notes from stdin, fresh data dir."""
    exe = Path(sys.executable).with_name("crmbot")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CRMBOT_DATA_DIR": tmp, "CRMBOT_DATABASE_URL": f"sqlite:///{tmp}/chat.db"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([str(exe), "chat", "--demo"], input=_notes(notes), text=True, env=env, capture_output=True, check=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def floor(notes: int) -> float:
    """Seconds raw sqlite3 takes to write an inbox row, an interaction, a task and an outbox row per note."""
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(f"{tmp}/floor.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE inbox (id INTEGER PRIMARY KEY, key TEXT UNIQUE, payload TEXT, status TEXT, received_at TEXT)")
        conn.execute("CREATE TABLE interaction (id INTEGER PRIMARY KEY, customer_id INTEGER, text TEXT, occurred_at TEXT, source_key TEXT UNIQUE)")
        conn.execute("CREATE TABLE task (id INTEGER PRIMARY KEY, interaction_id INTEGER, text TEXT, due_at TEXT)")
        conn.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY, key TEXT UNIQUE, body TEXT, status TEXT, due_at TEXT)")
        text, now = "拜访了王伟，下周三前发报价", "2026-12-01 02:00:00.000000"
        start = time.perf_counter()
        for i in range(notes):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO inbox (key, payload, status, received_at) VALUES (?, ?, 'handled', ?)", (f"console:{i}", json.dumps({"text": text}, ensure_ascii=False), now))
            note = conn.execute("INSERT INTO interaction (customer_id, text, occurred_at, source_key) VALUES (1, ?, ?, ?) RETURNING id", (text, now, f"console:{i}")).fetchone()[0]
            conn.execute("INSERT INTO task (interaction_id, text, due_at) VALUES (?, '发报价', ?)", (note, now))
            conn.execute("INSERT INTO outbox (key, body, status, due_at) VALUES (?, ?, 'pending', ?)", (f"reply:{i}", json.dumps({"text": "✓ 已记到 王伟"}, ensure_ascii=False), now))
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
    return elapsed


def run(short: int = 10, long: int = 600, repeats: int = 3) -> dict:
    """Interleaved: short run, long run, floor; medians of the per-note costs."""
    per_note, cpu_per_note, floors = [], [], []
    for _ in range(repeats):
        wall_short, cpu_short = _chat(short)
        wall_long, cpu_long = _chat(short + long)
        per_note.append((wall_long - wall_short) / long)
        cpu_per_note.append((cpu_long - cpu_short) / long)
        floors.append(floor(long) / long)
    ms, floor_ms = 1000 * statistics.median(per_note), 1000 * statistics.median(floors)
    return {
        "ms_per_note": round(ms, 2),
        "cpu_ms_per_note": round(1000 * statistics.median(cpu_per_note), 2),
        "floor_ms_per_note": round(floor_ms, 3),
        "ratio": round(ms / floor_ms, 1),
        "runs_ms": [round(1000 * x, 2) for x in per_note],
        "notes": long,
        "repeats": repeats,
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(run(long=args.notes, repeats=args.repeats))
