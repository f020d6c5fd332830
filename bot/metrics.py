"""Prometheus metrics, served as `GET /metrics` on the health port (bot/health.py, CRMBOT_HEALTH_PORT).

Each App has a registry of its own (built by bot/wiring.build_app), never prometheus_client's global
one: two apps in one process (tests, benchmarks) count apart. The counters are handed to the code that
counts (Services: notes and the parser's time, handlers/quick_note.py; the Deliverer: sends and 429s,
reminders/delivery.py). The outbox and the leases are read when scraped: the database is the truth shared
by the replicas, so the outbox figures are the whole database's and the same on every replica (take the
max across replicas, not the sum); the counters are this process's own (sum them).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import col, select

from storage.db import Database
from storage.leases import KNOWN_LEASES
from storage.models import Outbox

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # the text exposition format generate_latest writes
UNSENT = ("pending", "sending")  # sending: claimed by a worker, not confirmed yet
# the parser takes milliseconds; a note that takes a second is a bug worth seeing in its own bucket
PARSE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass
class OutboxSnapshot:
    """The outbox by platform as read at one scrape."""

    due: dict[str, int] = field(default_factory=dict)  # unsent and due now
    failed: dict[str, int] = field(default_factory=dict)
    oldest_due_age: dict[str, float] = field(default_factory=dict)  # seconds since the oldest unsent row was due


async def read_outbox(db: Database, now: dt.datetime) -> OutboxSnapshot:
    """Two grouped counts on the outbox's (status, due_at) index."""
    snapshot = OutboxSnapshot()
    async with db.read() as session:
        due_rows = await session.exec(
            select(Outbox.platform, func.count(), func.min(Outbox.due_at)).where(col(Outbox.status).in_(UNSENT), col(Outbox.due_at) <= now).group_by(Outbox.platform)
        )
        for platform, count, oldest in due_rows.all():
            snapshot.due[platform] = count
            snapshot.oldest_due_age[platform] = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        failed_rows = await session.exec(select(Outbox.platform, func.count()).where(Outbox.status == "failed").group_by(Outbox.platform))
        snapshot.failed = {platform: count for platform, count in failed_rows.all()}
    return snapshot


class _ScrapeTimeCollector(Collector):
    """Gauges from the last snapshot (taken by Metrics.exposition just before the registry is collected):
    a platform whose rows are all gone drops to 0 instead of keeping its last value."""

    def __init__(self) -> None:
        self.outbox = OutboxSnapshot()
        self.platforms: set[str] = set()  # reported even at 0, so a dashboard sees "nothing waiting"
        self.leases_held: set[str] = set()
        self.database_up = True

    def collect(self) -> Iterable[Metric]:
        platforms = sorted(self.platforms | set(self.outbox.due) | set(self.outbox.failed))
        due = GaugeMetricFamily("crmbot_outbox_due", "Outgoing messages due and not sent yet (whole database)", labels=["platform"])
        failed = GaugeMetricFamily("crmbot_outbox_failed", "Outgoing messages that failed for good (whole database; `crmbot outbox retry`)", labels=["platform"])
        age = GaugeMetricFamily("crmbot_outbox_oldest_due_age_seconds", "Seconds since the oldest unsent message was due (0: none waiting)", labels=["platform"])
        for platform in platforms:
            due.add_metric([platform], self.outbox.due.get(platform, 0))
            failed.add_metric([platform], self.outbox.failed.get(platform, 0))
            age.add_metric([platform], self.outbox.oldest_due_age.get(platform, 0.0))
        held = GaugeMetricFamily("crmbot_lease_held", "1 when this process holds the singleton lease (scheduler, retention, backups, Telegram polling)", labels=["lease"])
        for lease in KNOWN_LEASES:
            held.add_metric([lease], 1 if lease in self.leases_held else 0)
        up = GaugeMetricFamily("crmbot_database_up", "1 when the outbox could be read at this scrape")
        up.add_metric([], 1 if self.database_up else 0)
        return [due, failed, age, held, up]


class Metrics:
    """One app's registry and the counters handed out to where things are counted."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.notes_filed = Counter("crmbot_notes_filed", "Notes filed, by status (filed: on a customer; pending: waiting for its customer)", ["status"], registry=self.registry)
        self.parse_seconds = Histogram("crmbot_parse_seconds", "Time the parser takes to read one note", buckets=PARSE_BUCKETS, registry=self.registry)
        self.deliveries = Counter("crmbot_deliveries", "Send attempts by platform and outcome (sent, retry, failed, expired)", ["platform", "outcome"], registry=self.registry)
        self.rate_limited = Counter("crmbot_rate_limited", "429s: the platform said how long to wait (each also a delivery with outcome retry)", ["platform"], registry=self.registry)
        self._scraped = _ScrapeTimeCollector()
        self.registry.register(self._scraped)

    async def exposition(self, db: Database, clock: Callable[[], dt.datetime], platforms: Iterable[str] = (), leases=None) -> bytes:
        """The text format, the outbox read now and the leases as held now (storage.leases.Leases or None)."""
        try:
            self._scraped.outbox, self._scraped.database_up = await read_outbox(db, clock()), True
        except Exception:  # the counters are still worth a scrape; the outage shows as crmbot_database_up 0
            log.warning("metrics: the outbox could not be read", exc_info=True)
            self._scraped.outbox, self._scraped.database_up = OutboxSnapshot(), False
        self._scraped.platforms = set(platforms)
        self._scraped.leases_held = {name for name in KNOWN_LEASES if leases is not None and leases.holds(name)}
        return generate_latest(self.registry)
