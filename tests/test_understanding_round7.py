"""Understanding rules of this round, on notes and customers of our own:

- a clock before a customer's name is a time, not part of the name (unless the name itself holds it: "6:30 Bakery");
- "in may" is the month; "by 23rd", "on 5th" are days;
- days named after a weekday (Black Friday, Cyber Monday, Good Friday) are those days, never "the coming Friday";
- 初X from December on, beside a trip home (初三返香港), are days of the coming new year;
- what others expect to happen (an order expected, goods arriving) is no follow-up when the note names our own dated step.
"""
import datetime as dt

import pytest

from handlers.understanding.matching import CustomerIndex
from handlers.understanding.notes import CustomerRecord, NoteParser

TZ = dt.timezone(dt.timedelta(hours=8))
THU_3_DEC = dt.datetime(2026, 12, 3, 10, 0, tzinfo=TZ)

CUSTOMERS = [("Tom Baker", "Baker Foods", ()), ("Anna Lee", "6:30 Bakery", ()), ("陈志明", "港丰贸易", ("阿明",)), ("李娜", "华兴", ())]


@pytest.fixture(scope="module")
def parser():
    records = [CustomerRecord(i + 1, n, c, a) for i, (n, c, a) in enumerate(CUSTOMERS)]
    return NoteParser(CustomerIndex(records), strict=True)


def follow_up(parser, text, now=THU_3_DEC):
    out = parser.parse(text, now).to_json()
    return out["customer"], (out["follow_up"] or {}).get("date"), (out["follow_up"] or {}).get("time")


def test_a_clock_before_a_name_is_a_time(parser):
    assert follow_up(parser, "tmrw 10:00 Tom Baker visit our factory") == ("Tom Baker", "2026-12-04", "10:00")
    assert follow_up(parser, "called 6:30 Bakery, wants more flour") == ("Anna Lee", None, None)


@pytest.mark.parametrize("text, date", [
    ("Tom wants a quote in may", "2027-05-01"),
    ("Tom needs the samples by 23rd", "2026-12-23"),
    ("Tom: send the catalogue on 5th", "2026-12-05"),
])
def test_months_and_days_written_short(parser, text, date):
    assert follow_up(parser, text)[1] == date


def test_a_day_named_after_a_weekday_is_that_day(parser):
    assert follow_up(parser, "Black Friday rush at Baker Foods, call Tom Tues")[1] == "2026-12-08"
    assert follow_up(parser, "Tom: promo deck before Good Friday")[1] == "2027-03-25"


def test_new_year_days_planned_in_december(parser):
    assert follow_up(parser, "陈志明初三返香港，初六搵佢")[1:] == ("2027-02-11", None)
    assert follow_up(parser, "当初三个人一起来的，李娜明天再约")[1] == "2026-12-04"


def test_what_others_expect_gives_way_to_our_step(parser):
    assert follow_up(parser, "Tom: next order expected after the 4th of July, check in July 6")[1] == "2027-07-06"
    assert follow_up(parser, "李娜的货预计12月10号到港，12月12号再跟进")[1] == "2026-12-12"
    assert follow_up(parser, "Tom: shipment arriving Dec 20")[1] == "2026-12-20"  # nothing of ours: still the date to watch


CN = [("王建国", "建国五金", ("王总",)), ("孙国庆", "国庆家具", ()), ("冯佳", "佳佳母婴", ())]


@pytest.fixture(scope="module")
def cn_parser():
    records = [CustomerRecord(i + 1, n, c, a) for i, (n, c, a) in enumerate(CN)]
    return NoteParser(CustomerIndex(records), strict=True)


@pytest.mark.parametrize("text, now, date, time", [
    ("Mar 3 2pm - Tom Baker, wants 2 pallets. send quote by Friday", dt.datetime(2027, 3, 3, 16, 0, tzinfo=TZ), "2027-03-05", None),
    ("Wed 2 Dec, 6pm — Tom Baker rang: pallets late. call the haulier monday", dt.datetime(2026, 12, 2, 19, 0, tzinfo=TZ), "2026-12-07", None),
    ("2 Dec 09:30 - demo w Tom Baker went well; proposal Monday 9am", dt.datetime(2026, 12, 3, 8, 0, tzinfo=TZ), "2026-12-07", "09:00"),
    ("03.12. 10:00 Tom Baker - complaint about labels. mtg Tue 15:00", dt.datetime(2026, 12, 3, 18, 0, tzinfo=TZ), "2026-12-08", "15:00"),
])
def test_a_dateline_says_when_it_happened(parser, text, now, date, time):
    assert follow_up(parser, text, now)[1:] == (date, time)


