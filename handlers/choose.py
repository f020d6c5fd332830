"""When several customers answer to what was typed, offer them as buttons; the press re-runs the command.

Every command that takes a customer goes through ``customer_or_choice``: one match is returned, several
become a question whose buttons carry the customer's id into the command again ("/customer #12").
"""
from __future__ import annotations

from storage import crm, messaging
from storage.models import Customer, Member

from . import access
from chat import format as fmt
from .context import Context
from .customer_lookup import find_customers, resolve_customer
from chat.messages import Button, Outgoing
from .texts import t
from .workflow_texts import t as wt

MAX_CHOICES = 6


async def candidates(ctx: Context, query: str) -> list[Customer]:
    """Visible customers called exactly ``query``, else those the search finds."""
    named = await access.visible(ctx.session, ctx.member, await crm.customers_by_name(ctx.session, ctx.team.id, query))
    if named:
        return named
    return await find_customers(ctx, query)


async def customer_or_choice(ctx: Context, query: str, redo: str) -> Customer | list[Outgoing]:
    """The one customer ``query`` means, or the replies: a choice among several, or "no such customer".

    ``redo``: the command to run again with the chosen customer, "{ref}" standing for it ("/customer {ref}")."""
    customer = await resolve_customer(ctx, query)
    if customer is not None:
        return customer
    found = await candidates(ctx, query) if query.strip() else []
    if len(found) < 2:
        return [Outgoing(t("customer_unknown", ctx.lang, q=fmt.clip(query, 40)))]
    return await offer(ctx, query, found, redo)


async def offer(ctx: Context, query: str, found: list[Customer], redo: str) -> list[Outgoing]:
    found = found[:MAX_CHOICES]
    prompt = await messaging.prompt_add(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "choose", {"redo": redo, "candidates": [c.id for c in found]}, now=ctx.services.clock())
    rows = [[Button(await label(ctx, c), f"p:{prompt.id}:c{c.id}")] for c in found]
    rows.append([Button(wt("btn_cancel", ctx.lang), f"p:{prompt.id}:cancel")])
    return [Outgoing(wt("which_named", ctx.lang, q=fmt.clip(query, 30)), rows)]


async def label(ctx: Context, c: Customer) -> str:
    bits = [c.name]
    if c.company and c.company != c.name:
        bits.append(c.company)
    owner = await ctx.session.get(Member, c.owner_id) if c.owner_id else None
    if owner is not None and owner.id != ctx.member.id:
        bits.append(owner.display_name)
    return " · ".join(bits)


async def press(ctx: Context, prompt, note_unused, choice: str) -> list[Outgoing]:
    from .commands import run

    if not (choice.startswith("c") and choice[1:].isdigit() and len(choice) <= 10 and int(choice[1:]) in prompt.data.get("candidates", [])):
        return [Outgoing(t("prompt_closed", ctx.lang))]
    messaging.close_prompt(ctx.session, prompt)
    return await run(ctx, prompt.data["redo"].replace("{ref}", f"#{int(choice[1:])}"))
