"""Issue 14 workflows through the router: editing from chat, merging (and undoing it), /done several, /snooze."""
from __future__ import annotations

from storage.models import AuditLog, Customer, Interaction, Task

from .helpers import Person, rows, seed_team

MEMBERS = (("boss", "manager"), ("li", "rep", "boss"), ("wu", "rep", "boss"))
CUSTOMERS = [{"name": "王伟", "company": "华东机电", "owner": "li"}, {"name": "王伟伟", "owner": "li"}, {"name": "李娜", "owner": "wu"}]


async def _customer(app, name):
    return next(c for c in await rows(app, Customer) if c.name == name)


async def test_edit_from_chat_and_bad_values_change_nothing(app_any_db):
    app = app_any_db
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    await li.say("/tier 王伟 重要")
    await li.say("/阶段 王伟 活跃")
    await li.say("/phone 王伟 13812345678")
    await li.say("/alias 王伟 王总")
    wang = await _customer(app, "王伟")
    assert (wang.tier, wang.stage, wang.phone, wang.aliases) == ("important", "active", "13812345678", ["王总"])
    reply = await li.say("/tier 王伟 超级")
    assert reply[0].text.count("\n") == 0 and (await _customer(app, "王伟")).tier == "important"
    denied = await li.say("/tier 李娜 重要")
    assert (await _customer(app, "李娜")).tier == "general" and "\n" not in denied[0].text  # wu's customer: not li's to change
    assert {a.action for a in await rows(app, AuditLog)} >= {"edit", "stage"}


async def test_merge_moves_everything_and_undo_puts_it_back(app_any_db):
    app = app_any_db
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    await li.say("给王伟伟打电话，周五发报价")
    dup = await _customer(app, "王伟伟")
    await li.say("/merge 王伟 王伟伟")
    await li.press("Merge" if li.text.startswith("Merge") else "合并")
    wang = await _customer(app, "王伟")
    assert "王伟伟" in wang.aliases and not [c for c in await rows(app, Customer) if c.id == dup.id]
    assert {n.customer_id for n in await rows(app, Interaction)} == {wang.id}
    assert {t.customer_id for t in await rows(app, Task)} == {wang.id}
    assert "merge" in {a.action for a in await rows(app, AuditLog)}
    await li.say("/unmerge")
    back = await _customer(app, "王伟伟")
    assert back.id == dup.id
    assert {n.customer_id for n in await rows(app, Interaction)} == {dup.id}
    assert (await _customer(app, "王伟")).aliases == []


async def test_done_several_and_snooze(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    for text in ("给王伟打电话，明天发报价", "给王伟伟打电话，今天发样品", "call 王伟 again friday"):
        await li.say(text)
    ids = [t.id for t in await rows(app, Task)]
    await li.say(f"/snooze {ids[2]} 下周一")
    await li.say(f"/done {ids[0]} {ids[1]} 999")
    tasks = {t.id: t for t in await rows(app, Task)}
    assert tasks[ids[0]].status == tasks[ids[1]].status == "done" and "#999" in li.text
    assert tasks[ids[2]].due_at.astimezone(app.settings.zone).date().isoformat() == "2027-03-08"
