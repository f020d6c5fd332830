"""Several customers of one name: the command offers them as buttons and the press runs it again on the chosen one.

The offer lives in handlers/customer_lookup (below commands and team_commands), the press in handlers/choose
(which runs the command table): the path a /forget or /customer takes through both after the import loop
commands ↔ team_commands was untangled (issue 15)."""
from __future__ import annotations

from storage.models import Customer, Prompt

from .helpers import Person, rows, seed_team

MEMBERS = (("boss", "admin"), ("li", "rep", "boss"))
CUSTOMERS = [
    {"name": "张伟", "company": "华为", "owner": "li"},
    {"name": "张伟", "company": "小米", "owner": "li"},
    {"name": "李娜", "company": "腾讯", "owner": "li"},
]


async def test_forget_offers_the_namesakes_and_the_press_forgets_only_the_chosen_one(app_any_db):
    app = app_any_db
    await seed_team(app, MEMBERS, CUSTOMERS)
    boss = Person(app, "boss")
    await boss.say("/forget 张伟")
    labels = [b.label for r in boss.last for row in r.buttons for b in row]
    assert "张伟" in boss.text and len(labels) == 3 and any("华为" in x for x in labels) and any("小米" in x for x in labels)
    assert {p.kind for p in await rows(app, Prompt)} == {"choose"}
    await boss.press("小米")  # the command runs again on that one: its own confirmation
    assert "张伟" in boss.text and [b.label for r in boss.last for row in r.buttons for b in row][0].endswith(("Delete for good", "永久删除"))
    await boss.press("🗑")
    left = {(c.name, c.company) for c in await rows(app, Customer)}
    assert left == {("张伟", "华为"), ("李娜", "腾讯")}


async def test_customer_card_through_a_choice_and_a_press_on_a_stranger_is_refused(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    await li.say("/customer 张伟")
    choice = li.last
    payloads = [b.payload for r in choice for row in r.buttons for b in row]
    await li.press("华为")
    assert "华为" in li.text and "小米" not in li.text
    other = next(c for c in await rows(app, Customer) if c.name == "李娜")
    forged = payloads[0].rsplit(":", 1)[0] + f":c{other.id}"  # a customer that was not offered
    li.last = choice
    await li.say("", button_payload=forged)
    assert "腾讯" not in li.text
