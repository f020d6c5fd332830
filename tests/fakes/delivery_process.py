"""`crmbot run` in a process of its own, for kill -9 delivery tests, configured from the environment.

The outbox lease is made short (DELIVERY_TEST_LEASE_SECONDS, default 3) so that a restarted process
takes over a killed one's rows within seconds instead of a minute; nothing else differs from
`crmbot run`. Run as: python -m tests.fakes.delivery_process
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys

from bot.runner import serve
from bot.wiring import build_app
from reminders import delivery


def main() -> int:
    delivery.LEASE = dt.timedelta(seconds=float(os.environ.get("DELIVERY_TEST_LEASE_SECONDS", "3")))
    app = build_app(with_adapters=True)
    print("STARTED", flush=True)
    return asyncio.run(serve(app))


if __name__ == "__main__":
    sys.exit(main())
