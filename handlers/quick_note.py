"""A quick note becomes an interaction (and follow-up tasks) on the right customer(s).

When the customer is unclear the note is stored at once as 'pending' with its tasks, so nothing
is lost; the question's answer attaches it (prompts.py). A note naming several customers is filed on
each; one reporting something done closes the matching follow-up (closing.py); fields the parser is
unsure of are asked about after filing (checks.py). Questions and instructions in words are not notes
(intents.py): they are answered (questions.py) or confirmed and carried out (instructions.py).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import re
from types import SimpleNamespace

from reminders import followups
from storage import crm, messaging
from sqlmodel import col, select

from storage.models import Customer, Interaction, Member, Task

from . import access, checks, closing, corrections, instructions, intents, note_contacts, note_effects, questions
from chat import format as fmt
from .context import Context
from .conversation_texts import t as ct
from chat.messages import Button, Outgoing
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
    reading = intents.read(text)
    if reading is not None:  # a question or an instruction to the bot, not a note
        if reading.kind in instructions.KINDS:
            return await instructions.propose(ctx, reading)
        return await questions.answer(ctx, reading)
    return await file_parsed(ctx, text, await parse(ctx, text))


async def parse(ctx: Context, text: str, at: dt.datetime | None = None):
    """The parser's reading of a note sent now (or at ``at``), the author's own customers preferred."""
    parser = await ctx.services.indexes.parser(ctx.team.id, ctx.session)
    now = at.astimezone(ctx.zone) if at is not None else ctx.now
    prefer = await _own_customers(ctx)
    with ctx.services.parse_seconds.time() if ctx.services.parse_seconds is not None else contextlib.nullcontext():
        return parser.parse(text, now, prefer=prefer)


async def file_parsed(ctx: Context, text: str, parsed) -> list[Outgoing]:
    """File a note as the parser read it: on its customer(s), with follow-ups, closing what it reports done."""
    customer, candidates = await _resolve(ctx, parsed)
    birthdays = {"birthday": parsed.birthday, "lunar_birthday": parsed.lunar_birthday}
    if customer is None:
        return await _file_pending(ctx, text, parsed, candidates, birthdays)

    customers = [customer, *await _others(ctx, parsed, customer)]
    risks_before = list(customer.last_risk or [])
    notes = {c.id: await _store(ctx, text, c, status="filed", parsed=parsed, part=i) for i, c in enumerate(customers)}
    follow_ups = list(parsed.follow_ups)
    closed = await closing.close_matching(ctx, customer, text) if parsed.closes else None
    if closed is not None:
        follow_ups = [f for f in follow_ups if f.date is not None]  # what was done is not a new to-do
    cleared = closing.clear_risks(customer, risks_before, parsed.resolved_risks)
    tasks = await _add_tasks(ctx, notes, customer.id, follow_ups)
    effects = await note_effects.apply(ctx, notes[customer.id], customer, [x for x in tasks if x.customer_id == customer.id])
    changed = apply_birthdays(customer, birthdays)
    if not closed and len(customers) == 1:
        changed.update(note_contacts.apply(customer, text))  # a number written in the note goes onto the card
    ctx.session.add(customer)
    for c in customers:
        await crm.audit(ctx.session, "note", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=c.id, platform=ctx.msg.platform, detail=f"interaction {notes[c.id].id}")
    ask = checks.askable(parsed.uncertain)
    reading = corrections.reading(parsed) if ask else None  # kept with the question: a fix is recorded against it
    note = notes[customer.id]
    return [await confirmation(ctx, note, customer, tasks, changed, others=customers[1:], closed=closed, cleared=cleared, ask=ask, parsed=reading, effects=effects)]


async def _resolve(ctx: Context, parsed) -> tuple[Customer | None, list[Customer]]:
    """The note's customer if the author may see it, else the candidates they may see."""
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
    return customer, candidates


async def _others(ctx: Context, parsed, first: Customer) -> list[Customer]:
    """The note's other customers ("拜访了张总和王芳"), those the author may see, each once."""
    out, seen = [], {first.id}
    for record in parsed.customers if not parsed.ambiguous else []:
        if record is None or record.id in seen or len(out) + 1 >= MAX_PARTS:
            continue
        seen.add(record.id)
        c = await crm.get_customer(ctx.session, record.id)
        if c is not None and await access.can_see(ctx.session, ctx.member, c):
            out.append(c)
    return out


