"""Charts travel in the database: a weekly digest with its chart queued on one replica is sent by another
whose data dir is elsewhere (no file of the first's exists there), through the real Telegram sender."""
from __future__ import annotations

from bot.wiring import build_app
from storage import attachments
from storage.models import Attachment
from tests.conftest import make_settings
from tests.fakes.telegram_world import World, fake_telegram, telegram_app  # noqa: F401
from tests.helpers import seed_team
from tests.reminders_fixtures import add_note, at, move_identity, outbox, run_tick

PNG = b"\x89PNG\r\n\x1a\n"


async def test_a_chart_queued_on_one_replica_is_sent_by_another_with_a_different_data_dir(fake_telegram, db_url, tmp_path, clock):
    scheduler_replica = build_app(make_settings(db_url, tmp_path / "replica-a"), clock=clock, migrate=False)
    sending_replica = telegram_app(fake_telegram, db_url, tmp_path / "replica-b", clock)
    world = World(fake_telegram, sending_replica, clock)
    try:
        seeded = await seed_team(scheduler_replica, [("boss", "manager"), ("li", "rep", "boss")], [{"name": "Acme", "owner": "li"}])
        await move_identity(scheduler_replica, seeded["members"]["boss"], "telegram", "2001")
        await add_note(scheduler_replica, seeded["team"], seeded["members"]["li"], seeded["customers"]["Acme"], when=clock())
        clock.set(at(2027, 3, 8, 9, 0))  # the next Monday: the weekly digest, with its chart
        await run_tick(scheduler_replica, clock)  # replica A queues (its delivery never runs here)
        [digest] = [row for row in await outbox(scheduler_replica, "digest") if "Weekly" in row.body["text"]]
        assert attachments.is_ref(digest.body["image_path"])  # the row names an attachment, not a path
        assert not [p for p in tmp_path.rglob("*.png")]  # no chart file on any host's disk

        await world.start()
        await sending_replica.deliverer.drain()  # replica B sends it (console pushes wait: B serves Telegram only)

        [photo] = fake_telegram.called("sendPhoto")
        assert photo.params["chat_id"] == "2001" and photo.files["photo"][1][:8] == PNG
        assert {row.status for row in await outbox(scheduler_replica, "digest") if row.chat_id == "2001"} == {"sent"}
    finally:
        await world.stop()
        await sending_replica.close()
        await scheduler_replica.close()


async def test_a_pruned_chart_fails_its_row_for_good_with_a_line_saying_so(fake_telegram, db_url, tmp_path, clock):
    """An attachment gone from the database (pruned, or deleted by hand) is no reason to retry for 12 hours."""
    from chat.messages import Outgoing
    from storage import messaging
    from storage.models import Outbox

    replica = telegram_app(fake_telegram, db_url, tmp_path, clock)
    world = World(fake_telegram, replica, clock)
    try:
        async with replica.db.write() as session:
            ref = await attachments.store(session, "weekly.png", "image/png", PNG)
            await messaging.outbox_add(session, Outbox(key="digest:x", kind="digest", platform="telegram", chat_id="2001", body=Outgoing("Weekly", image_path=ref).to_body(), due_at=clock()))
        async with replica.db.write() as session:
            await session.delete(await session.get(Attachment, int(ref.split(":")[1])))
        await world.start()
        await world.deliver()
        [row] = await outbox(replica)
        assert row.status == "failed" and "attachment missing" in (row.last_error or "")
        assert not fake_telegram.called("sendPhoto")
    finally:
        await world.stop()
        await replica.close()


async def test_retention_drops_old_charts_but_keeps_those_an_unsent_message_still_carries(app_any_db, clock):
    import datetime as dt

    from chat.messages import Outgoing
    from reminders import retention
    from storage import messaging
    from storage.models import Outbox

    async with app_any_db.db.write() as session:
        refs = {name: await attachments.store(session, f"{name}.png", "image/png", PNG) for name in ("sent", "failed", "orphan")}
        for name in ("sent", "failed"):
            await messaging.outbox_add(session, Outbox(key=f"digest:{name}", kind="digest", platform="console", chat_id="c", body=Outgoing("Weekly", image_path=refs[name]).to_body(), status=name, due_at=clock(), sent_at=clock() if name == "sent" else None))
    now = dt.datetime.now(dt.timezone.utc) + retention.RETENTION + dt.timedelta(days=1)  # attachments are stamped with the wall clock
    await retention.scan(app_any_db, now)
    async with app_any_db.db.read() as session:
        kept = await attachments.load(session, list(refs.values()))
    assert set(kept) == {refs["failed"]}  # `crmbot outbox retry` can still send it
