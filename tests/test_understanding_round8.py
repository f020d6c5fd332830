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


def fields(parser, text, now=THU_3_DEC):
    return parser.parse(text, now).to_json()


@pytest.mark.parametrize("text, amount, currency", [
    ("Tom: PO for 2,000m fabric expected soon", None, None),  # metres
    ("Tom Baker, 1.2 mil INR deal", 1200000, "INR"),
    ("Tom: deal is $2m", 2000000, "USD"),
    ("李娜预算two million 让我们出方案", 2000000, None),
    ("Tom said it a million times", None, None),
    ("李娜想要两百块板子的报价", None, None),  # 块 counts boards
    ("李娜说两百块钱一个", 200, "CNY"),
])
def test_money_words_and_counters(parser, text, amount, currency):
    out = fields(parser, text)
    assert (out["amount"], out["currency"]) == (amount, currency)


@pytest.mark.parametrize("text, channel", [
    ("tom baker call, shipping lanes closed over the holidays", "call"),
    ("Tom Baker call — 12 containers leave next Fri", "call"),
    ("Tom Baker visit ✅ she wants the gift boxes", "visit"),
    ("Tom B. visit done. complaint resolved", "visit"),
    ("last call of the year w/ Tom Baker, renewed", "call"),
    ("Spoke to Tom Baker on the phone, wants stock reserved", "call"),
    ("need to talk to Tom on the phone tomorrow", "other"),
    ("Tom Baker video call, bulk order", "meeting"),
    ("李娜电话 想要报价 下周给", "call"),
    ("李娜 电话 下学期要订200套", "call"),
    ("开工第一个电话就是李娜 要续约", "call"),
    ("啱啱同李娜倾完电话 佢话要订货", "call"),
    ("陈志明LINE訊息 說下禮拜二要來開會", "message"),
    ("李娜留了电话 下周再联系", "other"),
    ("明早九点给李娜回电话", "other"),
])
def test_how_it_happened_said_as_a_heading(parser, text, channel):
    assert fields(parser, text)["channel"] == channel


@pytest.mark.parametrize("text, risks", [
    ("Lunch w/ Tom Baker. Baker Foods is cutting 30% of their staff", ["distress"]),
    ("met Tom, 40 days late on two invoices and money is super tight", ["distress", "overdue_payment"]),
    ("Tom: payment now 60 days overdue, our finance wants it escalated", ["overdue_payment"]),
    ("Tom escalated the damaged pallets to his boss", ["complaint"]),
    ("Tom: solar tender, we lost to Tata", ["churn"]),
    ("Tom: zero risk of churn, he laughed at the competitor's offer", []),
    ("Tom emailed: payment released today, overdue cleared", []),
    ("Baker Foods is consolidating suppliers and we're on the list to be dropped", ["churn"]),
    ("Tom visit done. complaint about the damaged pallets resolved", []),
    ("李娜说华兴已经转去别的厂拿货了", ["churn"]),
    ("李娜那边的合同黄了，被别人抢了", ["churn"]),
    ("陈志明今日打嚟 话批货仲未到 好嬲", ["complaint"]),
    ("陈志明上个礼拜嘅数仲未找", ["overdue_payment"]),
    ("李娜说货款要晚两个月", ["overdue_payment"]),
])
def test_risks_said_in_other_words(parser, text, risks):
    assert sorted(fields(parser, text)["risk"]) == risks


def test_a_deal_lost_to_a_rival_is_lost():
    out = NoteParser(CustomerIndex([CustomerRecord(1, "Tom Baker", "Baker Foods", ())]), strict=True).parse(
        "Tom: solar tender — we lost to Tata", THU_3_DEC).to_json()
    assert out["outcome"] == "lost"


@pytest.mark.parametrize("text, date, task", [
    ("Tom furious about customs. call him Thursday, no wait, Friday morning", "2026-12-04", "call him"),
    ("Tom wants us to redo it uh by the end of next week I think no actually she said the 30th", "2026-12-30", "wants us to redo it"),
    ("李娜下周五来，不对，是下周四", "2026-12-10", None),
    ("Tom: quote Friday, and the samples Monday", "2026-12-04", "quote"),  # two steps, no correction: the earliest
])
def test_a_day_the_speaker_corrects(parser, text, date, task):
    out = fields(parser, text)
    assert out["follow_up"]["date"] == date
    if task:
        assert out["follow_up"]["task"] == task


