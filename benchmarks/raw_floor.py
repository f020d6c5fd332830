"""The floor a note's path is measured against: the raw driver writing the same rows, nothing else.

Per note, in one transaction on the app's own schema (made by its migrations, so the same indexes), the
statements the note path runs: look up the inbox key, the member and team, an open typed question and the
customer; insert the interaction, its task, the audit row, the buttons' prompt, the inbox row and the reply
in the outbox; update the customer's contact figures. No parsing, no wording: what the database costs.
SQLite with the app's pragmas (WAL, synchronous=NORMAL, BEGIN IMMEDIATE); PostgreSQL through psycopg.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time

NOTE = "拜访了王伟，下周三前发报价"
REPLY = {"text": "✓ 已记到 王伟 · 拜访\n跟进 12月2日(周三)：发报价", "buttons": [[{"label": "错了客户", "payload": "p:abcdefghijkl:wrong"}, {"label": "改日期", "payload": "p:abcdefghijkl:date"}, {"label": "撤销", "payload": "p:abcdefghijkl:undo"}]]}

_SELECTS = [
    "SELECT id, status FROM inbox WHERE key = :key",
    "SELECT member.id, member.team_id, member.role, member.language, member.timezone, team.id, team.timezone FROM member JOIN identity ON identity.member_id = member.id"
    " JOIN team ON team.id = member.team_id WHERE identity.platform = :platform AND identity.platform_user_id = :user AND member.active",
    "SELECT id, kind FROM prompt WHERE member_id = :member AND platform = :platform AND chat_id = :chat AND status = 'open'"
    " AND kind IN ('name_customer', 'change_date', 'create_customer') AND created_at >= :since ORDER BY created_at DESC LIMIT 1",  # as storage/models.py OPEN_TEXT_PROMPTS (the partial index)
    "SELECT id, team_id, owner_id, name, last_contact_at, contact_count, first_contact_at, last_risk FROM customer WHERE id = :customer",
]
_INTERACTION = (
    "INSERT INTO interaction (team_id, customer_id, author_id, channel, text, occurred_at, risk, status, source_key, created_at)"
    " VALUES (:team, :customer, :member, 'visit', :text, :now, '[]', 'filed', :key, :now) RETURNING id"
)
_WRITES = [
    "INSERT INTO task (team_id, customer_id, assignee_id, interaction_id, text, due_at, due_has_time, status, created_at)"
    " VALUES (:team, :customer, :member, :interaction, '发报价', :now, false, 'open', :now)",
    "INSERT INTO audit_log (at, action, team_id, member_id, customer_id, platform, detail) VALUES (:now, 'note', :team, :member, :customer, 'bench', 'interaction')",
    "INSERT INTO prompt (id, member_id, platform, chat_id, kind, data, status, created_at) VALUES (:prompt, :member, 'bench', :chat, 'filed', '{}', 'open', :now)",
    "INSERT INTO inbox (key, platform, chat_id, sender_id, payload, status, received_at, handled_at) VALUES (:key, 'bench', :chat, :user, :payload, 'handled', :now, :now)",
    "INSERT INTO outbox (key, kind, platform, chat_id, chat_kind, body, status, due_at, attempts, late, created_at)"
    " VALUES (:reply, 'reply', 'bench', :chat, 'private', :body, 'pending', :now, 0, false, :now)",
    "UPDATE customer SET last_contact_at = :now, contact_count = contact_count + 1, first_contact_at = coalesce(first_contact_at, :now), last_risk = '[]', updated_at = :now WHERE id = :customer",
]


def _params(i: int, team: int, member: int, customer: int, now) -> dict:
    return {
        "key": f"bench:c1:{i}", "platform": "bench", "user": "rep", "chat": "c1", "member": member, "team": team, "customer": customer,
        "since": now - dt.timedelta(minutes=30), "now": now, "text": NOTE, "prompt": f"p{i:011d}", "reply": f"reply:bench:c1:{i}:0",
        "payload": json.dumps({"text": NOTE, "sender_name": "rep", "chat_kind": "private", "sent_at": now.isoformat()}, ensure_ascii=False),
        "body": json.dumps(REPLY, ensure_ascii=False),
    }  # fmt: skip


def _seed_sql(customers: int) -> list[tuple[str, dict]]:
    now = dt.datetime(2026, 11, 23, 2)
    rows = [
        ("INSERT INTO team (id, name, timezone, holiday_country, created_at, customer_version) VALUES (1, 'bench', 'Asia/Shanghai', 'CN', :now, 0)", {"now": now}),
        ("INSERT INTO member (id, team_id, display_name, role, timezone, language, active, created_at) VALUES (1, 1, 'rep', 'admin', 'Asia/Shanghai', 'zh', true, :now)", {"now": now}),
        ("INSERT INTO identity (member_id, platform, platform_user_id) VALUES (1, 'bench', 'rep')", {}),
    ]
    for c in range(1, customers + 1):
        rows.append(
            ("INSERT INTO customer (id, team_id, name, aliases, tier, stage, tags, contact_count, last_risk, created_at, updated_at)"
             " VALUES (:id, 1, :name, '[]', 'general', 'active', '[]', 0, '[]', :now, :now)", {"id": c, "name": f"客户{c}", "now": now})
        )  # fmt: skip
    return rows


def sqlite_floor(path: str, notes: int, customers: int = 1000) -> dict:
    """Notes per second of raw sqlite3 writing a note's rows (the database made by the app's migrations at ``path``)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    utc = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # the app keeps UTC without an offset on SQLite
    conn.execute("BEGIN")
    for sql, params in _seed_sql(customers):
        conn.execute(sql, {k: (str(v) if isinstance(v, dt.datetime) else v) for k, v in params.items()})
    conn.execute("COMMIT")
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(notes):
        p = {k: (str(v) if isinstance(v, dt.datetime) else v) for k, v in _params(i, 1, 1, 1 + i % customers, utc).items()}
        conn.execute("BEGIN IMMEDIATE")
        for sql in _SELECTS:
            conn.execute(sql, p).fetchall()
        p["interaction"] = conn.execute(_INTERACTION, p).fetchone()[0]
        for sql in _WRITES:
            conn.execute(sql, p)
        conn.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    conn.close()
    return {"notes": notes, "notes_per_s": round(notes / elapsed, 1), "cpu_ms_per_note": round(1000 * cpu / notes, 3)}


