"""Copies of what people wrote are not kept longer than they are useful.

The CRM record is the interaction (the note) itself. The inbox keeps each incoming message's key
and status for ever (that is what makes redelivery a no-op) but its text only until it has been
handled for RETENTION; the outbox keeps each sent message's key, kind and status, but its text
(a customer card may carry a phone number) only as long. Failed and pending rows keep everything,
so nothing unsent is ever lost.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from storage import attachments
from storage.models import Inbox, Outbox

RETENTION = dt.timedelta(days=30)
REDACTED_INBOX = {"redacted": True}
REDACTED_OUTBOX = {"text": "", "redacted": True}


async def scan(app, now: dt.datetime, memo=None) -> int:
    if memo is not None and not memo.todo("retention", 0, now.date()):
        return 0
    cutoff = now - RETENTION
    inbox, outbox = Inbox.__table__, Outbox.__table__
    async with app.db.write() as session:
        connection = await session.connection()
        await connection.execute(
            update(inbox)
            .where(inbox.c.status == "handled", inbox.c.received_at < cutoff, inbox.c.payload != REDACTED_INBOX)
            .values(payload=REDACTED_INBOX)
        )
        await connection.execute(
            update(outbox)
            .where(outbox.c.status == "sent", outbox.c.sent_at < cutoff, outbox.c.body != REDACTED_OUTBOX)
            .values(body=REDACTED_OUTBOX)
        )
        await attachments.prune(session, cutoff)  # charts no unsent message needs any more
    if memo is not None:
        memo.done("retention", 0, now.date())
    return 0
