"""/merge KEEP DROP: fold one customer into another (notes, follow-ups, aliases, shares, empty fields),
audited, and undoable (/unmerge, or the Undo button) while the merge's record is open.

The dropped customer's row is kept as a snapshot in the merge's prompt (its data), so an undo puts it
back with the same id and moves back exactly the rows that moved.
"""
from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from storage import crm, messaging
from storage.models import Correction, Customer, CustomerShare, Interaction, Prompt, Task

from . import access
from .choose import customer_or_choice
from .context import Context
from .customer_index import record_of
from chat.messages import Button, Outgoing
from .texts import t
from .workflow_texts import t as wt

FILLED = ("company", "phone", "email", "birthday", "lunar_birthday", "language")  # taken from the dropped one when the kept one has none
SNAPSHOT = ("id", "team_id", "owner_id", "name", "company", "aliases", "phone", "email", "tier", "stage", "birthday", "lunar_birthday", "tags", "language")


async def may_edit(ctx: Context, customer: Customer) -> bool:
    """Changing a customer: whoever may see it (owner, sharer, their manager, an admin)."""
    return await access.can_see(ctx.session, ctx.member, customer)


async def cmd_merge(ctx: Context, args: str) -> list[Outgoing]:
    from .team_commands import _splits

    for left, right in _splits(args):
        keep = await customer_or_choice(ctx, left, "/merge {ref} " + right)
        if isinstance(keep, list):
            if keep and keep[0].buttons:
                return keep  # several called so: choose, then the command runs again
            continue
        drop = await customer_or_choice(ctx, right, f"/merge #{keep.id} {{ref}}")
        if isinstance(drop, list):
            return drop
        return await _ask(ctx, keep, drop)
    return [Outgoing(wt("merge_usage", ctx.lang))]


async def _ask(ctx: Context, keep: Customer, drop: Customer) -> list[Outgoing]:
    if keep.id == drop.id:
        return [Outgoing(wt("merge_same", ctx.lang))]
    if not (await may_edit(ctx, keep) and await may_edit(ctx, drop)):
        await access.record_refused(ctx.session, ctx.member, ctx.msg.platform, "/merge", drop.id)
        return [Outgoing(wt("edit_denied", ctx.lang, customer=drop.name))]
    notes = len((await ctx.session.exec(select(Interaction.id).where(Interaction.customer_id == drop.id))).all())
    tasks = len((await ctx.session.exec(select(Task.id).where(Task.customer_id == drop.id))).all())
    prompt = await messaging.prompt_add(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "merge", {"keep": keep.id, "drop": drop.id}, now=ctx.services.clock())
    rows = [[Button(wt("btn_merge", ctx.lang), f"p:{prompt.id}:yes"), Button(wt("btn_cancel", ctx.lang), f"p:{prompt.id}:cancel")]]
    return [Outgoing(wt("merge_ask", ctx.lang, keep=_label(keep), drop=_label(drop), notes=notes, tasks=tasks), rows)]


def _label(c: Customer) -> str:
    return f"{c.name} · {c.company}" if c.company and c.company != c.name else c.name


async def press(ctx: Context, prompt: Prompt, note_unused, choice: str) -> list[Outgoing]:
    if prompt.data.get("done"):
        if choice != "undo":
            return [Outgoing(t("prompt_closed", ctx.lang))]
        return await _undo(ctx, prompt)
    if choice != "yes":
        return [Outgoing(t("prompt_closed", ctx.lang))]
    keep = await crm.get_customer(ctx.session, prompt.data["keep"])
    drop = await crm.get_customer(ctx.session, prompt.data["drop"])
    if keep is None or drop is None:
        messaging.close_prompt(ctx.session, prompt)
        return [Outgoing(t("prompt_closed", ctx.lang))]
    barred = drop if await may_edit(ctx, keep) else keep
    if barred is keep or not await may_edit(ctx, drop):  # one of them moved away since the question
        messaging.close_prompt(ctx.session, prompt)
        await access.record_refused(ctx.session, ctx.member, ctx.msg.platform, "/merge", barred.id)
        return [Outgoing(wt("edit_denied", ctx.lang, customer=barred.name))]
    undo = await merge(ctx, keep, drop)
    prompt.data = {**prompt.data, "done": True, **undo}
    prompt.created_at = ctx.services.clock()  # the undo button lives from the merge on
    ctx.session.add(prompt)
    return [Outgoing(wt("merge_ok", ctx.lang, keep=keep.name, drop=drop.name), [[Button(t("btn_undo", ctx.lang), f"p:{prompt.id}:undo")]])]


