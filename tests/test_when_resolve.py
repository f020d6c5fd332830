"""resolve_when: one expression, the rules of the spec ("Resolving dates")."""
import datetime as dt

import pytest

from handlers.understanding.when import resolve_when

CST = dt.timezone(dt.timedelta(hours=8))
# Wednesday 12 March 2025, 09:15 in UTC+8.
NOW = dt.datetime(2025, 3, 12, 9, 15, tzinfo=CST)


def when(text, now=NOW):
    r = resolve_when(text, now)
    return None if r is None else r.iso()


@pytest.mark.parametrize("text,expected", [
    # bare weekday: the next one after today (today is a Wednesday)
    ("Friday", "2025-03-14"), ("周五", "2025-03-14"), ("星期五", "2025-03-14"),
    ("礼拜五", "2025-03-14"), ("wednesday", "2025-03-19"), ("周三", "2025-03-19"),
    ("Mon", "2025-03-17"), ("星期天", "2025-03-16"), ("周日", "2025-03-16"),
    # this week / next week
    ("这周五", "2025-03-14"), ("本周一", "2025-03-10"), ("this friday", "2025-03-14"),
    ("下周三", "2025-03-19"), ("下星期一", "2025-03-17"), ("下礼拜四", "2025-03-20"),
    ("thursday next week", "2025-03-20"), ("next week", "2025-03-17"), ("下周", "2025-03-17"),
    ("下下周二", "2025-03-25"), ("上周五", "2025-03-07"), ("last monday", "2025-03-03"),
    # months
    ("next month", "2025-04-01"), ("下个月", "2025-04-01"), ("下个月5号", "2025-04-05"),
    ("下个月20号", "2025-04-20"), ("the 18th of next month", "2025-04-18"),
    ("月底", "2025-03-31"), ("end of the month", "2025-03-31"), ("下个月底", "2025-04-30"),
    # days around today
    ("today", "2025-03-12"), ("明天", "2025-03-13"), ("tomorrow", "2025-03-13"),
    ("后天", "2025-03-14"), ("大后天", "2025-03-15"), ("昨天", "2025-03-11"), ("前天", "2025-03-10"),
    ("the day after tomorrow", "2025-03-14"),
    # offsets (counted in days, resolve_when keeps the clock of now, as Duckling does)
    ("5天后", "2025-03-17T09:15"), ("一周后", "2025-03-19"), ("两周后", "2025-03-26"),
    ("三个月后", "2025-06-12"), ("in 4 weeks", "2025-04-09"), ("two weeks from now", "2025-03-26"),
    ("10 days ago", "2025-03-02T09:15"), ("in 2 hours", "2025-03-12T11:15"),
    # explicit dates: the next one that is not past, unless a year is given
    ("3月20号", "2025-03-20"), ("3月2日", "2026-03-02"), ("3/20", "2025-03-20"),
    ("2/1", "2026-02-01"), ("Mar 30", "2025-03-30"), ("1 April", "2025-04-01"),
    ("April 9th", "2025-04-09"), ("the 20th", "2025-03-20"), ("the 5th", "2025-04-05"),
    ("2024-06-30", "2024-06-30"), ("2026年1月8日", "2026-01-08"), ("七月一号", "2025-07-01"),
    # times
    ("下午4点", "2025-03-12T16:00"), ("11点半", "2025-03-12T11:30"), ("四点一刻", "2025-03-12T16:15"),
    ("4pm", "2025-03-12T16:00"), ("16:45", "2025-03-12T16:45"), ("at noon", "2025-03-12T12:00"),
    ("midnight", "2025-03-13T00:00"), ("今晚9点", "2025-03-12T21:00"), ("中午12点半", "2025-03-12T12:30"),
    ("凌晨1点", "2025-03-13T01:00"), ("7am", "2025-03-13T07:00"),
    ("明天上午11点", "2025-03-13T11:00"), ("周四下午两点半", "2025-03-13T14:30"),
    ("friday at 4:30pm", "2025-03-14T16:30"), ("tomorrow 10am", "2025-03-13T10:00"),
    # part of day without an hour gives no time
    ("明天上午", "2025-03-13"), ("Friday morning", "2025-03-14"),
])
def test_rules(text, expected):
    assert when(text) == expected


