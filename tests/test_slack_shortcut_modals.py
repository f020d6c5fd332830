"""Slack's "Log as CRM note" message shortcut and the edit modals, through the real Bolt app behind its
HTTP endpoint and the fake Slack Web API (views.open recorded, submissions signed like Slack's)."""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from bot.slack.forms import SHORTCUT_CALLBACK
from chat.messages import Incoming
from handlers import router
from storage.models import AuditLog, Customer, Inbox, Interaction, Task

from .fakes.slack_api import SlackEnv, slack_env, slack_env_any_db, slack_socket_env  # noqa: F401  (fixtures)
from .helpers import rows as _rows
from .helpers import seed_team

ME, REP, OTHER = "UBOSS", "UREP", "UOTHER"
SHANGHAI = ZoneInfo("Asia/Shanghai")
CUSTOMERS = [{"name": "王伟", "company": "华东机电", "phone": "13800001111"}, {"name": "张强", "company": "星河贸易"}]


async def _seed(env: SlackEnv) -> dict:
    seeded = await seed_team(env.app, ((ME, "admin"), (REP, "rep", ME)), CUSTOMERS, platform="slack")
    env.api.add_user(ME, "Boss")
    env.api.add_user(REP, "Rep Li")
    return seeded


@pytest.fixture
async def env(slack_env: SlackEnv):
    slack_env.seeded = await _seed(slack_env)  # type: ignore[attr-defined]
    return slack_env


@pytest.fixture
async def env_any_db(slack_env_any_db: SlackEnv):
    slack_env_any_db.seeded = await _seed(slack_env_any_db)  # type: ignore[attr-defined]
    return slack_env_any_db


async def _other_team(env: SlackEnv) -> dict:
    """Another team on the same install, whose admin is OTHER."""
    other = await seed_team(env.app, ((OTHER, "admin"),), [{"name": "李娜", "company": "金鼎建材"}], platform="slack")
    env.api.add_user(OTHER, "Stranger")
    return other


def _sc_answers(env: SlackEnv) -> list[dict]:
    return [body for name, body in env.api.responses if name.startswith("sc")]


# --- the message shortcut ----------------------------------------------------------------------------
async def test_the_shortcut_files_a_colleagues_channel_message_once_as_the_invokers_note(env_any_db: SlackEnv):
    env = env_any_db
    me = env.seeded["members"][ME]
    posted = env.slack.clock() - dt.timedelta(days=2)  # Saturday 27 February: "next Wednesday" is 3 March
    message = {"text": "拜访了王伟，他下周三前要报价单", "user": "UCOLLEAGUE", "ts": f"{posted.timestamp():.6f}"}
    payload = env.slack.shortcut_payload(ME, "C1", message)
    assert payload["callback_id"] == SHORTCUT_CALLBACK
    first = await env.slack.shortcut(payload)
    again = await env.slack.shortcut(payload)  # Slack (or a Socket Mode reconnect) delivers it again
    await env.settle()
    assert first[0] == again[0] == 200
    [note] = await _rows(env.app, Interaction)
    assert note.author_id == me.id and note.text == message["text"]
    assert note.customer_id == env.seeded["customers"]["王伟"].id
    [task] = await _rows(env.app, Task)  # its follow-up, once, read as of when the message was posted
    assert task.assignee_id == me.id and task.due_at.astimezone(SHANGHAI).date() == dt.date(2027, 3, 3)
    [answer] = _sc_answers(env)
    assert answer["response_type"] == "ephemeral"  # only the invoker sees it, in that channel
    assert "王伟" in answer["text"] and "Follow-up" in answer["text"]  # in the invoker's language, not the message's
    assert env.api.posts("C1") == []  # nothing said to the channel
    assert len([r for r in await _rows(env.app, Inbox) if ":log:" in r.key]) == 1

    await env.slack.shortcut(env.slack.shortcut_payload(ME, "C1", message))  # invoked again on the same message
    await env.settle()
    assert len(await _rows(env.app, Interaction)) == 1
    assert _sc_answers(env)[-1] == {"response_type": "ephemeral", "text": "Already logged as your note."}


async def test_a_logged_message_is_a_note_even_when_it_reads_as_a_command_or_has_no_text(env: SlackEnv):
    await env.slack.shortcut(env.slack.shortcut_payload(ME, "C1", {"text": "/forget 王伟", "user": "UCOLLEAGUE", "ts": "1803000000.000200"}))
    await env.slack.shortcut(env.slack.shortcut_payload(ME, "C1", {"text": "", "user": "UCOLLEAGUE", "ts": "1803000000.000300"}))
    await env.settle()
    assert len(await _rows(env.app, Customer)) == 2  # nothing forgotten
    [note] = await _rows(env.app, Interaction)
    assert note.text == "/forget 王伟"
    assert _sc_answers(env)[-1]["text"] == "That message has no text to log as a note."


