"""The one wiring function: settings → storage → handlers → delivery (→ scheduler → adapters)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from handlers.context import Services, system_clock
from reminders.delivery import Deliverer, Sender
from storage.db import Database

from .settings import Settings, load_settings


@dataclass
class App:
    settings: Settings
    db: Database
    services: Services
    deliverer: Deliverer
    senders: dict[str, Sender] = field(default_factory=dict)

    async def close(self) -> None:
        await self.db.dispose()


def build_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], dt.datetime] = system_clock,
    senders: list[Sender] | None = None,
    migrate: bool = True,
) -> App:
    settings = settings or load_settings()
    db = Database(settings.db_url)
    if migrate:
        db.migrate()
    services = Services(db=db, settings=settings, clock=clock)
    by_platform = {s.platform: s for s in senders or []}
    deliverer = Deliverer(db=db, senders=by_platform, clock=clock)
    services.on_outbox = deliverer.wakeup.set
    return App(settings=settings, db=db, services=services, deliverer=deliverer, senders=by_platform)


def load_customer_records(db_url: str | None):
    """All customers of the database as parser records (for `crmbot parse` without --customers)."""
    import asyncio

    from sqlmodel import select

    from handlers.customer_index import record_of
    from storage.models import Customer

    settings = load_settings(**({"database_url": db_url} if db_url else {}))

    async def read():
        db = Database(settings.db_url)
        try:
            async with db.read() as session:
                return [record_of(c) for c in (await session.exec(select(Customer))).all()]
        finally:
            await db.dispose()

    db = Database(settings.db_url)
    db.migrate()
    return asyncio.run(read())
