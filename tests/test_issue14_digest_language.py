"""Issue 14, defect 5: a scheduled digest covers a whole, closed period, in the reader's language; and a
member's language is learnt from their name, locale and writing, not flipped by an English customer name."""
from __future__ import annotations

import re

from storage.models import Member

from .helpers import Person, rows, seed_team
from .reminders_fixtures import at, record, tick_and_send

MEMBERS = (("王经理", "manager"), ("li", "rep", "王经理"))
CUSTOMERS = [{"name": "王伟", "owner": "li"}, {"name": "Acme Trading", "owner": "li"}]


def _notes_of(text: str, rep: str) -> int:
    m = re.search(rf"{rep} (\d+)", text)
    return int(m.group(1)) if m else 0


async def test_a_note_after_the_daily_digest_is_in_the_next_one(app, clock):
    await seed_team(app, MEMBERS, CUSTOMERS)
    sent = record(app, clock)
    li = Person(app, "li")
    boss = Person(app, "王经理")
    await boss.say("/任务")  # the manager writes Chinese
    await boss.say("看看今天的客户情况怎么样")
    clock.set(at(2027, 3, 1, 11, 0))
    await li.say("called Wang, wants quote Friday")
    clock.set(at(2027, 3, 1, 17, 30))
    await tick_and_send(app, clock)
    clock.set(at(2027, 3, 1, 18, 15))
    await li.say("visited Acme Trading, they want a demo next week")
    clock.set(at(2027, 3, 2, 17, 30))
    await tick_and_send(app, clock)
    daily = [text for text in sent.texts("digest") if "日报" in text or "Daily" in text]
    assert len(daily) == 2
    assert all("日报" in text or "记录" in text for text in daily), daily  # in the manager's language
    assert [_notes_of(text, "li") for text in daily] == [1, 1]  # the late note is counted once, the next day


async def test_an_english_customer_name_does_not_flip_a_chinese_writer(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    li = Person(app, "li")
    await li.say("给王伟打电话，周五发报价")
    reply = await li.say("拜访了Acme Trading Co")
    assert "已记到" in reply[0].text
    member = next(m for m in await rows(app, Member) if m.display_name == "li")
    assert member.language == "zh"


async def test_a_chinese_name_answers_in_chinese_from_the_first_reply(app):
    seeded = await seed_team(app, (("boss", "admin"),))
    boss = Person(app, "boss")
    code = (await boss.say("/invite rep"))[0].text.split("/join ")[1].split()[0].strip("）).")
    newcomer = Person(app, "张三")
    reply = await newcomer.say(f"/join {code}")
    assert "欢迎" in reply[0].text
    member = next(m for m in await rows(app, Member) if m.display_name == "张三")
    assert member.language == "zh"
