"""Issue 14: a manager hands a customer over straight from the weekly "to review" list: Hand over
offers the colleagues, one tap moves the customer (and its open follow-ups) to the colleague, who is
told; the answer counts as the review. Only colleagues the manager may give customers to are offered;
a stale or forged button for anyone else is refused (audited) and the customer stays due."""

from __future__ import annotations

import datetime as dt

from storage.models import AuditLog, Customer, Outbox, Task

from .helpers import Person, rows, seed_team
from .reminders_fixtures import add_task, record, tick_and_send

MEMBERS = (("boss", "manager"), ("li", "rep", "boss"), ("other", "manager"), ("wu", "rep", "other"))


async def _review_list(app, clock):
    sent = record(app, clock)
    await tick_and_send(app, clock)
    [message] = [m for _, r, m in sent.sent if r.kind == "review" and r.chat_id == "console:boss"]
    return message


async def test_a_manager_hands_a_customer_over_from_the_review_list(app_any_db, clock):
    app = app_any_db
    old = clock() - dt.timedelta(days=70)
    seeded = await seed_team(app, MEMBERS, [{"name": "Acme", "owner": "boss", "created_at": old}, {"name": "Initech", "owner": "boss", "created_at": old - dt.timedelta(days=1)}])
    await add_task(app, seeded["team"], seeded["members"]["boss"], seeded["customers"]["Acme"], due=clock() + dt.timedelta(days=3), text="send the contract")
    message = await _review_list(app, clock)
    assert [line.split(" · ")[0].lstrip("• ") for line in message.text.splitlines()[1:]] == ["Initech", "Acme"]

    boss = Person(app, "boss")
    boss.last = [message]
    acme_row = next(row for row in message.buttons if "Acme" in row[0].label)
    [choose] = await boss.say("", button_payload=next(b for b in acme_row if b.label == "Hand over").payload)
    # "other" (another manager) and "wu" (their rep) are not boss's to give customers to: not offered
    assert "Acme" in choose.text and [b.label for row in choose.buttons for b in row] == ["li"]
    [done] = await boss.press("li")
    assert "Acme now belongs to li" in done.text

    customers = {c.name: c for c in await rows(app, Customer)}
    li_id = seeded["members"]["li"].id
    assert customers["Acme"].owner_id == li_id
    assert [t.assignee_id for t in await rows(app, Task)] == [li_id]  # the open follow-up went along
    reviews = await rows(app, AuditLog, AuditLog.action == "review")
    assert [(a.customer_id, a.detail) for a in reviews] == [(customers["Acme"].id, "handed over to li")]
    assert [a.detail for a in await rows(app, AuditLog, AuditLog.action == "assign")] == ["boss -> li"]
    notices = [o for o in await rows(app, Outbox, Outbox.kind == "notice") if o.chat_id == "console:li"]
    assert len(notices) == 1 and "Acme" in notices[0].body["text"]

    # wu is another manager's rep: no button for wu; a forged one is refused, Initech stays boss's and stays due
    boss.last = [message]
    initech_row = next(row for row in message.buttons if "Initech" in row[0].label)
    [choose] = await boss.say("", button_payload=next(b for b in initech_row if b.label == "Hand over").payload)
    assert [b.label for row in choose.buttons for b in row] == ["li"]
    forged = choose.buttons[0][0].payload.rsplit(".", 1)[0] + f".{seeded['members']['wu'].id}"
    [refused] = await boss.say("", button_payload=forged)
    assert "only to yourself or your own reps" in refused.text
    customers = {c.name: c for c in await rows(app, Customer)}
    assert customers["Initech"].owner_id == seeded["members"]["boss"].id
    assert [a.customer_id for a in await rows(app, AuditLog, AuditLog.action == "review")] == [customers["Acme"].id]
    assert [a.customer_id for a in await rows(app, AuditLog, AuditLog.action == "denied")] == [customers["Initech"].id]


async def test_a_manager_with_no_one_to_give_to_is_told_so(app, clock):
    old = clock() - dt.timedelta(days=70)
    await seed_team(app, (("boss", "manager"), ("other", "manager")), [{"name": "Acme", "owner": "boss", "created_at": old}])
    message = await _review_list(app, clock)
    boss = Person(app, "boss")
    boss.last = [message]
    [reply] = await boss.say("", button_payload=next(b for b in message.buttons[0] if b.label == "Hand over").payload)
    assert reply.buttons == [] and "No colleague you may give Acme to" in reply.text
