"""/find's substring search through an index (issue 17, migration 0010): the same answers as the scan it replaces,
kept in step with customer writes, one team's only, and the index is what the query uses."""
from __future__ import annotations

from sqlalchemy import event, insert
from sqlmodel import delete

from storage import crm, customer_search
from storage.messaging import row_values
from storage.models import Customer

from .helpers import Person, seed_team

CUSTOMERS = (
    {"name": "王伟", "company": "金鼎建材有限公司", "aliases": ["王总"], "phone": "13912345678"},
    {"name": "Tom Baker", "company": "Acme Trading Co.", "email": "tom@acme.example"},
    {"name": "李娜", "company": "100%_纯净水厂"},
)


async def _names(app, team_id: int, query: str) -> list[str]:
    async with app.db.read() as session:
        return [c.name for c in await customer_search.search(session, team_id, query, limit=50)]


async def _scan_names(app, team_id: int, query: str) -> list[str]:
    async with app.db.read() as session:
        return [c.name for c in await crm.search_customers(session, team_id, query, limit=50)]


async def test_the_indexed_search_finds_what_the_scan_finds(app_any_db):
    app = app_any_db
    team_id = (await seed_team(app, customers=CUSTOMERS))["team"].id
    async with app.db.write() as session:  # another team's customer with the same words is never found
        other = await crm.create_team(session, "Other team", "Asia/Shanghai")
        await crm.add_customer(session, Customer(team_id=other.id, name="王伟伟", company="金鼎建材有限公司"))
    for query in ("王", "王总", "Ba", "ba", "0%", "%_", "@a", "建材有限", "ACME trad", "acme.example", "3912345", "王总", "%_纯", "Tom Baker", "nobody at all", '"ac'):
        assert await _names(app, team_id, query) == await _scan_names(app, team_id, query), query
    assert await _names(app, team_id, "建材有限") == ["王伟"]
    assert await _names(app, team_id, "%_纯") == ["李娜"]  # '%' and '_' are themselves
    assert await _names(app, team_id, "王总") == ["王伟"] and await _names(app, team_id, "bA") == ["Tom Baker"]  # short: the team's rows read
    assert await _names(app, team_id, "0%_") == ["李娜"] and await _names(app, team_id, "00_") == []


async def test_the_index_follows_renames_and_deletes(app_any_db):
    app = app_any_db
    seeded = await seed_team(app, customers=CUSTOMERS)
    team_id, tom = seeded["team"].id, seeded["customers"]["Tom Baker"]
    async with app.db.write() as session:
        customer = await session.get(Customer, tom.id)
        customer.company = "Globex Foods"
        session.add(customer)
    assert await _names(app, team_id, "acme trad") == []
    assert await _names(app, team_id, "globex") == ["Tom Baker"]
    async with app.db.write() as session:  # a note's contact figures leave the search text alone
        await crm.touch_customer(session, tom.id, app.services.clock(), [])
    assert await _names(app, team_id, "globex") == ["Tom Baker"]
    async with app.db.write() as session:
        await session.exec(delete(Customer).where(Customer.id == tom.id))
    assert await _names(app, team_id, "globex") == []


async def test_find_answers_through_the_index(app_any_db):
    app = app_any_db
    await seed_team(app, customers=CUSTOMERS)
    reply = await Person(app, "me").say("/find 建材有限")
    assert "王伟" in reply[0].text and "Tom Baker" not in reply[0].text


async def test_the_search_query_uses_the_index(app_any_db):
    """The statement /find runs, as the database plans it: SQLite through the FTS5 table, PostgreSQL through the
    trigram GIN index."""
    app = app_any_db
    team_id = (await seed_team(app, customers=CUSTOMERS))["team"].id
    async with app.db.write() as session:
        filler = [row_values(Customer, team_id=team_id, name=f"客户{i}", company=f"公司{i}", aliases=[], tags=[]) for i in range(4000)]
        await (await session.connection()).execute(insert(Customer.__table__), filler)
    async with app.db.write() as session:
        await (await session.connection()).exec_driver_sql("ANALYZE")
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM customer" in statement:
            seen.append((statement, parameters))

    engine = app.db.read_engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert await _names(app, team_id, "建材有限") == ["王伟"]
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    (statement, parameters) = seen[-1]
    async with app.db.read() as session:
        conn = await session.connection()
        if conn.dialect.name == "sqlite":
            plan = " | ".join(str(r[-1]) for r in await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            assert "customer_fts VIRTUAL TABLE INDEX" in plan, plan
        else:
            # the planner picks between the team's index and this one by size (at 100k+ rows, this one: big_bench);
            # what must hold here is that the query's expression is the index's, so it can be used at all
            await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            assert customer_search.PG_BODY in statement
            plan = " | ".join(r[0] for r in await conn.exec_driver_sql(f"EXPLAIN SELECT id FROM customer WHERE {customer_search.PG_BODY} LIKE %(p)s", {"p": "%建材有限%"}))
            assert "ix_customer_search_trgm" in plan, plan
