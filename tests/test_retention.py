"""Copies of messages lose their text after the retention period; keys, statuses and unsent rows stay."""
from __future__ import annotations


from sqlmodel import select

from handlers import router
from reminders.scheduler import tick
from storage.models import Inbox, Interaction, Outbox

from .helpers import Person, seed_team


async def test_old_copies_are_redacted_but_the_note_and_the_keys_stay(app_any_db, clock):
    app = app_any_db
    await seed_team(app, customers=[{"name": "王伟", "owner": "me", "phone": "13912345678"}])
    me = Person(app, "me")
    old = me.message("/customer 王伟")
    await router.handle(old, app.services)
    await me.say("called Wang, wants quote Friday")
    async with app.db.write() as session:  # the card went out; a later reply failed for good
        rows = (await session.exec(select(Outbox).order_by(Outbox.id))).all()
        rows[0].status, rows[0].sent_at = "sent", clock()
        rows[-1].status = "failed"
        session.add_all([rows[0], rows[-1]])

    clock.advance(days=31)
    await me.say("/tasks")  # a fresh message, inside the retention period
    await tick(app, clock())

    async with app.db.read() as session:
        inbox = {r.key: r for r in (await session.exec(select(Inbox))).all()}
        outbox = (await session.exec(select(Outbox).order_by(Outbox.id))).all()
        notes = (await session.exec(select(Interaction))).all()
    assert inbox[old.key].payload == {"redacted": True} and inbox[old.key].status == "handled"
    assert "13912345678" not in str(outbox[0].body) and outbox[0].status == "sent"
    failed = next(r for r in outbox if r.status == "failed")
    assert failed.body["text"]  # nothing unsent loses its text
    assert notes[0].text == "called Wang, wants quote Friday"  # the CRM record itself stays
    recent = [r for r in inbox.values() if r.payload.get("text") == "/tasks"]
    assert len(recent) == 1
    assert await router.handle(old, app.services) == []  # the key still makes a redelivery a no-op
