"""APScheduler (3.11, in-memory job store) only wakes the work up; the database decides what is
due. An explicit list of jobs: a tick every minute, an hourly retention look (once a day), and an
hourly look at whether today's backup exists (at most one a day, old ones pruned). Each is a
singleton of its own under `crmbot run` (bot/runner.py: one lease per job, so they may run on
different replicas). A restart re-creates the list; the outbox keys keep pushes single."""
from __future__ import annotations

import datetime as dt
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
    for job in jobs(app, memo):
        if only and job["id"] not in only:
            continue
        scheduler.add_job(**job, next_run_time=dt.datetime.now(dt.timezone.utc), replace_existing=True)
    scheduler.start(paused=paused)
    log.info("scheduler started with %d job(s)", len(scheduler.get_jobs()))
    return scheduler
