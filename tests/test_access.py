"""Teams, roles and access: one check on every read path, through the real router and database."""
from __future__ import annotations

import datetime as dt

from sqlmodel import select

from handlers import access
from storage.models import AuditLog, Customer, CustomerShare, Identity, Inbox, Interaction, Invite, Member, Outbox, Task, Team

from .helpers import Person, seed_team, rows as _rows

MEMBERS = (("boss", "admin"), ("m1", "manager"), ("m2", "manager"), ("a", "rep", "m1"), ("a2", "rep", "m1"), ("b", "rep", "m2"))
CUSTOMERS = [
    {"name": "张强", "company": "星河贸易", "owner": "a", "phone": "13900001111"},
    {"name": "张丽", "company": "张记餐饮", "owner": "a"},
    {"name": "林涛", "company": "涛声电子", "owner": "b", "phone": "13700002222"},
    {"name": "Mary Chen", "company": "Chen Foods", "owner": "m1"},
    {"name": "Pool Ltd", "company": "Pool Ltd"},  # unowned: the team's pool
]




async def _denied(app) -> list[AuditLog]:
    return await _rows(app, AuditLog, AuditLog.action == "denied")


def _same(hidden: str, missing: str, hidden_q: str, missing_q: str) -> bool:
    return hidden.replace(hidden_q, "X") == missing.replace(missing_q, "X")


async def test_a_rep_asking_for_anothers_customer_gets_not_found_and_one_audit_row_each_way(app):
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    lin = seeded["customers"]["林涛"]
    a = Person(app, "a")

    # by name
    hidden, missing = await a.say("/customer 林涛"), await a.say("/customer 林小涛")
    assert _same(hidden[0].text, missing[0].text, "林涛", "林小涛") and hidden[0].buttons == missing[0].buttons == []
    assert [(r.customer_id, r.detail) for r in await _denied(app)] == [(lin.id, "by name")]

    # by id
    hidden, missing = await a.say(f"/customer #{lin.id}"), await a.say("/customer #999999")
    assert _same(hidden[0].text, missing[0].text, f"#{lin.id}", "#999999")
    assert len(await _denied(app)) == 2

    # by a forged button payload on a question of their own
    asked = await a.say("张总说价格太高，下周三前再报一次价")  # asks: 张强 or 张丽?
    payload = asked[0].buttons[0][0].payload
    prompt_id = payload.split(":")[1]
    forged = await a.say("", button_payload=f"p:{prompt_id}:c{lin.id}")
    nothing = await a.say("", button_payload=f"p:{prompt_id}:c999999")
    assert forged[0].text == nothing[0].text and "林涛" not in forged[0].text
    denied = await _denied(app)
    assert [(r.customer_id, r.detail, r.member_id) for r in denied][-1] == (lin.id, "by button", seeded["members"]["a"].id)
    assert len(denied) == 3
    [note] = await _rows(app, Interaction)
    assert note.customer_id is None  # the forged press filed nothing
    # the real answer still works
    a.last = asked
    await a.press("张丽")
    assert "张丽" in a.text

    # a search never lists it, and the phone number is nowhere in the answers
    found = await a.say("/find 涛")
    assert "林涛" not in found[0].text and "13700002222" not in found[0].text
    assert len(await _denied(app)) == 3  # a search is not a try on one customer


