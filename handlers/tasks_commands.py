"""Follow-ups from the chat: /tasks (today and overdue; all | week; a manager's /tasks 小李 or /tasks team),
/done 3 5 7, /snooze N WHEN."""
from __future__ import annotations

import datetime as dt
import re

from sqlmodel import col, select

from reminders import followups, overdue
from storage import crm
from storage.models import Customer, Member, Task

from . import access, paging, quick_note
from chat import format as fmt
from .commands import _is_overdue, _visible_tasks
from .context import Context
from chat.messages import Outgoing
from .texts import t
from .workflow_texts import t as wt

SPANS = {"all": "all", "全部": "all", "所有": "all", "week": "week", "本周": "week", "这周": "week", "today": "today", "今天": "today"}
TEAM_WORDS = {"team", "团队", "全部人", "大家"}


async def cmd_tasks(ctx: Context, args: str) -> list[Outgoing]:
    words = args.split()
    span = "today"
    if words and words[-1].lower() in SPANS:
        span = SPANS[words.pop().lower()]
    who = " ".join(words)
    if who:
        people = await _people(ctx, who)
        if people is None:
            return [Outgoing(wt("tasks_unknown_member", ctx.lang, name=fmt.clip(who, 30)))]
        span = span if span != "today" or args.split()[-1].lower() in SPANS else "all"
    else:
        people = [ctx.member]
    stmt = select(Task).where(col(Task.assignee_id).in_([p.id for p in people]), Task.status == "open").order_by(col(Task.due_at).is_(None), col(Task.due_at), col(Task.id))
    tasks = await _visible_tasks(ctx, list((await ctx.session.exec(stmt)).all()))
    now = ctx.services.clock()
    today = now.astimezone(ctx.zone).date()
    shown = [task for task in tasks if _in_span(task, span, now, ctx.zone, today)]
    if not shown:
        return [Outgoing(t("tasks_none", ctx.lang) if span == "all" or not tasks else wt("tasks_none_today", ctx.lang, n=len(tasks)))]
    if who:
        header = wt("tasks_header_of", ctx.lang, who=", ".join(p.display_name for p in people) if len(people) <= 3 else who, n=len(shown))
    else:
        header = {"all": t("tasks_header", ctx.lang, n=len(shown)), "week": wt("tasks_header_week", ctx.lang, n=len(shown)), "today": wt("tasks_header_today", ctx.lang, n=len(shown))}[span]
    later = len(tasks) - len(shown)
    foot = wt("tasks_more", ctx.lang, n=later) if span != "all" and later > 0 else ""
    return [await paging.first_page(ctx, "tasks", header, [task.id for task in shown], extra={"reps": len(people) > 1}, foot=foot)]


async def task_lines(ctx: Context, ids: list[int], extra: dict) -> list[str]:
    """One line per follow-up, in the order of ids, for those still on customers the member may see:
    number, overdue flag, when, customer (and whose, when the list is several people's), the task; one
    closed since the list was made says so."""
    if not ids:
        return []
    found = await _visible_tasks(ctx, list((await ctx.session.exec(select(Task).where(col(Task.id).in_(ids)))).all()))
    by_id = {task.id: task for task in found if task.team_id == ctx.team.id}
    customer_ids = {task.customer_id for task in by_id.values() if task.customer_id}
    customers = {c.id: c for c in (await ctx.session.exec(select(Customer).where(col(Customer.id).in_(customer_ids)))).all()} if customer_ids else {}
    names = {}
    if extra.get("reps"):
        assignees = {task.assignee_id for task in by_id.values()}
        names = {m.id: m.display_name for m in (await ctx.session.exec(select(Member).where(col(Member.id).in_(assignees)))).all()}
    now = ctx.services.clock()
    today = now.astimezone(ctx.zone).date()
    lines = []
    for task_id in ids:
        task = by_id.get(task_id)
        if task is None:
            continue
        customer = customers.get(task.customer_id)
        when = fmt.due(task.due_at, task.due_has_time, ctx.zone, ctx.lang, today)
        if task.status != "open":
            flag = "✓ "
        else:
            flag = f"⚠️ {t('overdue', ctx.lang)} " if task.due_at is not None and _is_overdue(task, now, ctx.zone) else ""
        name = customer.name if customer else t("no_customer", ctx.lang)
        rep = f" ({names[task.assignee_id]})" if task.assignee_id in names else ""
        lines.append(f"#{task.id} {flag}{when} · {name}{rep}: {fmt.clip(task.text, 40)}")
    return lines


