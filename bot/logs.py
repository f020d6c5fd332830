"""Logging for `crmbot run`: secrets never reach the log.

httpx logs every request URL at INFO, and a Telegram Bot API URL carries the bot token
(`/bot123:ABC…/getUpdates`). Those loggers (httpx, httpcore, telegram) are held at WARNING, and
every line that is written anyway passes a filter that masks bot tokens in URLs, Slack tokens, the
password in a database URL and every secret value the settings hold (tracebacks included).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import IO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET = ("httpx", "httpcore", "telegram", "hpack", "slack_sdk.web", "slack_bolt")
REDACTED = "<redacted>"
_PATTERNS = [
    (re.compile(r"/bot\d+:[A-Za-z0-9_-]+"), "/bot" + REDACTED),  # Telegram API and file URLs
    (re.compile(r"\b(xox[abposre]|xapp)-[A-Za-z0-9-]+"), r"\1-" + REDACTED),  # Slack tokens
    (re.compile(r"(\w+://[^:/@\s]+:)[^@\s]+@"), r"\1" + REDACTED + "@"),  # user:password@ in URLs
]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


def configure(secrets: Iterable[str] = (), level: int = logging.INFO, stream: IO[str] | None = None) -> logging.Handler:
    """One stream handler on the root logger, filtered; returns it (so it can be removed again)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return handler