async def _file_pending(ctx: Context, text: str, parsed, candidates: list[Customer], birthdays: dict) -> list[Outgoing]:
    """No customer yet: keep the note (nothing lost) and ask whose it is."""
    note = await _store(ctx, text, None, status="pending", parsed=parsed)
    tasks = await _add_tasks(ctx, {None: note}, None, parsed.follow_ups)
    keep = {"interaction_id": note.id, "birthdays": birthdays}
    ask = [f for f in checks.askable(parsed.uncertain) if f != "customer"]
    if ask:  # what the parser was unsure of besides the customer is asked once the customer is known
        keep.update(ask=ask, reading=corrections.reading(parsed))
    if candidates:
        prompt_id = await messaging.prompt_add_id(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "pick_customer", {**keep, "candidates": [c.id for c in candidates]}, now=ctx.services.clock())
        rows = [[Button(_label(c), f"p:{prompt_id}:c{c.id}")] for c in candidates]
        rows.append([Button(t("btn_new", ctx.lang), f"p:{prompt_id}:new")])
        mention = parsed.mention or ""
        question = t("which_of", ctx.lang, mention=mention) if mention else t("which_customer", ctx.lang)
        return [Outgoing(question + _pending_summary(ctx, tasks), rows)]
    if parsed.is_new and parsed.mention:
        name = parsed.mention.strip()
        prompt_id = await messaging.prompt_add_id(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "create_customer", {**keep, "name": name}, now=ctx.services.clock())
        rows = [[Button(t("btn_create", ctx.lang, name=name), f"p:{prompt_id}:create")], [Button(t("btn_other", ctx.lang), f"p:{prompt_id}:other")]]
        return [Outgoing(t("new_customer_q", ctx.lang, name=name) + _pending_summary(ctx, tasks), rows)]
    # the parser found no customer: the name typed in answer is a correction of its reading
    prompt_id = await messaging.prompt_add_id(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "name_customer", {**keep, "fix": True}, now=ctx.services.clock())
    return [Outgoing(t("no_customer_q", ctx.lang) + _pending_summary(ctx, tasks), [[Button(t("btn_skip", ctx.lang), f"p:{prompt_id}:skip")]])]


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


