"""`crmbot run`: every configured adapter, the delivery loop and the scheduler on one event loop."""
from __future__ import annotations

import asyncio
import logging
import signal

log = logging.getLogger(__name__)


async def serve(app, stop: asyncio.Event | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    scheduler = None
    started = []
    delivery = asyncio.create_task(app.deliverer.run_forever())
    try:
        for adapter in app.adapters:
            await adapter.start()
            started.append(adapter)
            log.info("%s adapter running", adapter.platform)
        try:
            from reminders.jobs import start_scheduler
        except ImportError:
            start_scheduler = None
        if start_scheduler is not None:
            scheduler = start_scheduler(app)
        await stop.wait()
        return 0
    except Exception as exc:  # e.g. a second instance on the same Telegram token
        log.error("%s", exc)
        return 1
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        for adapter in reversed(started):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping %s failed", adapter.platform)
        delivery.cancel()
        try:
            await delivery
        except (asyncio.CancelledError, Exception):
            pass
        await app.close()
