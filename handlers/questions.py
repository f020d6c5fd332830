"""Questions answered from the data ("张伟的电话是多少？", "who do I need to follow up today").

Through the access check: a customer one may not see is answered exactly like one that does not
exist. Group chats never show phone numbers, emails or amounts. Nothing is filed.
"""
from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from storage import crm
from storage.models import Customer

from . import access, paging
from chat import format as fmt
from .context import Context
from .customer_lookup import resolve_customer
from .conversation_texts import t as ct
from .intents import Intent
from chat.messages import Outgoing
from .texts import t



async def answer(ctx: Context, intent: Intent) -> list[Outgoing]:
    if intent.kind == "due":
        return [await _due(ctx, intent.value)]
    customer = await resolve_customer(ctx, intent.name)
    if customer is None:
        return [Outgoing(ct("unknown_customer", ctx.lang, q=fmt.clip(intent.name, 40)))]
    await crm.audit(ctx.session, "read", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=intent.kind)
    if intent.kind == "contact":
        return [Outgoing(_contact(ctx, customer, intent.field))]
    if intent.kind == "last_contact":
        return [Outgoing(await _last_contact(ctx, customer))]
    return [Outgoing(await _status(ctx, customer))]


def _contact(ctx: Context, c: Customer, field: str) -> str:
    if ctx.in_group:
        return f"{c.name} {t('group_no_contacts', ctx.lang)}"
    asked, other = (c.email, c.phone) if field == "email" else (c.phone, c.email)
    contacts = [x for x in (asked, other) if x]
    if not contacts:
        return ct("no_contact", ctx.lang, name=c.name)
    return ct("contact", ctx.lang, name=c.name, contacts=" · ".join(contacts))


async def _last_contact(ctx: Context, c: Customer) -> str:
    recent = await crm.recent_interactions(ctx.session, c.id, 1)
    if c.last_contact_at is None or not recent:
        return ct("never_contacted", ctx.lang, name=c.name)
    now = ctx.services.clock().astimezone(ctx.zone)
    when = fmt.day(recent[0].occurred_at.astimezone(ctx.zone).date(), ctx.lang)
    channel = fmt.CHANNEL[ctx.lang].get(recent[0].channel, recent[0].channel)
    return ct("last_contact", ctx.lang, name=c.name, when=when, channel=channel, ago=fmt.ago(recent[0].occurred_at, now, ctx.lang))


async def _status(ctx: Context, c: Customer) -> str:
    """Last contact, what it said, open risks, the next follow-up: four lines at most, no money."""
    lang = ctx.lang
    today = ctx.today
    lines = [await _last_contact(ctx, c)]
    recent = await crm.recent_interactions(ctx.session, c.id, 1)
    if recent:
        lines.append("– " + fmt.clip(recent[0].text, 50))
    if c.last_risk:
        lines.append(t("risk", lang, risks=", ".join(fmt.RISK[lang].get(r, r) for r in c.last_risk)))
    tasks = await crm.open_tasks_of_customer(ctx.session, c.id)
    if tasks:
        lines.append(ct("status_next", lang, when=fmt.due(tasks[0].due_at, tasks[0].due_has_time, ctx.zone, lang, today), task=fmt.clip(tasks[0].text, 40)))
    else:
        lines.append(ct("status_none_open", lang))
    return "\n".join(lines)


async def _due(ctx: Context, day: str) -> Outgoing:
    """My open follow-ups due that day (today: overdue ones too), on customers I may see; paged like /tasks."""
    lang = ctx.lang
    target = ctx.today + dt.timedelta(days=1 if day == "tomorrow" else 0)
    label = fmt.day(target, lang, ctx.today)
    def counts(task) -> bool:  # today: overdue ones too; tomorrow: that day's
        day_due = task.due_at.astimezone(ctx.zone).date()
        return day_due == target or (day == "today" and day_due < target)

    due = [task for task in await crm.open_tasks(ctx.session, ctx.member.id) if task.due_at is not None and counts(task)]
    ids = {task.customer_id for task in due if task.customer_id}
    customers = list((await ctx.session.exec(select(Customer).where(col(Customer.id).in_(ids)))).all()) if ids else []
    names = {c.id: c.name for c in await access.visible(ctx.session, ctx.member, customers)}
    due = [task for task in due if task.customer_id is None or task.customer_id in names]
    if not due:
        return Outgoing(ct("due_none", lang, day=label))
    return await paging.first_page(ctx, "tasks", ct("due_header", lang, day=label, n=len(due)), [task.id for task in due if task.id is not None])
