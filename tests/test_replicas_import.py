"""Issue 18, done when: "a customer imported with `crmbot import` while the replicas run is matched by the
next note on every replica". Two `crmbot run` processes (tests/fakes/fleet.py) on one PostgreSQL, each
having built its team's customer index on a first note; then `crmbot import` as a process of its own
(a real CLI run, not the same interpreter); then a note naming the imported customer to each replica
(Telegram webhook to one, Slack HTTP to the other) is filed on that customer. What carries the change
across processes: the team's customer version bumped in the import's transaction and its NOTIFY
(handlers/customer_index.py). Waits poll the database; nothing sleeps a fixed time."""
from __future__ import annotations

import asyncio
import csv
import sys

import pytest

from tests.fakes.fleet import ROOT, Fleet, chats, note_text, query, seed, until

IMPORTED = "欧阳振华"


@pytest.fixture
def pg_url(request) -> str:
    from tests.conftest import _truncate_pg

    url = request.getfixturevalue("pg_database")  # skips without CRMBOT_TEST_POSTGRES_URL
    _truncate_pg(url)
    return url


async def _filed_on(url: str, text: str) -> list[str]:
    rows = await query(url, "SELECT c.name FROM interaction i JOIN customer c ON c.id = i.customer_id WHERE i.text = %s", (text,))
    return [name for (name,) in rows]


async def test_a_customer_imported_by_another_process_is_found_by_the_next_note_on_each_replica(pg_url, tmp_path):
    people = chats(2)  # one Telegram chat, one Slack chat
    await seed(pg_url, tmp_path, people)
    async with Fleet(pg_url, tmp_path) as fleet:
        fleet.prepare(people)
        await fleet.start(2)
        for n, chat in enumerate(people):  # a first note on each replica: each builds the team's index (without the new customer)
            text = note_text(chat, n)
            await fleet.say(chat, text, first=n)
            assert await until(lambda text=text: _filed_on(pg_url, text), 120, "the first notes filed")

        sheet = tmp_path / "new.csv"
        with open(sheet, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["name", "company", "phone"], [IMPORTED, "振华泵业", "13800138077"]])
        proc = await asyncio.create_subprocess_exec(  # owned by the rep (member1): the admin (member0) sees every customer
            sys.executable, "-m", "bot", "import", str(sheet), "--team", "Fleet team", "--owner", "member1", cwd=ROOT, env=fleet.env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode == 0, (out.decode(), err.decode())
        assert await query(pg_url, "SELECT count(*) FROM customer WHERE name = %s", (IMPORTED,)) == [(1,)]

        for n, chat in enumerate(people):  # the next note on each replica (and platform) finds the imported customer
            text = f"拜访了{IMPORTED}，聊了新品 {chat.chat_id}"
            took = await fleet.say(chat, text, first=n)
            assert took == n
            assert await until(lambda text=text: _filed_on(pg_url, text), 120, f"the note on replica {n} filed") == [IMPORTED]
        alive = all(r.alive for r in fleet.replicas)
    assert alive
