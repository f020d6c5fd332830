"""/new: a customer from one line ("/new 王建国, 宏达机械, 13812345678, 别名 王总, 重要"), checked against the
team for close matches first (name, pinyin, phone, email), and given the note that waits for its customer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlmodel import col, select

from storage import crm, crypto, messaging
from storage.contacts import looks_like_email, looks_like_phone, normalize_email, normalize_phone
from storage.models import Customer, Interaction, Member

from . import quick_note
from .context import Context
from .customer_index import record_of
from chat.messages import Button, Outgoing
from .texts import t
from .workflow_texts import t as wt

SEPARATORS = re.compile(r"\s*[,，、|;；/]\s*")
ALIAS = re.compile(r"^(?:别名|又名|也叫|外号|alias|aka|a\.k\.a\.)[:：\s]*(.+)$", re.IGNORECASE)
TIER_WORDS = {"重要": "important", "重要客户": "important", "important": "important", "vip": "important", "特殊": "special", "特殊客户": "special", "special": "special", "一般": "general", "普通": "general", "一般客户": "general", "general": "general"}
WAITING_KINDS = ("name_customer", "pick_customer", "create_customer")  # questions whose note waits for a customer


@dataclass
class NewCustomer:
    name: str = ""
    company: str | None = None
    phone: str | None = None
    email: str | None = None
    aliases: list[str] = field(default_factory=list)
    tier: str = "general"
    unknown: list[str] = field(default_factory=list)  # parts not understood (said back, never dropped silently)


def parse(args: str) -> NewCustomer:
    out = NewCustomer()
    parts = [p for p in SEPARATORS.split(args.strip()) if p]
    if len(parts) == 1 and " " in parts[0]:
        from .commands import split_name_company

        name, company = split_name_company(parts[0])
        parts = [name] + ([company] if company else [])
    plain = []
    for part in parts:
        if looks_like_phone(part):
            out.phone = normalize_phone(part)
        elif looks_like_email(part):
            out.email = normalize_email(part)
        elif m := ALIAS.match(part):
            out.aliases += [a for a in re.split(r"\s+", m.group(1).strip()) if a]
        elif part.lower() in TIER_WORDS:
            out.tier = TIER_WORDS[part.lower()]
        else:
            plain.append(part)
    if plain:
        out.name = plain[0]
    if len(plain) > 1:
        out.company = plain[1]
    out.unknown = plain[2:]
    return out


async def similar(ctx: Context, wanted: NewCustomer) -> list[Customer]:
    """Customers anywhere in the team that look like this one: same name, a name the matcher takes for it
    (pinyin, homophones, aliases), the same phone or email."""
    found = {c.id: c for c in await crm.customers_by_name(ctx.session, ctx.team.id, wanted.name)}
    parser = await ctx.services.indexes.parser(ctx.team.id, ctx.session)
    parsed = parser.parse(wanted.name, ctx.now)
    for record in ([parsed.customer] if parsed.customer else []) + list(parsed.candidates):
        if record.id not in found and (c := await crm.get_customer(ctx.session, record.id)) is not None:
            found[c.id] = c
    cipher = ctx.services.db.cipher
    for value, column, lookup in ((wanted.phone, Customer.phone_hash, crypto.phone_lookup), (wanted.email, Customer.email_hash, crypto.email_lookup)):
        if not value:
            continue
        if cipher is not None:
            stmt = select(Customer).where(Customer.team_id == ctx.team.id, col(column).in_(lookup(cipher, value)))
        else:
            plain = Customer.phone if column is Customer.phone_hash else Customer.email
            stmt = select(Customer).where(Customer.team_id == ctx.team.id, plain == value)
        for c in (await ctx.session.exec(stmt)).all():
            found.setdefault(c.id, c)
    return list(found.values())[:5]


async def cmd_new(ctx: Context, args: str) -> list[Outgoing]:
    wanted = parse(args)
    if not wanted.name or len(wanted.name) > 100 or looks_like_phone(wanted.name):
        return [Outgoing(t("new_usage", ctx.lang))]
    close = await similar(ctx, wanted)
    if close:
        labels = []
        for c in close:
            owner = await ctx.session.get(Member, c.owner_id) if c.owner_id else None
            bits = [c.name] + ([c.company] if c.company else []) + ([wt("owned_by", ctx.lang, owner=owner.display_name)] if owner else [])
            labels.append(" · ".join(bits))  # never contact details: the customer may be someone else's
        data = {"wanted": wanted.__dict__}
        prompt = await messaging.prompt_add(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "new_similar", data, now=ctx.services.clock())
        rows = [[Button(wt("btn_create_anyway", ctx.lang), f"p:{prompt.id}:create"), Button(wt("btn_cancel", ctx.lang), f"p:{prompt.id}:cancel")]]
        return [Outgoing(wt("new_similar", ctx.lang, matches="; ".join(labels), name=wanted.name), rows)]
    return await create(ctx, wanted)


async def press(ctx: Context, prompt, note_unused, choice: str) -> list[Outgoing]:
    if choice != "create":
        return [Outgoing(t("prompt_closed", ctx.lang))]
    messaging.close_prompt(ctx.session, prompt)
    return await create(ctx, NewCustomer(**prompt.data["wanted"]))


async def create(ctx: Context, wanted: NewCustomer) -> list[Outgoing]:
    customer = quick_note.new_customer(ctx, wanted.name, wanted.company)
    customer.phone, customer.email, customer.aliases, customer.tier = wanted.phone, wanted.email, list(wanted.aliases), wanted.tier
    customer = await crm.add_customer(ctx.session, customer)
    await crm.audit(ctx.session, "create_customer", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=wanted.name)
    ctx.services.indexes.upsert(ctx.team.id, record_of(customer), ctx.session)
    suffix = f" ({wanted.company})" if wanted.company else ""
    said = t("new_ok", ctx.lang, name=wanted.name, company=suffix)
    extras = [x for x in (wanted.phone if not ctx.in_group else None, wanted.email if not ctx.in_group else None) if x]
    extras += [("别名 " if ctx.lang == "zh" else "alias ") + a for a in wanted.aliases]
    if wanted.tier != "general":
        from chat import format as fmt

        extras.append(fmt.TIER[ctx.lang].get(wanted.tier, wanted.tier))
    if wanted.unknown:
        extras.append(("没看懂：" if ctx.lang == "zh" else "not understood: ") + ", ".join(wanted.unknown))
    if extras:
        said += "\n" + " · ".join(extras)
    waiting = await _waiting_note(ctx)
    if waiting is not None:
        prompt, note = waiting
        messaging.close_prompt(ctx.session, prompt)
        data = prompt.data
        filed = await quick_note.attach(ctx, note, customer, data.get("birthdays"), fix=bool(data.get("fix")), ask=data.get("ask") or (), parsed=data.get("reading"))
        return [Outgoing(said), *filed]
    return [Outgoing(said)]


async def _waiting_note(ctx: Context) -> tuple | None:
    """The note in this chat still waiting for its customer ("which customer?"), if any."""
    from .prompts import TEXT_ANSWER_WINDOW

    since = ctx.services.clock() - TEXT_ANSWER_WINDOW
    prompt = await messaging.prompt_latest_in_chat(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, since, WAITING_KINDS)
    if prompt is None:
        return None
    note = await ctx.session.get(Interaction, prompt.data.get("interaction_id"))
    if note is None or note.team_id != ctx.team.id or note.status != "pending":
        return None
    return prompt, note
