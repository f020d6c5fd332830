"""Who is typing: the console has no sign-in, so the name given (`crmbot chat --as NAME`) is the member.

A name nobody has yet is a new member (the first of a fresh database is the admin). A member who
only exists on paper (made by `crmbot admin create-team` or the demo, no messenger account yet) is
taken on. A member who already uses a messenger is somebody's account: the console does not take it
over; it asks for the code `/pair` gives on that account (the same check as pairing a messenger).
"""
from __future__ import annotations

import datetime as dt
import uuid

from chat.messages import Incoming
from handlers import language
from storage import crm

from .incoming import PLATFORM


class NameTaken(Exception):
    """--as names a member who already has a messenger account: pair, or pick another name."""

    def __init__(self, name: str, platforms: list[str]) -> None:
        self.name = name
        self.platforms = platforms
        where = " and ".join(p.capitalize() for p in platforms)
        super().__init__(
            f"{name} is already a member on {where}. To be {name} here, send /pair there and type the code; or choose another name with --as NAME."
        )


async def ensure_console_member(app, user: str, *, admin_if_new_team: bool = True):
    """The member typing as `user` (created on first use); NameTaken when that is someone's messenger account."""
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
                platforms = sorted({i.platform for i in await crm.identities_of(session, existing.id)})
                if platforms:
                    raise NameTaken(existing.display_name, platforms)
                session.add(crm.Identity(member_id=existing.id, platform=PLATFORM, platform_user_id=user))
                return existing
            role = "rep"
        return await crm.create_member(session, team, user, role=role, platform=PLATFORM, user_id=user, language=language.initial(user, None, app.settings.language))


async def pair_console(app, user: str, code: str) -> tuple[object | None, str]:
    """Pair the console name `user` with the member whose /pair code this is: (member or None, the answer)."""
    from handlers.team_commands import pair_stranger

    now = app.services.clock()
    msg = Incoming(
        platform=PLATFORM,
        chat_id=f"console:{user}",
        chat_kind="private",
        sender_id=user,
        sender_name=user,
        text=f"/pair {code}",
        message_id=uuid.uuid4().hex,
        sent_at=now if isinstance(now, dt.datetime) else dt.datetime.now(dt.timezone.utc),
    )
    async with app.db.write() as session:
        replies = await pair_stranger(msg, code, app.settings.language, app.services, session)
        member = await crm.member_by_identity(session, PLATFORM, user)
    return member, replies[0].text if replies else ""


async def member_or_pair(app, user: str, read_line, write) -> object | None:
    """ensure_console_member, and when the name is someone's account, one try at their /pair code
    (read_line() → the typed code, None at end of input; write(line) prints). None: not signed in."""
    try:
        return await ensure_console_member(app, user)
    except NameTaken as taken:
        write(str(taken))
    code = (await read_line() or "").strip()
    if not code:
        return None
    member, answer = await pair_console(app, user, code)
    write(answer)
    return member
