"""Who is typing: the console has no sign-in, so the name given (`crmbot chat --as NAME`) is the member."""
from __future__ import annotations

from storage import crm

from .incoming import PLATFORM


async def ensure_console_member(app, user: str, *, admin_if_new_team: bool = True):
    """The console is local and trusted: whoever types is a member (created on first use)."""
    async with app.db.write() as session:
        member = await crm.member_by_identity(session, PLATFORM, user)
        if member is not None:
            return member
        team = await crm.first_team(session)
        if team is None:
            team = await crm.create_team(session, "My team", app.settings.timezone)
            role = "admin" if admin_if_new_team else "rep"
        else:
            existing = await crm.member_by_name(session, team.id, user)
            if existing is not None:
                session.add(crm.Identity(member_id=existing.id, platform=PLATFORM, platform_user_id=user))
                return existing
            role = "rep"
        return await crm.create_member(session, team, user, role=role, platform=PLATFORM, user_id=user, language=app.settings.language)
