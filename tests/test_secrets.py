"""Secrets stay out of logs, banners and reprs (issue 13, medium 5)."""

from __future__ import annotations

import io
import logging

from bot import logs
from bot.settings import Settings
from tests.fakes.telegram_api import TOKEN, user
from tests.fakes.telegram_world import fake_telegram, world  # noqa: F401
from tests.helpers import seed_team

PG = "postgresql://crm:hunter2-secret@db.example.com:5432/crm"


def test_settings_hold_secrets_that_never_print(tmp_path):
    s = Settings(database_url=PG, data_dir=tmp_path, telegram_bot_token=TOKEN, slack_signing_secret="sign-me-please", encryption_key="k" * 44)
    shown = repr(s) + str(s) + s.model_dump_json()
    assert TOKEN not in shown and "hunter2-secret" not in shown and "sign-me-please" not in shown and "k" * 44 not in shown
    assert s.db_url == PG and "hunter2-secret" not in s.safe_db_url and "db.example.com" in s.safe_db_url
    assert set(s.secrets()) >= {TOKEN, "hunter2-secret", "sign-me-please", "k" * 44}


async def test_polling_telegram_writes_no_token_to_the_log(world):
    buf = io.StringIO()
    handler = logs.configure(world.app.settings.secrets(), level=logging.DEBUG, stream=buf)
    try:
        await seed_team(world.app, members=(("1001", "admin"),), platform="telegram")
        await world.start()
        await world.say(user(1001, "Li"), "/help")
        logging.getLogger("httpx").warning("HTTP Request: POST %s/bot%s/getUpdates", world.fake.url, TOKEN)
        try:
            raise RuntimeError(f"connect failed: {PG} and https://api.telegram.org/file/bot{TOKEN}/x.csv")
        except RuntimeError:
            logging.getLogger("telegram.ext").exception("boom xoxb-1234-5678-abcdef")
    finally:
        logging.getLogger().removeHandler(handler)
    text = buf.getvalue()
    assert "HTTP Request" in text and "boom" in text and "telegram" in text
    assert TOKEN not in text and TOKEN.split(":")[1] not in text and "hunter2-secret" not in text and "xoxb-1234" not in text
