"""The one-tap answers under a "to review" list (reminders/reviews.py): still active, change tier,
change stage, hand over, drop. Every answer marks the customer reviewed (an audit row "review");
tier, stage and owner changes go through the same audited paths as /tier, /stage and /assign.

Choices: a|t|s|h|d + customer id; then T|S|H + customer id + "." + the value picked.
"""
from __future__ import annotations

import re

from sqlmodel import select

from storage import contact_plan, crm, messaging
from storage.models import STAGES, TIERS, Customer, Member, Prompt, Task

from chat import format as fmt
from . import access, customer_edit, team_commands
from .context import Context
from .merge import may_edit
from chat.messages import Button, Outgoing
from .team_texts import t as tt
from .workflow_texts import t as wt

MAX_COLLEAGUES = 6  # buttons under one question, phone-sized
_CHOICE = re.compile(r"([atshdTSH])(\d{1,18})(?:\.([a-z0-9_]{1,20}))?")


async def press(ctx: Context, prompt: Prompt, note_unused, choice: str) -> list[Outgoing]:
    m = _CHOICE.fullmatch(choice)
    ids = prompt.data.get("customers") or []
    customer = await crm.get_customer(ctx.session, int(m.group(2))) if m and int(m.group(2)) in ids else None
    if customer is None or customer.team_id != ctx.team.id:
        return [Outgoing(wt("review_gone", ctx.lang))]
    if not await may_edit(ctx, customer):  # moved away from them since the list was sent
        await access.record_refused(ctx.session, ctx.member, ctx.msg.platform, "review", customer.id)
        return [Outgoing(wt("review_gone", ctx.lang))]
    kind, value = m.group(1), m.group(3)
    if kind == "a":
        await mark(ctx, customer, "active")
        return [Outgoing(wt("review_ok", ctx.lang, customer=customer.name))]
    if kind in ("t", "s"):
        values, names = (TIERS, fmt.TIER) if kind == "t" else (STAGES, fmt.STAGE)
        buttons = [[Button(names[ctx.lang][v], f"p:{prompt.id}:{kind.upper()}{customer.id}.{v}") for v in values]]
        return [Outgoing(wt("review_pick_tier" if kind == "t" else "review_pick_stage", ctx.lang, customer=customer.name), buttons)]
    if kind in ("T", "S") and value in (TIERS if kind == "T" else STAGES):
        replies = await customer_edit.apply(ctx, customer, "tier" if kind == "T" else "stage", value)
        await mark(ctx, customer, f"{'tier' if kind == 'T' else 'stage'} {value}")
        return replies
    if kind == "d":
        replies = await customer_edit.apply(ctx, customer, "stage", "churned")
        await mark(ctx, customer, "dropped")
        return replies
    if kind == "h":
        return await _handover_choices(ctx, prompt, customer)
    if kind == "H" and value and value.isdigit():
        colleague = await ctx.session.get(Member, int(value))
        if colleague is None or colleague.team_id != ctx.team.id or not colleague.active:
            return [Outgoing(wt("review_gone", ctx.lang))]
        replies = await team_commands.cmd_assign(ctx, f"#{customer.id} {colleague.display_name}")
        if (await crm.get_customer(ctx.session, customer.id)).owner_id == colleague.id:
            await mark(ctx, customer, f"handed over to {colleague.display_name}")
        return replies
    return [Outgoing(wt("review_gone", ctx.lang))]


async def mark(ctx: Context, customer: Customer, detail: str) -> None:
    await crm.audit(ctx.session, contact_plan.REVIEW_ACTION, team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=detail, at=ctx.services.clock())


async def _handover_choices(ctx: Context, prompt: Prompt, customer: Customer) -> list[Outgoing]:
    """A manager or admin picks the colleague; a rep's request becomes a follow-up for their manager."""
    if ctx.member.role in ("manager", "admin"):
        stmt = select(Member).where(Member.team_id == ctx.team.id, Member.active == True, Member.id != customer.owner_id).order_by(Member.id)  # noqa: E712
        # only those /assign would accept from this manager: a button that is then refused is a trap
        colleagues = [m for m in (await ctx.session.exec(stmt)).all() if await access.may_change_owner(ctx.session, ctx.member, customer, m)][:MAX_COLLEAGUES]
        if not colleagues:
            return [Outgoing(tt("review_no_colleague", ctx.lang, customer=customer.name))]
        buttons = [[Button(m.display_name, f"p:{prompt.id}:H{customer.id}.{m.id}")] for m in colleagues]
        return [Outgoing(wt("review_pick_owner", ctx.lang, customer=customer.name), buttons)]
    manager = await ctx.session.get(Member, ctx.member.manager_id) if ctx.member.manager_id else None
    if manager is None or not manager.active:
        return [Outgoing(wt("review_no_manager", ctx.lang, customer=customer.name))]
    text = wt("review_handover_task", "zh" if manager.language == "zh" else "en", customer=customer.name, rep=ctx.member.display_name)
    await messaging.insert_rows(ctx.session, Task, [messaging.row_values(Task, team_id=ctx.team.id, customer_id=customer.id, assignee_id=manager.id, text=text, due_at=None, due_has_time=False)])
    await mark(ctx, customer, "handover asked")
    return [Outgoing(wt("review_handover_asked", ctx.lang, customer=customer.name, manager=manager.display_name))]
