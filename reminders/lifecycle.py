"""Customer lifecycle stage, recomputed from interactions and orders (won outcomes):

- orders, and silent for more than CHURN_AFTER → churned
- three orders or more → loyal
- first order within NEW_FOR → new
- other customers with orders → active
- no order: the stage stays as entered (potential by default), except that an active/new/loyal
  customer silent for more than CHURN_AFTER becomes churned.
- a deal lost after the last order (or with no order) keeps the customer churned (a lost note moves
  it there at once: handlers/note_effects.py).
Only rows whose stage changes are written, each with a `stage` audit row (the digest lists them).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, bindparam, case, exists, insert, literal, union_all, update
from sqlmodel import func, select

from storage.models import AuditLog, Customer, Interaction, Team

from . import workdays

CHURN_AFTER = dt.timedelta(days=180)
NEW_FOR = dt.timedelta(days=90)
LOYAL_ORDERS = 3


def stage_for(current: str, orders: int, first_order: dt.datetime | None, last_contact: dt.datetime | None, now: dt.datetime, lost_last: bool = False) -> str:
    silent_too_long = last_contact is not None and now - last_contact > CHURN_AFTER
    if lost_last:
        return "churned"
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
    """stage_for, set-based: one statement of three parts, instead of every customer of the team joined to
    every customer's wins and losses (materialised, then looked up through a temporary index):
    - customers with wins: the team's wins counted per customer (the (team_id, outcome, customer_id,
      occurred_at) index), each joined to its row by id and to its last loss;
    - customers with losses and no win: churned;
    - customers with neither, still new/active/loyal and silent too long: churned (a cheap test of the
      team's rows, with a probe of the same index for those that pass it).
    Every other customer keeps its stage (no order: the stage as entered). Only the rows whose stage changes
    are written, with an audit row each."""
    c = Customer.__table__
    cust = c.alias("cust")
    i = Interaction.__table__
    wins = (
        select(i.c.customer_id, func.count().label("orders"), func.min(i.c.occurred_at).label("first_order"), func.max(i.c.occurred_at).label("last_order"))
        .where(i.c.team_id == team_id, i.c.outcome == "won", i.c.customer_id.is_not(None))
        .group_by(i.c.customer_id)
        .subquery("wins")
    )
    losses = select(i.c.customer_id, func.max(i.c.occurred_at).label("last_lost")).where(i.c.team_id == team_id, i.c.outcome == "lost", i.c.customer_id.is_not(None)).group_by(i.c.customer_id).subquery("losses")
    silent_too_long = and_(cust.c.last_contact_at.is_not(None), cust.c.last_contact_at < now - CHURN_AFTER)
    stage = case(
        (and_(losses.c.last_lost.is_not(None), losses.c.last_lost > wins.c.last_order), "churned"),  # a deal lost after the last order
        (silent_too_long, "churned"),
        (wins.c.orders >= LOYAL_ORDERS, "loyal"),
        (wins.c.first_order >= now - NEW_FOR, "new"),
        else_="active",
    )
    with_wins = (
        select(cust.c.id.label("cid"), cust.c.stage.label("old_stage"), stage.label("new_stage"))
        .select_from(wins.join(cust, cust.c.id == wins.c.customer_id).outerjoin(losses, losses.c.customer_id == wins.c.customer_id))
        .where(cust.c.team_id == team_id, stage != cust.c.stage)
    )

    def has(outcomes, customer_id):
        return exists().where(i.c.team_id == team_id, i.c.outcome.in_(outcomes), i.c.customer_id == customer_id)

    lost_only = (
        select(cust.c.id, cust.c.stage, literal("churned"))
        .select_from(losses.join(cust, cust.c.id == losses.c.customer_id))
        .where(cust.c.team_id == team_id, cust.c.stage != "churned", ~has(["won"], losses.c.customer_id))
    )
    silent = select(cust.c.id, cust.c.stage, literal("churned")).where(
        cust.c.team_id == team_id, cust.c.stage.in_(["new", "active", "loyal"]), silent_too_long, ~has(["won", "lost"], cust.c.id)
    )
    changes = union_all(with_wins, lost_only, silent)
    conn = await session.connection()
    rows = (await conn.execute(changes)).all()  # the few customers whose stage moves today
    if rows:  # executemany: one statement, many parameter sets
        await conn.execute(update(c).where(c.c.id == bindparam("cid")).values(stage=bindparam("new_stage")), [{"cid": cid, "new_stage": new} for cid, _old, new in rows])
        audits = [dict(at=now, action="stage", team_id=team_id, member_id=None, customer_id=cid, platform="scheduler", detail=f"{old}>{new}") for cid, old, new in rows]
        await conn.execute(insert(AuditLog.__table__), audits)
    return len(rows)


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
