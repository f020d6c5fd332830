"""Queries on corrections (what users fixed in a note's reading) and their export as eval cases."""
from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from .models import Correction

# the fields of an eval case's "expect", in the order of the shared eval set
EXPECT_FIELDS = ("customer", "ambiguous", "channel", "date", "time", "amount", "currency", "risk", "outcome", "birthday", "lunar_birthday")


async def of_interaction(session: AsyncSession, interaction_id: int) -> Correction | None:
    return (await session.exec(select(Correction).where(Correction.interaction_id == interaction_id))).first()


async def all_corrections(session: AsyncSession, team_id: int | None = None) -> list[Correction]:
    stmt = select(Correction).order_by(col(Correction.id))
    if team_id is not None:
        stmt = stmt.where(Correction.team_id == team_id)
    return list((await session.exec(stmt)).all())


async def forget_customer(session: AsyncSession, customer_id: int, note_ids: set[int]) -> int:
    """Erasure: corrections of notes on the customer (now or once) go with them."""
    where = or_(Correction.customer_id == customer_id, col(Correction.interaction_id).in_(note_ids)) if note_ids else Correction.customer_id == customer_id
    rows = (await session.exec(select(Correction).where(where))).all()
    for row in rows:
        await session.delete(row)
    return len(rows)


def eval_case(row: Correction) -> dict:
    """One line of the eval format: {"id", "now", "text", "expect"}; expect is the parser's reading with the user's fixes."""
    expect = {name: (row.parsed or {}).get(name) for name in EXPECT_FIELDS}
    expect["risk"] = list(expect["risk"] or [])
    expect.update({k: v for k, v in (row.corrected or {}).items() if k in EXPECT_FIELDS})
    if "customer" in (row.corrected or {}):
        expect["ambiguous"] = False
    expect["ambiguous"] = bool(expect["ambiguous"])
    return {"id": f"correction-{row.id}", "now": row.reference_time, "text": row.text, "expect": expect}
