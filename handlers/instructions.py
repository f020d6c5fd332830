"""Instructions in words ("把张伟设为重要客户", "mark Acme as lost", "把王芳的电话改成138…"): one line
asks to confirm with [Yes] [Cancel]; the change is made only on Yes, and only while the question is
fresh (a stale confirmation is closed, not carried out). The customer goes through the access check.
"""
from __future__ import annotations

import datetime as dt

from storage import crm, messaging
from storage.contacts import looks_like_email, looks_like_phone
from storage.models import STAGES, TIERS, Prompt

from . import access
from chat import format as fmt
from .context import Context
from .customer_lookup import resolve_customer
from .conversation_texts import FIELD
from .conversation_texts import t as ct
from .intents import Intent
from chat.messages import Button, Outgoing
from .texts import t

KINDS = ("set_tier", "set_stage", "set_contact")
CONFIRM_WINDOW = dt.timedelta(minutes=30)


async def propose(ctx: Context, intent: Intent) -> list[Outgoing]:
    lang = ctx.lang
    customer = await resolve_customer(ctx, intent.name)
    if customer is None:
        return [Outgoing(ct("unknown_customer", lang, q=fmt.clip(intent.name, 40)))]
    if intent.kind == "set_contact":
        ok = looks_like_email(intent.value) if intent.field == "email" else looks_like_phone(intent.value)
        if not ok:
            return [Outgoing(ct("bad_email" if intent.field == "email" else "bad_phone", lang))]
        shown = "…" + intent.value[-4:] if ctx.in_group else intent.value  # groups never show contacts
        question = ct("confirm_contact", lang, name=customer.name, field=FIELD[lang][intent.field], value=shown)
    elif intent.kind == "set_tier" and intent.value in TIERS:
        question = ct("confirm_tier", lang, name=customer.name, value=fmt.TIER[lang][intent.value])
    elif intent.kind == "set_stage" and intent.value in STAGES:
        question = ct("confirm_stage", lang, name=customer.name, value=fmt.STAGE[lang][intent.value])
    else:
        return [Outgoing(t("prompt_closed", lang))]
    data = {"customer_id": customer.id, "kind": intent.kind, "field": intent.field, "value": intent.value}
    prompt_id = await messaging.prompt_add_id(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "instruction", data, now=ctx.services.clock())
    return [Outgoing(question, [[Button(ct("btn_yes", lang), f"p:{prompt_id}:yes"), Button(ct("btn_cancel", lang), f"p:{prompt_id}:cancel")]])]


async def press(ctx: Context, prompt: Prompt, note, choice: str) -> list[Outgoing]:
    lang = ctx.lang
    if prompt.created_at < ctx.services.clock() - CONFIRM_WINDOW:
        prompt.status = "expired"
        ctx.session.add(prompt)
        return [Outgoing(t("prompt_closed", lang))]
    if choice == "cancel":
        messaging.close_prompt(ctx.session, prompt)
        return [Outgoing(ct("cancelled", lang))]
    if choice != "yes":
        return [Outgoing(t("prompt_closed", lang))]
    messaging.close_prompt(ctx.session, prompt)
    data = prompt.data
    customer = await crm.get_customer(ctx.session, data.get("customer_id"))
    if customer is None or not await access.can_see(ctx.session, ctx.member, customer):
        return [Outgoing(t("prompt_closed", lang))]  # gone or no longer theirs: as if it never existed
    kind, value = data.get("kind"), data.get("value")
    if kind == "set_tier" and value in TIERS:
        customer.tier, said = value, ct("done_tier", lang, name=customer.name, value=fmt.TIER[lang][value])
    elif kind == "set_stage" and value in STAGES:
        customer.stage, said = value, ct("done_tier", lang, name=customer.name, value=fmt.STAGE[lang][value])
    elif kind == "set_contact" and data.get("field") in ("phone", "email"):
        setattr(customer, data["field"], value)  # the lookup hash follows on the write (storage/crypto.py)
        said = ct("done_contact", lang, name=customer.name, field=FIELD[lang][data["field"]])
    else:
        return [Outgoing(t("prompt_closed", lang))]
    customer.updated_at = ctx.services.clock()
    ctx.session.add(customer)
    await crm.audit(ctx.session, "update", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=f"{kind} by words")
    return [Outgoing(said)]