async def overdue_lines(ctx: Context, ids: list[int]) -> list[str]:
    """The morning overdue list's later pages, drawn as its first (reminders/overdue.py)."""
    if not ids:
        return []
    found = await _visible_tasks(ctx, list((await ctx.session.exec(select(Task).where(col(Task.id).in_(ids)))).all()))
    by_id = {task.id: task for task in found if task.team_id == ctx.team.id}
    customer_ids = {task.customer_id for task in by_id.values() if task.customer_id}
    customers = {c.id: c for c in (await ctx.session.exec(select(Customer).where(col(Customer.id).in_(customer_ids)))).all()} if customer_ids else {}
    return [overdue.line(by_id[i], customers.get(by_id[i].customer_id), ctx.zone, ctx.lang, ctx.today, closed=by_id[i].status != "open") for i in ids if i in by_id]


def _in_span(task: Task, span: str, now: dt.datetime, zone, today: dt.date) -> bool:
    if span == "all":
        return True
    if task.due_at is None:
        return True  # an undated to-do is due now
    day = task.due_at.astimezone(zone).date()
    last = today if span == "today" else today + dt.timedelta(days=6 - today.weekday())
    return day <= last


async def _people(ctx: Context, who: str) -> list[Member] | None:
    """The colleagues whose tasks ``who`` names, if the member oversees them (a manager their reps, an admin everyone)."""
    if ctx.member.role not in ("manager", "admin"):
        return [ctx.member] if who.lstrip("@").lower() == ctx.member.display_name.lower() else None
    if ctx.member.role == "admin":
        team = await crm.team_members(ctx.session, ctx.team.id)
    else:
        overseen = await access.reports_of(ctx.session, ctx.member)
        team = [m for m in await crm.team_members(ctx.session, ctx.team.id) if m.id in overseen]
    if who.lower() in TEAM_WORDS:
        return team
    named = [m for m in team if m.display_name.lower() == who.lstrip("@").lower()]
    return named or None


async def cmd_done(ctx: Context, args: str) -> list[Outgoing]:
    numbers = [n.lstrip("#") for n in re.split(r"[\s,，、]+", args.strip()) if n]
    if not numbers or not all(re.fullmatch(r"[0-9]+", n) for n in numbers):  # ASCII digits only: str.isdigit() also takes '²'
        return [Outgoing(t("done_usage", ctx.lang))]
    done, missing = [], []
    for number in dict.fromkeys(numbers):
        task = await ctx.session.get(Task, int(number)) if len(number) <= 18 else None  # no id is that long (nor fits a BIGINT)
        if task is None or task.assignee_id != ctx.member.id or task.status != "open" or not await _visible_tasks(ctx, [task]):
            missing.append(number)
            continue
        task.status, task.done_at = "done", ctx.services.clock()
        ctx.session.add(task)
        customer = await crm.get_customer(ctx.session, task.customer_id) if task.customer_id else None
        await crm.audit(ctx.session, "task_done", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=task.customer_id, platform=ctx.msg.platform, detail=f"task {task.id}")
        done.append((task, customer))
    lines = []
    if len(done) == 1:
        task, customer = done[0]
        lines.append(t("done_ok", ctx.lang, customer=customer.name if customer else t("no_customer", ctx.lang), task=task.text))
    elif done:
        lines.append(wt("done_many", ctx.lang, items="; ".join(f"#{task.id} {customer.name if customer else ''}".strip() for task, customer in done)))
    if missing:
        lines.append(t("done_unknown", ctx.lang, n=missing[0]) if not done and len(missing) == 1 else wt("done_missing", ctx.lang, ids=", #".join(missing)))
    return [Outgoing("\n".join(lines))]


async def cmd_snooze(ctx: Context, args: str) -> list[Outgoing]:
    from .understanding.when import resolve_when

    number, _, when = args.strip().lstrip("#").partition(" ")
    if not re.fullmatch(r"[0-9]{1,18}", number) or not when.strip():
        return [Outgoing(wt("snooze_usage", ctx.lang))]
    task = await ctx.session.get(Task, int(number))
    if task is None or task.assignee_id != ctx.member.id or task.status != "open" or not await _visible_tasks(ctx, [task]):
        return [Outgoing(t("done_unknown", ctx.lang, n=number))]
    found = resolve_when(when.strip(), ctx.now)
    if found is None or found.date is None:
        return [Outgoing(t("date_not_understood", ctx.lang))]
    task.due_at = quick_note.due_at(found.date, found.time, ctx.zone)
    task.due_has_time = found.time is not None
    ctx.session.add(task)
    await crm.audit(ctx.session, "task_snooze", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=task.customer_id, platform=ctx.msg.platform, detail=f"task {task.id} to {found.date.isoformat()}")
    said = wt("snooze_ok", ctx.lang, id=task.id, when=fmt.due(task.due_at, task.due_has_time, ctx.zone, ctx.lang, ctx.today))
    waits = followups.promised_reminder_line(task.due_at, task.due_has_time, ctx.zone, ctx.services.settings, ctx.services.clock(), ctx.lang)
    return [Outgoing(said + ("\n" + waits if waits else ""))]
