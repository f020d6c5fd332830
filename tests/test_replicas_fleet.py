"""Issue 18, done when: three `crmbot run` processes on one PostgreSQL, the Telegram fake in webhook mode
and the Slack fake in HTTP mode; NOTES notes from CHATS chats sent round-robin to the replicas (both
platforms); the scheduler's holder killed with SIGKILL half-way. Then: every note filed exactly once,
every reply sent once (only a send on the wire at the kill may be doubled: the platforms take no
idempotency key), each chat's replies in the order of its notes, no platform limit exceeded (counted
from the fakes' arrival times), each scheduler tick fired once and by one replica, and the scheduler's
lease on a survivor within 30 s of the kill (PostgreSQL's own timestamps: the kill moment read from
clock_timestamp(), the first poll that saw a survivor hold it). Waits poll the database and the
fakes with generous failsafes; nothing sleeps a fixed time."""
from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import pytest

from storage.leases import BACKUPS, RETENTION, SCHEDULER
from tests.fakes.fleet import NAMES, Fleet, chats, max_in_window, lease_holder, note_text, query, seed, until

NOTES = 1000  # the figure
CHATS = 50  # half on Telegram, half on Slack: NOTES / CHATS = 20 notes each, one per customer of NAMES
REPLICAS = 3
TAKEOVER_LIMIT = 30.0  # seconds, the issue's
# Runs whenever PostgreSQL answers (the pg_url fixture skips otherwise), as in CI. The whole test took 67-151 s on
# this 2-core machine at load 4-8 (159-264 s beside two CPU-burning loops, 183 s beside four); its own limit leaves room above the suite's
# 300 s per test for a loaded machine. It holds ~60 PostgreSQL connections: two at once exceed max_connections = 100.
FLEET_TIMEOUT = 480
# An inbox row a replica acked and did not handle is taken over after this (production: 30 s), so the chats
# whose notes the killed replica held wait seconds, not half a minute; a live replica slower than this is
# harmless (the chat's lock makes one of the two find the note handled), and is exercised the more for it.
STALE_SECONDS = 10.0
# The outbox lease (production: 60 s; Fleet's default 5 s): a killed replica's rows in flight go back to the queue
# after it. With 5 s, a live replica on a loaded 2-core machine (load 7) now and then had its event loop too busy
# to renew its claims in time: they were taken back and sent again by another replica while it was still
# sending them (one reply doubled, none on the wire at the kill). That is at-least-once working as designed for
# a lease that short, not what this test is about.
LEASE_SECONDS = 15.0
# what the fakes count against (the platforms' documented limits; a send's arrival time is its request's,
# so jitter between the replica's limiter and the fake may bunch two sends a chat was allowed 1 s apart:
# the platforms tolerate such short bursts, and a limiter held per process would show 3 at once here)
PER_CHAT_PER_SECOND = 2
TELEGRAM_PER_BOT_PER_SECOND = 30


@pytest.fixture
def pg_url(request) -> str:
    from tests.conftest import _truncate_pg

    url = request.getfixturevalue("pg_database")  # skips without CRMBOT_TEST_POSTGRES_URL
    _truncate_pg(url)
    return url


