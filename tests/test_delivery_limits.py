"""Delivery: per-platform limits on the injected clock, 429 retry_after, failures kept visible,
1,000 reminders due in one minute, two workers claiming the same rows, five restarts."""
from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict

from sqlmodel import select

from bot.wiring import build_app
from reminders.delivery import Deliverer, PermanentFailure, RetryLater
from reminders.jobs import start_scheduler
from reminders.limits import Limiter
from reminders.memo import Memo
from reminders.scheduler import tick
from storage import crm
from storage.db import Database
from storage.messaging import outbox_by_status
from storage.models import Outbox, Task
from tests.conftest import make_settings
from tests.helpers import seed_team
from tests.reminders_fixtures import add_task, at, fake_sleep, outbox, record


def test_limiter_per_chat_group_and_overall(clock):
    limiter = Limiter(clock)
    limiter.record("telegram", "1")
    assert limiter.wait("telegram", "1") == (1.0, True)
    assert limiter.wait("telegram", "2") == (0.0, False)
    for i in range(20):
        limiter.record("telegram", "g", "group")
        clock.advance(seconds=1)
    wait, own = limiter.wait("telegram", "g", "group")
    assert own and 40 <= wait <= 41  # 20 a minute in a group
    for i in range(30):
        limiter.record("telegram", f"u{i}")
    assert limiter.wait("telegram", "fresh") == (1.0, False)  # 30 a second overall
    assert limiter.wait("console", "x") == (0.0, False)  # no limit on the console
    limiter.block("slack", "C1", 7)
    assert limiter.wait("slack", "C1") == (7.0, True)


class TelegramFake:
    """A fake platform that enforces Telegram's limits and records every violation."""

    platform = "telegram"

    def __init__(self, clock) -> None:
        self.clock = clock
        self.times: list[float] = []
        self.by_chat: dict[str, list[float]] = defaultdict(list)
        self.keys: list[str] = []
        self.violations: list[str] = []

    async def send(self, row, message) -> None:
        now = self.clock().timestamp()
        last = self.by_chat[row.chat_id]
        if last and now - last[-1] < 1.0 - 1e-6:
            self.violations.append(f"chat {row.chat_id}")
        recent = [t for t in self.times if t > now - 1.0 + 1e-6]
        if len(recent) >= 30:
            self.violations.append("overall")
        self.times.append(now)
        last.append(now)
        self.keys.append(row.key)


async def test_429_retry_after_is_honoured_and_failures_stay_visible(app, clock):
    calls = []

    def fail(row):
        calls.append(row.key)
        if row.key == "k-429" and len([k for k in calls if k == "k-429"]) == 1:
            raise RetryLater(30, "429 Too Many Requests: retry after 30")
        if row.key == "k-blocked":
            raise PermanentFailure("403 bot was blocked by the user")

    sent = record(app, clock, "telegram", fail=fail)
    async with app.db.write() as session:
        for k in ("k-429", "k-blocked"):
            session.add(Outbox(key=k, kind="reminder", platform="telegram", chat_id=k, body={"text": k}, due_at=clock()))
    await app.deliverer.drain()
    rows = {r.key: r for r in await outbox(app)}
    assert rows["k-429"].status == "pending" and rows["k-429"].due_at == clock() + dt.timedelta(seconds=30)
    assert rows["k-blocked"].status == "failed" and "blocked" in rows["k-blocked"].last_error
    clock.advance(seconds=29)
    await app.deliverer.drain()
    assert sent.keys() == []
    clock.advance(seconds=1)
    await app.deliverer.drain()
    assert sent.keys() == ["k-429"]
    async with app.db.read() as session:
        failed = await outbox_by_status(session, "failed")
    assert [r.key for r in failed] == ["k-blocked"]  # what `crmbot outbox` lists


async def _many_tasks(app, clock, reps: int, per_rep: int):
    async with app.db.write() as session:
        team = await crm.create_team(session, "Big team")
        members = []
        for i in range(reps):
            members.append(await crm.create_member(session, team, f"rep{i}", platform="telegram", user_id=str(1000 + i)))
        due = at(2027, 3, 1, 10, 0)
        for member in members:
            for j in range(per_rep):
                session.add(Task(team_id=team.id, assignee_id=member.id, text=f"task {j}", due_at=due, due_has_time=True))
    return team


async def _deliver_everything(deliverer, db, clock) -> None:
    """Drain; when only future rows remain (chats waiting their turn), move the clock to the next."""
    for _ in range(10_000):
        await deliverer.drain()
        async with db.read() as session:
            nxt = (await session.exec(select(Outbox.due_at).where(Outbox.status == "pending").order_by(Outbox.due_at).limit(1))).first()
        if nxt is None:
            return
        clock.set(max(clock(), nxt))
    raise AssertionError("delivery did not finish")


