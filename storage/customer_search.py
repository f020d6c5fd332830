"""/find's substring search over a team's customers (name, company, aliases, phone, email) through an index.

SQLite: the FTS5 trigram table ``customer_fts`` (migration 0010), whose body starts with the team's token, so one
MATCH finds the team's rows holding the text. PostgreSQL: the pg_trgm GIN index on the same fields, lower-cased.
A trigram index needs three characters: a shorter query (a two-character Chinese name) reads the team's rows (on
SQLite without lower(): ``_short_sqlite``; on PostgreSQL ``crm.search_customers``); names and pinyin are also found
by the in-memory matcher beside this.
Results are those of ``crm.search_customers``: matched case-insensitively, '%' and '_' themselves, by name.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from . import crm
from .models import Customer

MIN_TRIGRAM = 3
# as migration 0010's PG_BODY (the expression the GIN index is on: the query must repeat it exactly)
PG_BODY = "lower(customer.name || chr(10) || coalesce(customer.company, '') || chr(10) || coalesce(customer.aliases, '') || chr(10) || coalesce(customer.phone, '') || chr(10) || coalesce(customer.email, ''))"


_SHORT_FIELDS = ("name", "coalesce(company, '')", "aliases", "coalesce(phone, '')", "coalesce(email, '')")


def _short_sqlite(team_id: int, q: str):
    """Under three characters no trigram index helps: the team's rows are read, as cheaply as SQLite allows.

    In rowid order (the team_id index, then the matches sorted by name): walking the (team_id, name) index instead
    fetches every row at random, 5x the work on a large file (1M customers: ~290 vs ~50 ms CPU for a 100k team).
    SQLite's lower() and LIKE fold ASCII letters only, so ``x LIKE p`` is ``lower(x) LIKE lower(p)``; without an
    ASCII letter there is nothing to fold and instr() (a plain substring test, about twice as fast) answers the same."""
    if not any("a" <= ch.lower() <= "z" for ch in q):
        test, params = " OR ".join(f"instr({f}, :short_q) > 0" for f in _SHORT_FIELDS), {"short_q": q}
    else:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        test, params = " OR ".join(f"{f} LIKE :short_like ESCAPE '\\'" for f in _SHORT_FIELDS), {"short_like": like}
    return text(f"customer.id IN (SELECT id FROM customer INDEXED BY ix_customer_team_id WHERE team_id = :short_team AND ({test}))").bindparams(short_team=team_id, **params)


def fts_phrase(value: str) -> str:
    """An FTS5 string that matches itself (double quotes doubled)."""
    return '"' + value.replace('"', '""') + '"'


def team_token(team_id: int) -> str:
    return f"⟨{team_id}⟩"  # as migration 0010's SQLITE_BODY


async def search(session: AsyncSession, team_id: int, query: str, limit: int = 20) -> list[Customer]:
    q = query.strip()
    conn = await session.connection()
    if conn.dialect.name == "sqlite" and 0 < len(q) < MIN_TRIGRAM:
        stmt = select(Customer).where(_short_sqlite(team_id, q))
    elif len(q) < MIN_TRIGRAM or "\n" in q:
        return await crm.search_customers(session, team_id, q, limit=limit)
    elif conn.dialect.name == "sqlite":
        match = text("customer.id IN (SELECT rowid FROM customer_fts WHERE customer_fts MATCH :fts_query)").bindparams(fts_query=f"{fts_phrase(team_token(team_id))} {fts_phrase(q)}")
        stmt = select(Customer).where(match, Customer.team_id == team_id)
    else:
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = select(Customer).where(Customer.team_id == team_id, text(f"{PG_BODY} LIKE :pattern ESCAPE '\\'").bindparams(pattern=f"%{escaped}%"))
    stmt = stmt.order_by(col(Customer.name)).limit(limit)
    return list((await session.exec(stmt)).all())
