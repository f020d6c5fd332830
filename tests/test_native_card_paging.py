"""A customer card with more open follow-ups than it shows (five, then "… +N"): a button under it opens all
of them, paged ten at a time in place of the card, each once, in due order, each one's owner named (issue 16,
phone-sized replies). Telegram: the real PTB Application against the fake Bot API; Slack: the real Bolt app
against the fake Web API (the card keeps its Edit button beside it)."""
from __future__ import annotations

import re

from storage.models import Task
from tests.fakes.telegram_api import user
from tests.fakes.telegram_world import fake_telegram, world_any_db  # noqa: F401  (fixtures)
from tests.helpers import seed_team
from tests.reminders_fixtures import add_task, at, set_member

from .fakes.slack_api import SlackEnv, slack_env  # noqa: F401  (fixtures)

LI = user(1001, "Li", language_code="en")
MEI = user(1002, "Mei", language_code="zh-hans")


def labels(message: dict) -> list[str]:
    return [b["text"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^(?:☐ )?#(\d+) ", text, re.M)]  # the card's "☐ #3 …", the list's "#3 …"


async def _tasks(app, seeded, n: int, customer: str) -> list[Task]:
    team, members, found = seeded["team"], seeded["members"], seeded["customers"][customer]
    people = list(members.values())
    return [await add_task(app, team, people[i % len(people)], found, due=at(2027, 3, 2 + i, 10, 0), text=f"step {i:02d}") for i in range(n)]


async def test_a_card_with_twelve_follow_ups_opens_them_all_paged_in_place(world_any_db):
    world = world_any_db
    seeded = await seed_team(world.app, members=(("1001", "admin"), ("1002", "admin")), customers=({"name": "Wang Lei", "company": "Acme", "owner": "1001"},), platform="telegram")
    tasks = await _tasks(world.app, seeded, 12, "Wang Lei")
    await world.start()
    [card] = await world.say(LI, "/customer Wang Lei")
    assert len(numbers(card["text"])) == 5 and "… +7" in card["text"] and labels(card) == ["All 12 follow-ups ▸"]

    [first] = await world.press(LI, card, "All 12")
    assert first["message_id"] == card["message_id"]  # the list takes the card's place
    assert first["text"].startswith("Wang Lei · 12 open follow-ups:") and "1–10 of 12" in first["text"] and labels(first) == ["More ▸ (2)"]
    assert "(1001)" in first["text"] and "(1002)" in first["text"]  # whose each one is (seeded names)
    first_page = numbers(first["text"])  # (the fake edits its message record in place: read it now)
    [second] = await world.press(LI, first, "More")
    assert second["message_id"] == card["message_id"] and "11–12 of 12" in second["text"] and labels(second) == []
    assert first_page + numbers(second["text"]) == [task.id for task in tasks]  # each once, in due order

    await set_member(world.app, seeded["members"]["1002"], language="zh")
    [card_zh] = await world.say(MEI, "/客户 Wang Lei")
    assert labels(card_zh) == ["全部 12 个跟进 ▸"]
    [first_zh] = await world.press(MEI, card_zh, "全部")
    assert first_zh["text"].startswith("Wang Lei · 12 个未完成跟进：") and "第 1–10 条，共 12 条" in first_zh["text"]


async def test_a_card_with_five_follow_ups_has_no_such_button(world_any_db):
    world = world_any_db
    seeded = await seed_team(world.app, members=(("1001", "admin"),), customers=({"name": "Wang Lei", "company": "Acme", "owner": "1001"},), platform="telegram")
    await _tasks(world.app, seeded, 5, "Wang Lei")
    await world.start()
    [card] = await world.say(LI, "/customer Wang Lei")
    assert len(numbers(card["text"])) == 5 and "… +" not in card["text"] and labels(card) == []


ME = "UBOSS"


async def test_on_slack_the_card_keeps_its_edit_button_beside_the_list_button(slack_env: SlackEnv):
    env = slack_env
    seeded = await seed_team(env.app, ((ME, "admin"),), [{"name": "王伟", "company": "华东机电"}], platform="slack")
    env.api.add_user(ME, "Boss")
    tasks = await _tasks(env.app, seeded, 8, "王伟")
    await env.slack.dm(ME, "/customer 王伟")
    await env.settle()
    card = env.api.posts("DBOSS")[-1]
    buttons = [e["text"]["text"] for b in card["blocks"] for e in (b.get("elements") or []) + ([b["accessory"]] if b.get("accessory") else []) if e.get("type") == "button"]
    assert "All 8 follow-ups ▸" in buttons and any("Edit" in label for label in buttons)
    await env.slack.press(ME, card, "All 8")
    await env.settle()
    _, answer = env.api.responses[-1]
    assert answer["replace_original"] is True and numbers(answer["text"]) == [task.id for task in tasks]
