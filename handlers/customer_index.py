"""One customer index per team, built from the database on first use and kept in step with writes.

Building an index computes pinyin and normalised forms for every customer, so it is done once,
not per note; a write that changes customers calls ``changed`` and the next note rebuilds it.
"""
from __future__ import annotations

from sqlmodel import select

from storage.db import Database
from storage.models import Customer

from .understanding.notes import CustomerRecord


def record_of(customer: Customer) -> CustomerRecord:
    return CustomerRecord(id=customer.id, name=customer.name, company=customer.company, aliases=tuple(customer.aliases or ()), owner=str(customer.owner_id) if customer.owner_id else None)


class CustomerIndexes:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._parsers: dict[int, object] = {}

    async def parser(self, team_id: int, session=None):
        """The NoteParser for a team (reads customers with the given session, or a fresh one)."""
        parser = self._parsers.get(team_id)
        if parser is None:
            from .understanding.matching import CustomerIndex
            from .understanding.notes import NoteParser

            if session is None:
                async with self.db.read() as fresh:
                    rows = (await fresh.exec(select(Customer).where(Customer.team_id == team_id))).all()
            else:
                rows = (await session.exec(select(Customer).where(Customer.team_id == team_id))).all()
            parser = NoteParser(CustomerIndex([record_of(c) for c in rows]))
            self._parsers[team_id] = parser
        return parser

    def changed(self, team_id: int) -> None:
        self._parsers.pop(team_id, None)
