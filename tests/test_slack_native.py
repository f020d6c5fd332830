"""Slack as its users expect it: a pressed button's message becomes the answer, answers in channels
are seen only by whoever asked (a digest asked for is for everyone), App Home, the "Log as CRM note"
shortcut and the edit modals. The real Bolt app behind its HTTP endpoint, the fake Slack Web API."""
from __future__ import annotations

import pytest

from storage.models import Inbox, Interaction, Task

from .fakes.slack_api import SlackEnv, seed_slack_admin, slack_env, slack_env_any_db  # noqa: F401  (fixtures)
from .helpers import rows as _rows

ME = "UBOSS"
CUSTOMERS = [{"name": "王伟", "company": "华东机电", "phone": "13800001111"}, {"name": "张强", "company": "星河贸易"}, {"name": "张丽", "company": "张记餐饮"}]


@pytest.fixture
async def team(slack_env: SlackEnv):
    return await seed_slack_admin(slack_env, ME, CUSTOMERS)


@pytest.fixture
async def team_any_db(slack_env_any_db: SlackEnv):
    return await seed_slack_admin(slack_env_any_db, ME, CUSTOMERS)


def _labels(post: dict) -> list[str]:
    return [e["text"]["text"] for b in post.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]


async def test_a_press_replaces_its_message_through_chat_update_once_the_response_url_is_gone(team_any_db: SlackEnv):
    env = team_any_db
    await env.slack.dm(ME, "called 王伟, wants a quote")
    await env.settle()
    filed = env.api.posts("DBOSS")[-1]
    assert "Undo" in _labels(filed)
    env.api.dead_response_urls.update(f"act{n}" for n in range(1, 50))  # Slack no longer takes it
    await env.slack.press(ME, filed, "Undo")
    await env.settle()
    [update] = env.api.updates("DBOSS")
    assert update["ts"] == filed["ts"] and update["text"].startswith("↩") and update["blocks"] == []  # buttons gone
    assert len(env.api.posts("DBOSS")) == 1  # nothing new posted
    assert await _rows(env.app, Interaction) == []


async def test_channel_answers_are_ephemeral_but_a_requested_digest_is_for_everyone(team: SlackEnv):
    env = team
    await env.slack.command(ME, "C1", "link")
    await env.slack.command(ME, "C1", "find 张")
    await env.slack.command(ME, "C1", "digest")
    await env.settle()
    linked, found, digest = (body for _, body in env.api.responses[-3:])
    assert linked["response_type"] == "in_channel"  # the channel is linked: everyone's news
    assert found["response_type"] == "ephemeral" and "张强" in found["text"]
    assert digest["response_type"] == "in_channel"


def _home_lines(view: dict) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]


async def test_app_home_shows_todays_follow_ups_and_is_republished_after_each_change(team: SlackEnv):
    env = team
    await env.slack.open_home(ME)
    await env.settle()
    empty = env.api.home(ME)
    assert empty is not None and "Nothing due today" in " ".join(_home_lines(empty))

    await env.slack.dm(ME, "called 王伟, send him the quote today")  # a new note: the tab shows its follow-up
    await env.settle()
    [task] = await _rows(env.app, Task)
    view = env.api.home(ME)
    assert any(f"#{task.id}" in line and "王伟" in line for line in _home_lines(view))
    assert "王伟" in _home_lines(view)[-1]  # recent customers

    await env.slack.press_home(ME, "Done", task.id)  # stored first, then /done, then the tab again
    await env.settle()
    [task] = await _rows(env.app, Task)
    assert task.status == "done"
    assert "Nothing due today" in " ".join(_home_lines(env.api.home(ME)))
    assert env.api.texts("DBOSS")[-1].startswith("✓ Done: 王伟")  # answered in the DM
    assert len(env.api.of("views.publish")) == 3
    assert len([r for r in await _rows(env.app, Inbox) if r.key.startswith("slack:") and ":home:" in r.key]) == 1
