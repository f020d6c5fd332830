"""One customer index per team, built from the database on first use and kept in step with writes.

Building an index computes pinyin and normalised forms for every customer (seconds at 100k customers), so it
is done once, not per note. A write that changes one customer calls ``upsert`` or ``remove``, which change
only that customer's keys; a write that changes many (an import) calls ``changed`` and the next note rebuilds.

Across processes (replicas, `crmbot import` beside the bot): each index remembers the team's customer
version it is current with (storage/team_versions.py, bumped in the same transaction as any change), and
``parser`` compares it with one primary-key read before each match; a stale index is rebuilt. This
process's own commits bump the version by exactly one, so an index patched by them stays current without
a rebuild. On PostgreSQL ``listen`` rebuilds a changed team's index as soon as the change is announced.
At most MAX_TEAMS indexes are kept (least recently used dropped first).

Transactions: pass the write session (``upsert(team_id, record, ctx.session)``) and the change is applied when
that session commits and dropped when it rolls back, so a rolled-back write leaves no phantom customer. An
index built inside a write transaction (it then sees that transaction's own rows) is dropped if the
transaction rolls back. Without a session the change is applied at once.
"""
from __future__ import annotations

import asyncio
import gc
import json
import logging
import sys
from collections import OrderedDict

from sqlalchemy import event

from storage.db import Database
from storage.raw_sql import raw
from storage import team_versions
from storage.models import Customer

from .understanding.notes import CustomerRecord

log = logging.getLogger(__name__)

_LISTENING = "crmbot_indexes_listening"
_STATE = "crmbot_indexes"  # session.info key: index changes waiting for the commit, hooks for a rollback
MAX_TEAMS = 32  # indexes kept at once
MAX_CUSTOMERS = 120_000  # customers indexed at once over all teams (~2.5 KB each held): 1M customers over 91 teams, ~360 MB
FREEZE_AT = 10_000  # an index this large is frozen out of the collector's passes after its build (_built_quietly)


def record_of(customer: Customer) -> CustomerRecord:
    return CustomerRecord(id=customer.id, name=customer.name, company=customer.company, aliases=tuple(customer.aliases or ()), owner=str(customer.owner_id) if customer.owner_id else None)


_RECORD_COLUMNS = (Customer.id, Customer.name, Customer.company, Customer.aliases, Customer.owner_id)


# the columns of _RECORD_COLUMNS read on the driver connection: at 100k customers SQLAlchemy's rows cost ~1.2 s of
# CPU more than the database's ~0.1 s (names and companies are never encrypted; aliases are JSON text)
# (no aliases, the usual case, read as NULL: no '[]' string made per row only to be dropped)
_RECORDS_SQL = "SELECT id, name, company, NULLIF(aliases, '[]'), owner_id FROM customer WHERE team_id = :team_id"


async def _records(session, team_id: int) -> list[CustomerRecord]:
    return _records_of_rows(await (await raw(session)).rows(_RECORDS_SQL, {"team_id": team_id}))


def _records_of_rows(rows) -> list[CustomerRecord]:
    """record_of for rows of _RECORD_COLUMNS (aliases: a list, or the column's JSON text as the driver returns it).
    Repeated strings (owners, common names, shared companies) are kept once, and what repeats across rows (an
    owner's id as text, an aliases column's JSON) is worked out once: at 100k customers this loop was most of the
    read."""
    intern = sys.intern
    owners: dict = {}
    aliases_of: dict[str, tuple] = {"": (), "[]": ()}
    out = []
    append = out.append
    for id_, name, company, aliases, owner_id in rows:
        if isinstance(aliases, str):
            held = aliases_of.get(aliases)
            if held is None:
                held = aliases_of[aliases] = tuple(json.loads(aliases) or ())
            aliases = held
        else:
            aliases = tuple(aliases or ())
        if owner_id:
            owner = owners.get(owner_id)
            if owner is None:
                owner = owners[owner_id] = intern(str(owner_id))
        else:
            owner = None
        append(CustomerRecord(id_, intern(name) if name else name, intern(company) if company else company, aliases, owner))
    return out


def _size(parser) -> int:
    try:
        return len(parser.index)
    except Exception:
        return 0


