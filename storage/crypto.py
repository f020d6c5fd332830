"""Phone numbers and emails encrypted at rest (Fernet/MultiFernet), with keyed hashes for exact lookups.

CRMBOT_ENCRYPTION_KEY holds one or more Fernet keys, comma-separated, newest first: new values are
encrypted with the first, every key still decrypts, and `crmbot rotate-key` rewrites everything
with the first so the old ones can be dropped. The lookup hash is HMAC-SHA256 under a key derived
(HKDF) from each encryption key, so a phone number can be found without decrypting every row.

Nothing here is global: a Database attaches its Cipher to its engines' dialects, where the
``Encrypted`` column type and the hash hook find it; apps with different keys share a process.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import String, column, create_engine, func, inspect, or_, pool, select, table, text, update
from sqlalchemy.types import TypeDecorator

from .contacts import normalize_email, normalize_phone
from .db_urls import sync_url

TOKEN_PREFIX = "gAAAAA"  # every Fernet token starts so (version byte 0x80, then the timestamp)
_ATTR = "crmbot_cipher"
_HASH_INFO = b"crmbot contact lookup v1"


class EncryptionError(SystemExit):
    """A key problem that must stop the program before it runs half-blind."""


class Undecryptable(RuntimeError):
    pass


class Cipher:
    def __init__(self, keys: list[bytes]) -> None:
        self.fernet = MultiFernet([Fernet(k) for k in keys])
        self._hash_keys = [HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HASH_INFO).derive(base64.urlsafe_b64decode(k)) for k in keys]

    @classmethod
    def from_setting(cls, value: str | None) -> Cipher | None:
        keys = [k.strip() for k in (value or "").split(",") if k.strip()]
        if not keys:
            return None
        try:
            return cls([k.encode("ascii") for k in keys])
        except (ValueError, binascii.Error, UnicodeEncodeError):
            raise EncryptionError(
                "crmbot: CRMBOT_ENCRYPTION_KEY must be Fernet keys (44 characters each, comma-separated, newest first); make one with `crmbot new-key`"
            ) from None

    def encrypt(self, value: str) -> str:
        return self.fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        return self.fernet.decrypt(token.encode("ascii")).decode("utf-8")

    def digest(self, normalized: str) -> str:
        """The lookup hash written now (first key)."""
        return self.digests(normalized)[0]

    def digests(self, normalized: str) -> list[str]:
        """The hash under every key: lookups still find rows written before a rotation finished."""
        return [hmac.new(k, normalized.encode("utf-8"), hashlib.sha256).hexdigest() for k in self._hash_keys]


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def is_token(value: str | None) -> bool:
    return bool(value) and value.startswith(TOKEN_PREFIX)


# --- where a Database keeps its cipher -----------------------------------------------------------
def attach(engine, cipher: Cipher | None) -> None:
    """Give an engine (sync or async) its cipher; the column type reads it from the dialect."""
    setattr(getattr(engine, "sync_engine", engine).dialect, _ATTR, cipher)


def cipher_of(dialect) -> Cipher | None:
    return getattr(dialect, _ATTR, None)


class Encrypted(TypeDecorator):
    """Text encrypted with the engine's cipher when it has one, plain text otherwise.

    Equality on this column cannot work (each encryption differs): look up by the hash columns.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        cipher = cipher_of(dialect)
        if value is None or cipher is None:
            return value
        return cipher.encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None or not is_token(value):
            return value
        cipher = cipher_of(dialect)
        if cipher is None:
            return value  # start-up refuses this state; never guess
        try:
            return cipher.decrypt(value)
        except InvalidToken:
            raise Undecryptable("a stored phone/email does not decrypt with CRMBOT_ENCRYPTION_KEY") from None


def contact_hashes(cipher: Cipher | None, phone: str | None, email: str | None) -> dict:
    p, e = normalize_phone(phone), normalize_email(email)
    return {
        "phone_hash": cipher.digest(p) if cipher and p else None,
        "email_hash": cipher.digest(e) if cipher and e else None,
    }


