"""Telegram as its users expect it: answers to a button take the pressed message's place, edited
notes are re-read, invite deep links, command menus per chat kind and language, ForceReply in groups.
The real PTB Application polls a fake Bot API over HTTP."""
from __future__ import annotations

from handlers import imports
from handlers.commands import COMMANDS
from storage.models import Customer, Member, Task
from tests.conftest import SHANGHAI
from tests.fakes.telegram_api import BOT_USERNAME, user
from tests.fakes.telegram_world import fake_telegram, world, world_any_db  # noqa: F401
from tests.helpers import seed_team

LI = user(1001, "Li", language_code="en")
MEI = user(1002, "Mei", language_code="zh-hans")
MEI_AS_ADMIN = user(1001, "Mei", language_code="zh-hans")
GROUP = {"id": -100500, "type": "supergroup", "title": "Sales East"}
CUSTOMERS = (
    {"name": "Wang Lei", "company": "Acme", "owner": "1001"},
    {"name": "Wang Fang", "company": "Beta", "owner": "1001"},
    {"name": "李娜", "company": "华为", "owner": "1001"},
)


async def seeded(world, members=(("1001", "admin"),)):
    team = await seed_team(world.app, members=members, customers=CUSTOMERS, platform="telegram")
    await world.start()
    return team


