"""Backups and restores that are safe while the bot writes, and the daily backup with retention.

SQLite: the online backup API copies the database in one step inside a read transaction, so the
copy is one consistent moment even while the bot writes (WAL readers never block writers); the
copy is checked with PRAGMA integrity_check and renamed into place only when whole.
PostgreSQL: pg_dump (a consistent snapshot) and pg_restore, when the client tools are installed.

With CRMBOT_ENCRYPTION_KEY set, a backup is encrypted with its first key (names, notes and amounts
are plain in the database; only contacts are encrypted there) and never touches the disk in the
clear: the SQLite copy is taken in memory and pg_dump is piped. A database holding encrypted
contacts is not backed up without the key. Restores read both kinds; every key still decrypts.

A restore first saves the current database next to the backups, so nothing is lost by mistake.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from cryptography.fernet import InvalidToken
from sqlalchemy.engine import make_url

from .crypto import _ENCRYPTED, Cipher, EncryptionError, prepare

PREFIX = "crmbot-"
ENCRYPTED_SUFFIX = ".enc"
_SUFFIXES = (".db", ".dump", ".db" + ENCRYPTED_SUFFIX, ".dump" + ENCRYPTED_SUFFIX)
# an encrypted backup: this line, then chunks, each a 4-byte length and a Fernet token of
# (8-byte chunk number, 1 byte "last", data): chunks cannot be reordered, dropped or cut off unseen
MAGIC = b"CRMBOT ENCRYPTED BACKUP 1\n"
CHUNK = 1 << 20
_HEAD = struct.Struct(">QB")
_LENGTH = struct.Struct(">I")


class BackupError(RuntimeError):
    pass


NO_KEY_TO_READ = "this backup is encrypted: set CRMBOT_ENCRYPTION_KEY to the key it was made with"
WRONG_KEY_TO_READ = "this backup does not decrypt with CRMBOT_ENCRYPTION_KEY (made with another key?)"
NO_KEY_TO_WRITE = "the database holds encrypted phone numbers/emails but CRMBOT_ENCRYPTION_KEY is not set: set it, and the backup is encrypted with it"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def suffix(url: str, encrypted: bool = False) -> str:
    return (".db" if is_sqlite(url) else ".dump") + (ENCRYPTED_SUFFIX if encrypted else "")


def default_name(url: str, at: dt.datetime, encrypted: bool = False) -> str:
    return f"{PREFIX}{at:%Y%m%d-%H%M%S}{suffix(url, encrypted)}"


def is_encrypted(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


def backup(url: str, out: Path, cipher: Cipher | None = None) -> Path:
    """Write a consistent copy of the database to `out` (blocking), encrypted when a cipher is given."""
    out = Path(out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    try:
        part.unlink(missing_ok=True)
        os.close(os.open(part, os.O_CREAT | os.O_WRONLY, 0o600))  # readable by the bot's user only, from the start
        if is_sqlite(url):
            _sqlite_backup(_sqlite_path(url), part, cipher)
        else:
            if cipher is None:
                _refuse_plain_copy_of_encrypted(url)
            _pg_dump(url, part, cipher)
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    return out


def restore(url: str, source: Path, keep_dir: Path, at: dt.datetime | None = None, cipher: Cipher | None = None) -> Path | None:
    """Replace the database with a backup (blocking). The current one is saved in keep_dir first
    (encrypted when a cipher is given); returns that copy. Stop the bot before restoring."""
    source = Path(source).expanduser()
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    encrypted = is_encrypted(source)
    if encrypted and cipher is None:
        raise BackupError(NO_KEY_TO_READ)
    saved = None
    stamp = f"before-restore-{(at or dt.datetime.now().astimezone()):%Y%m%d-%H%M%S}"
    if is_sqlite(url):
        src = _open_sqlite_backup(source, cipher if encrypted else None)
        try:
            target = _sqlite_path(url)
            if target.exists():
                saved = backup(url, Path(keep_dir) / f"{stamp}{suffix(url, cipher is not None)}", cipher)
            target.parent.mkdir(parents=True, exist_ok=True)
            dst = sqlite3.connect(target, timeout=30)
            try:
                src.backup(dst)  # page by page through SQLite itself: the WAL and locks stay right
            finally:
                dst.close()
        finally:
            src.close()
    else:
        if encrypted:
            _check_decrypts(source, cipher)  # before anything changes
        saved = backup(url, Path(keep_dir) / f"{stamp}{suffix(url, cipher is not None)}", cipher)
        _pg_restore(url, source, cipher if encrypted else None)
    return saved


def _is_backup(path: Path) -> bool:
    return path.name.startswith(PREFIX) and path.name.endswith(_SUFFIXES)


def prune(directory: Path, keep: int) -> list[Path]:
    """Keep the newest `keep` backups in the directory (by their timestamped names); returns the removed."""
    backups = sorted((p for p in Path(directory).iterdir() if _is_backup(p)), key=lambda p: p.name)
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
    if directory.exists() and any(p.name.startswith(today) and _is_backup(p) for p in directory.iterdir()):
        return None
    cipher = getattr(app.db, "cipher", None)
    path = await asyncio.to_thread(backup, app.db.url, directory / default_name(app.db.url, local, cipher is not None), cipher)
    await asyncio.to_thread(prune, directory, getattr(settings, "backup_keep", 14))
    return path


def backup_dir(settings) -> Path:
    return Path(getattr(settings, "backup_dir", None) or Path(settings.data_dir) / "backups").expanduser()


# --- encryption ----------------------------------------------------------------------------------------
def _encrypt_to(out: IO[bytes], blocks: Iterable[bytes], cipher: Cipher) -> None:
    out.write(MAGIC)
    number, previous = 0, None
    for block in blocks:
        if previous is not None:
            _write_chunk(out, cipher, number, False, previous)
            number += 1
        previous = block
    _write_chunk(out, cipher, number, True, previous or b"")


def _write_chunk(out: IO[bytes], cipher: Cipher, number: int, last: bool, data: bytes) -> None:
    token = cipher.fernet.encrypt(_HEAD.pack(number, last) + data)
    out.write(_LENGTH.pack(len(token)) + token)


def _decrypted(path: Path, cipher: Cipher) -> Iterator[bytes]:
    """The plain bytes of an encrypted backup, chunk by chunk; a wrong key or a damaged file is a BackupError."""
    with open(path, "rb") as fh:
        if fh.read(len(MAGIC)) != MAGIC:
            raise BackupError(f"{path} is not an encrypted crmbot backup")
        expected = 0
        while True:
            size = fh.read(_LENGTH.size)
            if len(size) < _LENGTH.size:
                raise BackupError(f"{path} is cut off (an encrypted backup must end with its last chunk)")
            token = fh.read(_LENGTH.unpack(size)[0])
            try:
                plain = cipher.fernet.decrypt(token)
            except InvalidToken:
                raise BackupError(WRONG_KEY_TO_READ) from None
            number, last = _HEAD.unpack_from(plain)
            if number != expected:
                raise BackupError(f"{path} is damaged (chunks out of order)")
            yield plain[_HEAD.size :]
            if last:
                return
            expected += 1


def _check_decrypts(path: Path, cipher: Cipher | None) -> None:
    assert cipher is not None
    for _ in _decrypted(path, cipher):
        pass


def _blocks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


# --- SQLite ------------------------------------------------------------------------------------------
def _sqlite_path(url: str) -> Path:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(path).expanduser()


def _sqlite_backup(path: Path, out: Path, cipher: Cipher | None) -> None:
    if not path.exists():
        raise BackupError(f"no database at {path}")
    src = sqlite3.connect(path, timeout=30)
    # encrypted: the copy is taken in memory, so nothing plain reaches the disk
    dst = sqlite3.connect(":memory:" if cipher is not None else out)  # (a file copy: created 0600 by backup())
    try:
        try:
            src.backup(dst)  # all pages in one step: one consistent moment
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is not a usable database: {exc}") from None
        _integrity(dst, out)
        if cipher is None:
            if _holds_encrypted(dst):
                raise BackupError(NO_KEY_TO_WRITE)
            dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
            return
        image = bytearray(dst.serialize())
        image[18:20] = b"\x01\x01"  # the file format's journal bytes: rollback, not WAL (a WAL image cannot be opened in memory)
        with open(out, "wb") as fh:
            _encrypt_to(fh, _blocks(bytes(image)), cipher)
    finally:
        dst.close()
        src.close()


def _holds_encrypted(conn: sqlite3.Connection) -> bool:
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='customer'").fetchone() is None:
        return False
    return conn.execute(f"SELECT 1 FROM customer WHERE {_ENCRYPTED} LIMIT 1").fetchone() is not None


def _open_sqlite_backup(path: Path, cipher: Cipher | None) -> sqlite3.Connection:
    """A checked connection to the backup: the file itself, or (encrypted) its decrypted copy in memory."""
    try:
        if cipher is not None:
            conn = sqlite3.connect(":memory:")
            try:
                conn.deserialize(b"".join(_decrypted(path, cipher)))
            except sqlite3.Error as exc:
                conn.close()
                raise BackupError(f"{path} does not hold a SQLite database: {exc}") from None
        else:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from None
    try:
        _integrity(conn, path)
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").fetchone() is None:
            raise BackupError(f"{path} is not a crmbot backup (no schema version)")
    except BaseException:
        conn.close()
        raise
    return conn


def _integrity(conn: sqlite3.Connection, path: Path) -> None:
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a usable database: {exc}") from None
    if result != "ok":
        raise BackupError(f"{path} failed its integrity check: {result}")


# --- PostgreSQL --------------------------------------------------------------------------------------
def _refuse_plain_copy_of_encrypted(url: str) -> None:
    try:
        prepare(url, None)  # with no key: only checks, and refuses encrypted data
    except EncryptionError:
        raise BackupError(NO_KEY_TO_WRITE) from None


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


def _pg_dump(url: str, out: Path, cipher: Cipher | None) -> None:
    dsn, env = _pg_args(url)
    args = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--dbname", dsn]
    if cipher is None:
        _run([*args, "--file", str(out)], env)
        return
    with tempfile.TemporaryFile() as err, open(out, "wb") as fh:  # (stderr in a file: a full pipe cannot stall the dump)
        with subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=err) as dump:
            stdout = dump.stdout
            assert stdout is not None
            _encrypt_to(fh, iter(lambda: stdout.read(CHUNK), b""), cipher)
        _check_exit("pg_dump", dump.returncode, err)


def _pg_restore(url: str, source: Path, cipher: Cipher | None) -> None:
    dsn, env = _pg_args(url)
    args = [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname", dsn]
    if cipher is None:
        _run([*args, str(source)], env)
        return
    with tempfile.TemporaryFile() as err:
        with subprocess.Popen(args, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err) as proc:
            stdin = proc.stdin
            assert stdin is not None
            try:
                for block in _decrypted(source, cipher):
                    stdin.write(block)
            except BrokenPipeError:
                pass  # pg_restore stopped: its own message says why
            finally:
                try:
                    stdin.close()
                except BrokenPipeError:
                    pass
        _check_exit("pg_restore", proc.returncode, err)


def _check_exit(tool: str, code: int, err: IO[bytes]) -> None:
    if code != 0:
        err.seek(0)
        raise BackupError(f"{tool} failed: {err.read().decode(errors='replace').strip()[:500]}")


def _run(args: list[str], env: dict) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[:500]}")
