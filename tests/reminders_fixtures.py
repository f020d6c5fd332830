"""Helpers for the scheduler tests: tasks and interactions written directly, a recording sender,
a sleep that moves the fake clock instead of waiting."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import select

from chat.messages import Outgoing
from reminders.scheduler import tick
from storage import crm
from storage.models import Identity, Interaction, Outbox, Task

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")


def at(*args, tz=SHANGHAI) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz)


class Recorder:
    """A sender that remembers what it sent, and when (by the injected clock)."""

    def __init__(self, platform: str, clock, fail=None) -> None:
        self.platform = platform
        self.clock = clock
        self.sent: list[tuple[dt.datetime, Outbox, Outgoing]] = []
        self.fail = fail  # optional callable(row) raising an exception

    async def send(self, row: Outbox, message: Outgoing) -> None:
        if self.fail is not None:
            self.fail(row)
        self.sent.append((self.clock(), row, message))

    def keys(self) -> list[str]:
        return [row.key for _, row, _ in self.sent]

    def texts(self, kind: str | None = None) -> list[str]:
        return [m.text for _, row, m in self.sent if kind is None or row.kind == kind]


def fake_sleep(clock):
    async def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)

    return sleep


async def add_task(app, team, member, customer=None, *, due: dt.datetime, has_time: bool = True, text: str = "send the quote", note: str | None = None) -> Task:
    async with app.db.write() as session:
        interaction = None
        if note is not None or customer is not None:
            interaction = await crm.add_interaction(
                session, Interaction(team_id=team.id, customer_id=customer.id if customer else None, author_id=member.id, text=note or text, occurred_at=app.services.clock())
            )
        if not has_time:
            due = dt.datetime.combine(due.date(), dt.time(0, 0)).replace(tzinfo=due.tzinfo)
        task = Task(team_id=team.id, customer_id=customer.id if customer else None, assignee_id=member.id, interaction_id=interaction.id if interaction else None, text=text, due_at=due, due_has_time=has_time)
        session.add(task)
        await session.flush()
        return task


async def add_note(app, team, member, customer, *, when: dt.datetime, text: str = "called", risk=(), outcome=None, amount=None, currency=None) -> Interaction:
    async with app.db.write() as session:
        return await crm.add_interaction(
            session,
            Interaction(team_id=team.id, customer_id=customer.id, author_id=member.id, text=text, occurred_at=when, risk=list(risk), outcome=outcome, amount=amount, currency=currency),
        )


async def outbox(app, kind: str | None = None) -> list[Outbox]:
    async with app.db.read() as session:
        stmt = select(Outbox).order_by(Outbox.id)
        if kind:
            stmt = stmt.where(Outbox.kind == kind)
        return list((await session.exec(stmt)).all())


async def run_tick(app, clock) -> dict:
    return await tick(app, clock())


async def tick_and_send(app, clock) -> None:
    await tick(app, clock())
    await app.deliverer.drain()


async def move_identity(app, member, platform: str, user_id: str) -> None:
    async with app.db.write() as session:
        for identity in (await session.exec(select(Identity).where(Identity.member_id == member.id))).all():
            await session.delete(identity)
        await session.flush()
        session.add(Identity(member_id=member.id, platform=platform, platform_user_id=user_id))


def record(app, clock, platform: str = "console", fail=None) -> Recorder:
    recorder = Recorder(platform, clock, fail)
    app.deliverer.senders[platform] = recorder
    app.senders[platform] = recorder
    return recorder


async def set_member(app, member, **fields) -> None:
    async with app.db.write() as session:
        row = await session.get(type(member), member.id)
        for name, value in fields.items():
            setattr(row, name, value)
            setattr(member, name, value)
        session.add(row)
