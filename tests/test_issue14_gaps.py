"""Issue 14, defect 1, for the prompt the earlier tests left out: after "Create …?" (a note naming
someone unknown), the next message that reads as a note about a known customer is filed on that
customer, not taken as the answer; the waiting note stays kept; 算了 closes the question."""

from __future__ import annotations

from storage.models import AuditLog, Customer, Interaction, Prompt
from tests.helpers import Person, rows, seed_team

MEMBERS = (("boss", "manager"), ("li", "rep", "boss"))
CUSTOMERS = [{"name": "李娜", "company": "李氏食品", "owner": "li"}]
UNKNOWN = "拜访了赵六科技的赵六，下周三前发报价"
KNOWN = "给李娜打电话，周五发样品"


async def test_a_note_after_create_is_filed_on_its_own_customer(app_any_db):
    app = app_any_db
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    await li.say(UNKNOWN)
    assert "赵六" in li.text and any("赵六" in b.label for r in li.last for row in r.buttons for b in row)  # the Create question
    await li.say(KNOWN)
    assert "李娜" in li.text
    notes = {n.text: n for n in await rows(app, Interaction)}
    lina = next(c for c in await rows(app, Customer) if c.name == "李娜")
    assert (notes[KNOWN].customer_id, notes[KNOWN].status) == (lina.id, "filed")
    assert (notes[UNKNOWN].customer_id, notes[UNKNOWN].status) == (None, "pending")  # kept, still waiting for its customer
    assert [c.name for c in await rows(app, Customer)] == ["李娜"]  # the note was not an answer creating anyone


async def test_a_note_after_create_drops_the_question_with_one_line(app_any_db):
    """As after 改日期: the note sent next is filed on its own, the Create question is closed (its buttons create
    nobody) and one short line in the sender's language says the earlier note still waits for its customer."""
    app = app_any_db
    await seed_team(app, (*MEMBERS, ("amy", "rep", "boss")), [*CUSTOMERS, {"name": "Tom Baker", "company": "Baker Logistics", "owner": "amy"}])
    li, amy = Person(app, "li"), Person(app, "amy")
    await li.say(UNKNOWN)
    asked = li.last
    [reply] = await li.say(KNOWN)
    assert "李娜" in reply.text and reply.text.endswith("\n（上一条记录暂不关联客户。）")
    li.last = asked
    [pressed] = await li.press("赵六")  # the old ➕ 新建 赵六
    assert "结束" in pressed.text
    [asked] = await amy.say("lunch with Jane Doe from Doe Industries, send a quote Friday")
    assert asked.text.startswith("New customer Jane Doe?")
    [reply] = await amy.say("called Tom Baker, wants samples next week")
    assert "Tom Baker" in reply.text and reply.text.endswith("\n(The earlier note stays without a customer.)")
    assert [(p.kind, p.status) for p in await rows(app, Prompt) if p.kind == "create_customer"] == [("create_customer", "expired")] * 2
    assert sorted(c.name for c in await rows(app, Customer)) == ["Tom Baker", "李娜"]
    waiting = {n.text: (n.customer_id, n.status) for n in await rows(app, Interaction) if n.status == "pending"}
    assert set(waiting) == {UNKNOWN, "lunch with Jane Doe from Doe Industries, send a quote Friday"}  # both kept, still waiting


async def test_small_talk_after_create_leaves_the_question_open(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    asked = await li.say(UNKNOWN)
    await li.say("好的")
    li.last = asked
    [created] = await li.press("赵六")
    assert "赵六" in created.text
    assert sorted(c.name for c in await rows(app, Customer)) == ["李娜", "赵六"]


async def test_cancel_closes_the_create_question_and_keeps_the_note(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    await li.say(UNKNOWN)
    await li.say("算了")
    assert "保存" in li.text
    assert [(p.kind, p.status) for p in await rows(app, Prompt) if p.kind == "create_customer"] == [("create_customer", "answered")]
    assert [(n.text, n.status) for n in await rows(app, Interaction)] == [(UNKNOWN, "pending")]
    assert [c.name for c in await rows(app, Customer)] == ["李娜"]


async def test_a_questions_buttons_expire_after_a_week(app, clock):
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    await li.say(UNKNOWN)
    asked = li.last
    clock.advance(days=7, minutes=1)
    li.last = asked
    [reply] = await li.press("赵六")  # ➕ 新建 赵六, a week and a minute later
    assert "\n" not in reply.text and ("过期" in reply.text or "expired" in reply.text.lower())
    assert [c.name for c in await rows(app, Customer)] == ["李娜"]  # nothing created from a stale button
    assert [(n.text, n.status) for n in await rows(app, Interaction)] == [(UNKNOWN, "pending")]


async def test_email_and_rename_from_chat_and_bad_input_changes_nothing(app_any_db):
    """/email and /rename (/邮箱, /改名) had no test: set, refused on bad input with one line, audited,
    and the renamed customer is found by its new name (the old one becomes an alias or stays findable)."""
    app = app_any_db
    await seed_team(app, MEMBERS, [{"name": "王伟", "company": "华东机电", "owner": "li"}, {"name": "陈静", "owner": "li"}])
    li = Person(app, "li")
    await li.say("/email 王伟 wang@hd.example")
    await li.say("/邮箱 陈静 chen@jing.example")
    [bad] = await li.say("/email 王伟 not-an-email")
    assert "\n" not in bad.text
    await li.say("/rename 王伟 王伟强")
    await li.say("/改名 陈静 陈晶")
    by_name = {c.name: c for c in await rows(app, Customer)}
    assert set(by_name) == {"王伟强", "陈晶"}
    assert by_name["王伟强"].email == "wang@hd.example" and by_name["陈晶"].email == "chen@jing.example"
    assert "华东机电" in (await li.say("/customer 王伟强"))[0].text
    assert len([a for a in await rows(app, AuditLog) if a.action == "edit"]) >= 4