async def test_the_shortcut_answers_in_the_invokers_language_and_leaves_it_as_it_was(env: SlackEnv):
    from storage.models import Member

    async with env.app.db.write() as session:
        rep = await session.get(Member, env.seeded["members"][REP].id)
        rep.language = "zh"
        session.add(rep)
    await env.slack.shortcut(env.slack.shortcut_payload(REP, "C1", {"text": "called Wang Wei, he wants a quote by Friday", "user": "UCOLLEAGUE", "ts": env.slack.now_ts()}))
    await env.settle()
    [note] = await _rows(env.app, Interaction)
    assert note.author_id == rep.id
    [answer] = _sc_answers(env)
    assert "王伟" in answer["text"] and "跟进" in answer["text"]  # Chinese, for a Chinese-speaking invoker
    async with env.app.db.read() as session:
        assert (await session.get(Member, rep.id)).language == "zh"  # someone else's English did not switch them


async def test_odd_payloads_get_a_friendly_line_never_a_traceback(env: SlackEnv):
    odd = env.slack.shortcut_payload(ME, "C1", {"text": ["not", "text"], "ts": env.slack.now_ts()})
    odd["channel"] = "C1"  # not the object Slack sends
    assert (await env.slack.shortcut(odd))[0] == 200
    await env.settle()
    assert _sc_answers(env)[-1]["text"] == "That message has no text to log as a note."
    task = await _task_today(env)
    await env.slack.press_edit(ME, task_id=task.id)
    await env.settle()
    [modal] = env.api.opened()
    status, answer = await env.slack.submit(ME, modal | {"private_metadata": "{not json"})
    assert status == 200 and answer == {"response_action": "errors", "errors": {"date": "That form could not be read; please open it again."}}
    status, answer = await env.slack.submit(ME, modal | {"private_metadata": json.dumps({"task": "1; drop table"})})
    assert answer["errors"]["date"].startswith("This follow-up is not")
    assert [r for r in await _rows(env.app, Inbox) if ":form:" in r.key] == []


# --- the follow-up form ------------------------------------------------------------------------------
async def _task_today(env: SlackEnv) -> Task:
    await env.slack.dm(ME, "called 王伟, send him the quote today")
    await env.slack.open_home(ME)
    await env.settle()
    [task] = await _rows(env.app, Task)
    return task


async def test_the_follow_up_form_moves_its_date_and_the_home_tab_shows_it(env_any_db: SlackEnv):
    env = env_any_db
    task = await _task_today(env)
    published = len(env.api.of("views.publish"))
    assert (await env.slack.press_edit(ME, task_id=task.id))[0] == 200
    await env.settle()
    [modal] = env.api.opened()
    assert modal["callback_id"] == "crm_form:task" and modal["title"]["text"] == "Edit follow-up"
    date = next(b for b in modal["blocks"] if b.get("block_id") == "date")
    assert date["element"]["type"] == "datepicker" and date["element"]["initial_date"] == "2027-03-01"

    status, answer = await env.slack.submit(ME, modal, {"date": "2027-03-05", "time": "15:30"})
    await env.settle()
    assert status == 200 and answer is None  # the modal closes
    [task] = await _rows(env.app, Task)
    assert task.due_at.astimezone(SHANGHAI) == dt.datetime(2027, 3, 5, 15, 30, tzinfo=SHANGHAI) and task.due_has_time
    assert env.api.texts("DBOSS")[-1] == f"✓ #{task.id} moved to Fri 5 Mar 15:30."  # answered in the DM, like /snooze
    assert len(env.api.of("views.publish")) == published + 1  # the Home tab again, without the follow-up
    assert "Nothing due today" in json.dumps(env.api.home(ME), ensure_ascii=False)

    again = await env.slack.submit(ME, modal, {"date": "2027-03-08"})  # the same view submitted twice: once
    await env.settle()
    assert again[0] == 200
    [task] = await _rows(env.app, Task)
    assert task.due_at.astimezone(SHANGHAI).date() == dt.date(2027, 3, 5)


async def test_a_past_date_is_shown_in_the_form_and_changes_nothing(env: SlackEnv):
    task = await _task_today(env)
    before = task.due_at
    await env.slack.press_edit(ME, task_id=task.id)
    await env.settle()
    [modal] = env.api.opened()
    status, answer = await env.slack.submit(ME, modal, {"date": "2027-02-26"})
    assert status == 200 and answer == {"response_action": "errors", "errors": {"date": "Pick today or a later date."}}
    status, answer = await env.slack.submit(ME, modal, {"date": "2027-03-01", "time": "09:00"})  # earlier today (it is 10:00)
    assert answer == {"response_action": "errors", "errors": {"time": "That time has passed today; pick a later one."}}
    await env.settle()
    [task] = await _rows(env.app, Task)
    assert task.due_at == before
    assert [r for r in await _rows(env.app, Inbox) if ":form:" in r.key] == []  # nothing stored, nothing answered
    assert not any("moved" in t for t in env.api.texts())


