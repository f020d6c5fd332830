"""A team's customer version: bumped once in the same transaction as any change to what the customer
index reads (a customer added, removed, renamed, re-owned, its company or aliases changed), so every
process can tell, with one primary-key read, whether the index it holds is still the database's.

ORM changes are found by a `before_flush` listener; bulk Core writes (the importer's INSERTs) call
`customers_changed(session, team_id)`. At commit the marked teams are bumped with one UPDATE each
(RETURNING the new version, kept in ``session.info[BUMPED]`` for the committing process's own index)
and, on PostgreSQL, announced with pg_notify (delivered to listeners when the transaction commits).
"""
from __future__ import annotations

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session

from .models import Customer

CHANNEL = "crmbot_customers"  # NOTIFY payload: the team id
BUMPED = "crmbot_customer_versions"  # session.info: {team_id: version} bumped by the last commit
_CHANGED = "crmbot_customers_changed"  # session.info: teams whose customers this transaction changed
_INDEXED = ("name", "company", "aliases", "owner_id", "team_id")


def customers_changed(session, team_id: int) -> None:
    """Mark a change the ORM cannot see (a Core INSERT/UPDATE/DELETE of customers)."""
    getattr(session, "sync_session", session).info.setdefault(_CHANGED, set()).add(team_id)


async def current(session, team_id: int) -> int:
    from .raw_sql import raw  # on the driver: this read comes before every note's match (issue 17)

    db = await raw(session)
    if team_id in db.team_versions:  # read with the team in this transaction (crm.member_and_team_by_identity)
        return db.team_versions[team_id]
    found = await db.one("SELECT customer_version FROM team WHERE id = :t", {"t": team_id})
    return (found[0] if found else 0) or 0


@event.listens_for(Session, "before_flush")
def _find_changes(session, _context, _instances) -> None:
    teams: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Customer) and obj.team_id is not None:
            teams.add(obj.team_id)
    for obj in session.deleted:
        if isinstance(obj, Customer) and obj.team_id is not None:
            teams.add(obj.team_id)
    for obj in session.dirty:
        if isinstance(obj, Customer):
            attrs = inspect(obj).attrs
            if any(attrs[name].history.has_changes() for name in _INDEXED):
                teams.add(obj.team_id)
                teams.update(t for t in attrs["team_id"].history.deleted if isinstance(t, int))  # moved away from there
    if teams:
        session.info.setdefault(_CHANGED, set()).update(teams)


@event.listens_for(Session, "before_commit")
def _bump(session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit flushes after this hook: flush now so the listener above sees everything
    teams = sorted(session.info.pop(_CHANGED, ()))
    bumped = {}
    postgres = session.get_bind().dialect.name == "postgresql"
    for team_id in teams:  # in id order: two transactions bumping the same teams never deadlock
        version = session.execute(text("UPDATE team SET customer_version = customer_version + 1 WHERE id = :t RETURNING customer_version"), {"t": team_id}).scalar()
        if version is not None:
            bumped[team_id] = version
            if postgres:
                session.execute(text("SELECT pg_notify(:c, :t)"), {"c": CHANNEL, "t": str(team_id)})
    session.info[BUMPED] = bumped


@event.listens_for(Session, "after_soft_rollback")
def _forget(session, _previous) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(BUMPED, None)
