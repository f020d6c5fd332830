"""Schema changes are an operator's step: `crmbot migrate` (one replica at a time), `crmbot run` refuses an
old schema unless --migrate, and read-only commands (`parse`, `when`) touch no schema."""
from __future__ import annotations

import asyncio
import json
import uuid

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bot.cli import main
from storage.db import migrate, schema_revisions
from tests.conftest import PG_URL


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    out, err = capsys.readouterr()
    return exit_.value.code or 0, out, err


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db(request, tmp_path):
    """A database with no schema at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    if not PG_URL:
        pytest.skip("CRMBOT_TEST_POSTGRES_URL not set")
    name = f"crmbot_schema_{uuid.uuid4().hex[:8]}"
    admin = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_parse_and_when_read_without_creating_or_migrating_anything(empty_db, tmp_path, capsys):
    code, out, _ = _run(capsys, "parse", "called Wang, wants a quote Friday", "--db", empty_db, "--now", "2027-03-01T10:00:00+08:00")
    assert code == 0 and json.loads(out)["channel"] == "call"
    code, out, _ = _run(capsys, "when", "下周三", "--now", "2027-03-01T10:00:00+08:00")
    assert code == 0 and out.strip() == "2027-03-10"
    assert schema_revisions(empty_db)[0] is None
    assert not (tmp_path / "fresh.db").exists()  # SQLite: not even an empty file


def test_run_refuses_an_old_schema_with_one_line_and_migrate_brings_it_up(empty_db, capsys):
    migrate(empty_db, "0004")
    head = schema_revisions(empty_db)[1]
    code, out, err = _run(capsys, "run", "--db", empty_db)
    assert code == 2
    assert err.strip().splitlines() == [f"crmbot run: the database's schema is 0004, this version needs {head}: run `crmbot migrate` (or `crmbot run --migrate`)"]
    assert schema_revisions(empty_db)[0] == "0004"  # it changed nothing

    code, out, _ = _run(capsys, "migrate", "--db", empty_db)
    assert code == 0 and out.strip() == f"schema 0004 → {head}"
    code, out, err = _run(capsys, "run", "--db", empty_db)  # the schema is fine now: it gets as far as the messengers
    assert code == 2 and "no messenger configured" in err


def test_run_with_migrate_on_an_empty_database(empty_db, capsys):
    code, _, err = _run(capsys, "run", "--db", empty_db, "--migrate")
    assert "no messenger configured" in err and code == 2
    current, head = schema_revisions(empty_db)
    assert current == head


async def test_replicas_migrating_at_once_migrate_once(empty_db):
    """Three replicas start together with --migrate: the lock lets one migrate; the others find it done."""
    await asyncio.gather(*(asyncio.to_thread(migrate, empty_db) for _ in range(3)))
    current, head = schema_revisions(empty_db)
    assert current == head