async def test_1000_reminders_in_the_same_minute_within_limits_none_twice(app_any_db, clock):
    app = app_any_db
    await _many_tasks(app, clock, reps=200, per_rep=5)
    fake = TelegramFake(clock)
    app.deliverer.senders["telegram"] = fake
    app.deliverer.sleep = fake_sleep(clock)
    await tick(app, clock())
    start = clock()
    await _deliver_everything(app.deliverer, app.db, clock)
    assert len(fake.keys) == 1000 and len(set(fake.keys)) == 1000
    assert fake.violations == []
    elapsed = (clock() - start).total_seconds()
    assert 1000 <= 30 * (elapsed + 1) and elapsed >= 1000 / 30 - 1  # about 30/s, never more
    assert {r.status for r in await outbox(app)} == {"sent"}


async def test_two_workers_claiming_the_same_rows_send_each_once(db_url, tmp_path, clock):
    settings = make_settings(db_url, tmp_path)
    sent: list[str] = []

    class Platform:
        platform = "console"

        async def send(self, row, message):
            sent.append(row.key)
            await asyncio.sleep(0)  # let the other worker run in between

    db_a, db_b = Database(settings.db_url), Database(settings.db_url)
    async with db_a.write() as session:
        for i in range(300):
            session.add(Outbox(key=f"push:{i}", kind="reminder", platform="console", chat_id=f"console:u{i}", body={"text": str(i)}, due_at=clock()))
    a = Deliverer(db=db_a, senders={"console": Platform()}, clock=clock, worker="a")
    b = Deliverer(db=db_b, senders={"console": Platform()}, clock=clock, worker="b")
    try:
        await asyncio.gather(a.drain(), b.drain())
        async with db_a.read() as session:
            rows = (await session.exec(select(Outbox))).all()
    finally:
        await db_a.dispose()
        await db_b.dispose()
    assert sorted(sent) == sorted(f"push:{i}" for i in range(300))
    assert {r.status for r in rows} == {"sent"} and {r.claimed_by for r in rows} <= {"a", "b"}


async def test_five_restarts_leave_one_push_per_key(db_url, tmp_path, clock):
    settings = make_settings(db_url, tmp_path)
    first = build_app(settings, clock=clock, migrate=False)
    seeded = await seed_team(first, [("boss", "manager"), ("li", "rep", "boss")], [{"name": "王伟", "owner": "li", "tier": "important", "lunar_birthday": "08-15"}])
    clock.set(at(2027, 9, 14, 9, 0))
    await add_task(first, seeded["team"], seeded["members"]["li"], seeded["customers"]["王伟"], due=at(2027, 9, 14, 9, 0))
    await first.close()
    for restart in range(5):
        app = build_app(settings, clock=clock, migrate=False)
        scheduler = start_scheduler(app, paused=True)
        try:
            job = scheduler.get_job("tick")
            assert job.coalesce and job.misfire_grace_time >= 60
            assert {j.id for j in scheduler.get_jobs()} == {"tick", "retention", "backup"}
            await job.func()  # what APScheduler runs every minute
            await tick(app, clock(), Memo())  # and a second process at the same moment
        finally:
            scheduler.shutdown(wait=False)
            await app.close()
        clock.advance(minutes=1)
    app = build_app(settings, clock=clock, migrate=False)
    try:
        rows = await outbox(app)
    finally:
        await app.close()
    keys = [r.key for r in rows]
    assert len(keys) == len(set(keys))
    kinds = sorted(r.kind for r in rows)
    assert kinds.count("reminder") == 1 and kinds.count("greeting") == 1 and kinds.count("birthday") == 1 and kinds.count("nag") == 0


async def test_sends_overlap_across_chats_one_in_flight_per_chat_in_order(app, clock):
    """Concurrent delivery: several chats at once, never two messages in flight to one chat, each
    chat's messages in their order, each sent once."""
    in_flight: set[str] = set()
    peak, sent = [0], []

    class Slow:
        platform = "console"

        async def send(self, row, message):
            assert row.chat_id not in in_flight
            in_flight.add(row.chat_id)
            peak[0] = max(peak[0], len(in_flight))
            for _ in range(2000):  # a network round trip: other sends (and their bookkeeping writes) run meanwhile
                if len(in_flight) > 1:
                    break
                await asyncio.sleep(0)
            in_flight.discard(row.chat_id)
            sent.append((row.chat_id, row.key))

    async with app.db.write() as session:
        for i in range(40):
            session.add(Outbox(key=f"m:{i % 8}:{i // 8}", kind="reminder", platform="console", chat_id=f"console:c{i % 8}", body={"text": str(i)}, due_at=clock()))
    deliverer = Deliverer(db=app.db, senders={"console": Slow()}, clock=clock, worker="w", concurrency=4)
    assert await deliverer.drain() == 40
    assert 1 < peak[0] <= 4
    assert len(sent) == 40 and len({k for _, k in sent}) == 40
    for chat in range(8):
        assert [k for c, k in sent if c == f"console:c{chat}"] == [f"m:{chat}:{j}" for j in range(5)]
