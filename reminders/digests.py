"""Manager digests: daily (near the end of the working day) and weekly (Monday morning, with a
chart), to each manager and admin by DM and to every group chat subscribed with /subscribe digest.

A manager sees themselves and their reps, an admin the whole team, and a subscribed chat what the
manager or admin who subscribed it sees (a chat whose subscriber left or is no longer a manager gets
nothing). Group chats never see amounts (anyone may read a group): won/lost become counts there.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from sqlmodel import col, func, select

from chat import format as fmt
from chat.messages import Outgoing
from storage import attachments, contact_plan
from storage.models import AuditLog, Customer, Interaction, Member, Task, Team

from . import nags as nag_rules
from . import push, workdays
from .destinations import Destination, digest_chats, member_destinations
from .followups import working_moment
from .overdue import open_overdue_rows, overdue_tasks_by_member
from .texts import lang_of, t

DAILY_BEFORE_END = dt.timedelta(minutes=30)  # the daily digest goes out 30 min before the workday ends
MAX_NAMES = 5


@dataclass
class Digest:
    kind: str  # daily | weekly
    start: dt.datetime
    end: dt.datetime
    notes_by_rep: list[tuple[str, int]] = field(default_factory=list)
    tasks_done: int = 0
    tasks_overdue: int = 0
    new_customers: int = 0
    won: dict[str, float] = field(default_factory=dict)  # currency → amount
    lost: dict[str, float] = field(default_factory=dict)
    won_count: int = 0
    lost_count: int = 0
    risks: list = field(default_factory=list)  # nags.Nag: the first few (names shown)
    silent_important: list = field(default_factory=list)
    risk_count: int = 0  # how many in all
    silent_count: int = 0
    pareto: tuple[int, int, int] | None = None  # top customers, customers with revenue, share %
    escalated_tasks: list[tuple[str, str, int]] = field(default_factory=list)  # customer, rep, days overdue
    escalated_nags: list = field(default_factory=list)
    stages: dict[str, int] = field(default_factory=dict)
    biggest: list[tuple[str, float, str]] = field(default_factory=list)  # the period's top customers behind 80% of its won amount
    biggest_share: int = 0
    stage_changes: list[tuple[str, str, str]] = field(default_factory=list)  # customer, from, to (audited `stage` rows)
    reviewed: tuple[int, int] | None = None  # customers reviewed within their tier's cycle, of all
    chart_path: str | None = None
    task_escalation_days: int = 3
    nag_escalation_days: int = 3


def scope_of(member: Member, members: list[Member]) -> list[Member]:
    if member.role == "admin":
        return list(members)
    return [m for m in members if m.id == member.id or m.manager_id == member.id]


async def build(session, scope: list[Member], kind: str, start: dt.datetime, end: dt.datetime, now: dt.datetime, settings, team_nags=None) -> Digest:
    """team_nags: the team's nags computed once for several digests (else computed for the scope)."""
    ids = [m.id for m in scope]
    names = {m.id: m.display_name for m in scope}
    d = Digest(kind, start, end, task_escalation_days=settings.overdue_escalation_days, nag_escalation_days=settings.nag_escalation_days)
    in_period = (col(Interaction.occurred_at) >= start, col(Interaction.occurred_at) < end)
    rows = (await session.exec(select(Interaction.author_id, func.count(Interaction.id)).where(col(Interaction.author_id).in_(ids), *in_period).group_by(Interaction.author_id))).all()
    counts = dict(rows)
    d.notes_by_rep = sorted(((names[i], counts.get(i, 0)) for i in ids), key=lambda x: (-x[1], x[0]))
    d.tasks_done = (await session.exec(select(func.count(Task.id)).where(col(Task.assignee_id).in_(ids), Task.status == "done", col(Task.done_at) >= start, col(Task.done_at) < end))).one()
    late = overdue_tasks_by_member(await open_overdue_rows(session, now, member_ids=ids), now, settings)
    d.tasks_overdue = sum(len(v) for v in late.values())
    limit = dt.timedelta(days=settings.overdue_escalation_days)
    by_id = {m.id: m for m in scope}
    for member_id, items in late.items():
        tz = workdays.zone(by_id[member_id].timezone)
        for task, customer in items:
            days = (now - working_moment(task, tz, settings)).days
            if days >= limit.days:
                d.escalated_tasks.append((customer.name if customer else "-", names[member_id], days))
    d.escalated_tasks.sort(key=lambda x: -x[2])
    d.new_customers = (await session.exec(select(func.count(Customer.id)).where(col(Customer.owner_id).in_(ids), col(Customer.created_at) >= start, col(Customer.created_at) < end))).one()
    outcomes = select(Interaction.outcome, Interaction.currency, func.count(Interaction.id), func.sum(Interaction.amount)).where(
        col(Interaction.author_id).in_(ids), col(Interaction.outcome).is_not(None), *in_period
    ).group_by(Interaction.outcome, Interaction.currency)
    for outcome, currency, count, amount in (await session.exec(outcomes)).all():
        bucket = d.won if outcome == "won" else d.lost
        if amount:
            bucket[currency or ""] = bucket.get(currency or "", 0) + amount
        if outcome == "won":
            d.won_count += count
        else:
            d.lost_count += count
    if team_nags is None:
        nags = await nag_rules.find(session, now, settings, owner_ids=ids, top=MAX_NAMES)
    else:
        nags = team_nags.of(ids)
    d.risks = [g for g in nags if g.reason == "risk"]
    d.risk_count = nags.count(reason="risk")
    d.silent_important = [g for g in nags if g.reason == "tier" and g.customer.tier == "important"]
    d.silent_count = nags.count(reason="tier", tier="important")
    d.escalated_nags = nag_rules.escalated(nags, now, settings)
    d.pareto = await pareto(session, ids, now)
    d.biggest, d.biggest_share = await biggest(session, ids, start, end)
    d.stage_changes = await stage_changes(session, ids, start, end)
    d.reviewed = await contact_plan.coverage(session, ids, now, settings)
    if kind == "weekly":  # only the chart shows the pipeline
        d.stages = dict((await session.exec(select(Customer.stage, func.count(Customer.id)).where(col(Customer.owner_id).in_(ids)).group_by(Customer.stage))).all())
    return d