async def test_a_reminders_reschedule_opens_the_follow_up_form(env: SlackEnv):
    from storage import messaging

    task = await _task_today(env)
    async with env.app.db.write() as session:
        prompt = await messaging.prompt_add(session, env.seeded["members"][ME].id, "slack", ME, "reminder", {"task_id": task.id})
    post = {"channel": "DBOSS", "ts": "1800000000.000900", "blocks": [{"type": "actions", "elements": [
        {"type": "button", "action_id": "crm:4", "value": f"p:{prompt.id}:date", "text": {"type": "plain_text", "text": "📅 Reschedule"}}]}]}
    await env.slack.press(ME, post, "Reschedule")
    await env.settle()
    [modal] = env.api.opened()
    assert json.loads(modal["private_metadata"])["task"] == task.id
    assert not any("date" in t.lower() for t in env.api.texts("DBOSS")[1:])  # no typed question asked


# --- the customer form -------------------------------------------------------------------------------
def _last_response(env: SlackEnv) -> dict:
    return env.api.responses[-1][1]


async def test_the_customer_form_changes_tier_stage_and_owner(env_any_db: SlackEnv):
    env = env_any_db
    rep = env.seeded["members"][REP]
    await env.slack.command(ME, "DBOSS", "customer 王伟")
    await env.settle()
    card = _last_response(env)
    await env.slack.press_edit(ME, post=card)
    await env.settle()
    [modal] = env.api.opened()
    assert [b["block_id"] for b in modal["blocks"] if b["type"] == "input"] == ["tier", "stage", "owner"]
    owners = next(b for b in modal["blocks"] if b.get("block_id") == "owner")["element"]["options"]
    assert {o["text"]["text"] for o in owners} == {ME, REP}

    status, answer = await env.slack.submit(ME, modal, {"tier": "important", "stage": "active", "owner": str(rep.id)})
    await env.settle()
    assert status == 200 and answer is None
    [wang] = [c for c in await _rows(env.app, Customer) if c.name == "王伟"]
    assert (wang.tier, wang.stage, wang.owner_id) == ("important", "active", rep.id)
    said = env.api.texts("DBOSS")[-1]
    assert "tier → important" in said and "stage → active" in said and "Rep Li" not in said and REP in said
    audits = [(a.action, a.detail) for a in await _rows(env.app, AuditLog) if a.customer_id == wang.id]
    assert ("stage", "potential>active") in audits
    assert any(a == "assign" for a, _ in audits)


async def test_an_unknown_owner_is_shown_in_the_form_and_a_channels_answer_is_ephemeral(env: SlackEnv):
    await env.slack.command(ME, "C1", "link")
    await env.slack.command(ME, "C1", "customer 张强")
    await env.settle()
    await env.slack.press_edit(ME, post=_last_response(env) | {"channel": "C1", "is_ephemeral": True})
    await env.settle()
    [modal] = env.api.opened()
    status, answer = await env.slack.submit(ME, modal, {"owner": "999999", "tier": "special"})
    assert answer == {"response_action": "errors", "errors": {"owner": "Pick someone in your team."}}
    [zhang] = [c for c in await _rows(env.app, Customer) if c.name == "张强"]
    assert zhang.tier == "general" and zhang.owner_id is None

    status, answer = await env.slack.submit(ME, modal, {"tier": "special"})
    await env.settle()
    assert answer is None
    [zhang] = [c for c in await _rows(env.app, Customer) if c.name == "张强"]
    assert zhang.tier == "special"
    [said] = env.api.ephemerals("C1", ME)  # seen by the submitter only
    assert "tier → special" in said["text"]
    assert env.api.posts("C1") == []


