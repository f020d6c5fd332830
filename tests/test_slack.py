"""Slack end to end: the real Bolt app behind its HTTP endpoint, signed requests in, a fake Slack Web
API on 127.0.0.1 out, a real database in between. Conversation behaviour."""
from __future__ import annotations


from storage.models import Customer, Interaction, Member

from .fakes.slack_api import SlackEnv, slack_env, slack_env_any_db  # noqa: F401  (fixtures)
from .helpers import Person, seed_team, rows as _rows

# unowned: every member of the team sees them (reps see only their own and unowned customers)
CUSTOMERS = [
    {"name": "王伟", "company": "华东机电", "aliases": ["王总"], "phone": "13800001111", "tier": "important"},
    {"name": "张强", "company": "星河贸易"},
    {"name": "张丽", "company": "张记餐饮"},
]




async def join_from_slack(env: SlackEnv, user: str, name: str, **profile) -> None:
    """A Telegram admin makes an invite; the Slack user joins with it in the bot's DM."""
    env.api.add_user(user, name, **profile)
    admin = Person(env.app, "boss", platform="telegram")
    [reply] = await admin.say("/invite")
    code = reply.text.split("/join ")[1].split(" ")[0].rstrip(")）")
    await env.slack.dm(user, f"/join {code}")
    await env.settle()


async def test_dm_note_round_trip(slack_env_any_db: SlackEnv):
    env = slack_env_any_db
    await seed_team(env.app, (("boss", "admin"),), CUSTOMERS, platform="telegram")
    await join_from_slack(env, "U100", "Li Lei", tz="Asia/Shanghai")
    assert "Welcome to Test team, Li Lei" in env.api.texts("D100")[-1]

    status, _ = await env.slack.dm("U100", "called <@U555> about Wang, wants quote Friday &amp; samples")
    assert status == 200
    await env.settle()
    reply = env.api.texts("D100")[-1]
    assert "王伟" in reply and "Fri 5 Mar" in reply
    [note] = await _rows(env.app, Interaction)
    assert "&amp;" not in note.text and "& samples" in note.text


async def test_slack_member_gets_display_name_and_timezone(slack_env: SlackEnv):
    await seed_team(slack_env.app, (("boss", "admin"),), platform="telegram")
    await join_from_slack(slack_env, "U200", "Wang Fang", tz="America/New_York", locale="zh-CN")
    member = next(m for m in await _rows(slack_env.app, Member) if m.display_name == "Wang Fang")
    assert member.timezone == "America/New_York"
    info = slack_env.api.of("users.info")[-1]
    assert info["user"] == "U200" and info["include_locale"] in ("1", "true", True)


async def test_stranger_is_answered_in_the_language_of_their_slack_locale(slack_env: SlackEnv):
    await seed_team(slack_env.app, (("boss", "admin"),), platform="telegram")
    slack_env.api.add_user("U300", "Chen", locale="zh-CN")
    await slack_env.slack.dm("U300", "/start")
    await slack_env.settle()
    assert "邀请码" in slack_env.api.texts("D300")[-1]


async def test_first_slack_user_on_a_fresh_install_becomes_admin(slack_env: SlackEnv):
    slack_env.api.add_user("U1", "Zhou")
    await slack_env.slack.dm("U1", "/start")
    await slack_env.settle()
    assert "admin" in slack_env.api.texts("D1")[-1]
    [member] = await _rows(slack_env.app, Member)
    assert member.role == "admin" and member.display_name == "Zhou"


async def test_slash_command_in_a_channel_hides_contact_details(slack_env: SlackEnv):
    env = slack_env
    await seed_team(env.app, (("UBOSS", "admin"),), CUSTOMERS, platform="slack")  # member name = Slack user id
    env.api.add_user("UBOSS", "Boss")
    await env.slack.command("UBOSS", "C1", "find wang")
    await env.settle()
    assert "/link" in env.api.responses[-1][1]["text"]  # the channel must be linked first

    for text in ("link", "find wang", "customer 王伟"):
        await env.slack.command("UBOSS", "C1", text)
        await env.settle()
    linked, found, card = (body for _, body in env.api.responses[-3:])
    assert linked["response_type"] == "in_channel" and "linked" in linked["text"]
    assert "王伟" in found["text"] and "13800001111" not in found["text"]
    assert "王伟" in card["text"] and "13800001111" not in card["text"]
    assert env.api.posts() == []  # answered through the command's response_url

    await env.slack.command("UBOSS", "DBOSS", "customer 王伟")  # in the bot's DM: private, contacts shown
    await env.settle()
    _, private = env.api.responses[-1]
    assert private["response_type"] == "ephemeral" and "13800001111" in private["text"]


