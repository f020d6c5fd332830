"""Slack's App Home tab, phone-sized (issue 16): a member with more follow-ups due than fit a phone's screen
sees them a page at a time, with More and First buttons that publish the tab's other pages (a view only:
nothing stored, nothing posted), every follow-up exactly once, in due order. The real Bolt app behind its
HTTP endpoint, the fake Slack Web API."""
from __future__ import annotations

import json

import pytest

from storage.models import Inbox, Task
from tests.helpers import rows as _rows
from tests.helpers import seed_team
from tests.reminders_fixtures import add_task, at, set_member

from .fakes.slack_api import SlackEnv, slack_env, slack_env_any_db  # noqa: F401  (fixtures)

ME = "UBOSS"


async def _seed(env: SlackEnv, n: int) -> tuple[dict, list[Task]]:
    seeded = await seed_team(env.app, ((ME, "admin"),), [{"name": "王伟", "company": "华东机电"}], platform="slack")
    env.api.add_user(ME, "Boss")
    team, me, wang = seeded["team"], seeded["members"][ME], seeded["customers"]["王伟"]
    tasks = [await add_task(env.app, team, me, wang, due=at(2027, 3, 1, 8 + i // 6, i % 6 * 10), text=f"step {i:02d}") for i in range(n)]  # 08:00… (overdue) to 10:50
    return seeded, tasks


def _task_ids(view: dict) -> list[int]:
    return [int(b["block_id"].split("-")[1]) for b in view["blocks"] if b["type"] == "section" and b.get("block_id", "").startswith("task-")]


def _paging(view: dict) -> tuple[str, list[str]]:
    """The tab's range line and its paging buttons' labels."""
    line = next((b["elements"][0]["text"] for b in view["blocks"] if b["type"] == "context"), "")
    buttons = [e["text"]["text"] for b in view["blocks"] if b.get("block_id") == "paging" for e in b["elements"]]
    return line, buttons


async def _press(env: SlackEnv, label: str) -> None:
    """Press a paging button of the Home tab as Slack would send it."""
    view = env.api.home(ME) or {}
    [block] = [b for b in view["blocks"] if b.get("block_id") == "paging"]
    [element] = [e for e in block["elements"] if label in e["text"]["text"]]
    payload = {
        "type": "block_actions",
        "user": {"id": ME, "username": ME.lower(), "team_id": env.api.team_id},
        "api_app_id": "A1",
        "team": {"id": env.api.team_id},
        "container": {"type": "view", "view_id": f"VH{ME}"},
        "trigger_id": "trig.page",
        "view": {"id": f"VH{ME}", "type": "home"},
        "actions": [{"type": "button", "action_id": element["action_id"], "block_id": "paging", "value": element["value"], "text": element["text"], "action_ts": env.slack.now_ts()}],
    }
    status, _ = await env.slack.post_form({"payload": json.dumps(payload)})
    assert status == 200
    await env.settle()


async def test_a_long_home_tab_pages_through_every_follow_up_once_in_due_order(slack_env_any_db: SlackEnv):
    env = slack_env_any_db
    _seeded, tasks = await _seed(env, 12)
    await env.slack.open_home(ME)
    await env.settle()
    first = env.api.home(ME)
    assert len(_task_ids(first)) == 5 and _paging(first) == ("1–5 of 12", ["More ▸ (7)"])
    assert len(first["blocks"]) <= 20  # a phone's screen, not a wall

    await _press(env, "More")
    second = env.api.home(ME)
    assert _paging(second) == ("6–10 of 12", ["More ▸ (2)", "◂ First"])
    await _press(env, "More")
    third = env.api.home(ME)
    assert _paging(third) == ("11–12 of 12", ["◂ First"])
    shown = _task_ids(first) + _task_ids(second) + _task_ids(third)
    assert shown == [task.id for task in tasks]  # each once, none skipped, in due order
    assert "王伟" in [b["text"]["text"] for b in third["blocks"] if b["type"] == "section"][-1]  # recent customers on every page

    await _press(env, "First")
    assert _task_ids(env.api.home(ME)) == _task_ids(first)
    assert [r for r in await _rows(env.app, Inbox) if r.key.startswith("slack:")] == []  # a view only: nothing stored…
    assert env.api.texts("DBOSS") == []  # …nor answered
    assert len(env.api.of("views.publish")) == 4  # opened, More, More, First

    # a follow-up done from a later page: the tab is published again from its first page, one fewer
    await _press(env, "More")
    await _press(env, "More")
    await env.slack.press_home(ME, "Done", tasks[11].id)
    await env.settle()
    assert _paging(env.api.home(ME)) == ("1–5 of 11", ["More ▸ (6)"])
    assert env.api.texts("DBOSS")[-1].startswith("✓ Done: 王伟")


async def test_a_short_tab_has_no_paging_and_chinese_labels_on_a_long_one(slack_env: SlackEnv):
    env = slack_env
    seeded, _tasks = await _seed(env, 5)
    await env.slack.open_home(ME)
    await env.settle()
    view = env.api.home(ME)
    assert len(_task_ids(view)) == 5 and _paging(view) == ("", [])

    me = seeded["members"][ME]
    await set_member(env.app, me, language="zh")
    await add_task(env.app, seeded["team"], me, seeded["customers"]["王伟"], due=at(2027, 3, 1, 11, 0), text="step 05")
    await env.slack.open_home(ME)
    await env.settle()
    assert _paging(env.api.home(ME)) == ("第 1–5 条，共 6 条", ["更多 ▸（还有 1 条）"])
    await _press(env, "更多")
    assert _paging(env.api.home(ME)) == ("第 6–6 条，共 6 条", ["◂ 第一页"])


@pytest.mark.parametrize("value, offset", [("5", 5), ("0", 0), ("", 0), ("-5", 0), ("x", 0), ("99999999", 0), (None, 0)])
def test_a_paging_buttons_value_is_read_as_an_offset_or_the_first_page(value, offset):
    from bot.slack.home import page_of

    assert page_of(value) == offset