def test_a_dateline_still_ahead_is_the_follow_up(parser):
    assert follow_up(parser, "Dec 4 10:00 - Tom Baker, site visit", THU_3_DEC)[1:] == ("2026-12-04", "10:00")


def test_a_morning_hour_said_in_the_evening_is_the_next_morning(parser):
    assert follow_up(parser, "Tom Baker: call at 10:00", dt.datetime(2026, 12, 3, 19, 30, tzinfo=TZ))[1:] == ("2026-12-04", "10:00")


@pytest.mark.parametrize("text, date", [
    ("FW: Tom Baker writes that Baker Foods will pay the invoice on Friday. follow up Monday if nothing comes in", "2026-12-07"),
    ("Tom Baker: samples arriving Monday, reply by Wed", "2026-12-09"),
    ("visited Tom Baker on tues, went well. send pricing thurs", "2026-12-10"),
])
def test_what_the_customer_will_do_is_not_our_follow_up(parser, text, date):
    assert follow_up(parser, text)[1] == date


def test_nothing_else_to_do_leaves_the_customers_promise_alone(parser):
    assert follow_up(parser, "Tom Baker got the pallets, he'll pay within 30 days. nothing else to do")[1] is None


@pytest.mark.parametrize("text, now, date", [
    ("王总说年前不订了，年后再说。正月十六再打给他", dt.datetime(2027, 1, 20, 10, 0, tzinfo=TZ), "2027-02-21"),
    ("孙国庆国庆节不在厂里，节后再联系", dt.datetime(2026, 9, 25, 18, 0, tzinfo=TZ), "2026-10-08"),  # not after 中秋
    ("双十一前把佳佳母婴的货全部发完", dt.datetime(2026, 11, 2, 10, 0, tzinfo=TZ), "2026-11-10"),
    ("王总说下个月的订单先不动，周五再聊", dt.datetime(2026, 12, 3, 10, 0, tzinfo=TZ), "2026-12-04"),
])
def test_chinese_festivals_and_lunar_days(cn_parser, text, now, date):
    assert follow_up(cn_parser, text, now)[1] == date


def test_an_order_of_next_month_is_no_date_to_act_on(cn_parser):
    assert follow_up(cn_parser, "王建国打电话说要取消下个月的订单")[1] is None


def test_the_customers_payment_gives_way_to_our_call(cn_parser):
    now = dt.datetime(2026, 12, 3, 10, 0, tzinfo=TZ)
    assert follow_up(cn_parser, "王总说12月20号前付清，12月15号再打电话确认", now)[1] == "2026-12-15"
    assert follow_up(cn_parser, "王总说12月20号前付清", now)[1] == "2026-12-20"  # alone it is what to watch


@pytest.fixture(scope="module")
def names_parser():
    people = [("June Park", "Parkway Foods", ()), ("Hannah Weiss", "Weiss Medical", ()), ("Frank Miller", "Miller Steel", ())]
    return NoteParser(CustomerIndex([CustomerRecord(i + 1, n, c, a) for i, (n, c, a) in enumerate(people)]), strict=True)


@pytest.mark.parametrize("text, customer", [
    ("june park wholesale - order 200 cases", "June Park"),  # a whole two-word name, lower case
    ("called june park, wants samples", "June Park"),
    ("Hannh Wiess calld, sizes run small", "Hannah Weiss"),  # a slip in each word
    ("in june the park reopens", None),  # the words apart are no name
    ("frank mills called about steel", None),  # one word off is someone else
])
def test_names_written_loosely(names_parser, text, customer):
    assert names_parser.parse(text, THU_3_DEC).to_json()["customer"] == customer


@pytest.fixture(scope="module")
def bday_parser():
    people = [("宋春燕", "春燕商贸", ()), ("邓文华", "文华电器", ()), ("李秀梅", "秀梅服饰", ("李姐",)), ("Rajesh Kumar", "Kumar Rice", ())]
    return NoteParser(CustomerIndex([CustomerRecord(i + 1, n, c, a) for i, (n, c, a) in enumerate(people)]), strict=True)


def test_a_birthday_said_relative_to_the_day_of_the_note(bday_parser):
    now = dt.datetime(2026, 12, 20, 10, 0, tzinfo=TZ)
    out = bday_parser.parse("Rajesh Kumar birthday today!! sent wishes on whatsapp", now).to_json()
    assert out["birthday"] == "12-20" and out["follow_up"] is None
    out = bday_parser.parse("李姐下个月十号生日，记得送套茶具", now).to_json()
    assert out["birthday"] == "01-10" and out["follow_up"]["date"] == "2027-01-10"


