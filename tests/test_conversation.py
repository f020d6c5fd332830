"""The conversation end to end through the real router and database (no messenger)."""
from __future__ import annotations

import datetime as dt


from chat.messages import Incoming
from handlers import router
from storage.models import Customer, Inbox, Interaction, Outbox, Task

from .helpers import Person, seed_team, rows as _rows

CUSTOMERS = [
    {"name": "王伟", "company": "华东机电", "aliases": ["王总"], "owner": "me", "tier": "important", "phone": "13912345678"},
    {"name": "李娜", "company": "李氏食品", "owner": "me"},
    {"name": "张强", "company": "星河贸易", "owner": "me"},
    {"name": "张丽", "company": "张记餐饮", "owner": "me"},
    {"name": "Tom Baker", "company": "Baker Logistics", "owner": "me"},
    {"name": "林涛", "company": "涛声电子", "owner": "other"},
]
MEMBERS = (("me", "rep"), ("other", "rep"), ("boss", "admin"))




async def test_note_is_filed_with_its_follow_up_and_can_be_done(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    replies = await me.say("called Wang, wants quote Friday")
    assert "王伟" in replies[0].text
    assert "Fri 5 Mar" in replies[0].text  # the clock says Monday 2027-03-01
    [task] = await _rows(app, Task)
    assert task.due_at.astimezone(app.settings.zone).date() == dt.date(2027, 3, 5)
    assert not task.due_has_time
    listing = await me.say("/tasks all")
    assert f"#{task.id}" in listing[0].text and "王伟" in listing[0].text
    done = await me.say(f"/done {task.id}")
    assert "Done" in done[0].text
    assert "No open follow-ups" in (await me.say("/tasks"))[0].text


async def test_chinese_note_gets_a_chinese_answer_with_time(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    replies = await Person(app, "me").say("给李娜打电话，她说明天下午3点再聊")
    text = replies[0].text
    assert "李娜" in text and "电话" in text and "明天 15:00" in text


async def test_redelivered_message_files_nothing_twice(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    msg = me.message("called Wang, wants quote Friday")
    first = await router.handle(msg, app.services)
    again = await router.handle(msg, app.services)
    assert first and again == []
    assert len(await _rows(app, Interaction)) == 1
    assert len(await _rows(app, Task)) == 1
    assert len(await _rows(app, Inbox)) == 1
    assert [o.key for o in await _rows(app, Outbox)] == [f"reply:{msg.key}:0"]


async def test_ambiguous_surname_asks_and_files_on_the_answer(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    replies = await me.say("张总说价格太高，下周三前再报一次价")
    labels = [b.label for row in replies[0].buttons for b in row]
    assert any("张强" in label for label in labels) and any("张丽" in label for label in labels)
    [note] = await _rows(app, Interaction)
    assert note.customer_id is None and note.status == "pending"  # kept, not lost
    await me.press("张丽")
    assert "张丽" in me.text
    [note] = await _rows(app, Interaction)
    [task] = await _rows(app, Task)
    zhang_li = next(c for c in await _rows(app, Customer) if c.name == "张丽")
    assert note.customer_id == zhang_li.id and note.status == "filed"
    assert task.customer_id == zhang_li.id
    # the same button again: the question is closed, nothing changes
    again = await me.say("", button_payload=replies[0].buttons[0][0].payload)
    assert "已经结束" in again[0].text  # the member writes Chinese, so answers are Chinese


async def test_new_customer_is_offered_and_created(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    replies = await me.say("新客户钱多多（好运来超市）电话咨询批发价，后天回电")
    assert "钱多多" in replies[0].text
    await me.press("钱多多")
    names = {c.name for c in await _rows(app, Customer)}
    assert "钱多多" in names
    [task] = await _rows(app, Task)
    assert task.customer_id is not None and task.due_at.astimezone(app.settings.zone).date() == dt.date(2027, 3, 3)


async def test_note_with_no_customer_is_kept_and_answered_by_name(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    replies = await me.say("prices go up next month, tell everyone")
    assert "Who is it about" in replies[0].text
    [note] = await _rows(app, Interaction)
    assert note.customer_id is None
    await me.say("Tom Baker")
    assert "Tom Baker" in me.text
    [note] = await _rows(app, Interaction)
    assert note.customer_id is not None and note.status == "filed"


async def test_wrong_customer_and_date_fixed_with_one_reply_each(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    await me.say("visited Wang, send samples tomorrow")
    await me.press("Wrong customer")
    await me.say("李娜")
    assert "李娜" in me.text
    [note] = await _rows(app, Interaction)
    customers = {c.name: c for c in await _rows(app, Customer)}
    li_na = customers["李娜"]
    assert note.customer_id == li_na.id
    assert li_na.contact_count == 1 and customers["王伟"].contact_count == 0 and customers["王伟"].last_contact_at is None
    await me.press("Change date")
    await me.say("下周三")
    assert "moved" in me.text or "改到" in me.text
    [task] = await _rows(app, Task)
    assert task.customer_id == li_na.id
    assert task.due_at.astimezone(app.settings.zone).date() == dt.date(2027, 3, 10)


async def test_undo_removes_the_last_note_and_its_tasks(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    await me.say("called Wang, wants quote Friday")
    wang = next(c for c in await _rows(app, Customer) if c.name == "王伟")
    assert wang.last_contact_at is not None and wang.contact_count == 1
    replies = await me.say("/undo")
    assert "王伟" in replies[0].text
    assert await _rows(app, Interaction) == [] and await _rows(app, Task) == []
    wang = next(c for c in await _rows(app, Customer) if c.name == "王伟")
    assert wang.last_contact_at is None and wang.contact_count == 0  # as if the note never was
    assert "Nothing to undo" in (await me.say("/undo"))[0].text


async def test_birthday_from_a_note_goes_onto_the_customer(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    await Person(app, "me").say("王总生日是农历八月十五")
    wang = next(c for c in await _rows(app, Customer) if c.name == "王伟")
    assert wang.lunar_birthday == "08-15"


async def test_bad_input_gets_one_clear_line_and_changes_nothing(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    cases = {
        "": "Empty",
        "   \n\t ": "Empty",
        "😀🎉👍": "Nothing to file",
        "/frobnicate": "Unknown command",
        "/customer Nobody Atall": "No customer called",
        "/done 999": "No open follow-up #999",
        "/done abc": "Usage",
        "/find": "Usage",
        "/new": "Usage",
    }
    for text, expected in cases.items():
        replies = await me.say(text)
        assert len(replies) == 1 and expected in replies[0].text, (text, replies)
        assert "\n" not in replies[0].text.strip() or text.startswith("/find")
    assert await _rows(app, Interaction) == [] and await _rows(app, Task) == []
    assert len(await _rows(app, Customer)) == len(CUSTOMERS)


async def test_a_huge_note_is_kept_not_parsed(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    replies = await Person(app, "me").say("called Wang " + "blah " * 4000)
    assert "too long" in replies[0].text
    [note] = await _rows(app, Interaction)
    assert note.status == "pending" and len(note.text) > 20000 - 100
    assert await _rows(app, Task) == []


async def test_control_characters_are_stripped(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    await Person(app, "me").say("called\x00 Wang\x1b[31m, wants quote Friday")
    [note] = await _rows(app, Interaction)
    assert "\x00" not in note.text and "\x1b" not in note.text


async def test_a_customer_one_may_not_see_answers_like_one_that_does_not_exist(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    hidden = await me.say("/customer 林涛")
    missing = await me.say("/customer 林小涛")
    assert hidden[0].text.replace("林涛", "X") == missing[0].text.replace("林小涛", "X")
    boss = Person(app, "boss")
    assert "涛声电子" in (await boss.say("/customer 林涛"))[0].text


async def test_strangers_are_turned_away_and_nothing_is_created(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    replies = await Person(app, "stranger", platform="telegram").say("called Wang, wants quote Friday")
    assert "invite code" in replies[0].text
    assert await _rows(app, Interaction) == []


async def test_first_start_on_a_new_installation_makes_an_admin(app):
    first = Person(app, "founder", platform="telegram")
    replies = await first.say("/start")
    assert "admin" in replies[0].text
    second = Person(app, "someone", platform="telegram")
    assert "invite code" in (await second.say("/start"))[0].text
    invite = await first.say("/invite rep")
    code = invite[0].text.split("/join ")[1].rstrip(").").split()[0]
    assert "Welcome" in (await second.say(f"/join {code}"))[0].text
    third = Person(app, "late", platform="telegram")
    assert "not valid" in (await third.say(f"/join {code}"))[0].text  # single use


async def test_group_chatter_is_ignored_but_addressed_notes_are_taken(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    boss = Person(app, "boss", platform="console", chat_id="group-1", chat_kind="group")
    assert await boss.say("lunch anyone?") == []
    await boss.say("/link")
    replies = await boss.say("called Wang, wants quote Friday", addressed=True)
    assert "王伟" in replies[0].text
    card = await boss.say("/customer 王伟")
    assert "华东机电" in card[0].text and "13912345678" not in card[0].text  # no contacts in groups
    private = await Person(app, "boss").say("/customer 王伟")
    assert "13912345678" in private[0].text


async def test_everything_is_still_there_after_a_restart(sqlite_url, tmp_path, clock):
    from bot.wiring import build_app

    from .conftest import make_settings

    first = build_app(make_settings(sqlite_url, tmp_path), clock=clock, migrate=False)
    await seed_team(first, MEMBERS, CUSTOMERS)
    await Person(first, "me").say("called Wang, wants quote Friday")
    await first.close()
    second = build_app(make_settings(sqlite_url, tmp_path), clock=clock)
    listing = await Person(second, "me").say("/tasks all")
    await second.close()
    assert "王伟" in listing[0].text and "Fri 5 Mar" in listing[0].text


async def test_an_incoming_key_is_platform_chat_and_message():
    msg = Incoming(platform="telegram", chat_id="42", chat_kind="private", sender_id="7", sender_name="x", text="hi", message_id="9", sent_at=dt.datetime(2027, 3, 1, tzinfo=dt.timezone.utc))
    assert msg.key == "telegram:42:9"


async def test_a_messenger_that_knows_the_senders_clock_keeps_the_timezone_current(app):
    from storage.models import Member

    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    await me.say("/tasks", sender_timezone="Europe/London")
    await me.say("/tasks", sender_timezone="Not/AZone")  # nonsense from a client changes nothing
    members = {m.display_name: m for m in await _rows(app, Member)}
    assert members["me"].timezone == "Europe/London"
