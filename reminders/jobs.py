"""APScheduler (3.11, in-memory job store) only wakes the work up; the database decides what is
due. An explicit list of jobs: a tick every minute. A restart re-creates the list; the outbox keys
keep pushes single."""
from __future__ import annotations

import datetime as dt
import logging

from .memo import Memo
from .scheduler import tick

log = logging.getLogger(__name__)


def jobs(app, memo: Memo) -> list[dict]:
    async def run_tick() -> None:
        await tick(app, app.services.clock(), memo)

    return [
        dict(func=run_tick, trigger="interval", minutes=1, id="tick", coalesce=True, max_instances=1, misfire_grace_time=600),
    ]


def start_scheduler(app, *, paused: bool = False):
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler(timezone=dt.timezone.utc)
    memo = Memo()
    for job in jobs(app, memo):
        scheduler.add_job(**job, next_run_time=dt.datetime.now(dt.timezone.utc), replace_existing=True)
    scheduler.start(paused=paused)
    log.info("scheduler started with %d job(s)", len(scheduler.get_jobs()))
    return scheduler
