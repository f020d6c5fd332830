"""Logging for `crmbot run`: secrets never reach the log.

httpx logs every request URL at INFO, and a Telegram Bot API URL carries the bot token
(`/bot123:ABC…/getUpdates`). Those loggers (httpx, httpcore, telegram) are held at WARNING, and
every line that is written anyway passes a filter that masks bot tokens in URLs, Slack tokens, the
password in a database URL and every secret value the settings hold (tracebacks included).

Lines are human-readable by default; with CRMBOT_LOG_FORMAT=json each is one JSON object (ts, level,
logger, msg, exc when there is one, and the record's extra fields), for a log shipper. The JSON
formatter masks the same secrets in every field it writes, extra fields included.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterable
from typing import IO, Any

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


# what every LogRecord has; the rest of a record's attributes came from `extra=` and go into the JSON line
_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}


class JsonLines(logging.Formatter):
    """One JSON object per record, on one line (newlines inside values are escaped by JSON)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage(), self.secrets),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = redact(record.exc_text, self.secrets)
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info), self.secrets)
        for name, value in record.__dict__.items():
            if name not in _RECORD_FIELDS and name not in line:
                line[name] = self._plain(value)
        return json.dumps(line, ensure_ascii=False)

    def _plain(self, value: Any) -> Any:
        """A JSON value with every string in it redacted (anything else JSON has no type for becomes its str)."""
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, dict):
            return {redact(str(k), self.secrets): self._plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self._plain(v) for v in value]
        return redact(str(value), self.secrets)


def configure(secrets: Iterable[str] = (), level: int = logging.INFO, stream: IO[str] | None = None, json_lines: bool = False) -> logging.Handler:
    """One stream handler on the root logger, filtered; returns it (so it can be removed again).
    json_lines: one JSON object per line (CRMBOT_LOG_FORMAT=json) instead of FORMAT."""
    secrets = list(secrets)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines(secrets) if json_lines else logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return handler
