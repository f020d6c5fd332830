"""Issue 14: the customer card (/customer NAME) shows tier, stage, owner, open risks, open follow-ups,
last contact and the next step, phone-sized, in the reader's language — through the router."""
from __future__ import annotations

from .helpers import Person, seed_team

MEMBERS = (("boss", "manager"), ("li", "rep", "boss"))


async def test_card_shows_risks_tasks_owner_and_next_step_in_chinese(app_any_db):
    app = app_any_db
    await seed_team(app, MEMBERS, [{"name": "王伟", "company": "华东机电", "owner": "li", "tier": "important", "stage": "active"}])
    li = Person(app, "li")
    await li.say("给王伟打了电话，他投诉交货太慢，下周三前发报价")
    [card] = await li.say("/客户 王伟")
    text = card.text
    assert "重要" in text and "活跃" in text and "负责人 li" in text
    assert "风险：投诉" in text
    assert "上次联系：" in text
    assert "下一步：" in text and "报价" in text.split("下一步：")[1].splitlines()[0]
    assert "☐ #" in text
    assert len(text.splitlines()) <= 12 and max(len(line) for line in text.splitlines()) <= 60


async def test_card_without_follow_up_names_the_contact_plan(app_any_db):
    app = app_any_db
    await seed_team(app, MEMBERS, [{"name": "Acme", "owner": "li", "tier": "important"}])
    [card] = await Person(app, "li").say("/customer Acme")
    next_line = next(line for line in card.text.splitlines() if line.startswith("Next: "))
    assert "contact by" in next_line and "every 14 days" in next_line
    assert "Risks" not in card.text


async def test_help_lists_what_the_card_shows(app):
    await seed_team(app, MEMBERS)
    [reply] = await Person(app, "li").say("/help")
    assert "/customer — customer card: risks, follow-ups, next step" in reply.text
