"""The note path on PostgreSQL (issue 17): what a message reads first goes in one round trip with its turn, the
note's id comes with it so its rows and COMMIT go in one more, and a pooled connection is pinged only after it
sat idle (a dropped one is still replaced before a note uses it)."""
from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from handlers import router
from storage import db as db_module
from storage.models import AuditLog, Inbox, Interaction, Outbox, Prompt, Task

from .helpers import Person, rows, seed_team

CUSTOMERS = ({"name": "王伟", "company": "华为"}, {"name": "Acme Trading", "company": "Acme"})


@pytest.fixture
async def pg_app(pg_database, tmp_path, clock):
    from bot.wiring import build_app

    from .conftest import _truncate_pg, make_settings

    _truncate_pg(pg_database)
    application = build_app(make_settings(pg_database, tmp_path), clock=clock, migrate=False)
    yield application
    await application.close()


class Exchanges:
    """Requests the client waits on: a statement sent outside a pipeline, or a pipeline (its end syncs once).
    psycopg's own BEGIN before a transaction's first statement is not counted (one more per transaction)."""

    def __init__(self, monkeypatch) -> None:
        self.count = 0
        cursor_execute, pipeline_exit = psycopg.AsyncCursor.execute, psycopg.AsyncPipeline.__aexit__  # (a connection's execute is its cursor's)

        async def on_cursor(cursor, *args, **kwargs):
            self.count += cursor.connection._pipeline is None
            return await cursor_execute(cursor, *args, **kwargs)

        async def on_exit(pipeline, *args):
            self.count += pipeline.level == 1
            return await pipeline_exit(pipeline, *args)

        monkeypatch.setattr(psycopg.AsyncCursor, "execute", on_cursor)
        monkeypatch.setattr(psycopg.AsyncPipeline, "__aexit__", on_exit)


async def test_a_filed_note_is_three_exchanges_and_keeps_every_row(pg_app, monkeypatch):
    app = pg_app
    await seed_team(app, customers=CUSTOMERS)
    me = Person(app, "me")
    await me.say("拜访了王伟")  # the customer index is built, connections are open
    exchanges = Exchanges(monkeypatch)
    msg = me.message("拜访了王伟，下周三前发报价")
    replies = await router.handle(msg, app.services)
    # the turn with the member, the open question and the note's id; the customer; the rows with COMMIT
    assert exchanges.count == 3
    assert "王伟" in replies[0].text
    note = [i for i in await rows(app, Interaction) if i.source_key == msg.key]
    assert len(note) == 1 and note[0].status == "filed"
    assert [t.interaction_id for t in await rows(app, Task) if t.interaction_id == note[0].id] == [note[0].id]
    assert f"interaction {note[0].id}" in [a.detail for a in await rows(app, AuditLog)]
    assert [(i.status) for i in await rows(app, Inbox) if i.key == msg.key] == ["handled"]
    assert [o.key for o in await rows(app, Outbox) if o.key.startswith(f"reply:{msg.key}:")] == [f"reply:{msg.key}:0"]
    prompt = next(p for p in await rows(app, Prompt) if p.kind == "filed" and p.data.get("interaction_id") == note[0].id)
    assert prompt.id in replies[0].buttons[0][0].payload
    assert await router.handle(msg, app.services) == []  # once


async def test_a_pending_note_and_its_typed_answer_read_ahead(pg_app):
    """The open question read with the turn is the sender's own: another member's in the same group is not."""
    app = pg_app
    await seed_team(app, members=(("me", "admin"), ("boss", "admin")), customers=CUSTOMERS)
    me, other = Person(app, "me", chat_id="g1", chat_kind="group"), Person(app, "boss", chat_id="g1", chat_kind="group")
    asked = await me.say("@bot 拜访了一个新客户，下周三前发报价", addressed=True)
    assert any(p.kind == "name_customer" and p.status == "open" for p in await rows(app, Prompt)), asked
    # the boss's typed name in the same chat is a note of theirs, not an answer to my question
    await other.say("王伟", addressed=True)
    assert any(p.kind == "name_customer" and p.status == "open" for p in await rows(app, Prompt))
    answered = await me.say("王伟", addressed=True)
    assert "王伟" in answered[0].text
    (pending,) = [i for i in await rows(app, Interaction) if "新客户" in i.text]
    assert pending.status == "filed" and pending.customer_id is not None


async def test_a_text_that_files_no_note_leaves_only_a_gap_in_the_ids(pg_app):
    app = pg_app
    await seed_team(app, customers=CUSTOMERS)
    me = Person(app, "me")
    await me.say("谢谢")
    await me.say("拜访了王伟")
    await me.say("拜访了王伟和Acme Trading")  # the second customer's row takes its id with RETURNING
    notes = sorted(i.id for i in await rows(app, Interaction))
    assert len(notes) == 3 and len(set(notes)) == 3


async def test_a_connection_dropped_while_idle_is_replaced_before_a_note_uses_it(pg_app, monkeypatch):
    app = pg_app
    await seed_team(app, customers=CUSTOMERS)
    me = Person(app, "me")
    await me.say("拜访了王伟")
    _kill_other_connections(app)
    monkeypatch.setattr(db_module, "PING_IDLE_SECONDS", 0.0)  # they have been idle long enough to be pinged
    replies = await me.say("拜访了Acme Trading，周五发报价")
    assert "Acme" in replies[0].text and "出错" not in replies[0].text
    assert len(await rows(app, Interaction)) == 2


async def test_a_connection_dropped_right_after_use_costs_a_note_nothing(pg_app, monkeypatch):
    """Not pinged (it was in use a moment ago): the note's transaction fails on it, rolled back, and is tried again
    on a new connection."""
    app = pg_app
    await seed_team(app, customers=CUSTOMERS)
    me = Person(app, "me")
    await me.say("拜访了王伟")
    _kill_other_connections(app)
    replies = await me.say("拜访了Acme Trading，周五发报价")
    assert "Acme" in replies[0].text and "出错" not in replies[0].text
    assert len(await rows(app, Interaction)) == 2
    assert [i.status for i in await rows(app, Inbox)] == ["handled", "handled"]


def _kill_other_connections(app) -> None:
    dsn = make_url(app.db.url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:  # the pool's connections die (a restart, a firewall)
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