async def merge(ctx: Context, keep: Customer, drop: Customer) -> dict:
    """Move everything of ``drop`` onto ``keep`` and delete ``drop``; returns what an undo needs."""
    session = ctx.session
    notes = list((await session.exec(select(Interaction).where(Interaction.customer_id == drop.id))).all())
    tasks = list((await session.exec(select(Task).where(Task.customer_id == drop.id))).all())
    corrections = list((await session.exec(select(Correction).where(Correction.customer_id == drop.id))).all())
    shares = list((await session.exec(select(CustomerShare).where(CustomerShare.customer_id == drop.id))).all())
    kept_shares = set((await session.exec(select(CustomerShare.member_id).where(CustomerShare.customer_id == keep.id))).all())
    snapshot = {f: getattr(drop, f) for f in SNAPSHOT}
    before = {f: getattr(keep, f) for f in (*FILLED, "aliases", "tier")}
    for row in (*notes, *tasks, *corrections):
        row.customer_id = keep.id
        session.add(row)
    moved_shares = []
    for share in shares:
        await session.delete(share)
        if share.member_id not in kept_shares and share.member_id != keep.owner_id:
            session.add(CustomerShare(customer_id=keep.id, member_id=share.member_id, created_at=ctx.services.clock()))
            moved_shares.append(share.member_id)
    if drop.owner_id and drop.owner_id != keep.owner_id and drop.owner_id not in kept_shares and drop.owner_id not in moved_shares:
        session.add(CustomerShare(customer_id=keep.id, member_id=drop.owner_id, created_at=ctx.services.clock()))  # the other owner keeps seeing it
        moved_shares.append(drop.owner_id)
    for f in FILLED:
        if not getattr(keep, f) and getattr(drop, f):
            setattr(keep, f, getattr(drop, f))
    keep.aliases = list(dict.fromkeys([*keep.aliases, *([drop.name] if drop.name != keep.name else []), *drop.aliases]))
    if TIER_RANK.get(drop.tier, 9) < TIER_RANK.get(keep.tier, 9):
        keep.tier = drop.tier
    session.add(keep)
    await session.flush()
    await session.delete(drop)
    await session.flush()
    await crm.touch_customer(session, keep.id)
    await crm.audit(session, "merge", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=keep.id, platform=ctx.msg.platform, detail=f"merged #{drop.id} {drop.name} ({len(notes)} notes, {len(tasks)} tasks)")
    ctx.services.indexes.changed(ctx.team.id)
    return {
        "snapshot": {**snapshot, "created_at": _iso(drop.created_at)},
        "before": before,
        "notes": [n.id for n in notes],
        "tasks": [x.id for x in tasks],
        "corrections": [c.id for c in corrections],
        "shares": [s.member_id for s in shares],
        "added_shares": moved_shares,
    }


TIER_RANK = {"important": 0, "special": 1, "general": 2}


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


async def cmd_unmerge(ctx: Context, args: str) -> list[Outgoing]:
    stmt = select(Prompt).where(Prompt.member_id == ctx.member.id, Prompt.kind == "merge", Prompt.status == "open").order_by(col(Prompt.created_at).desc())
    for prompt in (await ctx.session.exec(stmt)).all():
        if prompt.data.get("done"):
            return await _undo(ctx, prompt)
    return [Outgoing(wt("unmerge_none", ctx.lang))]


async def _undo(ctx: Context, prompt: Prompt) -> list[Outgoing]:
    session, data = ctx.session, prompt.data
    keep = await crm.get_customer(session, data["keep"])
    if keep is None or await crm.get_customer(session, data["snapshot"]["id"]) is not None:
        messaging.close_prompt(session, prompt)
        return [Outgoing(t("prompt_closed", ctx.lang))]
    snap = dict(data["snapshot"])
    created = dt.datetime.fromisoformat(snap.pop("created_at")) if snap.get("created_at") else ctx.services.clock()
    drop = Customer(**snap, created_at=created, updated_at=ctx.services.clock())
    session.add(drop)
    await session.flush()
    for model, ids in ((Interaction, data["notes"]), (Task, data["tasks"]), (Correction, data["corrections"])):
        if ids:
            for row in (await session.exec(select(model).where(col(model.id).in_(ids)))).all():
                row.customer_id = drop.id
                session.add(row)
    for member_id in data["added_shares"]:
        share = (await session.exec(select(CustomerShare).where(CustomerShare.customer_id == keep.id, CustomerShare.member_id == member_id))).first()
        if share is not None:
            await session.delete(share)
    for member_id in data["shares"]:
        session.add(CustomerShare(customer_id=drop.id, member_id=member_id, created_at=ctx.services.clock()))
    for f, value in data["before"].items():
        setattr(keep, f, value)
    session.add(keep)
    await session.flush()
    await crm.touch_customer(session, keep.id)
    await crm.touch_customer(session, drop.id)
    messaging.close_prompt(session, prompt)
    await crm.audit(session, "unmerge", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=drop.id, platform=ctx.msg.platform, detail=f"split from #{keep.id} {keep.name}")
    ctx.services.indexes.upsert(ctx.team.id, record_of(drop), session)
    ctx.services.indexes.changed(ctx.team.id)
    return [Outgoing(wt("unmerge_ok", ctx.lang, keep=keep.name, drop=drop.name))]
