"""Issue 14's workflows through a messenger: the real PTB Application polls the fake Bot API and the
replies go out through the outbox, as on a phone. A manager adds a customer with /new (phone, alias,
tier read from the line), a rep's note names the customer by its alias, a button fixes the date,
/tasks lists the follow-up, /done closes it, and the card shows the result."""

from __future__ import annotations

import re

from storage.models import Customer, Interaction, Task
from tests.fakes.telegram_api import user
from tests.fakes.telegram_world import fake_telegram, world_any_db  # noqa: F401
from tests.helpers import seed_team

BOSS = user(1001, "Boss", language_code="zh-hans")
LI = user(1002, "小李", language_code="zh-hans")


def labels(message: dict) -> list[str]:
    return [b["text"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def test_a_customer_is_added_noted_fixed_listed_and_done_through_telegram(world_any_db):
    world = world_any_db
    await seed_team(world.app, members=(("1001", "manager"), ("1002", "rep", "1001")), platform="telegram")
    await world.start()

    [added] = await world.say(BOSS, "/new 王建国, 宏达机械, 13812345678, 别名 王总, 重要")
    assert "王建国" in added["text"]
    [wang] = await world.rows(Customer)
    assert (wang.company, wang.phone, wang.tier) == ("宏达机械", "13812345678", "important") and "王总" in wang.aliases
    await world.say(BOSS, "/assign 王建国 1002")

    [filed] = await world.say(LI, "给王总打了电话，周五发报价")  # Monday 1 March 2027: Friday is 5 March
    assert "王建国" in filed["text"] and "3月5日" in filed["text"]
    [note] = await world.notes()
    assert note.customer_id == wang.id
    date_button = next(label for label in labels(filed) if "日期" in label)
    [asked] = await world.press(LI, filed, date_button)
    assert asked["text"]
    replies = await world.say(LI, "下周一")
    assert any("3月8日" in r["text"] for r in replies)
    [task] = await world.rows(Task)
    assert task.due_at.astimezone(world.clock().tzinfo).date().isoformat() == "2027-03-08"

    [tasks] = await world.say(LI, "/tasks all")
    assert "王建国" in tasks["text"]
    number = re.search(r"#(\d+)", tasks["text"]).group(1)
    [done] = await world.say(LI, f"/done {number}")
    assert "王建国" in done["text"]
    assert [t.status for t in await world.rows(Task)] == ["done"]

    [card] = await world.say(LI, "/customer 王总")
    assert "王建国" in card["text"] and "重要" in card["text"]
    assert len(await world.rows(Interaction)) == 1  # the note, once
