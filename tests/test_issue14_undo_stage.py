"""Issue 14: undoing a lost-deal note (/undo, or the Undo button under it) puts the customer's
previous stage back, audited; a stage changed again since is left as it is."""

from __future__ import annotations

from storage.models import AuditLog, Customer

from .helpers import Person, rows, seed_team

MEMBERS = (("boss", "manager"), ("li", "rep", "boss"))
LOST = "Acme went with a competitor, we lost the deal"


async def _stage(app) -> str:
    [acme] = await rows(app, Customer)
    return acme.stage


async def _stage_rows(app) -> list[str]:
    return [a.detail for a in sorted(await rows(app, AuditLog, AuditLog.action == "stage"), key=lambda a: a.id)]


async def test_undo_of_a_lost_deal_note_restores_the_previous_stage(app_any_db):
    app = app_any_db
    await seed_team(app, MEMBERS, [{"name": "Acme", "owner": "li", "stage": "active"}])
    li = Person(app, "li")
    await li.say(LOST)
    assert await _stage(app) == "churned"
    [reply] = await li.say("/undo")
    assert "Acme" in reply.text
    assert await _stage(app) == "active"
    assert await _stage_rows(app) == ["active>churned", "churned>active"]  # the digest's stage changes see both


async def test_the_undo_button_under_the_note_restores_it_too(app):
    await seed_team(app, MEMBERS, [{"name": "Acme", "owner": "li", "stage": "potential"}])
    li = Person(app, "li")
    await li.say(LOST)
    await li.press("Undo")
    assert await _stage(app) == "potential"


async def test_a_stage_changed_since_the_note_stands(app):
    await seed_team(app, MEMBERS, [{"name": "Acme", "owner": "li", "stage": "active"}])
    li = Person(app, "li")
    await li.say(LOST)
    await Person(app, "boss").say("/stage Acme potential")
    await li.say("/undo")
    assert await _stage(app) == "potential"


async def test_undoing_a_second_lost_note_keeps_the_stage_the_first_one_set(app):
    await seed_team(app, MEMBERS, [{"name": "Acme", "owner": "li", "stage": "active"}])
    li = Person(app, "li")
    await li.say(LOST)
    await li.say("Acme confirmed again they lost interest, deal lost")
    await li.say("/undo")  # the second note moved nothing
    assert await _stage(app) == "churned"
    await li.say("/undo")
    assert await _stage(app) == "active"
