"""Database and backup files are readable by the bot's user only; a corrupt database file gets one
line from the command line, not a traceback (issue 13, low 12)."""
from __future__ import annotations

import stat

import pytest

from bot import cli
from storage import backup
from storage.db import Database, migrate


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_new_database_and_backup_files_are_0600(tmp_path):
    url = f"sqlite:///{tmp_path / 'data' / 'crm.db'}"
    migrate(url)
    db = Database(url)
    await db.dispose()
    assert _mode(tmp_path / "data" / "crm.db") == 0o600 and _mode(tmp_path / "data") == 0o700
    out = backup.backup(url, tmp_path / "b" / "copy.db")
    assert _mode(out) == 0o600


def test_a_corrupt_database_file_is_one_line(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("CRMBOT_DATA_DIR", str(tmp_path / "d"))
    with pytest.raises(SystemExit) as done:
        cli.main(["export", "--format", "csv", "--out", str(tmp_path / "x.csv"), "--db", f"sqlite:///{bad}"])
    err = capsys.readouterr().err
    assert done.value.code == 1 and "the database cannot be used" in err and "Traceback" not in err
    with pytest.raises(backup.BackupError, match="not a usable database"):
        backup.backup(f"sqlite:///{bad}", tmp_path / "copy.db")
