"""Test helpers: a seeded team and a person chatting through the real router (no messenger)."""
from __future__ import annotations

import itertools

from handlers import router
from chat.messages import Incoming, Outgoing
from storage import crm
from storage.models import Customer

_ids = itertools.count(1)


async def rows(app, model, *where) -> list:
    """Every row of a table (optionally filtered), read back from the real database."""
    from sqlmodel import select

    async with app.db.read() as session:
        stmt = select(model)
        for condition in where:
            stmt = stmt.where(condition)
        return list((await session.exec(stmt)).all())


async def seed_team(app, members=(("me", "admin"),), customers=(), platform: str = "console") -> dict:
    """members: (name, role[, manager name]); customers: dicts of Customer fields plus 'owner' (a member name)."""
    out = {"members": {}, "customers": {}}
    async with app.db.write() as session:
        team = await crm.create_team(session, "Test team", "Asia/Shanghai")
        out["team"] = team
        for spec in members:
            name, role = spec[0], spec[1]
            manager = out["members"][spec[2]].id if len(spec) > 2 else None
            out["members"][name] = await crm.create_member(session, team, name, role=role, platform=platform, user_id=name, manager_id=manager)
        for fields in customers:
            fields = dict(fields)
            owner = fields.pop("owner", None)
            owner_id = out["members"][owner].id if owner else None
            c = await crm.add_customer(session, Customer(team_id=team.id, owner_id=owner_id, **fields))
            out["customers"][c.name] = c
    return out


class Person:
    """Someone typing to the bot through the router, as an adapter would deliver it."""

    def __init__(self, app, user_id: str, platform: str = "console", chat_id: str | None = None, chat_kind: str = "private") -> None:
        self.app = app
        self.user_id = user_id
        self.platform = platform
        self.chat_id = chat_id or f"{platform}:{user_id}"
        self.chat_kind = chat_kind
        self.last: list[Outgoing] = []

    def message(self, text: str, **extra) -> Incoming:
        return Incoming(
            platform=self.platform,
            chat_id=self.chat_id,
            chat_kind=self.chat_kind,
            sender_id=self.user_id,
            sender_name=self.user_id,
            text=text,
            message_id=str(next(_ids)),
            sent_at=self.app.services.clock(),
            **extra,
        )

    async def say(self, text: str, **extra) -> list[Outgoing]:
        self.last = await router.handle(self.message(text, **extra), self.app.services)
        return self.last

    async def press(self, label: str) -> list[Outgoing]:
        """Press the button whose label contains `label` in the last reply."""
        for reply in self.last:
            for row in reply.buttons:
                for button in row:
                    if label in button.label:
                        return await self.say("", button_payload=button.payload)
        raise AssertionError(f"no button {label!r} in {[b.label for r in self.last for row in r.buttons for b in row]}")

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last)
