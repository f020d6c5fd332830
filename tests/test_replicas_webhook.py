"""Telegram webhook mode on several replicas: every replica registers the same secret (derived from the
token), so whichever replica Telegram's last setWebhook came from, the others still accept its updates;
a restart keeps it, and only a new CRMBOT_TELEGRAM_WEBHOOK_KEY (or token) changes it."""
from __future__ import annotations

import aiohttp

from bot.telegram.webhook import SECRET_HEADER
from tests.fakes.telegram_world import WEBHOOK_URL, fake_telegram, telegram_app  # noqa: F401


async def _replica(fake, db_url, tmp_path, clock, **extra):
    app = telegram_app(fake, db_url, tmp_path, clock, telegram_webhook_url=WEBHOOK_URL, telegram_webhook_port=0, **extra)
    [adapter] = app.adapters
    adapter.webhook_host = "127.0.0.1"
    await adapter.start()
    return app, adapter


async def _post(adapter, update_id: int, secret: str) -> int:
    url = f"http://127.0.0.1:{adapter.webhook.port}{adapter.webhook.path}"
    update = {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "chat": {"id": 5, "type": "private"}, "from": {"id": 5, "is_bot": False, "first_name": "Li"}, "text": "hi"}}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=update, headers={SECRET_HEADER: secret}) as response:
            return response.status


async def test_replicas_share_one_webhook_secret_that_survives_restarts(fake_telegram, sqlite_url, tmp_path, clock):
    replicas = [await _replica(fake_telegram, sqlite_url, tmp_path, clock) for _ in range(2)]
    registered = [call.params["secret_token"] for call in fake_telegram.called("setWebhook")]
    try:
        assert len(registered) == 2 and registered[0] == registered[1]
        for i, (_, adapter) in enumerate(replicas):  # Telegram's one secret opens every replica's door
            assert await _post(adapter, 100 + i, fake_telegram.webhook["secret_token"]) == 200
            assert await _post(adapter, 200 + i, "guess") == 403
    finally:
        for app, adapter in replicas:
            await adapter.stop()
            await app.close()

    app, adapter = await _replica(fake_telegram, sqlite_url, tmp_path, clock)  # a restart
    await adapter.stop()
    await app.close()
    app, adapter = await _replica(fake_telegram, sqlite_url, tmp_path, clock, telegram_webhook_key="rotated-2027")  # on purpose
    await adapter.stop()
    await app.close()
    after = [call.params["secret_token"] for call in fake_telegram.called("setWebhook")][2:]
    assert after[0] == registered[0] and after[1] != registered[0]
