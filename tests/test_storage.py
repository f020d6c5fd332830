"""Storage on SQLite and PostgreSQL: the migrated schema, aware datetimes, unique keys, transactions."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from storage import crm, messaging
from storage.db import Database
from storage.models import Customer, Interaction, Task


async def test_migration_creates_every_table(db_url):
    db = Database(db_url)
    async with db.read() as session:
        conn = await session.connection()
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await db.dispose()
    assert {"team", "member", "identity", "customer", "interaction", "task", "audit_log", "inbox", "outbox", "prompt"} <= names


async def test_datetimes_come_back_aware_and_equal(app_any_db):
    at = dt.datetime(2027, 5, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    async with app_any_db.db.write() as session:
        team = await crm.create_team(session, "T")
        me = await crm.create_member(session, team, "me")
        c = await crm.add_customer(session, Customer(team_id=team.id, name="王伟", owner_id=me.id))
        await crm.add_interaction(session, Interaction(team_id=team.id, customer_id=c.id, author_id=me.id, text="x", occurred_at=at))
    async with app_any_db.db.read() as session:
        note = (await session.exec(select(Interaction))).one()
        customer = await session.get(Customer, c.id)
    assert note.occurred_at.tzinfo is not None
    assert note.occurred_at == at
    assert customer.last_contact_at == at  # filing a note touches the customer


async def test_failed_transaction_leaves_nothing(app_any_db):
    with pytest.raises(RuntimeError):
        async with app_any_db.db.write() as session:
            team = await crm.create_team(session, "T")
            await crm.add_customer(session, Customer(team_id=team.id, name="李娜"))
            raise RuntimeError("crash mid-way")
    async with app_any_db.db.read() as session:
        assert (await session.exec(select(Customer))).all() == []


async def test_inbox_key_is_unique(app_any_db):
    async with app_any_db.db.write() as session:
        await messaging.inbox_record(session, "telegram:1:5", "telegram", "1", "u", {})
    with pytest.raises(IntegrityError):
        async with app_any_db.db.write() as session:
            await messaging.inbox_record(session, "telegram:1:5", "telegram", "1", "u", {})


async def test_concurrent_read_then_write_transactions_do_not_fail(app_any_db):
    """Read-modify-write from many tasks at once: every one commits (no SQLITE_BUSY half-way)."""
    async with app_any_db.db.write() as session:
        team = await crm.create_team(session, "T")
        me = await crm.create_member(session, team, "me")

    async def add_task(i: int) -> None:
        async with app_any_db.db.write() as session:
            count = len((await session.exec(select(Task))).all())
            session.add(Task(team_id=team.id, assignee_id=me.id, text=f"t{i} after {count}"))

    await asyncio.gather(*(add_task(i) for i in range(20)))
    async with app_any_db.db.read() as session:
        assert len((await session.exec(select(Task))).all()) == 20


async def test_open_tasks_overdue_first_undated_last(app_any_db):
    now = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.timezone.utc)
    async with app_any_db.db.write() as session:
        team = await crm.create_team(session, "T")
        me = await crm.create_member(session, team, "me")
        for text, days in (("later", 5), ("undated", None), ("overdue", -2), ("soon", 1)):
            due = now + dt.timedelta(days=days) if days is not None else None
            session.add(Task(team_id=team.id, assignee_id=me.id, text=text, due_at=due))
        session.add(Task(team_id=team.id, assignee_id=me.id, text="finished", due_at=now, status="done"))
    async with app_any_db.db.read() as session:
        tasks = await crm.open_tasks(session, me.id)
    assert [t.text for t in tasks] == ["overdue", "soon", "later", "undated"]
