"""A note that reports something pending as done ("张总说样品收到了") closes the customer's matching
open follow-up instead of opening a new one, and clears the risks it says are over.

Which follow-up: the one sharing the most words with the note (English words, Chinese character
pairs; the customer's own names do not count), else the oldest open one due soonest.
"""
from __future__ import annotations

import re

from storage import crm
from storage.models import Customer, Task

from .context import Context

_LATIN = re.compile(r"[a-z][a-z0-9]{2,}")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_STOP = frozenset({"the", "and", "for", "with", "that", "this", "has", "have", "was", "his", "her", "they", "said", "says", "got", "received", "done"})


def words(text: str, drop: tuple[str, ...] = ()) -> set[str]:
    """English words and Chinese character pairs of a text, without the given names."""
    text = text.lower()
    for name in drop:
        if name:
            text = text.replace(name.lower(), " ")
    found = {w for w in _LATIN.findall(text) if w not in _STOP}
    for run in _CJK_RUN.findall(text):
        found |= {run[i : i + 2] for i in range(len(run) - 1)} or {run}
    return found


def best_match(tasks: list[Task], text: str, drop: tuple[str, ...] = ()) -> Task | None:
    if not tasks:
        return None
    said = words(text, drop)
    scored = [(len(said & words(task.text, drop)), task) for task in tasks]
    score, best = max(scored, key=lambda pair: pair[0])  # max keeps the first of equals: due soonest
    if score > 0:
        return best
    return min(tasks, key=lambda task: (task.due_at is None, task.due_at or task.created_at, task.created_at, task.id or 0))


async def close_matching(ctx: Context, customer: Customer, text: str) -> Task | None:
    """Close the customer's open follow-up this note reports done; None when there is none open."""
    tasks = await crm.open_tasks_of_customer(ctx.session, customer.id)
    task = best_match(tasks, text, (customer.name, customer.company or "", *customer.aliases))
    if task is None:
        return None
    task.status = "done"
    task.done_at = ctx.services.clock()
    ctx.session.add(task)
    await crm.audit(ctx.session, "task_done", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=f"task {task.id} closed by a note")
    return task


def clear_risks(customer: Customer, before: list[str], resolved: list[str]) -> list[str]:
    """Risks are kept as those noted at the last contact (``Customer.last_risk``, read by the nags): drop
    the ones the note says are over. Returns those that were open before the note (``before``) and are now gone."""
    if not resolved:
        return []
    customer.last_risk = [r for r in customer.last_risk or [] if r not in resolved]
    return [r for r in before if r in resolved]
