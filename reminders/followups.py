"""Follow-up reminders: a DM with the customer, the task, the last note and buttons.

When: a follow-up with a time (a call, a meeting) is reminded the lead ahead of it
(settings.reminder_lead_minutes, 30 by default), a date alone at the start of the assignee's working
day. A reminder is queued once that moment has come, with the outbox row due at the next working
moment (quiet hours and days off wait for the morning); a reply that promises a follow-up whose
reminder will wait so says when it will come (promised_reminder_line). A reminder whose task's due
working moment fell on an earlier day than today is not sent: that day's morning overdue list
carries it instead.

The outbox key names the task and its due time, not the moment of the reminder: a lead changed
between ticks (a restart, two replicas set differently) moves when the reminder is queued, never
how many are (one per task and due time; a moment already past is queued at the next tick).
"""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy import and_, func
from sqlmodel import col, select

from chat import format as fmt
from chat.messages import Button, Outgoing
from storage import crm, messaging
from storage.models import Customer, Interaction, Member, Prompt, Task

from . import push, workdays
from .destinations import member_destinations
from .texts import lang_of, t

LOOKBACK = dt.timedelta(days=21)  # longer than any run of days off (春节 + weekend)
DEFAULT_LEAD_MINUTES = 30  # bot.settings.Settings.reminder_lead_minutes


def lead(settings) -> dt.timedelta:
    """How long before a follow-up with a time its reminder comes."""
    return dt.timedelta(minutes=getattr(settings, "reminder_lead_minutes", DEFAULT_LEAD_MINUTES))


def due_moment(due_at: dt.datetime, has_time: bool, tz, settings) -> dt.datetime:
    """When a follow-up is due: its time, or (a date alone) the start of that working day."""
    if has_time:
        return due_at
    return workdays.workday_start(due_at.astimezone(tz).date(), tz, settings)


def meant_moment(due_at: dt.datetime, has_time: bool, tz, settings) -> dt.datetime:
    """When its reminder is meant to come: the lead ahead of a time; a date alone at its working day's start."""
    return due_moment(due_at, has_time, tz, settings) - (lead(settings) if has_time else dt.timedelta(0))


def remind_at(task: Task, tz, settings) -> dt.datetime:
    return meant_moment(task.due_at, task.due_has_time, tz, settings)


def working_moment(task: Task, tz, settings) -> dt.datetime:
    """When the task falls due in working time (the overdue list and the digests count from it)."""
    return workdays.next_working_moment(due_moment(task.due_at, task.due_has_time, tz, settings), tz, settings, settings.holiday_country)


def reminder_moment(task: Task, tz, settings) -> dt.datetime:
    """When its reminder really goes: the meant moment, or the next working moment after it."""
    return workdays.next_working_moment(remind_at(task, tz, settings), tz, settings, settings.holiday_country)


def promised_reminder_moment(due_at: dt.datetime | None, has_time: bool, tz, settings, now: dt.datetime) -> dt.datetime | None:
    """For a reply that promises a follow-up: when its reminder will really come, if that is not when it
    is meant to (quiet hours, a weekend, a holiday); None when it comes as meant, has nothing to wait for
    (its moment has passed and now is working time), or the overdue list will carry it."""
    if due_at is None:
        return None
    meant = meant_moment(due_at, has_time, tz, settings)
    real = workdays.next_working_moment(max(meant, now), tz, settings, settings.holiday_country)
    if real == max(meant, now):
        return None
    due_on = workdays.next_working_moment(due_moment(due_at, has_time, tz, settings), tz, settings, settings.holiday_country).astimezone(tz).date()
    if due_on < real.astimezone(tz).date():
        return None  # a follow-up already past whose day is over: the overdue list carries it, no reminder
    return real


def promised_reminder_line(due_at: dt.datetime | None, has_time: bool, tz, settings, now: dt.datetime, lang: str) -> str | None:
    """One short line for a confirmation whose follow-up's reminder waits for working hours."""
    real = promised_reminder_moment(due_at, has_time, tz, settings, now)
    if real is None:
        return None
    return t("reminder_waits", lang, when=fmt.due(real, True, tz, lang, workdays.local_today(now, tz)))