def _built_quietly(build, customers: int):
    """Build an index with the cyclic collector paused (the build makes millions of objects: each threshold crossed
    would start a pass over a growing heap). A large index is then moved into the permanent generation
    (gc.freeze): later collections, between notes, no longer traverse it. No garbage cycle may be frozen with it:
    the full collection that ensures this runs just before the build, over the heap without the new index (at
    100k customers a third of the objects it would traverse after; the build itself leaves no cycles behind:
    its transient keys and lists are freed by their reference counts)."""
    freeze = customers >= FREEZE_AT
    if freeze:
        gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return build()
    finally:
        if was_enabled:
            gc.enable()
        if freeze:
            gc.freeze()


def _sync_session(session):
    """The ORM Session behind an AsyncSession (or the session itself when it is a plain one)."""
    return getattr(session, "sync_session", session)


def _in_transaction(session) -> bool:
    try:
        return bool(session.in_transaction())
    except Exception:
        return False


class CustomerIndexes:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._parsers: OrderedDict[int, object] = OrderedDict()  # least recently used first
        self._built: dict[int, int] = {}  # the team's customer version each index is current with
        self._versions: dict[int, int] = {}  # bumped by every change: a build that raced one is not cached
        self.builds = 0  # how many indexes were built (for tests and logs)

    async def parser(self, team_id: int, session=None):
        """The NoteParser for a team (reads customers with the given session, or a fresh one)."""
        parser = self._parsers.get(team_id)
        if parser is not None:
            if session is None:
                async with self.db.read() as fresh:
                    stored = await team_versions.current(fresh, team_id)
            else:
                stored = await team_versions.current(session, team_id)
            if stored == self._built.get(team_id) and team_id in self._parsers:  # (dropped during the read: drop_all after another note failed)
                self._parsers.move_to_end(team_id)
                return parser
            self._drop_if(team_id, parser)  # another process changed the team's customers
            parser = None
        if parser is None:
            from .understanding.matching import CustomerIndex, _get_t2s
            from .understanding.notes import NoteParser

            version = self._versions.get(team_id, 0)
            # only the columns a record needs, as plain rows: at 100k customers, ORM instances (every column,
            # contacts decrypted) cost seconds and ~150 MB of heap the process keeps after the build
            # the version before the rows: a change landing in between only makes the next note rebuild
            if session is None:
                async with self.db.read() as fresh:
                    stored = await team_versions.current(fresh, team_id)
                    records = await _records(fresh, team_id)
            else:
                stored = await team_versions.current(session, team_id)
                records = await _records(session, team_id)
            _get_t2s()  # (its first call imports opencc: before the collection that precedes a large build)
            parser = _built_quietly(lambda: NoteParser(CustomerIndex(records)), len(records))
            del records
            self.builds += 1
            if self._versions.get(team_id, 0) != version:
                return parser  # a change landed while we read: good enough for this note, not to keep
            if team_id in self._parsers:
                return self._parsers[team_id]  # built meanwhile by another note
            self._parsers[team_id] = parser
            self._built[team_id] = stored
            self._evict(keep=team_id)
            if session is not None and _in_transaction(session):
                # it may hold this transaction's uncommitted customers: forget it if they never land
                self._on_rollback(session, lambda: self._drop_if(team_id, parser))
        return parser

    def _evict(self, keep: int) -> None:
        """Least recently used indexes out until at most MAX_TEAMS and MAX_CUSTOMERS are held (never `keep`)."""
        held = sum(_size(p) for p in self._parsers.values())
        for team_id in list(self._parsers):
            if len(self._parsers) <= MAX_TEAMS and held <= MAX_CUSTOMERS:
                break
            if team_id != keep:
                held -= _size(self._parsers.pop(team_id))

    # ---- keeping in step ----------------------------------------------------------------------------------------
    def upsert(self, team_id: int, record: CustomerRecord, session=None) -> None:
        """A customer was added or changed (name, company, aliases, owner)."""
        self._apply_later_or_now(team_id, "upsert", record, session)

    def remove(self, team_id: int, customer_id, session=None) -> None:
        """A customer was deleted (or merged away)."""
        self._apply_later_or_now(team_id, "remove", customer_id, session)

    def changed(self, team_id: int, session=None) -> None:
        """Many customers changed: drop the team's index; the next note rebuilds it."""
        self._bump(team_id)
        self._parsers.pop(team_id, None)
        if session is not None and _in_transaction(session):
            self._on_rollback(session, lambda: self._parsers.pop(team_id, None))

    def drop_all(self) -> None:
        for team_id in list(self._parsers):
            self.changed(team_id)

    def _apply_later_or_now(self, team_id: int, op: str, arg, session) -> None:
        if session is None or not _in_transaction(session):
            self._apply(team_id, op, arg)
            return
        _state(session)["pending"].append((self, team_id, op, arg))

    def _apply(self, team_id: int, op: str, arg) -> None:
        self._bump(team_id)
        parser = self._parsers.get(team_id)
        if parser is None:
            return  # not built yet: the build will read the change from the database
        try:
            if op == "upsert":
                parser.index.add(arg)
            else:
                parser.index.remove(arg)
        except Exception:
            log.exception("index %s for team %s failed; rebuilding", op, team_id)
            self._parsers.pop(team_id, None)

    def _bump(self, team_id: int) -> None:
        self._versions[team_id] = self._versions.get(team_id, 0) + 1

    def _drop_if(self, team_id: int, parser) -> None:
        if self._parsers.get(team_id) is parser:
            del self._parsers[team_id]

    def _committed(self, team_id: int, version: int | None) -> None:
        """This process's commit bumped the team to `version` (None: no indexed column changed)."""
        if version is None:
            return
        if self._built.get(team_id) == version - 1:
            self._built[team_id] = version  # the index has this very change, and nothing else missed
        else:
            self._parsers.pop(team_id, None)  # someone else's change came in between: rebuild

    async def refresh(self, team_id: int) -> None:
        """Rebuild a held team's index now if it is stale (on a change announced by another process)."""
        if team_id in self._parsers:
            await self.parser(team_id)

    async def listen(self, db_url: str, listening: asyncio.Event | None = None) -> None:
        """PostgreSQL: rebuild indexes as soon as another process announces a change (LISTEN); runs
        until cancelled, reconnecting when the connection drops. The check before each match stays
        the guarantee; this only saves the next note the rebuild."""
        import psycopg
        from sqlalchemy.engine import make_url

        dsn = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {team_versions.CHANNEL}")
                    if listening is not None:
                        listening.set()
                    async for note in conn.notifies():
                        if note.payload.isdigit():
                            await self.refresh(int(note.payload))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("customer index: listening failed (%r); again in 5 s", exc)
                await asyncio.sleep(5)

    @staticmethod
    def _on_rollback(session, fn) -> None:
        _state(session)["on_rollback"].append(fn)


