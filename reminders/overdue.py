"""The morning "overdue" list: one message per member listing their open follow-ups whose
reminder moment fell on an earlier day. Sent once per member per working day, at the start of
it; dropped at the end of the day (tomorrow's list replaces it). A list longer than a page shows
its first page and a "More" button (reminders/pages.py; the press is answered by handlers/paging.py)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlmodel import col, select

from chat import format as fmt
from chat.messages import Outgoing
from storage import messaging
from storage.models import Customer, Member, Prompt, Task

from . import pages, push, workdays
from .destinations import member_destinations
from .followups import certain_before, working_moment
from .texts import lang_of, t

MAX_LINES = pages.PAGE_SIZE  # one page; the rest behind a "More" button


def key(member_id: int, day: dt.date) -> str:
    return f"overdue:member:{member_id}:{day.isoformat()}"


def overdue_tasks_by_member(rows, now: dt.datetime, settings) -> dict[int, list]:
    """rows: (task, member, customer-or-None); keeps those whose working moment was before today."""
    out: dict[int, list] = {}
    for task, member, customer in rows:
        tz = workdays.zone(member.timezone)
        if working_moment(task, tz, settings).astimezone(tz).date() < workdays.local_today(now, tz):
            out.setdefault(member.id, []).append((task, customer))
    return out


async def open_overdue_rows(session, now: dt.datetime, team_id: int | None = None, member_ids=None):
    """(task, member, customer-or-None) for open tasks due before now, as light rows: the few columns
    the lists and digests read (task id/text/due_at/due_has_time, member id/timezone, customer name)."""
    stmt = (
        select(Task.id, Task.text, Task.due_at, Task.due_has_time, Member.id.label("member_id"), Member.timezone, Customer.name)
        .join(Member, col(Member.id) == col(Task.assignee_id))
        .join(Customer, col(Customer.id) == col(Task.customer_id), isouter=True)
        .where(Task.status == "open", col(Task.due_at) < now, Member.active == True)  # noqa: E712
        .order_by(col(Task.due_at), col(Task.id))
    )
    if team_id is not None:
        stmt = stmt.where(Task.team_id == team_id)
    if member_ids is not None:
        stmt = stmt.where(col(Task.assignee_id).in_(list(member_ids)))
    rows = (await (await session.connection()).execute(stmt)).all()
    members: dict[int, SimpleNamespace] = {}
    out = []
    for r in rows:
        member = members.get(r.member_id) or members.setdefault(r.member_id, SimpleNamespace(id=r.member_id, timezone=r.timezone))
        task = SimpleNamespace(id=r.id, text=r.text, due_at=r.due_at, due_has_time=r.due_has_time)
        out.append((task, member, SimpleNamespace(name=r.name) if r.name is not None else None))
    return out


def bulk_statement(member_ids: list[int], bound: dt.datetime):
    """The members' open follow-ups due before bound, as (assignee, id) in list order."""
    return (
        select(Task.assignee_id, Task.id)
        .where(col(Task.assignee_id).in_(member_ids), Task.status == "open", col(Task.due_at) < bound)
        .order_by(col(Task.assignee_id), col(Task.due_at), col(Task.id))
    )


async def overdue_ids_by_member(session, now: dt.datetime, settings, members: dict[int, object]) -> dict[int, list[int]]:
    """Each member's overdue follow-ups (working moment before their today), as task ids in (due_at, id)
    order: the bulk, due before certain_before(), read as bare ids by one query on the open tasks' partial
    index; the few due since, checked one by one with the working-time rules (overdue_tasks_by_member)."""
    if not members:
        return {}
    zones = {mid: workdays.zone(m.timezone) for mid, m in members.items()}
    bound = certain_before(now, set(zones.values()), settings)
    ids = list(members)
    conn = await session.connection()
    out: dict[int, list[int]] = {}
    for assignee, task_id in (await conn.execute(bulk_statement(ids, bound))).all():
        out.setdefault(assignee, []).append(task_id)
    recent = (
        select(Task.id, Task.assignee_id, Task.due_at, Task.due_has_time)
        .where(col(Task.assignee_id).in_(ids), Task.status == "open", col(Task.due_at) >= bound, col(Task.due_at) < now)
        .order_by(col(Task.due_at), col(Task.id))
    )
    for r in (await conn.execute(recent)).all():
        tz = zones[r.assignee_id]
        if working_moment(r, tz, settings).astimezone(tz).date() < workdays.local_today(now, tz):
            out.setdefault(r.assignee_id, []).append(r.id)
    return out