async def pareto(session, owner_ids: list[int], now: dt.datetime) -> tuple[int, int, int] | None:
    """How much of the last 12 months' won revenue the top 20% of customers bring (main currency only)."""
    stmt = (
        select(Interaction.customer_id, Interaction.currency, func.sum(Interaction.amount))
        .join(Customer, col(Customer.id) == col(Interaction.customer_id))
        .where(col(Customer.owner_id).in_(owner_ids), Interaction.outcome == "won", col(Interaction.amount).is_not(None), col(Interaction.occurred_at) >= now - dt.timedelta(days=365))
        .group_by(Interaction.customer_id, Interaction.currency)
    )
    by_currency: dict[str, list[float]] = {}
    for _customer, currency, total in (await session.exec(stmt)).all():
        by_currency.setdefault(currency or "", []).append(total or 0)
    if not by_currency:
        return None
    totals = sorted(max(by_currency.values(), key=lambda v: (sum(v), len(v))), reverse=True)
    if sum(totals) <= 0:
        return None
    top = max(1, math.ceil(len(totals) * 0.2))
    return top, len(totals), round(100 * sum(totals[:top]) / sum(totals))


async def biggest(session, owner_ids: list[int], start: dt.datetime, end: dt.datetime, share: float = 0.8) -> tuple[list[tuple[str, float, str]], int]:
    """80/20 for the period: the fewest customers whose won amounts make up `share` of the period's
    (main currency), biggest first, and the share they bring (%)."""
    stmt = (
        select(Customer.name, Interaction.currency, func.sum(Interaction.amount))
        .join(Customer, col(Customer.id) == col(Interaction.customer_id))
        .where(col(Customer.owner_id).in_(owner_ids), Interaction.outcome == "won", col(Interaction.amount).is_not(None), col(Interaction.occurred_at) >= start, col(Interaction.occurred_at) < end)
        .group_by(Customer.id, Customer.name, Interaction.currency)
    )
    by_currency: dict[str, list[tuple[str, float]]] = {}
    for name, currency, total in (await session.exec(stmt)).all():
        by_currency.setdefault(currency or "", []).append((name, total or 0))
    if not by_currency:
        return [], 0
    currency, items = max(by_currency.items(), key=lambda kv: sum(v for _, v in kv[1]))
    total = sum(v for _, v in items)
    if total <= 0:
        return [], 0
    top, running = [], 0.0
    for name, amount in sorted(items, key=lambda x: (-x[1], x[0])):
        top.append((name, amount, currency))
        running += amount
        if running >= share * total:
            break
    return top, round(100 * running / total)


