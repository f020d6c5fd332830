"""Follow-up reminders: at the task's local due time (a date alone: the start of the assignee's
working day), a DM with the customer, the task, the last note and buttons.

A reminder is queued once its moment has come, with the outbox row due at the next working
moment (quiet hours and days off wait for the morning). A reminder whose working moment fell on
an earlier day than today is not sent: that day's morning overdue list carries it instead.
"""
from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from handlers import format as fmt
from handlers.messages import Button, Outgoing
from storage import crm, messaging
from storage.models import Member, Task

from . import push, workdays
from .destinations import member_destinations
from .texts import lang_of, t

LOOKBACK = dt.timedelta(days=21)  # longer than any run of days off (春节 + weekend)


def remind_at(task: Task, tz, settings) -> dt.datetime:
    if task.due_has_time:
        return task.due_at
    return workdays.workday_start(task.due_at.astimezone(tz).date(), tz, settings)


def working_moment(task: Task, tz, settings) -> dt.datetime:
    return workdays.next_working_moment(remind_at(task, tz, settings), tz, settings, settings.holiday_country)


def reminder_key(task: Task) -> str:
    return f"reminder:task:{task.id}:{task.due_at.astimezone(dt.timezone.utc).isoformat()}"


async def scan(app, now: dt.datetime, memo=None) -> int:
    settings = app.settings
    async with app.db.read() as session:
        stmt = (
            select(Task, Member)
            .join(Member, col(Member.id) == col(Task.assignee_id))
            .where(Task.status == "open", col(Task.due_at) <= now, col(Task.due_at) > now - LOOKBACK, Member.active == True)  # noqa: E712
            .order_by(col(Task.due_at), col(Task.id))
        )
        candidates = []
        for task, member in (await session.exec(stmt)).all():
            tz = workdays.zone(member.timezone)
            meant = remind_at(task, tz, settings)
            if meant > now:
                continue
            moment = working_moment(task, tz, settings)
            if moment.astimezone(tz).date() < workdays.local_today(now, tz):
                continue  # the overdue list has it
            candidates.append((task, member, moment))
        done = await push.existing_keys(session, [reminder_key(task) for task, _, _ in candidates])
    todo = [c for c in candidates if reminder_key(c[0]) not in done]
    if not todo:
        return 0
    queued = 0
    async with app.db.write() as session:
        dests = await member_destinations(session, [m.id for _, m, _ in todo])
        for task, member, moment in todo:
            dest = dests.get(member.id)
            if dest is None or await push.exists(session, reminder_key(task)):
                continue
            prompt = await messaging.prompt_add(session, member.id, dest.platform, dest.chat_id, "reminder", {"task_id": task.id})
            late = push.is_late(now, moment)
            message = await render(session, task, member, prompt.id, now, late, settings)
            meta = {"task_id": task.id, "occurrence": task.due_at.astimezone(dt.timezone.utc).isoformat()}
            if await push.queue(session, key=reminder_key(task), kind="reminder", dest=dest, message=message, due_at=moment, member_id=member.id, late=late, meta=meta):
                queued += 1
    return queued


async def render(session, task: Task, member: Member, prompt_id: str, now: dt.datetime, late: bool, settings) -> Outgoing:
    lang = lang_of(member.language)
    tz = workdays.zone(member.timezone)
    today = workdays.local_today(now, tz)
    customer = await crm.get_customer(session, task.customer_id) if task.customer_id else None
    name = t("no_customer", lang)
    if customer is not None:
        name = customer.name + (f" · {customer.company}" if customer.company and customer.company != customer.name else "")
    lines = [t("reminder_head", lang, customer=name)]
    lines.append(t("reminder_task", lang, task=fmt.clip(task.text, 80), when=fmt.due(task.due_at, task.due_has_time, tz, lang, today)))
    if customer is not None:
        notes = await crm.recent_interactions(session, customer.id, 1)
        if notes:
            lines.append(t("reminder_last", lang, ago=fmt.ago(notes[0].occurred_at, now.astimezone(tz), lang), text=fmt.clip(notes[0].text, 70)))
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
