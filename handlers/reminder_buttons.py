"""The buttons under a follow-up reminder: Done, Snooze 1 hour, Tomorrow, Next week, Reschedule.

A new due time makes a new reminder (the outbox key names the occurrence). Reschedule is the follow-up's
edit path: messengers with forms open the follow-up form (handlers/edit_forms.py); elsewhere it asks the
"change_date" question of the quick-note flow (ForceReply in groups), whose typed date moves this
follow-up alone (`move`), like /snooze: not the note's other follow-ups, and no correction of the note's
reading (the note was read right; the plan changed).
"""
from __future__ import annotations

import datetime as dt

from reminders import followups
from reminders.texts import t
from storage import crm, messaging
from storage.models import Prompt, Task

from chat import format as fmt
from . import quick_note
from .context import Context
from chat.messages import Outgoing


async def press_reminder(ctx: Context, prompt: Prompt, note_unused, choice: str) -> list[Outgoing]:
    task = await ctx.session.get(Task, prompt.data.get("task_id"))
    if task is None or task.team_id != ctx.team.id or task.assignee_id != ctx.member.id or task.status != "open":
        messaging.close_prompt(ctx.session, prompt)
        return [Outgoing(t("task_closed", ctx.lang))]
    now = ctx.services.clock()
    if choice == "done":
        messaging.close_prompt(ctx.session, prompt)
        task.status, task.done_at = "done", now
        ctx.session.add(task)
        customer = await crm.get_customer(ctx.session, task.customer_id) if task.customer_id else None
        await crm.audit(ctx.session, "task_done", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=task.customer_id, platform=ctx.msg.platform, detail=f"task {task.id}")
        return [Outgoing(t("task_done", ctx.lang, customer=customer.name if customer else t("no_customer", ctx.lang), task=task.text))]
    if choice in ("1h", "tomorrow", "week"):
        messaging.close_prompt(ctx.session, prompt)
        if choice == "1h":
            # "remind me in an hour": the reminder comes in an hour, so the time is an hour and the lead away
            again = (now + dt.timedelta(hours=1)).replace(microsecond=0)
            task.due_at, task.due_has_time = again + followups.lead(ctx.services.settings), True
            when = fmt.due(again, True, ctx.zone, ctx.lang, ctx.today)
        else:
            day = ctx.today + dt.timedelta(days=1 if choice == "tomorrow" else 7)
            task.due_at, task.due_has_time = quick_note.due_at(day, None, ctx.zone), False
            when = fmt.due(task.due_at, task.due_has_time, ctx.zone, ctx.lang, ctx.today)
        ctx.session.add(task)
        waits = followups.promised_reminder_line(task.due_at, task.due_has_time, ctx.zone, ctx.services.settings, now, ctx.lang)
        return [Outgoing(waits or t("task_snoozed", ctx.lang, when=when))]  # a reminder that waits for working hours says when it comes
    if choice == "date":
        if task.interaction_id is None:
            return [Outgoing(t("no_reschedule", ctx.lang, id=task.id))]
        messaging.close_prompt(ctx.session, prompt)
        asked = await messaging.prompt_add(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "change_date", {"interaction_id": task.interaction_id, "task_id": task.id})
        asked.created_at = now  # the typed answer's window runs on the injected clock
        ctx.session.add(asked)
        return [Outgoing(t("ask_date", ctx.lang), asks_for_text=True)]
    return [Outgoing(t("task_closed", ctx.lang))]


async def move(ctx: Context, task_id: object, date: dt.date | None, time: dt.time | None) -> list[Outgoing]:
    """The typed answer to a reminder's Reschedule (the change_date question, its prompt closed by the
    caller): this follow-up moves, when it is still an open one of the member's."""
    task = await ctx.session.get(Task, task_id) if isinstance(task_id, int) else None
    if task is None or task.team_id != ctx.team.id or task.assignee_id != ctx.member.id or task.status != "open":
        return [Outgoing(t("task_closed", ctx.lang))]
    task.due_at, task.due_has_time = quick_note.due_at(date or ctx.today, time, ctx.zone), time is not None
    ctx.session.add(task)
    when = fmt.due(task.due_at, task.due_has_time, ctx.zone, ctx.lang, ctx.today)
    await crm.audit(ctx.session, "task_snooze", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=task.customer_id, platform=ctx.msg.platform, detail=f"task {task.id} to {(date or ctx.today).isoformat()}")
    customer = await crm.get_customer(ctx.session, task.customer_id) if task.customer_id else None
    said = t("task_moved", ctx.lang, customer=customer.name if customer else t("no_customer", ctx.lang), when=when)
    waits = followups.promised_reminder_line(task.due_at, task.due_has_time, ctx.zone, ctx.services.settings, ctx.services.clock(), ctx.lang)
    return [Outgoing(said + ("\n" + waits if waits else ""))]