def labels(message: dict) -> list[str]:
    return [b["text"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def test_undo_edits_the_confirmation_in_place_and_answers_the_press(world):
    await seeded(world)
    [filed] = await world.say(LI, "called Wang Lei, wants a quote")
    sent = len(world.fake.sent(1001))
    [undone] = await world.press(LI, filed, "Undo")
    assert undone["message_id"] == filed["message_id"] and undone["text"].startswith("↩")
    assert labels(undone) == []  # the buttons went with the question
    assert len(world.fake.sent(1001)) == sent  # no new message
    assert len(world.fake.called("answerCallbackQuery")) == 1
    assert await world.notes() == []


async def test_a_message_that_cannot_be_edited_gets_the_answer_as_a_new_message(world):
    await seeded(world)
    [filed] = await world.say(LI, "called Wang Lei, wants a quote")
    world.fake.fail("editMessageText", 400, description="Bad Request: message can't be edited")
    [undone] = await world.press(LI, filed, "Undo")
    assert undone["message_id"] != filed["message_id"] and undone["text"].startswith("↩")
    assert "reply_markup" not in world.fake.messages[(1001, filed["message_id"])]  # its buttons went all the same


async def test_an_edited_note_updates_its_records_once_and_says_what_changed(world_any_db):
    world = world_any_db
    await seeded(world)
    said = world.fake.say(LI, "called Wang Lei, wants quote Friday")
    [filed] = await world.exchange(said)
    assert "Fri 5 Mar" in filed["text"]
    world.clock.advance(days=2)  # edited on Wednesday: "Monday" still reads from Monday 1 March, when it was sent
    [changed] = await world.edit(said, "called Wang Fang, wants quote Monday, complained about delays")
    assert changed["text"].startswith("✎ Updated")
    assert "Wang Lei → Wang Fang" in changed["text"] and "→ Mon 8 Mar" in changed["text"] and "complaint" in changed["text"]
    [note] = await world.notes()
    wang_fang = (await world.rows(Customer, Customer.name == "Wang Fang"))[0]
    assert note.customer_id == wang_fang.id and note.risk == ["complaint"] and "Monday" in note.text
    [task] = await world.rows(Task)
    assert task.customer_id == wang_fang.id and task.due_at.astimezone(SHANGHAI).date().isoformat() == "2027-03-08"
    [wang_lei] = await world.rows(Customer, Customer.name == "Wang Lei")
    assert wang_lei.last_contact_at is None  # the first reading no longer counts

    # the same edit delivered again, and an edit of a command: nothing more
    assert await world.edit(said, "called Wang Fang, wants quote Monday, complained about delays") != []  # a second edit is read again…
    assert len(await world.notes()) == 1 and len(await world.rows(Task)) == 1  # …and still one note, one follow-up
    command = world.fake.say(LI, "/tasks")
    await world.exchange(command)
    assert await world.edit(command, "/find Wang") == []


async def test_an_edit_in_chinese_is_answered_in_chinese(world):
    await seeded(world)
    said = world.fake.say(MEI_AS_ADMIN, "拜访了李娜，下周三前发报价")
    [filed] = await world.exchange(said)
    [changed] = await world.edit(said, "拜访了李娜，下周五前发报价")
    assert changed["text"].startswith("✎ 已更新") and "跟进" in changed["text"]
    assert len(await world.notes()) == 1 and len(await world.rows(Task)) == 1


async def test_an_invite_deep_link_joins_the_team_when_opened(world):
    await seeded(world)
    [invite] = await world.say(LI, "/invite")
    link = invite["text"].splitlines()[-1]
    assert link.startswith(f"https://t.me/{BOT_USERNAME}?start=")
    code = link.split("start=")[1]
    assert f"/join {code}" in invite["text"]  # the code still works typed
    # opening the link: Telegram sends "/start CODE" from the newcomer
    [welcome] = await world.say(MEI, f"/start {code}")
    assert welcome["text"].startswith("欢迎")
    members = await world.rows(Member)
    [mei] = [m for m in members if m.display_name == "Mei"]
    assert mei.role == "rep" and len({m.team_id for m in members}) == 1
    await world.say(user(1003, "Zhao"), f"/start {code}")  # single use
    assert len(await world.rows(Member)) == 2


async def test_command_menus_per_chat_kind_and_language(world):
    await seeded(world)
    menus = world.fake.scoped_commands
    private_en = [c["command"] for c in menus[("all_private_chats", None)]]
    group_en = [c["command"] for c in menus[("all_group_chats", None)]]
    assert "invite" in private_en and "pair" in private_en and "link" not in private_en
    assert "link" in group_en and "note" in group_en and "invite" not in group_en and "pair" not in group_en
    group_zh = {c["command"]: c["description"] for c in menus[("all_group_chats", "zh")]}
    assert list(group_zh) == group_en and group_zh["tasks"] == next(c.help_zh for c in COMMANDS if c.name == "tasks")


async def test_a_slow_chat_holds_up_no_other_chat_and_keeps_its_own_order(world):
    await seeded(world, members=(("1001", "admin"), ("1002", "rep")))
    download = world.fake.hold("getFile")  # Li's spreadsheet is slow to fetch
    world.fake.send_document(LI, "people.csv", b"name,company\nZhao Min,Gamma\n")
    li_note = world.fake.say(LI, "called Wang Lei, wants a quote")  # after the sheet, in the same chat
    mei_note = world.fake.say(MEI, "拜访了李娜，下周三前发报价")
    await world.fake.wait_for(lambda: world.fake.confirmed(mei_note))
    await world.adapter.idle(chat_id=1002)  # Mei's note is handled while Li's chat still waits
    await world.deliver()
    [mei_reply] = world.fake.sent(1002)
    assert "发报价" in mei_reply["text"]
    assert world.fake.sent(1001) == [] and [n.text for n in await world.notes()] == ["拜访了李娜，下周三前发报价"]

    download.set()
    await world.handled(li_note)
    await imports.settle()
    await world.deliver()
    texts = world.fake.texts(1001)
    assert texts[0].startswith("⏳ Importing people.csv")  # Li's chat in the order Li wrote
    assert any("Wang Lei" in t for t in texts[1:])


async def test_a_question_for_text_in_a_group_uses_force_reply_so_the_answer_needs_no_mention(world):
    await seeded(world, members=(("1001", "admin"), ("1002", "rep")))
    world.fake.privacy_mode = True  # as BotFather sets it: the bot sees commands, mentions and replies to it
    await world.say(LI, f"/link@{BOT_USERNAME}", chat=GROUP)
    [filed] = await world.say(LI, f"@{BOT_USERNAME} called Wang Lei, wants a quote Friday", chat=GROUP)
    assert "Fri 5 Mar" in filed["text"]
    stray = world.fake.type(LI, "next Monday", chat=GROUP)  # no question open: plain chatter, never delivered
    assert stray in world.fake.withheld

    [asked] = await world.press(LI, filed, "Change date")
    assert asked["message_id"] != filed["message_id"] and "reply_markup" not in world.fake.messages[(GROUP["id"], filed["message_id"])]
    assert world.fake.reply_markups[(GROUP["id"], asked["message_id"])] == {"force_reply": True, "selective": True}
    assert asked["text"].startswith("Li, When should the follow-up be?")
    [mention] = asked["entities"]
    assert mention["type"] == "text_mention" and mention["user"]["id"] == LI["id"]  # selective: only Li is asked

    assert world.fake.type(MEI, "Tuesday", chat=GROUP) in world.fake.withheld  # Mei's app does not make hers a reply
    answer = world.fake.type(LI, "next Monday", chat=GROUP)  # Li's app answers the question: a reply to the bot
    assert answer["message"]["reply_to_message"]["message_id"] == asked["message_id"]
    [moved] = await world.exchange(answer)
    assert "Mon 8 Mar" in moved["text"]
    [task] = await world.rows(Task)
    assert task.due_at.astimezone(SHANGHAI).date().isoformat() == "2027-03-08"
    assert len(await world.notes()) == 1  # the answer moved the follow-up, it is no note