async def test_a_manager_sees_their_team_only(app_any_db):
    app = app_any_db
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    m1 = Person(app, "m1")
    assert "星河贸易" in (await m1.say("/customer 张强"))[0].text  # their rep's customer
    assert "Chen Foods" in (await m1.say("/customer Mary Chen"))[0].text  # their own
    hidden, missing = await m1.say("/customer 林涛"), await m1.say("/customer 林小涛")
    assert _same(hidden[0].text, missing[0].text, "林涛", "林小涛")
    found = (await m1.say("/find 张"))[0].text
    assert "张强" in found and "张丽" in found
    assert "林涛" not in (await m1.say("/find 林"))[0].text
    # the rep sees neither the manager's nor a colleague's customers
    a = Person(app, "a")
    assert "Chen Foods" not in (await a.say("/customer Mary Chen"))[0].text
    # the admin sees everything
    assert "涛声电子" in (await Person(app, "boss").say("/customer 林涛"))[0].text
    # the SQL filter the scheduler uses agrees with the check, member by member
    async with app.db.read() as session:
        customers = list((await session.exec(select(Customer))).all())
        for name in seeded["members"]:
            member = await session.get(Member, seeded["members"][name].id)
            ids = await access.visible_customer_ids(session, member)
            assert ids == {c.id for c in customers if await access.can_see(session, member, c)}, name
        m1_ids = await access.visible_customer_ids(session, await session.get(Member, seeded["members"]["m1"].id))
    names = {c.id: c.name for c in customers}
    assert sorted(names[i] for i in m1_ids) == sorted(["张强", "张丽", "Mary Chen", "Pool Ltd"])


async def test_a_shared_customer_is_seen_until_unshared(app):
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    a, b = Person(app, "a"), Person(app, "b")
    assert "涛声电子" not in (await a.say("/customer 林涛"))[0].text
    assert "a2 now sees 张强" in (await a.say("/share 张强 a2"))[0].text  # an owner may share
    assert "already sees" in (await a.say("/share 张强 a2"))[0].text
    reply = await b.say("/share 林涛 a")
    assert "now sees" in reply[0].text
    assert "涛声电子" in (await a.say("/customer 林涛"))[0].text
    [notice] = await _rows(app, Outbox, Outbox.kind == "notice", Outbox.member_id == seeded["members"]["a"].id)
    assert "林涛" in notice.body["text"]
    # someone else's customer cannot be shared onwards by a rep who only sees it
    assert "Only the owner" in (await a.say("/share 林涛 a2"))[0].text
    assert "no longer shared" in (await b.say("/unshare 林涛 a"))[0].text
    assert "涛声电子" not in (await a.say("/customer 林涛"))[0].text
    assert [(s.customer_id, s.member_id) for s in await _rows(app, CustomerShare)] == [(seeded["customers"]["张强"].id, seeded["members"]["a2"].id)]
    assert [r.action for r in await _rows(app, AuditLog, AuditLog.action.in_(("share", "unshare")))] == ["share", "share", "unshare"]


async def test_tasks_on_customers_one_may_not_see_are_not_listed(app):
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    team, a = seeded["team"], seeded["members"]["a"]
    async with app.db.write() as session:
        session.add(Task(team_id=team.id, customer_id=seeded["customers"]["林涛"].id, assignee_id=a.id, text="call Lin"))
        session.add(Task(team_id=team.id, customer_id=seeded["customers"]["张强"].id, assignee_id=a.id, text="call Zhang"))
    listing = (await Person(app, "a").say("/tasks"))[0].text
    assert "张强" in listing and "林涛" not in listing and "call Lin" not in listing


async def test_an_unknown_user_is_refused_and_nothing_is_created(app_any_db):
    app = app_any_db
    await seed_team(app, MEMBERS, CUSTOMERS)
    before = {model: len(await _rows(app, model)) for model in (Team, Member, Identity, Customer, Interaction, Task, Invite)}
    stranger = Person(app, "intruder", platform="telegram")
    for text in ("called 张强, wants quote Friday 13900001111", "/find 张", "/customer 张强", "/start", "/join NOPE", "/pair NOPE", "/new Evil Corp"):
        replies = await stranger.say(text)
        assert len(replies) == 1 and ("invite code" in replies[0].text or "not valid" in replies[0].text), (text, replies)
        assert "星河贸易" not in replies[0].text
    after = {model: len(await _rows(app, model)) for model in before}
    assert after == before
    inbox = await _rows(app, Inbox, Inbox.sender_id == "intruder")
    assert len(inbox) == 7 and all(row.status == "handled" for row in inbox)
    assert all("text" not in row.payload and "sender_name" not in row.payload for row in inbox)  # the key, not the words
    # a stranger in a group is not even answered unless they talk to the bot
    group = Person(app, "intruder", platform="telegram", chat_id="g1", chat_kind="group")
    assert await group.say("hello all") == []