def test_what_to_do_for_a_birthday_on_a_day_of_its_own(bday_parser):
    now = dt.datetime(2026, 12, 20, 22, 0, tzinfo=TZ)
    out = bday_parser.parse("宋春燕阳历生日1月3号，元旦后一起吃个饭庆祝", now).to_json()
    assert out["birthday"] == "01-03" and out["follow_up"]["date"] == "2027-01-04"


def test_a_gift_the_customer_worries_about_is_not_ours_to_send(bday_parser):
    out = bday_parser.parse("邓文华老婆生日12月28号，他在愁送什么礼物", dt.datetime(2026, 12, 20, 10, 0, tzinfo=TZ)).to_json()
    assert out["birthday"] is None and (out["follow_up"] or {}).get("date") is None


def test_today_in_a_clause_that_says_what_to_do(parser):
    now = dt.datetime(2026, 12, 4, 9, 0, tzinfo=TZ)
    assert follow_up(parser, "Tom Baker - PO received for 80k labels, £6,400. invoice today", now)[1] == "2026-12-04"
    assert follow_up(parser, "visited Tom Baker today, all good", now)[1] is None


def test_goods_that_must_arrive_before_a_festival(cn_parser):
    now = dt.datetime(2027, 1, 28, 10, 0, tzinfo=TZ)  # 元宵 2027: 20 February
    assert follow_up(cn_parser, "冯佳 微信：元宵节活动要奶粉500罐，元宵前到货", now)[1] == "2027-02-19"


def test_a_time_phrase_standing_alone_reads_with_its_sentence(parser):
    text = "FW: Tom Baker writes that Baker Foods will pay the invoices (€14,300 total) on Friday. follow up Monday if nothing comes in"
    assert follow_up(parser, text)[1] == "2026-12-07"


def test_someone_elses_clock_is_no_time_of_ours(parser):
    out = parser.parse("Tom Baker video call 8am his time, signed off on the drawings", dt.datetime(2026, 12, 3, 18, 0, tzinfo=TZ)).to_json()
    assert out["follow_up"] is None


@pytest.fixture(scope="module")
def pair_parser():
    people = [("Jason Wu", "Wu Electronics", ()), ("Jessica Wu", "Lotus Insurance", ()), ("Peter Novak", "Novak Automation", ()),
              ("Frank Miller", "Miller Steel", ())]
    return NoteParser(CustomerIndex([CustomerRecord(i + 1, n, c, a) for i, (n, c, a) in enumerate(people)]), strict=True)


@pytest.mark.parametrize("text, customers", [
    ("jason wu and jessica wu both on the call, call jessica tomorrow re financing", ["Jason Wu", "Jessica Wu"]),
    ("Peter Novak (Novak Automation) & Frank Miller - joint site visit at Miller's plant", ["Peter Novak", "Frank Miller"]),
    ("called Jessica Wu, she says Peter Novak recommended us", ["Jessica Wu"]),  # merely mentioned
])
def test_several_customers_named_in_full(pair_parser, text, customers):
    out = pair_parser.parse(text, THU_3_DEC).to_json()
    assert out["customers"] == customers and out["customer"] == customers[0]


def test_after_the_new_year_gives_way_to_the_day_named(cn_parser):
    now = dt.datetime(2027, 1, 28, 10, 0, tzinfo=TZ)
    assert follow_up(cn_parser, "王建国：客户过完年看房，正月十二带看", now)[1] == "2027-02-17"


@pytest.mark.parametrize("text, now, date", [
    ("一早接到王建国电话，投诉色差，下午去他厂里看看", dt.datetime(2027, 5, 27, 8, 0, tzinfo=TZ), "2027-05-27"),
    ("王建国说下午再打给他", dt.datetime(2027, 5, 27, 9, 0, tzinfo=TZ), "2027-05-27"),
    ("下午去了王建国厂里", dt.datetime(2027, 5, 27, 19, 0, tzinfo=TZ), None),  # done, and the afternoon is over
    ("周五下午去王建国厂里", dt.datetime(2027, 5, 27, 9, 0, tzinfo=TZ), "2027-05-28"),  # a day of its own
])
def test_a_part_of_the_day_alone_is_later_today(cn_parser, text, now, date):
    assert follow_up(cn_parser, text, now)[1] == date
