"""Issue 14's defects, each through the real router and database (no messenger)."""
from __future__ import annotations

import datetime as dt

from storage.models import Customer, Interaction, Prompt, Task

from .helpers import Person, rows, seed_team

CUSTOMERS = [
    {"name": "王伟", "company": "华东机电", "owner": "li"},
    {"name": "李娜", "company": "李氏食品", "owner": "li"},
    {"name": "Tom Baker", "company": "Baker Logistics", "owner": "li"},
]
MEMBERS = (("boss", "manager"), ("li", "rep", "boss"), ("wu", "rep", "boss"))


async def _tasks_of(app, name):
    customers = {c.id: c.name for c in await rows(app, Customer)}
    return [t for t in await rows(app, Task) if customers.get(t.customer_id) == name]


# 1. a pending prompt never swallows a note
async def test_a_note_after_change_date_is_filed_not_taken_as_the_date(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    await li.say("called Wang, wants quote Friday")
    [wang_task] = await _tasks_of(app, "王伟")
    before = wang_task.due_at
    await li.press("Change date")
    reply = await li.say("拜访了李娜，下周三前发报价")
    assert "李娜" in li.text
    [wang_task] = await _tasks_of(app, "王伟")
    assert wang_task.due_at == before  # the other customer's follow-up did not move
    assert len(await _tasks_of(app, "李娜")) == 1
    assert len([n for n in await rows(app, Interaction) if n.status == "filed"]) == 2
    assert reply[0].text.count("\n") <= 4


async def test_cancel_closes_the_date_question_and_changes_nothing(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    await li.say("called Wang, wants quote Friday")
    before = (await _tasks_of(app, "王伟"))[0].due_at
    await li.press("Change date")
    await li.say("算了")
    assert "stays" in li.text or "不变" in li.text
    assert (await _tasks_of(app, "王伟"))[0].due_at == before
    assert not [p for p in await rows(app, Prompt) if p.status == "open" and p.kind == "change_date"]
    assert len(await rows(app, Interaction)) == 1  # "算了" is no note


async def test_cancel_answers_the_name_question_and_keeps_the_note(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    await li.say("打电话了，周五发报价")
    await li.say("cancel")
    [note] = await rows(app, Interaction)
    assert note.status == "pending"
    assert "kept" in li.text.lower() or "保存" in li.text


async def test_a_date_question_expires(app, clock):
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    await li.say("called Wang, wants quote Friday")
    await li.press("Change date")
    clock.advance(hours=2)
    await li.say("next Tuesday")
    before = [t.due_at.date() for t in await _tasks_of(app, "王伟")]
    assert dt.date(2027, 3, 9) not in before


# 2. same names: every command that takes a customer offers the candidates
async def test_customer_with_two_of_the_same_name_offers_both(app):
    await seed_team(app, MEMBERS, [{"name": "张伟", "company": "甲公司", "owner": "li"}, {"name": "张伟", "company": "乙公司", "owner": "li"}])
    li = Person(app, "li")
    reply = await li.say("/customer 张伟")
    labels = [b.label for row in reply[0].buttons for b in row]
    assert any("甲公司" in label for label in labels) and any("乙公司" in label for label in labels)
    await li.press("乙公司")
    assert "乙公司" in li.text and "张伟" in li.text


async def test_forget_with_two_of_the_same_name_offers_both(app):
    await seed_team(app, (("boss", "admin"),), [{"name": "张伟", "company": "甲公司", "owner": "boss"}, {"name": "张伟", "company": "乙公司", "owner": "boss"}])
    boss = Person(app, "boss")
    await boss.say("/forget 张伟")
    await boss.press("甲公司")
    await boss.press("Delete")
    assert [c.company for c in await rows(app, Customer)] == ["乙公司"]


# 3. /new reads phone, email, alias and tier; phone numbers in notes go onto the card
async def test_new_reads_phone_alias_and_tier(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    await li.say("/new 王建国, 宏达机械, 13812345678, 别名 王总, 重要")
    c = next(c for c in await rows(app, Customer) if c.name == "王建国")
    assert (c.company, c.phone, c.aliases, c.tier) == ("宏达机械", "13812345678", ["王总"], "important")


async def test_a_phone_number_in_a_note_goes_onto_the_card(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    await li.say("给李娜打电话，她的新手机 13900001111，周五发报价")
    c = next(c for c in await rows(app, Customer) if c.name == "李娜")
    assert c.phone == "13900001111"


# 4. /new NAME after "which customer?" attaches the waiting note
async def test_new_after_which_customer_attaches_the_waiting_note(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    await li.say("打电话了，周五发报价")
    await li.say("/new 赵六, 六六科技")
    [note] = await rows(app, Interaction)
    zhao = next(c for c in await rows(app, Customer) if c.name == "赵六")
    assert note.customer_id == zhao.id and note.status == "filed"
    [task] = await rows(app, Task)
    assert task.customer_id == zhao.id


# 6. duplicates across the team are offered before creating
async def test_new_offers_a_close_match_owned_by_someone_else(app):
    await seed_team(app, MEMBERS, [{"name": "王伟", "company": "华东机电", "owner": "wu", "phone": "13912345678"}])
    li = Person(app, "li")
    reply = await li.say("/new 王伟, 东方机电")
    assert len(await rows(app, Customer)) == 1
    assert "王伟" in reply[0].text and reply[0].buttons
    await li.press("新建")
    assert len(await rows(app, Customer)) == 2


async def test_new_offers_a_match_by_phone(app):
    await seed_team(app, MEMBERS, [{"name": "王伟", "company": "华东机电", "owner": "wu", "phone": "13912345678"}])
    li = Person(app, "li")
    reply = await li.say("/new 王总, 13912345678")
    assert len(await rows(app, Customer)) == 1 and "王伟" in reply[0].text


# 8. /tasks 小李 from a manager
async def test_manager_sees_a_reps_tasks(app):
    await seed_team(app, (("boss", "manager"), ("小李", "rep", "boss"), ("小吴", "rep", "boss")), [{"name": "王伟", "owner": "小李"}, {"name": "李娜", "owner": "小吴"}])
    await Person(app, "小李").say("给王伟打电话，周五发报价")
    await Person(app, "小吴").say("给李娜打电话，周五发报价")
    reply = await Person(app, "boss").say("/tasks 小李 all")
    assert "王伟" in reply[0].text and "李娜" not in reply[0].text
    denied = await Person(app, "小吴").say("/tasks 小李")
    assert "王伟" not in denied[0].text
