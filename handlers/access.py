"""The one access check every read path goes through.

rep: customers they own (and unowned ones); manager: also their reps' customers; admin: the team.
A customer one may not see is answered exactly like one that does not exist.
"""
from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Customer, Member


async def can_see(session: AsyncSession, member: Member, customer: Customer) -> bool:
    if customer.team_id != member.team_id:
        return False
    if member.role == "admin" or customer.owner_id in (None, member.id):
        return True
    if member.role == "manager":
        owner = await session.get(Member, customer.owner_id)
        return owner is not None and owner.manager_id == member.id
    return False


async def visible(session: AsyncSession, member: Member, customers: list[Customer]) -> list[Customer]:
    return [c for c in customers if await can_see(session, member, c)]


async def group_may_see_amounts(ctx, customer: Customer) -> bool:
    """Group chats never show amounts or contacts: we cannot know every reader may see them."""
    return False
