"""Risk-customer nags (抓两头): customers with an open risk and no follow-up since, customers
silent longer than their tier's cadence, and customers silent for more than twice their own usual
gap between contacts. One message per owner per working day, listing the first MAX_LINES.

The tier's silence is the team's plan (storage/contact_plan.py, /plan), else CRMBOT_SILENCE_DAYS_*.
Everything is decided in one SQL statement over the customer table: the usual gap comes from the
contact figures crm.touch_customer keeps on the customer (count, first and last contact), the open
risk from the risks noted at the last contact, and a window function keeps the first `top` nags of
each (owner, reason, tier) with their counts, so 100k customers never travel to Python.

Escalation: a nag is "unanswered" once the first message naming the customer was *sent* (the
deliverer calls on_sent, which stamps customer.nagged_at) settings.nag_escalation_days ago and the
customer is still nag-worthy with no contact since; the manager's digest lists those.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, literal, or_, update
from sqlmodel import col, select

from chat import format as fmt
from chat.messages import Outgoing
from storage import contact_plan
from storage.models import Customer, Member, Team

from . import push, workdays
from .destinations import member_destinations
from .texts import lang_of, t

MAX_LINES = 8
MIN_GAP = dt.timedelta(days=1)  # a customer met three times in one afternoon has no "usual gap"
REASONS = ("risk", "tier", "gap")  # in this order of precedence: one reason per customer
REASON_ORDER = {r: i for i, r in enumerate(REASONS)}
TIER_ORDER = {"important": 0, "special": 1}


# the few customer columns a nag needs: rows, not ORM objects
LIGHT = (Customer.id, Customer.name, Customer.tier, Customer.owner_id, Customer.last_contact_at, Customer.created_at, Customer.nagged_at)


@dataclass
class Nag:
    customer: Customer  # or a row with LIGHT's columns
    reason: str  # risk | tier | gap
    since: dt.datetime  # when the condition began
    risks: tuple[str, ...] = ()
    gap_days: float = 0.0


@dataclass
class Found:
    """Nags as of a moment: the first few of each (owner, reason, tier) group, the escalated ones,
    and how many there are in each group."""

    nags: list[Nag] = field(default_factory=list)
    counts: dict[tuple[int, str, str], int] = field(default_factory=dict)  # (owner, reason, tier) → how many

    def __iter__(self):
        return iter(self.nags)

    def __len__(self) -> int:
        return sum(self.counts.values())

    def of(self, owner_ids) -> "Found":
        owners = set(owner_ids)
        return Found([g for g in self.nags if g.customer.owner_id in owners], {k: n for k, n in self.counts.items() if k[0] in owners})

    def count(self, *, owner: int | None = None, reason: str | None = None, tier: str | None = None) -> int:
        return sum(n for (o, r, tr), n in self.counts.items() if owner in (None, o) and reason in (None, r) and tier in (None, tr))


def _tier_group(tier: str | None) -> str:
    return tier if tier in TIER_ORDER else "general"


def _days(later, earlier, dialect: str):
    """later - earlier in days, as SQL (SQLite keeps datetimes as text, PostgreSQL as timestamps)."""
    if isinstance(later, dt.datetime):
        later = literal(later.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ") if dialect == "sqlite" else later)
    if isinstance(earlier, dt.datetime):
        earlier = literal(earlier.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ") if dialect == "sqlite" else earlier)
    if dialect == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return func.extract("epoch", later - earlier) / 86400.0


def cadence(tier: str, settings, plan: contact_plan.Plan | None = None) -> dt.timedelta:
    """The silence before a nag: the team's plan, else the CRMBOT_SILENCE_DAYS_* settings."""
    return dt.timedelta(days=(plan or contact_plan.defaults(settings)).contact_days(tier))


def _silent_past_plan(contact, now: dt.datetime, settings, plans: dict[int, contact_plan.Plan]):
    """Silent longer than the team's cadence for the tier, as SQL: teams are grouped by their number of
    days (a handful of distinct plans), every other team uses the defaults."""
    C = Customer
    default = contact_plan.defaults(settings)
    conditions = []
    for tier in contact_plan.TIERS:
        in_tier = C.tier == tier if tier != "general" else col(C.tier).not_in(["important", "special"])
        teams_by_days: dict[int, list[int]] = {}
        for team_id, plan in plans.items():
            if plan.contact_days(tier) != default.contact_days(tier):
                teams_by_days.setdefault(plan.contact_days(tier), []).append(team_id)
        own = [team_id for ids in teams_by_days.values() for team_id in ids]
        silent = contact < now - cadence(tier, settings)
        if own:
            silent = and_(col(C.team_id).not_in(own), silent)
        per_team = [and_(col(C.team_id).in_(ids), contact < now - dt.timedelta(days=days)) for days, ids in teams_by_days.items()]
        conditions.append(and_(in_tier, or_(silent, *per_team)))
    return or_(*conditions)


