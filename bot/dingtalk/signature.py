"""Signatures of HTTP outgoing-robot callbacks: headers `timestamp` (epoch milliseconds) and `sign`,
base64(HMAC-SHA256(app secret, f"{timestamp}\\n{app secret}")); DingTalk's rule is that a timestamp
more than an hour away from now is not to be trusted. Time comes from the injected clock."""
from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

MAX_SKEW_MS = 60 * 60 * 1000


def sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def check(secret: str, headers: Mapping[str, str], now_ms: float) -> str | None:
    """None when the request is signed with `secret` within the hour; else why not ("forged", "stale")."""
    timestamp = headers.get("timestamp") or ""
    given = headers.get("sign") or ""
    if not secret or not timestamp or not given or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 15:
        return "forged"
    if not hmac.compare_digest(sign(secret, timestamp).encode(), given.encode("utf-8", "replace")):
        return "forged"
    if abs(now_ms - int(timestamp)) > MAX_SKEW_MS:
        return "stale"
    return None
