"""NoteParser: the JSON of the quick-notes spec, rule by rule (own notes, own customers)."""
import datetime as dt

import pytest

from handlers.understanding.amounts import find_amount
from handlers.understanding.matching import CustomerIndex
from handlers.understanding.names import normalize_text
from handlers.understanding.notes import CustomerRecord, NoteParser

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2027, 3, 1, 9, 30, tzinfo=TZ)  # a Monday

CUSTOMERS = [("罗敏", "罗氏包装", ("罗姐",)), ("高远", "远大机械", ()), ("Nina Patel", "Patel Textiles", ()),
             ("Oscar Reyes", "Reyes Freight", ()), ("邱文", "文华印刷", ())]


@pytest.fixture(scope="module")
def parser():
    return NoteParser(CustomerIndex([CustomerRecord(i, n, c, a) for i, (n, c, a) in enumerate(CUSTOMERS)]), strict=True)


def parse(parser, text):
    return parser.parse(text, NOW).to_json()


@pytest.mark.parametrize("text,channel", [
    ("罗敏来电问交期", "call"),
    ("给高远打了个电话", "call"),
    ("去了远大机械的工厂，看了产线", "visit"),
    ("拜访邱文", "visit"),
    ("高远来我们公司参观了展厅", "meeting"),
    ("Nina Patel video call about pricing", "meeting"),
    ("coffee with Oscar Reyes", "meeting"),
    ("Oscar emailed the specs", "email"),
    ("罗姐发邮件说要改包装", "email"),
    ("邱文微信说下周来", "message"),
    ("Nina texted me, she needs samples", "message"),
    ("call Oscar on Thursday about the freight", "other"),  # planned call = follow-up
    ("明天给罗敏打电话", "other"),
    ("Nina Patel: prices are fine", "other"),
    # going to the customer, named by company, is a visit even when the people were met there
    ("去远大机械见了高总，下周回复", "visit"),
    ("到了罗氏包装，跟罗姐谈了价格", "visit"),
    ("went to Reyes Freight, talked to Oscar", "visit"),
    ("寄到罗氏包装了，让罗敏查收", "other"),  # sending something there is no visit
    # nothing has happened yet: the planned contact is the follow-up, not the channel
    ("后天下午两点去远大机械开会", "other"),
    ("下周三和Nina Patel开会", "other"),
    ("meeting with Oscar Reyes on Friday at 3pm", "other"),
    ("邱文微信说款要拖到月底", "message"),  # the time is in what was said
    ("罗敏昨天来电，说月底前付款", "call"),
    ("meeting with Oscar moved to Friday 3pm", "other"),  # only moved: it has not happened
])
def test_channel(parser, text, channel):
    assert parse(parser, text)["channel"] == channel


@pytest.mark.parametrize("text,amount,currency", [
    ("罗敏下单了，5万", 50000, "CNY"),
    ("合同金额3.5万元", 35000, "CNY"),
    ("预算大概五千块", 5000, "CNY"),
    ("deal worth $45,000", 45000, "USD"),
    ("around 120k USD", 120000, "USD"),
    ("quoted €2,500 for the set", 2500, "EUR"),
    ("budget 1.2m", 1200000, None),
    ("¥800 deposit paid", 800, "CNY"),
    ("£300 for shipping", 300, "GBP"),
    ("200k RMB order", 200000, "CNY"),
    ("wants 50 units", None, None),
    ("invoice 1043 is late", None, None),
    ("30 days overdue", None, None),
    ("电话13912345678", None, None),
    ("3万件T恤", None, None),
    ("meet at 3pm on 12/5", None, None),
])
def test_amounts(text, amount, currency):
    assert find_amount(normalize_text(text)) == ((float(amount), currency) if amount else (None, None))


@pytest.mark.parametrize("text,risks", [
    ("Oscar hasn't paid the last two invoices", ["overdue_payment"]),
    ("罗敏那边货款拖欠三个月了", ["overdue_payment"]),
    ("Oscar paid the overdue balance today", []),
    ("邱文说以后不再拖欠了", []),
    ("高远对交货期很不满，要投诉", ["complaint"]),
    ("Nina is furious about the damaged goods", ["complaint"]),
    ("no complaints from Nina this month", []),
    ("高远在考虑换供应商", ["churn"]),
    ("Oscar might cancel the contract", ["churn"]),
    ("邱文的公司资金链断了，正在裁员", ["distress"]),
    ("Reyes Freight filed for bankruptcy", ["distress"]),
    ("罗敏一切正常，下周见", []),
])
def test_risks(parser, text, risks):
    assert sorted(parse(parser, text)["risk"]) == sorted(risks)


