"""GET /metrics on the health port (bot/metrics.py): real HTTP scrapes of a running HealthServer while a
note is filed and its reply delivered, a 429 and a refusal met, and leases taken and let go; the
outbox figures come from the database on the injected clock. SQLite and PostgreSQL."""
from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.health import HealthServer
from bot.wiring import build_app
from reminders.delivery import PermanentFailure, RetryLater
from storage.leases import Leases
from storage.models import Outbox
from tests.conftest import make_settings
from tests.helpers import Person, seed_team
from tests.reminders_fixtures import record


async def _scrape(port: int) -> tuple[str, dict[tuple[str, tuple], float]]:
    """(content type, {(sample name, sorted labels): value})."""
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as response:
        assert response.status == 200
        body = await response.text()
        samples = {}
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return response.headers["Content-Type"], samples


def _value(samples: dict, name: str, **labels) -> float:
    """A sample's value; 0 for a labelled counter not counted yet (prometheus shows no series until then)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def _queue(app, key: str, chat_id: str) -> None:
    async with app.db.write() as session:
        session.add(Outbox(key=key, kind="reminder", platform="telegram", chat_id=chat_id, body={"text": key}, due_at=app.services.clock()))


async def test_metrics_follow_a_filed_note_its_delivery_a_429_and_a_refusal(db_url, tmp_path, clock):
    app = build_app(make_settings(db_url, tmp_path, health_port=0), clock=clock, migrate=False)
    team = await seed_team(app, members=(("1001", "admin"),), customers=[{"name": "王伟", "company": "Acme"}], platform="telegram")

    def fail(row):
        if row.key == "k-429":
            raise RetryLater(30, "telegram 429: retry after 30")
        if row.key == "k-blocked":
            raise PermanentFailure("403 bot was blocked by the user")

    sent = record(app, clock, "telegram", fail=fail)
    server = HealthServer(app, 0, "127.0.0.1")
    await server.start()
    try:
        content_type, before = await _scrape(server.port or 0)
        assert content_type.startswith("text/plain; version=0.0.4")
        assert _value(before, "crmbot_notes_filed_total", status="filed") == 0
        assert _value(before, "crmbot_parse_seconds_count") == 0
        assert _value(before, "crmbot_outbox_due", platform="telegram") == 0  # a sender's platform is shown at 0
        assert _value(before, "crmbot_database_up") == 1

        person = Person(app, "1001", platform="telegram", chat_id="1001")
        replies = await person.say("给王伟打了电话，下周三发报价")
        assert replies and "王伟" in replies[0].text
        clock.advance(seconds=90)  # the reply waited a minute and a half in the outbox
        _, waiting = await _scrape(server.port or 0)
        assert _value(waiting, "crmbot_notes_filed_total", status="filed") == 1
        assert _value(waiting, "crmbot_parse_seconds_count") == 1
        assert _value(waiting, "crmbot_outbox_due", platform="telegram") == 1
        assert _value(waiting, "crmbot_outbox_oldest_due_age_seconds", platform="telegram") == 90.0

        assert await app.deliverer.drain() == 1
        assert len(sent.keys()) == 1
        _, delivered = await _scrape(server.port or 0)
        assert _value(delivered, "crmbot_deliveries_total", platform="telegram", outcome="sent") == 1
        assert _value(delivered, "crmbot_outbox_due", platform="telegram") == 0
        assert _value(delivered, "crmbot_outbox_oldest_due_age_seconds", platform="telegram") == 0

        await _queue(app, "k-429", "2001")
        await _queue(app, "k-blocked", "2002")
        await app.deliverer.drain()
        _, refused = await _scrape(server.port or 0)
        assert _value(refused, "crmbot_rate_limited_total", platform="telegram") == 1
        assert _value(refused, "crmbot_deliveries_total", platform="telegram", outcome="retry") == 1
        assert _value(refused, "crmbot_deliveries_total", platform="telegram", outcome="failed") == 1
        assert _value(refused, "crmbot_deliveries_total", platform="telegram", outcome="sent") == 1
        assert _value(refused, "crmbot_outbox_failed", platform="telegram") == 1
        assert _value(refused, "crmbot_outbox_due", platform="telegram") == 0  # the 429'd row waits 30 s: not due yet
        clock.advance(seconds=45)
        _, later = await _scrape(server.port or 0)
        assert _value(later, "crmbot_outbox_due", platform="telegram") == 1
        assert _value(later, "crmbot_outbox_oldest_due_age_seconds", platform="telegram") == 15.0
        assert team["customers"]["王伟"].id is not None
    finally:
        await server.stop()
        await app.close()


async def test_lease_holder_is_read_at_scrape_time(db_url, tmp_path, clock):
    app = build_app(make_settings(db_url, tmp_path, health_port=0), clock=clock, migrate=False)
    app.leases = Leases(app.settings.db_url, app.deliverer.worker)
    server = HealthServer(app, 0, "127.0.0.1")
    await server.start()
    try:
        _, none_held = await _scrape(server.port or 0)
        assert {_value(none_held, "crmbot_lease_held", lease=name) for name in ("scheduler", "retention", "backups", "telegram-polling")} == {0}
        assert await app.leases.try_acquire("scheduler")
        _, held = await _scrape(server.port or 0)
        assert _value(held, "crmbot_lease_held", lease="scheduler") == 1
        assert _value(held, "crmbot_lease_held", lease="backups") == 0
        await app.leases.release("scheduler")
        _, released = await _scrape(server.port or 0)
        assert _value(released, "crmbot_lease_held", lease="scheduler") == 0
    finally:
        await app.leases.release_all()
        await server.stop()
        await app.close()


async def test_each_app_counts_in_its_own_registry_and_without_a_health_port_there_is_none(sqlite_url, tmp_path, clock):
    counted = build_app(make_settings(sqlite_url, tmp_path, health_port=0), clock=clock, migrate=False)
    other = build_app(make_settings(sqlite_url, tmp_path, health_port=0), clock=clock, migrate=False)
    plain = build_app(make_settings(sqlite_url, tmp_path), clock=clock, migrate=False)
    try:
        await seed_team(counted, customers=[{"name": "王伟"}])
        await Person(counted, "me").say("拜访了王伟")
        assert counted.metrics.notes_filed.labels("filed")._value.get() == 1
        assert other.metrics.notes_filed.labels("filed")._value.get() == 0  # no registry shared between apps
        assert plain.metrics is None and plain.services.notes_filed is None and plain.deliverer.deliveries is None
        assert await Person(plain, "me").say("拜访了王伟")  # files uncounted, no error
    finally:
        for app in (counted, other, plain):
            await app.close()
