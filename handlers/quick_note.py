"""A quick note becomes an interaction (and follow-up tasks) on the right customer.

When the customer is unclear the note is stored at once as 'pending' with its tasks, so nothing
is lost; the question's answer attaches it (prompts.py).
"""
from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from storage import crm, messaging
from sqlmodel import select

from storage.models import Customer, Interaction, Member, Task

from . import access
from . import format as fmt
from .context import Context
from .messages import Button, Outgoing
from .texts import t

_HAS_CONTENT = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")


async def file_note(ctx: Context, text: str) -> list[Outgoing]:
    if not text:
        return [Outgoing(t("empty_note", ctx.lang))]
    if not _HAS_CONTENT.search(text):
        return [Outgoing(t("nothing_to_file", ctx.lang))]
    limit = getattr(ctx.services.settings, "max_note_chars", 4000)
    if len(text) > limit:
        note = await _store(ctx, text, None, status="pending")
        return [Outgoing(t("too_long", ctx.lang, n=f"{len(text):,}", id=note.id, max=f"{limit:,}"))]

    parser = await ctx.services.indexes.parser(ctx.team.id, ctx.session)
    parsed = parser.parse(text, ctx.now, prefer=await _own_customers(ctx))
    customer = None
    if parsed.customer is not None and not parsed.ambiguous:
        customer = await crm.get_customer(ctx.session, parsed.customer.id)
        if customer is not None and not await access.can_see(ctx.session, ctx.member, customer):
            customer = None  # answer as if it did not exist
    candidates = []
    if parsed.ambiguous:
        for record in parsed.candidates:
            c = await crm.get_customer(ctx.session, record.id)
            if c is not None and await access.can_see(ctx.session, ctx.member, c):
                candidates.append(c)
        if len(candidates) == 1:
            customer, candidates = candidates[0], []

    note = await _store(ctx, text, customer, status="filed" if customer else "pending", parsed=parsed)
    tasks = await _add_tasks(ctx, note, customer, parsed.follow_ups)
    birthdays = {"birthday": parsed.birthday, "lunar_birthday": parsed.lunar_birthday}
    if customer is not None:
        changed = apply_birthdays(customer, birthdays)
        ctx.session.add(customer)
        await crm.audit(ctx.session, "note", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=f"interaction {note.id}")
        return [await confirmation(ctx, note, customer, tasks, changed)]

    keep = {"interaction_id": note.id, "birthdays": birthdays}
    if candidates:
        prompt = await messaging.prompt_add(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "pick_customer", {**keep, "candidates": [c.id for c in candidates]}, now=ctx.services.clock())
        rows = [[Button(_label(c), f"p:{prompt.id}:c{c.id}")] for c in candidates]
        rows.append([Button(t("btn_new", ctx.lang), f"p:{prompt.id}:new")])
        mention = parsed.mention or ""
        question = t("which_of", ctx.lang, mention=mention) if mention else t("which_customer", ctx.lang)
        return [Outgoing(question + _pending_summary(ctx, tasks), rows)]
    if parsed.is_new and parsed.mention:
        name = parsed.mention.strip()
        prompt = await messaging.prompt_add(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "create_customer", {**keep, "name": name}, now=ctx.services.clock())
        rows = [[Button(t("btn_create", ctx.lang, name=name), f"p:{prompt.id}:create")], [Button(t("btn_other", ctx.lang), f"p:{prompt.id}:other")]]
        return [Outgoing(t("new_customer_q", ctx.lang, name=name) + _pending_summary(ctx, tasks), rows)]
    prompt = await messaging.prompt_add(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "name_customer", keep, now=ctx.services.clock())
    return [Outgoing(t("no_customer_q", ctx.lang) + _pending_summary(ctx, tasks), [[Button(t("btn_skip", ctx.lang), f"p:{prompt.id}:skip")]])]


async def _own_customers(ctx: Context):
    """Whose customers a bare surname should mean first: the author's own (a manager's: their team's).

    Admins see everyone, so for them the whole team decides. Access itself is still checked after matching.
    """
    if ctx.member.role == "admin":
        return None
    owners = {str(ctx.member.id)}
    if ctx.member.role == "manager":
        reps = (await ctx.session.exec(select(Member.id).where(Member.manager_id == ctx.member.id))).all()
        owners |= {str(r) for r in reps}
    return lambda record: record.owner in owners or record.owner is None


def new_customer(ctx: Context, name: str, company: str | None = None) -> Customer:
    """A customer created from the chat, owned by the author, dated by the injected clock."""
    now = ctx.services.clock()
    return Customer(team_id=ctx.team.id, owner_id=ctx.member.id, name=name, company=company, stage="potential", created_at=now, updated_at=now)


def _label(c: Customer) -> str:
    return f"{c.name} · {c.company}" if c.company and c.company != c.name else c.name


async def _store(ctx: Context, text: str, customer: Customer | None, *, status: str, parsed=None) -> SimpleNamespace:
    """The note's row, inserted without an ORM instance (the hot path: building one costs more than the INSERT).

    Returns the values and the new id as attributes, like the Interaction it stands for.
    """
    values = dict(
        team_id=ctx.team.id,
        customer_id=customer.id if customer else None,
        author_id=ctx.member.id,
        channel=parsed.channel if parsed else "other",
        text=text,
        occurred_at=ctx.msg.sent_at,
        amount=parsed.amount if parsed else None,
        currency=parsed.currency if parsed else None,
        risk=list(parsed.risk) if parsed else [],
        outcome=parsed.outcome if parsed else None,
        status=status,
        source_key=ctx.msg.key,
    )
    return SimpleNamespace(id=await crm.insert_interaction(ctx.session, values), **values)


