"""Singletons by lease: one replica runs the scheduler (and Telegram polling); when it dies, another takes over.

PostgreSQL: the holder's death is its connection ending (pg_terminate_backend, as a SIGKILL or a lost
host ends it); SQLite: the lock file's holder closing it."""
from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from storage.leases import SCHEDULER, TELEGRAM_POLLING, Leases, Singleton


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Work:
    """A singleton's work: counts its starts and stops, and whether it runs now."""

    def __init__(self) -> None:
        self.running = False
        self.starts = 0

    async def start(self) -> None:
        self.running, self.starts = True, self.starts + 1

    async def stop(self) -> None:
        self.running = False


async def _kill_holder(url: str, worker: str) -> None:
    """The holder replica's database session ends, as when its process is killed."""
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        killed = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (worker,)).fetchall()
    assert killed


async def test_one_replica_holds_the_scheduler_and_another_takes_over_when_it_dies(db_url, tmp_path):
    replicas = [Leases(db_url, f"replica-{i}") for i in range(3)]
    works = [Work() for _ in replicas]
    singletons = [Singleton(leases, SCHEDULER, work.start, work.stop) for leases, work in zip(replicas, works)]
    try:
        assert [await s.step() for s in singletons] == [True, False, False]
        assert [await s.step() for s in singletons] == [True, False, False]  # stays put while the holder lives
        assert [w.running for w in works] == [True, False, False]
        if not replicas[0].is_sqlite:
            assert await replicas[1].holders() == {SCHEDULER: "replica-0"}

        if replicas[0].is_sqlite:
            await replicas[0]._forget(SCHEDULER)  # the process dies: the kernel closes its lock file …
            works[0].running = False  # … and its work ends with it
        else:
            await _kill_holder(db_url, "replica-0")
            assert await singletons[0].step() is False  # the old holder notices and stops its work …
            assert works[0].running is False
        assert [await s.step() for s in singletons[1:]] == [True, False]  # … and the next replica takes over on its next look
        assert [w.running for w in works] == [False, True, False]
        assert sum(w.starts for w in works) == 2
        if not replicas[0].is_sqlite:
            assert await replicas[2].holders() == {SCHEDULER: "replica-1"}
    finally:
        for s in singletons:
            await s.close()


async def test_leases_are_independent_and_a_clean_stop_hands_over_at_once(db_url):
    first, second = Leases(db_url, "a"), Leases(db_url, "b")
    try:
        assert await first.try_acquire(SCHEDULER)
        assert await second.try_acquire(TELEGRAM_POLLING)  # another lease: another replica may hold it
        assert not await second.try_acquire(SCHEDULER)
        await first.release_all()  # SIGTERM: the replica lets go as it stops
        assert await second.try_acquire(SCHEDULER)
        assert not await first.try_acquire(TELEGRAM_POLLING)
    finally:
        await first.release_all()
        await second.release_all()


async def test_a_start_that_fails_gives_the_lease_back(db_url):
    class Broken(Exception):
        pass

    async def broken_start() -> None:
        raise Broken()

    async def nothing() -> None:
        return None

    first, second = Leases(db_url, "a"), Leases(db_url, "b")
    failing = Singleton(first, SCHEDULER, broken_start, nothing)
    try:
        with pytest.raises(Broken):
            await failing.step(raise_errors=True)
        assert await failing.step() is False  # logged, not raised, after start-up
        assert await second.try_acquire(SCHEDULER)
    finally:
        await first.release_all()
        await second.release_all()


async def test_tick_retention_and_backups_are_each_held_by_one_replica_and_move_when_it_stops(db_url, tmp_path, clock):
    """Two `crmbot run` (serve) on one database: the scheduler tick, retention and backups are three
    leases, each held by exactly one replica; when that replica stops, the other takes them over."""
    import asyncio

    from bot.runner import serve
    from bot.wiring import build_app
    from storage.leases import BACKUPS, RETENTION
    from tests.conftest import make_settings

    apps = [build_app(make_settings(db_url, tmp_path / name), clock=clock, migrate=False) for name in ("a", "b")]
    stops = [asyncio.Event(), asyncio.Event()]
    for app, name in zip(apps, ("replica-a", "replica-b")):
        app.deliverer.worker = name  # two processes would differ by pid
    observer = Leases(db_url, "observer")

    async def held() -> dict[str, str]:
        if observer.is_sqlite:  # a file lock is seen by its holder only
            return {name: worker for app in apps if getattr(app, "leases", None) for name, worker in (await app.leases.holders()).items()}
        return await observer.holders()

    async def until(condition) -> dict[str, str]:
        for _ in range(2000):  # a failsafe; each look waits on the replicas, not on time
            holders = await held()
            if condition(holders):
                return holders
            await asyncio.sleep(0.01)
        raise AssertionError(f"leases never settled: {await held()}")

    first = asyncio.create_task(serve(apps[0], stops[0], lease_retry_seconds=0.05))
    try:
        holders = await until(lambda h: {SCHEDULER, RETENTION, BACKUPS} <= set(h))
        assert {holders[name] for name in (SCHEDULER, RETENTION, BACKUPS)} == {"replica-a"}
        second = asyncio.create_task(serve(apps[1], stops[1], lease_retry_seconds=0.05))
        while apps[1].leases is None:  # serve() has made the second replica's leases
            await asyncio.sleep(0)
        for name in (SCHEDULER, RETENTION, BACKUPS):  # what its singletons ask: nothing moves while the first lives
            assert not await apps[1].leases.try_acquire(name)
        stops[0].set()
        assert await first == 0
        await until(lambda h: all(h.get(name) == "replica-b" for name in (SCHEDULER, RETENTION, BACKUPS)))
        stops[1].set()
        assert await second == 0
    finally:
        for stop in stops:
            stop.set()


async def test_a_cancel_swallowed_inside_a_step_still_stops_the_singleton(sqlite_url):
    """`crmbot run` cancels its singletons on SIGTERM; a cancel that a step swallows (3.11's wait_for
    racing a finished query, a driver error caught as 'lease lost') must not leave run() looping."""
    import asyncio

    leases, work = Leases(sqlite_url, "replica-0"), Work()
    singleton = Singleton(leases, SCHEDULER, work.start, work.stop, retry_seconds=0.01)
    in_step, real = asyncio.Event(), leases.still_held

    async def still_held_swallowing_a_cancel(name: str) -> bool:
        if not in_step.is_set():  # once
            in_step.set()
            try:
                await asyncio.Event().wait()  # the query, interrupted by the cancel …
            except asyncio.CancelledError:
                pass  # … which the driver turned into an error that was caught
        return await real(name)

    leases.still_held = still_held_swallowing_a_cancel  # type: ignore[method-assign]
    running = asyncio.create_task(singleton.run())
    await asyncio.wait_for(in_step.wait(), 60)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 60)
    assert not work.running and not leases.holds(SCHEDULER)
