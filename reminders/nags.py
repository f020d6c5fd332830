"""Risk-customer nags (抓两头): customers with an open risk and no follow-up since, customers
silent longer than their tier's cadence, and customers silent for more than twice their own usual
gap between contacts. One message per owner per working day; a nag whose condition has held for
settings.nag_escalation_days is escalated into the manager's digest (digests.py).

"Since when" is derived from the data (the risk note's time, last contact + cadence, last contact
+ 2 × gap), so escalation needs no extra table: a nag is sent every working day while it holds.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_
from sqlmodel import col, select

from handlers import format as fmt
from handlers.messages import Outgoing
from storage.models import Customer, Interaction, Member

from . import push, workdays
from .destinations import member_destinations
from .texts import lang_of, t

MAX_LINES = 8
MIN_GAP = dt.timedelta(days=1)  # a customer met three times in one afternoon has no "usual gap"
REASON_ORDER = {"risk": 0, "tier": 1, "gap": 2}


# the few customer columns a nag needs: rows, not ORM objects (100k customers load in a fraction)
LIGHT = (Customer.id, Customer.name, Customer.tier, Customer.owner_id, Customer.last_contact_at, Customer.created_at)


@dataclass
class Nag:
    customer: Customer  # or a row with LIGHT's columns
    reason: str  # risk | tier | gap
    since: dt.datetime  # when the condition began
    risks: tuple[str, ...] = ()
    gap_days: float = 0.0


def _days(later, earlier, dialect: str):
    """later - earlier in days, as SQL (SQLite keeps datetimes as text, PostgreSQL as timestamps)."""
    from sqlalchemy import literal

    if isinstance(later, dt.datetime):
        later = literal(later.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ") if dialect == "sqlite" else later)
    if dialect == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return func.extract("epoch", later - earlier) / 86400.0


def cadence(tier: str, settings) -> dt.timedelta:
    days = {"important": settings.silence_days_important, "special": settings.silence_days_special}.get(tier, settings.silence_days_general)
    return dt.timedelta(days=days)


def _scope(stmt, team_id, owner_ids):
    if team_id is not None:
        stmt = stmt.where(Customer.team_id == team_id)
    if owner_ids is not None:
        stmt = stmt.where(col(Customer.owner_id).in_(list(owner_ids)))
    return stmt.where(col(Customer.owner_id).is_not(None), Customer.stage != "churned")


async def find(session, now: dt.datetime, settings, *, team_id: int | None = None, owner_ids=None) -> list[Nag]:
    """Every customer needing a nag as of `now`, one reason each (risk > tier > gap)."""
    found: dict[int, Nag] = {}
    day_ago = now - dt.timedelta(days=1)
    risky = select(*LIGHT, Interaction.risk, Interaction.occurred_at).join(
        Interaction, and_(col(Interaction.customer_id) == col(Customer.id), col(Interaction.occurred_at) == col(Customer.last_contact_at))
    ).where(Interaction.risk != [], col(Interaction.occurred_at) < day_ago)
    for row in (await session.exec(_scope(risky, team_id, owner_ids))).all():
        found.setdefault(row.id, Nag(row, "risk", row.occurred_at, tuple(row.risk)))

    since = func.coalesce(Customer.last_contact_at, Customer.created_at)
    silent = select(*LIGHT).where(
        or_(*[and_(Customer.tier == tier, since < now - cadence(tier, settings)) for tier in ("important", "special")],
            and_(col(Customer.tier).not_in(["important", "special"]), since < now - cadence("general", settings)))
    )
    for customer in (await session.exec(_scope(silent, team_id, owner_ids))).all():
        start = (customer.last_contact_at or customer.created_at) + cadence(customer.tier, settings)
        found.setdefault(customer.id, Nag(customer, "tier", start))

    # twice the usual gap: the arithmetic runs in SQL, so only flagged customers are loaded
    stats = (
        select(Interaction.customer_id, func.count(Interaction.id), func.min(Interaction.occurred_at), func.max(Interaction.occurred_at))
        .join(Customer, col(Customer.id) == col(Interaction.customer_id))
        .where(col(Customer.last_contact_at) < now - 2 * MIN_GAP, col(Customer.id).not_in(list(found)) if found else True)
        .group_by(Interaction.customer_id)
    )
    stats = _scope(stats, team_id, owner_ids)
    n, first, last = func.count(Interaction.id), func.min(Interaction.occurred_at), func.max(Interaction.occurred_at)
    dialect = (await session.connection()).dialect.name
    span, silence = _days(last, first, dialect), _days(now, last, dialect)
    stats = stats.having(n >= 3, span >= (n - 1) * MIN_GAP.days, silence * (n - 1) > 2 * span)
    rows = (await session.exec(stats)).all()
    if rows:
        customers = {c.id: c for c in (await session.exec(select(*LIGHT).where(col(Customer.id).in_([r[0] for r in rows])))).all()}
        for customer_id, count, first_at, last_at in rows:
            gap = (last_at - first_at) / (count - 1)
            found[customer_id] = Nag(customers[customer_id], "gap", last_at + 2 * gap, gap_days=gap.total_seconds() / 86400)
    return sorted(found.values(), key=lambda g: (REASON_ORDER[g.reason], {"important": 0, "special": 1}.get(g.customer.tier, 2), g.since, g.customer.id))


def escalated(nags: list[Nag], now: dt.datetime, settings) -> list[Nag]:
    limit = dt.timedelta(days=settings.nag_escalation_days)
    return [g for g in nags if now - g.since >= limit]


def key(member_id: int, day: dt.date) -> str:
    return f"nag:member:{member_id}:{day.isoformat()}"


async def scan(app, now: dt.datetime, memo=None) -> int:
    settings = app.settings
    country = settings.holiday_country
    async with app.db.read() as session:
        members = (await session.exec(select(Member).where(Member.active == True))).all()  # noqa: E712
        due = {}
        for m in members:
            tz = workdays.zone(m.timezone)
            today = workdays.local_today(now, tz)
            if workdays.in_working_hours(now, tz, settings, country) and (memo is None or memo.todo("nags", m.id, today)):
                due[m.id] = (m, tz, today)
        done = await push.existing_keys(session, [key(mid, v[2]) for mid, v in due.items()])
        owners = {mid: v for mid, v in due.items() if key(mid, v[2]) not in done}
        nags = await find(session, now, settings, owner_ids=owners) if owners else []
    by_owner: dict[int, list[Nag]] = {}
    for nag in nags:
        by_owner.setdefault(nag.customer.owner_id, []).append(nag)
    queued = 0
    if by_owner:
        async with app.db.write() as session:
            dests = await member_destinations(session, by_owner)
            for owner_id, items in by_owner.items():
                member, tz, today = owners[owner_id]
                dest = dests.get(owner_id)
                if dest is None:
                    continue
                meta = {"expires_at": workdays.end_of_day(today, tz).isoformat(), "customers": [g.customer.id for g in items]}
                message = Outgoing(render(member, items, now, tz))
                if await push.queue(session, key=key(owner_id, today), kind="nag", dest=dest, message=message, due_at=now, member_id=owner_id, meta=meta):
                    queued += 1
    if memo is not None:
        for mid, (_m, _tz, today) in due.items():
            memo.done("nags", mid, today)
    return queued


def line(nag: Nag, lang: str, now: dt.datetime, tz) -> str:
    c = nag.customer
    if nag.reason == "risk":
        risks = ", ".join(fmt.RISK[lang].get(r, r) for r in nag.risks)
        return t("nag_risk", lang, customer=c.name, risks=risks, days=(now - nag.since).days)
    last = c.last_contact_at or c.created_at
    days = (now - last).days
    if nag.reason == "tier":
        return t("nag_tier", lang, star="⭐" if c.tier == "important" else "🕒", customer=c.name, tier=fmt.TIER[lang].get(c.tier, c.tier), days=days)
    return t("nag_gap", lang, customer=c.name, days=days, gap=f"{nag.gap_days:.0f}" if lang == "zh" else f"{nag.gap_days:.0f} days")


def render(member: Member, nags: list[Nag], now: dt.datetime, tz) -> str:
    lang = lang_of(member.language)
    lines = [t("nag_head", lang, n=len(nags))]
    lines += [line(g, lang, now, tz) for g in nags[:MAX_LINES]]
    if len(nags) > MAX_LINES:
        lines.append(t("more", lang, n=len(nags) - MAX_LINES))
    lines.append(t("nag_hint", lang))
    return "\n".join(lines)
