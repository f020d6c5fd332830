"""APScheduler (3.11, in-memory job store) only wakes the work up; the database decides what is
due. An explicit list of jobs: a tick every minute, an hourly retention look (once a day), and an
hourly look at whether today's backup exists (at most one a day, old ones pruned). Each is a
singleton of its own under `crmbot run` (bot/runner.py: one lease per job, so they may run on
different replicas). A restart re-creates the list; the outbox keys keep pushes single."""
from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging

from .memo import Memo
from . import retention
from .scheduler import TICK_SCANS, tick

log = logging.getLogger(__name__)


def jobs(app, memo: Memo) -> list[dict]:
    async def run_tick() -> None:
        await tick(app, app.services.clock(), memo, TICK_SCANS)

    async def run_retention() -> None:
        try:
            await retention.scan(app, app.services.clock(), memo)
        except Exception:  # tried again next hour
            log.exception("retention failed")

    async def run_backup() -> None:
        from storage.backup import backup_job

        try:
            await backup_job(app, app.services.clock())
        except Exception:  # a failed backup is logged and tried again next hour; it must not stop the bot
            log.exception("scheduled backup failed")

    return [
        dict(func=run_tick, trigger="interval", minutes=1, id="tick", coalesce=True, max_instances=1, misfire_grace_time=600),
        dict(func=run_retention, trigger="interval", hours=1, id="retention", coalesce=True, max_instances=1, misfire_grace_time=3600),
        dict(func=run_backup, trigger="interval", hours=1, id="backup", coalesce=True, max_instances=1, misfire_grace_time=3600),
    ]


def start_scheduler(app, *, paused: bool = False, only: tuple[str, ...] = ()):
    """only: these job ids (a replica holding one lease runs one job); all of them by default."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler(timezone=dt.timezone.utc)
    memo = Memo()
    running: set[asyncio.Task] = set()
    scheduler.crmbot_running = running  # stop_scheduler waits for these
    for job in jobs(app, memo):
        if only and job["id"] not in only:
            continue
        job["func"] = _tracked(job["func"], running)
        scheduler.add_job(**job, next_run_time=dt.datetime.now(dt.timezone.utc), replace_existing=True)
    scheduler.start(paused=paused)
    log.info("scheduler started with %d job(s)", len(scheduler.get_jobs()))
    return scheduler


def _tracked(func, running: set[asyncio.Task]):
    @functools.wraps(func)
    async def run() -> None:
        task = asyncio.current_task()
        if task is not None:
            running.add(task)
        try:
            await func()
        finally:
            running.discard(task)  # type: ignore[arg-type]

    return run


async def stop_scheduler(scheduler, timeout: float = 10.0) -> None:
    """Stop the scheduler and wait (bounded) until the jobs it was running have unwound. APScheduler's
    own shutdown only cancels them: the caller then closed the database under a tick that was still
    inside a transaction, and an abandoned connection hung the test loop's teardown (CI, stop 21)."""
    pending = [task for task in getattr(scheduler, "crmbot_running", ()) if not task.done()]
    scheduler.shutdown(wait=False)  # cancels the running jobs' tasks
    for task in pending:
        task.cancel()
    if pending:
        done, late = await asyncio.wait(pending, timeout=timeout)
        if late:
            log.warning("scheduler: %d job(s) still unwinding after %.0f s", len(late), timeout)
