"""The one wiring function: settings → storage → handlers → delivery (→ scheduler → adapters)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from handlers.context import Services, system_clock
from reminders.delivery import Deliverer, Sender
from storage.crypto import Cipher
from storage.crypto import prepare as prepare_encryption
from storage.db import Database

from .settings import Settings, load_settings, reveal


@dataclass
class App:
    settings: Settings
    db: Database
    services: Services
    deliverer: Deliverer
    senders: dict[str, Sender] = field(default_factory=dict)
    adapters: list = field(default_factory=list)  # bot.adapter.Adapter
    leases: Any = None  # storage.leases.Leases while `crmbot run` serves (bot/runner.py)
    health: Any = None  # bot.health.HealthServer while `crmbot run` serves with CRMBOT_HEALTH_PORT
    metrics: Any = None  # bot.metrics.Metrics: this app's own registry, served as /metrics (with CRMBOT_HEALTH_PORT)

    async def close(self) -> None:
        await self.db.dispose()


def configured_adapters(settings: Settings, services: Services) -> list:
    """The messengers whose credentials are set, in a fixed order. Imported lazily: a console-only
    install never loads PTB or Bolt."""
    adapters = []
    if settings.telegram_bot_token:
        from .telegram.adapter import TelegramAdapter

        adapters.append(TelegramAdapter(settings, services))
    if settings.slack_bot_token:
        from .slack.adapter import SlackAdapter

        adapters.append(SlackAdapter(settings, services))
    if settings.feishu_app_id:
        from .feishu.adapter import FeishuAdapter

        adapters.append(FeishuAdapter(settings, services))
    if settings.dingtalk_client_id:
        from .dingtalk.adapter import DingTalkAdapter

        adapters.append(DingTalkAdapter(settings, services))
    if settings.wecom_corp_id:
        from .wecom.adapter import WeComAdapter

        adapters.append(WeComAdapter(settings, services))
    if settings.wecom_bot_token:  # the 智能机器人 (groups); its sender passes rows it cannot answer to the app above
        from .wecom.bot_adapter import WeComBotAdapter

        adapters.append(WeComBotAdapter(settings, services, app=next((a for a in adapters if a.platform == "wecom"), None)))
    return adapters


def build_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], dt.datetime] = system_clock,
    senders: list[Sender] | None = None,
    migrate: bool = True,
    with_adapters: bool = False,
) -> App:
    settings = settings or load_settings()
    cipher = Cipher.from_setting(reveal(settings.encryption_key))
    db = Database(settings.db_url, cipher)
    if migrate:
        db.migrate()
    prepare_encryption(settings.db_url, cipher)  # refuses to start with encrypted data and no (or a wrong) key
    services = Services(db=db, settings=settings, clock=clock)
    adapters = configured_adapters(settings, services) if with_adapters else []
    by_platform = {s.platform: s for s in senders or []} | {a.platform: a.sender for a in adapters}
    deliverer = Deliverer(db=db, senders=by_platform, clock=clock)
    services.on_outbox = deliverer.wakeup.set
    metrics = None
    if settings.health_port is not None:  # served there only; prometheus_client stays out of `crmbot chat`'s start-up
        from .metrics import Metrics

        metrics = Metrics()
        services.notes_filed, services.parse_seconds = metrics.notes_filed, metrics.parse_seconds
        deliverer.deliveries, deliverer.rate_limited = metrics.deliveries, metrics.rate_limited
    return App(settings=settings, db=db, services=services, deliverer=deliverer, senders=by_platform, adapters=adapters, metrics=metrics)


def load_customer_records(db_url: str | None):
    """All customers of the database as parser records (for `crmbot parse` without --customers)."""
    import asyncio

    from sqlmodel import select

    from handlers.customer_index import record_of
    from storage.models import Customer

    settings = load_settings(**({"database_url": db_url} if db_url else {}))

    async def read():
        db = Database(settings.db_url, Cipher.from_setting(reveal(settings.encryption_key)))
        try:
            async with db.read() as session:
                return [record_of(c) for c in (await session.exec(select(Customer))).all()]
        finally:
            await db.dispose()

    from storage.db import schema_revisions

    if schema_revisions(settings.db_url)[0] is None:  # read-only: no schema yet means no customers, never a migration
        return []
    return asyncio.run(read())
