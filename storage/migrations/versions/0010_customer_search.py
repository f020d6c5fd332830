"""/find's substring search by an index, not a scan of every customer: on SQLite an FTS5 trigram table kept by
triggers (its body the team's token, then name, company, aliases, phone, email), on PostgreSQL a pg_trgm GIN
index on the same text (storage/customer_search.py builds the queries)

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03 17:00:00
"""
from alembic import op


revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None

# as storage/customer_search.py: fields apart by a newline (no typed query holds one), lower-cased on PostgreSQL
# (the trigram tokenizer folds case itself); the team's token is SQLite's only (PostgreSQL filters team_id)
SQLITE_BODY = (
    "'⟨' || {r}.team_id || '⟩' || char(10) || {r}.name || char(10) || coalesce({r}.company, '') || char(10) || coalesce({r}.aliases, '')"
    " || char(10) || coalesce({r}.phone, '') || char(10) || coalesce({r}.email, '')"
)
PG_BODY = (
    "lower(name || chr(10) || coalesce(company, '') || chr(10) || coalesce(aliases, '') || chr(10) || coalesce(phone, '') || chr(10) || coalesce(email, ''))"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE customer_fts USING fts5(body, tokenize = 'trigram')")
        op.execute(f"INSERT INTO customer_fts (rowid, body) SELECT id, {SQLITE_BODY.format(r='customer')} FROM customer")
        op.execute(f"CREATE TRIGGER customer_fts_insert AFTER INSERT ON customer BEGIN INSERT INTO customer_fts (rowid, body) VALUES (new.id, {SQLITE_BODY.format(r='new')}); END")
        op.execute("CREATE TRIGGER customer_fts_delete AFTER DELETE ON customer BEGIN DELETE FROM customer_fts WHERE rowid = old.id; END")
        # only the searched columns: a note's contact figures (last_contact_at …) update the row without touching this
        op.execute(
            "CREATE TRIGGER customer_fts_update AFTER UPDATE OF team_id, name, company, aliases, phone, email ON customer BEGIN"
            f" UPDATE customer_fts SET body = {SQLITE_BODY.format(r='new')} WHERE rowid = new.id; END"
        )
        return
    # pg_trgm ships with PostgreSQL and is a trusted extension (13+); where it cannot be created, /find keeps its scan
    available = bind.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").first()
    if available is None:
        return
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # no privilege to create it
        return
    op.execute(f"CREATE INDEX ix_customer_search_trgm ON customer USING gin (({PG_BODY}) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("customer_fts_insert", "customer_fts_delete", "customer_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS customer_fts")
        return
    op.execute("DROP INDEX IF EXISTS ix_customer_search_trgm")
