"""A database URL as each driver wants it: the blocking one (alembic, start-up checks, key rotation)
and the async one (the bot). Imported by db.py and crypto.py alike, so neither imports the other for it."""
from __future__ import annotations

from sqlalchemy.engine import make_url


def _with_driver(url: str, sqlite_driver: str) -> str:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return str(u.set(drivername=sqlite_driver))
    if u.get_backend_name() == "postgresql":  # psycopg 3 serves both the blocking and the async engine
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database {u.get_backend_name()!r}: use sqlite:/// or postgresql://")


def sync_url(url: str) -> str:
    """The URL for the blocking driver alembic uses (same database)."""
    return _with_driver(url, "sqlite")


def async_url(url: str) -> str:
    return _with_driver(url, "sqlite+aiosqlite")
