"""Issue 14 (defect 5, language): a manager whose account was made in English (`crmbot admin create-team`
defaults to en) and who only types commands by their Chinese names (/任务, /摘要) is answered in
Chinese and gets the daily digest in Chinese. Before, a bare command said nothing about its writer, so
the scripted day's 王经理 read "Daily digest … Notes: 小李 18" in English."""

from __future__ import annotations

from storage.models import Member
from tests.helpers import Person, rows, seed_team
from tests.reminders_fixtures import at, record, tick_and_send

MEMBERS = (("王经理", "manager"), ("小李", "rep", "王经理"))


async def test_chinese_command_names_make_the_managers_replies_and_digest_chinese(app, clock):
    await seed_team(app, MEMBERS, [{"name": "王伟", "owner": "小李"}])
    assert {m.display_name: m.language for m in await rows(app, Member)}["王经理"] == "en"
    sent = record(app, clock)
    [reply] = await Person(app, "王经理").say("/任务")
    assert "跟进" in reply.text, reply.text
    await Person(app, "小李").say("给王伟打电话，周五发报价")
    clock.set(at(2027, 3, 1, 17, 30))
    await tick_and_send(app, clock)
    daily = [m.text for _, row, m in sent.sent if row.kind == "digest" and row.chat_id == "console:王经理" and ("日报" in m.text or "Daily" in m.text)]
    assert len(daily) == 1 and "日报" in daily[0] and "小李 1" in daily[0], daily


async def test_an_english_command_with_a_chinese_name_changes_nothing(app):
    await seed_team(app, MEMBERS, [{"name": "王伟", "owner": "小李"}])
    [reply] = await Person(app, "王经理").say("/tasks 小李")
    assert "follow-up" in reply.text.lower(), reply.text  # an English writer typing a Chinese name stays English
    assert {m.display_name: m.language for m in await rows(app, Member)}["王经理"] == "en"
