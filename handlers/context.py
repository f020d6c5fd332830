"""What a handler receives: the message, the services, and who is talking, inside one transaction."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from storage.models import Member, Team

from .customer_index import CustomerIndexes
from chat.messages import Incoming

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class Services:
    """Long-lived things the handlers use. Built once by bot.wiring.build_app."""

    db: Database
    settings: object  # bot.settings.Settings (kept untyped so handlers never import bot/)
    clock: Clock = system_clock
    indexes: CustomerIndexes = field(default=None)  # type: ignore[assignment]
    on_outbox: Callable[[], None] = lambda: None  # wakes the delivery loop
    notes_filed: Any = None  # prometheus Counter by status, counted in quick_note (bot/metrics.py); None: not counted
    parse_seconds: Any = None  # prometheus Histogram of the parser's time per note

    def __post_init__(self) -> None:
        if self.indexes is None:
            self.indexes = CustomerIndexes(self.db)


@dataclass
class Context:
    msg: Incoming
    services: Services
    session: AsyncSession
    member: Member
    team: Team
    lang: str

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.member.timezone)
        except Exception:  # a bad zone saved earlier must not break every reply
            return ZoneInfo("UTC")

    @property
    def now(self) -> dt.datetime:
        """When the message was sent, in the sender's timezone (dates in notes resolve against it)."""
        return self.msg.sent_at.astimezone(self.zone)

    @property
    def today(self) -> dt.date:
        return self.services.clock().astimezone(self.zone).date()

    @property
    def in_group(self) -> bool:
        return self.msg.chat_kind == "group"
