"""Asking about exactly what the parser was unsure of (``ParsedNote.uncertain``).

The note is filed at once (nothing lost); one short line asks about one unsure field with buttons,
and the answer confirms or fixes it, then the next unsure field is asked about, if any. Fixes of the
customer, date and channel are kept as corrections (corrections.py). Questions are button-only: a
message typed meanwhile is a new note. Every question offers Undo.
"""
from __future__ import annotations

from storage import crm, messaging
from storage.models import CHANNELS, Interaction, Prompt

from . import corrections
from chat import format as fmt
from .context import Context
from .conversation_texts import t as ct
from chat.messages import Button, Outgoing
from .texts import t

ORDER = ("customer", "date", "channel", "amount", "risk", "outcome", "birthday")
OTHER_CHANNEL = {"en": "other", "zh": "其他"}


def askable(uncertain) -> list[str]:
    """The unsure fields the bot can ask about, in asking order ("time" is asked with the date)."""
    wanted = {"date" if f == "time" else f for f in uncertain or ()}
    return [f for f in ORDER if f in wanted]


async def question(ctx: Context, note: Interaction, ask: list[str], data: dict) -> Outgoing | None:
    """The question about the first of ``ask`` that applies to this note (None when none does)."""
    customer = await crm.get_customer(ctx.session, note.customer_id) if note.customer_id else None
    tasks = [task for task in await crm.tasks_of_interaction(ctx.session, note.id) if task.status == "open"] if "date" in ask else []
    while ask:
        built = _build(ctx, ask[0], note, customer, tasks, data)
        if built is not None:
            line, choices = built
            prompt_id = await messaging.prompt_add_id(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "check", {**data, "ask": ask}, now=ctx.services.clock())
            buttons = [Button(label, f"p:{prompt_id}:{choice}") for label, choice in choices]
            rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
            rows.append([Button(t("btn_undo", ctx.lang), f"p:{prompt_id}:undo")])
            return Outgoing(line, rows)
        ask = ask[1:]
    return None


def _build(ctx: Context, field: str, note, customer, tasks, data: dict) -> tuple[str, list[tuple[str, str]]] | None:
    lang = ctx.lang
    yes = (ct("btn_yes", lang), "yes")
    if field == "customer" and customer is not None:
        return ct("check_customer", lang, name=customer.name), [yes, (ct("btn_another_customer", lang), "another")]
    if field == "date":
        dated = [task for task in tasks if task.due_at is not None]
        if dated:
            when = fmt.due(dated[0].due_at, dated[0].due_has_time, ctx.zone, lang, ctx.today)
            return ct("check_date", lang, when=when), [yes, (t("btn_change_date", lang), "date"), (ct("btn_no_follow_up", lang), "nodate")]
    if field == "channel":
        others = [(fmt.CHANNEL[lang][c] if c != "other" else OTHER_CHANNEL[lang], f"ch.{c}") for c in CHANNELS if c != note.channel]
        return ct("check_channel", lang, channel=fmt.CHANNEL[lang].get(note.channel, note.channel)), [yes, *others]
    if field == "amount" and note.amount is not None and not ctx.in_group:
        return ct("check_amount", lang, money=fmt.money(note.amount, note.currency, lang)), [yes, (ct("btn_no_amount", lang), "noamount")]
    if field == "amount" and note.amount is None:  # the parser left out an absurd amount (1e12 and more): say so
        return ct("amount_too_large", lang), [(ct("btn_ok", lang), "yes")]
    if field == "risk" and note.risk:
        risks = ", ".join(fmt.RISK[lang].get(r, r) for r in note.risk)
        return ct("check_risk", lang, risks=risks), [yes, (ct("btn_no_risk", lang), "norisk")]
    if field == "outcome" and note.outcome:
        return ct("check_outcome", lang, outcome=t(note.outcome, lang)), [yes, (ct("btn_no", lang), "nooutcome")]
    if field == "birthday" and customer is not None and any((data.get("birthdays") or {}).values()):
        date = " / ".join(v for v in (data.get("birthdays") or {}).values() if v)
        return ct("check_birthday", lang, date=date), [yes, (ct("btn_not_theirs", lang), "nobirthday")]
    return None


