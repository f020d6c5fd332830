"""The understanding rules of this round, one pattern at a time, on notes and customers of our own.

Reference time: Wednesday 13 January 2027, 10:00 +08:00 (the Spring Festival is on 6 February 2027;
China's calendar takes 5-10 February off, so the first working day after it is the 11th).
"""
import datetime as dt

import pytest

from handlers.understanding.clauses import split
from handlers.understanding.matching import CustomerIndex
from handlers.understanding.names import normalize_text
from handlers.understanding.notes import CustomerRecord, NoteParser
from handlers.understanding.spelling import correct

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2027, 1, 13, 10, 0, tzinfo=TZ)  # a Wednesday

CUSTOMERS = [
    ("韩梅", "梅园茶业", ("梅姐",)), ("邓志强", "志强五金", ("邓总",)), ("孔丽", "丽华印染", ()),
    ("张伟", "伟达机电", ()), ("Priya Shah", "Shah Textiles", ()), ("Dmitri Volkov", "Volkov Freight", ()),
    ("Umbra Lighting", "Umbra Lighting", ("Umbra",)), ("Helios Foods", "Helios Foods", ()),
    ("曹芳", "芳草园艺", ()), ("彭涛", "涛涛餐饮", ()),
]


@pytest.fixture(scope="module")
def parser():
    records = [CustomerRecord(i + 1, n, c, a) for i, (n, c, a) in enumerate(CUSTOMERS)]
    return NoteParser(CustomerIndex(records), strict=True)


def parse(parser, text, now=NOW):
    return parser.parse(text, now).to_json()


def date_of(out):
    return (out["follow_up"] or {}).get("date")


# --- dates: which words give the follow-up ---------------------------------------------------------------

@pytest.mark.parametrize("text,date", [
    # a festival or a situation only explains; the next step is elsewhere
    ("春节期间韩梅回老家，初十以后再联系她", "2027-02-15"),
    ("Priya is away for Chinese New Year, ping her Feb 15", "2027-02-15"),
    ("元旦那天邓总值班，下周二再约", "2027-01-19"),
    # when the interaction happened is no follow-up
    ("早上七点孔丽就打电话过来了，要下周五的报价", "2027-01-22"),
    ("saw Dmitri Volkov this morning, send the rate card Friday", "2027-01-15"),
    # date words inside company names
    ("周一科技的王经理来电，周五前回复", "2027-01-15"),
    ("新客户明天教育询价，下周一回电", "2027-01-18"),
    ("New lead from Monday Motors, call them Thursday", "2027-01-14"),
    # EOD, shorthand weeks
    ("EOD Fri send Priya the specs", "2027-01-15"),
    ("Umbra wants the PO EOD tmrw", "2027-01-14"),
    ("fu w/ Helios next wk", "2027-01-18"),
    ("下班前给曹芳回个电话", "2027-01-13"),
    # festivals before / after, a month alone, this month
    ("春节前把礼盒送到韩梅那里", "2027-02-05"),
    ("过完年再跟邓总谈合同", "2027-02-13"),
    # 2027's days off are not published yet: the golden week, New Year's Eve to 初七 (see festivals._golden_week_end)
    ("年后联系孔丽", "2027-02-13"),
    ("let's revisit pricing with Helios after Chinese New Year", "2027-02-13"),
    ("彭涛说四月份再下单", "2027-04-01"),
    ("Umbra budget opens in March, ping them then", "2027-03-01"),
    ("曹芳说这个月内付款", "2027-01-31"),
    # several follow-ups: the earliest
    ("下周三给张伟寄样品，明天先打电话确认地址", "2027-01-14"),
    ("Priya: demo on Jan 28 at 3pm, send the agenda by Monday", "2027-01-18"),
])
def test_follow_up_date(parser, text, date):
    assert date_of(parse(parser, text)) == date


def test_only_a_situation_date_is_no_follow_up_and_is_flagged(parser):
    out = parse(parser, "孔丽的欠款已经结清，不过丽华印染下个月可能停产")
    assert date_of(out) is None
    assert "date" in out["uncertain"]
    assert out["risk"] == ["distress"]


