"""Finding customers from what was typed: /find's search, the one customer a command names, and the
choice offered when several answer to it.

All go through the access check. Commands, choices, questions and instructions import these; this
module imports no command module (the press on a choice, which runs the command again, is
``handlers.choose.press``), so commands and team_commands both stand on it without importing each
other back: the import-linter contract "commands above team_commands above customer_lookup" keeps it so."""
from __future__ import annotations

import json
import re

from sqlmodel import col, select

from chat import format as fmt
from chat.messages import Button, Outgoing
from storage import crm, crypto, customer_search, messaging
from storage.contacts import looks_like_email, looks_like_phone
from storage.models import Customer, Member

from . import access
from .context import Context
from .texts import t
from .workflow_texts import t as wt

FIND_LIMIT = 200  # substring hits /find lists (paged: handlers/paging.py)
MAX_CHOICES = 6  # customers offered as buttons when several answer to a name


async def find_customers(ctx: Context, query: str) -> list[Customer]:
    """Substring hits first, then what the fuzzy matcher (pinyin, typos, honorifics) adds."""
    hits = await customer_search.search(ctx.session, ctx.team.id, query, limit=FIND_LIMIT)
    cipher = ctx.services.db.cipher
    if cipher is not None:  # contacts are ciphertext: only the name fields can match a substring
        hits = [c for c in hits if _matches_plain_fields(c, query)] + await _by_contact_hash(ctx, cipher, query)
    seen = {c.id for c in hits}
    parser = await ctx.services.indexes.parser(ctx.team.id, ctx.session)
    parsed = parser.parse(query, ctx.now)
    extra = [r for r in ([parsed.customer] if parsed.customer else []) + list(parsed.candidates) if r.id not in seen]
    for record in extra:
        customer = await crm.get_customer(ctx.session, record.id)
        if customer is not None:
            hits.append(customer)
    return await access.visible(ctx.session, ctx.member, hits)


async def customer_lines(ctx: Context, ids: list[int]) -> list[str]:
    """One line per customer, in the order of ids, for those the member may (still) see: name, company,
    tier, phone (not in groups), last contact."""
    if not ids:
        return []
    loaded = list((await ctx.session.exec(select(Customer).where(col(Customer.id).in_(ids)))).all())
    by_id = {c.id: c for c in await access.visible(ctx.session, ctx.member, loaded)}
    now = ctx.services.clock().astimezone(ctx.zone)
    lines = []
    for customer_id in ids:
        c = by_id.get(customer_id)
        if c is None:
            continue
        parts = [c.name]
        if c.company and c.company != c.name:
            parts.append(c.company)
        parts.append(fmt.TIER[ctx.lang].get(c.tier, c.tier))
        if c.phone and not ctx.in_group:
            parts.append(c.phone)
        parts.append(fmt.ago(c.last_contact_at, now, ctx.lang))
        lines.append("• " + " · ".join(parts))
    return lines


def _matches_plain_fields(c: Customer, query: str) -> bool:
    q = query.strip().lower()
    return q in c.name.lower() or q in (c.company or "").lower() or q in json.dumps(c.aliases, ensure_ascii=False).lower()


async def _by_contact_hash(ctx: Context, cipher, query: str) -> list[Customer]:
    """An exact phone number or email, found through the keyed hash columns."""
    if looks_like_phone(query):
        stmt = select(Customer).where(Customer.team_id == ctx.team.id, col(Customer.phone_hash).in_(crypto.phone_lookup(cipher, query)))
    elif looks_like_email(query):
        stmt = select(Customer).where(Customer.team_id == ctx.team.id, col(Customer.email_hash).in_(crypto.email_lookup(cipher, query)))
    else:
        return []
    return list((await ctx.session.exec(stmt)).all())


_CUSTOMER_ID = re.compile(r"#?(\d{1,9})")


async def resolve_customer(ctx: Context, query: str) -> Customer | None:
    """One customer by #id or name, through the access check. A direct try on a customer one may
    not see answers like a miss and leaves one 'denied' audit row."""
    if m := _CUSTOMER_ID.fullmatch(query.strip()):
        by_id = await crm.get_customer(ctx.session, int(m.group(1)))
        if by_id is not None:
            if await access.can_see(ctx.session, ctx.member, by_id):
                return by_id
            await access.record_denied(ctx.session, ctx.member, by_id.id, ctx.msg.platform, "by id")
    named = await crm.customers_by_name(ctx.session, ctx.team.id, query)
    exact = await access.visible(ctx.session, ctx.member, named)
    if len(exact) == 1:
        return exact[0]
    if named and not exact:
        await access.record_denied(ctx.session, ctx.member, named[0].id, ctx.msg.platform, "by name")
    found = await find_customers(ctx, query)
    return found[0] if len(found) == 1 else None


async def candidates(ctx: Context, query: str) -> list[Customer]:
    """Visible customers called exactly ``query``, else those the search finds."""
    named = await access.visible(ctx.session, ctx.member, await crm.customers_by_name(ctx.session, ctx.team.id, query))
    if named:
        return named
    return await find_customers(ctx, query)


async def customer_or_choice(ctx: Context, query: str, redo: str) -> Customer | list[Outgoing]:
    """The one customer ``query`` means, or the replies: a choice among several, or "no such customer".

    ``redo``: the command to run again with the chosen customer, "{ref}" standing for it ("/customer {ref}");
    the press is handled by ``handlers.choose.press`` (prompt kind "choose")."""
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