@pytest.mark.timeout(FLEET_TIMEOUT)
async def test_three_replicas_1000_notes_one_killed_half_way(pg_url, tmp_path):
    people = chats(CHATS)
    per_chat = NOTES // CHATS
    assert per_chat <= len(NAMES) and per_chat * CHATS == NOTES
    await seed(pg_url, tmp_path, people)
    began = time.monotonic()
    async with Fleet(pg_url, tmp_path, lease_seconds=LEASE_SECONDS, stale_seconds=STALE_SECONDS) as fleet:
        fleet.prepare(people)
        await fleet.start(REPLICAS)
        holders = await until(lambda: _all_held(pg_url), 120, "the job leases taken")
        victim = next(r for r in fleet.replicas if holders[SCHEDULER][0].endswith(f":{r.pid}"))
        worker = holders[SCHEDULER][0]

        acked = 0
        half = asyncio.Event()
        kill: dict = {}

        async def chat_says(k: int) -> None:
            nonlocal acked
            chat = people[k]
            for i in range(per_chat):
                await fleet.say(chat, note_text(chat, i), first=k + i)  # round-robin: each chat's notes go to every replica
                acked += 1
                if acked == NOTES // 2:
                    half.set()

        async def moved():
            now = await lease_holder(pg_url, SCHEDULER)
            if now is None or now[0] == worker:
                return None
            [[seen]] = await query(pg_url, "SELECT clock_timestamp()")
            return now[0], now[1], seen

        async def killer() -> None:
            await half.wait()
            [[kill["at"]]] = await query(pg_url, "SELECT clock_timestamp()")
            fleet.kill(victim)
            # watched from the kill on (after counting what it had on the wire), while the notes go on: the new holder's lock connection may have been
            # opened (a try for the lease) a moment before the kill and granted the lock after it, so its
            # backend_start is no acquisition time; the first poll (every 0.1 s) that sees a survivor hold it
            # bounds the takeover from above, on PostgreSQL's clock both ends
            await victim.proc.wait()
            rows = await query(pg_url, "SELECT id FROM outbox WHERE status = 'sending' AND claimed_by = %s", (worker,))
            kill["in_flight"] = len(rows)  # (before its claims run out and go back to the queue)
            kill["moved"] = await until(moved, 120, "the scheduler lease moving to a survivor", every=0.1)

        sent_at = time.monotonic()
        await asyncio.gather(killer(), *(chat_says(k) for k in range(CHATS)))
        sending = time.monotonic() - sent_at
        print(f"\nsent {NOTES} notes in {sending:.1f} s (kill at half-way)", flush=True)

        new_worker, connected_at, seen_at = kill["moved"]
        taken_at = max(connected_at, kill["at"])
        takeover = (seen_at - kill["at"]).total_seconds()

        state: dict = {}

        async def all_done():
            [[state["filed"]]] = await query(pg_url, "SELECT count(*) FROM interaction")
            state["inbox"] = await query(pg_url, "SELECT status, platform, count(*), min(received_at) FROM inbox WHERE status <> 'handled' GROUP BY 1, 2")
            state["outbox"] = await query(pg_url, "SELECT status, kind, platform, count(*), min(due_at) FROM outbox WHERE status <> 'sent' AND (due_at <= now() OR kind = 'reply') GROUP BY 1, 2, 3")
            if state["filed"] >= NOTES and "filed_s" not in state:
                state["filed_s"] = time.monotonic() - sent_at
            return state["filed"] >= NOTES and not state["inbox"] and not state["outbox"]

        try:
            await until(all_done, 180, f"{NOTES} notes filed and every reply sent")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {state}; the kill at {kill['at']}; {_errors(fleet)}") from None
        # the survivor's scheduler has fired since the takeover (so its ticks are in the record)
        print(f"all filed {state['filed_s']:.1f} s and replied {time.monotonic() - sent_at:.1f} s after the first note; {time.monotonic() - began:.1f} s since the start", flush=True)
        await until(lambda: _ticked_after(fleet, new_worker, taken_at), 120, "a tick on the new holder")
        finished = time.monotonic() - began
        survivors = [r for r in fleet.replicas if r is not victim]
    assert all(r.proc.returncode == 0 for r in survivors), [r.log.read_text()[-2000:] for r in survivors]

    # every note filed exactly once
    filed = Counter(text for (text,) in await query(pg_url, "SELECT text FROM interaction"))
    expected = {note_text(c, i) for c in people for i in range(per_chat)}
    assert set(filed) == expected and set(filed.values()) == {1}, f"lost {len(expected - set(filed))}, doubled {sum(n - 1 for n in filed.values())}"
    statuses = Counter(s for (s,) in await query(pg_url, "SELECT status FROM inbox"))
    assert statuses == {"handled": NOTES}, (statuses, _errors(fleet))

    # every reply sent once, each chat's in the order of its notes
    others = [(chat, kind, _text(body)) for chat, kind, body in await query(pg_url, "SELECT chat_id, kind, body FROM outbox") if not _text(body).startswith("✓")]
    replies = Counter(chat for chat, body in await query(pg_url, "SELECT chat_id, body FROM outbox WHERE kind = 'reply' AND status = 'sent'") if _text(body).startswith("✓"))
    sends = fleet.sends()
    confirmations = [(chat, text) for _, chat, text, _ in sends if text.startswith("✓")]
    got = Counter(chat for chat, _ in confirmations)
    doubled = sum(got.values()) - NOTES
    assert {c.chat_id for c in people} == set(got) and all(replies[c.user_id] == per_chat for c in people), others[:20]
    if not (0 <= doubled <= kill["in_flight"] and all(got[c.chat_id] <= per_chat + 1 for c in people)):
        raise AssertionError(f"{doubled} doubled, {kill['in_flight']} in flight at the kill: {await _doubles(pg_url, confirmations, sends, kill, fleet)}")
    filed_order = {}  # each chat's notes in the order they were filed (handled)
    for text, in await query(pg_url, "SELECT text FROM interaction ORDER BY id"):
        filed_order.setdefault(text.rsplit(" ", 1)[-1].split("-")[0], []).append(_customer(text))
    for chat in people:
        order = list(dict.fromkeys(_customer(text) for c, text in confirmations if c == chat.chat_id))
        assert order == list(NAMES[:per_chat]), f"{chat.platform} chat {chat.chat_id} replied out of order: {order}; filed in the order {filed_order.get(chat.chat_id)}"

    # no platform limit exceeded
    per_chat_rate = {c.chat_id: max_in_window([at for _, chat, _, at in sends if chat == c.chat_id], 1.0) for c in people}
    bot_rate = max_in_window([at for platform, _, _, at in sends if platform == "telegram"], 1.0)
    assert max(per_chat_rate.values()) <= PER_CHAT_PER_SECOND, per_chat_rate
    assert bot_rate <= TELEGRAM_PER_BOT_PER_SECOND, bot_rate

    # the scheduler: each tick fired once, the victim's ticks all before the survivor's, one survivor only
    ticks = sorted((scheduled, worker_) for r in fleet.replicas for worker_, scheduled, _ in r.ticks())
    scheduled = Counter(s for s, _ in ticks)
    assert ticks and max(scheduled.values()) == 1, [s for s, n in scheduled.items() if n > 1]
    workers = [w for _, w in ticks]
    assert list(dict.fromkeys(workers)) == [worker, new_worker], list(dict.fromkeys(workers))

    # the lease moved in time (PostgreSQL's clock both ends; at most this long: seen held by then)
    print(
        f"\nfleet: {NOTES} notes from {CHATS} chats on {REPLICAS} replicas, 1 killed at half-way: sent in {sending:.1f} s, all done in {finished:.1f} s; "
        f"{fleet.retried} retried on another replica; {doubled} reply doubled ({kill['in_flight']} on the wire at the kill); "
        f"max per chat {max(per_chat_rate.values())}/s, Telegram bot {bot_rate}/s; {len(ticks)} ticks; scheduler lease taken over within {takeover:.2f} s"
    )
    assert 0 < takeover <= TAKEOVER_LIMIT, takeover