def test_evening_hour_and_about(parser):
    assert parse(parser, "韩梅来电，后天晚上8点一起吃饭")["follow_up"]["time"] == "20:00"
    out = parse(parser, "明天下午三点左右拜访邓总")
    assert out["follow_up"]["time"] == "15:00"
    assert out["follow_up"]["task"] == "拜访"


# --- channel ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,channel", [
    ("邓总没接电话，明天再打", "call"),
    ("left a voicemail for Priya, try again Thursday", "call"),
    ("Cold call to Umbra, not interested", "call"),
    ("just got off the phone with Dmitri, all good", "call"),
    ("韩梅微信说价格太高了", "message"),
    ("txt from Priya: running late", "message"),
    ("connected with Dmitri Volkov on LinkedIn", "message"),
    ("黃總…不，孔麗來我們公司看樣品", "meeting"),
    ("grabbed coffee with Priya Shah", "meeting"),
    ("lunch w/ Helios team went well", "meeting"),
    ("contract emailed to Umbra today", "email"),
    ("call了张伟，他说quotation下周给", "call"),
    ("去志强五金见了邓总，聊得挺好", "visit"),
    ("meeting with Umbra moved to Thursday", "other"),  # only moved: it has not happened
])
def test_channel(parser, text, channel):
    assert parse(parser, text)["channel"] == channel


# --- outcome ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,outcome", [
    ("梅园茶业的PO已经收到了，$12,000", "won"),
    ("Dmitri 那边 contract 已经 sign 了", "won"),
    ("Umbra confirmd the order for 300 units", "won"),
    ("彭涛那单丢了，他们选了别家", "lost"),
    ("Lost Helios to a cheaper competitor", "lost"),
    ("邓总说春节前一定要把合同签了", None),  # a signing only planned
    ("Priya needs the signed NDA by Monday", None),
])
def test_outcome(parser, text, outcome):
    assert parse(parser, text)["outcome"] == outcome


# --- risks -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,risk", [
    ("拜访韩梅，对上批货没有任何投诉", []),
    ("Priya is not upset anymore about the delay", []),
    ("邓总说不打算换供应商", []),
    ("Umbra: they are NOT moving to the competitor after all", []),
    ("Helios complaint from last month is resolved, but invoice 88 is still 45 days overdue", ["overdue_payment"]),
    ("孔丽说货款还没到，已经拖了两个月", ["overdue_payment"]),
    ("Dmitri is moving part of their business to another supplier", ["churn"]),
    ("曹芳的店下个月要关了三家", ["distress"]),
    ("张伟说资金有点紧张，可能要裁掉一部分人", ["distress"]),
])
def test_risk(parser, text, risk):
    assert sorted(parse(parser, text)["risk"]) == risk


def test_resolved_risk_is_reported_over(parser):
    note = parser.parse("给梅姐回电话了，货款的事搞定了", NOW)
    assert note.risk == []
    assert note.resolved_risks == ["overdue_payment"]
    assert note.closes
    assert note.follow_ups == []  # what was done is no to-do


# --- amounts ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,amount", [
    ("邓总签了，四万五", 45000),
    ("合同签了，一共十五万五千", 155000),
    ("Umbra: $45,000 will arrive next Friday", 45000),
])
def test_amount(parser, text, amount):
    assert parse(parser, text)["amount"] == amount


def test_two_sums_flag_the_amount(parser):
    out = parse(parser, "韩梅报价3万，对方还价2万5")
    assert "amount" in out["uncertain"]


# --- birthdays -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,birthday,lunar", [
    ("邓总说他太太的生日是3月8号", None, None),
    ("Priya's husband's birthday is May 2, she'll be off that day", None, None),
    ("Dmitri Volkov's birthday is on the 5th day of the 3rd lunar month", None, "03-05"),
    ("曹芳的生日是6月1号，她女儿生日是9月9号", "06-01", None),
])
def test_birthday_is_the_customers_own(parser, text, birthday, lunar):
    out = parse(parser, text)
    assert (out["birthday"], out["lunar_birthday"]) == (birthday, lunar)
    assert date_of(out) is None  # a birthday stated is no follow-up by itself


