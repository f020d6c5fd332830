"""The App Home tab in Block Kit: a member's follow-ups due today and overdue, each with Done and
Snooze (to tomorrow) buttons, and their recent customers. Published with views.publish when the tab
is opened and again after anything the member does changes it (a note, a follow-up done or moved).
A long list is paged: More publishes the next page of the tab, First the first (a view only: nothing
is stored nor answered for those presses)."""
from __future__ import annotations

from handlers.edit_forms import text as form_text
from handlers.home import Home, text
from reminders import pages

from .forms import edit_button

ACTION_PREFIX = "crm_home:"  # action_id crm_home:done:<task> / crm_home:snooze:<task>
PAGE_ACTION_PREFIX = "crm_homepage:"  # action_id crm_homepage:more / crm_homepage:first, value: the page's offset


def view(home: Home) -> dict:
    lang = home.lang
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": text("title", lang)}}]
    if not home.tasks:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text("none", lang)}})
    for task in home.tasks:
        flag = f"⚠️ {text('overdue', lang)} · " if task.overdue else ""
        blocks.append({"type": "section", "block_id": f"task-{task.id}", "text": {"type": "mrkdwn", "text": f"#{task.id} {flag}{_escape(task.line)}"}})
        blocks.append({"type": "actions", "block_id": f"task-{task.id}-do", "elements": [
            {"type": "button", "action_id": f"{ACTION_PREFIX}done:{task.id}", "value": f"done:{task.id}", "style": "primary", "text": {"type": "plain_text", "text": text("done", lang)}},
            {"type": "button", "action_id": f"{ACTION_PREFIX}snooze:{task.id}", "value": f"snooze:{task.id}", "text": {"type": "plain_text", "text": text("snooze", lang)}},
            edit_button(form_text("edit", lang), f"task:{task.id}"),  # the follow-up form: a date picker
        ]})
    if home.range_line():  # paged: where this page is, More for the next, First back to the start
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": home.range_line()}]})
        paging = []
        if home.next_offset is not None:
            paging.append({"type": "button", "action_id": f"{PAGE_ACTION_PREFIX}more", "value": str(home.next_offset), "text": {"type": "plain_text", "text": pages.more_label(home.more, lang)}})
        if home.offset:
            paging.append({"type": "button", "action_id": f"{PAGE_ACTION_PREFIX}first", "value": "0", "text": {"type": "plain_text", "text": text("first", lang)}})
        blocks.append({"type": "actions", "block_id": "paging", "elements": paging})
    blocks.append({"type": "divider"})
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{text('recent', lang)}*\n" + (" · ".join(_escape(n) for n in home.customers) or text("no_recent", lang))}})
    return {"type": "home", "blocks": blocks[:100]}


def page_of(value: object) -> int:
    """The offset a More / First button of the tab names (0 for anything odd: the first page)."""
    text_value = str(value or "")
    return min(int(text_value), 100_000) if text_value.isdigit() and len(text_value) <= 6 else 0


def command_of(value: str) -> str | None:
    """A Home button as the command it stands for; None for anything else."""
    verb, _, task = value.partition(":")
    if not task.isdigit():
        return None
    return {"done": f"/done {task}", "snooze": f"/snooze {task} tomorrow"}.get(verb)


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
