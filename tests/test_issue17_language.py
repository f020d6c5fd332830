"""Issue 17: the member's language switches only after a run of messages in the other language; a member who mixes
languages keeps theirs with no UPDATE of their row per note, and every reply is in its own message's language."""
from __future__ import annotations

from handlers import language
from handlers.language import SWITCH_RUN, Habits
from storage.models import Member

from .helpers import Person, rows, seed_team

ZH = "拜访了王伟，下周三前发报价"
EN = "called Acme Trading, wants a quote Friday"
CUSTOMERS = ({"name": "王伟", "company": "华为"}, {"name": "Acme Trading", "company": "Acme"})


def test_a_run_in_the_other_language_switches_and_mixing_does_not():
    habits = Habits()
    assert habits.hear(1, "en", ZH) == "zh"  # the first message heard decides at once (the stored one may be a guess)
    stored = "zh"
    for text in (EN, ZH, EN, "王伟", EN, ZH, "12345", EN, ZH):  # mixing, with messages that say nothing
        assert habits.hear(1, stored, text) is None
    assert [habits.hear(1, stored, EN) for _ in range(SWITCH_RUN)] == [None] * (SWITCH_RUN - 1) + ["en"]


def test_a_name_alone_keeps_the_run_and_the_conversation_language():
    habits = Habits()
    habits.hear(1, "zh", ZH)
    habits.hear(1, "zh", EN)
    assert habits.hear(1, "zh", "Acme Trading") is None  # says nothing
    assert habits.conversation(1, "zh") == "en"  # the latest message that said something
    assert habits.hear(1, "zh", EN) is None and habits.hear(1, "zh", EN) == "en"  # the run went on across the name


def test_members_are_remembered_within_a_bound():
    habits = Habits(size=2)
    for member_id in (1, 2, 3):
        habits.hear(member_id, "zh", ZH)
    assert habits.conversation(1, "en") == "en" and habits.conversation(3, "en") == "zh"  # 1 was dropped


async def test_a_member_mixing_languages_keeps_theirs_without_an_update_per_note(app_any_db):
    app = app_any_db
    await seed_team(app, customers=CUSTOMERS)
    me = Person(app, "me")
    await me.say(ZH)
    async with app.db.write() as session:  # every UPDATE of a member row, logged by the database itself
        conn = await session.connection()
        if conn.dialect.name == "sqlite":
            await conn.exec_driver_sql("CREATE TABLE member_update_log (id INTEGER PRIMARY KEY, member_id INTEGER)")
            await conn.exec_driver_sql("CREATE TRIGGER member_update_logged AFTER UPDATE ON member BEGIN INSERT INTO member_update_log (member_id) VALUES (new.id); END")
        else:
            await conn.exec_driver_sql("CREATE TABLE member_update_log (id serial PRIMARY KEY, member_id integer)")
            await conn.exec_driver_sql(
                "CREATE FUNCTION log_member_update() RETURNS trigger AS $$ BEGIN INSERT INTO member_update_log (member_id) VALUES (NEW.id); RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            await conn.exec_driver_sql("CREATE TRIGGER member_update_logged AFTER UPDATE ON member FOR EACH ROW EXECUTE FUNCTION log_member_update()")

    async def updates() -> int:
        async with app.db.read() as session:
            return (await (await session.connection()).exec_driver_sql("SELECT count(*) FROM member_update_log")).scalar_one()

    try:
        for i in range(6):
            reply = await me.say(EN if i % 2 == 0 else "给王伟打电话，他说明天再聊")
            assert ("已记到" in reply[0].text) == (i % 2 == 1)  # each reply in its message's language
        assert await updates() == 0
        assert (await rows(app, Member))[0].language == "zh"
        for _ in range(SWITCH_RUN):
            await me.say(EN)
        assert (await rows(app, Member))[0].language == "en" and await updates() == 1
    finally:
        async with app.db.write() as session:
            conn = await session.connection()
            await conn.exec_driver_sql("DROP TRIGGER member_update_logged" + ("" if conn.dialect.name == "sqlite" else " ON member"))
            await conn.exec_driver_sql("DROP TABLE member_update_log")
            if conn.dialect.name != "sqlite":
                await conn.exec_driver_sql("DROP FUNCTION log_member_update()")


async def test_an_english_question_naming_a_chinese_customer_is_answered_in_english(app):
    await seed_team(app, customers=CUSTOMERS)
    me = Person(app, "me")
    await me.say(ZH)
    await me.say("who do I need to follow up tomorrow")
    reply = await me.say("when did I last talk to 王伟")
    assert "Last contact with 王伟" in reply[0].text
    assert (await rows(app, Member))[0].language == "zh"  # one question is no run
    assert language.habits_of(app.services) is language.habits_of(app.services)