def _state(session) -> dict:
    """What waits for this session's commit or rollback (listeners registered once per transaction)."""
    sync = _sync_session(session)
    state = sync.info.get(_STATE)
    if state is None:
        state = sync.info[_STATE] = {"pending": [], "on_rollback": []}
    if not sync.info.get(_LISTENING):  # once per session; the listeners do nothing when nothing waits
        sync.info[_LISTENING] = True
        event.listen(sync, "after_commit", _after_commit)
        event.listen(sync, "after_soft_rollback", _after_rollback)
    return state


def _after_commit(sync) -> None:
    state = _done(sync)
    bumped = sync.info.get(team_versions.BUMPED) or {}
    seen = set()
    for indexes, team_id, op, arg in state["pending"]:
        indexes._apply(team_id, op, arg)
        if (id(indexes), team_id) not in seen:
            seen.add((id(indexes), team_id))
    for indexes, team_id, _op, _arg in state["pending"]:
        if (id(indexes), team_id) in seen:
            seen.discard((id(indexes), team_id))
            indexes._committed(team_id, bumped.get(team_id))


def _after_rollback(sync, previous_transaction=None) -> None:
    state = _done(sync)
    for indexes, team_id, _op, _arg in state["pending"]:
        # a savepoint may have undone only part of the work: rebuild rather than guess what survived
        indexes._bump(team_id)
        indexes._parsers.pop(team_id, None)
    for fn in state["on_rollback"]:
        try:
            fn()
        except Exception:
            log.exception("index rollback hook failed")


def _done(sync) -> dict:
    return sync.info.pop(_STATE, None) or {"pending": [], "on_rollback": []}
