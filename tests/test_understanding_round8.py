"""Understanding rules of the fourth session, on notes and customers of our own:

- H.MM right after a day ("tmrw 10.30", "Fri 4.15", 明天 9.45) is that day's clock; elsewhere 10.30 stays 30 October;
- a dictated clock with a space ("2 30 pm") is a clock when its minutes are a quarter hour and no month comes before it.
"""
import datetime as dt

import pytest

from handlers.understanding.matching import CustomerIndex
from handlers.understanding.notes import CustomerRecord, NoteParser

TZ = dt.timezone(dt.timedelta(hours=8))
THU_3_DEC = dt.datetime(2026, 12, 3, 10, 0, tzinfo=TZ)

CUSTOMERS = [("Tom Baker", "Baker Foods", ()), ("陈志明", "港丰贸易", ("阿明",)), ("李娜", "华兴", ())]


@pytest.fixture(scope="module")
def parser():
    records = [CustomerRecord(i + 1, n, c, a) for i, (n, c, a) in enumerate(CUSTOMERS)]
    return NoteParser(CustomerIndex(records), strict=True)


def follow_up(parser, text, now=THU_3_DEC):
    out = parser.parse(text, now).to_json()
    return out["customer"], (out["follow_up"] or {}).get("date"), (out["follow_up"] or {}).get("time")


@pytest.mark.parametrize("text, date, time", [
    ("mtg w Tom tmrw 10.30 re the gift boxes", "2026-12-04", "10:30"),
    ("Tom Baker call Fri 4.15", "2026-12-04", "16:15"),
    ("李娜明天 9.45 到我们公司", "2026-12-04", "09:45"),
    ("李娜说10.30前付款", "2027-10-30", None),  # no day before it: a date
    ("Tom: Mon 10.5 tonnes to ship", "2026-12-07", None),  # not a clock: one decimal
])
def test_a_dotted_clock_after_a_day(parser, text, date, time):
    assert follow_up(parser, text)[1:] == (date, time)


def test_a_dictated_clock_with_a_space(parser):
    assert follow_up(parser, "call back Tom at 2 30 pm")[1:] == ("2026-12-03", "14:30")
    assert follow_up(parser, "Tom tomorrow 10 45am")[1:] == ("2026-12-04", "10:45")
    assert follow_up(parser, "Tom ordered 12 17 pm")[2] is None
    assert follow_up(parser, "Tom: visit on the 12th 10am")[1:] == ("2026-12-12", "10:00")
    assert follow_up(parser, "Tom: mtg w/ CFO May 12 10am")[1:] == ("2027-05-12", "10:00")
