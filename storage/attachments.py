"""Files that outgoing messages carry (a weekly digest's chart), kept in the database so that any
replica can send them, whatever its working directory or data dir.

An outbox body names one as "attachment:<id>" where a file path used to be (Outgoing.image_path /
file_path). Senders hold no database session, so the Deliverer loads a row's attachments before
handing the row to its sender (`provided`) and the sender reads them with `read`. A plain path (a row
queued before attachments moved into the database) is still read from disk.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import col, select

from .models import Attachment, Outbox

PREFIX = "attachment:"
UNSENT = ("pending", "sending", "failed")  # rows that may still need their attachment


@dataclass(frozen=True)
class File:
    name: str
    data: bytes


class AttachmentMissing(LookupError):
    """Neither the database nor the disk has it (pruned, or a path on another host)."""


def is_ref(value: str | None) -> bool:
    return bool(value) and str(value).startswith(PREFIX)


def _id(ref: str) -> int | None:
    tail = ref[len(PREFIX):]
    return int(tail) if tail.isdigit() else None


async def store(session, name: str, content_type: str, data: bytes) -> str:
    """Keep the file in this transaction (with the outbox row that will carry it); its reference."""
    row = Attachment(name=name, content_type=content_type, data=data)
    session.add(row)
    await session.flush()
    return f"{PREFIX}{row.id}"


async def load(session, refs: list[str]) -> dict[str, File]:
    """The files behind these references; a missing one is left out (read() then says so)."""
    ids = [i for i in (_id(r) for r in refs if is_ref(r)) if i is not None]
    if not ids:
        return {}
    rows = (await session.exec(select(Attachment.id, Attachment.name, Attachment.data).where(col(Attachment.id).in_(ids)))).all()
    return {f"{PREFIX}{id_}": File(name, bytes(data)) for id_, name, data in rows}


_provided: contextvars.ContextVar[dict[str, File]] = contextvars.ContextVar("attachments_provided", default={})


@contextlib.contextmanager
def provided(files: dict[str, File]) -> Iterator[None]:
    """While a row is being sent: its loaded attachments, for read() in the sender (a context
    variable, so concurrent sends of other rows see only their own, threads included)."""
    token = _provided.set(files)
    try:
        yield
    finally:
        _provided.reset(token)


def read(ref: str) -> File:
    """An attachment's name and bytes: the one the Deliverer loaded, or a file on this host."""
    if is_ref(ref):
        found = _provided.get().get(ref)
        if found is None:
            raise AttachmentMissing(f"attachment missing: {ref}")
        return found
    try:
        with open(ref, "rb") as handle:
            return File(os.path.basename(ref), handle.read())
    except OSError as exc:
        raise AttachmentMissing(f"file missing: {ref}") from exc


async def prune(session, before: dt.datetime) -> int:
    """Delete attachments made before `before` that no unsent outbox row (pending, sending, failed)
    still names; sent rows' bodies are redacted by then anyway (reminders/retention.py)."""
    old = list((await session.exec(select(Attachment.id).where(Attachment.created_at < before))).all())
    if not old:
        return 0
    bodies = (await session.exec(select(Outbox.body).where(col(Outbox.status).in_(UNSENT)))).all()
    needed = {_id(v) for body in bodies for v in (body.get("image_path"), body.get("file_path")) if is_ref(v)}
    doomed = [i for i in old if i not in needed]
    if doomed:
        await (await session.connection()).execute(delete(Attachment.__table__).where(Attachment.__table__.c.id.in_(doomed)))
    return len(doomed)
