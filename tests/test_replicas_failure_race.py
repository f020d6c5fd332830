"""A replica whose handling of a message failed (slow, under load) while another replica took the message
over and filed it (issue 18; found by the fleet test at load 12: one inbox row 'failed' though its note
was filed): the failure is not recorded over the handled row, and the user is not told of an error."""
from __future__ import annotations

from sqlmodel import select

from bot.wiring import build_app
from chat.messages import Incoming, Outgoing
from handlers import router
from storage import messaging
from storage.models import Inbox, Interaction, Outbox
from tests.conftest import make_settings
from tests.helpers import seed_team


async def test_a_failure_after_another_replica_handled_the_message_is_dropped(db_url, tmp_path):
    apps = [build_app(make_settings(db_url, tmp_path / str(n)), migrate=False) for n in range(2)]
    slow, other = apps
    try:
        await seed_team(slow, members=(("li", "admin"),), customers=({"name": "王伟"},), platform="telegram")
        msg = Incoming(platform="telegram", chat_id="chat-1", chat_kind="private", sender_id="li", sender_name="li", text="给王伟打了电话，聊了订单", message_id="1", sent_at=slow.services.clock())
        async with slow.db.write() as session:  # stored by the adapter before its ack
            await messaging.inbox_record(session, msg.key, msg.platform, msg.chat_id, msg.sender_id, {"text": msg.text})
        assert await router.handle(msg, other.services)  # the other replica took it over and filed it
        assert await router._record_failure(msg, slow.services, [Outgoing("出错了")]) is None  # the slow one's failure comes after
        async with slow.db.read() as session:
            statuses = (await session.exec(select(Inbox.status))).all()
            replies = [row.key for row in (await session.exec(select(Outbox))).all()]
            filed = (await session.exec(select(Interaction.id))).all()
        assert statuses == ["handled"] and len(filed) == 1
        assert replies and not [key for key in replies if ":failed:" in key], replies
    finally:
        for app in apps:
            await app.close()


async def test_a_failure_of_a_message_nobody_handled_is_still_kept(db_url, tmp_path):
    app = build_app(make_settings(db_url, tmp_path), migrate=False)
    try:
        await seed_team(app, members=(("li", "admin"),), platform="telegram")
        msg = Incoming(platform="telegram", chat_id="chat-1", chat_kind="private", sender_id="li", sender_name="li", text="x", message_id="2", sent_at=app.services.clock())
        async with app.db.write() as session:
            await messaging.inbox_record(session, msg.key, msg.platform, msg.chat_id, msg.sender_id, {"text": msg.text})
        assert await router._record_failure(msg, app.services, [Outgoing("出错了")]) is True
        async with app.db.read() as session:
            assert (await session.exec(select(Inbox.status))).all() == ["failed"]
            assert [row.key for row in (await session.exec(select(Outbox))).all()] == [f"reply:{msg.key}:failed:0"]
    finally:
        await app.close()


async def test_a_note_whose_replica_had_no_connection_free_in_time_is_filed_on_a_second_try(db_url, tmp_path, monkeypatch):
    """An overloaded replica (the fleet test at load 13): a note's transaction waited the pool's 30 s for a
    connection and gave up. Nothing was written, so the router tries again instead of failing the note."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    app = build_app(make_settings(db_url, tmp_path), migrate=False)
    try:
        await seed_team(app, members=(("li", "admin"),), customers=({"name": "王伟"},), platform="telegram")
        msg = Incoming(platform="telegram", chat_id="chat-1", chat_kind="private", sender_id="li", sender_name="li", text="给王伟打了电话，聊了订单", message_id="3", sent_at=app.services.clock())
        async with app.db.write() as session:
            await messaging.inbox_record(session, msg.key, msg.platform, msg.chat_id, msg.sender_id, {"text": msg.text})
        once, tries = router._once, []

        async def busy_first(*args, **kwargs):
            tries.append(1)
            if len(tries) == 1:
                raise PoolTimeout("QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00")
            return await once(*args, **kwargs)

        monkeypatch.setattr(router, "_once", busy_first)
        replies = await router.handle(msg, app.services)
        assert replies and "王伟" in replies[0].text and len(tries) == 2
        async with app.db.read() as session:
            assert (await session.exec(select(Inbox.status))).all() == ["handled"]
            assert len((await session.exec(select(Interaction.id))).all()) == 1
    finally:
        await app.close()
