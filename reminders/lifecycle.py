"""Customer lifecycle stage, recomputed from interactions and orders (won outcomes):

- orders, and silent for more than CHURN_AFTER → churned
- three orders or more → loyal
- first order within NEW_FOR → new
- other customers with orders → active
- no order: the stage stays as entered (potential by default), except that an active/new/loyal
  customer silent for more than CHURN_AFTER becomes churned.
Only rows whose stage changes are written.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, update
from sqlmodel import col, func, select

from storage.models import Customer, Interaction, Team

from . import workdays

CHURN_AFTER = dt.timedelta(days=180)
NEW_FOR = dt.timedelta(days=90)
LOYAL_ORDERS = 3


def stage_for(current: str, orders: int, first_order: dt.datetime | None, last_contact: dt.datetime | None, now: dt.datetime) -> str:
    silent_too_long = last_contact is not None and now - last_contact > CHURN_AFTER
    if orders == 0:
        return "churned" if silent_too_long and current in ("new", "active", "loyal") else current
    if silent_too_long:
        return "churned"
    if orders >= LOYAL_ORDERS:
        return "loyal"
    if first_order is not None and now - first_order <= NEW_FOR:
        return "new"
    return "active"


async def recompute(session, team_id: int, now: dt.datetime) -> int:
    wins = dict()
    stmt = (
        select(Interaction.customer_id, func.count(Interaction.id), func.min(Interaction.occurred_at))
        .where(Interaction.team_id == team_id, Interaction.outcome == "won", col(Interaction.customer_id).is_not(None))
        .group_by(Interaction.customer_id)
    )
    for customer_id, count, first in (await session.exec(stmt)).all():
        wins[customer_id] = (count, first)
    changes = []
    for cid, stage, last in (await session.exec(select(Customer.id, Customer.stage, Customer.last_contact_at).where(Customer.team_id == team_id))).all():
        orders, first = wins.get(cid, (0, None))
        new = stage_for(stage, orders, first, last, now)
        if new != stage:
            changes.append({"cid": cid, "new_stage": new})
    if changes:
        table = Customer.__table__
        conn = await session.connection()
        await conn.execute(update(table).where(table.c.id == bindparam("cid")).values(stage=bindparam("new_stage")), changes)
    return len(changes)


async def scan(app, now: dt.datetime, memo=None) -> int:
    async with app.db.read() as session:
        teams = (await session.exec(select(Team))).all()
    changed = 0
    for team in teams:
        today = workdays.local_today(now, workdays.zone(team.timezone))
        if memo is not None and not memo.todo("lifecycle", team.id, today):
            continue
        async with app.db.write() as session:
            changed += await recompute(session, team.id, now)
        if memo is not None:
            memo.done("lifecycle", team.id, today)
    return 0  # nothing pushed
