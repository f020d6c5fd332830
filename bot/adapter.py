"""What every messenger adapter offers the wiring. Adapters only translate; handlers do the work."""
from __future__ import annotations

from typing import Protocol

from reminders.delivery import Sender


class Adapter(Protocol):
    platform: str
    sender: Sender  # how the outbox reaches this messenger

    async def start(self) -> None:
        """Connect and begin receiving (polling, socket mode or a webhook server). Returns once running."""

    async def stop(self) -> None:
        """Stop receiving and close connections."""
