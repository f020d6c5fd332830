"""`crmbot run`: the adapters, the delivery loop and the scheduler on one event loop.

Several replicas may run against one PostgreSQL: every replica serves webhooks and HTTP events and
delivers from the outbox; the scheduler tick, retention, backups and Telegram long polling each run
only on the replica holding its lease (storage/leases.py), and move when that replica dies.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from collections.abc import Awaitable, Callable

from handlers import router
from reminders.jobs import start_scheduler, stop_scheduler
from storage import inbox_notify, messaging
from storage.leases import INBOX_SWEEP, JOB_LEASES, TELEGRAM_POLLING, Leases, Singleton
from storage.models import utcnow

from . import logs

log = logging.getLogger(__name__)

# An inbox row still 'received' this long after it arrived was acked by a replica that died before
# handling it (a live one handles its rows within seconds): the sweep's holder handles it instead.
INBOX_STALE = dt.timedelta(seconds=30)
SWEEP_EVERY = 10.0  # seconds between the sweep holder's looks


def polls(adapter) -> bool:
    """Whether the adapter receives by long polling (one receiver per bot token, so one replica)."""
    return adapter.platform == "telegram" and not getattr(adapter.settings, "telegram_webhook_url", None)


class _Scheduler:
    """One scheduler job as a lease's start/stop pair."""

    def __init__(self, app, job: str) -> None:
        self.app = app
        self.job = job
        self.scheduler = None

    async def start(self) -> None:
        self.scheduler = start_scheduler(self.app, only=(self.job,))

    async def stop(self) -> None:
        if self.scheduler is not None:
            scheduler, self.scheduler = self.scheduler, None
            await stop_scheduler(scheduler)


async def sweep_inbox(app, adapters, now: dt.datetime | None = None) -> list[str]:
    """Hand the inbox rows that have waited longer than INBOX_STALE to this replica's adapters (their
    start-up recovery, limited to those rows): a replica killed after its ack and before handling
    leaves them 'received', and without this they waited for some replica's restart. A row the slow
    live replica handles at the same time is filed once all the same (the router's keys). Returns the
    platforms swept."""
    before = (now or utcnow()) - INBOX_STALE
    async with app.db.read() as session:
        platforms = await messaging.inbox_stale_platforms(session, before)
    swept = []
    for adapter in adapters:
        if adapter.platform in platforms and hasattr(adapter, "_recover"):
            token = messaging.received_before.set(before)
            try:
                await adapter._recover()
            finally:
                messaging.received_before.reset(token)
            swept.append(adapter.platform)
    if swept:
        log.warning("inbox: handled rows a stopped replica had received and not handled (%s)", ", ".join(swept))
    return swept


class _Sweeper:
    """The inbox sweep as a lease's start/stop pair: a loop on the holder."""

    def __init__(self, app, adapters: list, every: float = SWEEP_EVERY) -> None:
        self.app, self.adapters, self.every = app, adapters, every
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self._loop(), name="inbox-sweep")

    async def _loop(self) -> None:
        while True:
            try:
                await sweep_inbox(self.app, self.adapters)
            except Exception:
                log.exception("inbox sweep failed; trying again")
            await asyncio.sleep(self.every)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
            self.task = None


