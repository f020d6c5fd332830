"""Slack request signatures (HTTP mode), checked before Bolt sees the request.

Bolt's own check answers a non-numeric timestamp with HTTP 500 and reads the system clock; this
one answers every bad request with a plain False (→ 401) and takes the time from the injected clock.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

MAX_SKEW_SECONDS = 5 * 60


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> bool:
    """True when the request is signed with `secret` within five minutes of `now` (epoch seconds)."""
    timestamp = headers.get("X-Slack-Request-Timestamp") or ""
    given = headers.get("X-Slack-Signature") or ""
    if not secret or not timestamp or not given:
        return False
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body).encode(), given.encode("utf-8", "replace"))