def test_a_relatives_birthday_with_an_action_is_a_follow_up(parser):
    out = parse(parser, "Helios: Dmitri's wife's birthday is Jan 30, send flowers that day")
    assert out["birthday"] is None
    assert date_of(out) == "2027-01-30"


# --- names -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,customer,flagged", [
    ("王總…不，張偉來電", "张伟", False),  # traditional characters
    ("张玮来电要报价", "张伟", True),  # same pinyin, other characters: a guess
    ("芳姐说明天来拿货", "曹芳", False),  # one-character given name + 姐
    ("Umbr Lighting called", "Umbra Lighting", True),  # a typo in the company
    ("Helos Foods wants a quote", "Helios Foods", True),
])
def test_customer(parser, text, customer, flagged):
    out = parse(parser, text)
    assert out["customer"] == customer
    assert ("customer" in out["uncertain"]) == flagged


def test_the_one_visited_wins_over_the_one_mentioned(parser):
    assert parse(parser, "拜访了韩梅，她说孔丽也在考虑我们的产品")["customer"] == "韩梅"
    assert parse(parser, "called Priya, she said Dmitri Volkov recommended us")["customer"] == "Priya Shah"


def test_unknown_company_person_is_new_not_a_surname_match(parser):
    out = parse(parser, "周一科技的邓经理来电，要报价")
    assert out["customer"] is None


# --- several customers, closing, task text ---------------------------------------------------------------

def test_two_customers_two_follow_ups(parser):
    note = parser.parse("上午拜访了邓总和孔丽，邓总要样品，孔丽说下周付款", NOW)
    assert [c.name for c in note.customers] == ["邓志强", "孔丽"]
    by_customer = {(f.customer.name if f.customer else None): f for f in note.follow_ups}
    assert by_customer["孔丽"].date == dt.date(2027, 1, 18)
    assert by_customer["邓志强"].date is None and "样品" in by_customer["邓志强"].task
    assert note.to_json()["customers"] == ["邓志强", "孔丽"]


def test_someone_only_mentioned_is_not_a_second_customer(parser):
    note = parser.parse("拜访韩梅，她把邓总介绍给我们", NOW)
    assert [c.name for c in note.customers] == ["韩梅"]


@pytest.mark.parametrize("text,closes", [
    ("邓总说样品收到了", True),
    ("sent the quote to Priya", True),
    ("孔丽说样品还没到", False),
    ("will send the contract to Umbra on Friday", False),
])
def test_reports_done(parser, text, closes):
    assert parser.parse(text, NOW).closes is closes


@pytest.mark.parametrize("text,task", [
    ("给张伟打电话催款2万8，明天", "打电话催款2万8"),
    ("明天给邓总回电话", "回电话"),
    ("孔丽说货款要拖到下个月", "货款要拖到下个月"),
    ("send the quote to Priya Shah by Friday", "send the quote"),
])
def test_task_text_reads_clean(parser, text, task):
    assert parser.parse(text, NOW).follow_ups[0].task == task


# --- uncertain stays rare --------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "拜访了韩梅，下周三前发报价",
    "called Priya, wants a quote Friday",
    "邓总来电，要求下周五前发货，金额3万",
    "Umbra signed the renewal, $85k",
])
def test_plain_notes_carry_no_flag(parser, text):
    assert parse(parser, text)["uncertain"] == []


# --- the pieces ------------------------------------------------------------------------------------------

def test_clauses_have_roles():
    n = normalize_text("邓总说元旦那天他值班 下周三再约吧")
    roles = [c.role for c in split(n)]
    assert roles[0] == "situation" and roles[-1] == "next"
    n = normalize_text("had coffee with priya this morning she is moving business to a competitor need to call her back")
    assert [c.role for c in split(n)][0] == "report" and split(n)[-1].role == "next"


