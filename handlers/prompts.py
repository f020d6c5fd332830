"""Answers to the bot's questions: button presses (opaque payloads) and short typed replies."""
from __future__ import annotations

import datetime as dt

from reminders import followups
from storage import crm, messaging
from storage.models import Interaction, Prompt

from . import access, chatter, checks, choose, corrections, customer_new, instructions, intents, merge, paging, quick_note, reminder_buttons, review_buttons, team_commands
from chat import format as fmt
from .context import Context
from .customer_index import record_of
from .in_place import answer_in_place
from chat.messages import Button, Outgoing
from .texts import t
from .workflow_texts import t as wt

TEXT_ANSWER_WINDOW = dt.timedelta(minutes=30)
BUTTON_TTL = dt.timedelta(days=7)  # a question's buttons expire (reminders' own buttons excepted)
NOTELESS_KINDS = ("reminder", "forget", "instruction", "choose", "new_similar", "merge", "review", "page")  # questions about something other than a quick note
NAME_MAX_CHARS = 40
CANCEL_WORDS = {"算了", "取消", "不用了", "不要了", "没事", "cancel", "never mind", "nevermind", "forget it", "stop", "nothing"}


async def press(ctx: Context, payload: str) -> list[Outgoing]:
    parts = payload.split(":")
    if len(parts) != 3 or parts[0] != "p":
        return [Outgoing(t("prompt_closed", ctx.lang))]
    prompt = await messaging.prompt_get(ctx.session, parts[1])
    if prompt is None or prompt.status != "open":
        return [Outgoing(t("prompt_closed", ctx.lang))]
    if prompt.member_id != ctx.member.id:
        return [Outgoing(t("prompt_not_yours", ctx.lang))]
    if prompt.kind != "reminder" and ctx.services.clock() - prompt.created_at > BUTTON_TTL:
        prompt.status = "expired"
        ctx.session.add(prompt)
        return [Outgoing(wt("prompt_expired", ctx.lang))]
    if parts[2] == "cancel" and prompt.kind in ("change_date", "name_customer", "create_customer", "pick_customer", "choose", "new_similar", "merge"):
        messaging.close_prompt(ctx.session, prompt)
        return answer_in_place(ctx.msg, [Outgoing(wt(_CANCELLED.get(prompt.kind, "prompt_cancelled"), ctx.lang))])
    noteless = prompt.kind in NOTELESS_KINDS
    note = None if noteless else await _note_of(ctx, prompt)
    if note is None and not noteless:
        messaging.close_prompt(ctx.session, prompt)
        return [Outgoing(t("prompt_closed", ctx.lang))]
    choice = parts[2]
    handler = {
        "pick_customer": _pick,
        "create_customer": _create,
        "name_customer": _name_buttons,
        "filed": _filed,
        "check": checks.press,
        "instruction": instructions.press,
        "reminder": reminder_buttons.press_reminder,
        "forget": team_commands.press_forget,
        "choose": choose.press,
        "new_similar": customer_new.press,
        "merge": merge.press,
        "review": review_buttons.press,
        "page": paging.press,
    }.get(prompt.kind)
    if handler is None:
        return [Outgoing(t("prompt_closed", ctx.lang))]
    return answer_in_place(ctx.msg, await handler(ctx, prompt, note, choice))


async def answer_with_text(ctx: Context, text: str) -> list[Outgoing] | None:
    """A typed reply to an open question, or None when the text is a new note.

    A question only takes what answers it: "算了"/"cancel" closes it; a message that reads as a note
    (it names a customer, a channel, or is long) drops the question with one short line and is filed.
    """
    since = ctx.services.clock() - TEXT_ANSWER_WINDOW
    prompt = await messaging.prompt_open_in_chat(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, since)
    if is_cancel(text):
        return await _cancel(ctx, prompt, since)
    if prompt is None or prompt.kind not in ("name_customer", "change_date", "create_customer"):
        return None
    if intents.read(text) is not None:
        return None  # a question or an instruction meanwhile is answered as such; the question stays open
    note = await _note_of(ctx, prompt)
    if note is None:
        return None
    if prompt.kind == "create_customer":  # answered by its buttons only: anything typed but small talk is a note of its own
        return None if chatter.answer(ctx, text) else await _drop_and_file(ctx, prompt, text, "prompt_dropped_name")
    parser = await ctx.services.indexes.parser(ctx.team.id, ctx.session)
    parsed = parser.parse(text, ctx.now)
    if prompt.kind == "change_date":
        if _reads_as_note(parsed, text, date_answer=True):
            return await _drop_and_file(ctx, prompt, text, "prompt_dropped")
        return await _change_date(ctx, prompt, note, text)
    if len(text) > NAME_MAX_CHARS or "\n" in text or parsed.follow_ups or parsed.channel != "other" or len(text.split()) > 4:
        return await _drop_and_file(ctx, prompt, text, "prompt_dropped_name")  # reads like a new note ("called Wang, quote Friday"), not a name
    if parsed.customer is not None and not parsed.ambiguous:
        customer = await crm.get_customer(ctx.session, parsed.customer.id)
        if customer is not None and await access.can_see(ctx.session, ctx.member, customer):
            messaging.close_prompt(ctx.session, prompt)
            return await _attach(ctx, prompt, note, customer)
    messaging.close_prompt(ctx.session, prompt)
    return await _offer_create(ctx, note, text.strip(), prompt.data)


