"""Pending pushes that stopped being worth sending are dropped (status 'dropped', reason kept):
a reminder whose task was closed or moved, anything past its meta expires_at (a greeting for a
holiday that has begun, yesterday's overdue list). The deliverer checks expiry too, at send time."""
from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from storage.models import Outbox, Task

from .delivery import expired


async def scan(app, now: dt.datetime, memo=None) -> int:
    async with app.db.read() as session:
        rows = (await session.exec(select(Outbox).where(Outbox.status == "pending", col(Outbox.kind) != "reply"))).all()
        task_ids = [r.body.get("meta", {}).get("task_id") for r in rows if r.kind == "reminder"]
        tasks = {}
        if task_ids:
            tasks = {task.id: task for task in (await session.exec(select(Task).where(col(Task.id).in_([i for i in task_ids if i])))).all()}
    drops: dict[int, str] = {}
    for row in rows:
        meta = row.body.get("meta", {})
        if expired(row, now):
            drops[row.id] = "expired"
        elif row.kind == "reminder" and meta.get("task_id"):
            task = tasks.get(meta["task_id"])
            if task is None or task.status != "open":
                drops[row.id] = "task closed"
            elif task.due_at is None or task.due_at.astimezone(dt.timezone.utc).isoformat() != meta.get("occurrence"):
                drops[row.id] = "task rescheduled"
    if drops:
        async with app.db.write() as session:
            for row_id, reason in drops.items():
                row = await session.get(Outbox, row_id)
                if row is not None and row.status == "pending":
                    row.status, row.last_error = "dropped", reason
                    session.add(row)
    return 0
