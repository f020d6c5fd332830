"""Issue 17: nothing on the note path grows with history. The open typed question's lookup (a partial index on open
ones, migration 0006) does the same work after 100,000 past prompts as before them: counted, not timed, as SQLite's
virtual-machine steps and PostgreSQL's buffers and rows in EXPLAIN ANALYZE."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import text

from storage import messaging
from storage.models import Prompt

from .helpers import Person, seed_team

CUSTOMERS = ({"name": "王伟", "company": "华为"},)
KINDS = (("filed", "open"), ("name_customer", "answered"), ("change_date", "expired"), ("filed", "answered"), ("name_customer", "expired"))


async def _past_prompts(app, member_id: int, count: int, start: int, chat_id: str) -> None:
    """count past prompts: filed notes' (kept open), answered and expired questions (a question asked closes the
    chat's earlier one), half in this chat and half in another, dated long before the lookup's window."""
    old = app.services.clock() - dt.timedelta(days=30)
    rows = [
        messaging.row_values(Prompt, id=f"h{start + i}", member_id=member_id, platform="console", chat_id=chat_id if i % 2 else "console:other",
                             kind=KINDS[i % 5][0], status=KINDS[i % 5][1], data={}, created_at=old)
        for i in range(count)
    ]
    async with app.db.write() as session:
        for k in range(0, len(rows), 20_000):
            await messaging.insert_rows(session, Prompt, rows[k : k + 20_000])
        conn = await session.connection()
        await conn.exec_driver_sql("ANALYZE")


async def _work(app, params: dict) -> tuple[object, ...]:
    """What the lookup costs, machine-independently: SQLite's VM steps; PostgreSQL's plan, buffers and rows."""
    async with app.db.read() as session:
        conn = await session.connection()
        if conn.dialect.name == "sqlite":
            raw = (await conn.get_raw_connection()).driver_connection
            sqlite = getattr(raw, "_conn", raw)  # aiosqlite's wrapper, or sqlite3's own
            steps = 0

            def count() -> int:
                nonlocal steps
                steps += 1
                return 0

            found = await conn.execute(text(messaging._OPEN_TEXT_PROMPT), params)  # warm: statement compiled
            sqlite.set_progress_handler(count, 1)
            try:
                found = (await conn.execute(text(messaging._OPEN_TEXT_PROMPT), params)).all()
            finally:
                sqlite.set_progress_handler(None, 1)
            plan = " ".join(str(r[-1]) for r in await conn.execute(text("EXPLAIN QUERY PLAN " + messaging._OPEN_TEXT_PROMPT), params))
            return ("ix_prompt_open_text" in plan, steps, len(found))
        result = (await conn.execute(text("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + messaging._OPEN_TEXT_PROMPT), params)).scalar_one()
        plan = (json.loads(result) if isinstance(result, str) else result)[0]["Plan"]
        nodes, stack = [], [plan]
        while stack:
            node = stack.pop()
            nodes.append(node)
            stack.extend(node.get("Plans", []))
        buffers = sum(n.get("Shared Hit Blocks", 0) + n.get("Shared Read Blocks", 0) for n in nodes if "Index Name" in n or "Relation Name" in n)
        rows = sum(n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0) for n in nodes if "Index Name" in n or "Relation Name" in n)
        return (any(n.get("Index Name") == "ix_prompt_open_text" for n in nodes), buffers, rows)


async def test_the_open_question_lookup_does_the_same_work_after_100k_past_prompts(app_any_db):
    app = app_any_db
    member_id = (await seed_team(app, customers=CUSTOMERS))["members"]["me"].id
    me = Person(app, "me")
    await me.say("拜访了一个新客户，下周三前发报价")  # the one open question: which customer?
    params = {"member_id": member_id, "platform": "console", "chat_id": "console:me", "since": app.services.clock() - dt.timedelta(minutes=30)}
    await _past_prompts(app, member_id, 1_000, 0, "console:me")
    small = await _work(app, params)
    await _past_prompts(app, member_id, 99_000, 1_000, "console:me")
    large = await _work(app, params)
    assert small[0] and large[0], (small, large)  # the partial index answers, with 1k and with 100k past prompts
    assert large == small, (small, large)  # the same steps / buffers and rows: the past is never visited
    reply = await me.say("王伟")  # and the question is still found and answered
    assert "王伟" in reply[0].text