def postgres_floor(url: str, notes: int, customers: int = 1000) -> dict:
    """The same with psycopg on PostgreSQL (``url``: a database made by the app's migrations)."""
    import psycopg
    from sqlalchemy.engine import make_url

    def pg(sql: str) -> str:
        import re

        return re.sub(r":(\w+)", r"%(\1)s", sql)

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    utc = dt.datetime.now(dt.timezone.utc)
    with psycopg.connect(dsn) as conn:
        with conn.transaction():
            for sql, params in _seed_sql(customers):
                conn.execute(pg(sql), {k: (v.replace(tzinfo=dt.timezone.utc) if isinstance(v, dt.datetime) else v) for k, v in params.items()})
        selects, interaction, writes = [pg(s) for s in _SELECTS], pg(_INTERACTION), [pg(s) for s in _WRITES]
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(notes):
            write_note_pg(conn, _params(i, 1, 1, 1 + i % customers, utc), selects, interaction, writes)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"notes": notes, "notes_per_s": round(notes / elapsed, 1), "cpu_ms_per_note": round(1000 * cpu / notes, 3)}


def write_note_pg(conn, p: dict, selects, interaction, writes) -> None:
    """One note's rows on a psycopg connection, in one transaction: the reads, the interaction, the rest."""
    with conn.transaction():
        for sql in selects:
            conn.execute(sql, p).fetchall()
        p["interaction"] = conn.execute(interaction, p).fetchone()[0]
        for sql in writes:
            conn.execute(sql, p)
