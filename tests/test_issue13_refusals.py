"""Issue 13 (low 12): role refusals are audited everywhere, not only in /assign, /invite…: a rep's
/digest, a /merge confirmed after one of the customers moved out of reach, and a review answer for a
customer that is no longer the member's each leave one `refused` row (and change nothing)."""

from __future__ import annotations

import datetime as dt

from storage.models import AuditLog, Customer

from .helpers import Person, rows, seed_team
from .reminders_fixtures import record, tick_and_send

TEAM = (("admin", "admin"), ("boss", "manager"), ("li", "rep", "boss"), ("other", "manager"))


async def _refused(app) -> list[tuple[int | None, int | None, str]]:
    return [(a.member_id, a.customer_id, a.detail) for a in await rows(app, AuditLog, AuditLog.action == "refused")]


async def test_a_reps_digest_is_refused_and_audited(app):
    seeded = await seed_team(app, TEAM)
    [reply] = await Person(app, "li").say("/digest")
    assert "manager" in reply.text.lower()
    assert await _refused(app) == [(seeded["members"]["li"].id, None, "rep: /digest")]


async def test_a_merge_confirmed_after_a_customer_moved_away_is_refused(app_any_db):
    app = app_any_db
    seeded = await seed_team(app, TEAM, [{"name": "Acme", "owner": "li"}, {"name": "Acme Ltd", "owner": "li"}])
    li = Person(app, "li")
    await li.say("/merge Acme, Acme Ltd")
    await Person(app, "admin").say("/assign Acme Ltd other")  # before li taps Merge
    [reply] = await li.press("Merge")
    assert "Acme Ltd" in reply.text and "can change" in reply.text
    assert {c.name for c in await rows(app, Customer)} == {"Acme", "Acme Ltd"}
    assert await _refused(app) == [(seeded["members"]["li"].id, seeded["customers"]["Acme Ltd"].id, "rep: /merge")]


async def test_a_review_answer_for_a_customer_moved_away_is_refused(app, clock):
    old = clock() - dt.timedelta(days=70)
    seeded = await seed_team(app, TEAM, [{"name": "Acme", "owner": "li", "created_at": old}])
    sent = record(app, clock)
    await tick_and_send(app, clock)
    [message] = [m for _, r, m in sent.sent if r.kind == "review" and r.chat_id == "console:li"]
    await Person(app, "admin").say("/assign Acme other")
    li = Person(app, "li")
    li.last = [message]
    [reply] = await li.press("Drop")
    assert "no longer yours" in reply.text
    [acme] = await rows(app, Customer)
    assert acme.stage != "churned" and acme.owner_id == seeded["members"]["other"].id
    assert await _refused(app) == [(seeded["members"]["li"].id, acme.id, "rep: review")]