async def test_bare_crm_is_help_and_unknown_words_are_a_note(slack_env: SlackEnv):
    env = slack_env
    await seed_team(env.app, (("UBOSS", "admin"),), CUSTOMERS, platform="slack")
    env.api.add_user("UBOSS", "Boss")
    await env.slack.command("UBOSS", "DBOSS", "")
    await env.settle()
    await env.slack.command("UBOSS", "DBOSS", "called Wang, wants quote Friday")
    await env.settle()
    help_text, note = (body["text"] for _, body in env.api.responses[-2:])
    assert "/find" in help_text
    assert "王伟" in note


async def test_app_mention_in_a_channel_takes_a_note(slack_env: SlackEnv):
    env = slack_env
    await seed_team(env.app, (("UBOSS", "admin"),), CUSTOMERS, platform="slack")
    env.api.add_user("UBOSS", "Boss")
    await env.slack.mention("UBOSS", "C9", "visited Wang today, 王总 wants a quote Friday")
    await env.settle()
    [note] = await _rows(env.app, Interaction)
    assert note.customer_id is not None
    assert env.api.posts("C9") == []  # the confirmation is for its author alone
    [post] = env.api.ephemerals("C9", user="UBOSS")
    assert "王伟" in post["text"] and "13800001111" not in post["text"]


async def test_button_press_resolves_the_ambiguous_customer(slack_env: SlackEnv):
    env = slack_env
    await seed_team(env.app, (("UBOSS", "admin"),), CUSTOMERS, platform="slack")
    env.api.add_user("UBOSS", "Boss")
    await env.slack.dm("UBOSS", "张总说价格太高，下周三前再报一次价")
    await env.settle()
    question = env.api.posts("DBOSS")[-1]
    labels = [e["text"]["text"] for b in question["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert any("张丽" in label for label in labels) and any("张强" in label for label in labels)
    assert all(e["action_id"].startswith("crm:") for b in question["blocks"] if b["type"] == "actions" for e in b["elements"])

    status, _ = await env.slack.press("UBOSS", question, "张丽")
    assert status == 200
    await env.settle()
    _, answer = env.api.responses[-1]  # the question is replaced by the answer (the press's response_url)
    assert answer["replace_original"] is True and "张丽" in answer["text"]
    assert len(env.api.posts("DBOSS")) == 1  # no new message
    [note] = await _rows(env.app, Interaction)
    zhang_li = next(c for c in await _rows(env.app, Customer) if c.name == "张丽")
    assert note.customer_id == zhang_li.id

    await env.slack.press("UBOSS", question, "张丽")  # a double tap is the same press: nothing twice
    await env.settle()
    assert len(env.api.posts("DBOSS")) == 1 and len(env.api.responses) == 1


async def test_button_in_a_channel_is_only_for_the_person_asked(slack_env: SlackEnv):
    env = slack_env
    await seed_team(env.app, (("UBOSS", "admin"), ("UREP", "rep")), CUSTOMERS, platform="slack")
    env.api.add_user("UBOSS", "Boss")
    env.api.add_user("UREP", "Rep")
    await env.slack.mention("UBOSS", "C9", "张总说价格太高，下周三前再报一次价")
    await env.settle()
    question = env.api.ephemerals("C9", user="UBOSS")[-1]
    await env.slack.press("UREP", question, "张丽")  # (Slack shows it to its author only; a forged press)
    await env.settle()
    assert "isn't for you" in env.api.ephemerals("C9", user="UREP")[-1]["text"]
    [note] = await _rows(env.app, Interaction)
    assert note.customer_id is None


async def test_telegram_and_slack_members_of_one_team_see_the_same_customers(slack_env: SlackEnv):
    env = slack_env
    await seed_team(env.app, (("boss", "admin"),), CUSTOMERS, platform="telegram")
    await join_from_slack(env, "U100", "Li Lei")
    telegram = Person(env.app, "boss", platform="telegram")
    assert "王伟" in (await telegram.say("/find wang"))[0].text

    await env.slack.dm("U100", "/find wang")
    await env.slack.command("U100", "D100", "customer 王伟")
    await env.settle()
    assert "王伟" in env.api.texts("D100")[-1]
    assert "13800001111" in env.api.responses[-1][1]["text"]  # private answer: contacts shown

    await env.slack.dm("U100", "/new 刘洋, 洋洋科技")  # the Slack rep's customer: the admin on Telegram sees it
    await env.slack.dm("U100", "visited 刘洋, wants a demo Friday")
    await env.settle()
    card = await telegram.say("/customer 刘洋")
    assert "刘洋" in card[0].text and "Li Lei" in card[0].text and "demo" in card[0].text
