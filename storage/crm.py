"""Queries on teams, members, customers, interactions and tasks. Each takes the session explicitly."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, or_
from sqlalchemy import inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from .plain_load import Plain
from .plain_load import get as plain_get
from .raw_sql import raw
from .types import _json_text
from .models import AuditLog, Customer, Identity, Interaction, Member, Task, Team, utcnow


# --- teams and members -------------------------------------------------------------------------
async def first_team(session: AsyncSession) -> Team | None:
    return (await session.exec(select(Team).order_by(Team.id).limit(1))).first()


async def create_team(session: AsyncSession, name: str, timezone: str = "Asia/Shanghai") -> Team:
    team = Team(name=name, timezone=timezone)
    session.add(team)
    await session.flush()
    return team


async def member_by_identity(session: AsyncSession, platform: str, user_id: str) -> Member | None:
    stmt = select(Member).join(Identity, col(Identity.member_id) == col(Member.id)).where(
        Identity.platform == platform, Identity.platform_user_id == user_id, Member.active == True  # noqa: E712
    )
    return (await session.exec(stmt)).first()


_MEMBER, _TEAM = Plain(Member, "m"), Plain(Team, "t")
_TEAM_VERSION = _TEAM.keys.index("customer_version")
_MEMBER_AND_TEAM_SQL = (
    f"SELECT {_MEMBER.select_list}, {_TEAM.select_list} FROM identity AS i JOIN member AS m ON m.id = i.member_id "
    "JOIN team AS t ON t.id = m.team_id WHERE i.platform = :platform AND i.platform_user_id = :user_id AND m.active = :active"
)


def member_and_team_ahead(platform: str, user_id: str) -> tuple[tuple, str, dict]:
    """(key, sql, params) reading what member_and_team_by_identity reads, for Raw.ahead (read with other statements)."""
    return ("member_and_team", platform, user_id), _MEMBER_AND_TEAM_SQL, {"platform": platform, "user_id": user_id, "active": True}


async def member_and_team_by_identity(session: AsyncSession, platform: str, user_id: str) -> tuple[Member, Team] | None:
    """The member behind a messenger account and their team, in one query (the hot path of every message):
    one row on the raw connection (or read ahead with the transaction's first statements), made into the
    session's instances (storage/plain_load.py). The team's customer version comes with it (team_versions.current)."""
    db = await raw(session)
    key, sql, params = member_and_team_ahead(platform, user_id)
    rows = db.take(key)
    if rows is None:
        rows = await db.rows(sql, params)
    if not rows:
        return None
    row = rows[0]
    member, team = _MEMBER.attach(session, row[: _MEMBER.width]), _TEAM.attach(session, row[_MEMBER.width :])
    db.team_versions[team.id] = row[_MEMBER.width + _TEAM_VERSION] or 0  # as read now (an instance held from before may be older)
    return member, team


async def member_by_name(session: AsyncSession, team_id: int, name: str) -> Member | None:
    stmt = select(Member).where(Member.team_id == team_id, func.lower(Member.display_name) == name.strip().lower())
    return (await session.exec(stmt)).first()


async def create_member(
    session: AsyncSession,
    team: Team,
    display_name: str,
    *,
    role: str = "rep",
    platform: str | None = None,
    user_id: str | None = None,
    language: str = "en",
    timezone: str | None = None,
    manager_id: int | None = None,
) -> Member:
    member = Member(
        team_id=team.id, display_name=display_name, role=role, language=language, timezone=timezone or team.timezone, manager_id=manager_id
    )
    session.add(member)
    await session.flush()
    if platform and user_id:
        session.add(Identity(member_id=member.id, platform=platform, platform_user_id=user_id))
        await session.flush()
    return member


async def team_members(session: AsyncSession, team_id: int) -> list[Member]:
    return list((await session.exec(select(Member).where(Member.team_id == team_id, Member.active == True).order_by(Member.id))).all())  # noqa: E712


async def identities_of(session: AsyncSession, member_id: int) -> list[Identity]:
    return list((await session.exec(select(Identity).where(Identity.member_id == member_id))).all())


# --- customers ---------------------------------------------------------------------------------
_CUSTOMER = Plain(Customer, "t")


async def get_customer(session: AsyncSession, customer_id: int) -> Customer | None:
    """Session.get, read on the raw connection (the note's customer: storage/plain_load.py)."""
    return await plain_get(session, _CUSTOMER, "customer", customer_id)


async def team_customers(session: AsyncSession, team_id: int) -> list[Customer]:
    return list((await session.exec(select(Customer).where(Customer.team_id == team_id))).all())


async def add_customer(session: AsyncSession, customer: Customer) -> Customer:
    session.add(customer)
    await session.flush()
    return customer


async def customers_by_name(session: AsyncSession, team_id: int, name: str) -> list[Customer]:
    stmt = select(Customer).where(Customer.team_id == team_id, func.lower(Customer.name) == name.strip().lower())
    return list((await session.exec(stmt)).all())


async def search_customers(session: AsyncSession, team_id: int, text: str, limit: int = 20) -> list[Customer]:
    """Substring search over name, company, aliases, phone and email ('%' and '_' match themselves)."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = f"%{escaped}%"
    stmt = (
        select(Customer)
        .where(Customer.team_id == team_id)
        .where(
            or_(
                func.lower(Customer.name).like(like, escape="\\"),
                func.lower(func.coalesce(Customer.company, "")).like(like, escape="\\"),
                func.lower(col(Customer.aliases)).like(like, escape="\\"),
                func.coalesce(Customer.phone, "").like(like, escape="\\"),
                func.lower(func.coalesce(Customer.email, "")).like(like, escape="\\"),
            )
        )
        .order_by(Customer.name)
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())


# --- interactions and tasks --------------------------------------------------------------------
async def add_interaction(session: AsyncSession, interaction: Interaction) -> Interaction:
    session.add(interaction)
    await session.flush()
    if interaction.customer_id is not None:
        await touch_customer(session, interaction.customer_id, interaction.occurred_at, interaction.risk)
    return interaction


async def insert_interaction(session: AsyncSession, values: dict) -> int:
    """add_interaction without an ORM instance (a note's hot path): the values as ``Interaction(**values)`` takes them; returns the new id."""
    from .messaging import insert_returning_ids, insert_rows, row_values

    reserved = (await raw(session)).take(INTERACTION_ID)
    if reserved:  # its id was read ahead (PostgreSQL: the row joins the held writes, no round trip of its own)
        new_id = reserved[0][0]
        await insert_rows(session, Interaction, [row_values(Interaction, id=new_id, **values)])
    else:
        (new_id,) = await insert_returning_ids(session, Interaction, [row_values(Interaction, **values)])
    if values.get("customer_id") is not None:
        await touch_customer(session, values["customer_id"], values["occurred_at"], values.get("risk") or [])
    return new_id


INTERACTION_ID = ("interaction_id",)  # Raw.ahead: an interaction id taken from its sequence ahead of the INSERT
INTERACTION_ID_SQL = "SELECT nextval(pg_get_serial_sequence('interaction', 'id'))"  # PostgreSQL


async def touch_customer(session: AsyncSession, customer_id: int, at: dt.datetime | None = None, risks: list[str] | None = None) -> None:
    """Keep what the daily scans read from the customer row instead of scanning interactions: contact
    count, first and last contact, the risks noted at the last contact.

    With `at` (a note just filed on the customer, carrying `risks`) the figures are moved on by that one
    note, no query; without it (a note removed or moved away) they are recounted from the interactions
    (the (customer_id, occurred_at) index; a few rows)."""
    customer = _loaded(session, customer_id) or await session.get(Customer, customer_id)
    if customer is None:
        return
    if at is not None and not inspect(customer).modified:
        await _moved_on_raw(session, customer, at, risks or [])
        return
    if at is not None:
        customer.contact_count = (customer.contact_count or 0) + 1
        if customer.first_contact_at is None or at < customer.first_contact_at:
            customer.first_contact_at = at
        if customer.last_contact_at is None or at > customer.last_contact_at:
            customer.last_contact_at, customer.last_risk = at, list(risks or [])
        elif at == customer.last_contact_at:
            customer.last_risk = [*customer.last_risk, *(r for r in risks or [] if r not in customer.last_risk)]
    else:
        count, first, last = (await session.exec(_CONTACTS, params={"customer_id": customer_id})).one()
        customer.contact_count = count or 0
        customer.first_contact_at = _aware(first)
        customer.last_contact_at = _aware(last)
        noted: list[str] = []
        if customer.last_contact_at is not None:
            for risk in (await session.exec(_RISKS_AT, params={"customer_id": customer_id, "at": customer.last_contact_at})).all():
                noted += [r for r in risk or [] if r not in noted]
        customer.last_risk = noted
    customer.updated_at = utcnow()
    session.add(customer)


def _loaded(session: AsyncSession, customer_id: int) -> Customer | None:
    """The customer this session has loaded already, without a trip through the async bridge (session.get's)."""
    found = session.identity_map.get(Session.identity_key(Customer, customer_id))
    return found if isinstance(found, Customer) and not inspect(found).expired_attributes else None


_TOUCH = "UPDATE customer SET contact_count = :count, first_contact_at = :first, last_contact_at = :last, last_risk = :risk, updated_at = :now WHERE id = :id"


async def _moved_on_raw(session: AsyncSession, customer: Customer, at: dt.datetime, risks: list[str]) -> None:
    """touch_customer's one-note case as one UPDATE on the driver, the loaded customer set to match without
    becoming dirty (a note's hot path: no unit-of-work flush for it at commit; later edits still flush)."""
    count = (customer.contact_count or 0) + 1
    first = at if customer.first_contact_at is None or at < customer.first_contact_at else customer.first_contact_at
    last, risk = customer.last_contact_at, list(customer.last_risk or [])
    if last is None or at > last:
        last, risk = at, list(risks)
    elif at == last:
        risk += [r for r in risks if r not in risk]
    now = utcnow()
    db = await raw(session)
    await db.execute(_TOUCH, {"count": count, "first": db.value(first), "last": db.value(last), "risk": _json_text(risk), "now": db.value(now), "id": customer.id})
    for name, value in (("contact_count", count), ("first_contact_at", first), ("last_contact_at", last), ("last_risk", risk), ("updated_at", now)):
        set_committed_value(customer, name, value)


_CONTACTS = select(func.count(Interaction.id), func.min(Interaction.occurred_at), func.max(Interaction.occurred_at)).where(Interaction.customer_id == bindparam("customer_id"))
_RISKS_AT = select(Interaction.risk).where(Interaction.customer_id == bindparam("customer_id"), Interaction.occurred_at == bindparam("at"))


def _aware(value):
    """min() over a UTC column comes back as the driver gives it (naive text on SQLite)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value


async def recent_interactions(session: AsyncSession, customer_id: int, limit: int = 5) -> list[Interaction]:
    stmt = select(Interaction).where(Interaction.customer_id == customer_id).order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc()).limit(limit)
    return list((await session.exec(stmt)).all())


async def last_interaction_by(session: AsyncSession, member_id: int) -> Interaction | None:
    stmt = select(Interaction).where(Interaction.author_id == member_id).order_by(col(Interaction.id).desc()).limit(1)
    return (await session.exec(stmt)).first()


async def set_member_language(session: AsyncSession, member: Member, language: str) -> None:
    """One UPDATE on the driver; the loaded member is set to match without becoming dirty (a member who
    mixes languages switches on many notes: no unit-of-work flush for it at each commit)."""
    await (await raw(session)).execute("UPDATE member SET language = :language WHERE id = :id", {"language": language, "id": member.id})
    set_committed_value(member, "language", language)


async def tasks_of_interaction(session: AsyncSession, interaction_id: int) -> list[Task]:
    return list((await session.exec(select(Task).where(Task.interaction_id == interaction_id))).all())


async def open_tasks(session: AsyncSession, assignee_id: int) -> list[Task]:
    # overdue first: by due date, undated last
    stmt = (
        select(Task)
        .where(Task.assignee_id == assignee_id, Task.status == "open")
        .order_by(col(Task.due_at).is_(None), col(Task.due_at), col(Task.id))
    )
    return list((await session.exec(stmt)).all())


async def open_tasks_of_customer(session: AsyncSession, customer_id: int) -> list[Task]:
    stmt = select(Task).where(Task.customer_id == customer_id, Task.status == "open").order_by(col(Task.due_at).is_(None), col(Task.due_at))
    return list((await session.exec(stmt)).all())


async def audit(
    session: AsyncSession,
    action: str,
    *,
    team_id: int | None = None,
    member_id: int | None = None,
    customer_id: int | None = None,
    platform: str | None = None,
    detail: str = "",
    at: dt.datetime | None = None,
) -> None:
    # a plain INSERT on the driver (storage/raw_sql.py), not an ORM object: nothing reads the row back in the
    # transaction, and building a model instance costs more than the insert (the hot path writes one per note)
    from .messaging import insert_rows

    values = dict(at=at or utcnow(), action=action, team_id=team_id, member_id=member_id, customer_id=customer_id, platform=platform, detail=detail[:500])
    await insert_rows(session, AuditLog, [values])
