"""Model instances from rows read on the transaction's raw driver connection (raw_sql.Raw), attached to the
session as if a query had loaded them: the note's hot-path reads (the member and team behind a message, the
note's customer), where the ORM's statement, loading and identity machinery cost far more than the read.

Each column's value goes through its type's result processing for the session's dialect (UTC datetimes, JSON,
encrypted text decrypted with the dialect's cipher), exactly as a query would return it. The instance then
joins the session persistent and unchanged, as a query's load leaves it (its identity key, then the identity map):
what a handler changes on it is flushed as an UPDATE like any loaded object's. An instance already in the
session's identity map is returned as it is (never a second copy of a row).
"""
from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlalchemy import inspect
from sqlalchemy.orm import attributes, configure_mappers

from .raw_sql import raw

M = TypeVar("M")


class Plain(Generic[M]):
    """How to read one model's rows: its columns (in table order) as `alias`."col" (or bare, no alias: for
    RETURNING), and how to make them instances."""

    def __init__(self, model: type[M], alias: str) -> None:
        self.model = model
        self.mapper = inspect(model)
        self.columns = list(model.__table__.columns)  # type: ignore[attr-defined]
        self.keys = [self.mapper.get_property_by_column(c).key for c in self.columns]
        self.select_list = ", ".join(f'{alias}."{c.name}"' if alias else f'"{c.name}"' for c in self.columns)
        self.width = len(self.columns)
        self._pk = [self.columns.index(c) for c in self.mapper.primary_key]
        self._processors: dict[Any, list] = {}
        self._configured = False

    def _procs(self, dialect) -> list:
        procs = self._processors.get(dialect)
        if procs is None:
            procs = self._processors[dialect] = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in self.columns]
        return procs

    def attach(self, session, values: tuple | list) -> M:
        """The instance of this row in the session (the one it holds already, or a new persistent one)."""
        sync = session.sync_session
        key = self.mapper.identity_key_from_primary_key([values[i] for i in self._pk])
        held = sync.identity_map.get(key)
        if held is not None:
            return held
        if not self._configured:  # a process whose first ORM use this is (no query has configured the mappers yet)
            configure_mappers()
            self._configured = True
        instance = self.mapper.class_manager.new_instance()
        state = attributes.instance_state(instance)
        for name, proc, value in zip(self.keys, self._procs(sync.get_bind().dialect), values, strict=True):
            state.dict[name] = proc(value) if proc is not None else value
        # as a query's load leaves it: persistent in the identity map, no history, relationships left to load
        # when read (make_transient_to_detached and Session.add did the same through cascades and checks that
        # cost more than the row's read)
        state.key = key
        sync._update_impl(state)
        return instance


async def get(session, plain: Plain[M], table: str, id_: int) -> M | None:
    """Session.get for a hot path: the identity map, else one row by primary key on the raw connection."""
    key = plain.mapper.identity_key_from_primary_key([id_])
    held = session.sync_session.identity_map.get(key)
    if held is not None:
        return held
    row = await (await raw(session)).one(f"SELECT {plain.select_list} FROM {table} AS t WHERE t.id = :id", {"id": id_})
    return plain.attach(session, row) if row is not None else None