async def stage_changes(session, owner_ids: list[int], start: dt.datetime, end: dt.datetime) -> list[tuple[str, str, str]]:
    """Lifecycle stage changes in the period (edits, lost deals, the daily scan: audited `stage` rows "old>new")."""
    stmt = (
        select(Customer.name, AuditLog.detail)
        .join(Customer, col(Customer.id) == col(AuditLog.customer_id))
        .where(AuditLog.action == "stage", col(Customer.owner_id).in_(owner_ids), col(AuditLog.at) >= start, col(AuditLog.at) < end)
        .order_by(col(AuditLog.at), col(AuditLog.id))
    )
    out = []
    for name, detail in (await session.exec(stmt)).all():
        old, _, new = (detail or "").partition(">")
        if new:
            out.append((name, old, new))
    return out


def _money(amounts: dict[str, float], lang: str) -> str:
    return " + ".join(fmt.money(v, c or None, lang) for c, v in sorted(amounts.items())) or "0"


def _side(amounts: dict[str, float], count: int, lang: str) -> str:
    """Won or lost: the money when deals named it, else how many deals ("丢单：1 单", not "丢单：0")."""
    return _money(amounts, lang) if amounts or not count else t("digest_deals", lang, n=count)


def _names(items, limit: int = MAX_NAMES, total: int | None = None) -> str:
    """The first `limit` names, then "+N" for the rest (total: how many there are, when `items`
    holds only the first few)."""
    total = len(items) if total is None else total
    shown = ", ".join(items[:limit])
    return shown + (f" +{total - min(limit, len(items))}" if total > min(limit, len(items)) else "")


def render(d: Digest, lang: str, tz, *, amounts: bool) -> str:
    start = d.start.astimezone(tz).date()
    if d.kind == "weekly":
        lines = [t("digest_weekly", lang, start=fmt.day(start, lang), end=fmt.day((d.end - dt.timedelta(seconds=1)).astimezone(tz).date(), lang))]
    else:
        lines = [t("digest_daily", lang, day=fmt.day((d.end - dt.timedelta(seconds=1)).astimezone(tz).date(), lang))]
    reps = [f"{name} {n}" for name, n in d.notes_by_rep]
    lines.append(t("digest_reps", lang, reps=_names(reps, 6)) if any(n for _, n in d.notes_by_rep) else t("digest_nothing", lang))
    lines.append(t("digest_tasks", lang, done=d.tasks_done, overdue=d.tasks_overdue))
    lines.append(t("digest_new", lang, n=d.new_customers))
    if amounts:
        lines.append(t("digest_won_lost", lang, won=_side(d.won, d.won_count, lang), lost=_side(d.lost, d.lost_count, lang)))
    else:
        lines.append(t("digest_won_lost_counts", lang, won=d.won_count, lost=d.lost_count))
    if d.biggest:
        names = [f"{n} {fmt.money(v, c or None, lang)}" if amounts else n for n, v, c in d.biggest]
        lines.append(t("digest_biggest", lang, share=d.biggest_share, names=_names(names, 4)))
    if d.risks:
        lines.append(t("digest_risks", lang, n=d.risk_count, names=_names([_with_reason(g, lang) for g in d.risks], 3, total=d.risk_count)))
    if d.silent_important:
        lines.append(t("digest_silent", lang, n=d.silent_count, names=_names([g.customer.name for g in d.silent_important], total=d.silent_count)))
    if d.pareto:
        top, n, share = d.pareto
        lines.append(t("digest_pareto", lang, top=top, n=n, share=share))
    if d.escalated_tasks:
        items = [f"{c} ({rep}, {days}d)" if lang == "en" else f"{c}（{rep}，{days}天）" for c, rep, days in d.escalated_tasks]
        lines.append(t("digest_escalated_tasks", lang, days=d.task_escalation_days, items=_names(items, 4)))
    if d.escalated_nags:
        items = [g.customer.name for g in d.escalated_nags]
        lines.append(t("digest_escalated_nags", lang, days=d.nag_escalation_days, items=_names(items, 4)))
    if d.stage_changes:
        arrow = [f"{n} {fmt.STAGE[lang].get(a, a)}→{fmt.STAGE[lang].get(b, b)}" for n, a, b in d.stage_changes]
        lines.append(t("digest_stages", lang, n=len(arrow), items=_names(arrow, 4)))
    if d.reviewed and d.reviewed[1]:
        done, total = d.reviewed
        lines.append(t("digest_reviewed", lang, done=done, total=total, pct=round(100 * done / total)))
    if d.chart_path:
        lines.append(t("digest_chart", lang))
    return "\n".join(lines)