async def _store(ctx: Context, text: str, customer: Customer | None, *, status: str, parsed=None, part: int = 0) -> SimpleNamespace:
    """The note's row, inserted without an ORM instance (the hot path: building one costs more than the INSERT).

    Returns the values and the new id as attributes, like the Interaction it stands for. A note on several
    customers is one row each; the second and later carry the message key with "#2", "#3"… (keys are unique).
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
        source_key=ctx.msg.key if part == 0 else f"{ctx.msg.key}#{part + 1}",
    )
    stored = SimpleNamespace(id=await crm.insert_interaction(ctx.session, values), **values)
    if part == 0 and ctx.services.notes_filed is not None:  # one note, however many customers it names
        ctx.services.notes_filed.labels(status).inc()
    return stored


def due_at(date: dt.date | None, time: dt.time | None, zone) -> dt.datetime | None:
    if date is None:
        return None
    local = dt.datetime.combine(date, time or dt.time(0, 0)).replace(tzinfo=zone)
    return local.astimezone(dt.timezone.utc)


async def _add_tasks(ctx: Context, notes: dict, default_id: int | None, follow_ups) -> list[SimpleNamespace]:
    """The note's follow-up tasks, inserted as plain rows; returned as attribute records like Task.

    ``notes``: the note filed on each customer (by id); a follow-up goes on its own customer when the note
    names several, else on the first (``default_id``).
    """
    rows = []
    for follow_up in follow_ups:
        own = getattr(follow_up, "customer", None)
        customer_id = own.id if own is not None and own.id in notes else default_id
        rows.append(
            messaging.row_values(
                Task,
                team_id=ctx.team.id,
                customer_id=customer_id,
                assignee_id=ctx.member.id,
                interaction_id=notes[customer_id].id,
                text=(follow_up.task or "follow up")[:200],
                due_at=due_at(follow_up.date, follow_up.time, ctx.zone),
                due_has_time=follow_up.time is not None,
            )
        )
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


async def attach(ctx: Context, note: Interaction, customer: Customer, birthdays: dict | None = None, *, fix: bool = False, ask=(), parsed: dict | None = None) -> list[Outgoing]:
    """File a waiting note (or one filed on the wrong customer) on the chosen customer, with its tasks.

    ``fix``: the user corrected the parser's customer (kept as a correction; the mention becomes an alias).
    ``ask``: fields still to check with the user afterwards."""
    previous = note.customer_id
    if fix:
        await corrections.fix_customer(ctx, note, customer, previous, parsed)
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
    effects = await note_effects.apply(ctx, note, customer, tasks) if previous is None else []
    ctx.session.add(customer)
    await crm.audit(ctx.session, "note", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=f"interaction {note.id}")
    return [await confirmation(ctx, note, customer, tasks, changed, ask=ask, parsed=parsed, effects=effects)]


async def confirmation(ctx: Context, note, customer: Customer, tasks, birthdays: dict, *, others=(), closed=None, cleared=(), ask=(), parsed: dict | None = None, effects=()) -> Outgoing:
    """One short block: where it was filed, the follow-ups, what it closed, money/outcome/risk; then either a
    question about what the parser was unsure of (``ask``; ``parsed``: its reading, kept for corrections) or
    the usual fix buttons."""
    lang = ctx.lang
    channel = fmt.CHANNEL[lang].get(note.channel, note.channel)
    if others:
        names = ("、" if lang == "zh" else ", ").join(c.name for c in (customer, *others))
        lines = [ct("filed_many", lang, customers=names, channel=channel)]
    else:
        lines = [t("filed", lang, customer=customer.name, channel=channel)]
    name_of = {c.id: c.name for c in (customer, *others)}
    for task in tasks:
        text = task.text
        if others and name_of.get(task.customer_id, "") not in text:
            text = f"{name_of.get(task.customer_id, '')} · {text}"
        if task.due_at is not None:
            lines.append(t("follow_up", lang, when=fmt.due(task.due_at, task.due_has_time, ctx.zone, lang, ctx.today), task=text))
        else:
            lines.append(t("follow_up_nodate", lang, task=text))
    waits = next((line for task in tasks if (line := followups.promised_reminder_line(task.due_at, task.due_has_time, ctx.zone, ctx.services.settings, ctx.services.clock(), lang))), None)
    if waits:
        lines.append(waits)  # a reminder that waits for working hours says when it will come
    lines += effects
    if closed is not None:
        lines.append(ct("closed", lang, task=fmt.clip(closed.text, 60)))
    if cleared:
        lines.append(ct("risk_cleared", lang, risks=", ".join(fmt.RISK[lang].get(r, r) for r in cleared)))
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
    for field in ("phone", "email"):
        if birthdays.get(field):
            extras.append(("☎ " if field == "phone" else "✉ ") + ("•••" if ctx.in_group else birthdays[field]) + (" 已存" if lang == "zh" else " saved"))
    if extras:
        lines.append(" · ".join(extras))
    if ask:
        data = {"interaction_id": note.id, "birthdays": birthdays, **({"reading": parsed} if parsed else {})}
        question = await checks.question(ctx, note, list(ask), data)
        if question is not None:
            return Outgoing("\n".join(lines) + "\n" + question.text, question.buttons)
    prompt_id = await messaging.prompt_add_id(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "filed", {"interaction_id": note.id}, now=ctx.services.clock())
    buttons = [
        [
            Button(t("btn_wrong_customer", lang), f"p:{prompt_id}:wrong"),
            Button(t("btn_change_date", lang), f"p:{prompt_id}:date"),
            Button(t("btn_undo", lang), f"p:{prompt_id}:undo"),
        ]
    ]
    return Outgoing("\n".join(lines), buttons)


MAX_PARTS = 10  # a note filed on more customers than this keeps the rest to itself


async def siblings(ctx: Context, note: Interaction) -> list[Interaction]:
    """The same note filed on the other customers it names (keys "KEY#2", "KEY#3"…)."""
    if not note.source_key:
        return []
    base = note.source_key.split("#")[0]
    keys = [k for k in (base, *(f"{base}#{i}" for i in range(2, MAX_PARTS + 1))) if k != note.source_key]
    stmt = select(Interaction).where(col(Interaction.source_key).in_(keys), Interaction.team_id == note.team_id)
    return list((await ctx.session.exec(stmt)).all())


async def undo(ctx: Context, note: Interaction) -> list[Outgoing]:
    """Remove a note (on every customer it was filed on) and its follow-ups."""
    removed = 0
    customer = await crm.get_customer(ctx.session, note.customer_id) if note.customer_id else None
    for each in [note, *await siblings(ctx, note)]:
        await note_effects.undone(ctx, each)  # a lost deal's stage goes back
        tasks = await crm.tasks_of_interaction(ctx.session, each.id)
        removed += len(tasks)
        for task in tasks:
            await ctx.session.delete(task)
        await ctx.session.flush()
        await ctx.session.delete(each)
        await ctx.session.flush()
        if each.customer_id is not None:
            await crm.touch_customer(ctx.session, each.customer_id)  # last contact and counts without this note
        await crm.audit(ctx.session, "undo", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=each.customer_id, platform=ctx.msg.platform, detail=fmt.clip(each.text, 200))
    name = customer.name if customer else t("no_customer", ctx.lang)
    return [Outgoing(t("undone", ctx.lang, customer=name, text=fmt.clip(note.text, 40), tasks=removed))]
