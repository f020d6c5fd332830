"""Encrypted backups (issue 13, low 12): with CRMBOT_ENCRYPTION_KEY set, a backup holds nothing in
the clear (not the contacts, not the names and notes), nothing plain is left beside it, it restores
with the key (an older key too), and without the key every command says so in one line."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text

from bot import cli
from bot.wiring import build_app
from storage import backup
from storage.crypto import Cipher, new_key

from .conftest import make_settings
from .helpers import Person, seed_team

PHONE, NAME, NOTE = "13812345678", "王建国", "secret discount 37 percent"


async def _seeded(url: str, tmp_path, clock, key: str):
    app = build_app(make_settings(url, tmp_path, encryption_key=key), clock=clock, migrate=False)
    await seed_team(app, customers=[{"name": NAME, "phone": PHONE, "owner": "me"}])
    await Person(app, "me").say(f"called {NAME}, {NOTE}")
    return app


async def _names(app) -> list[str]:
    async with app.db.read() as session:
        return [row[0] for row in (await session.exec(text("SELECT name FROM customer ORDER BY id"))).all()]


async def test_an_encrypted_backup_holds_nothing_in_the_clear_and_restores_with_the_key(app_any_db, tmp_path, clock):
    url = app_any_db.db.url
    if not backup.is_sqlite(url) and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("PostgreSQL backups need pg_dump and pg_restore")
    old, key = new_key(), new_key()
    app = await _seeded(url, tmp_path, clock, old)
    out_dir = tmp_path / "backups"
    try:
        path = backup.backup(url, out_dir / backup.default_name(url, clock(), True), Cipher.from_setting(old))
        data = path.read_bytes()
        assert data.startswith(backup.MAGIC)
        for secret in (PHONE, NAME, NOTE):
            assert secret.encode() not in data and secret.encode("utf-16-le") not in data
        assert [p.name for p in out_dir.iterdir()] == [path.name]  # no plain copy left beside it
        await Person(app, "me").say("/new 李娜")
        assert await _names(app) == [NAME, "李娜"]
    finally:
        await app.close()

    with pytest.raises(backup.BackupError, match="CRMBOT_ENCRYPTION_KEY"):
        backup.restore(url, path, tmp_path / "kept")  # no key: refused before anything changes
    with pytest.raises(backup.BackupError, match="does not decrypt"):
        backup.restore(url, path, tmp_path / "kept", cipher=Cipher.from_setting(new_key()))

    rotated = Cipher.from_setting(f"{key},{old}")  # a newer key first: the old one still reads it
    saved = backup.restore(url, path, tmp_path / "kept", cipher=rotated)
    assert saved is not None and backup.is_encrypted(saved)  # the database before the restore is kept encrypted too
    app = build_app(make_settings(url, tmp_path, encryption_key=f"{key},{old}"), clock=clock, migrate=False)
    try:
        assert await _names(app) == [NAME]
        card = await Person(app, "me").say(f"/customer {NAME}")
        assert PHONE in card[0].text
    finally:
        await app.close()


async def test_a_damaged_or_cut_off_encrypted_backup_is_refused(app, tmp_path, clock):
    key = new_key()
    seeded = await _seeded(app.db.url, tmp_path, clock, key)
    await seeded.close()
    cipher = Cipher.from_setting(key)
    path = backup.backup(app.db.url, tmp_path / "b.db.enc", cipher)
    whole = path.read_bytes()
    cut = tmp_path / "cut.db.enc"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(backup.BackupError):
        backup.restore(app.db.url, cut, tmp_path / "kept", cipher=cipher)
    assert not (tmp_path / "kept").exists()  # nothing changed


async def test_without_the_key_a_database_holding_encrypted_contacts_is_not_backed_up_in_the_clear(sqlite_url, tmp_path, clock):
    app = await _seeded(sqlite_url, tmp_path, clock, new_key())
    await app.close()
    with pytest.raises(backup.BackupError, match="CRMBOT_ENCRYPTION_KEY is not set"):
        backup.backup(sqlite_url, tmp_path / "b" / "plain.db")
    assert not (tmp_path / "b" / "plain.db").exists() and list((tmp_path / "b").iterdir()) == []


def test_backup_and_restore_commands_encrypt_with_the_configured_key(sqlite_url, tmp_path, monkeypatch, capsys, clock):
    import asyncio

    key = new_key()
    monkeypatch.setenv("CRMBOT_DATA_DIR", str(tmp_path / "data"))

    async def seed() -> None:
        await (await _seeded(sqlite_url, tmp_path, clock, key)).close()

    asyncio.run(seed())

    def run(*argv) -> tuple[int, str]:
        args = cli.build_parser().parse_args([*argv, "--db", sqlite_url])
        code = args.func(args)
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    monkeypatch.setenv("CRMBOT_ENCRYPTION_KEY", key)
    code, out = run("backup")
    assert code == 0 and "encrypted with CRMBOT_ENCRYPTION_KEY" in out
    [made] = [p for p in (tmp_path / "data" / "backups").iterdir()]
    assert made.name.endswith(".db.enc") and backup.is_encrypted(made)

    monkeypatch.delenv("CRMBOT_ENCRYPTION_KEY")
    code, out = run("restore", str(made))
    assert code == 1 and "nothing changed" in out and "set CRMBOT_ENCRYPTION_KEY" in out and "Traceback" not in out
    code, out = run("backup")
    assert code == 1 and "CRMBOT_ENCRYPTION_KEY is not set" in out

    monkeypatch.setenv("CRMBOT_ENCRYPTION_KEY", key)
    code, out = run("restore", str(made))
    assert code == 0 and "restored" in out