async def task_lines(session, task_ids: list[int]) -> dict[int, tuple]:
    """id → (task, customer-or-None) as light rows, for the lines a list shows."""
    if not task_ids:
        return {}
    stmt = (
        select(Task.id, Task.text, Task.due_at, Task.due_has_time, Customer.name)
        .join(Customer, col(Customer.id) == col(Task.customer_id), isouter=True)
        .where(col(Task.id).in_(task_ids))
    )
    out = {}
    for r in (await (await session.connection()).execute(stmt)).all():
        task = SimpleNamespace(id=r.id, text=r.text, due_at=r.due_at, due_has_time=r.due_has_time)
        out[r.id] = (task, SimpleNamespace(name=r.name) if r.name is not None else None)
    return out


async def scan(app, now: dt.datetime, memo=None) -> int:
    """Set-based: the members at work whose list is not queued yet, their overdue task ids (one query for
    the bulk), the shown lines' rows (one query), one push per member."""
    settings = app.settings
    async with app.db.read() as session:
        members, at_work = await workdays.active_members_at_work(session, now, settings, memo, "overdue")
        due = {mid: today for mid, (_, _, today) in at_work.items()}
        if not due:
            return 0
        done = await push.existing_keys(session, [key(mid, day) for mid, day in due.items()])
        due = {mid: day for mid, day in due.items() if key(mid, day) not in done}
        ids_by_member = await overdue_ids_by_member(session, now, settings, {mid: at_work[mid][0] for mid in due}) if due else {}
        shown = await task_lines(session, [i for ids in ids_by_member.values() for i in ids[:MAX_LINES]])
    queued = 0
    if ids_by_member:
        async with app.db.write() as session:
            dests = await member_destinations(session, ids_by_member)
            prompts, batch = [], []
            for member in members:
                ids = ids_by_member.get(member.id)
                dest = dests.get(member.id)
                if not ids or dest is None:
                    continue
                tz = workdays.zone(member.timezone)
                today = due[member.id]
                late = push.is_late(now, workdays.workday_start(today, tz, settings))
                items = [shown[i] for i in ids[:MAX_LINES] if i in shown]
                message = Outgoing(render(items, member, today, tz, late, total=len(ids)))
                if len(ids) > MAX_LINES:  # the rest a press away, in place
                    lang = lang_of(member.language)
                    prompt_id = messaging.new_prompt_id()
                    data = pages.prompt_data("overdue", t("overdue_head", lang, n=len(ids)), ids)
                    prompts.append(dict(id=prompt_id, member_id=member.id, platform=dest.platform, chat_id=dest.chat_id, kind=pages.KIND, data=data, status="open", created_at=now))
                    message.buttons = [[pages.more_button(prompt_id, MAX_LINES, len(ids) - MAX_LINES, lang)]]
                meta = {"expires_at": workdays.end_of_day(today, tz).isoformat()}
                batch.append(push.Push(key=key(member.id, today), kind="overdue", dest=dest, message=message, due_at=now, member_id=member.id, late=late, meta=meta))
            if prompts:
                await (await session.connection()).execute(Prompt.__table__.insert(), prompts)
            queued = len(await push.queue_many(session, batch))
    if memo is not None:
        for mid, day in due.items():
            memo.done("overdue", mid, day)
    return queued


def render(items, member: Member, today: dt.date, tz, late: bool, total: int | None = None) -> str:
    """items: the list's (task, customer) pairs, or its first MAX_LINES with total: how many it has."""
    lang = lang_of(member.language)
    total = len(items) if total is None else total
    lines = [t("overdue_head", lang, n=total)]
    for task, customer in items[:MAX_LINES]:
        lines.append(line(task, customer, tz, lang, today))
    if total > MAX_LINES:
        lines.append(pages.range_line(0, MAX_LINES, total, lang))
    lines.append(t("see_tasks", lang))
    if late:
        lines.append(t("late", lang))
    return "\n".join(lines)


def line(task, customer, tz, lang: str, today: dt.date, closed: bool = False) -> str:
    """One overdue follow-up: customer, task, when it was due (✓ when closed since the list was made)."""
    name = customer.name if customer else t("no_customer", lang)
    text = t("overdue_line", lang, customer=name, task=fmt.clip(task.text, 40), when=fmt.due(task.due_at, task.due_has_time, tz, lang, today))
    return "✓ " + text.removeprefix("• ") if closed else text