async def test_invite_codes_are_single_use_and_expire(app, clock):
    await seed_team(app, MEMBERS, CUSTOMERS)
    boss = Person(app, "boss")
    code = (await boss.say("/invite rep"))[0].text.split("/join ")[1].split()[0]
    assert "7 days" in boss.text
    assert "Welcome" in (await Person(app, "new1", platform="telegram").say(f"/join {code}"))[0].text
    assert "not valid" in (await Person(app, "new2", platform="telegram").say(f"/join {code}"))[0].text

    old = (await boss.say("/invite rep"))[0].text.split("/join ")[1].split()[0]
    clock.advance(days=7, minutes=1)
    assert "not valid" in (await Person(app, "late", platform="telegram").say(f"/join {old}"))[0].text
    fresh = (await boss.say("/invite manager"))[0].text.split("/join ")[1].split()[0]
    clock.advance(days=6, hours=23)
    assert "Welcome" in (await Person(app, "late", platform="telegram").say(f"/join {fresh}"))[0].text
    members = {m.display_name: m for m in await _rows(app, Member)}
    assert "new2" not in members and members["late"].role == "manager" and members["new1"].manager_id == members["boss"].id
    # a rep cannot invite
    assert "Only an admin or a manager" in (await Person(app, "a").say("/invite rep"))[0].text


async def test_handover_moves_customers_and_open_tasks_and_tells_both(app_any_db):
    app = app_any_db
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    team, a, a2 = seeded["team"], seeded["members"]["a"], seeded["members"]["a2"]
    async with app.db.write() as session:
        session.add(Task(team_id=team.id, customer_id=seeded["customers"]["张强"].id, assignee_id=a.id, text="quote"))
        session.add(Task(team_id=team.id, customer_id=None, assignee_id=a.id, text="expense report"))
        session.add(Task(team_id=team.id, customer_id=seeded["customers"]["张丽"].id, assignee_id=a.id, text="old", status="done"))
    assert "Only an admin or a manager" in (await Person(app, "a").say("/handover a a2"))[0].text
    assert "can give customers only" in (await Person(app, "m2").say("/handover a b"))[0].text  # not m2's reps
    reply = await Person(app, "m1").say("/handover a a2")
    assert "2 customer(s), 2 open follow-up(s)" in reply[0].text
    owners = {c.name: c.owner_id for c in await _rows(app, Customer)}
    assert owners["张强"] == owners["张丽"] == a2.id and owners["林涛"] == seeded["members"]["b"].id
    tasks = {t.text: t for t in await _rows(app, Task)}
    assert tasks["quote"].assignee_id == tasks["expense report"].assignee_id == a2.id and tasks["old"].assignee_id == a.id
    notices = {o.member_id: o.body["text"] for o in await _rows(app, Outbox, Outbox.kind == "notice")}
    assert set(notices) == {a.id, a2.id}
    assert "a2" in notices[a.id] and "2 customer(s)" in notices[a2.id]
    trail = await _rows(app, AuditLog, AuditLog.action == "handover")
    assert sorted(r.customer_id for r in trail if r.customer_id) == sorted([seeded["customers"]["张强"].id, seeded["customers"]["张丽"].id])
    # the new owner works with them at once; the old one no longer sees them
    assert "星河贸易" in (await Person(app, "a2").say("/customer 张强"))[0].text
    assert "星河贸易" not in (await Person(app, "a").say("/customer 张强"))[0].text


