"""Learning from corrections: when a user fixes the customer, date or channel of a note, keep what the
parser read and what the user said (one row per note, exported as the team's regression set), and make
a fixed customer mention an alias of the right customer, so the same words match next time.
"""
from __future__ import annotations

from storage import corrections as store
from storage import crm
from storage.models import Correction, Customer, Interaction

from .context import Context
from .customer_index import record_of

ALIAS_MIN, ALIAS_MAX = 2, 40


def reading(parsed) -> dict:
    """The parser's fields in the eval set's names (plus the mention, which the alias is learnt from)."""
    j = parsed.to_json()
    follow_up = j.get("follow_up") or {}
    return {
        "customer": j["customer"], "ambiguous": j["ambiguous"], "channel": j["channel"],
        "date": follow_up.get("date"), "time": follow_up.get("time"),
        "amount": j["amount"], "currency": j["currency"], "risk": j["risk"], "outcome": j["outcome"],
        "birthday": j["birthday"], "lunar_birthday": j["lunar_birthday"], "mention": j["mention"],
    }


async def record(ctx: Context, note: Interaction, corrected: dict, parsed: dict | None = None) -> Correction:
    """Keep a fix of a note's reading (fields in the eval names); later fixes of the same note merge in.

    ``parsed``: the reading the note was filed with (``reading()``), kept in the question's data when the bot
    asked about it; without it the note is read again as of when it was sent."""
    from . import quick_note

    row = await store.of_interaction(ctx.session, note.id)
    now = ctx.services.clock()
    if row is None:
        if parsed is None:
            parsed = reading(await quick_note.parse(ctx, note.text, at=note.occurred_at))
        row = Correction(
            team_id=ctx.team.id, member_id=ctx.member.id, interaction_id=note.id, text=note.text,
            reference_time=note.occurred_at.astimezone(ctx.zone).isoformat(), parsed=parsed, created_at=now,
        )
    row.corrected = {**(row.corrected or {}), **corrected}  # a new dict: the JSON column sees the change
    row.customer_id = note.customer_id
    row.updated_at = now
    ctx.session.add(row)
    await ctx.session.flush()
    return row


async def fix_customer(ctx: Context, note: Interaction, customer: Customer, previous_id: int | None, parsed: dict | None = None) -> None:
    """The user put the note on ``customer`` instead of the parser's choice."""
    row = await record(ctx, note, {"customer": customer.name}, parsed)
    row.customer_id = customer.id
    ctx.session.add(row)
    await learn_alias(ctx, (row.parsed or {}).get("mention"), customer, previous_id)


async def learn_alias(ctx: Context, mention: str | None, customer: Customer, wrong_id: int | None) -> bool:
    """Make ``mention`` an alias of ``customer`` (and no longer of the customer it wrongly matched).

    Not when it is another customer's own name: that would make a clear name ambiguous."""
    mention = (mention or "").strip()
    if not ALIAS_MIN <= len(mention) <= ALIAS_MAX:
        return False
    key = mention.casefold()
    others = [c for c in await crm.customers_by_name(ctx.session, ctx.team.id, mention) if c.id != customer.id]
    if others:
        return False
    if wrong_id is not None and wrong_id != customer.id:
        wrong = await crm.get_customer(ctx.session, wrong_id)
        if wrong is not None and any(a.casefold() == key for a in wrong.aliases or []):
            wrong.aliases = [a for a in wrong.aliases if a.casefold() != key]
            ctx.session.add(wrong)
            ctx.services.indexes.upsert(ctx.team.id, record_of(wrong), ctx.session)
    if key == customer.name.casefold() or any(a.casefold() == key for a in customer.aliases or []):
        return False
    customer.aliases = [*(customer.aliases or []), mention]
    ctx.session.add(customer)
    ctx.services.indexes.upsert(ctx.team.id, record_of(customer), ctx.session)
    await crm.audit(ctx.session, "alias", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=mention)
    return True