async def test_a_member_of_another_team_cannot_edit_through_a_forged_form(env_any_db: SlackEnv):
    env = env_any_db
    await _other_team(env)
    task = await _task_today(env)
    await env.slack.command(ME, "DBOSS", "customer 王伟")
    await env.settle()
    await env.slack.press_edit(ME, post=_last_response(env))
    await env.slack.press_edit(ME, task_id=task.id)
    await env.settle()
    modals = {m["callback_id"]: m for m in env.api.opened()}  # (opened in either order: each press is its own task)
    customer_modal, task_modal = modals["crm_form:customer"], modals["crm_form:task"]

    # the other team's admin submits views naming our customer and our follow-up
    _, answer = await env.slack.submit(OTHER, customer_modal, {"tier": "important", "stage": "churned"})
    assert answer == {"response_action": "errors", "errors": {"tier": "This customer can't be found."}}
    _, answer = await env.slack.submit(OTHER, task_modal, {"date": "2027-04-01"})
    assert answer["response_action"] == "errors" and answer["errors"]["date"].startswith("This follow-up is not")
    # a rep of our own team may not give a customer away
    _, answer = await env.slack.submit(REP, customer_modal, {"owner": str(env.seeded["members"][REP].id)})
    assert answer["response_action"] == "errors" and "owner" in answer["errors"]

    # past the modal (a form reaching the handlers however it may): refused again, in the transaction
    wang = env.seeded["customers"]["王伟"]
    forged = Incoming(platform="slack", chat_id=OTHER, chat_kind="private", sender_id=OTHER, sender_name="Stranger", text="",
                      message_id="form:VFORGED", sent_at=env.slack.clock(), form={"kind": "customer", "customer": wang.id, "tier": "important", "stage": "churned", "owner": None})
    [reply] = await router.handle(forged, env.app.services)
    assert reply.text == "This customer can't be found."
    [wang] = [c for c in await _rows(env.app, Customer) if c.name == "王伟"]
    [task] = await _rows(env.app, Task)
    assert (wang.tier, wang.stage) == ("general", "potential") and task.due_at.astimezone(SHANGHAI).date() == dt.date(2027, 3, 1)


def test_the_manifest_declares_the_shortcut_and_interactivity():
    from pathlib import Path

    manifest = (Path(__file__).parent.parent / "slack-manifest.yml").read_text(encoding="utf-8")
    shortcut = manifest[manifest.index("  shortcuts:"):manifest.index("oauth_config:")]
    assert f"callback_id: {SHORTCUT_CALLBACK}" in shortcut and "type: message" in shortcut
    name = shortcut.split("- name:")[1].split("#")[0].strip()
    description = shortcut.split("description:")[1].strip()
    assert len(name) <= 24 and len(description) <= 150  # Slack's limits
    assert "- commands" in manifest and "is_enabled: true" in manifest


# --- Socket Mode, and a crash between the ack and the handling ---------------------------------------
async def test_in_socket_mode_the_shortcut_files_once_and_form_errors_come_back_in_the_ack(slack_socket_env: SlackEnv):
    import asyncio

    env = slack_socket_env
    env.seeded = await _seed(env)  # type: ignore[attr-defined]
    payload = env.slack.shortcut_payload(ME, "C1", {"text": "visited 王伟, send the quote today", "user": "UCOLLEAGUE", "ts": env.slack.now_ts()})
    for envelope in ("env-s1", "env-s2"):  # the same invocation over a reconnect
        await env.api.socket_send("interactive", payload, envelope_id=envelope)
        await asyncio.wait_for(env.api.acked(envelope), timeout=3)
    await env.settle()
    assert len(await _rows(env.app, Interaction)) == 1
    [task] = await _rows(env.app, Task)

    await env.api.socket_send("interactive", {"type": "block_actions", "user": {"id": ME}, "team": {"id": "T1"}, "trigger_id": "trig.sm", "container": {"type": "view"},
                                              "actions": [{"type": "button", "action_id": f"crm_edit:task:{task.id}", "value": f"task:{task.id}", "action_ts": env.slack.now_ts()}]}, envelope_id="env-e")
    await asyncio.wait_for(env.api.acked("env-e"), timeout=3)
    await env.settle()
    [modal] = env.api.opened()
    await env.api.socket_send("interactive", env.slack.submission(ME, modal, {"date": "2027-01-01"}), envelope_id="env-v")
    ack = await asyncio.wait_for(env.api.acked("env-v"), timeout=3)
    assert ack["payload"] == {"response_action": "errors", "errors": {"date": "Pick today or a later date."}}


async def test_a_shortcut_acked_before_a_crash_is_filed_after_the_restart(env: SlackEnv):
    from .fakes.slack_api import crash_after_ack, restart_slack_env

    crash_after_ack(env)
    await env.slack.shortcut(env.slack.shortcut_payload(ME, "C1", {"text": "called 王伟, he wants a quote", "user": "UCOLLEAGUE", "ts": env.slack.now_ts()}))
    assert await _rows(env.app, Interaction) == []  # stored and acked, not handled
    restarted = await restart_slack_env(env)
    await restarted.settle()
    [note] = await _rows(restarted.app, Interaction)
    assert note.author_id == env.seeded["members"][ME].id
    assert [r.status for r in await _rows(restarted.app, Inbox) if ":log:" in r.key] == ["handled"]