def _scope(stmt, team_id, owner_ids):
    if team_id is not None:
        stmt = stmt.where(Customer.team_id == team_id)
    if owner_ids is not None:
        stmt = stmt.where(col(Customer.owner_id).in_(list(owner_ids)))
    # owner_id + 0: "has an owner" is no reason to walk the owner index (nearly every customer has one: a
    # full pass reads the same rows in order instead of one by one)
    return stmt.where((col(Customer.owner_id) + 0).is_not(None), Customer.stage != "churned")


def is_escalated(nagged_at, last_contact_at, created_at, now: dt.datetime, settings) -> bool:
    """The first nag naming the customer since its last contact was sent long enough ago."""
    contact = last_contact_at or created_at
    return nagged_at is not None and nagged_at > contact and now - nagged_at >= dt.timedelta(days=settings.nag_escalation_days)


async def find(session, now: dt.datetime, settings, *, team_id: int | None = None, owner_ids=None, top: int | None = None, per_owner: int | None = None) -> Found:
    """Every customer needing a nag as of `now`, one reason each (risk > tier > gap), sorted by
    reason, tier, since. top: keep only the first `top` of each (owner, reason, tier) group (and
    every escalated one); the counts are always complete. per_owner (with top): only each owner's first
    per_owner nags in that order (what an owner's message lists), and the first of each other group
    (which carries the group's count)."""
    dialect = (await session.connection()).dialect.name
    C = Customer
    contact = func.coalesce(C.last_contact_at, C.created_at)
    is_risk = and_(C.last_risk != [], col(C.last_contact_at) < now - dt.timedelta(days=1))
    plans = await contact_plan.team_plans(session, [team_id] if team_id is not None else (await session.exec(select(Team.id))).all(), settings)
    is_tier = _silent_past_plan(contact, now, settings, plans)
    # twice the usual gap: gap = (last - first) / (count - 1), from the columns touch_customer keeps
    n = C.contact_count
    span, silence = _days(C.last_contact_at, C.first_contact_at, dialect), _days(now, C.last_contact_at, dialect)
    is_gap = and_(n >= 3, col(C.last_contact_at) < now - 2 * MIN_GAP, span >= (n - 1) * MIN_GAP.days, silence * (n - 1) > 2 * span)
    reason = case((is_risk, 0), (is_tier, 1), (is_gap, 2), else_=None)
    tier = case((C.tier == "important", 0), (C.tier == "special", 1), else_=2)
    # the order within a group: when the condition began (as days before now; the tier's cadence is
    # the same for the whole group, so the last contact orders it)
    sort = case((reason == 2, _days(C.last_contact_at, now, dialect) + 2 * span / func.nullif(n - 1, 0)), else_=_days(contact, now, dialect))
    escalation = and_(
        col(C.nagged_at).is_not(None), col(C.nagged_at) > contact, col(C.nagged_at) <= now - dt.timedelta(days=settings.nag_escalation_days)
    )
    # the ranking sorts only narrow rows (ids and keys; one window, so one sort), and only the rows kept are
    # joined back to their customer row for the columns a nag shows; owner_id + 0: one pass over the table
    # in its order, not a walk of the owner index fetching each row apart (SQLite would, for the ORDER BY)
    base = _scope(
        select(C.id.label("cid"), (col(C.owner_id) + 0).label("owner"), reason.label("reason"), tier.label("tier_rank"), sort.label("sort_key"), case((escalation, 1), else_=0).label("escalated")),
        team_id,
        owner_ids,
    ).subquery("nag_base")
    group = (base.c.owner, base.c.reason, base.c.tier_rank)
    window = {"partition_by": group, "order_by": (base.c.sort_key, base.c.cid)}
    ranked = (
        select(
            base,
            func.row_number().over(**window).label("rank"),
            func.count().over(**window, rows=(None, None)).label("group_size"),
        )
        .where(base.c.reason.is_not(None))
        .subquery("nag_ranked")
    )
    kept = select(ranked.c.cid, ranked.c.reason, ranked.c.tier_rank, ranked.c.group_size)
    if top is not None and per_owner is not None:  # the groups' first rows ranked again, per owner (a few rows each)
        firsts = (
            select(ranked.c.cid, ranked.c.reason, ranked.c.tier_rank, ranked.c.group_size, ranked.c.rank,
                   func.row_number().over(partition_by=ranked.c.owner, order_by=(ranked.c.reason, ranked.c.tier_rank, ranked.c.sort_key, ranked.c.cid)).label("owner_rank"))
            .where(ranked.c.rank <= min(top, per_owner))
            .subquery("nag_firsts")
        )
        kept = select(firsts.c.cid, firsts.c.reason, firsts.c.tier_rank, firsts.c.group_size).where(or_(firsts.c.owner_rank <= per_owner, firsts.c.rank == 1))
    elif top is not None:
        kept = kept.where(or_(ranked.c.rank <= top, ranked.c.escalated == 1))
    kept_rows = kept.subquery("nag_kept")
    stmt = select(*LIGHT, C.team_id, C.last_risk, C.contact_count, C.first_contact_at, kept_rows.c.reason, kept_rows.c.group_size).join(kept_rows, kept_rows.c.cid == C.id)
    found = Found()
    for row in (await (await session.connection()).execute(stmt)).all():
        why = REASONS[row.reason]
        found.counts[(row.owner_id, why, _tier_group(row.tier))] = row.group_size
        if why == "risk":
            nag = Nag(row, why, row.last_contact_at, tuple(row.last_risk))
        elif why == "tier":
            nag = Nag(row, why, (row.last_contact_at or row.created_at) + cadence(row.tier, settings, plans.get(row.team_id)))
        else:
            gap = (row.last_contact_at - row.first_contact_at) / (row.contact_count - 1)
            nag = Nag(row, why, row.last_contact_at + 2 * gap, gap_days=gap.total_seconds() / 86400)
        found.nags.append(nag)
    found.nags.sort(key=lambda g: (REASON_ORDER[g.reason], TIER_ORDER.get(g.customer.tier, 2), g.since, g.customer.id))
    return found