def due_at(date: dt.date | None, time: dt.time | None, zone) -> dt.datetime | None:
    if date is None:
        return None
    local = dt.datetime.combine(date, time or dt.time(0, 0)).replace(tzinfo=zone)
    return local.astimezone(dt.timezone.utc)


async def _add_tasks(ctx: Context, note, customer: Customer | None, follow_ups) -> list[SimpleNamespace]:
    """The note's follow-up tasks, inserted as plain rows; returned as attribute records like Task."""
    rows = [
        messaging.row_values(
            Task,
            team_id=ctx.team.id,
            customer_id=customer.id if customer else None,
            assignee_id=ctx.member.id,
            interaction_id=note.id,
            text=(follow_up.task or "follow up")[:200],
            due_at=due_at(follow_up.date, follow_up.time, ctx.zone),
            due_has_time=follow_up.time is not None,
        )
        for follow_up in follow_ups
    ]
    await messaging.insert_rows(ctx.session, Task, rows)
    return [SimpleNamespace(**row) for row in rows]


def apply_birthdays(customer: Customer, birthdays: dict) -> dict:
    changed = {}
    for field in ("birthday", "lunar_birthday"):
        value = birthdays.get(field)
        if value and getattr(customer, field) != value:
            setattr(customer, field, value)
            changed[field] = value
    return changed


def _pending_summary(ctx: Context, tasks: list[Task]) -> str:
    if not tasks:
        return ""
    first = tasks[0]
    return "\n" + t("follow_up", ctx.lang, when=fmt.due(first.due_at, first.due_has_time, ctx.zone, ctx.lang, ctx.today), task=first.text)


async def attach(ctx: Context, note: Interaction, customer: Customer, birthdays: dict | None = None) -> list[Outgoing]:
    """File a waiting note (or one filed on the wrong customer) on the chosen customer, with its tasks."""
    previous = note.customer_id
    note.customer_id = customer.id
    note.status = "filed"
    ctx.session.add(note)
    await ctx.session.flush()
    await crm.touch_customer(ctx.session, customer.id, note.occurred_at, note.risk)
    if previous is not None and previous != customer.id:
        await crm.touch_customer(ctx.session, previous)  # the wrong customer no longer counts this contact
    tasks = await crm.tasks_of_interaction(ctx.session, note.id)
    for task in tasks:
        task.customer_id = customer.id
        ctx.session.add(task)
    changed = apply_birthdays(customer, birthdays or {})
    ctx.session.add(customer)
    await crm.audit(ctx.session, "note", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=f"interaction {note.id}")
    return [await confirmation(ctx, note, customer, tasks, changed)]


async def confirmation(ctx: Context, note: Interaction, customer: Customer, tasks: list[Task], birthdays: dict) -> Outgoing:
    lang = ctx.lang
    lines = [t("filed", lang, customer=customer.name, channel=fmt.CHANNEL[lang].get(note.channel, note.channel))]
    for task in tasks:
        if task.due_at is not None:
            lines.append(t("follow_up", lang, when=fmt.due(task.due_at, task.due_has_time, ctx.zone, lang, ctx.today), task=task.text))
        else:
            lines.append(t("follow_up_nodate", lang, task=task.text))
    extras = []
    if note.amount is not None and not (ctx.in_group and not await access.group_may_see_amounts(ctx, customer)):
        extras.append(t("money", lang, money=fmt.money(note.amount, note.currency, lang)))
    if note.outcome:
        extras.append(t(note.outcome, lang))
    if note.risk:
        extras.append(t("risk", lang, risks=", ".join(fmt.RISK[lang][r] for r in note.risk)))
    if birthdays.get("birthday"):
        extras.append(t("birthday_set", lang, date=birthdays["birthday"]))
    if birthdays.get("lunar_birthday"):
        extras.append(t("lunar_birthday_set", lang, date=birthdays["lunar_birthday"]))
    if extras:
        lines.append(" · ".join(extras))
    prompt_id = await messaging.prompt_add_id(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "filed", {"interaction_id": note.id}, now=ctx.services.clock())
    buttons = [
        [
            Button(t("btn_wrong_customer", lang), f"p:{prompt_id}:wrong"),
            Button(t("btn_change_date", lang), f"p:{prompt_id}:date"),
            Button(t("btn_undo", lang), f"p:{prompt_id}:undo"),
        ]
    ]
    return Outgoing("\n".join(lines), buttons)


async def undo(ctx: Context, note: Interaction) -> list[Outgoing]:
    tasks = await crm.tasks_of_interaction(ctx.session, note.id)
    customer = await crm.get_customer(ctx.session, note.customer_id) if note.customer_id else None
    for task in tasks:
        await ctx.session.delete(task)
    await ctx.session.flush()
    await ctx.session.delete(note)
    await ctx.session.flush()
    if customer is not None:
        await crm.touch_customer(ctx.session, customer.id)  # last contact and counts without this note
    await crm.audit(ctx.session, "undo", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id if customer else None, platform=ctx.msg.platform, detail=fmt.clip(note.text, 200))
    name = customer.name if customer else t("no_customer", ctx.lang)
    return [Outgoing(t("undone", ctx.lang, customer=name, text=fmt.clip(note.text, 40), tasks=len(tasks)))]