def certain_before(now: dt.datetime, zones, settings) -> dt.datetime:
    """A moment before which every open follow-up is on the overdue list of a member in any of these zones:
    the earliest end of the working hours of the last working day before each zone's today. A follow-up due
    before then falls due in working time (workdays.next_working_moment: itself, or a working morning no
    later than that day's) on an earlier day than today, so SQL may take it as overdue without the
    working-time rules, and the reminders never read it; only the few due since are looked at one by one."""
    country = settings.holiday_country
    end = settings.workday_end if settings.workday_start < settings.workday_end else dt.time(0, 0)
    bounds = [workdays.at_local(workdays.previous_working_day(workdays.local_today(now, tz), settings, country), end, tz) for tz in zones]
    return min(bounds) if bounds else now


def reminder_key(task: Task) -> str:
    return f"reminder:task:{task.id}:{task.due_at.astimezone(dt.timezone.utc).isoformat()}"


class _Message(Outgoing):
    """A reminder's message: its body built directly (the same dict as Outgoing.to_body's dataclasses.asdict,
    at a fraction of its cost: a tick may queue hundreds)."""

    def to_body(self) -> dict:
        return {"text": self.text, "buttons": [[{"label": b.label, "payload": b.payload} for b in row] for row in self.buttons], "image_path": None, "file_path": None}


async def scan(app, now: dt.datetime, memo=None) -> int:
    """Set-based: one query for the open follow-ups in the window, as light rows (a follow-up due before the
    last working day began is on the overdue list, overdue.certain_before: never read), one for the keys
    already queued; then one each for the destinations, customers and last notes, one INSERT for the
    prompts and a few for the outbox rows. Only the window's follow-ups are looked at one by one (the
    working-time rules)."""
    settings = app.settings
    async with app.db.read() as session:
        conn = await session.connection()
        members = {
            r.id: SimpleNamespace(id=r.id, timezone=r.timezone, language=r.language)
            for r in (await conn.execute(select(Member.id, Member.timezone, Member.language).where(Member.active == True))).all()  # noqa: E712
        }
        if not members:
            return 0
        zones = {mid: workdays.zone(m.timezone) for mid, m in members.items()}
        since = max(now - LOOKBACK, certain_before(now, set(zones.values()), settings))
        stmt = (
            select(Task.id, Task.assignee_id, Task.customer_id, Task.text, Task.due_at, Task.due_has_time)
            .where(Task.status == "open", col(Task.due_at) <= now + lead(settings), col(Task.due_at) >= since)
            .order_by(col(Task.due_at), col(Task.id))
        )
        candidates = []
        for r in (await conn.execute(stmt)).all():
            member = members.get(r.assignee_id)
            if member is None:
                continue  # not an active member
            tz = zones[member.id]
            task = SimpleNamespace(id=r.id, customer_id=r.customer_id, text=r.text, due_at=r.due_at, due_has_time=r.due_has_time)
            meant = remind_at(task, tz, settings)
            if meant > now:
                continue
            if working_moment(task, tz, settings).astimezone(tz).date() < workdays.local_today(now, tz):
                continue  # the overdue list has it
            moment = reminder_moment(task, tz, settings)
            candidates.append((task, member, moment))
        done = await push.existing_keys(session, [reminder_key(task) for task, _, _ in candidates])
    todo = [c for c in candidates if reminder_key(c[0]) not in done]
    if not todo:
        return 0
    # set-based: one query for the destinations, the customers, their last notes; one INSERT for
    # the prompts (the buttons) and a few for the outbox rows
    async with app.db.write() as session:
        dests = await member_destinations(session, [m.id for _, m, _ in todo])
        todo = [c for c in todo if c[1].id in dests]
        done = await push.existing_keys(session, [reminder_key(task) for task, _, _ in todo])  # again, inside the write
        todo = [c for c in todo if reminder_key(c[0]) not in done]
        if not todo:
            return 0
        customer_ids = list({task.customer_id for task, _, _ in todo if task.customer_id})
        customers = await _customers(session, customer_ids)
        notes = await _last_notes(session, customer_ids)
        prompts, pushes = [], []
        created = dt.datetime.now(dt.timezone.utc)
        for task, member, moment in todo:
            dest = dests[member.id]
            prompt_id = messaging.new_prompt_id()
            prompts.append(dict(id=prompt_id, member_id=member.id, platform=dest.platform, chat_id=dest.chat_id, kind="reminder", data={"task_id": task.id}, status="open", created_at=created))
            late = push.is_late(now, moment) and not (task.due_has_time and now < task.due_at)  # still ahead of its time: not late
            customer = customers.get(task.customer_id)
            message = render_with(task, member, customer, notes.get(task.customer_id), prompt_id, now, late)
            meta = {"task_id": task.id, "occurrence": task.due_at.astimezone(dt.timezone.utc).isoformat()}
            body = _Message(message.text, message.buttons)
            pushes.append(push.Push(key=reminder_key(task), kind="reminder", dest=dest, message=body, due_at=moment, member_id=member.id, late=late, meta=meta))
        await (await session.connection()).execute(Prompt.__table__.insert(), prompts)
        inserted = await push.queue_many(session, pushes)
    return len(inserted)


