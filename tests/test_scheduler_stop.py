"""Stopping the scheduler (a replica losing its lease, `crmbot run` shutting down) returns only after
the job it was running has unwound, so the database is never closed under a tick mid-transaction."""
from __future__ import annotations

import asyncio

from reminders import jobs as jobs_module
from reminders.jobs import start_scheduler, stop_scheduler


async def test_stopping_the_scheduler_waits_for_the_tick_it_was_running(app, monkeypatch):
    entered = asyncio.Event()
    unwound: list[str] = []

    async def slow_tick(app_, now, memo, scans) -> None:
        entered.set()
        try:
            await asyncio.Event().wait()  # a tick still inside its work
        finally:
            unwound.append("tick")

    monkeypatch.setattr(jobs_module, "tick", slow_tick)
    scheduler = start_scheduler(app, only=("tick",))
    await asyncio.wait_for(entered.wait(), 30)
    await stop_scheduler(scheduler)
    assert unwound == ["tick"]
    assert not scheduler.running
