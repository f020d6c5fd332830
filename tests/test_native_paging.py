"""Long lists, phone-sized, on the messengers themselves (issue 16): "More" under /find shows the next ten
in place of the pressed message, each customer once. Telegram: the real PTB Application against the fake
Bot API (editMessageText on the same message, the callback query answered, no new message). Slack: the real
Bolt app against the fake Web API (the press's response_url with replace_original, nothing posted)."""
from __future__ import annotations

import re

from tests.fakes.telegram_api import user
from tests.fakes.telegram_world import fake_telegram, world_any_db  # noqa: F401  (fixtures)
from tests.helpers import seed_team

from .fakes.slack_api import SlackEnv, seed_slack_admin, slack_env_any_db  # noqa: F401  (fixtures)

LI = user(1001, "Li", language_code="en")
ZHOUS = [{"name": f"Zhou {n:02d}", "company": "Gamma", "owner": "1001"} for n in range(1, 24)]


def items(text: str) -> list[str]:
    """The customers a page lists (its item lines name them first)."""
    return re.findall(r"Zhou \d\d", text)


def tg_labels(message: dict) -> list[str]:
    return [b["text"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def test_telegram_more_edits_the_list_in_place_page_by_page(world_any_db):
    world = world_any_db
    await seed_team(world.app, members=(("1001", "admin"),), customers=ZHOUS, platform="telegram")
    await world.start()
    [page] = await world.say(LI, "/find zhou")
    assert page["text"].startswith("23 found") and "1–10 of 23" in page["text"] and tg_labels(page) == ["More ▸ (13)"]
    seen = items(page["text"])
    sent = len(world.fake.sent(1001))
    for expected_range, expected_labels in (("11–20 of 23", ["More ▸ (3)"]), ("21–23 of 23", [])):
        [page] = await world.press(LI, page, "More")
        assert page["message_id"] == world.fake.sent(1001)[-1]["message_id"]  # the same message, edited
        assert expected_range in page["text"] and tg_labels(page) == expected_labels
        seen += items(page["text"])
    assert seen == [f"Zhou {n:02d}" for n in range(1, 24)]  # each once, none skipped, in order
    assert len(world.fake.sent(1001)) == sent  # no new message
    assert len(world.fake.called("answerCallbackQuery")) == 2 and len(world.fake.called("editMessageText")) == 2


ME = "UBOSS"


def slack_labels(body: dict) -> list[str]:
    return [e["text"]["text"] for b in body.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]


async def test_slack_more_replaces_the_list_through_the_response_url(slack_env_any_db: SlackEnv):
    env = slack_env_any_db
    await seed_slack_admin(env, ME, [{"name": z["name"], "company": z["company"]} for z in ZHOUS])
    await env.slack.dm(ME, "/find zhou")
    await env.settle()
    post = env.api.posts("DBOSS")[-1]
    assert "1–10 of 23" in post["text"] and slack_labels(post) == ["More ▸ (13)"]
    seen = items(post["text"])
    pressed = post
    for expected_range, expected_labels in (("11–20 of 23", ["More ▸ (3)"]), ("21–23 of 23", [])):
        await env.slack.press(ME, pressed, "More")
        await env.settle()
        _, answer = env.api.responses[-1]
        assert answer["replace_original"] is True and expected_range in answer["text"] and slack_labels(answer) == expected_labels
        seen += items(answer["text"])
        pressed = post | {"blocks": answer.get("blocks") or []}  # the message as it now reads, the same ts
    assert seen == [f"Zhou {n:02d}" for n in range(1, 24)]
    assert len(env.api.posts("DBOSS")) == 1  # nothing new posted
