"""HTTP-mode callbacks: who sent it and what it says, checked before anything is stored.

Feishu signs each request (X-Lark-Signature = sha256(timestamp + nonce + encrypt key + body)) and
encrypts its body with the encrypt key; the event's header carries the verification token. The
SDK's dispatcher checks the same things but answers every failure with HTTP 500, takes no clock and
accepts a replayed request of any age; here a forged or stale request is a 401, a wrong token a 403,
and the time comes from the injected clock. Decryption is the SDK's own (AESCipher).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass

from lark_oapi.core.utils import AESCipher

MAX_SKEW_SECONDS = 5 * 60
URL_VERIFICATION = "url_verification"


@dataclass(frozen=True)
class Opened:
    status: int  # 200: go on; 400/401/403: answer this and write nothing
    body: dict | None = None  # the decrypted callback (status 200)
    challenge: str | None = None  # url_verification: echo this back

    @property
    def ok(self) -> bool:
        return self.status == 200


def signature(encrypt_key: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def signed(encrypt_key: str, headers: Mapping[str, str], body: bytes, now: float) -> bool:
    timestamp = headers.get("X-Lark-Request-Timestamp") or ""
    nonce = headers.get("X-Lark-Request-Nonce") or ""
    given = headers.get("X-Lark-Signature") or ""
    if not encrypt_key or not timestamp or not given or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return False
    return hmac.compare_digest(signature(encrypt_key, timestamp, nonce, body).encode(), given.encode("utf-8", "replace"))


def _token_matches(given, expected: str) -> bool:
    return isinstance(given, str) and bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def open_callback(body: bytes, headers: Mapping[str, str], encrypt_key: str, verification_token: str, now: float) -> Opened:
    """Check and decrypt one request. A url_verification (sent when the URL is saved in the console)
    carries no signature: only its token, inside the encrypted body, proves it is Feishu's."""
    has_signature = bool(headers.get("X-Lark-Signature"))
    if has_signature and not signed(encrypt_key, headers, body, now):
        return Opened(401)
    try:
        outer = json.loads(body)
        encrypted = outer.get("encrypt") if isinstance(outer, dict) else None
        if not isinstance(encrypted, str) or not encrypted:
            return Opened(401)  # we set an encrypt key: Feishu encrypts everything it sends
        inner = json.loads(AESCipher(encrypt_key).decrypt_str(encrypted))
    except (ValueError, UnicodeDecodeError, TypeError):
        return Opened(401)
    if not isinstance(inner, dict):
        return Opened(400)
    if inner.get("type") == URL_VERIFICATION:
        if not _token_matches(inner.get("token"), verification_token):
            return Opened(403)
        return Opened(200, inner, challenge=str(inner.get("challenge") or ""))
    if not has_signature:
        return Opened(401)
    header = inner.get("header") if isinstance(inner.get("header"), dict) else {}
    if not _token_matches(header.get("token"), verification_token):
        return Opened(403)
    return Opened(200, inner)
