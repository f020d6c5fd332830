"""Working days follow China's official calendar, make-up weekends (调休) included (issue 13, medium 11)."""

from __future__ import annotations

import datetime as dt

from reminders import workdays
from tests.helpers import seed_team
from tests.reminders_fixtures import SHANGHAI, add_task, at, record, tick_and_send


class _Settings:
    days_off = [5, 6]
    workday_start, workday_end = dt.time(9), dt.time(18)


def test_spring_festival_2026_calendar():
    s = _Settings()
    assert not workdays.is_day_off(dt.date(2026, 2, 14), s, "CN")  # Saturday: an official workday, the last before the break
    assert workdays.is_day_off(dt.date(2026, 2, 16), s, "CN")  # the break
    assert workdays.is_day_off(dt.date(2026, 2, 21), s, "CN")  # a plain Saturday
    assert workdays.previous_working_day(dt.date(2026, 2, 15), s, "CN") == dt.date(2026, 2, 14)
    assert workdays.next_working_moment(at(2026, 2, 13, 19, 0), SHANGHAI, s, "CN") == at(2026, 2, 14, 9, 0)


async def test_a_follow_up_due_on_a_make_up_saturday_is_reminded_that_day(app, clock):
    seeded = await seed_team(app, [("li", "rep")], [{"name": "王伟", "owner": "li"}])
    sent = record(app, clock)
    await add_task(app, seeded["team"], seeded["members"]["li"], seeded["customers"]["王伟"], due=at(2026, 2, 14), has_time=False, text="发报价")
    clock.set(at(2026, 2, 14, 10, 0))
    await tick_and_send(app, clock)
    assert any("发报价" in text for text in sent.texts("reminder"))
