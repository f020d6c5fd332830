"""Start-up with a current schema skips alembic entirely (issue 17); any other schema is still migrated."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from storage.db import alembic_config, migrate
from storage.schema_version import database_revisions, head_revision, is_current

ROOT = Path(__file__).resolve().parents[1]


def _migrate_in_a_new_process(url: str) -> bool:
    """Run start-up's migrate() in a fresh interpreter; True when it imported alembic."""
    code = f"import sys; from storage.db import migrate; migrate({url!r}); print('alembic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return out.strip() == "True"


def test_the_head_read_from_the_files_is_alembics():
    from alembic.script import ScriptDirectory

    assert head_revision() == ScriptDirectory.from_config(alembic_config("sqlite:///unused.db")).get_current_head()


def test_a_current_schema_starts_without_alembic(sqlite_url):
    assert is_current(sqlite_url)
    assert _migrate_in_a_new_process(sqlite_url) is False


def test_a_new_or_older_database_is_still_migrated(tmp_path):
    fresh = f"sqlite:///{tmp_path / 'new.db'}"
    assert database_revisions(fresh) is None and not (tmp_path / "new.db").exists()  # looking creates nothing
    assert _migrate_in_a_new_process(fresh) is True
    assert is_current(fresh)
    older = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(older, "0004")
    assert not is_current(older)
    assert _migrate_in_a_new_process(older) is True
    conn = sqlite3.connect(tmp_path / "old.db")
    assert {row[0] for row in conn.execute("SELECT version_num FROM alembic_version")} == {head_revision()}
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'ix_prompt_open_text'").fetchone() == (1,)
