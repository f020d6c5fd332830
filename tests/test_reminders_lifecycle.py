"""Lifecycle stages recomputed in one UPDATE, and the contact figures touch_customer keeps for the
daily scans (count, first contact, the risks of the last contact)."""
from __future__ import annotations

import datetime as dt

from sqlmodel import select

from reminders import lifecycle
from storage.models import Customer
from tests.helpers import seed_team
from tests.reminders_fixtures import add_note


async def _stages(app) -> dict[str, str]:
    async with app.db.read() as session:
        return {c.name: c.stage for c in (await session.exec(select(Customer))).all()}


async def test_stages_from_orders_and_silence(app_any_db, clock):
    app = app_any_db
    names = ["Prospect", "Fresh", "Steady", "Loyal", "Gone", "Faded"]
    seeded = await seed_team(app, [("li", "rep")], [{"name": n, "owner": "li", "stage": "active" if n == "Faded" else "potential"} for n in names])
    team, li, c = seeded["team"], seeded["members"]["li"], seeded["customers"]
    now = clock()
    await add_note(app, team, li, c["Prospect"], when=now - dt.timedelta(days=3))
    await add_note(app, team, li, c["Fresh"], when=now - dt.timedelta(days=10), outcome="won", amount=100, currency="CNY")
    await add_note(app, team, li, c["Steady"], when=now - dt.timedelta(days=120), outcome="won", amount=100, currency="CNY")
    await add_note(app, team, li, c["Steady"], when=now - dt.timedelta(days=2))
    for days in (100, 60, 20):
        await add_note(app, team, li, c["Loyal"], when=now - dt.timedelta(days=days), outcome="won", amount=100, currency="CNY")
    await add_note(app, team, li, c["Gone"], when=now - dt.timedelta(days=200), outcome="won", amount=100, currency="CNY")
    await add_note(app, team, li, c["Faded"], when=now - dt.timedelta(days=200))
    async with app.db.write() as session:
        changed = await lifecycle.recompute(session, team.id, now)
    assert await _stages(app) == {"Prospect": "potential", "Fresh": "new", "Steady": "active", "Loyal": "loyal", "Gone": "churned", "Faded": "churned"}
    assert changed == 5
    async with app.db.write() as session:
        assert await lifecycle.recompute(session, team.id, now) == 0  # nothing left to change


async def test_touch_keeps_count_first_contact_and_open_risk(app_any_db, clock):
    app = app_any_db
    seeded = await seed_team(app, [("li", "rep")], [{"name": "Acme", "owner": "li"}])
    team, li, acme = seeded["team"], seeded["members"]["li"], seeded["customers"]["Acme"]
    now = clock()
    await add_note(app, team, li, acme, when=now - dt.timedelta(days=9))
    await add_note(app, team, li, acme, when=now - dt.timedelta(days=2), risk=["complaint"])
    await add_note(app, team, li, acme, when=now - dt.timedelta(days=5))  # logged late: not the last contact
    async with app.db.read() as session:
        row = await session.get(Customer, acme.id)
    assert (row.contact_count, row.first_contact_at, row.last_contact_at) == (3, now - dt.timedelta(days=9), now - dt.timedelta(days=2))
    assert row.last_risk == ["complaint"]
    await add_note(app, team, li, acme, when=now - dt.timedelta(hours=1), text="sorted it out")
    async with app.db.read() as session:
        row = await session.get(Customer, acme.id)
    assert row.contact_count == 4 and row.last_risk == []
