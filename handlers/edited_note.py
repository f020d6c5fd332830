"""An edited message re-reads its note: what the first reading filed (the note on each customer, its
follow-ups, its risks, a lost deal's stage) is replaced by the new reading, never doubled, and one
short line says what changed. The note keeps the time it was first sent, so "Friday" still means the
Friday after it. An edit of a message that filed no note (a command, a question, chatter) changes nothing.
"""
from __future__ import annotations

import dataclasses

from sqlmodel import col, select

from storage import crm
from storage.models import Customer, Interaction

from chat import format as fmt
from . import note_effects, quick_note
from .context import Context
from chat.messages import Outgoing

_WORDS = {
    "en": {"updated": "✎ Updated", "same": "✎ Updated (customer, follow-ups and risks as before)", "customer": "customer", "follow_up": "follow-up", "risk": "risk", "none": "none"},
    "zh": {"updated": "✎ 已更新", "same": "✎ 已更新（客户、跟进和风险不变）", "customer": "客户", "follow_up": "跟进", "risk": "风险", "none": "无"},
}


@dataclasses.dataclass(frozen=True)
class _Reading:
    customers: tuple[str, ...]
    follow_ups: tuple[str, ...]
    risks: tuple[str, ...]


async def reread(ctx: Context, text: str) -> list[Outgoing]:
    first_key = f"{ctx.msg.platform}:{ctx.msg.chat_id}:{ctx.msg.edit_of}"
    notes = await _notes(ctx, first_key)
    if not notes or any(n.author_id != ctx.member.id for n in notes):
        return []  # no note came of it (or not theirs): an edit is no new message
    before = await _reading(ctx, notes)
    sent_at = notes[0].occurred_at
    for note in notes:
        await _remove(ctx, note)
    # filed again under the first message's key and time: the same source key, dates read as then
    first = dataclasses.replace(ctx.msg, message_id=ctx.msg.edit_of or "", sent_at=sent_at, edit_of=None)
    again = dataclasses.replace(ctx, msg=first)
    replies = await quick_note.file_note(again, text)
    renewed = await _notes(ctx, first_key)
    if not renewed or any(n.status != "filed" for n in renewed):
        return replies  # the new reading has a question (which customer?): it is asked as usual
    line = _changes(before, await _reading(ctx, renewed), ctx)
    buttons = replies[0].buttons if replies else []  # wrong customer / change date / undo, for the new reading
    return [Outgoing(line, buttons=buttons)]


async def _notes(ctx: Context, key: str) -> list[Interaction]:
    keys = [key, *(f"{key}#{i}" for i in range(2, quick_note.MAX_PARTS + 1))]
    stmt = select(Interaction).where(col(Interaction.source_key).in_(keys), Interaction.team_id == ctx.team.id).order_by(col(Interaction.id))
    return list((await ctx.session.exec(stmt)).all())


async def _reading(ctx: Context, notes: list[Interaction]) -> _Reading:
    names, follow_ups, risks = [], [], []
    for note in notes:
        if note.customer_id is not None:
            customer = await ctx.session.get(Customer, note.customer_id)
            names.append(customer.name if customer else "?")
        for task in await crm.tasks_of_interaction(ctx.session, note.id):  # type: ignore[arg-type]
            when = fmt.due(task.due_at, task.due_has_time, ctx.zone, ctx.lang, ctx.today) if task.due_at else ""
            follow_ups.append(f"{when} {fmt.clip(task.text, 30)}".strip())
        risks += [fmt.RISK[ctx.lang].get(r, r) for r in note.risk if fmt.RISK[ctx.lang].get(r, r) not in risks]
    return _Reading(tuple(names), tuple(dict.fromkeys(follow_ups)), tuple(risks))


async def _remove(ctx: Context, note: Interaction) -> None:
    """What the first reading filed goes: its follow-ups (done ones too: they were the old reading's),
    the stage a lost deal set, the note itself; the customer's last contact and risks are recounted."""
    for task in await crm.tasks_of_interaction(ctx.session, note.id):  # type: ignore[arg-type]
        await ctx.session.delete(task)
    await note_effects.undone(ctx, note)
    await ctx.session.flush()
    await ctx.session.delete(note)
    await ctx.session.flush()
    if note.customer_id is not None:
        await crm.touch_customer(ctx.session, note.customer_id)


def _changes(before: _Reading, after: _Reading, ctx: Context) -> str:
    words = _WORDS["zh" if ctx.lang == "zh" else "en"]
    parts = []
    for field, label in (("customers", "customer"), ("follow_ups", "follow_up"), ("risks", "risk")):
        old, new = getattr(before, field), getattr(after, field)
        if old != new:
            parts.append(f"{words[label]} {'、'.join(old) or words['none']} → {'、'.join(new) or words['none']}")
    if not parts:
        return words["same"]
    sep = "；" if ctx.lang == "zh" else "; "
    return f"{words['updated']}: {sep.join(parts)}"[:300]