def test_next_weekday_reading_is_next_weeks():
    # Spec: either reading counts; we give the one Duckling uses (X of next week).
    assert when("next friday") == "2025-03-21"


def test_year_rolls_over_in_december():
    now = dt.datetime(2025, 12, 29, 15, 0, tzinfo=CST)  # a Monday
    assert when("下个月", now) == "2026-01-01"
    assert when("next month", now) == "2026-01-01"
    assert when("下个月3号", now) == "2026-01-03"
    assert when("1月10号", now) == "2026-01-10"
    assert when("1/2", now) == "2026-01-02"
    assert when("Jan 5", now) == "2026-01-05"
    assert when("下周三", now) == "2026-01-07"
    assert when("the 2nd", now) == "2026-01-02"
    assert when("in a week", now) == "2026-01-05"
    assert when("月底", now) == "2025-12-31"
    assert when("年底", now) == "2025-12-31"


def test_month_end_lengths():
    jan = dt.datetime(2025, 1, 30, 9, 0, tzinfo=CST)
    assert when("月底", jan) == "2025-01-31"
    assert when("下个月底", jan) == "2025-02-28"
    assert when("in 1 month", jan) == "2025-02-28"  # clamped, not March 2
    leap = dt.datetime(2024, 2, 10, 9, 0, tzinfo=CST)
    assert when("end of month", leap) == "2024-02-29"
    assert when("2月29号", leap) == "2024-02-29"


def test_other_offsets_resolve_in_their_own_zone():
    ny = dt.datetime(2025, 3, 12, 22, 0, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    assert when("tomorrow", ny) == "2025-03-13"
    assert when("3pm CET", NOW) == "2025-03-12T22:00"


@pytest.mark.parametrize("text", ["", "   ", "hello world", "asdf qwer", "50 units", "价格太高了",
                                  "invoice 1043", "12:1"])
def test_garbage_is_none(text):
    assert resolve_when(text, NOW) is None


def test_huge_input_is_none():
    big = "明天下午3点 " * 2000 + "x" * 8000
    assert len(big) >= 20000
    assert resolve_when(big, NOW) is None


def test_traditional_and_cantonese():
    assert when("下個禮拜二") == "2025-03-18"
    assert when("聽日") == "2025-03-13"
    assert when("尋日") == "2025-03-11"
    assert when("後日") == "2025-03-14"
    assert when("今個禮拜五") == "2025-03-14"
    assert when("禮拜六晏晝三點") == "2025-03-15T15:00"
    assert when("聽日朝早十點半") == "2025-03-13T10:30"
    assert when("下晝三點三") == "2025-03-12T15:15"  # 三 after 點: three 5-minute marks
    assert when("兩點鐘") == "2025-03-12T14:00"


def test_fullwidth_digits():
    assert when("１２月２４日") == "2025-12-24"
    assert when("下午３点") == "2025-03-12T15:00"


@pytest.mark.parametrize("text,expected", [
    ("元旦", "2026-01-01"), ("春节", "2026-02-17"), ("除夕", "2026-02-16"), ("中秋节", "2025-10-06"),
    ("国庆节", "2025-10-01"), ("christmas", "2025-12-25"), ("easter", "2025-04-20"),
    ("two days after easter", "2025-04-22"),
])
def test_festivals(text, expected):
    assert when(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("second monday of april", "2025-04-14"), ("last friday of march", "2025-03-28"),
    ("the first sunday of next month", "2025-04-06"), ("五月第二个星期日", "2025-05-11"),
    ("下个月最后一个周五", "2025-04-25"), ("last week of june 2025", "2025-06-23"),
    ("the second week of may", "2025-05-12"),
])
def test_nth_weekday_and_week(text, expected):
    assert when(text) == expected


@pytest.mark.parametrize("text", [
    "2月30号", "13/45", "25点", "99:99", "feb 30", "june 31", "the 0th", "2026年13月1日",
    "in 9999 years", "9999-12-31 晚上12点半", "0000-01-01", "下下下下周",
])
def test_impossible_dates_do_not_crash(text):
    r = resolve_when(text, NOW)
    assert r is None or isinstance(r.date, dt.date)
