"""The note's hot path (issue 17): statements on the driver connection keep every guarantee, and the open-question
lookup does not grow with history."""
from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError

from handlers import router
from storage import messaging
from storage.models import AuditLog, Customer, Inbox, Interaction, Member, Outbox, Prompt, Task

from .helpers import Person, rows, seed_team

CUSTOMERS = ({"name": "王伟", "company": "华为"}, {"name": "Acme Trading", "company": "Acme"})


async def test_a_note_writes_every_row_once_and_a_redelivery_nothing(app_any_db):
    app = app_any_db
    await seed_team(app, customers=CUSTOMERS)
    me = Person(app, "me")
    msg = me.message("拜访了王伟，客户投诉交货慢，下周三前发报价")
    first = await router.handle(msg, app.services)
    again = await router.handle(msg, app.services)
    assert "王伟" in first[0].text and again == []
    customer = (await rows(app, Customer, Customer.name == "王伟"))[0]
    assert customer.contact_count == 1 and customer.last_contact_at == msg.sent_at and customer.last_risk == ["complaint"]
    assert len(await rows(app, Interaction)) == 1
    assert [t.due_at is not None for t in await rows(app, Task) if t.text != "follow up"] == [True]
    assert [(a.action, a.customer_id) for a in await rows(app, AuditLog)] == [("note", customer.id)]
    assert [(i.key, i.status) for i in await rows(app, Inbox)] == [(msg.key, "handled")]
    outbox = await rows(app, Outbox)
    assert [o.key for o in outbox] == [f"reply:{msg.key}:0"] and outbox[0].due_at == app.services.clock()
    buttons = first[0].buttons[0]
    assert (await rows(app, Prompt))[0].id in buttons[0].payload


async def test_a_message_the_adapter_stored_first_is_marked_handled(app_any_db):
    app = app_any_db
    await seed_team(app, customers=CUSTOMERS)
    msg = Person(app, "me").message("called Acme Trading, wants a quote Friday")
    async with app.db.write() as session:
        await messaging.inbox_record(session, msg.key, msg.platform, msg.chat_id, msg.sender_id, {"text": msg.text})
    await router.handle(msg, app.services)
    (row,) = await rows(app, Inbox)
    assert row.status == "handled" and row.handled_at == app.services.clock()
    assert await router.handle(msg, app.services) == []
    assert len(await rows(app, Interaction)) == 1


async def test_a_duplicate_key_written_on_the_driver_is_sqlalchemys_integrity_error(app_any_db):
    """router.handle treats a racing duplicate by catching IntegrityError: the driver's own error must arrive as that."""
    app = app_any_db
    values = messaging.row_values(Inbox, key="k1", platform="console", chat_id="c", sender_id="s", payload={})
    async with app.db.write(quick=True) as session:
        await messaging.insert_rows(session, Inbox, [values])
    with pytest.raises(IntegrityError):
        async with app.db.write(quick=True) as session:
            await messaging.insert_rows(session, Inbox, [dict(values)])
    assert len(await rows(app, Inbox)) == 1


async def test_a_typed_question_is_still_answered_after_the_note_path_changes(app_any_db):
    app = app_any_db
    await seed_team(app, customers=CUSTOMERS)
    me = Person(app, "me")
    await me.say("拜访了一个新客户，下周三前发报价")
    await me.say("王伟")
    notes = await rows(app, Interaction)
    assert [n.status for n in notes] == ["filed"] and notes[0].customer_id == (await rows(app, Customer, Customer.name == "王伟"))[0].id
    assert not [p for p in await rows(app, Prompt) if p.kind == "name_customer" and p.status == "open"]