async def _customers(session, ids: list[int]) -> dict[int, SimpleNamespace]:
    """The few columns a reminder shows (name, company), as light rows."""
    if not ids:
        return {}
    stmt = select(Customer.id, Customer.name, Customer.company).where(col(Customer.id).in_(ids))
    return {r.id: SimpleNamespace(id=r.id, name=r.name, company=r.company) for r in (await (await session.connection()).execute(stmt)).all()}


async def _last_notes(session, customer_ids: list[int]) -> dict[int, SimpleNamespace]:
    """Each customer's latest note (as recent_interactions orders them), in one query, as light rows."""
    if not customer_ids:
        return {}
    latest = (
        select(Interaction.customer_id, func.max(Interaction.occurred_at).label("at"))
        .where(col(Interaction.customer_id).in_(customer_ids))
        .group_by(Interaction.customer_id)
        .subquery()
    )
    stmt = (
        select(Interaction.id, Interaction.customer_id, Interaction.occurred_at, Interaction.text)
        .join(latest, and_(col(Interaction.customer_id) == latest.c.customer_id, col(Interaction.occurred_at) == latest.c.at))
        .order_by(col(Interaction.id))
    )
    out = {}
    for note in (await (await session.connection()).execute(stmt)).all():
        out[note.customer_id] = SimpleNamespace(id=note.id, customer_id=note.customer_id, occurred_at=note.occurred_at, text=note.text)  # the highest id at the latest time wins
    return out


async def render(session, task: Task, member: Member, prompt_id: str, now: dt.datetime, late: bool, settings) -> Outgoing:
    customer = await crm.get_customer(session, task.customer_id) if task.customer_id else None
    notes = await crm.recent_interactions(session, customer.id, 1) if customer is not None else []
    return render_with(task, member, customer, notes[0] if notes else None, prompt_id, now, late)


def render_with(task: Task, member: Member, customer: Customer | None, last_note: Interaction | None, prompt_id: str, now: dt.datetime, late: bool) -> Outgoing:
    lang = lang_of(member.language)
    tz = workdays.zone(member.timezone)
    today = workdays.local_today(now, tz)
    name = t("no_customer", lang)
    if customer is not None:
        name = customer.name + (f" · {customer.company}" if customer.company and customer.company != customer.name else "")
    lines = [t("reminder_head", lang, customer=name)]
    lines.append(t("reminder_task", lang, task=fmt.clip(task.text, 80), when=fmt.due(task.due_at, task.due_has_time, tz, lang, today)))
    if customer is not None and last_note is not None:
        lines.append(t("reminder_last", lang, ago=fmt.ago(last_note.occurred_at, now.astimezone(tz), lang), text=fmt.clip(last_note.text, 70)))
    if late:
        lines.append(t("late", lang))
    return Outgoing("\n".join(lines), buttons(prompt_id, lang))


def buttons(prompt_id: str, lang: str) -> list[list[Button]]:
    def b(key: str, choice: str) -> Button:
        return Button(t(key, lang), f"p:{prompt_id}:{choice}")

    return [
        [b("btn_done", "done"), b("btn_snooze", "1h")],
        [b("btn_tomorrow", "tomorrow"), b("btn_next_week", "week"), b("btn_reschedule", "date")],
    ]