def _with_reason(nag, lang: str) -> str:
    """抓两头: the riskiest customers, each with why."""
    reason = ("、" if lang == "zh" else ", ").join(fmt.RISK[lang].get(r, r) for r in nag.risks)
    return f"{nag.customer.name}（{reason}）" if lang == "zh" else f"{nag.customer.name} ({reason})"


def period(kind: str, day: dt.date, tz, now: dt.datetime, settings=None) -> tuple[dt.datetime, dt.datetime]:
    """The period a digest covers. A scheduled daily digest (``settings`` given) covers the whole, closed
    period since the previous one was meant (the last working day's, 30 min before its end) up to its own
    moment: every note falls in exactly one, however late the tick runs. On demand: today so far."""
    if kind == "daily" and settings is not None:
        prev = day - dt.timedelta(days=1)
        for _ in range(workdays.SEARCH_DAYS):
            if not workdays.is_day_off(prev, settings, settings.holiday_country):
                break
            prev -= dt.timedelta(days=1)
        return _moments("daily", prev, tz, settings)[1], _moments("daily", day, tz, settings)[1]
    if kind == "daily":
        return workdays.at_local(day, dt.time(0, 0), tz), now
    monday = day - dt.timedelta(days=day.weekday())
    return workdays.at_local(monday - dt.timedelta(days=7), dt.time(0, 0), tz), workdays.at_local(monday, dt.time(0, 0), tz)


async def gather(session, scope, kind, day, tz, now, settings, *, team_nags=None, scheduled: bool = False) -> Digest:
    start, end = period(kind, day, tz, now, settings if scheduled else None)
    return await build(session, scope, kind, start, end, now, settings, team_nags)


def cached_chart(digest: Digest, lang: str) -> bytes | None:
    """The weekly digest's chart when the cache has it (nothing is drawn); None otherwise."""
    if digest.kind != "weekly":
        return None
    from . import chart

    return chart.cached(f"{digest.kind}:{digest.start.isoformat()}", digest.notes_by_rep, digest.stages, lang)


async def chart_png(digest: Digest, lang: str) -> bytes | None:
    """The weekly digest's chart, off the event loop and cached per period; None for a daily one."""
    if digest.kind != "weekly":
        return None
    from . import chart

    return await chart.png(f"{digest.kind}:{digest.start.isoformat()}", digest.notes_by_rep, digest.stages, lang)


async def finish(session, digest: Digest, png: bytes | None, lang: str, tz, *, amounts: bool, chart_name: str) -> Outgoing:
    if png is not None:
        digest.chart_path = await attachments.store(session, f"{chart_name}.png", "image/png", png)  # a reference, not a path: any replica sends it
    return Outgoing(render(digest, lang, tz, amounts=amounts), image_path=digest.chart_path)


def _moments(kind: str, today: dt.date, tz, settings) -> tuple[dt.date, dt.datetime]:
    """The digest's day (for the key) and the moment it is meant for."""
    if kind == "daily":
        return today, workdays.at_local(today, settings.workday_end, tz) - DAILY_BEFORE_END
    monday = today - dt.timedelta(days=today.weekday())
    return monday, workdays.workday_start(monday, tz, settings)


def superseded_at(kind: str, day: dt.date, tz, settings) -> dt.datetime:
    """When a digest stops being worth sending: once the next one is meant (only the latest is useful;
    one still undelivered then, after downtime, is dropped rather than sent late)."""
    if kind == "weekly":
        return _moments("weekly", day + dt.timedelta(days=7), tz, settings)[1]
    nxt = day + dt.timedelta(days=1)
    for _ in range(workdays.SEARCH_DAYS):
        if not workdays.is_day_off(nxt, settings, settings.holiday_country):
            break
        nxt += dt.timedelta(days=1)
    return _moments("daily", nxt, tz, settings)[1]


