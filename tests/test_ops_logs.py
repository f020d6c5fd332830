"""Structured logs (bot/logs.py): with CRMBOT_LOG_FORMAT=json every line is one JSON object (ts, level,
logger, msg, exc when there is one, extra fields) and secrets are masked in every field; the default
stays the human-readable line. The last test runs `crmbot run` as a process against the Telegram fake."""
from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
import os
import signal
import sys
from pathlib import Path

import pytest

from bot import logs
from bot.settings import Settings, SettingsError, load_settings
from tests.fakes.telegram_api import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql://crm:hunter2-secret@db.example.com:5432/crm"


def _capture(json_lines: bool, secrets=()) -> tuple[io.StringIO, logging.Handler]:
    buf = io.StringIO()
    return buf, logs.configure(list(secrets), level=logging.DEBUG, stream=buf, json_lines=json_lines)


def _lines(buf: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def test_json_lines_parse_and_carry_ts_level_logger_msg_exc_and_extra_fields():
    buf, handler = _capture(json_lines=True)
    # (not under "crmbot": slack-bolt names its app's logger so and copies the root's level onto it)
    try:
        logging.getLogger("tests.ops_logs").info("filed note %s\nsecond line", 7, extra={"chat_id": "42", "attempt": 3, "tags": ("a", "b"), "when": dt.date(2027, 3, 1)})
        try:
            raise ValueError("bad date")
        except ValueError:
            logging.getLogger("tests.ops_logs.inner").exception("parse failed")
    finally:
        logging.getLogger().removeHandler(handler)
    assert len(buf.getvalue().splitlines()) == 2  # the message's own newline stays inside its JSON string
    first, second = _lines(buf)
    assert first["level"] == "INFO" and first["logger"] == "tests.ops_logs" and first["msg"] == "filed note 7\nsecond line"
    assert first["chat_id"] == "42" and first["attempt"] == 3 and first["tags"] == ["a", "b"] and first["when"] == "2027-03-01"
    assert "exc" not in first
    assert dt.datetime.fromisoformat(first["ts"]).utcoffset() == dt.timedelta(0)  # an ISO-8601 moment in UTC
    assert second["level"] == "ERROR" and second["logger"] == "tests.ops_logs.inner" and second["msg"] == "parse failed"
    assert second["exc"].startswith("Traceback") and "ValueError: bad date" in second["exc"]
    assert not {"args", "levelno", "pathname", "exc_info", "msecs"} & set(first)  # the record's own attributes are not extras


def test_secrets_are_masked_in_every_json_field():
    settings = Settings(database_url=PG, telegram_bot_token=TOKEN, slack_signing_secret="sign-me-please", encryption_key="k" * 44)
    buf, handler = _capture(json_lines=True, secrets=settings.secrets())
    try:
        log = logging.getLogger("httpx")
        log.warning("HTTP Request: POST https://api.telegram.org/bot%s/getUpdates", TOKEN, extra={"url": f"https://api.telegram.org/bot{TOKEN}/x", "headers": {"auth": "sign-me-please"}, "db": [PG]})
        try:
            raise RuntimeError(f"connect failed: {PG} with key {'k' * 44}")
        except RuntimeError:
            logging.getLogger("slack_bolt").exception("boom xoxb-1234-5678-abcdef")
    finally:
        logging.getLogger().removeHandler(handler)
    text = buf.getvalue()
    for secret in (TOKEN, TOKEN.split(":")[1], "hunter2-secret", "sign-me-please", "k" * 44, "xoxb-1234"):
        assert secret not in text, secret
    request, boom = _lines(buf)
    assert logs.REDACTED in request["msg"] and logs.REDACTED in request["url"] and request["headers"] == {"auth": logs.REDACTED}
    assert logs.REDACTED in request["db"][0] and "db.example.com" in request["db"][0]  # only the password goes
    assert logs.REDACTED in boom["msg"] and logs.REDACTED in boom["exc"] and "RuntimeError: connect failed" in boom["exc"]


def test_the_default_is_the_human_line_and_the_setting_takes_only_text_or_json(monkeypatch):
    assert load_settings().log_format == "text"
    buf, handler = _capture(json_lines=False)
    try:
        logging.getLogger("tests.ops_logs").warning("a plain line", extra={"chat_id": "42"})
    finally:
        logging.getLogger().removeHandler(handler)
    line = buf.getvalue().strip()
    assert line.endswith(" WARNING tests.ops_logs: a plain line") and not line.startswith("{")
    monkeypatch.setenv("CRMBOT_LOG_FORMAT", "json")
    assert load_settings().log_format == "json"
    monkeypatch.setenv("CRMBOT_LOG_FORMAT", "yaml")
    with pytest.raises(SettingsError, match="CRMBOT_LOG_FORMAT"):
        load_settings()


async def test_crmbot_run_with_log_format_json_writes_only_json_lines(tmp_path):
    fake = await FakeTelegram().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRMBOT_", "TELEGRAM_", "SLACK_", "FEISHU_", "DINGTALK_", "WECOM_"))}
    env |= {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "CRMBOT_TELEGRAM_API_URL": fake.url,
        "CRMBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'crm.db'}",
        "CRMBOT_DATA_DIR": str(tmp_path / "data"),
        "CRMBOT_HEALTH_PORT": "0",
        "CRMBOT_LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    }
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", "--migrate", cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert proc.stderr is not None
    lines: list[dict] = []
    try:
        while not any(line["msg"] == "telegram adapter running" for line in lines):  # waits on the process's own report
            raw = await asyncio.wait_for(proc.stderr.readline(), 120)
            assert raw, f"crmbot run ended early: {lines}"
            lines.append(json.loads(raw))
    finally:
        proc.send_signal(signal.SIGTERM)
        _, rest = await proc.communicate()  # stderr after the lines already read: the shutdown
        await fake.stop()
    assert proc.returncode == 0
    lines += [json.loads(raw) for raw in rest.splitlines() if raw.strip()]
    assert any(line["logger"] == "bot.health" and line["msg"].startswith("health endpoints on port") for line in lines)
    assert all({"ts", "level", "logger", "msg"} <= set(line) for line in lines)
    assert TOKEN not in json.dumps(lines)