async def _all_held(url: str):
    found = {name: await lease_holder(url, name) for name in (SCHEDULER, RETENTION, BACKUPS)}
    return found if all(found.values()) else None


async def _ticked_after(fleet: Fleet, worker: str, moment) -> bool:
    return any(w == worker and started >= moment for r in fleet.replicas for w, _, started in r.ticks())


async def _doubles(url: str, confirmations, sends, kill, fleet) -> list:
    """What a doubled reply's outbox row says (attempts, who sent it, when) beside its arrivals."""
    seen = Counter(confirmations)
    rows = {(chat, _customer(_text(body))): rest for chat, body, *rest in await query(url, "SELECT chat_id, body, id, attempts, claimed_by, sent_at, created_at FROM outbox WHERE kind = 'reply'")}
    out = []
    for (chat, text), n in seen.items():
        if n > 1:
            out.append((chat, _customer(text), n, [at for _, c, t, at in sends if c == chat and t == text], rows.get((chat, _customer(text)))))
    logs = [line for r in fleet.replicas for line in r.log.read_text().splitlines() if "outbox:" in line]
    return [*out, f"kill at {kill['at']}", *logs[-40:]]


def _errors(fleet: Fleet) -> list[str]:
    """The replicas' logged errors (with the first lines of their tracebacks): what a failure message needs."""
    out = []
    for n, replica in enumerate(fleet.replicas):
        lines = replica.log.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            if " ERROR " in line or line.startswith("Traceback"):
                out.append(f"replica {n}: " + " | ".join(lines[i : i + 3] + lines[i + 3 : i + 40][-2:]))
    return out[-20:]


def _text(body) -> str:
    return str((json.loads(body) if isinstance(body, str) else body).get("text", ""))


def _customer(text: str) -> str:
    return next((name for name in NAMES if name in text), text)


async def test_the_inbox_sweep_hands_rows_a_dead_replica_acked_to_a_live_adapter(db_url, tmp_path):
    """Regression (found by the fleet test: 36 of 1,000 notes stayed 'received' after the kill until
    some replica restarted): rows older than INBOX_STALE go to this replica's adapter, younger ones
    (a live replica is on them) do not."""
    import datetime as dt

    from bot.runner import INBOX_STALE, sweep_inbox
    from bot.wiring import build_app
    from storage import messaging
    from storage.models import Inbox, utcnow
    from tests.conftest import make_settings

    class Adapter:
        platform = "telegram"

        def __init__(self) -> None:
            self.seen: list[list[str]] = []

        async def _recover(self) -> None:
            async with app.db.read() as session:
                self.seen.append([row.key for row in await messaging.inbox_unhandled(session, self.platform)])

    app = build_app(make_settings(db_url, tmp_path), migrate=False)
    adapter, other = Adapter(), Adapter()
    other.platform = "slack"
    try:
        now = utcnow()
        async with app.db.write() as session:
            for key, age in (("telegram:1:1", INBOX_STALE * 2), ("telegram:1:2", dt.timedelta(seconds=1))):
                session.add(Inbox(key=key, platform="telegram", chat_id="1", sender_id="1", received_at=now - age))
        assert await sweep_inbox(app, [adapter, other], now) == ["telegram"]
        assert adapter.seen == [["telegram:1:1"]] and other.seen == []
        assert messaging.received_before.get() is None  # the limit is for the sweep only
        assert await sweep_inbox(app, [adapter], now - INBOX_STALE) == []  # nothing that old then
    finally:
        await app.close()
