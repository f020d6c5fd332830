"""Backups taken while the bot writes restore to a consistent database; the daily job keeps a few."""
from __future__ import annotations

import asyncio
import shutil
import uuid

import pytest
from sqlalchemy import text

from bot import cli
from bot.wiring import build_app
from storage import backup
from storage.models import Customer, Interaction

from .conftest import PG_URL, make_settings
from .helpers import Person, seed_team


class Progress:
    """How many transactions the writer finished, and a way to wait for a number (no sleeping)."""

    def __init__(self) -> None:
        self.done = 0
        self.waiting: list[tuple[int, asyncio.Event]] = []

    def step(self) -> None:
        self.done += 1
        for target, event in self.waiting:
            if self.done >= target:
                event.set()

    async def reach(self, target: int) -> None:
        event = asyncio.Event()
        self.waiting.append((target, event))
        if self.done < target:
            await event.wait()


async def _writer(app, team_id: int, owner_id: int, stop: asyncio.Event, progress: Progress) -> None:
    """One transaction after another, each a customer with a note on it: halves would show."""
    n = 0
    while not stop.is_set():
        n += 1
        async with app.db.write() as session:
            customer = Customer(team_id=team_id, owner_id=owner_id, name=f"客户{n}", phone=f"1390000{n:04d}")
            session.add(customer)
            await session.flush()
            session.add(Interaction(team_id=team_id, customer_id=customer.id, author_id=owner_id, text=f"note {n}", occurred_at=app.services.clock()))
        progress.step()


async def _counts(url: str) -> tuple[int, int, int]:
    from storage.db import Database

    db = Database(url)
    try:
        async with db.read() as session:
            customers = (await session.exec(text("SELECT count(*) FROM customer"))).one()[0]
            notes = (await session.exec(text("SELECT count(*) FROM interaction"))).one()[0]
            orphans = (await session.exec(text("SELECT count(*) FROM interaction i LEFT JOIN customer c ON c.id = i.customer_id WHERE c.id IS NULL"))).one()[0]
            return customers, notes, orphans
    finally:
        await db.dispose()


def _fresh_pg() -> tuple[str, str]:
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"crmbot_restore_{uuid.uuid4().hex[:8]}"
    dsn = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False), name


def _drop_pg(name: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_a_backup_taken_during_writes_restores_to_a_consistent_database(app_any_db, tmp_path, clock):
    app = app_any_db
    if not app.db.is_sqlite and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("PostgreSQL backups need pg_dump and pg_restore on the PATH")
    seeded = await seed_team(app, (("me", "admin"),), [{"name": "王伟", "owner": "me"}])
    team_id, me = seeded["team"].id, seeded["members"]["me"].id
    stop, progress = asyncio.Event(), Progress()
    writer = asyncio.create_task(_writer(app, team_id, me, stop, progress))
    await progress.reach(20)
    at_start = progress.done
    out = await asyncio.to_thread(backup.backup, app.db.url, tmp_path / ("b" + backup.suffix(app.db.url)))
    at_end = progress.done
    await progress.reach(at_end + 10)  # writes go on after the copy
    stop.set()
    await writer

    if app.db.is_sqlite:
        target, pg_name = f"sqlite:///{tmp_path / 'restored.db'}", None
    else:
        target, pg_name = _fresh_pg()
    try:
        await asyncio.to_thread(backup.restore, target, out, tmp_path / "kept")
        customers, notes, orphans = await _counts(target)
        assert orphans == 0 and customers == notes + 1  # every customer with its note (plus 王伟): no half transaction
        assert at_start <= notes <= at_end + 1
        live = await _counts(app.db.url)
        assert live[1] > notes  # the bot kept writing while and after the copy was taken
        restored = build_app(make_settings(target, tmp_path), clock=clock)  # the app opens it (migrations run)
        try:
            assert "王伟" in (await Person(restored, "me").say("/customer 王伟"))[0].text
        finally:
            await restored.close()
    finally:
        if pg_name:
            _drop_pg(pg_name)


async def test_the_daily_backup_runs_once_a_day_and_keeps_the_newest(sqlite_url, tmp_path, clock):
    app = build_app(make_settings(sqlite_url, tmp_path, backup_keep=2), clock=clock, migrate=False)
    try:
        await seed_team(app)
        first = await backup.backup_job(app, clock())
        assert first is not None and first.exists() and first.name.startswith("crmbot-20270301-")
        assert await backup.backup_job(app, clock.advance(hours=5)) is None  # once a day
        days = [first]
        for _ in range(3):
            days.append(await backup.backup_job(app, clock.advance(days=1)))
        kept = sorted(p.name for p in backup.backup_dir(app.settings).iterdir())
        assert kept == sorted(p.name for p in days[-2:])
    finally:
        await app.close()


async def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(app, tmp_path):
    await seed_team(app, customers=[{"name": "王伟"}])
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(backup.BackupError, match="not"):
        backup.restore(app.db.url, junk, tmp_path / "kept")
    with pytest.raises(backup.BackupError, match="no backup file"):
        backup.restore(app.db.url, tmp_path / "missing.db", tmp_path / "kept")
    assert (await _counts(app.db.url))[0] == 1
    assert not (tmp_path / "kept").exists()


def test_backup_and_restore_from_the_command_line(sqlite_url, tmp_path, monkeypatch, capsys, clock):
    monkeypatch.setenv("CRMBOT_DATA_DIR", str(tmp_path / "data"))

    def run(*argv) -> tuple[int, str]:
        args = cli.build_parser().parse_args([*argv, "--db", sqlite_url])
        code = args.func(args)
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    async def seed_and_add(names):
        app = build_app(make_settings(sqlite_url, tmp_path), clock=clock, migrate=False)
        try:
            if names == ["王伟"]:
                await seed_team(app, customers=[{"name": "王伟"}])
            else:
                await Person(app, "me").say("/new 李娜")
        finally:
            await app.close()

    asyncio.run(seed_and_add(["王伟"]))
    code, out = run("backup", "--out", str(tmp_path / "copy.db"))
    assert code == 0 and "copy.db" in out
    asyncio.run(seed_and_add(["李娜"]))
    assert asyncio.run(_counts(sqlite_url))[0] == 2
    code, out = run("restore", str(tmp_path / "copy.db"))
    assert code == 0 and "before the restore is kept" in out
    assert asyncio.run(_counts(sqlite_url))[0] == 1
    code, out = run("restore", str(tmp_path / "nothing.db"))
    assert code == 1 and "nothing changed" in out


async def test_the_scheduled_backup_job_makes_one_backup_a_day(sqlite_url, tmp_path, clock):
    from bot.wiring import build_app
    from reminders.jobs import start_scheduler

    from .conftest import make_settings

    app = build_app(make_settings(sqlite_url, tmp_path), clock=clock, migrate=False)
    scheduler = start_scheduler(app, paused=True)
    try:
        backup = scheduler.get_job("backup")
        await backup.func()
        await backup.func()  # an hour later, the same day: nothing new
        clock.advance(days=1)
        await backup.func()
    finally:
        scheduler.shutdown(wait=False)
        await app.close()
    files = sorted(p.name for p in (tmp_path / "data" / "backups").iterdir())
    assert len(files) == 2, files
