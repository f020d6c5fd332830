"""Understanding rules of this round, on notes and customers of our own:

- several customers in one note: joined by a conjunction (also "and Mr. X"), reached by an interaction of
  their own ("又打曹芳"), or opening a clause of their own that says what they want; merely mentioned ones stay out;
- a new person introduced beside a known one ("Anna Berg, a new lead Priya referred") is a new customer;
- 节后 / "after the holiday" / 小长假回来 / "the Monday after golden week": the days off coming up (or under way);
- a relative's birthday is a follow-up only when we are asked to do something for it, not when the customer
  wants to buy; "send a card two days before" moves the day.

China's 2026 calendar: Qingming off 4-6 April, Mid-Autumn 25 September, National Day 1-7 October.
"""
import datetime as dt

import pytest

from handlers.understanding.matching import CustomerIndex
from handlers.understanding.notes import CustomerRecord, NoteParser

TZ = dt.timezone(dt.timedelta(hours=8))
TUE_BEFORE_NATIONAL_DAY = dt.datetime(2026, 9, 29, 10, 0, tzinfo=TZ)
THU_BEFORE_QINGMING = dt.datetime(2026, 4, 2, 10, 0, tzinfo=TZ)
A_MONDAY_IN_MAY = dt.datetime(2026, 5, 11, 10, 0, tzinfo=TZ)

CUSTOMERS = [
    ("韩梅", "梅园茶业", ("梅姐",)), ("邓志强", "志强五金", ("邓总",)), ("曹芳", "芳草园艺", ()), ("彭涛", "涛涛餐饮", ()),
    ("Priya Shah", "Shah Textiles", ()), ("Dmitri Volkov", "Volkov Freight", ()),
]


@pytest.fixture(scope="module")
def parser():
    records = [CustomerRecord(i + 1, n, c, a) for i, (n, c, a) in enumerate(CUSTOMERS)]
    return NoteParser(CustomerIndex(records), strict=True)


def parse(parser, text, now=A_MONDAY_IN_MAY):
    return parser.parse(text, now).to_json()


def date_of(out):
    return (out["follow_up"] or {}).get("date")


@pytest.mark.parametrize("text,customers", [
    ("上午打给彭涛没人接，又打曹芳，也没接，下午再打", ["彭涛", "曹芳"]),
    ("跑了梅园茶业和志强五金；邓志强说下个月再订", ["韩梅", "邓志强"]),
    ("Dinner invite sent to Priya Shah and Mr. Volkov for Friday", ["Priya Shah", "Dmitri Volkov"]),
    ("Called Priya Shah, then called Dmitri Volkov about the same shipment", ["Priya Shah", "Dmitri Volkov"]),
    # merely mentioned: reported by the one we spoke to, or only present
    ("给曹芳打电话，她说彭涛也在比价", ["曹芳"]),
    ("Called Priya Shah; Dmitri Volkov was cc'd on the thread", ["Priya Shah"]),
    ("拜访韩梅，她把邓志强介绍给我们认识", ["韩梅"]),
])
def test_every_customer_the_note_is_about(parser, text, customers):
    assert parse(parser, text)["customers"] == customers


def test_a_new_person_introduced_beside_a_known_one_is_a_new_customer(parser):
    out = parse(parser, "Anna Berg, a new lead Priya referred, emailed asking for samples")
    assert out["customer"] is None and out["customers"] == []
    assert out["mention"] == "Anna Berg"
    out = parse(parser, "turns out the caller was Lars Volkov, Dmitri's cousin, new buyer at a bakery chain")
    assert out["customer"] is None and out["mention"] == "Lars Volkov"


@pytest.mark.parametrize("text,now,date", [
    ("节后约韩梅看样", TUE_BEFORE_NATIONAL_DAY, "2026-10-08"),
    ("Dmitri: pick it up after the holiday", TUE_BEFORE_NATIONAL_DAY, "2026-10-08"),
    ("call Dmitri the Monday after golden week", TUE_BEFORE_NATIONAL_DAY, "2026-10-12"),
    ("后天开始放假，小长假回来第一天找邓总对账", THU_BEFORE_QINGMING, "2026-04-07"),
    ("放假回来再跟曹芳谈价格", THU_BEFORE_QINGMING, "2026-04-07"),
])
def test_after_the_days_off(parser, text, now, date):
    assert date_of(parse(parser, text, now)) == date


@pytest.mark.parametrize("text", [
    "曹芳女儿生日6月1号，她想在我们这订蛋糕",
    "Dmitri's son's birthday is 5/20, he wants to order a gift box from us",
])
def test_a_relatives_birthday_the_customer_shops_for_is_no_follow_up(parser, text):
    out = parse(parser, text)
    assert date_of(out) is None
    assert out["birthday"] is None and out["lunar_birthday"] is None


def test_a_relatives_birthday_we_are_asked_to_mark_is_a_follow_up(parser):
    assert date_of(parse(parser, "彭涛老婆生日6月1号，记得送花")) == "2026-06-01"


@pytest.mark.parametrize("text,date", [
    ("Priya Shah's birthday is August 14, send a card two days before", "2026-08-12"),
    ("韩梅生日8月14号，提前一天寄礼物", "2026-08-13"),
    ("韩梅生日8月14号，记得寄礼物", "2026-08-14"),
])
def test_a_birthday_action_a_few_days_early(parser, text, date):
    out = parse(parser, text)
    assert out["birthday"] == "08-14"
    assert date_of(out) == date


@pytest.mark.parametrize("text,amount,currency", [
    ("跟曹芳谈了明年框架，预计20-40万", 200000, "CNY"),
    ("Dmitri: budget ~$15-18k for the pilot", 15000, "USD"),
    ("Priya says the 2028 budget is set, $2.5M for fabrics", 2500000, "USD"),
    ("Volkov Freight owes us ~€90k? no, USD 60k", 60000, "USD"),
    ("Dmitri signed, €27.500 in total", 27500, "EUR"),
    ("Priya renewal worth AED 250k", 250000, "AED"),
    ("彭涛那边发票 6,300元 开错了", 6300, "CNY"),
])
def test_money_in_ranges_years_corrections_and_more_currencies(parser, text, amount, currency):
    out = parse(parser, text)
    assert (out["amount"], out["currency"]) == (amount, currency)


@pytest.mark.parametrize("text,outcome", [
    ("彭涛 年会包场 订金3万 已收", "won"),
    ("彭涛的定金还没收到", None),
    ("Priya: countersigned copy received", "won"),
    ("Dmitri's reorder of $30k confirmed", "won"),
    ("Volkov Freight went w/ a cheaper carrier vendor", "lost"),
    ("lost the Volkov tender to a local firm", "lost"),
    ("Dmitri: we're moving our business to a Polish forwarder", "lost"),
])
def test_outcomes_as_people_write_them(parser, text, outcome):
    assert parse(parser, text)["outcome"] == outcome


def test_a_company_word_tells_apart_two_customers_of_one_surname():
    records = [CustomerRecord(1, "林峰", "峰华机械", ()), CustomerRecord(2, "林芬", "芬芳花艺", ())]
    p = NoteParser(CustomerIndex(records), strict=True)
    assert p.parse("峰华 林总 下周来厂里", A_MONDAY_IN_MAY).to_json()["customer"] == "林峰"
    assert p.parse("林总说下周来", A_MONDAY_IN_MAY).to_json()["ambiguous"] is True
