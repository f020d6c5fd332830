"""Telegram end to end, as a salesperson uses it on a phone: the real PTB Application polls a fake
Bot API over HTTP; replies come back through the outbox and the Deliverer."""
from __future__ import annotations

from handlers import imports
from handlers.commands import COMMANDS
from handlers.texts import t
from storage.models import ChatLink, Customer, Inbox, Interaction, Member, Task
from tests.conftest import SHANGHAI
from tests.fakes.telegram_api import BOT_USERNAME, user
from tests.fakes.telegram_world import fake_telegram, world, world_any_db  # noqa: F401
from tests.helpers import seed_team

LI = user(1001, "Li", language_code="en")
MEI = user(1002, "Mei", language_code="zh-hans")
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


async def test_a_note_is_filed_and_confirmed_with_the_customer(world):
    await seeded(world)
    # Monday 1 March 2027 in Shanghai (the injected clock; Telegram's message dates follow it)
    [reply] = await world.say(LI, "拜访了李娜，下周三前发报价")
    assert "李娜" in reply["text"] and "3月10日" in reply["text"]  # the customer and next week's Wednesday
    assert "撤销" in labels(reply)  # answered in the language of the note, with buttons
    [english] = await world.say(LI, "called Wang Lei, wants quote Friday")
    assert "Wang Lei" in english["text"] and "Fri 5 Mar" in english["text"]
    notes = await world.notes()
    assert len(notes) == 2 and all(n.customer_id is not None for n in notes)
    tasks = await world.rows(Task)
    assert sorted(task.due_at.astimezone(SHANGHAI).date().isoformat() for task in tasks) == ["2027-03-05", "2027-03-10"]


async def test_commands_are_in_the_menu_in_english_and_chinese(world):
    await seeded(world)
    menu = [c.name for c in COMMANDS if c.in_menu]
    assert [c["command"] for c in world.fake.commands[None]] == menu
    assert [c["command"] for c in world.fake.commands["zh"]] == menu
    assert world.fake.commands["zh"][0]["description"] == COMMANDS[0].help_zh


async def test_an_ambiguous_customer_is_answered_with_a_button(world_any_db):
    world = world_any_db
    await seeded(world)
    [question] = await world.say(LI, "met Wang, send samples next week")
    assert any("Wang Lei" in label for label in labels(question)) and any("Wang Fang" in label for label in labels(question))

    sent_before = len(world.fake.sent(1001))
    [filed] = await world.press(LI, question, "Wang Lei")
    answered = world.fake.called("answerCallbackQuery")
    assert len(answered) == 1
    wang_lei = (await world.rows(Customer, Customer.name == "Wang Lei"))[0]
    assert [n.customer_id for n in await world.notes()] == [wang_lei.id]
    # the question itself became the answer: edited in place, its buttons replaced, no new message
    assert filed["message_id"] == question["message_id"] and "Wang Lei" in filed["text"]
    assert "Wang Fang" not in str(filed.get("reply_markup")) and "Undo" in labels(filed)
    assert len(world.fake.sent(1001)) == sent_before


async def test_a_forged_button_changes_nothing(world):
    await seeded(world)
    fake_message = {"message_id": 1, "date": 0, "chat": {"id": 1001, "type": "private"}, "text": "x"}
    [reply] = await world.press(LI, fake_message, data="p:doesnotexist:c1")
    assert reply["text"] == t("prompt_closed", "en")
    assert await world.notes() == []
    assert world.fake.called("editMessageText") == []


