"""`crmbot run` in a process of its own, for crash tests, configured from the environment.

With --hang-after-store the Telegram adapter stops right after an update is stored in the inbox
and before it is handled (it prints "STORED <update id>" and waits, polling no more, so Telegram is
never told it arrived), so a test can kill -9 it at exactly that point. Run as: python -m tests.fakes.telegram_process [--hang-after-store]
"""
from __future__ import annotations

import asyncio
import sys

from bot.runner import serve
from bot.wiring import build_app


def main() -> int:
    app = build_app(with_adapters=True)
    if "--hang-after-store" in sys.argv:
        adapter = app.adapters[0]

        async def stored_then_hang(update) -> None:
            print(f"STORED {update.update_id}", flush=True)
            await asyncio.Event().wait()

        async def no_more_polls() -> None:
            await asyncio.Event().wait()

        adapter._process = stored_then_hang
        # and no getUpdates after the start-up poll that brought the update: a later one would confirm
        # it to Telegram (its offset moved past it), so a kill -9 after STORED would race that poll
        adapter._poll_forever = no_more_polls
    return asyncio.run(serve(app))


if __name__ == "__main__":
    sys.exit(main())