def key(kind: str, recipient: str, day: dt.date) -> str:
    return f"digest:{kind}:{recipient}:{day.isoformat()}"


async def scan(app, now: dt.datetime, memo=None) -> int:
    settings = app.settings
    country = settings.holiday_country
    queued = 0
    async with app.db.read() as session:
        teams = (await session.exec(select(Team))).all()
    for team in teams:
        async with app.db.read() as session:
            members = list((await session.exec(select(Member).where(Member.team_id == team.id, Member.active == True).order_by(Member.id))).all())  # noqa: E712
            chats = await digest_chats(session, team.id)
        plans = []  # (kind, key, dest, member-or-None, tz, lang, day, meant, recipient)
        async with app.db.read() as session:
            dests = await member_destinations(session, [m.id for m in members if m.role in ("manager", "admin")])
        recipients = [(m, dests.get(m.id), workdays.zone(m.timezone), lang_of(m.language), f"member:{m.id}") for m in members if m.role in ("manager", "admin")]
        team_tz = workdays.zone(team.timezone)
        managers = {m.id: m for m in members if m.role in ("manager", "admin")}
        viewers = {f"chat:{dest.platform}:{dest.chat_id}": managers.get(by) for dest, by in chats}  # type: ignore[arg-type]
        recipients += [(None, dest, team_tz, settings.language, f"chat:{dest.platform}:{dest.chat_id}") for dest, by in chats if by in managers]
        for member, dest, tz, lang, who in recipients:
            if dest is None:
                continue
            today = workdays.local_today(now, tz)
            for kind in ("daily", "weekly"):
                day, meant = _moments(kind, today, tz, settings)
                if now < meant or (kind == "daily" and workdays.is_day_off(today, settings, country)):
                    continue
                if kind == "weekly" and today > workdays.next_working_moment(meant, tz, settings, country).astimezone(tz).date() + dt.timedelta(days=1):
                    continue  # a week's digest more than a day late is not worth sending
                if memo is not None and not memo.todo(f"digest:{kind}", who, day):
                    continue
                plans.append((kind, key(kind, who, day), dest, member, tz, lang, day, meant, who))
        if not plans:
            continue
        async with app.db.read() as session:
            done = await push.existing_keys(session, [p[1] for p in plans])
            team_nags = await nag_rules.find(session, now, settings, team_id=team.id, top=MAX_NAMES) if any(p[1] not in done for p in plans) else nag_rules.Found()
        for kind, k, dest, member, tz, lang, day, meant, who in plans:
            if k not in done:
                queued += await _queue_one(app, team, members, kind, k, dest, member, tz, lang, day, meant, now, team_nags, viewers.get(who))
            if memo is not None:
                memo.done(f"digest:{kind}", who, day)
    return queued


async def _queue_one(app, team, members, kind, k, dest: Destination, member, tz, lang, day, meant, now, team_nags, viewer=None) -> int:
    """member: the manager/admin a DM digest is for; viewer: whose scope a subscribed chat gets."""
    settings = app.settings
    scope = scope_of(member or viewer, members)
    due_at = workdays.next_working_moment(now, tz, settings, settings.holiday_country)
    late = push.is_late(now, workdays.next_working_moment(meant, tz, settings, settings.holiday_country))
    async with app.db.read() as session:
        digest = await gather(session, scope, kind, day, tz, now, settings, team_nags=team_nags, scheduled=True)
    png = await chart_png(digest, lang)  # no transaction open while it is drawn
    async with app.db.write() as session:  # the chart (an attachment) and the row that carries it, together
        message = await finish(session, digest, png, lang, tz, amounts=member is not None, chart_name=f"{kind}-{team.id}-{k.split(':', 2)[2].replace(':', '-')}")
        inserted = await push.queue(session, key=k, kind="digest", dest=dest, message=message, due_at=due_at, member_id=member.id if member else None, late=late, meta={"expires_at": superseded_at(kind, day, tz, settings).isoformat()})
    return int(inserted)
