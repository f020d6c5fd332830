"""The team's contact plan, in one place: how often each tier is contacted and reviewed.

Contact: the silence before a nag. Review: every customer is looked at by its owner at least this often
(still active? right tier, right stage, right owner?). Risk: a complaint or an overdue payment in a note
makes a follow-up for the owner this many working days later (handlers/note_effects.py). The defaults are the CRMBOT_SILENCE_DAYS_* and
CRMBOT_REVIEW_DAYS_* settings and RISK_DAYS (these numbers without settings); a team may set its own per tier
(team.contact_plan, changed with /plan), and every reader — nags, the review list, the card, the plan
sheet, the digest's coverage — goes through ``Plan``.
A review is an audit row (action "review"); a customer counts as reviewed when it was created.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import col, func, select

from .models import AuditLog, Customer, Team

TIERS = ("important", "special", "general")
CONTACT_DAYS = {"important": 14, "special": 30, "general": 60}
REVIEW_DAYS = {"important": 30, "special": 45, "general": 60}
RISK_DAYS = {"complaint": 1, "overdue_payment": 2}  # working days to act on a risk a note reports
KINDS = ("contact", "review", "risk")
MIN_DAYS, MAX_DAYS = 1, 365  # a cadence outside this is a typo, not a plan
MAX_RISK_DAYS = 30  # a risk waiting longer than a month is not being acted on
REVIEW_ACTION = "review"


def _tier(tier: str | None) -> str:
    return tier if tier in TIERS else "general"


@dataclass(frozen=True)
class Plan:
    contact: dict[str, int]  # tier → days of silence before a nag
    review: dict[str, int]  # tier → days between reviews
    risk: dict[str, int]  # risk → working days until the owner's follow-up
    own: frozenset[tuple[str, str]] = frozenset()  # (kind, tier or risk) the team set itself (the rest are defaults)

    def days(self, kind: str, key: str | None) -> int:
        if kind == "risk":
            return self.risk[key or ""]
        return (self.contact if kind == "contact" else self.review)[_tier(key)]

    def contact_days(self, tier: str | None) -> int:
        return self.days("contact", tier)

    def review_days(self, tier: str | None) -> int:
        return self.days("review", tier)


def defaults(settings=None) -> Plan:
    """The CRMBOT_* settings (these module defaults without settings)."""
    contact = {t: getattr(settings, f"silence_days_{t}", None) or CONTACT_DAYS[t] for t in TIERS}
    review = {t: getattr(settings, f"review_days_{t}", None) or REVIEW_DAYS[t] for t in TIERS}
    return Plan(contact, review, dict(RISK_DAYS))


def plan_of(team: Team | None, settings=None) -> Plan:
    """The team's plan: its own days where it set them, the defaults elsewhere (bad stored values ignored)."""
    base = defaults(settings)
    stored = (team.contact_plan if team is not None else None) or {}
    days = {"contact": dict(base.contact), "review": dict(base.review), "risk": dict(base.risk)}
    own = set()
    for kind in KINDS:
        for key, value in (stored.get(kind) or {}).items():
            if key in days[kind] and isinstance(value, int) and MIN_DAYS <= value <= max_days(kind):
                days[kind][key] = value
                own.add((kind, key))
    return Plan(days["contact"], days["review"], days["risk"], frozenset(own))


def max_days(kind: str) -> int:
    return MAX_RISK_DAYS if kind == "risk" else MAX_DAYS


async def team_plans(session, team_ids, settings=None) -> dict[int, Plan]:
    """The plans of these teams, by team id (one query)."""
    ids = list(set(team_ids))
    if not ids:
        return {}
    teams = (await session.exec(select(Team).where(col(Team.id).in_(ids)))).all()
    return {team.id: plan_of(team, settings) for team in teams}


def set_days(team: Team, kind: str, key: str, days: int | None) -> None:
    """The team's own days for (kind, tier or risk); None goes back to the default. The caller audits and commits."""
    stored = {k: dict(v) for k, v in (team.contact_plan or {}).items() if k in KINDS}
    if days is None:
        stored.get(kind, {}).pop(key, None)
    else:
        stored.setdefault(kind, {})[key] = days
    team.contact_plan = {k: v for k, v in stored.items() if v}  # a new dict: the JSON column sees the change


def contact_days(tier: str, settings=None, team: Team | None = None) -> int:
    return plan_of(team, settings).contact_days(tier)


def next_contact(customer: Customer, settings=None, team: Team | None = None) -> dt.datetime:
    """When the customer should be contacted next at the latest (last contact, else creation, plus the tier's cadence)."""
    return (customer.last_contact_at or customer.created_at) + dt.timedelta(days=contact_days(customer.tier, settings, team))


def review_days(tier: str, plan: Plan | None = None) -> int:
    return (plan or defaults()).review_days(tier)


async def last_reviews(session, customer_ids) -> dict[int, dt.datetime]:
    """Each customer's latest review (customers never reviewed are absent)."""
    ids = list(customer_ids)
    if not ids:
        return {}
    stmt = select(AuditLog.customer_id, func.max(AuditLog.at)).where(AuditLog.action == REVIEW_ACTION, col(AuditLog.customer_id).in_(ids)).group_by(AuditLog.customer_id)
    return {cid: _aware(at) for cid, at in (await session.exec(stmt)).all()}


def reviewed_at(customer: Customer, last: dict[int, dt.datetime]) -> dt.datetime:
    return max(x for x in (last.get(customer.id), customer.created_at) if x is not None)


def review_deadline(customer: Customer, last: dict[int, dt.datetime], plan: Plan | None = None) -> dt.datetime:
    return reviewed_at(customer, last) + dt.timedelta(days=review_days(customer.tier, plan))


def review_due(customer: Customer, last: dict[int, dt.datetime], now: dt.datetime, plan: Plan | None = None) -> bool:
    return now >= review_deadline(customer, last, plan)


async def reviewable(session, *, team_id: int | None = None, owner_ids=None) -> list[Customer]:
    """Customers with an owner that are still in play (a dropped, churned customer is not reviewed)."""
    stmt = select(Customer).where(col(Customer.owner_id).is_not(None), Customer.stage != "churned")
    if team_id is not None:
        stmt = stmt.where(Customer.team_id == team_id)
    if owner_ids is not None:
        stmt = stmt.where(col(Customer.owner_id).in_(list(owner_ids)))
    return list((await session.exec(stmt.order_by(Customer.id))).all())


async def coverage(session, owner_ids, now: dt.datetime, settings=None) -> tuple[int, int]:
    """(reviewed within their team's cycle for the tier, all reviewable) for these owners' customers."""
    customers = await reviewable(session, owner_ids=owner_ids)
    last = await last_reviews(session, [c.id for c in customers])
    plans = await team_plans(session, [c.team_id for c in customers], settings)
    return sum(1 for c in customers if not review_due(c, last, now, plans.get(c.team_id))), len(customers)


def _aware(value):
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
