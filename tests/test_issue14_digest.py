"""Issue 14: the digest names the customers behind 80% of the period's won amount and the riskiest ones
with the reason (抓两头), lists the period's lifecycle stage changes, and shows review coverage — through
the scheduler's tick, in the reader's language."""
from __future__ import annotations

import datetime as dt

from .helpers import Person, seed_team
from .reminders_fixtures import add_note, at, record, set_member, tick_and_send

MEMBERS = (("boss", "manager"), ("li", "rep", "boss"))


async def _day(app, clock):
    old = clock() - dt.timedelta(days=10)
    names = ("Alpha", "Beta", "Gamma", "Delta", "Echo")
    seeded = await seed_team(app, MEMBERS, [{"name": n, "owner": "li", "created_at": old} for n in names] + [{"name": "Stale", "owner": "li", "created_at": clock() - dt.timedelta(days=100)}])
    team, li, c = seeded["team"], seeded["members"]["li"], seeded["customers"]
    for name, amount in (("Alpha", 40000), ("Beta", 15000), ("Gamma", 5000)):
        await add_note(app, team, li, c[name], when=clock(), outcome="won", amount=amount, currency="CNY", text="signed")
    await add_note(app, team, li, c["Delta"], when=clock() - dt.timedelta(days=3), risk=["complaint"], text="complained")
    rep = Person(app, "li")
    await rep.say("/stage Alpha active")
    await rep.say("Echo went with a competitor, we lost the deal")
    return seeded


async def test_daily_digest_names_biggest_riskiest_stage_changes_and_reviews(app_any_db, clock):
    app = app_any_db
    await _day(app, clock)
    sent = record(app, clock)
    clock.set(at(2027, 3, 1, 17, 30))
    await tick_and_send(app, clock)
    [text] = [m.text for _, r, m in sent.sent if r.kind == "digest" and r.chat_id == "console:boss" and ("Daily" in m.text or "日报" in m.text)]
    assert "💰 92% of won: Alpha 40,000 CNY, Beta 15,000 CNY" in text
    assert "At risk (1): Delta (complaint)" in text
    assert "Stage changes (2): Alpha potential→active, Echo potential→churned" in text
    assert "Reviewed on time: 4/5 (80%)" in text  # Stale is overdue for review; Echo (churned) is no longer reviewed
    assert len(text.splitlines()) <= 12


async def test_digest_in_chinese(app_any_db, clock):
    app = app_any_db
    seeded = await _day(app, clock)
    await set_member(app, seeded["members"]["boss"], language="zh")
    sent = record(app, clock)
    clock.set(at(2027, 3, 1, 17, 30))
    await tick_and_send(app, clock)
    [text] = [m.text for _, r, m in sent.sent if r.kind == "digest" and r.chat_id == "console:boss" and ("Daily" in m.text or "日报" in m.text)]
    assert "成交额 92% 来自：Alpha" in text and "Delta（投诉）" in text and "Alpha 潜在→活跃" in text and "按期复盘：4/5（80%）" in text
