"""What a filed note sets in motion beyond its own follow-ups.

- A complaint or an overdue payment makes a follow-up for the customer's owner (not only a nag),
  unless the note already planned one, due the team's number of working days later (/plan complaint 2;
  defaults in storage/contact_plan.py RISK_DAYS; a risk missing from it makes no follow-up).
- A lost deal moves the customer's lifecycle stage to churned (audited as a `stage` row); the daily
  lifecycle scan keeps it there until a later win (reminders/lifecycle.py). Undoing the note puts
  the previous stage back.
"""
from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from reminders import workdays
from storage import contact_plan, crm, messaging
from storage.models import AuditLog, Customer, Member, Task

from chat import format as fmt
from .context import Context
from .workflow_texts import t as wt

RISK_FOLLOW_UP_DAYS = contact_plan.RISK_DAYS  # the defaults; a team's own are in its plan
NOTE_STAGE = "note_stage"  # audit action: a note's lost deal moved the stage (detail "NOTE_ID:OLD_STAGE")


async def apply(ctx: Context, note, customer: Customer, planned: list) -> list[str]:
    """Act on the note's risks and outcome; returns short lines for the confirmation."""
    lines = []
    if not planned:
        lines += await _risk_follow_ups(ctx, note, customer)
    if note.outcome == "lost" and customer.stage != "churned":
        old, customer.stage = customer.stage, "churned"
        ctx.session.add(customer)
        await crm.audit(ctx.session, "stage", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=f"{old}>churned", at=ctx.services.clock())
        # which note moved it, and from where: /undo of the note puts the stage back (undone below)
        await crm.audit(ctx.session, NOTE_STAGE, team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=f"{note.id}:{old}", at=ctx.services.clock())
        lines.append(wt("lost_stage", ctx.lang, stage=fmt.STAGE[ctx.lang]["churned"]))
    return lines


async def undone(ctx: Context, note) -> None:
    """A note is being undone: the stage its lost deal set goes back to what it was, unless the stage
    was changed again since (by hand, a review or the lifecycle scan): that later change stands."""
    if note.outcome != "lost" or note.customer_id is None:
        return
    moved = (
        await ctx.session.exec(
            select(AuditLog).where(AuditLog.action == NOTE_STAGE, AuditLog.customer_id == note.customer_id, col(AuditLog.detail).startswith(f"{note.id}:", autoescape=True))
        )
    ).first()
    customer = await ctx.session.get(Customer, note.customer_id)
    if moved is None or customer is None or customer.stage != "churned":
        return
    later = (await ctx.session.exec(select(AuditLog.id).where(AuditLog.action == "stage", AuditLog.customer_id == customer.id, col(AuditLog.id) > moved.id).limit(1))).first()
    if later is not None:
        return
    old = moved.detail.partition(":")[2] or "active"
    customer.stage = old
    ctx.session.add(customer)
    await crm.audit(ctx.session, "stage", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=f"churned>{old}", at=ctx.services.clock())


async def _risk_follow_ups(ctx: Context, note, customer: Customer) -> list[str]:
    risks = [r for r in note.risk or [] if r in RISK_FOLLOW_UP_DAYS]
    if not risks:
        return []
    owner = await ctx.session.get(Member, customer.owner_id) if customer.owner_id else None
    assignee = owner if owner is not None and owner.active else ctx.member
    lang = "zh" if assignee.language == "zh" else "en"
    plan = contact_plan.plan_of(ctx.team, ctx.services.settings)
    days = min(plan.days("risk", r) for r in risks)
    due = _working_days_after(ctx.today, days, ctx.services.settings)
    text = wt("risk_follow_up", lang, risk="、".join(fmt.RISK[lang][r] for r in risks) if lang == "zh" else ", ".join(fmt.RISK[lang][r] for r in risks))
    row = messaging.row_values(
        Task, team_id=ctx.team.id, customer_id=customer.id, assignee_id=assignee.id, interaction_id=note.id, text=text, due_at=dt.datetime.combine(due, dt.time(0, 0)).replace(tzinfo=ctx.zone).astimezone(dt.timezone.utc), due_has_time=False
    )
    await messaging.insert_rows(ctx.session, Task, [row])
    when = fmt.day(due, ctx.lang, ctx.today)
    if assignee.id == ctx.member.id:
        return [wt("risk_task_mine", ctx.lang, when=when, task=text)]
    return [wt("risk_task_owner", ctx.lang, owner=assignee.display_name, when=when)]


def _working_days_after(day: dt.date, n: int, settings) -> dt.date:
    country = getattr(settings, "holiday_country", "CN")
    for _ in range(n):
        day += dt.timedelta(days=1)
        for _ in range(workdays.SEARCH_DAYS):
            if settings is None or not hasattr(settings, "days_off") or not workdays.is_day_off(day, settings, country):
                break
            day += dt.timedelta(days=1)
    return day