async def test_assign_moves_one_customer_and_its_follow_ups(app):
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    team, a, a2 = seeded["team"], seeded["members"]["a"], seeded["members"]["a2"]
    async with app.db.write() as session:
        session.add(Task(team_id=team.id, customer_id=seeded["customers"]["张强"].id, assignee_id=a.id, text="quote"))
    assert "Only an admin or a manager" in (await Person(app, "a").say("/assign 张强 a2"))[0].text
    boss = Person(app, "boss")
    assert "No member called" in (await boss.say("/assign 张强 nobody"))[0].text
    assert "No customer called" in (await boss.say("/assign 无此人 a2"))[0].text
    reply = await boss.say("/assign 张强 → a2")
    assert "now belongs to a2" in reply[0].text and "1 follow-up" in reply[0].text
    [task] = await _rows(app, Task)
    assert task.assignee_id == a2.id
    notices = {o.member_id for o in await _rows(app, Outbox, Outbox.kind == "notice")}
    assert notices == {a.id, a2.id}
    [row] = await _rows(app, AuditLog, AuditLog.action == "assign")
    assert row.customer_id == seeded["customers"]["张强"].id and row.detail == "a -> a2"
    # names with spaces, and a manager only within their own people
    assert "already belongs to m1" in (await boss.say("/assign Mary Chen m1"))[0].text
    assert "Mary Chen now belongs to a " in (await boss.say("/assign Mary Chen a"))[0].text
    assert "can give customers only" in (await Person(app, "m1").say("/assign 张丽 b"))[0].text


async def test_one_member_on_telegram_and_slack(app, clock):
    await seed_team(app, MEMBERS, CUSTOMERS)
    on_console = Person(app, "a")
    code = (await on_console.say("/pair"))[0].text.split()[1].rstrip(":")
    on_slack = Person(app, "U123", platform="slack")
    reply = await on_slack.say(f"/pair {code}")
    assert "now a in Test team" in reply[0].text
    assert "星河贸易" in (await on_slack.say("/customer 张强"))[0].text  # their customers follow them
    assert "涛声电子" not in (await on_slack.say("/customer 林涛"))[0].text
    # single use, and short-lived
    assert "not valid" in (await Person(app, "U999", platform="slack").say(f"/pair {code}"))[0].text
    code2 = (await on_console.say("/pair"))[0].text.split()[1].rstrip(":")
    clock.advance(minutes=11)
    assert "not valid" in (await Person(app, "U777", platform="telegram").say(f"/pair {code2}"))[0].text
    # an account that is already someone cannot be paired onto another member
    code3 = (await on_console.say("/pair"))[0].text.split()[1].rstrip(":")
    assert "already a member" in (await Person(app, "b").say(f"/pair {code3}"))[0].text
    identities = await _rows(app, Identity, Identity.platform == "slack")
    assert [(i.platform_user_id) for i in identities] == ["U123"]


async def test_someone_who_left_is_removed_after_a_handover(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    boss = Person(app, "boss")
    assert "/handover b" in (await boss.say("/remove b"))[0].text
    await boss.say("/handover b m2")
    assert "removed" in (await boss.say("/remove b"))[0].text
    assert "invite code" in (await Person(app, "b").say("/customer 林涛"))[0].text  # a stranger now
    assert "涛声电子" in (await Person(app, "m2").say("/customer 林涛"))[0].text
    # rejoining with a new invite gives a fresh member on the same account
    code = (await boss.say("/invite rep"))[0].text.split("/join ")[1].split()[0]
    assert "Welcome" in (await Person(app, "b").say(f"/join {code}"))[0].text
    assert "涛声电子" not in (await Person(app, "b").say("/customer 林涛"))[0].text


async def test_a_handed_over_tasks_pending_reminder_follows_it(app, clock):
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    team, a, a2 = seeded["team"], seeded["members"]["a"], seeded["members"]["a2"]
    async with app.db.write() as session:
        task = Task(team_id=team.id, customer_id=seeded["customers"]["张强"].id, assignee_id=a.id, text="quote", due_at=clock() + dt.timedelta(days=1))
        session.add(task)
        await session.flush()
        session.add(Outbox(key="reminder:x", kind="reminder", platform="console", chat_id="console:a", member_id=a.id, body={"text": "quote", "meta": {"task_id": task.id}}, due_at=clock() + dt.timedelta(days=1)))
    await Person(app, "boss").say("/handover a a2")
    [row] = await _rows(app, Outbox, Outbox.kind == "reminder")
    assert row.status == "pending" and row.member_id == a2.id and row.chat_id == "console:a2"