@pytest.mark.parametrize("text, date", [
    ("Tom - new year order, €22.5k, confirmed by email", None),
    ("Tom: christmas orders are up, call Monday", "2026-12-07"),
    ("李娜订了春节团的大巴20辆 合同已经签了", None),
    ("李娜签了国庆档期的广告合同", None),
    ("Tom invited us to his New Year's Day party", "2027-01-01"),  # an event on the day, not goods
    ("Tom: call him after new year", "2027-01-04"),
])
def test_a_festival_naming_the_goods_is_no_date(parser, text, date):
    assert fields(parser, text)["follow_up"] is None if date is None else fields(parser, text)["follow_up"]["date"] == date


@pytest.mark.parametrize("text, outcome", [
    ("李娜 confirmed 订单 via email, 30万", "won"),
    ("Tom emailed the signed contract, $1.05M, kickoff Monday", "won"),
    ("Tom - new year order, €22.5k, confirmed by email", "won"),
    ("Tom: order, 22k, confirmed by Friday?", None),
    ("Tom said the annual contract, $350k, gets signed next Thursday", None),
    ("李娜刚发微信 确认加单五十万 合同下周一发过来", "won"),
])
def test_outcomes_said_in_other_words(parser, text, outcome):
    assert fields(parser, text)["outcome"] == outcome


def test_a_name_starting_like_a_modal_word_does_not_make_a_result_a_plan():
    # "tom" starts with "to", "notes" with "not": neither says the signing is still to come
    records = [CustomerRecord(1, "Tom Baker", "Baker Foods", ()), CustomerRecord(2, "Willa Park", "Park Ltd", ())]
    p = NoteParser(CustomerIndex(records), strict=True)
    assert p.parse("Tom signed the contract", THU_3_DEC).to_json()["outcome"] == "won"
    assert p.parse("Willa signed the contract", THU_3_DEC).to_json()["outcome"] == "won"
    assert p.parse("Tom wants to sign the contract", THU_3_DEC).to_json()["outcome"] is None


def test_after_a_western_holiday_is_the_first_working_day_after_it(parser):
    assert fields(parser, "Tom: call him after new year")["follow_up"]["date"] == "2027-01-04"
    assert fields(parser, "Tom: samples after christmas")["follow_up"]["date"] == "2026-12-28"


FRI_30_JAN_8PM = dt.datetime(2026, 1, 30, 20, 0, tzinfo=TZ)
THU_30_APR_530PM = dt.datetime(2026, 4, 30, 17, 30, tzinfo=TZ)


def test_spaces_typed_as_commas_split_what_happened_from_what_to_do(parser):
    out = fields(parser, "李娜今晚请吃饭 聊得很开心 她生日是农历正月十八 记一下", FRI_30_JAN_8PM)
    assert (out["channel"], out["follow_up"], out["lunar_birthday"]) == ("meeting", None, "01-18")
    out = fields(parser, "陈志明 李娜 别搞混了：今天拜访的是李娜 华兴那个 她要下周一的报价", THU_3_DEC)
    assert (out["channel"], out["follow_up"]["date"]) == ("visit", "2026-12-07")
    assert fields(parser, "下周请李娜吃饭")["follow_up"]["date"] == "2026-12-07"  # a dinner still to give


def test_a_part_of_today_that_is_over_is_when_it_happened(parser):
    out = fields(parser, "今天下午跟李娜開會 她說端午節前要交貨", THU_30_APR_530PM)
    assert out["follow_up"]["date"] == "2026-06-18"
    assert fields(parser, "今天下午跟李娜開會", THU_30_APR_530PM.replace(hour=10))["follow_up"]["date"] == "2026-04-30"


def test_what_they_sent_over_has_happened(parser):
    assert fields(parser, "李娜今天发邮件过来")["follow_up"] is None
    assert fields(parser, "李娜明天发报价过来")["follow_up"]["date"] == "2026-12-04"


@pytest.mark.parametrize("text, date", [
    ("李娜说了一大堆 什么原材料涨价 什么年底预算", None),
    ("李娜 年底前要报价", "2026-12-31"),
    ("李娜 下周 三 来", "2026-12-09"),
    ("李娜 下周 一起吃饭", "2026-12-07"),  # 一起 is "together", not Monday: next week
])
def test_time_words_in_attributes_and_spoken_notes(parser, text, date):
    out = fields(parser, text)
    assert (out["follow_up"] or {}).get("date") == date