@pytest.mark.parametrize("text,outcome", [
    ("高远签了合同", "won"),
    ("Nina confirmed the order", "won"),
    ("Oscar signed the contract", "won"),
    ("邱文下周来签合同", None),
    ("Nina will sign next week", None),
    ("罗敏这单丢了，没拿下", "lost"),
    ("lost the deal with Oscar to a cheaper vendor", "lost"),
])
def test_outcome(parser, text, outcome):
    assert parse(parser, text)["outcome"] == outcome


def test_lost_to_competitor_is_churn(parser):
    out = parse(parser, "Oscar: we lost the deal to a competitor")
    assert out["outcome"] == "lost" and "churn" in out["risk"]


@pytest.mark.parametrize("text,solar,lunar", [
    ("罗敏生日是6月9号", "06-09", None),
    ("Nina's birthday is March 3rd", "03-03", None),
    ("Oscar birthday 7/14", "07-14", None),
    ("邱文生日农历八月十五", None, "08-15"),
    ("高远的生日是正月初八（农历）", None, "01-08"),
])
def test_birthdays(parser, text, solar, lunar):
    out = parse(parser, text)
    assert (out["birthday"], out["lunar_birthday"]) == (solar, lunar)


def test_birthday_with_action_is_a_follow_up(parser):
    out = parse(parser, "罗敏生日是6月9号，记得寄贺卡")
    assert out["follow_up"]["date"] == "2027-06-09"
    assert out["follow_up"]["task"]


def test_birthday_without_action_is_not(parser):
    out = parse(parser, "罗敏生日是6月9号")
    assert out["follow_up"] is None or out["follow_up"]["date"] is None


def test_lunar_birthday_follow_up_is_a_solar_date(parser):
    out = parse(parser, "邱文生日农历八月十五，提醒我送月饼")
    assert out["lunar_birthday"] == "08-15"
    assert out["follow_up"]["date"] == "2027-09-15"  # lunar 2027-08-15


def test_mixed_language_note(parser):
    out = parse(parser, "Nina Patel 来电, wants 报价 for 500 units, 预算2万")
    assert out["customer"] == "Nina Patel" and out["channel"] == "call"
    assert (out["amount"], out["currency"]) == (20000, "CNY")


def test_new_customer_json(parser):
    res = parser.parse("新客户钟先生来电咨询", NOW)
    assert res.is_new and res.customer is None and res.mention == "钟先生"
    out = res.to_json()
    assert out["customer"] is None and out["ambiguous"] is False and out["mention"] == "钟先生"


def test_nothing_to_understand(parser):
    for text in ["", "   ", "👍", "ok", "x" * 20000]:
        out = parse(parser, text)
        assert out["customer"] is None and out["risk"] == [] and out["amount"] is None
        assert out["channel"] == "other" and out["outcome"] is None


def test_never_raises_on_any_str(parser):
    for text in ["\x00", "\ud800", "王总" * 10000, "$$$ ¥¥ 万万", "生日是13月40号", "birthday 99/99", "1.2.3.4m"]:
        parser.parse(text, NOW)


@pytest.mark.parametrize("text", [
    "现在是高远期，物流慢",  # the name inside an ordinary word (X期)
    "高远华说下周来看样品",  # a longer name that merely starts with a customer's name
    "罗敏婷来电问交期",
    "最高远的那个",
])
def test_name_inside_a_longer_word_is_not_the_customer(text):
    index = CustomerIndex([CustomerRecord(1, "高远", "远大机械"), CustomerRecord(2, "罗敏", "罗氏包装")])
    assert index.match(text).customer is None


@pytest.mark.parametrize("text,name", [
    ("高远明天来看样品", "高远"),  # 明天, not a name 高远明
    ("高远明白了我们的报价", "高远"),
    ("罗敏姐说可以", "罗敏"),
    ("罗敏刚打电话", "罗敏"),
    ("高远期待合作", "高远"),
])
def test_name_followed_by_an_ordinary_word_still_matches(text, name):
    index = CustomerIndex([CustomerRecord(1, "高远", "远大机械"), CustomerRecord(2, "罗敏", "罗氏包装")])
    assert index.match(text).customer.name == name


# ---- generalisation: Cantonese, mixed scripts, possessives, company short forms, amounts -----------------------

@pytest.fixture(scope="module")
def wide():
    recs = [("邵嘉明", "嘉明五金", ()), ("卫东", "东升食品", ()), ("Priya Nair", "Nair Exports Pvt Ltd", ()),
            ("Lucas Brandt", "Brandt Holdings Pte Ltd", ()), ("黎志强", "志强贸易", ())]
    return NoteParser(CustomerIndex([CustomerRecord(i, n, c, a) for i, (n, c, a) in enumerate(recs)]))