_CANCELLED = {"change_date": "prompt_cancelled_date", "name_customer": "prompt_cancelled_name", "create_customer": "prompt_cancelled_name", "pick_customer": "prompt_cancelled_name"}


def is_cancel(text: str) -> bool:
    return text.strip().strip("。.!！~～ ").lower() in CANCEL_WORDS


async def _cancel(ctx: Context, prompt: Prompt | None, since: dt.datetime) -> list[Outgoing]:
    """Close the question waiting in this chat (a typed one, else the latest one with buttons); nothing else changes."""
    if prompt is None:
        prompt = await messaging.prompt_latest_in_chat(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, since, ("create_customer", "pick_customer", "choose", "new_similar", "merge", "instruction"))
    if prompt is None:
        return [Outgoing(wt("nothing_to_cancel", ctx.lang))]
    messaging.close_prompt(ctx.session, prompt)
    return [Outgoing(wt(_CANCELLED.get(prompt.kind, "prompt_cancelled"), ctx.lang))]


def _reads_as_note(parsed, text: str, *, date_answer: bool) -> bool:
    """A note rather than an answer: it names a customer (or someone new), a channel, or says more than a date."""
    if parsed.customer is not None or parsed.candidates or parsed.is_new or parsed.channel != "other":
        return True
    return len(text) > NAME_MAX_CHARS or "\n" in text


async def _drop_and_file(ctx: Context, prompt: Prompt, text: str, line: str) -> list[Outgoing]:
    prompt.status = "expired"
    ctx.session.add(prompt)
    replies = await quick_note.file_note(ctx, text)
    if replies:
        replies[0] = Outgoing(replies[0].text + "\n" + wt(line, ctx.lang), replies[0].buttons, replies[0].image_path, replies[0].file_path)
    return replies


async def _note_of(ctx: Context, prompt: Prompt) -> Interaction | None:
    note = await ctx.session.get(Interaction, prompt.data.get("interaction_id"))
    if note is None or note.team_id != ctx.team.id:
        return None
    return note


async def _pick(ctx: Context, prompt: Prompt, note: Interaction, choice: str) -> list[Outgoing]:
    if choice == "new":  # none of the candidates: the name typed next corrects the parser
        messaging.close_prompt(ctx.session, prompt)
        return await ask_name(ctx, note, {**prompt.data, "fix": True})
    if choice.startswith("c") and choice[1:].isdigit() and len(choice) <= 10:
        customer = await crm.get_customer(ctx.session, int(choice[1:]))
        if customer is not None and not await access.can_see(ctx.session, ctx.member, customer):
            await access.record_denied(ctx.session, ctx.member, customer.id, ctx.msg.platform, "by button")
        elif customer is not None and customer.id in prompt.data.get("candidates", []):
            messaging.close_prompt(ctx.session, prompt)
            return await _attach(ctx, prompt, note, customer)
    return [Outgoing(t("prompt_closed", ctx.lang))]


async def _create(ctx: Context, prompt: Prompt, note: Interaction, choice: str) -> list[Outgoing]:
    if choice == "other":
        messaging.close_prompt(ctx.session, prompt)
        return await ask_name(ctx, note, {**prompt.data, "fix": True})  # not a new customer after all
    if choice != "create":
        return [Outgoing(t("prompt_closed", ctx.lang))]
    messaging.close_prompt(ctx.session, prompt)
    name = prompt.data["name"]
    customer = await crm.add_customer(ctx.session, quick_note.new_customer(ctx, name))
    await crm.audit(ctx.session, "create_customer", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=name)
    ctx.services.indexes.upsert(ctx.team.id, record_of(customer), ctx.session)
    return await _attach(ctx, prompt, note, customer)


