"""Is the database's schema the newest this code knows? Answered without importing alembic.

Start-up runs the migrations; when there is nothing to migrate (every start but the first after an upgrade)
alembic, mako and their imports cost more than the rest of the start. The head is read from the migration
files' own ``revision`` / ``down_revision`` lines and the database's from its ``alembic_version`` table. Any
doubt (an unreadable file, several heads, no table) answers False, and alembic decides as before.
"""
from __future__ import annotations

import contextlib
import re
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

VERSIONS = Path(__file__).parent / "migrations" / "versions"
_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*=\s*(.+)$", re.M)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def head_revision(versions: Path = VERSIONS) -> str | None:
    """The one revision no migration names as its parent; None when that is not clear-cut."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(text), _DOWN.search(text)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(_QUOTED.findall(down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def database_revisions(url: str) -> set[str] | None:
    """The revisions in the database's alembic_version table; None when there is no database or table."""
    u = make_url(url)
    with contextlib.suppress(Exception):
        if u.get_backend_name() == "sqlite":
            path = u.database
            if not path or path == ":memory:" or not Path(path).expanduser().exists():
                return None
            conn = sqlite3.connect(f"file:{Path(path).expanduser()}?mode=ro", uri=True)  # never creates the file
            try:
                return {row[0] for row in conn.execute("SELECT version_num FROM alembic_version")}
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(u.set(drivername="postgresql").render_as_string(hide_password=False), connect_timeout=10) as conn:
            return {row[0] for row in conn.execute("SELECT version_num FROM alembic_version")}
    return None


def is_current(url: str) -> bool:
    head = head_revision()
    return head is not None and database_revisions(url) == {head}