async def serve(app, stop: asyncio.Event | None = None, *, lease_retry_seconds: float = 5.0) -> int:
    if not logging.getLogger().handlers:  # (a test may have configured logging already)
        logs.configure(app.settings.secrets(), json_lines=app.settings.log_format == "json")
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    leases = app.leases = Leases(app.settings.db_url, app.deliverer.worker)
    failure: asyncio.Future = loop.create_future()
    singletons: list[Singleton] = []
    started = []
    tasks: list[asyncio.Task] = [asyncio.create_task(app.deliverer.run_forever(), name="delivery")]
    health = None
    if app.settings.health_port is not None:
        from .health import HealthServer

        health = app.health = HealthServer(app, app.settings.health_port)
        await health.start()
    if not app.db.is_sqlite:  # other replicas' customer changes rebuild our indexes early (LISTEN/NOTIFY)
        tasks.append(asyncio.create_task(app.services.indexes.listen(app.settings.db_url), name="customer-index-listen"))
        # a chat's message waiting for its earlier one (handled on another replica) is woken by that one's commit
        tasks.append(asyncio.create_task(inbox_notify.listen(app.db.url), name="inbox-listen"))
    try:
        await warm_up(app)
        for adapter in app.adapters:
            if polls(adapter):
                singletons.append(Singleton(leases, TELEGRAM_POLLING, _watched(adapter, failure, tasks), adapter.stop, retry_seconds=lease_retry_seconds))
                continue
            await adapter.start()
            started.append(adapter)
            tasks.append(asyncio.create_task(_report_failure(adapter, failure)))
            log.info("%s adapter running", adapter.platform)
        if not app.db.is_sqlite:  # a chat's next message, waiting for an earlier one a dead replica acked, handles it here
            for adapter in started:
                take = take_over(app, adapter)
                if take is not None:
                    router.takeovers[(app.db.url, adapter.platform)] = take
        if started and not app.db.is_sqlite:  # (SQLite: one process, whose start-up recovery is enough)
            sweeper = _Sweeper(app, started)
            singletons.append(Singleton(leases, INBOX_SWEEP, sweeper.start, sweeper.stop, retry_seconds=lease_retry_seconds))
        for lease, job in JOB_LEASES.items():  # each on exactly one replica, not necessarily the same one
            scheduler = _Scheduler(app, job)
            singletons.append(Singleton(leases, lease, scheduler.start, scheduler.stop, retry_seconds=lease_retry_seconds))
        for singleton in singletons:
            await singleton.step(raise_errors=True)  # e.g. a 409 at start: another poller on this token
        tasks += [asyncio.create_task(singleton.run(), name=f"lease-{singleton.name}") for singleton in singletons]
        stopping = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait([stopping, failure], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if failure in done:  # an adapter gave up on its own (e.g. 409: another instance polls)
            log.error("%s", failure.result())
            return 1
        return 0
    except Exception as exc:  # e.g. a second instance on the same Telegram token
        log.error("%s", exc)
        return 1
    finally:
        for adapter in started:
            router.takeovers.pop((app.db.url, adapter.platform), None)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for singleton in singletons:
            await singleton.close()
        for adapter in reversed(started):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping %s failed", adapter.platform)
        await leases.release_all()
        await app.deliverer.close()
        if health is not None:
            await health.stop()
        await app.close()


def take_over(app, adapter) -> Callable[[str], Awaitable[None]] | None:
    """How this replica handles one stored message of `adapter`'s platform by its inbox key, through the
    adapter's own recovery (what the inbox sweep runs): for handlers/router.py's per-chat order, when a
    chat's earlier message was acked by a replica that stopped before handling it."""
    if adapter.platform == "telegram":
        from .telegram import inbox as telegram_inbox

        async def telegram(key: str) -> None:
            for _, update in await telegram_inbox.still_received(app.db, adapter.bot, [key]):
                if update is not None:
                    await adapter._process(update)

        return telegram
    if adapter.platform == "slack":
        from .slack import inbox as slack_inbox

        async def slack(key: str) -> None:
            found = await slack_inbox.stored(app.db, key)
            if found is not None and found[0] == "received" and found[1] is not None:
                await adapter._process(found[1])

        return slack
    return None


async def warm_up(app) -> None:
    """What the first note would otherwise load on the event loop, loaded in a thread before any adapter
    starts: the holiday calendar (importing `holidays` and building this year's and next year's days off
    took 0.2-0.7 s of the loop's CPU in the first note with a follow-up, holding up every other chat)."""
    from reminders import workdays

    def load() -> None:
        year = app.services.clock().year
        for y in (year, year + 1):
            workdays.calendar(app.settings.holiday_country, y)

    try:
        await asyncio.to_thread(load)
    except Exception:  # the first note loads it then
        log.warning("warming the holiday calendar failed", exc_info=True)
    import gc

    gc.collect()
    gc.freeze()  # the start-up heap (modules, indexes, calendars) is never garbage: full collections skip it


def _watched(adapter, failure: asyncio.Future, tasks: list[asyncio.Task]):
    """The adapter's start, followed by a watch on its own failure (a 409 while polling)."""

    async def start() -> None:
        await adapter.start()
        log.info("%s adapter running", adapter.platform)
        tasks.append(asyncio.create_task(_report_failure(adapter, failure)))

    return start


async def _report_failure(adapter, failure: asyncio.Future) -> None:
    if not hasattr(adapter, "failed"):
        return
    reason = await adapter.failed()
    if not failure.done():
        failure.set_result(reason)
