"""find_times: time expressions inside free-text notes."""
import datetime as dt

import pytest

from handlers.understanding.when import find_times

CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2025, 3, 12, 9, 15, tzinfo=CST)  # Wednesday


def found(text, now=NOW):
    return [(m.text, m.date.isoformat(), m.time.strftime("%H:%M") if m.time else None)
            for m in find_times(text, now)]


def one(text, now=NOW):
    ms = find_times(text, now)
    assert len(ms) == 1, ms
    return ms[0]


def test_spans_point_into_the_original_text():
    text = "和陳總通話，下週四下午兩點再打給他"
    m = one(text)
    assert text[m.start:m.end] == m.text == "下週四下午兩點"
    assert (m.date, m.time) == (dt.date(2025, 3, 20), dt.time(14, 0))


def test_spans_with_fullwidth_and_mixed_text():
    text = "Anna (ＡＢＣ公司) 说 １２月３号 下午４点 来访"
    m = one(text)
    assert m.text == "１２月３号 下午４点"
    assert text[m.start:m.end] == m.text


@pytest.mark.parametrize("text,expected", [
    ("quick call with Lee, circle back in 3 weeks", [("in 3 weeks", "2025-04-02", None)]),
    ("样品已寄出，十天后再问问", [("十天后", "2025-03-22", None)]),
    ("remind me to ping Tom in 5 days", [("in 5 days", "2025-03-17", None)]),
    ("两周以后回访", [("两周以后", "2025-03-26", None)]),
    ("报价下个月10号给", [("下个月10号", "2025-04-10", None)]),
    ("尾款月底结清", [("月底", "2025-03-31", None)]),
    ("demo booked for 4/2", [("4/2", "2025-04-02", None)]),
    ("contract review Apr 8", [("Apr 8", "2025-04-08", None)]),
    ("3月28日下午2点半开会", [("3月28日下午2点半", "2025-03-28", "14:30")]),
    ("sync Monday 11am", [("Monday 11am", "2025-03-17", "11:00")]),
    ("let's talk next week about pricing", [("next week", "2025-03-17", None)]),
    ("大后天送货", [("大后天", "2025-03-15", None)]),
    ("客户要求4月2号交货", [("4月2号", "2025-04-02", None)]),
    ("约了周五上午十点半", [("周五上午十点半", "2025-03-14", "10:30")]),
    ("the CFO is free Friday at 3", [("Friday at 3", "2025-03-14", "15:00")]),
    ("明早9点打给他", [("明早9点", "2025-03-13", "09:00")]),
    ("call her back at 2:30", [("2:30", "2025-03-12", "14:30")]),
])
def test_follow_up_dates(text, expected):
    assert found(text) == expected


def test_date_and_time_are_one_mention():
    assert found("周四 下午3点 见") == [("周四 下午3点", "2025-03-13", "15:00")]
    assert found("Thursday, 3pm works") == [("Thursday, 3pm", "2025-03-13", "15:00")]
    assert found("at 10am on Tuesday") == [("10am on Tuesday", "2025-03-18", "10:00")]


def test_several_mentions_in_text_order():
    got = found("周一拜访过，周三再打电话，下周五前签约")
    assert [g[0] for g in got] == ["周一", "周三", "下周五前"]


@pytest.mark.parametrize("text,date", [
    ("need the signed PO by Thursday", "2025-03-13"),
    ("quote before March 20", "2025-03-20"),
    ("下周二前回复", "2025-03-18"),
    ("本月底之前付清", "2025-03-31"),
    ("3月18号以前发货", "2025-03-18"),
    ("五天内给答复", "2025-03-17"),
    ("reply within a week", "2025-03-19"),
    ("send the deck by tomorrow 5pm", "2025-03-13"),
])
def test_deadlines(text, date):
    m = one(text)
    assert m.deadline and not m.past
    assert m.date.isoformat() == date


def test_not_deadlines():
    assert not one("meeting on Friday").deadline
    assert not one("下周二见面").deadline
    # 前往 is "go to", not "before"
    assert not one("周五前往上海").deadline


