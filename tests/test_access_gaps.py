"""Access gaps found by the attack run (issue 13, medium 6 and 7): who may subscribe a chat to the
digest and what it then sees; sharing grants reading and notes, never /assign."""

from __future__ import annotations

from storage.models import AuditLog, ChatLink, Customer
from tests.helpers import Person, rows, seed_team
from tests.reminders_fixtures import at, record, tick_and_send

MEMBERS = (("boss", "admin"), ("m1", "manager"), ("m2", "manager"), ("a", "rep", "m1"), ("b", "rep", "m2"))
CUSTOMERS = [{"name": "张强", "owner": "a"}, {"name": "林涛", "owner": "b"}]


async def test_a_rep_cannot_subscribe_a_chat_to_the_digest(app, clock):
    await seed_team(app, MEMBERS, CUSTOMERS)
    [reply] = await Person(app, "a").say("/subscribe digest")
    assert "Only an admin or a manager" in reply.text
    assert await rows(app, ChatLink) == []
    assert [r.detail for r in await rows(app, AuditLog, AuditLog.action == "denied")] == ["/subscribe digest"]
    sent = record(app, clock)
    clock.set(at(2027, 3, 1, 17, 30))
    await tick_and_send(app, clock)
    assert not [row for _, row, _ in sent.sent if row.chat_id == "console:a" and row.kind == "digest"]


async def test_a_subscribed_group_sees_what_its_subscriber_sees(app, clock):
    await seed_team(app, MEMBERS, CUSTOMERS)
    group = Person(app, "m1", chat_id="console:east-group", chat_kind="group")
    assert "✓" in (await group.say("/subscribe digest"))[0].text
    await Person(app, "a").say("called 张强, wants a quote")
    await Person(app, "b").say("called 林涛, wants a quote")
    sent = record(app, clock)
    clock.set(at(2027, 3, 1, 17, 30))
    await tick_and_send(app, clock)
    [text] = [m.text for _, row, m in sent.sent if row.chat_id == "console:east-group" and "Daily" in m.text]
    assert "a 1" in text and "b 1" not in text and "m2" not in text  # m1's people only, not the whole team


async def test_a_manager_cannot_assign_away_a_customer_only_shared_with_them(app):
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    assert "now sees" in (await Person(app, "b").say("/share 林涛 m1"))[0].text
    m1 = Person(app, "m1")
    assert "林涛" in (await m1.say("/customer 林涛"))[0].text  # shared: m1 reads it
    [reply] = await m1.say("/assign 林涛 a")
    assert "only to yourself or your own reps" in reply.text
    [lin] = await rows(app, Customer, Customer.name == "林涛")
    assert lin.owner_id == seeded["members"]["b"].id
    assert [r.detail for r in await rows(app, AuditLog, AuditLog.action == "denied")] == ["/assign"]
    assert "now belongs to m1" in (await m1.say("/assign 张强 m1"))[0].text  # their own rep's customer: yes