@pytest.mark.parametrize("text,field,want", [
    ("黎志强琴日嚟咗我哋展厅睇样板", "channel", "meeting"),  # Cantonese: came to our showroom
    ("邵生话佢哋周转唔到", "customer", "邵嘉明"),  # 生 = 先生 after a surname
    ("邵生话佢哋周转唔到", "risk", ["distress"]),
    ("卫生间漏水，物业明天来修", "customer", None),  # 卫生 is no Mr 卫
    ("同邵嘉明食咗个晏，倾咗合作", "customer", "邵嘉明"),
    ("Priya WhatsApp话要目录", "channel", "message"),  # an English word glued to Chinese
    ("Brandt Holdings pays late again, 45 days past due", "customer", "Lucas Brandt"),
    ("Brandt Holdings pays late again, 45 days past due", "risk", ["overdue_payment"]),
    ("Priyas PO for $7,800 got confirmed this morning", "customer", "Priya Nair"),
    ("Priyas PO for $7,800 got confirmed this morning", "outcome", "won"),
    ("Priyas PO for $7,800 got confirmed this morning", "amount", 7800),
    ("the order is not confirmed yet, Lucas will check", "outcome", None),
    ("Lucas says about 15 grand for the pilot", "amount", 15000),
    ("黎志强：不续签了，到期就停", "risk", ["churn"]),
    ("和卫东吃了顿饭，聊了明年的计划", "channel", "meeting"),
])
def test_generalisation(wide, text, field, want):
    assert wide.parse(text, NOW).to_json()[field] == want


@pytest.fixture(scope="module")
def wide2():
    recs = [("冼凯琳", "凯琳珠宝", ()), ("洪一鸣", "一鸣包装", ()), ("Owen Pike", "Pike Outdoor Ltd", ())]
    return NoteParser(CustomerIndex([CustomerRecord(i, n, c, a) for i, (n, c, a) in enumerate(recs)]))


@pytest.mark.parametrize("text,field,want", [
    ("冼总：合同已经签好", "customer", "冼凯琳"),  # a less common surname is still a person
    ("小洪说样品收到了", "customer", "洪一鸣"),
    ("洪总今天打电话来问交期", "follow_up", None),  # today is when the call came in
    ("洪总今天要报价单", "follow_up", {"date": "2027-03-01", "time": None, "task": "要报价单"}),
    ("洪总上门来谈了两个小时", "channel", "meeting"),  # they came to us
    ("Owen says Pike Outdoor will settle the outstanding $3,400 on Friday", "risk", ["overdue_payment"]),
    ("冼凯琳反映这次少了三箱货", "risk", ["complaint"]),
    ("Owen: order was short-shipped, two cartons missing", "risk", ["complaint"]),
])
def test_generalisation_more(wide2, text, field, want):
    assert wide2.parse(text, NOW).to_json()[field] == want


@pytest.fixture(scope="module")
def wide3():
    recs = [("Grace Whitman", "Whitman Paper Co.", ("Gracie",)), ("Ivan Petrov", "Petrov Steel", ()), ("韦志成", "志成电子", ())]
    return NoteParser(CustomerIndex([CustomerRecord(i, n, c, a) for i, (n, c, a) in enumerate(recs)]))


@pytest.mark.parametrize("text,field,want", [
    ("Grace emailed the signed NDA", "customer", "Grace Whitman"),  # a common-word name as the subject
    ("Grace period ends soon", "customer", None),
    ("Ivan Petrov: the March payment is now three weeks late", "risk", ["overdue_payment"]),
    ("Petrov Steel asked for more time to pay", "risk", ["overdue_payment"]),
    ("韦志成来邮件要求推迟付款", "risk", ["overdue_payment"]),
    ("Petrov Steel did not renew this year", "risk", ["churn"]),
    ("Gracie is not upset anymore, the refund was processed", "risk", []),
    ("韦总说后年三月份下单", "outcome", None),  # an order announced for later is not won
    ("Ivan will sign next month", "outcome", None),
    ("Ivan signed, kickoff next month", "outcome", "won"),
])
def test_generalisation_third(wide3, text, field, want):
    assert wide3.parse(text, NOW).to_json()[field] == want


def test_a_time_already_past_today_is_when_it_happened(wide3):
    now = dt.datetime(2027, 3, 1, 17, 0, tzinfo=TZ)
    out = wide3.parse("韦志成下午两点打来电话，后天上午再联系", now).to_json()
    assert out["channel"] == "call" and out["follow_up"]["date"] == "2027-03-03"
