"""`crmbot run`: every configured adapter, the delivery loop and the scheduler on one event loop."""
from __future__ import annotations

import asyncio
import logging
import signal

from reminders.jobs import start_scheduler

from . import logs

log = logging.getLogger(__name__)


async def serve(app, stop: asyncio.Event | None = None) -> int:
    if not logging.getLogger().handlers:  # (a test may have configured logging already)
        logs.configure(app.settings.secrets())
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
        scheduler = start_scheduler(app)
        failure = await _until_stopped_or_failed(stop, started)
        if failure is not None:  # an adapter gave up on its own (e.g. 409: another instance polls)
            log.error("%s", failure)
            return 1
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


async def _until_stopped_or_failed(stop: asyncio.Event, adapters: list) -> BaseException | None:
    """Wait for a stop signal, or for an adapter that offers `failed()` to report it stopped for good."""
    waiting = [asyncio.ensure_future(stop.wait())]
    waiting += [asyncio.ensure_future(a.failed()) for a in adapters if hasattr(a, "failed")]
    try:
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waiting:
            task.cancel()
    failures = [t.result() for t in done if t is not waiting[0]]
    return failures[0] if failures else None
