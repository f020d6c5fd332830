"""Follow-ups: which time mentions are due dates, task text, several follow-ups."""
import datetime as dt

import pytest

from handlers.understanding.matching import CustomerIndex
from handlers.understanding.notes import CustomerRecord, NoteParser

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2027, 3, 1, 9, 30, tzinfo=TZ)  # Monday


@pytest.fixture(scope="module")
def parser():
    recs = [CustomerRecord(0, "罗敏", "罗氏包装"), CustomerRecord(1, "Oscar Reyes", "Reyes Freight")]
    return NoteParser(CustomerIndex(recs))


def fu(parser, text):
    return parser.parse(text, NOW).to_json()["follow_up"]


def test_today_as_interaction_time_is_not_a_follow_up(parser):
    f = fu(parser, "visited Oscar Reyes today, all good")
    assert f is None or f["date"] is None


def test_send_it_today_is_due_today(parser):
    assert fu(parser, "Oscar needs the invoice, send it today")["date"] == "2027-03-01"


def test_deadline_and_task(parser):
    f = fu(parser, "拜访了罗敏，周五前发报价")
    assert f["date"] == "2027-03-05" and "报价" in f["task"]


def test_date_and_time(parser):
    f = fu(parser, "罗敏说明天下午3点再聊")
    assert (f["date"], f["time"]) == ("2027-03-02", "15:00")


def test_several_follow_ups(parser):
    res = parser.parse("call Oscar tomorrow about rates, send the contract by Friday", NOW)
    dates = [f.date.isoformat() for f in res.follow_ups]
    assert dates == ["2027-03-02", "2027-03-05"]
    assert res.to_json()["follow_up"]["date"] == "2027-03-02"


def test_action_without_a_date(parser):
    f = fu(parser, "Oscar Reyes called, prepare a quote")
    assert f is None or f["date"] is None
    if f:
        assert "quote" in f["task"]


def test_past_dates_are_not_follow_ups(parser):
    f = fu(parser, "罗敏昨天来电，说货已收到")
    assert f is None or f["date"] is None
