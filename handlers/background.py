"""Work a message starts after its transaction commits: slow parts that must not run inside it (a digest's
chart is drawn in a worker process, seconds the first time; on SQLite a write transaction holds the one
write lock, so every other chat would wait). The work writes its own reply rows in short transactions of
its own. A crash between the commit and the work loses the work (the user asks again), never doubles it:
its reply rows have keys of their own.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import event

log = logging.getLogger(__name__)
_running: set[asyncio.Task] = set()


def after_commit(session, work: Callable[[], Awaitable[None]], name: str) -> None:
    """Start `work()` once `session`'s transaction has committed (never when it rolls back)."""

    def start(_session) -> None:
        task = asyncio.get_running_loop().create_task(work(), name=name)
        _running.add(task)
        task.add_done_callback(_finished)

    event.listen(session.sync_session, "after_commit", start, once=True)


def _finished(task: asyncio.Task) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("%s failed", task.get_name(), exc_info=task.exception())


async def settle() -> None:
    """Wait for every piece of work started so far (tests, and a clean shutdown)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)
