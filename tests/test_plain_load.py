"""The note's hot-path reads (storage/plain_load.py): member, team and customer read as plain rows on the raw
connection and made into the session's instances behave as the ORM's own: values as their column types return
them (UTC datetimes, JSON, encrypted phone decrypted), one instance per row in a session, changes flushed as
UPDATEs, nothing written when nothing changed. Both backends."""
from __future__ import annotations

from sqlalchemy import inspect

from storage import crm
from storage.crypto import Cipher, new_key
from storage.db import Database
from storage.models import Customer, Member, Team


async def _seed(db: Database):
    async with db.write() as session:
        team = await crm.create_team(session, "plain")
        team.contact_plan = {"contact": {"A": 7}}
        member = await crm.create_member(session, team, "Rep", platform="telegram", user_id="42", language="zh")
        customer = await crm.add_customer(session, Customer(team_id=team.id, owner_id=member.id, name="王芳", company="芳华", phone="+86 138 0000 0000", last_risk=["price"]))
        return team.id, member.id, customer.id


async def _orm(db: Database, model, id_):
    async with db.read() as session:
        row = await session.get(model, id_)
        return {c.key: getattr(row, c.key) for c in inspect(model).column_attrs}


async def test_plain_rows_match_what_the_orm_loads_and_write_back_like_loaded_objects(db_url, clock):
    db = Database(db_url, cipher=Cipher([new_key().encode()]))
    try:
        team_id, member_id, customer_id = await _seed(db)
        expected = {Team: await _orm(db, Team, team_id), Member: await _orm(db, Member, member_id), Customer: await _orm(db, Customer, customer_id)}
        async with db.write() as session:
            member, team = await crm.member_and_team_by_identity(session, "telegram", "42")
            customer = await crm.get_customer(session, customer_id)
            for model, obj in ((Team, team), (Member, member), (Customer, customer)):
                assert {c.key: getattr(obj, c.key) for c in inspect(model).column_attrs} == expected[model]
                assert inspect(obj).persistent and not session.dirty
            assert customer.phone == "+86 138 0000 0000" and customer.created_at.tzinfo is not None and team.contact_plan == {"contact": {"A": 7}}
            assert await crm.get_customer(session, customer_id) is customer  # one instance per row
            assert (await crm.member_and_team_by_identity(session, "telegram", "42"))[0] is member
            assert await session.get(Customer, customer_id) is customer
            customer.last_risk = []
            member.language = "en"
            session.add(customer)
        after = await _orm(db, Customer, customer_id)
        assert after["last_risk"] == [] and after["phone"] == "+86 138 0000 0000" and after["name"] == "王芳"
        assert (await _orm(db, Member, member_id))["language"] == "en"
        async with db.write() as session:
            assert await crm.member_and_team_by_identity(session, "telegram", "nobody") is None
            assert await crm.get_customer(session, customer_id + 1000) is None
    finally:
        await db.dispose()


async def test_an_inactive_member_is_nobody(db_url):
    db = Database(db_url)
    try:
        _, member_id, _ = await _seed(db)
        async with db.write() as session:
            member = await session.get(Member, member_id)
            member.active = False
        async with db.write() as session:
            assert await crm.member_and_team_by_identity(session, "telegram", "42") is None
    finally:
        await db.dispose()


def test_rows_become_instances_in_a_process_whose_first_orm_use_it_is(sqlite_url):
    """A process that has only inserted with Core (delivery_bench, a fresh replica) has unconfigured mappers:
    making the first instance configures them (it failed inside make_transient_to_detached before)."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import asyncio, datetime as dt\n"
        "from sqlalchemy import insert\n"
        "from reminders import delivery\n"
        "from storage.db import Database\n"
        "from storage.models import Outbox\n"
        "async def main():\n"
        f"    db = Database({sqlite_url!r})\n"
        "    now = dt.datetime.now(dt.timezone.utc)\n"
        "    async with db.write() as session:\n"
        "        await (await session.connection()).execute(insert(Outbox), [dict(key='k', kind='reminder', platform='telegram', chat_id='1', body={'text': 'hi'}, due_at=now, created_at=now, status='pending', attempts=0)])\n"
        "    rows = await delivery.claim(db, ['telegram'], now, 'w')\n"
        "    print([(r.key, r.status, r.attempts) for r in rows])\n"
        "    await db.dispose()\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=Path(__file__).parent.parent, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[('k', 'sending', 1)]"
