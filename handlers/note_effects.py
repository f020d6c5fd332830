"""What a filed note sets in motion beyond its own follow-ups.

- A complaint or an overdue payment makes a follow-up for the customer's owner (not only a nag),
  unless the note already planned one. When it is due is a team-level default in code
  (RISK_FOLLOW_UP_DAYS: working days after the note; a risk missing from it makes no follow-up).
- A lost deal moves the customer's lifecycle stage to churned (audited as a `stage` row); the daily
  lifecycle scan keeps it there until a later win (reminders/lifecycle.py).
"""
from __future__ import annotations

import datetime as dt

from reminders import workdays
from storage import crm, messaging
from storage.models import Customer, Member, Task

from . import format as fmt
from .context import Context
from .workflow_texts import t as wt

RISK_FOLLOW_UP_DAYS = {"complaint": 1, "overdue_payment": 2}  # the team's default: working days to act


async def apply(ctx: Context, note, customer: Customer, planned: list) -> list[str]:
    """Act on the note's risks and outcome; returns short lines for the confirmation."""
    lines = []
    if not planned:
        lines += await _risk_follow_ups(ctx, note, customer)
    if note.outcome == "lost" and customer.stage != "churned":
        old, customer.stage = customer.stage, "churned"
        ctx.session.add(customer)
        await crm.audit(ctx.session, "stage", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=f"{old}>churned", at=ctx.services.clock())
        lines.append(wt("lost_stage", ctx.lang, stage=fmt.STAGE[ctx.lang]["churned"]))
    return lines


async def _risk_follow_ups(ctx: Context, note, customer: Customer) -> list[str]:
    risks = [r for r in note.risk or [] if r in RISK_FOLLOW_UP_DAYS]
    if not risks:
        return []
    owner = await ctx.session.get(Member, customer.owner_id) if customer.owner_id else None
    assignee = owner if owner is not None and owner.active else ctx.member
    lang = "zh" if assignee.language == "zh" else "en"
    days = min(RISK_FOLLOW_UP_DAYS[r] for r in risks)
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