def escalated(nags, now: dt.datetime, settings) -> list[Nag]:
    return [g for g in nags if is_escalated(g.customer.nagged_at, g.customer.last_contact_at, g.customer.created_at, now, settings)]


async def on_sent(session, row, now: dt.datetime) -> None:
    """A nag message was delivered: the customers it named have been nagged since now, unless an
    earlier nag since their last contact already counts (called by the deliverer)."""
    ids = [i for i in ((row.body or {}).get("meta") or {}).get("customers") or [] if isinstance(i, int)]
    if not ids:
        return
    table = Customer.__table__
    contact = func.coalesce(table.c.last_contact_at, table.c.created_at)
    stmt = update(table).where(table.c.id.in_(ids), or_(table.c.nagged_at.is_(None), table.c.nagged_at <= contact)).values(nagged_at=now)
    await (await session.connection()).execute(stmt)


def key(member_id: int, day: dt.date) -> str:
    return f"nag:member:{member_id}:{day.isoformat()}"


async def scan(app, now: dt.datetime, memo=None) -> int:
    settings = app.settings
    async with app.db.read() as session:
        members, due = await workdays.active_members_at_work(session, now, settings, memo, "nags")
        done = await push.existing_keys(session, [key(mid, v[2]) for mid, v in due.items()])
        owners = {mid: v for mid, v in due.items() if key(mid, v[2]) not in done}
        # every owner's nags in one pass over the customer table (the owners at work are nearly all of them:
        # a walk of the owner index would fetch the same rows one by one), then only theirs kept
        found = (await find(session, now, settings, top=MAX_LINES, per_owner=MAX_LINES)).of(owners) if owners else Found()
    by_owner: dict[int, list[Nag]] = {}
    for nag in found:
        by_owner.setdefault(nag.customer.owner_id, []).append(nag)
    totals: dict[int, int] = {}  # found.count(owner=…) for every owner at once (not once per owner)
    for (owner, _reason, _tier), n in found.counts.items():
        totals[owner] = totals.get(owner, 0) + n
    queued = 0
    if by_owner:
        async with app.db.write() as session:
            dests = await member_destinations(session, by_owner)
            batch = []
            for owner_id, items in by_owner.items():
                member, tz, today = owners[owner_id]
                dest = dests.get(owner_id)
                if dest is None:
                    continue
                shown = items[:MAX_LINES]
                meta = {"expires_at": workdays.end_of_day(today, tz).isoformat(), "customers": [g.customer.id for g in shown]}
                message = Outgoing(render(member, shown, totals[owner_id], now, tz))
                batch.append(push.Push(key=key(owner_id, today), kind="nag", dest=dest, message=message, due_at=now, member_id=owner_id, meta=meta))
            queued = len(await push.queue_many(session, batch))
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


def render(member: Member, nags: list[Nag], total: int, now: dt.datetime, tz) -> str:
    """nags: the first ones (MAX_LINES are shown); total: how many the owner has."""
    lang = lang_of(member.language)
    lines = [t("nag_head", lang, n=total)]
    lines += [line(g, lang, now, tz) for g in nags[:MAX_LINES]]
    if total > MAX_LINES:
        lines.append(t("more", lang, n=total - MAX_LINES))
    lines.append(t("nag_hint", lang))
    return "\n".join(lines)