def test_spelling_fixes_ordinary_words_only():
    assert correct("Cald Priya, she wnats the catalog by Tuesdy") == "Called Priya, she wants the catalog by Tuesday"
    assert correct("went to the mall, cold call") == "went to the mall, cold call"
    protected = {"wnats"}.__contains__  # a customer called Wnats keeps their name
    assert correct("Wnats called", protected=protected) == "Wnats called"


def test_garbled_and_huge_notes_never_break_the_parser(parser):
    """Mangled, mixed-script and repeated notes: the strict parser raises on any bug, so none may."""
    import random

    rng = random.Random(12)
    base = [c for c, *_ in CUSTOMERS] + ["下周三前发报价", "called, wants quote Friday", "欠款3万8", "EOD Mon", "农历八月十五"]
    alphabet = list("abcxyz 0189,.;:!?()'\"-/@#$%&*_=|<>的了是在下周三月号点半万元") + ["\U0001F600", "\u200b", "１", "：", "€"]
    for _ in range(400):
        text = "".join(c if rng.random() > 0.15 else rng.choice(alphabet) for c in " ".join(rng.sample(base, 3)))
        if rng.random() < 0.1:
            text *= rng.randint(10, 60)
        out = parse(parser, text)
        assert isinstance(out["uncertain"], list) and out["channel"] in ("call", "visit", "meeting", "email", "message", "other")


# --- the second round: situations, spoken notes, people, money ------------------------------------------

@pytest.mark.parametrize("text,date", [
    ("Priya is in Mumbai till Friday, try again Monday", "2027-01-18"),
    ("Dmitri flies to Moscow Jan 20, back in 2 weeks. chase him again Feb 8", "2027-02-08"),
    ("韩梅说她们周五放假，下周二再回复我们", "2027-01-19"),
    ("邓总说明天就元宵了，过完元宵再说", "2027-02-22"),
    ("孔丽说周六她儿子结婚，这几天很忙，下周三再找她", "2027-01-20"),
    ("曹芳的货款还欠着，先不催", None),
    ("那个 彭涛 就是 他今天上午来电话了 说 发票 开错了 要重开 就是 明天给他", "2027-01-14"),
    ("今天下午去志强五金拜访邓总", "2027-01-13"),
    ("年前最后一次拜访韩梅，她说年后下订单", "2027-02-13"),
])
def test_situations_are_no_follow_ups(parser, text, date):
    assert date_of(parse(parser, text)) == date


def test_a_todo_list_plans_every_contact(parser):
    out = parse(parser, "待办：1. 今天给邓总打电话 2. 周五把合同寄给孔丽")
    assert out["channel"] == "other"


@pytest.mark.parametrize("text,customer", [
    ("turns out it's Ivan Volkov, new buyer at Birch Freight. call him Tue", None),
    ("邓总和彭涛都在群里，只有彭涛回了我消息", "彭涛"),
])
def test_the_person_meant(parser, text, customer):
    assert parse(parser, text)["customer"] == customer


@pytest.mark.parametrize("text,amount,currency", [
    ("Priya wants NT$120,000 worth of samples", 120000, "TWD"),
    ("Helios renewal confirmed, SEK 480,000", 480000, "SEK"),
    ("Umbra: the full order is two hundred thousand dollars", 200000, "USD"),
])
def test_more_money(parser, text, amount, currency):
    out = parse(parser, text)
    assert (out["amount"], out["currency"]) == (amount, currency)


def test_a_relative_named_before_the_date_and_a_birthday_restated(parser):
    out = parse(parser, "邓总说他女儿6月1号生日，想订一批蛋糕")
    assert out["birthday"] is None
    out = parse(parser, "跟曹芳吃饭，聊到她生日是农历七月初七，七夕哈哈")
    assert out["lunar_birthday"] == "07-07" and date_of(out) is None


def test_absurd_amounts_are_no_money(parser):
    assert parse(parser, "邓总报价" + "9" * 400 + "元")["amount"] is None
    assert parse(parser, "Umbra: $" + "1" * 30)["amount"] is None
    assert parse(parser, "Umbra: $1,200,000")["amount"] == 1200000
