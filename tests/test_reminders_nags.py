"""Risk-customer nags: open risk, tier silence, twice the usual gap; one message per owner per day;
escalation into the manager's digest."""
from __future__ import annotations

import datetime as dt

from reminders import nags
from storage import crm
from storage.models import Customer
from tests.helpers import seed_team
from tests.reminders_fixtures import add_note, at, record, tick_and_send


async def _setup(app, clock):
    seeded = await seed_team(
        app,
        [("boss", "manager"), ("li", "rep", "boss")],
        [
            {"name": "Vip", "owner": "li", "tier": "important"},
            {"name": "Special", "owner": "li", "tier": "special"},
            {"name": "General", "owner": "li", "tier": "general"},
            {"name": "Regular", "owner": "li", "tier": "general"},
            {"name": "Risky", "owner": "li", "tier": "general"},
        ],
    )
    team, li, c = seeded["team"], seeded["members"]["li"], seeded["customers"]
    now = clock()
    await add_note(app, team, li, c["Vip"], when=now - dt.timedelta(days=15))  # > 14: nag
    await add_note(app, team, li, c["Special"], when=now - dt.timedelta(days=15))  # < 30: fine
    await add_note(app, team, li, c["General"], when=now - dt.timedelta(days=20))  # < 60: fine
    for days in (26, 21, 16, 11):  # every 5 days, then silent 11 > 2 × 5
        await add_note(app, team, li, c["Regular"], when=now - dt.timedelta(days=days))
    await add_note(app, team, li, c["Risky"], when=now - dt.timedelta(days=2), risk=["complaint"], text="complained")
    return seeded


async def test_the_three_kinds_of_nag(app_any_db, clock):
    app = app_any_db
    seeded = await _setup(app, clock)
    async with app.db.read() as session:
        found = await nags.find(session, clock(), app.settings)
    by_name = {g.customer.name: g.reason for g in found}
    assert by_name == {"Risky": "risk", "Vip": "tier", "Regular": "gap"}


async def test_follow_up_after_the_risk_closes_it(app, clock):
    seeded = await _setup(app, clock)
    await add_note(app, seeded["team"], seeded["members"]["li"], seeded["customers"]["Risky"], when=clock() - dt.timedelta(hours=1), text="apologised, fixed")
    async with app.db.read() as session:
        found = await nags.find(session, clock(), app.settings)
    assert "Risky" not in {g.customer.name for g in found}


async def test_tier_cadence_is_configurable(app, clock):
    await _setup(app, clock)
    app.settings.silence_days_important = 20
    async with app.db.read() as session:
        found = await nags.find(session, clock(), app.settings)
    assert "Vip" not in {g.customer.name for g in found}


async def test_one_nag_message_per_owner_per_day(app, clock):
    await _setup(app, clock)
    sent = record(app, clock)
    await tick_and_send(app, clock)
    clock.advance(hours=3)
    await tick_and_send(app, clock)
    [text] = sent.texts("nag")
    assert text.splitlines()[0] == "👀 3 customer(s) need attention today:"
    assert "Risky: complaint, no follow-up for 2 days" in text and "Vip (important): silent 15 days" in text and "usually every 5 days" in text
    assert sent.sent[0][1].chat_id == "console:li"
    clock.set(at(2027, 3, 2, 9, 0))
    await tick_and_send(app, clock)
    assert len(sent.texts("nag")) == 2


async def test_unanswered_nags_escalate_to_the_manager_digest(app, clock):
    await _setup(app, clock)
    sent = record(app, clock)
    clock.set(at(2027, 3, 1, 17, 30))
    await tick_and_send(app, clock)
    [first] = [text for text in sent.texts("digest") if "Daily digest" in text]
    assert "Unanswered" not in first and "At risk (1): Risky" in first and "Silent important (1): Vip" in first
    clock.set(at(2027, 3, 4, 17, 30))  # three days on, nobody reached them
    await tick_and_send(app, clock)
    [_, later] = [text for text in sent.texts("digest") if "Daily digest" in text]
    escalated = next(line for line in later.splitlines() if "Unanswered nags > 3 days" in line)
    assert "Risky" in escalated and "Vip" in escalated and "Regular" in escalated
    assert all(row.chat_id == "console:boss" for _, row, _ in sent.sent if row.kind == "digest")


async def test_escalation_counts_from_the_first_nag_sent_not_from_when_the_silence_began(app, clock):
    seeded = await _setup(app, clock)
    team, li = seeded["team"], seeded["members"]["li"]
    async with app.db.write() as session:
        old = await crm.add_customer(session, Customer(team_id=team.id, owner_id=li.id, name="Oldfriend", tier="special", created_at=clock() - dt.timedelta(days=400)))
    await add_note(app, team, li, old, when=clock() - dt.timedelta(days=90))  # silent for two months already
    sent = record(app, clock)
    clock.set(at(2027, 3, 1, 17, 30))
    await tick_and_send(app, clock)  # the first nag about it goes out now
    assert "Oldfriend (special): silent 90 days" in sent.texts("nag")[0]
    [first] = [text for text in sent.texts("digest") if "Daily digest" in text]
    assert "Unanswered" not in first
    clock.set(at(2027, 3, 3, 17, 30))  # two days after the first nag: not yet
    await tick_and_send(app, clock)
    assert not any("Unanswered" in text for text in sent.texts("digest"))
    clock.set(at(2027, 3, 4, 17, 30))
    await tick_and_send(app, clock)
    later = [text for text in sent.texts("digest") if "Daily digest" in text][-1]
    assert "Oldfriend" in next(line for line in later.splitlines() if "Unanswered nags > 3 days" in line)