async def test_a_member_language_switch_is_stored_after_a_run_and_replies_follow_each_message(app_any_db):
    """Issue 17: the member's stored language (pushes) changes after a run of messages in the other language, not on
    every note; each reply is still in its message's language (tests/test_issue17_language.py: the details)."""
    app = app_any_db
    await seed_team(app, customers=CUSTOMERS)
    me = Person(app, "me")

    async def language() -> str:
        return (await rows(app, Member))[0].language

    assert "已记到" in (await me.say("拜访了王伟，下周三前发报价"))[0].text
    assert await language() == "zh"  # the first message heard decides
    assert "Follow-up" in (await me.say("called Acme Trading, wants a quote Friday"))[0].text
    assert "已记到" in (await me.say("给王伟打电话，他说明天再聊"))[0].text
    assert await language() == "zh"
    for text in ("called Acme Trading, wants a quote Friday", "met Acme Trading at the expo", "emailed Acme Trading the price list"):
        assert "已记到" not in (await me.say(text))[0].text
    assert await language() == "en"


def _lookup_steps(path: str, member_id: int, since: dt.datetime) -> int:
    """SQLite virtual-machine steps of the open-question lookup: the work it does, independent of the machine's speed."""
    conn = sqlite3.connect(path)
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    conn.set_progress_handler(count, 1)
    params = {"member_id": member_id, "platform": "console", "chat_id": "console:me", "since": since.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")}
    conn.execute(messaging._OPEN_TEXT_PROMPT, params).fetchall()
    conn.close()
    return steps


async def test_the_open_question_lookup_costs_the_same_after_100k_past_prompts(app, sqlite_url):
    seeded = await seed_team(app, customers=CUSTOMERS)
    member_id = seeded["members"]["me"].id
    since = app.services.clock() - dt.timedelta(minutes=30)
    path = sqlite_url.split("///", 1)[1]
    before = _lookup_steps(path, member_id, since)
    past = [
        messaging.row_values(Prompt, id=f"p{i}", member_id=member_id, platform="console", chat_id="console:me", kind=kind, status=status, data={}, created_at=app.services.clock())
        for i in range(100_000)
        for kind, status in [(("filed", "open"), ("name_customer", "answered"), ("change_date", "expired"), ("filed", "answered"))[i % 4]]
    ]
    async with app.db.write() as session:
        await messaging.insert_rows(session, Prompt, past)
    after = _lookup_steps(path, member_id, since)
    assert after == before
    plan = sqlite3.connect(path).execute("EXPLAIN QUERY PLAN " + messaging._OPEN_TEXT_PROMPT, {"member_id": 1, "platform": "", "chat_id": "", "since": ""}).fetchall()
    assert any("ix_prompt_open_text" in row[-1] for row in plan), plan
    # and the lookup still finds the one open question
    me = Person(app, "me")
    await me.say("拜访了一个新客户，下周三前发报价")
    async with app.db.read() as session:
        found = await messaging.prompt_open_in_chat(session, member_id, "console", "console:me", since)
    assert found is not None and found.kind == "name_customer"


async def test_a_note_waits_for_another_writers_lock_without_blocking_the_loop(app, sqlite_url):
    """A quick write finding SQLite's write lock held (another process mid-transaction) waits for it asynchronously:
    the loop runs the holder's release meanwhile, and the note is then filed whole."""
    await seed_team(app, customers=CUSTOMERS)
    me = Person(app, "me")
    await me.say("拜访了王伟，下周三前发报价")  # the quick engine's connection is open before the lock is taken
    hog = sqlite3.connect(sqlite_url.split("///", 1)[1], isolation_level=None)
    hog.execute("BEGIN IMMEDIATE")
    released = []

    async def release() -> None:  # runs only once the note yields the loop while it waits for the lock
        hog.execute("COMMIT")
        released.append(True)

    waiter = asyncio.ensure_future(release())
    replies = await router.handle(me.message("called Acme Trading, wants a quote Friday"), app.services)
    await waiter
    hog.close()
    assert released and "Acme" in replies[0].text
    assert len(await rows(app, Interaction)) == 2 and len(await rows(app, Inbox)) == 2