def fill_hashes(mapper, connection, target) -> None:
    """Mapper hook (before insert/update of a Customer): keep the lookup hashes in step."""
    for name, value in contact_hashes(cipher_of(connection.dialect), target.phone, target.email).items():
        if getattr(target, name) != value:
            setattr(target, name, value)


def phone_lookup(cipher: Cipher, text_: str) -> list[str]:
    p = normalize_phone(text_)
    return cipher.digests(p) if p else []


def email_lookup(cipher: Cipher, text_: str) -> list[str]:
    e = normalize_email(text_)
    return cipher.digests(e) if e else []


# --- start-up check and rewrites (blocking; before the bot serves) --------------------------------
_customer = table("customer", column("id"), column("phone", Encrypted()), column("email", Encrypted()), column("phone_hash"), column("email_hash"))
_ENCRYPTED = f"substr(phone, 1, 6) = '{TOKEN_PREFIX}' OR substr(email, 1, 6) = '{TOKEN_PREFIX}'"
MISSING_KEY = (
    "crmbot: the database holds encrypted phone numbers/emails but CRMBOT_ENCRYPTION_KEY is not set. "
    "Refusing to start rather than run without them: set the key (all keys, comma-separated, newest first)."
)
WRONG_KEY = "crmbot: CRMBOT_ENCRYPTION_KEY does not decrypt the stored phone numbers/emails (a key is missing or wrong). Refusing to start."


def _sync_engine(url: str, cipher: Cipher | None):
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    attach(engine, cipher)
    return engine


def prepare(url: str, cipher: Cipher | None) -> int:
    """Refuse to start half-blind (encrypted data, no or wrong key); with a key, encrypt what is
    still plain (a key set on an existing database). Returns how many customers were encrypted."""
    engine = _sync_engine(url, cipher)
    try:
        with engine.begin() as conn:
            if not inspect(conn).has_table("customer"):
                return 0
            sample = conn.execute(text(f"SELECT phone, email FROM customer WHERE {_ENCRYPTED} LIMIT 1")).first()
        if sample is not None:
            if cipher is None:
                raise EncryptionError(MISSING_KEY)
            try:
                cipher.decrypt(next(v for v in sample if is_token(v)))
            except InvalidToken:
                raise EncryptionError(WRONG_KEY) from None
        if cipher is None:
            return 0
        return _rewrite(engine, cipher, only_plain=True)
    finally:
        engine.dispose()


def rotate(url: str, cipher: Cipher) -> int:
    """Re-encrypt every phone/email with the first key and rehash; returns the customers rewritten."""
    prepare(url, cipher)
    engine = _sync_engine(url, cipher)
    try:
        return _rewrite(engine, cipher, only_plain=False)
    finally:
        engine.dispose()


def _rewrite(engine, cipher: Cipher, *, only_plain: bool, chunk: int = 500) -> int:
    c = _customer.c
    if only_plain:
        plain_phone = (c.phone.isnot(None)) & (func.substr(c.phone, 1, 6) != TOKEN_PREFIX)
        plain_email = (c.email.isnot(None)) & (func.substr(c.email, 1, 6) != TOKEN_PREFIX)
        todo = or_(plain_phone, plain_email)
    else:
        todo = or_(c.phone.isnot(None), c.email.isnot(None), c.phone_hash.isnot(None), c.email_hash.isnot(None))
    done, last = 0, 0
    while True:
        with engine.begin() as conn:  # one short transaction per chunk: every row reads at every moment
            rows = conn.execute(select(c.id, c.phone, c.email).where(todo, c.id > last).order_by(c.id).limit(chunk)).all()
            for row in rows:
                conn.execute(update(_customer).where(c.id == row.id).values(phone=row.phone, email=row.email, **contact_hashes(cipher, row.phone, row.email)))
        if not rows:
            return done
        done += len(rows)
        last = rows[-1].id
