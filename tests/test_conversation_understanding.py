"""Issue 12, the conversation: asking about what the parser is unsure of, questions and instructions in
words, notes on two customers, notes that close a follow-up, and learning from corrections.

Through the real router and database (SQLite, and PostgreSQL when CRMBOT_TEST_POSTGRES_URL is set).
Situations the parser does not produce yet are built as a ParsedNote and handed to the quick-note
handler (``file_parsed``), the seam between reading a note and filing it; everything after that (button
presses, typed answers, later notes) goes through the router.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json

from handlers import language, quick_note, router
from handlers.context import Context
from handlers.customer_index import record_of
from handlers.understanding.notes import FollowUp, ParsedNote
from storage import crm
from storage.models import Correction, Customer, Interaction, Task

from .helpers import Person, rows, seed_team

CUSTOMERS = [
    {"name": "王伟", "company": "华东机电", "aliases": ["王总"], "owner": "me", "phone": "13912345678"},
    {"name": "王芳", "company": "芳华服饰", "owner": "me"},
    {"name": "李娜", "company": "李氏食品", "owner": "me", "email": "lina@example.com"},
    {"name": "张强", "company": "星河贸易", "owner": "me"},
    {"name": "Tom Baker", "company": "Baker Logistics", "owner": "me", "phone": "5550001111"},
    {"name": "林涛", "company": "涛声电子", "owner": "other", "phone": "13800000000"},
]
MEMBERS = (("me", "rep"), ("other", "rep"))
FRI = dt.date(2027, 3, 5)  # the clock says Monday 2027-03-01 10:00 in Shanghai


async def file_parsed(app, person: Person, text: str, parsed: ParsedNote):
    """The quick-note handler with a reading we chose, in one transaction as the router runs it."""
    msg = person.message(text)
    async with app.db.write() as session:
        member, team = await crm.member_and_team_by_identity(session, msg.platform, msg.sender_id)
        lang = language.choose(text, None, member.language, "en")
        ctx = Context(msg=msg, services=app.services, session=session, member=member, team=team, lang=lang)
        replies = await quick_note.file_parsed(ctx, text, parsed)
        await router.queue_replies(session, msg, replies, app.services.clock())
    person.last = replies
    return replies


def rec(seeded, name):
    return record_of(seeded["customers"][name])


def labels(person: Person) -> list[str]:
    return [b.label for reply in person.last for row in reply.buttons for b in row]


async def customer(app, name) -> Customer:
    return next(c for c in await rows(app, Customer) if c.name == name)


# --- 1. asking about exactly the unsure fields ----------------------------------------------------------------------
async def test_unsure_date_is_asked_about_and_changed(app_any_db):
    app = app_any_db
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    wang = rec(seeded, "王伟")
    parsed = ParsedNote(text="", customer=wang, customers=[wang], channel="call", follow_ups=[FollowUp(FRI, None, "send quote")], uncertain=["date"])
    await file_parsed(app, me, "called Wang, quote by Friday-ish", parsed)
    assert "Follow-up Fri 5 Mar — right?" in me.text
    assert labels(me)[:3] == ["Yes", "Change date", "No follow-up"]
    [note] = await rows(app, Interaction)
    assert note.status == "filed" and note.customer_id == wang.id  # filed at once: nothing lost
    await me.press("Change date")
    await me.say("next Tuesday")
    assert "moved" in me.text
    [task] = await rows(app, Task)
    assert task.due_at.astimezone(app.settings.zone).date() == dt.date(2027, 3, 9)
    [fix] = await rows(app, Correction)
    assert fix.corrected == {"date": "2027-03-09", "time": None} and fix.text == "called Wang, quote by Friday-ish"


async def test_unsure_date_no_follow_up_then_unsure_channel(app):
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    wang = rec(seeded, "王伟")
    parsed = ParsedNote(text="", customer=wang, customers=[wang], channel="call", follow_ups=[FollowUp(FRI, None, "send quote")], uncertain=["channel", "date"])
    await file_parsed(app, me, "Wang, quote Friday", parsed)
    assert "right?" in me.text and "Was it a call?" not in me.text  # one question at a time: the date first
    await me.press("No follow-up")
    assert "No follow-up" in me.text and "Was it a call?" in me.text  # then the next unsure field
    assert {"visit", "meeting", "email", "message"} <= set(labels(me))
    await me.press("visit")
    [note] = await rows(app, Interaction)
    [task] = await rows(app, Task)
    assert note.channel == "visit" and task.status == "cancelled"
    [fix] = await rows(app, Correction)
    assert fix.corrected == {"date": None, "time": None, "channel": "visit"}


async def test_unsure_customer_asked_in_chinese_and_fixed(app):
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    wang = rec(seeded, "王伟")
    parsed = ParsedNote(text="", customer=wang, customers=[wang], mention="王为", channel="call", uncertain=["customer"])
    await file_parsed(app, me, "给王为打了电话，聊了新品", parsed)
    assert "是王伟吗？" in me.text
    await me.press("其他客户")
    await me.say("王芳")
    assert "王芳" in me.text
    [note] = await rows(app, Interaction)
    assert note.customer_id == seeded["customers"]["王芳"].id
    assert "王为" in (await customer(app, "王芳")).aliases  # the same words find her next time
    [fix] = await rows(app, Correction)
    assert fix.corrected == {"customer": "王芳"}


async def test_sure_note_gets_the_usual_one_line_confirmation(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    await me.say("called 王伟, wants quote Friday")
    assert "right?" not in me.text and "Wrong customer" in labels(me)


async def test_a_typed_note_while_a_check_is_open_is_a_note(app):
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    wang = rec(seeded, "王伟")
    parsed = ParsedNote(text="", customer=wang, customers=[wang], channel="call", uncertain=["channel"])
    await file_parsed(app, me, "Wang re quote", parsed)
    await me.say("拜访了李娜，下周三前发报价")
    assert "李娜" in me.text
    assert len(await rows(app, Interaction)) == 2


# --- 2. questions and instructions ------------------------------------------------------------------------------------
async def test_questions_are_answered_not_filed(app_any_db):
    app = app_any_db
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    await me.say("王伟的电话是多少？")
    assert "13912345678" in me.text
    await me.say("what's Tom Baker's phone")
    assert "5550001111" in me.text
    await me.say("林涛的电话是多少？")  # another rep's customer: as if it did not exist
    assert "13800000000" not in me.text and "没有叫“林涛”的客户" in me.text
    await me.say("what's Nobody Inc's phone?")
    assert "No customer called" in me.text
    assert await rows(app, Interaction) == []


async def test_due_today_last_contact_and_status(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    await me.say("给李娜打电话，她说今天下午3点再聊")
    await me.say("今天要跟进哪些客户？")
    assert "李娜" in me.text and "今天" in me.text
    await me.say("who do I need to follow up tomorrow")
    assert "Nothing to follow up tomorrow" in me.text
    await me.say("when did I last talk to 李娜")
    assert "Last contact with 李娜: Mon 1 Mar (call), today." in me.text
    await me.say("李娜最近怎么样")
    assert "上次联系李娜" in me.text and "下一步" in me.text
    assert len(await rows(app, Interaction)) == 1  # only the note


async def test_group_chats_never_show_contacts(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    group = Person(app, "me", chat_id="group-1", chat_kind="group")
    await group.say("王伟的电话是多少？", addressed=True)
    assert "13912345678" not in group.text and "私聊" in group.text


async def test_notes_about_someone_asking_are_notes(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    await me.say("王伟问价格，周五报价")
    await me.say("李娜问什么时候发货")
    assert len(await rows(app, Interaction)) == 2


async def test_instruction_is_confirmed_then_applied(app_any_db):
    app = app_any_db
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    await me.say("把王芳设为重要客户")
    assert "把王芳设为重要？" in me.text
    assert (await customer(app, "王芳")).tier == "general"  # nothing before the tap
    await me.press("对")
    assert (await customer(app, "王芳")).tier == "important"
    await me.say("把王芳的电话改成13812345678")
    await me.press("对")
    assert (await customer(app, "王芳")).phone == "13812345678"
    assert await rows(app, Interaction) == []


async def test_instruction_cancelled_or_stale_changes_nothing(app, clock):
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    await me.say("mark Tom Baker as lost")
    assert "Mark Tom Baker as churned?" in me.text
    await me.press("Cancel")
    assert "nothing changed" in me.text
    await me.say("set Tom Baker to VIP")
    clock.advance(hours=1)
    await me.press("Yes")
    assert "closed" in me.text
    baker = await customer(app, "Tom Baker")
    assert baker.stage == "potential" and baker.tier == "general"
    await me.say("mark 林涛 as lost")  # another rep's customer
    assert "No customer called" in me.text


# --- 3. two customers in one note --------------------------------------------------------------------------------------
async def test_two_customers_two_interactions_two_follow_ups(app_any_db):
    app = app_any_db
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    zhang, fang = rec(seeded, "张强"), rec(seeded, "王芳")
    parsed = ParsedNote(
        text="", customer=zhang, customers=[zhang, fang], channel="visit",
        follow_ups=[FollowUp(FRI, None, "寄样品", customer=zhang), FollowUp(dt.date(2027, 3, 8), None, "王芳付款", customer=fang)],
    )
    await file_parsed(app, me, "上午拜访了张强和王芳，张强要样品，王芳说下周付款", parsed)
    assert "张强、王芳" in me.text.splitlines()[0]
    notes = await rows(app, Interaction)
    assert sorted(n.customer_id for n in notes) == sorted([zhang.id, fang.id])
    tasks = {t.text: t for t in await rows(app, Task)}
    assert tasks["寄样品"].customer_id == zhang.id and tasks["王芳付款"].customer_id == fang.id
    assert (await customer(app, "王芳")).contact_count == 1 and (await customer(app, "张强")).contact_count == 1
    await me.say("/undo")  # the note goes from both customers
    assert await rows(app, Interaction) == [] and await rows(app, Task) == []


# --- 4. a later note closes a follow-up ---------------------------------------------------------------------------------
async def test_a_note_closes_the_matching_follow_up_and_clears_the_risk(app_any_db):
    app = app_any_db
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    await me.say("拜访了张强，周五前寄样品")
    await me.say("给张强打电话，下周一发报价")
    await me.say("张强投诉交货太慢")
    assert (await customer(app, "张强")).last_risk == ["complaint"]
    zhang = rec(seeded, "张强")
    parsed = ParsedNote(text="", customer=zhang, customers=[zhang], channel="call", closes=True, resolved_risks=["complaint"], follow_ups=[FollowUp(None, None, "样品收到了")])
    await file_parsed(app, me, "张强说样品收到了，交货的事也解决了", parsed)
    assert "✓ 已完成：寄样品" in me.text and "已解除：投诉" in me.text
    by_text = {t.text: t for t in await rows(app, Task)}
    assert by_text["寄样品"].status == "done" and by_text["发报价"].status == "open"
    assert "样品收到了" not in by_text  # no new to-do for what was done
    assert (await customer(app, "张强")).last_risk == []


async def test_without_matching_words_the_oldest_due_soonest_is_closed(app):
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    await me.say("called Tom Baker, send brochure next Monday")
    await me.say("called Tom Baker, send pricing Friday")
    baker = rec(seeded, "Tom Baker")
    await file_parsed(app, me, "Tom Baker: all sorted", ParsedNote(text="", customer=baker, customers=[baker], closes=True))
    assert "✓ closed: send pricing" in me.text
    status = {t.text: t.status for t in await rows(app, Task)}
    assert status == {"send brochure": "open", "send pricing": "done"}


# --- 5. learning from corrections ---------------------------------------------------------------------------------------
async def test_a_fixed_customer_mention_matches_next_time(app_any_db):
    app = app_any_db
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    await me.say("王总 called, wants quote Friday")
    assert "王伟" in me.text
    await me.press("Wrong customer")
    await me.say("王芳")
    [note] = await rows(app, Interaction)
    assert note.customer_id == seeded["customers"]["王芳"].id
    await me.say("王总 called again, sample next Monday")
    assert "✓ 王芳" in me.text  # the index learnt it without a rebuild
    assert "王总" not in (await customer(app, "王伟")).aliases
    [fix] = await rows(app, Correction)
    assert fix.parsed["customer"] == "王伟" and fix.parsed["mention"] == "王总" and fix.corrected == {"customer": "王芳"}


async def test_corrections_export_round_trip(app, sqlite_url, tmp_path, monkeypatch):
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    await me.say("王总 called, wants quote Friday")
    await me.press("Change date")
    await me.say("下周二下午3点")
    wang = rec(seeded, "王伟")
    await file_parsed(app, me, "Wang re quote", ParsedNote(text="", customer=wang, customers=[wang], channel="call", uncertain=["channel"]))
    await me.press("meeting")

    from bot import cli

    out = tmp_path / "corrections.jsonl"
    monkeypatch.setenv("CRMBOT_DATA_DIR", str(tmp_path / "data"))
    args = cli.build_parser().parse_args(["corrections", "export", "--out", str(out), "--db", sqlite_url])
    assert await asyncio.to_thread(args.func, args) == 0  # the command runs its own event loop
    cases = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [c["text"] for c in cases] == ["王总 called, wants quote Friday", "Wang re quote"]
    first, second = cases
    assert set(first) == {"id", "now", "text", "expect"}
    assert first["now"] == "2027-03-01T10:00:00+08:00"
    assert first["expect"]["customer"] == "王伟" and first["expect"]["channel"] == "call"
    assert (first["expect"]["date"], first["expect"]["time"]) == ("2027-03-09", "15:00")
    assert {"customer", "channel", "date", "time", "amount", "currency", "risk", "outcome", "birthday", "lunar_birthday"} <= set(first["expect"])
    assert second["expect"]["channel"] == "meeting"
    # the exported case reads back as what the user said
    parser = await app.services.indexes.parser(seeded["team"].id)
    again = parser.parse(first["text"], dt.datetime.fromisoformat(first["now"]))
    assert again.customer.name == first["expect"]["customer"]


# --- the console ----------------------------------------------------------------------------------------------------------
async def test_console_question_and_instruction_by_number(sqlite_url, tmp_path, clock):
    from .test_console import _session

    out = await _session(sqlite_url, tmp_path, clock, ["李娜的电话是多少？", "把李娜设为重要客户", "1", "/customer 李娜"], demo=True)
    assert "李娜：13900000002" in out
    assert "[1] 对  [2] 取消" in out
    assert "✓ 李娜：重要。" in out and "重要 · 活跃" in out


async def test_a_question_while_a_name_is_awaited_is_answered_and_the_prompt_waits(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    await me.say("called 王伟, wants quote Friday")
    await me.press("Wrong customer")
    await me.say("王伟的电话是多少？")
    assert "13912345678" in me.text
    await me.say("王芳")  # the open question still takes its answer
    [note] = await rows(app, Interaction)
    assert note.customer_id == (await customer(app, "王芳")).id


async def test_unsure_fields_of_a_note_waiting_for_its_customer_are_asked_after_the_pick(app):
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    wang, fang = rec(seeded, "王伟"), rec(seeded, "王芳")
    parsed = ParsedNote(text="", ambiguous=True, candidates=[wang, fang], mention="王", channel="call", follow_ups=[FollowUp(FRI, None, "报价")], uncertain=["date"])
    await file_parsed(app, me, "Wang called, quote around Friday", parsed)
    await me.press("王芳")
    assert "✓ 王芳" in me.text and "Follow-up Fri 5 Mar — right?" in me.text
    await me.press("No follow-up")
    [task] = await rows(app, Task)
    assert task.status == "cancelled"


async def test_a_note_naming_a_customer_while_a_name_is_awaited_is_a_new_note(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    me = Person(app, "me")
    await me.say("called 王伟, wants quote Friday")
    await me.press("Wrong customer")
    await me.say("called Tom Baker, quote Friday")  # a note, not the answer
    notes = await rows(app, Interaction)
    assert len(notes) == 2
    assert {n.customer_id for n in notes} == {(await customer(app, "王伟")).id, (await customer(app, "Tom Baker")).id}
