"""The one access check every read path goes through.

rep: the customers they own, customers shared with them, and unowned ones (the team's pool, e.g.
an import without owners); manager: also every customer of the reps whose manager they are;
admin: the whole team. An inactive member sees nothing. A customer one may not see is answered
exactly like one that does not exist; a direct attempt on one (by name, by id, by a button) is
written to the audit log once.

Scheduled pushes (digests, nags, greetings) and exports select customers with
``visible_customer_ids`` or ``customer_filter`` — never a hand-written owner test.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import false, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import crm
from storage.models import AuditLog, Customer, CustomerShare, Member

# Guessing /join and /pair codes: after this many wrong codes from one account within the window,
# codes from it are not even checked until the window has passed (8 hex digits cannot be tried through).
CODE_TRIES = 5
CODE_WINDOW = dt.timedelta(hours=1)


async def reports_of(session: AsyncSession, manager: Member) -> set[int]:
    """The member ids a manager oversees: themselves and the reps whose manager they are (left ones too, until handed over)."""
    rows = (await session.exec(select(Member.id).where(Member.manager_id == manager.id, Member.team_id == manager.team_id))).all()
    return {manager.id, *rows}


async def _owners(session: AsyncSession, member: Member) -> set[int] | None:
    """Owner ids whose customers the member sees (None: every owner in the team)."""
    if member.role == "admin":
        return None
    if member.role == "manager":
        return await reports_of(session, member)
    return {member.id}


async def _shared(session: AsyncSession, member: Member) -> set[int]:
    return set((await session.exec(select(CustomerShare.customer_id).where(CustomerShare.member_id == member.id))).all())


async def customer_filter(session: AsyncSession, member: Member):
    """A WHERE clause on Customer selecting exactly what the member may see."""
    if not member.active:
        return false()
    team = col(Customer.team_id) == member.team_id
    owners = await _owners(session, member)
    if owners is None:
        return team
    shared = select(CustomerShare.customer_id).where(CustomerShare.member_id == member.id)
    return team & or_(col(Customer.owner_id).is_(None), col(Customer.owner_id).in_(owners), col(Customer.id).in_(shared))


async def visible_customer_ids(session: AsyncSession, member: Member) -> set[int]:
    """Ids of every customer the member may see: digests, nags and exports filter with this."""
    return set((await session.exec(select(Customer.id).where(await customer_filter(session, member)))).all())


async def can_see(session: AsyncSession, member: Member, customer: Customer | None) -> bool:
    if customer is None or not member.active or customer.team_id != member.team_id:
        return False
    owners = await _owners(session, member)
    if owners is None or customer.owner_id is None or customer.owner_id in owners:
        return True
    return customer.id in await _shared(session, member)


async def visible(session: AsyncSession, member: Member, customers: list[Customer]) -> list[Customer]:
    """The ones the member may see, in order (two queries, not one per customer)."""
    if not customers or not member.active:
        return []
    owners = await _owners(session, member)
    shared = await _shared(session, member) if owners is not None else set()
    return [
        c for c in customers
        if c.team_id == member.team_id and (owners is None or c.owner_id is None or c.owner_id in owners or c.id in shared)
    ]


async def may_change_owner(session: AsyncSession, actor: Member, customer: Customer | None, new_owner: Member) -> bool:
    """/assign: an admin anywhere in the team; a manager within their own people, for customers their
    people own (or nobody does). Sharing grants reading and notes, never ownership changes."""
    if customer is None or new_owner.team_id != actor.team_id or not new_owner.active or customer.team_id != actor.team_id:
        return False
    if actor.role == "admin":
        return True
    if actor.role == "manager":
        mine = await reports_of(session, actor)
        return (customer.owner_id is None or customer.owner_id in mine) and new_owner.id in mine
    return False


async def may_hand_over(session: AsyncSession, actor: Member, old: Member, new: Member) -> bool:
    if old.team_id != actor.team_id or new.team_id != actor.team_id or not new.active:
        return False
    if actor.role == "admin":
        return True
    if actor.role == "manager":
        mine = await reports_of(session, actor)
        return old.id in mine and new.id in mine
    return False


async def may_forget(session: AsyncSession, actor: Member, customer: Customer | None) -> bool:
    """Deleting a customer for good: an admin, or the customer's owner."""
    if customer is None or customer.team_id != actor.team_id or not actor.active:
        return False
    return actor.role == "admin" or customer.owner_id == actor.id


async def record_denied(session: AsyncSession, member: Member, customer_id: int, platform: str | None, how: str) -> None:
    """One audit row for a direct attempt on a customer the member may not see."""
    await crm.audit(session, "denied", team_id=member.team_id, member_id=member.id, customer_id=customer_id, platform=platform, detail=how)


async def record_refused(session: AsyncSession, member: Member, platform: str | None, what: str, customer_id: int | None = None) -> None:
    """One audit row for a command the member's role does not allow (a rep's /assign, /invite…)."""
    await crm.audit(session, "refused", team_id=member.team_id, member_id=member.id, customer_id=customer_id, platform=platform, detail=f"{member.role}: {what}")


async def record_stranger(session: AsyncSession, platform: str, sender_id: str, what: str, at: dt.datetime) -> None:
    """Someone who is no member wrote to the bot: who (their account id) and what kind of message, never its text."""
    await crm.audit(session, "stranger", platform=platform, detail=f"{sender_id} {what}", at=at)


async def record_bad_code(session: AsyncSession, platform: str, sender_id: str, command: str, at: dt.datetime) -> None:
    await crm.audit(session, "bad_code", platform=platform, detail=f"{sender_id} {command}", at=at)


async def too_many_bad_codes(session: AsyncSession, platform: str, sender_id: str, now: dt.datetime) -> bool:
    """CODE_TRIES wrong /join or /pair codes from this account within CODE_WINDOW."""
    stmt = select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "bad_code", AuditLog.platform == platform, col(AuditLog.detail).startswith(f"{sender_id} ", autoescape=True), col(AuditLog.at) > now - CODE_WINDOW
    )
    return (await session.exec(stmt)).one() >= CODE_TRIES


async def group_may_see_amounts(ctx, customer: Customer) -> bool:
    """Group chats never show amounts or contacts: we cannot know every reader may see them."""
    return False

