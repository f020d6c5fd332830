"""The team's contact plan, in one place: how often each tier is contacted and reviewed.

Contact: the silence before a nag (CRMBOT_SILENCE_DAYS_*; these defaults without settings).
Review: every customer is looked at by its owner at least this often (still active? right tier,
right stage, right owner?). A team-level default in code: important 30, special 45, general 60 days.
A review is an audit row (action "review"); a customer counts as reviewed when it was created.
"""
from __future__ import annotations

import datetime as dt

from sqlmodel import col, func, select

from .models import AuditLog, Customer

CONTACT_DAYS = {"important": 14, "special": 30, "general": 60}
REVIEW_DAYS = {"important": 30, "special": 45, "general": 60}
REVIEW_ACTION = "review"


def contact_days(tier: str, settings=None) -> int:
    tier = tier if tier in CONTACT_DAYS else "general"
    return getattr(settings, f"silence_days_{tier}", None) or CONTACT_DAYS[tier]


def next_contact(customer: Customer, settings=None) -> dt.datetime:
    """When the customer should be contacted next at the latest (last contact, else creation, plus the tier's cadence)."""
    return (customer.last_contact_at or customer.created_at) + dt.timedelta(days=contact_days(customer.tier, settings))


def review_days(tier: str) -> int:
    return REVIEW_DAYS.get(tier, REVIEW_DAYS["general"])


async def last_reviews(session, customer_ids) -> dict[int, dt.datetime]:
    """Each customer's latest review (customers never reviewed are absent)."""
    ids = list(customer_ids)
    if not ids:
        return {}
    stmt = select(AuditLog.customer_id, func.max(AuditLog.at)).where(AuditLog.action == REVIEW_ACTION, col(AuditLog.customer_id).in_(ids)).group_by(AuditLog.customer_id)
    return {cid: _aware(at) for cid, at in (await session.exec(stmt)).all()}


def reviewed_at(customer: Customer, last: dict[int, dt.datetime]) -> dt.datetime:
    return max(x for x in (last.get(customer.id), customer.created_at) if x is not None)


def review_due(customer: Customer, last: dict[int, dt.datetime], now: dt.datetime) -> bool:
    return now - reviewed_at(customer, last) >= dt.timedelta(days=review_days(customer.tier))


async def reviewable(session, *, team_id: int | None = None, owner_ids=None) -> list[Customer]:
    """Customers with an owner that are still in play (a dropped, churned customer is not reviewed)."""
    stmt = select(Customer).where(col(Customer.owner_id).is_not(None), Customer.stage != "churned")
    if team_id is not None:
        stmt = stmt.where(Customer.team_id == team_id)
    if owner_ids is not None:
        stmt = stmt.where(col(Customer.owner_id).in_(list(owner_ids)))
    return list((await session.exec(stmt.order_by(Customer.id))).all())


async def coverage(session, owner_ids, now: dt.datetime) -> tuple[int, int]:
    """(reviewed within their tier's cycle, all reviewable) for these owners' customers."""
    customers = await reviewable(session, owner_ids=owner_ids)
    last = await last_reviews(session, [c.id for c in customers])
    return sum(1 for c in customers if not review_due(c, last, now)), len(customers)


def _aware(value):
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
