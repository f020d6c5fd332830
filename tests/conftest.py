"""Shared fixtures: real databases (SQLite always, PostgreSQL when CRMBOT_TEST_POSTGRES_URL is set),
an injected clock, and an app wired as in production."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from zoneinfo import ZoneInfo

import pytest

from bot.settings import Settings
from bot.wiring import build_app
from storage.db import migrate

SHANGHAI = ZoneInfo("Asia/Shanghai")
PG_URL = os.environ.get("CRMBOT_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True)
def _no_outside_configuration(monkeypatch):
    """A developer's own tokens or CRMBOT_* settings must not change what the tests do."""
    for name in list(os.environ):
        if name.startswith(("CRMBOT_", "TELEGRAM_", "SLACK_", "FEISHU_", "DINGTALK_", "WECOM_")) and name != "CRMBOT_TEST_POSTGRES_URL":
            monkeypatch.delenv(name, raising=False)


class FakeClock:
    """The injected clock: tests move time, they never sleep."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now

    def set(self, now: dt.datetime) -> None:
        self.now = now


@pytest.fixture
def clock() -> FakeClock:
    # Monday 2027-03-01 10:00 in Shanghai
    return FakeClock(dt.datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template) -> str:
    path = tmp_path / "crmbot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def _pg_admin_url() -> str:
    return PG_URL


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    if not PG_URL:
        pytest.skip("CRMBOT_TEST_POSTGRES_URL not set")
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"crmbot_test_{uuid.uuid4().hex[:8]}"
    base = make_url(PG_URL)
    dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_pg(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'")]
        if tables:
            conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, sqlite_url) -> str:
    """Both backends: the test runs once on SQLite and once on PostgreSQL (when available)."""
    if request.param == "sqlite":
        return sqlite_url
    url = request.getfixturevalue("pg_database")
    _truncate_pg(url)
    return url


def make_settings(url: str, tmp_path, **extra) -> Settings:
    return Settings(database_url=url, data_dir=tmp_path / "data", timezone="Asia/Shanghai", **extra)


@pytest.fixture
async def app(sqlite_url, tmp_path, clock):
    application = build_app(make_settings(sqlite_url, tmp_path), clock=clock, migrate=False)
    yield application
    await application.close()


@pytest.fixture
async def app_any_db(db_url, tmp_path, clock):
    application = build_app(make_settings(db_url, tmp_path), clock=clock, migrate=False)
    yield application
    await application.close()
