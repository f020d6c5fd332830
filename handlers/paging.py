"""Paged replies: a list longer than a page (reminders/pages.PAGE_SIZE) shows its first page and a
"More" button; a press shows the next page of the ids the list was made of, in place of the pressed
message where the messenger can edit one (handlers/in_place.py, applied by prompts.press). A reply that
shows only the start of a list (a customer card's first follow-ups) offers the whole list from its first
page (`customer_tasks_button`, offset 0).

Each list names how its items are drawn (draw): the items are read again when a page is shown, through
the access check, so a page says what is true now about the items the list had when it was made.
"""
from __future__ import annotations

from chat.messages import Button, Outgoing
from reminders import pages
from storage import crm, messaging
from storage.models import Customer, Prompt

from . import customer_lookup
from .context import Context
from .texts import t


async def first_page(ctx: Context, list_name: str, head: str, ids: list[int], *, extra: dict | None = None, foot: str = "") -> Outgoing:
    """The reply for a whole list: its first page, and a "More" button when there is more."""
    data = pages.prompt_data(list_name, head, ids, extra) | ({"foot": foot} if foot else {})
    prompt_id = None
    if len(ids) > pages.PAGE_SIZE:
        prompt_id = await messaging.prompt_add_id(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, pages.KIND, data, now=ctx.services.clock())
    return await _page(ctx, data, 0, prompt_id)


CARD_TASKS = 5  # follow-ups a customer card shows itself


async def customer_tasks_button(ctx: Context, customer: Customer) -> list[list[Button]]:
    """Under a customer card with more open follow-ups than it shows: a button opening all of them,
    paged (each one's owner named: a customer's follow-ups may be several people's). [] otherwise."""
    ids = [task.id for task in await crm.open_tasks_of_customer(ctx.session, customer.id) if task.id is not None]
    if len(ids) <= CARD_TASKS:
        return []
    data = pages.prompt_data("tasks", pages.tasks_head(customer.name, len(ids), ctx.lang), ids, {"reps": True})
    prompt_id = await messaging.prompt_add_id(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, pages.KIND, data, now=ctx.services.clock())
    return [[Button(pages.all_tasks_label(len(ids), ctx.lang), f"p:{prompt_id}:0")]]


async def press(ctx: Context, prompt: Prompt, note_unused, choice: str) -> list[Outgoing]:
    """A "More" button: the page at the offset its payload names. The prompt stays open (an older page's
    button shows its own next page again)."""
    ids = prompt.data.get("ids") or []
    if not choice.isdigit() or not 0 <= int(choice) < len(ids) or int(choice) % pages.PAGE_SIZE:
        return [Outgoing(t("prompt_closed", ctx.lang))]
    return [await _page(ctx, prompt.data, int(choice), prompt.id)]


async def _page(ctx: Context, data: dict, offset: int, prompt_id: str | None) -> Outgoing:
    ids = data["ids"]
    chunk = ids[offset : offset + pages.PAGE_SIZE]
    lines = [data["head"], *await draw(ctx, data["list"], chunk, data.get("extra") or {})]
    buttons = []
    if len(ids) > pages.PAGE_SIZE:
        lines.append(pages.range_line(offset, len(chunk), len(ids), ctx.lang))
    after = offset + len(chunk)
    if after < len(ids) and prompt_id is not None:
        buttons = [[pages.more_button(prompt_id, after, len(ids) - after, ctx.lang)]]
    elif data.get("total", len(ids)) > len(ids):
        lines.append(f"… +{data['total'] - len(ids)}")  # a list longer than any sane paging: narrow it down
    if data.get("foot"):
        lines.append(data["foot"])
    return Outgoing("\n".join(lines), buttons)


async def draw(ctx: Context, list_name: str, ids: list[int], extra: dict) -> list[str]:
    """The lines of a page's items, by the list's name."""
    from . import tasks_commands  # it imports this module (its /tasks is paged): looked up when drawn

    if list_name == "customers":
        return await customer_lookup.customer_lines(ctx, ids)
    if list_name == "tasks":
        return await tasks_commands.task_lines(ctx, ids, extra)
    if list_name == "overdue":
        return await tasks_commands.overdue_lines(ctx, ids)
    return []