async def _attach(ctx: Context, prompt: Prompt, note: Interaction, customer) -> list[Outgoing]:
    """File the note on the customer the user chose; a fix of the parser's customer is learnt from."""
    data = prompt.data
    return await quick_note.attach(ctx, note, customer, data.get("birthdays"), fix=bool(data.get("fix")), ask=data.get("ask") or (), parsed=data.get("reading"))


async def _name_buttons(ctx: Context, prompt: Prompt, note: Interaction, choice: str) -> list[Outgoing]:
    if choice == "skip":
        messaging.close_prompt(ctx.session, prompt)
        return [Outgoing(t("skipped", ctx.lang))]
    return [Outgoing(t("prompt_closed", ctx.lang))]


async def _filed(ctx: Context, prompt: Prompt, note: Interaction, choice: str) -> list[Outgoing]:
    if choice == "undo":
        messaging.close_prompt(ctx.session, prompt)
        return await quick_note.undo(ctx, note)
    if choice == "wrong":
        messaging.close_prompt(ctx.session, prompt)
        return await ask_name(ctx, note, {**prompt.data, "fix": True})
    if choice == "date":
        messaging.close_prompt(ctx.session, prompt)
        asked = await messaging.prompt_add(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "change_date", {"interaction_id": note.id}, now=ctx.services.clock())
        return [Outgoing(t("ask_date", ctx.lang), [[Button(wt("btn_cancel", ctx.lang), f"p:{asked.id}:cancel")]], asks_for_text=True)]
    return [Outgoing(t("prompt_closed", ctx.lang))]


async def ask_name(ctx: Context, note: Interaction, data: dict) -> list[Outgoing]:
    """Ask for the customer's name (typed); ``data``: birthdays to apply, whether it fixes the parser, fields left to ask."""
    keep = ("birthdays", "fix", "ask", "reading")
    data = {"interaction_id": note.id, **{k: data[k] for k in keep if data.get(k)}}
    new = await messaging.prompt_add(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "name_customer", data, now=ctx.services.clock())
    return [Outgoing(t("ask_name", ctx.lang), [[Button(t("btn_skip", ctx.lang), f"p:{new.id}:skip")]], asks_for_text=True)]


async def _offer_create(ctx: Context, note: Interaction, name: str, data: dict) -> list[Outgoing]:
    prompt = await messaging.prompt_add(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "create_customer", {**data, "interaction_id": note.id, "name": name}, now=ctx.services.clock())
    rows = [[Button(t("btn_create", ctx.lang, name=name), f"p:{prompt.id}:create")], [Button(t("btn_skip", ctx.lang), f"p:{prompt.id}:other")]]
    return [Outgoing(t("not_found_name", ctx.lang, name=name), rows)]


async def _change_date(ctx: Context, prompt: Prompt, note: Interaction, text: str) -> list[Outgoing] | None:
    from .understanding.when import resolve_when

    found = resolve_when(text, ctx.now)
    if found is None:
        if len(text) > NAME_MAX_CHARS:
            return None  # a new note, not an answer
        return [Outgoing(t("date_not_understood", ctx.lang))]
    messaging.close_prompt(ctx.session, prompt)
    if "task_id" in prompt.data:  # a reminder's Reschedule: that follow-up alone, and no correction of the note's reading
        return await reminder_buttons.move(ctx, prompt.data["task_id"], found.date, found.time)
    tasks = [task for task in await crm.tasks_of_interaction(ctx.session, note.id) if task.status == "open"]
    if not tasks:
        from storage.models import Task

        task = Task(team_id=note.team_id, customer_id=note.customer_id, assignee_id=ctx.member.id, interaction_id=note.id, text=fmt.clip(note.text, 80))
        tasks = [task]
    for task in tasks:
        task.due_at = quick_note.due_at(found.date, found.time, ctx.zone)
        task.due_has_time = found.time is not None
        ctx.session.add(task)
    fixed = {"date": found.date.isoformat() if found.date else None, "time": found.time.strftime("%H:%M") if found.time else None}
    await corrections.record(ctx, note, fixed, prompt.data.get("reading"))
    when = fmt.due(tasks[0].due_at, tasks[0].due_has_time, ctx.zone, ctx.lang, ctx.today)
    said = t("date_changed", ctx.lang, when=when)
    waits = followups.promised_reminder_line(tasks[0].due_at, tasks[0].due_has_time, ctx.zone, ctx.services.settings, ctx.services.clock(), ctx.lang)
    if waits:
        said += "\n" + waits
    return [await checks.then_next(ctx, note, said, list(prompt.data.get("ask") or []), prompt.data)]