@pytest.mark.parametrize("text, birthday, lunar", [
    ("李娜說她生日是10/25", "10-25", None),
    ("Tom Baker's bday 1990-05-03", "05-03", None),
    ("李娜的生日是6月20号，她老公生日是农历五月初五", "06-20", None),  # 农历 belongs to the husband's
    ("李娜生日是农历八月十五", None, "08-15"),
])
def test_birthdays_written_with_slashes_and_in_two_calendars(parser, text, birthday, lunar):
    out = fields(parser, text)
    assert (out["birthday"], out["lunar_birthday"]) == (birthday, lunar)


def test_relatives_by_marriage_and_wider_family_have_their_own_birthdays(parser):
    out = fields(parser, "Tom's mother-in-law turns 60 on 6/10 so he's off that week. send the invoice by 6/5")
    assert (out["birthday"], out["follow_up"]["date"]) == (None, "2027-06-05")
    assert fields(parser, "李娜的舅舅生日是3月8号")["birthday"] is None


def test_military_time_and_a_call_that_was_moved(parser):
    out = fields(parser, "TOM BAKER MTG WED 1430HRS HIS OFFICE")
    assert out["follow_up"]["date"] == "2026-12-09" and out["follow_up"]["time"] == "14:30"
    out = fields(parser, "note: the 3pm call with Tom got moved to Friday 4.30pm")
    assert (out["channel"], out["follow_up"]["time"]) == ("other", "16:30")


def test_a_dateline_ended_by_note_or_记录(parser):
    out = fields(parser, "1月30号晚上8点记录：李娜说工地停工了，资金链断了", FRI_30_JAN_8PM)
    assert (out["follow_up"], out["risk"]) == (None, ["distress"])


def test_a_name_and_电话_heading_after_a_first_phrase(parser):
    assert fields(parser, "国庆回来第一天上班 李娜电话 要补货 明天送")["channel"] == "call"
    assert fields(parser, "要了李娜的电话 明天打")["channel"] == "other"


def test_the_customers_move_or_new_shop_is_their_situation(parser):
    out = fields(parser, "陈志明话佢哋公司下个月搬厂 暂时唔落单住")
    assert (out["follow_up"], out["uncertain"]) == (None, ["date"])  # the month is theirs, asked about, not a task
    assert fields(parser, "陈志明下个月搬厂，搬完再约他")["follow_up"]["date"] == "2027-01-01"  # then we act
    assert fields(parser, "国庆那天去华兴帮忙看新店开业")["follow_up"]["date"] == "2027-10-01"  # an opening we attend


@pytest.mark.parametrize("text, amount, unsure", [
    ("Tom: 200 pcs @ ¥35 = ¥7,000", 7000, False),
    ("Tom order confirmed 5,000 boxes x ₹85 = ₹4,25,000", 425000, False),
    ("Tom wants 3 trucks, £4,200 per truck = £12,600/month", 12600, False),
    ("Tom: order 4,800 pcs, total $21,600", 21600, False),
    ("李娜: 单价35元，合计7000元", 7000, False),
    ("Tom paid $500 of $2,000", 500, True),  # no total worked out: two sums, asked about
])
def test_the_total_is_the_amount_when_the_note_works_one_out(parser, text, amount, unsure):
    out = fields(parser, text)
    assert (out["amount"], "amount" in out["uncertain"]) == (amount, unsure)


@pytest.mark.parametrize("text, risks, outcome", [
    ("Tom says the price increase is a no-go, they're getting quotes from a Turkish mill", ["churn"], None),
    ("lost Baker Foods, Tom went with the Brazilian guys, cheaper by 8%", ["churn"], "lost"),
    ("Tom: 2 stores closing, they've let 15 baristas go", ["distress"], None),
    ("Tom on the phone: 'cancel all bookings from Nov, we're going with DHL'", ["churn"], None),
    ("Tom wants 20% off or they walk", ["churn"], None),
    ("Tom's payment finally came in, overdue issue resolved", [], None),
    ("Tom is 60 days overdue. He promised to pay on Monday. If not, escalate to legal next Friday", ["overdue_payment"], None),
])
def test_more_ways_of_saying_a_risk(parser, text, risks, outcome):
    out = fields(parser, text)
    assert (sorted(out["risk"]), out["outcome"]) == (risks, outcome)