async def test_undo_button_on_a_filed_note_and_a_stale_press(world):
    await seeded(world)
    [filed] = await world.say(LI, "called Wang Lei, wants a quote")
    assert len(await world.notes()) == 1
    undo = next(b["callback_data"] for row in filed["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "Undo")
    [undone] = await world.press(LI, filed, "Undo")
    assert undone["text"].startswith("↩")
    assert await world.notes() == []
    assert "reply_markup" not in filed  # the buttons went once the question was answered
    # the same press arriving again (a second device, an old screen) changes nothing
    [again] = await world.press(LI, filed, data=undo)
    assert again["text"] == t("prompt_closed", "en")


async def test_a_csv_document_is_imported_and_summarised(world):
    await seeded(world)
    sheet = "客户名称,公司,手机\n王建国,建国五金,13900001111\n刘敏,敏捷物流,13900002222\n".encode()
    await world.exchange(world.fake.send_document(LI, "客户.csv", sheet))
    await imports.settle()  # the import runs after the message's own short transaction
    await world.deliver()
    started, reply = world.fake.sent(1001)
    assert started["text"].startswith("⏳ Importing 客户.csv") and reply["text"].startswith("Import: 2 new")
    assert {c.name for c in await world.rows(Customer)} >= {"王建国", "刘敏"}
    assert len(world.fake.called("download")) == 1


async def test_voice_photo_sticker_and_pdf_get_a_kind_answer(world):
    await seeded(world)
    for kind in ("voice", "photo", "sticker"):
        [reply] = await world.exchange(world.fake.send_media(LI, kind))
        assert "I can read text notes and CSV/XLSX files" in reply["text"]
    [reply] = await world.exchange(world.fake.send_document(LI, "brochure.pdf", b"%PDF-1.4", mime_type="application/pdf"))
    assert "CSV/XLSX" in reply["text"]
    assert world.fake.called("download") == []  # nothing fetched that we cannot read
    assert await world.notes() == []


async def test_a_stranger_starts_a_team_in_their_language(world):
    await world.start()
    [welcome] = await world.say(MEI, "/start")
    assert welcome["text"].startswith("欢迎！你是团队")
    assert [(m.role, m.language) for m in await world.rows(Member)] == [("admin", "zh")]
    [help_text] = await world.say(MEI, "/help")
    assert help_text["text"].startswith("直接发记录")


async def test_a_group_linked_to_the_team(world):
    await seeded(world, members=(("1001", "admin"), ("1002", "rep")))
    # before linking, commands say how to link
    [reply] = await world.say(LI, "/tasks", chat=GROUP)
    assert reply["text"] == t("group_not_linked", "en")
    [linked] = await world.say(LI, f"/link@{BOT_USERNAME}", chat=GROUP)
    assert linked["text"].startswith("✓ This group is linked")
    assert len(await world.rows(ChatLink)) == 1

    # chatter is neither stored nor answered; other bots' commands neither
    inbox_before = len(await world.inbox())
    assert await world.say(MEI, "lunch at 12? 中午一起吃饭", chat=GROUP) == []
    assert await world.say(LI, "/help@some_other_bot", chat=GROUP) == []
    assert len(await world.inbox()) == inbox_before

    # a note addressed to the bot is taken, and the answer quotes it
    note = world.fake.say(LI, f"@{BOT_USERNAME} visited Wang Lei, wants samples", chat=GROUP)
    [filed] = await world.exchange(note)
    assert "Wang Lei" in filed["text"]
    send = world.fake.called("sendMessage")[-1]
    assert send.params["reply_parameters"]["message_id"] == note["message"]["message_id"]
    notes = await world.rows(Interaction)
    assert len(notes) == 1 and "@" not in notes[0].text

    # a reply to the bot counts as addressed
    [second] = await world.say(LI, "also sent the catalogue to Wang Fang", chat=GROUP, reply_to=filed)
    assert "Wang Fang" in second["text"]
    assert len(await world.rows(Interaction)) == 2

    # commands work in the group
    [found] = await world.say(LI, "/find Wang", chat=GROUP)
    assert "Wang Lei" in found["text"] and "Wang Fang" in found["text"]


async def test_redelivered_updates_are_no_ops(world_any_db):
    world = world_any_db
    await seeded(world)
    first = world.fake.say(LI, "called Wang Lei, wants a quote")
    assert len(await world.exchange(first)) == 1
    # Telegram sends the same message again under a new update id (its retries do that)
    assert await world.exchange(world.fake.push({"message": first["message"]})) == []
    assert len(await world.notes()) == 1
    assert [r.status for r in await world.rows(Inbox)] == ["handled"]


async def test_a_reminder_snoozed_then_done_with_its_buttons(world):
    from reminders.followups import scan
    from tests.reminders_fixtures import add_task, at

    team = await seeded(world)
    me, wang = team["members"]["1001"], team["customers"]["Wang Lei"]
    task = await add_task(world.app, team["team"], me, wang, due=at(2027, 3, 1, 10, 30), text="send the quote")
    world.clock.set(at(2027, 3, 1, 10, 30))
    await scan(world.app, world.clock())
    await world.deliver()
    [reminder] = world.fake.sent(1001)
    assert "Wang Lei" in reminder["text"] and "send the quote" in reminder["text"]
    assert {"✓ Done", "⏰ 1 hour", "Tomorrow", "Next week"} <= set(labels(reminder))

    [snoozed] = await world.press(LI, reminder, "1 hour")
    assert "11:30" in snoozed["text"]
    assert "reply_markup" not in reminder  # answered: the buttons went
    world.clock.set(at(2027, 3, 1, 11, 31))
    await scan(world.app, world.clock())
    await world.deliver()
    again = world.fake.sent(1001)[-1]
    assert again is not reminder and "send the quote" in again["text"]

    [done] = await world.press(LI, again, "Done")
    assert done["text"] == "✓ Done: Wang Lei — send the quote"
    [task] = await world.rows(Task, Task.id == task.id)
    assert task.status == "done"


async def test_a_linked_group_upgraded_to_a_supergroup_stays_linked(world):
    await seeded(world)
    old = {"id": -4200, "type": "group", "title": "Sales"}
    new = {"id": -1004200, "type": "supergroup", "title": "Sales"}
    [linked] = await world.say(LI, "/link", chat=old)
    assert linked["text"].startswith("✓")
    moved = world.fake.push(world.fake.message_update(old, LI, migrate_to_chat_id=new["id"]))
    assert await world.exchange(moved) == []  # a service message: nothing to answer
    [found] = await world.say(LI, "/find Wang", chat=new)
    assert "Wang Lei" in found["text"]
    assert [link.chat_id for link in await world.rows(ChatLink)] == [str(new["id"])]


async def test_a_document_whose_download_failed_once_is_imported_on_the_retry(world):
    await seeded(world)
    world.fake.fail("getFile", 500)
    await world.exchange(world.fake.send_document(LI, "people.csv", b"name,company\nZhao Min,Gamma\n"))
    await imports.settle()
    await world.deliver()
    assert world.fake.sent(1001)[-1]["text"].startswith("Import: 1 new")
    assert len(world.fake.called("getFile")) == 2
    assert [c.name for c in await world.rows(Customer, Customer.name == "Zhao Min")] == ["Zhao Min"]
