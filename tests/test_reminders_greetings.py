"""Holiday greetings from the holiday calendar (Spring Festival, Mid-Autumn 2027, 元宵 from the
lunar calendar) and birthdays, solar and lunar, the working day before."""
from __future__ import annotations

import datetime as dt

from reminders import birthdays, festivals
from tests.helpers import seed_team
from tests.reminders_fixtures import at, outbox, record, set_member, tick_and_send

CUSTOMERS = [
    {"name": "李娜", "owner": "li", "tier": "general"},
    {"name": "王伟", "owner": "li", "tier": "important"},
    {"name": "Acme Trading", "owner": "li", "tier": "special"},
    {"name": "Globex", "owner": "tom", "tier": "important", "language": "zh"},
]


def test_2027_festivals_from_the_calendar():
    days = {f.key: f.day for f in festivals.between("CN", dt.date(2026, 12, 31), dt.date(2027, 12, 31))}
    assert days["spring"] == dt.date(2027, 2, 6)
    assert days["lantern"] == dt.date(2027, 2, 20)  # lunar 1-15, not in holidays.CN
    assert days["dragon_boat"] == dt.date(2027, 6, 9)
    assert days["mid_autumn"] == dt.date(2027, 9, 15)
    assert days["national"] == dt.date(2027, 10, 1) and days["new_year"] == dt.date(2027, 1, 1)


async def test_spring_festival_greeting_the_working_day_before(app, clock):
    seeded = await seed_team(app, [("li", "rep"), ("tom", "rep")], CUSTOMERS)
    await set_member(app, seeded["members"]["li"], language="zh")
    sent = record(app, clock)
    clock.set(at(2027, 2, 3, 10, 0))
    await tick_and_send(app, clock)
    assert sent.texts("greeting") == []
    # 春节 is Saturday 6 Feb; Friday 5 Feb (除夕) is a public holiday: greet on Thursday 4 Feb
    clock.set(at(2027, 2, 4, 8, 0))
    await tick_and_send(app, clock)
    assert sent.texts("greeting") == []  # before working hours
    clock.set(at(2027, 2, 4, 9, 0))
    await tick_and_send(app, clock)
    await tick_and_send(app, clock)
    li_text, tom_text = sorted(sent.texts("greeting"), key=lambda text: "Greet" in text)
    assert li_text.startswith("🧧") and "春节" in li_text
    lines = li_text.splitlines()[1:]
    assert lines[0].startswith("⭐ 王伟您好，新春快乐") and "Acme Trading" in lines[1] and "Happy Chinese New Year" in lines[1] and "李娜您好" in lines[2]
    assert "Spring Festival" in tom_text and "Globex您好，新春快乐" in tom_text
    assert len(await outbox(app, "greeting")) == 2


async def test_mid_autumn_and_lunar_birthday(app, clock):
    seeded = await seed_team(app, [("li", "rep")], [{"name": "王伟", "owner": "li", "tier": "important", "lunar_birthday": "08-15"}, {"name": "Emma", "owner": "li", "birthday": "09-15"}])
    sent = record(app, clock)
    clock.set(at(2027, 9, 14, 9, 0))  # Tuesday; 中秋 and lunar 08-15 are Wednesday 15 Sep
    await tick_and_send(app, clock)
    [greeting] = sent.texts("greeting")
    assert "Mid-Autumn Festival" in greeting and "王伟您好，中秋快乐" in greeting
    [birthday] = sent.texts("birthday")
    assert "王伟 · tomorrow (lunar)" in birthday and "祝您生日快乐" in birthday
    assert "Emma · tomorrow" in birthday and "Happy birthday, Emma" in birthday


def test_lunar_day_missing_this_year_falls_on_the_month_end():
    from lunardate import LunarDate

    year = 2027
    month = next(m for m in range(1, 13) if _days_in_lunar_month(year, m) == 29)
    last = LunarDate(year, month, 29).to_solar_date()
    assert f"{month:02d}-30" in birthdays.lunar_keys(last)
    assert birthdays.solar_keys(dt.date(2027, 2, 28)) == ["02-28", "02-29"]


def _days_in_lunar_month(year: int, month: int) -> int:
    from lunardate import LunarDate

    try:
        LunarDate(year, month, 30).to_solar_date()
        return 30
    except ValueError:
        return 29


async def test_friday_lists_weekend_birthdays(app, clock):
    seeded = await seed_team(app, [("li", "rep")], [{"name": "A", "owner": "li", "birthday": "03-06"}, {"name": "B", "owner": "li", "birthday": "03-08"}, {"name": "C", "owner": "li", "birthday": "03-09"}])
    sent = record(app, clock)
    clock.set(at(2027, 3, 5, 9, 0))  # Friday
    await tick_and_send(app, clock)
    [text] = sent.texts("birthday")
    assert "A ·" in text and "B ·" in text and "C ·" not in text


async def test_greeting_for_a_passed_holiday_is_dropped(app, clock):
    seeded = await seed_team(app, [("li", "rep")], [{"name": "王伟", "owner": "li"}])
    clock.set(at(2027, 9, 14, 9, 0))
    await tick_and_send(app, clock)  # queued, but no sender yet (the messenger was down)
    [row] = await outbox(app, "greeting")
    assert row.status == "pending"
    sent = record(app, clock)
    clock.set(at(2027, 9, 16, 9, 0))  # back after the holiday
    await tick_and_send(app, clock)
    [row] = await outbox(app, "greeting")
    assert row.status == "dropped" and row.last_error == "expired" and sent.texts("greeting") == []


async def test_greeting_missed_yesterday_is_sent_late_if_the_holiday_is_still_ahead(app, clock):
    seeded = await seed_team(app, [("li", "rep")], [{"name": "王伟", "owner": "li"}])
    sent = record(app, clock)
    # 国庆 Friday 1 Oct 2027; greet day Thursday 30 Sep. Down that day; back... on the holiday: nothing
    clock.set(at(2027, 10, 1, 10, 0))
    await tick_and_send(app, clock)
    assert await outbox(app, "greeting") == []
    # 端午 Wednesday 9 Jun; greet day Tuesday 8 Jun: down until the 8th at 17:00 → sent late-ish that day
    clock.set(at(2027, 6, 8, 17, 0))
    await tick_and_send(app, clock)
    assert len(sent.texts("greeting")) == 1