@pytest.mark.parametrize("text,date", [
    ("dropped by their office today, they liked the samples", "2025-03-12"),
    ("今天去了工厂，看了生产线", "2025-03-12"),
    ("yesterday he complained about the price", "2025-03-11"),
    ("前天开了会", "2025-03-10"),
    ("spoke with her last week", "2025-03-03"),
    ("上个月签的合同", "2025-02-01"),
    ("4 days ago the goods arrived", "2025-03-08"),
    ("两周前报过价", "2025-02-26"),
    ("上周四来访", "2025-03-06"),
    ("met the buyer on Monday", "2025-03-10"),  # a bare weekday told as past: the one before
    ("3月5号拜访了客户", "2025-03-05"),
])
def test_past(text, date):
    m = one(text)
    assert m.past
    assert m.date.isoformat() == date


@pytest.mark.parametrize("text", [
    "send the price list today", "今天把报价发过去", "今天要给他回电话", "please call today",
])
def test_today_as_due_date_is_not_past(text):
    m = one(text)
    assert not m.past and m.date == NOW.date()


@pytest.mark.parametrize("text", [
    "ordered 80 units", "invoice 2231 still open", "45 days overdue on the last invoice",
    "payment is 60 days late", "2万5的订单", "budget 150k", "300k RMB deal", "$45,000 contract",
    "phone 139-2345-6789", "mobile 13923456789", "tel 021-62345678", "拖欠了三周", "逾期一个月",
    "margin ratio 12:1", "便宜一点", "多给一点折扣", "有两点顾虑", "送到3号楼", "坐2号线",
    "discount 5-10%", "lead time 2-3 weeks", "3/4 of the shipment", "version 2.5", "SKU 1203-B",
    "sat in the lobby for an hour", "the sun was out", "may want a discount", "at 3 sites",
    "had 2 meetings", "第三点比较重要", "",
])
def test_non_dates(text):
    assert find_times(text, NOW) == []


def test_past_dates_are_not_deadlines_and_vice_versa():
    ms = find_times("上周见过面，下周一前给方案", NOW)
    assert [(m.past, m.deadline) for m in ms] == [(True, False), (False, True)]


def test_year_rollover_in_notes():
    now = dt.datetime(2025, 12, 30, 16, 0, tzinfo=CST)  # a Tuesday
    assert found("下周一再联系", now) == [("下周一", "2026-01-05", None)]
    assert found("call on the 5th", now) == [("on the 5th", "2026-01-05", None)]
    assert found("1月3号前回复", now) == [("1月3号前", "2026-01-03", None)]
    assert found("follow up in 2 weeks", now) == [("in 2 weeks", "2026-01-13", None)]


def test_cantonese_note():
    ms = find_times("琴日同佢傾過，聽日下晝三點再打", NOW)
    assert [(m.text, m.past) for m in ms] == [("琴日", True), ("聽日下晝三點", False)]
    assert ms[1].time == dt.time(15, 0)


def test_long_note_finds_every_mention():  # speed is measured in benchmarks/when_bench.py
    note = "拜访了王总，聊了新品，他说下周三下午3点前给答复，顺便 follow up in 2 weeks " * 300
    ms = find_times(note, NOW)
    assert len(ms) == 600


def test_time_ranges_give_their_start():
    assert found("call 2-3pm tomorrow") == [("2-3pm tomorrow", "2025-03-13", "14:00")]
    assert found("lunch 11-1pm Friday") == [("11-1pm Friday", "2025-03-14", "11:00")]


def test_dotted_times_need_am_pm_or_a_quarter():
    assert found("see you 10.30am") == [("10.30am", "2025-03-12", "10:30")]
    assert found("meet at 4.15") == [("at 4.15", "2025-03-12", "16:15")]
    assert find_times("sold at 2.75 each", NOW) == []


def test_clock_time_told_as_past_stays_today():
    m = one("she phoned at 8:40, all good")
    assert (m.date, m.time, m.past) == (NOW.date(), dt.time(8, 40), True)
    m = one("call her at 8:40")  # an instruction: the next 8:40
    assert not m.past and m.date == dt.date(2025, 3, 12) and m.time == dt.time(20, 40)


def test_week_deadlines():
    m = one("quote by next week")
    assert m.deadline and m.date == dt.date(2025, 3, 17)
    m = one("本周内给答复")
    assert m.deadline and m.date == dt.date(2025, 3, 14)  # Friday of this week


def test_repeated_expressions_stay_separate():
    assert found("明天3点 明天5点") == [("明天3点", "2025-03-13", "15:00"), ("明天5点", "2025-03-13", "17:00")]


def test_dense_long_text_keeps_every_mention():
    text = "明天下午3点 " * 3000
    assert len(find_times(text, NOW)) == 3000
