"""Backups and restores that are safe while the bot writes, and the daily backup with retention.

SQLite: the online backup API copies the database in one step inside a read transaction, so the
copy is one consistent moment even while the bot writes (WAL readers never block writers); the
copy is checked with PRAGMA integrity_check and renamed into place only when whole.
PostgreSQL: pg_dump (a consistent snapshot) and pg_restore, when the client tools are installed.

A restore first saves the current database next to the backups, so nothing is lost by mistake.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

PREFIX = "crmbot-"


class BackupError(RuntimeError):
    pass


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def suffix(url: str) -> str:
    return ".db" if is_sqlite(url) else ".dump"


def default_name(url: str, at: dt.datetime) -> str:
    return f"{PREFIX}{at:%Y%m%d-%H%M%S}{suffix(url)}"


def backup(url: str, out: Path) -> Path:
    """Write a consistent copy of the database to `out` (blocking)."""
    out = Path(out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    try:
        part.unlink(missing_ok=True)
        os.close(os.open(part, os.O_CREAT | os.O_WRONLY, 0o600))  # readable by the bot's user only, from the start
        if is_sqlite(url):
            _sqlite_backup(_sqlite_path(url), part)
        else:
            _pg_dump(url, part)
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    return out


def restore(url: str, source: Path, keep_dir: Path, at: dt.datetime | None = None) -> Path | None:
    """Replace the database with a backup (blocking). The current one is saved in keep_dir first;
    returns that copy. Stop the bot before restoring."""
    source = Path(source).expanduser()
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    saved = None
    stamp = f"before-restore-{(at or dt.datetime.now().astimezone()):%Y%m%d-%H%M%S}"
    if is_sqlite(url):
        _check_sqlite(source)
        target = _sqlite_path(url)
        if target.exists():
            saved = backup(url, Path(keep_dir) / f"{stamp}.db")
        target.parent.mkdir(parents=True, exist_ok=True)
        src, dst = sqlite3.connect(source), sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)  # page by page through SQLite itself: the WAL and locks stay right
        finally:
            src.close()
            dst.close()
    else:
        saved = backup(url, Path(keep_dir) / f"{stamp}.dump")
        _pg_restore(url, source)
    return saved


def prune(directory: Path, keep: int) -> list[Path]:
    """Keep the newest `keep` backups in the directory (by their timestamped names); returns the removed."""
    backups = sorted(p for p in Path(directory).glob(f"{PREFIX}*") if p.suffix in (".db", ".dump"))
    old = backups[: max(len(backups) - keep, 0)]
    for path in old:
        path.unlink(missing_ok=True)
    return old


async def backup_job(app, now: dt.datetime) -> Path | None:
    """The daily scheduled backup: at most one per local day, then old ones pruned.

    Safe to call on every scheduler tick; returns the new file, or None when today's exists."""
    settings = app.settings
    directory = backup_dir(settings)
    local = now.astimezone(settings.zone)
    today = f"{PREFIX}{local:%Y%m%d}-"
    if directory.exists() and any(p.name.startswith(today) and p.suffix in (".db", ".dump") for p in directory.iterdir()):
        return None
    path = await asyncio.to_thread(backup, app.db.url, directory / default_name(app.db.url, local))
    await asyncio.to_thread(prune, directory, getattr(settings, "backup_keep", 14))
    return path


def backup_dir(settings) -> Path:
    return Path(getattr(settings, "backup_dir", None) or Path(settings.data_dir) / "backups").expanduser()


# --- SQLite ------------------------------------------------------------------------------------------
def _sqlite_path(url: str) -> Path:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(path).expanduser()


def _sqlite_backup(path: Path, out: Path) -> None:
    if not path.exists():
        raise BackupError(f"no database at {path}")
    src = sqlite3.connect(path, timeout=30)
    dst = sqlite3.connect(out)  # (created 0600 by backup())
    try:
        try:
            src.backup(dst)  # all pages in one step: one consistent moment
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is not a usable database: {exc}") from None
        dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
        _integrity(dst, out)
    finally:
        dst.close()
        src.close()


def _check_sqlite(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from None
    try:
        _integrity(conn, path)
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").fetchone() is None:
            raise BackupError(f"{path} is not a crmbot backup (no schema version)")
    finally:
        conn.close()


def _integrity(conn: sqlite3.Connection, path: Path) -> None:
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a usable database: {exc}") from None
    if result != "ok":
        raise BackupError(f"{path} failed its integrity check: {result}")


# --- PostgreSQL --------------------------------------------------------------------------------------
def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client tools (e.g. apt install postgresql-client), matching the server's version")
    return path


def _pg_args(url: str) -> tuple[str, dict]:
    """A libpq URL without the password, and an environment carrying it (not on the command line)."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    return u.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _pg_dump(url: str, out: Path) -> None:
    dsn, env = _pg_args(url)
    _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(out), "--dbname", dsn], env)


def _pg_restore(url: str, source: Path) -> None:
    dsn, env = _pg_args(url)
    _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname", dsn, str(source)], env)


def _run(args: list[str], env: dict) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[:500]}")