@pytest.mark.parametrize("text, field, value", [
    ("李娜说货卖爆了，追加3000件，单价12块，一共36000", "amount", 36000),
    ("李娜：5000盒汤圆，每盒18元，共9万，明天打定金", "amount", 90000),
    ("电话：李娜说展位费6800已经付了，不用再催", "amount", 6800),
    ("华兴李娜那边单子飞了，被顺丰抢了", "outcome", "lost"),
    ("李娜今日來電，華興決定改用大陸供應商，我們這單輸了", "outcome", "lost"),
    ("陈志明WhatsApp話佢已經轉咗去深圳嗰間供應商，唔再同我哋合作喇", "risk", ["churn"]),
    ("陈志明話佢哋關咗兩間分店，仲拖緊我哋兩期貨款", "risk", ["distress", "overdue_payment"]),
    ("经理备注：你跟的李娜那个单子拖了两个月了，月底前务必要有结果", "risk", []),
    ("华兴李娜的订单号HT20261111-088，总金额23.5万，已确认✅", "outcome", "won"),
    ("同陈志明飲嘢吹水，佢話5月18號落單", "channel", "meeting"),
    ("中秋节那天李娜发了祝福，顺便说下周一过来签合同", "channel", "message"),
])
def test_chinese_totals_slang_and_cantonese(parser, text, field, value):
    out = fields(parser, text)
    assert (sorted(out[field]) if field == "risk" else out[field]) == value


@pytest.mark.parametrize("text, date", [
    ("李娜说运费下个月涨10%", None),  # their price rise: the situation
    ("今天在展会碰到李娜，华兴想做一批新的外壳，她说会考虑", None),
    ("新客户：今天展会认识一个王总，下周联系", "2026-12-07"),
    ("周六晚上还在跟李娜微信，华兴想做中秋花礼，300份", None),
])
def test_situations_and_meetings_of_today_are_no_follow_up(parser, text, date):
    assert (fields(parser, text)["follow_up"] or {}).get("date") == date


FRI_31_JUL_640PM = dt.datetime(2026, 7, 31, 18, 40, tzinfo=TZ)


@pytest.mark.parametrize("text, date, time", [
    ("EOD summary: Met Tom at the trade fair. Will send revised pricing after the Spring Festival break", "2026-02-24", None),
    ("Tom: send it by EOD", "2026-12-03", None),
    ("Tom wants 2 containers, 年前 can't ship, 他说 ok. 春节后 send PI", "2026-02-24", None),
    ("call w/ Tom at 7am (his 2pm) went well; next call in a week", "2026-12-10", None),
    ("just got off WeChat w/ 李娜 (past midnight lol) — she'll confirm the Xmas order tomorrow", "2026-12-04", None),
])
def test_headers_situations_and_what_went_well(parser, text, date, time):
    # the Spring Festival notes are written on 12 Feb 2026, the eve of the official break (15-23 Feb)
    out = fields(parser, text, dt.datetime(2026, 2, 12, 21, 30, tzinfo=TZ) if date.startswith("2026-02") else THU_3_DEC)
    assert (out["follow_up"]["date"], out["follow_up"]["time"]) == (date, time)


def test_what_tomorrow_is_is_no_follow_up(parser):
    assert fields(parser, "Called Tom twice, no pickup. Tomorrow is Sat, try Mon", FRI_31_JUL_640PM)["follow_up"]["date"] == "2026-08-03"


def test_what_was_said_over_a_medium_and_their_own_decision(parser):
    sun = dt.datetime(2026, 4, 26, 10, 15, tzinfo=TZ)
    out = fields(parser, "still thinking about Tom's deal. He said on WhatsApp Fri they'd decide after their holiday. ping him May 6", sun)
    assert (out["channel"], out["follow_up"]["date"]) == ("message", "2026-05-06")
    out = fields(parser, "Tom mentioned on the phone his bday is Jan 20 — order flowers to arrive that morning", sun)
    assert (out["channel"], out["birthday"]) == ("call", "01-20")
    assert fields(parser, "Tom: will confirm on the phone tomorrow", sun)["channel"] == "other"
    assert fields(parser, "Fwd from WhatsApp — Tom: shipment still stuck, so sorry, will revert by Monday")["customer"] == "Tom Baker"