async def press(ctx: Context, prompt: Prompt, note: Interaction, choice: str) -> list[Outgoing]:
    from . import prompts, quick_note

    ask = list(prompt.data.get("ask") or [])
    field, rest = (ask[0], ask[1:]) if ask else ("", [])
    base = {k: v for k, v in prompt.data.items() if k != "ask"}
    messaging.close_prompt(ctx.session, prompt)
    if choice == "undo":
        return await quick_note.undo(ctx, note)
    if choice == "another" and field == "customer":
        return await prompts.ask_name(ctx, note, {**base, "fix": True, "ask": rest})
    if choice == "date" and field == "date":
        await messaging.prompt_add(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "change_date", {**base, "ask": rest}, now=ctx.services.clock())
        return [Outgoing(t("ask_date", ctx.lang), asks_for_text=True)]
    said = await _apply(ctx, note, field, choice, base)
    if said is None:
        return [Outgoing(t("prompt_closed", ctx.lang))]
    return [await then_next(ctx, note, said, rest, base)]


async def then_next(ctx: Context, note: Interaction, said: str, rest: list[str], data: dict) -> Outgoing:
    """An answer's line, followed by the question about the next unsure field, if any."""
    keep = {k: v for k, v in data.items() if k in ("interaction_id", "birthdays", "reading")}
    following = await question(ctx, note, rest, keep) if rest else None
    if following is None:
        return Outgoing(said)
    return Outgoing(said + "\n" + following.text, following.buttons)


async def _apply(ctx: Context, note: Interaction, field: str, choice: str, data: dict) -> str | None:
    """Carry out a one-tap answer; the line that says so (None: not an answer to this question)."""
    lang = ctx.lang
    if choice == "yes":
        return ct("kept", lang)
    if choice == "nodate" and field == "date":
        for task in await crm.tasks_of_interaction(ctx.session, note.id):
            if task.status == "open":
                task.status = "cancelled"
                ctx.session.add(task)
        await corrections.record(ctx, note, {"date": None, "time": None}, data.get("reading"))
        return ct("follow_up_removed", lang)
    if choice.startswith("ch.") and field == "channel" and choice[3:] in CHANNELS:
        note.channel = choice[3:]
        ctx.session.add(note)
        await corrections.record(ctx, note, {"channel": note.channel}, data.get("reading"))
        return ct("channel_set", lang, channel=fmt.CHANNEL[lang].get(note.channel, note.channel))
    if choice == "noamount" and field == "amount":
        note.amount, note.currency = None, None
        ctx.session.add(note)
        await corrections.record(ctx, note, {"amount": None, "currency": None}, data.get("reading"))
        return ct("amount_removed", lang)
    if choice == "norisk" and field == "risk":
        note.risk = []
        ctx.session.add(note)
        await ctx.session.flush()
        if note.customer_id is not None:
            await crm.touch_customer(ctx.session, note.customer_id)  # the customer's open risks without this note's
        await corrections.record(ctx, note, {"risk": []}, data.get("reading"))
        return ct("risk_removed", lang)
    if choice == "nooutcome" and field == "outcome":
        note.outcome = None
        ctx.session.add(note)
        await corrections.record(ctx, note, {"outcome": None}, data.get("reading"))
        return ct("outcome_removed", lang)
    if choice == "nobirthday" and field == "birthday":
        customer = await crm.get_customer(ctx.session, note.customer_id) if note.customer_id else None
        set_by_note = data.get("birthdays") or {}
        for name, value in set_by_note.items():
            if customer is not None and value and getattr(customer, name) == value:
                setattr(customer, name, None)
                ctx.session.add(customer)
        await corrections.record(ctx, note, {name: None for name, value in set_by_note.items() if value}, data.get("reading"))
        return ct("birthday_removed", lang)
    return None
