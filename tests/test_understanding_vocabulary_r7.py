"""Vocabulary of quick notes, round 7, on notes and customers of our own (none from the held-out sets):

- channel: forwarded or replied mail (Fwd:, FW:, RE: … writes) is email; "call w/ X", "X call:", "joint call", "cal w/" are
  calls; "X visit:", a visit that "went well" are visits; Teams/Zoom demos, dinners, 饮茶, 来办公室签了合同 are meetings;
  an unanswered call is a call, 微信聊 a message; a meal, a fair or an email still to come is no channel, nor is a customer
  moving production elsewhere (转去越南工厂);
- outcome: a numbered PO or an order confirmation, a renewal, 收到PO, 追加N件 are won; signing off drawings is not;
  "lost X to Y", "lost the … order from X to Y", "lost $17k ARR", 签了别家 are lost;
- risk: a rival's offer, a threat to go elsewhere, buying direct, an order given to another factory are churn; "late again
  on payment", "$21k outstanding since Nov" are overdue; a holiday shutdown or a system that cannot cope is no distress;
  "没有任何不满" and a claim of ours are no complaint; a debt paid (已经付清) is none;
- amount: ₹, lakh and crore (Indian grouping 12,00,000), ranges with a unit on both ends, a count of things before the money,
  colloquial 两千八/一万二, 双十一 is a festival;
- typos of ordinary words (mnth, complaind, runing, sendin, qoute, wnats, caled, deliverd), never in a customer's name.
"""
import datetime as dt

import pytest

from handlers.understanding.matching import CustomerIndex
from handlers.understanding.notes import CustomerRecord, NoteParser
from handlers.understanding.spelling import correct

TZ = dt.timezone(dt.timedelta(hours=8))
THU_3_DEC = dt.datetime(2026, 12, 3, 10, 0, tzinfo=TZ)

CUSTOMERS = [
    ("Tom Baker", "Baker Foods", ()), ("Anna Lee", "Lee Logistics", ()), ("Priya Nair", "Nair Textiles", ()),
    ("陈志明", "港丰贸易", ("阿明",)), ("李娜", "华兴", ()), ("王建国", "建国机械", ()),
]


@pytest.fixture(scope="module")
def parser():
    records = [CustomerRecord(i + 1, n, c, a) for i, (n, c, a) in enumerate(CUSTOMERS)]
    return NoteParser(CustomerIndex(records), strict=True)


def read(parser, text, now=THU_3_DEC):
    return parser.parse(text, now).to_json()


# --- channel ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, channel", [
    # forwarded / replied mail
    ("Fwd: volume tiers - Tom Baker asks for a price break above 500 cases", "email"),
    ("FW: RE: delivery slots. Anna Lee confirms the truck for Tuesday", "email"),
    ("RE: samples — Priya Nair writes that the blue swatches are approved", "email"),
    ("Anna Lee forwarded me the email from her CFO, budget is frozen", "email"),
    ("Tom Baker re: renewal, call him tomorrow", "other"),
    # calls
    ("quick call w/ Tom Baker, he wants 2 more pallets", "call"),
    ("Anna Lee call: not happy with the transit times", "call"),
    ("joint call with Priya Nair and her buyer about the spring range", "call"),
    ("great call w Anna Lee today, she will send specs", "call"),
    ("cal with Tom Baker re flour prices", "call"),
    ("call Tom Baker tomorrow about the flour", "other"),
    ("prep for call: Anna Lee wants the tracking numbers", "other"),
    ("Priya Nair visit - tuesday 3pm, bring the swatch book", "other"),
    # visits
    ("Baker Foods visit: new oven line needs 40 trays", "visit"),
    ("visit last tuesday at Anna Lee's depot went great, they want racking", "visit"),
    ("Priya Nair - factory visit - dyeing unit expanded", "visit"),
    # meetings
    ("teams demo with Anna Lee and her ops team, she liked the tracking page", "meeting"),
    ("zoom session w Priya Nair on the new catalogue", "meeting"),
    ("video call with Tom Baker 7am his time, he agreed to the new terms", "meeting"),
    ("dinner with Tom Baker, he's in for the Q1 promo", "meeting"),
    ("we were at the Nair Textiles year-end dinner tonight, Priya wants samples", "meeting"),
    ("今天和阿明饮咗茶，佢话下个月加单", "meeting"),
    ("李娜今天来办公室签了合同", "meeting"),
    ("同阿明食咗餐飯，佢想加單", "meeting"),
    ("跟王建国食了个晏", "meeting"),
    # a meal, a fair or an email still to come; goods talk
    ("lunch with Tom Baker next tuesday to go through the plan", "other"),
    ("Tom Baker says coffee prices jumped 12%, worried about margins", "other"),
    ("李娜下周去广交会，我们在展会上见", "other"),
    ("周末给王建国发个邮件说交期", "other"),
    ("陈志明的订单取消了，生产搬去泰国工厂", "other"),
    # a revisit, dropping by, unanswered emails, the medium heading what was written
    ("回访了王建国，设备运行正常", "visit"),
    ("今天回访过李娜，她想加一台", "visit"),
    ("Dropped by Baker Foods, Tom wants two more ovens", "visit"),
    ("we popped over to Lee Logistics after lunch, Anna showed the new dock", "visit"),
    ("Anna Lee - no reply to my 2 emails about the rates", "email"),
    ("Priya Nair still no answer to 3 emails on the swatches", "email"),
    ("王建国 微信 春节后再谈价格", "message"),
    ("李娜 微信 说下周来厂里看样", "message"),
    ("Tom Baker whatsapp: can we push the delivery", "message"),
    ("Tom Baker email tomorrow re pricing", "other"),
    ("李娜 明天下午三点 要开个视频会 讲新系统的事", "other"),
    ("王建国 下周 准备开个电话会 讲交期", "other"),
    # chats on a messenger, a phone heading, coming over to us, Skype; our own voice memo is no channel
    ("chatted with Priya Nair on teams about the swatches", "message"),
    ("Slack DM from Anna Lee: rates ok for Q1", "message"),
    ("linkedin message from Tom Baker, wants a call back", "message"),
    ("Tom Baker - phone - wants the catalogue", "call"),
    ("Anna Lee phone: truck delayed again", "call"),
    ("Tom Baker came over and signed", "meeting"),
    ("Tom's cousin came over from Leeds for the holidays", "other"),
    ("skyped with Priya Nair, she liked the swatches", "meeting"),
    ("voice memo: Anna Lee wants the rates by friday", "other"),
    # an unanswered call, a chat
    ("王建国 电话没人接 下午再打", "call"),
    ("李娜打了两次都没人接", "call"),
    ("昨晚还在跟李娜微信聊交期", "message"),
])
def test_channel(parser, text, channel):
    assert read(parser, text)["channel"] == channel


# --- outcome ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, outcome", [
    ("PO #4411 for 300 cartons from Tom Baker, ship in January", "won"),
    ("Anna Lee sent order confirmation #OC-8812, 12 pallets", "won"),
    ("Baker Foods renewed their maintenance plan for two years", "won"),
    ("收到李娜的PO，下周排产", "won"),
    ("陈志明追加两千件，月底交货", "won"),
    ("陈志明 收到 订金 五千", "won"),
    ("收到李娜的首付了，下周排产", "won"),
    ("还没收到王建国的订金", None),
    # Cantonese: 落单 is placing the order; before or after something still to come it is not yet
    ("阿明落咗單，下個禮拜出貨", "won"),
    ("李娜今日落咗張訂單", "won"),
    ("阿明話開工後落單", None),
    ("落单前要先确认价格", None),
    ("李娜说收到样品后再下单", None),
    ("Tom Baker signed off on the artwork, print run next week", None),
    ("Anna Lee asked for our PO number format", None),
    ("still waiting for PO #5521 for the racking from Anna Lee", None),
    ("收到李娜的合同草稿，下周签", None),
    ("renewed interest from Priya Nair in the linen range", None),
    ("lost Baker Foods to a local mill", "lost"),
    ("we lost the linen order from Priya Nair to a Turkish weaver", "lost"),
    ("Anna Lee cancelled, lost about $40k ARR", "lost"),
    ("李娜那边已经签了别家", "lost"),
    ("王建国说跟别家签了", "lost"),
    ("李娜已经签别家了", "lost"),
    ("李娜说要签别家", None),
    ("Tom Baker lost their biggest contract, cutting orders", None),
    ("lost 3 days to the port strike, Anna Lee's goods arrive Monday", None),
    # a near miss is not a loss
    ("we almost lost the flour order to Miller Co, Tom Baker stayed for a 3% discount", None),
    ("差点丢单，还好李娜最后没走", None),
    ("nearly lost Baker Foods to a local mill", None),
])
def test_outcome(parser, text, outcome):
    assert read(parser, text)["outcome"] == outcome


# --- risk ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, risks", [
    # churn
    ("Priya Nair got a competing quote from a Surat mill", ["churn"]),
    ("Tom Baker mentioned a Miller Co offer 6% cheaper", ["churn"]),
    ("Anna Lee says they'll switch to DHL if the next truck is late", ["churn"]),
    ("Tom Baker is thinking about buying direct from the mill", ["churn"]),
    ("lost Baker Foods to a local mill", ["churn"]),
    ("王建国的订单丢了，给了宁波的厂", ["churn"]),
    ("李娜说要签别家", ["churn"]),
    ("王建国在考虑从越南进货", ["churn"]),
    ("陈志明考虑去义乌拿货", ["churn"]),
    ("王建国考虑从我们这里进货", []),
    ("Tom Baker will go with the 500-unit option", []),
    ("Anna Lee will go with us if the price holds", []),
    ("our quote is 5% lower than last year, Anna Lee pleased", []),
    # overdue
    ("Anna Lee late again with the invoice, 2nd month", ["overdue_payment"]),
    ("Priya Nair: $8k outstanding since October", ["overdue_payment"]),
    ("Tom Baker 3,200 eur still unpaid", ["overdue_payment"]),
    ("Anna Lee 4,500 outstanding, chase Friday", ["overdue_payment"]),
    ("Tom Baker: 2 outstanding questions on the spec", []),
    ("Anna Lee bounced a cheque", ["overdue_payment"]),
    ("Priya Nair bounced another payment, 2nd this quarter", ["overdue_payment"]),
    ("Baker Foods bounced their cheque again", ["overdue_payment"]),
    # no distress: holidays, systems
    ("Baker Foods winter shutdown is Dec 23 - Jan 2, order before", []),
    ("Anna Lee's warehouse is shut down for maintenance next week", []),
    ("李娜说大促那天服务器扛不住，订单延迟了", []),
    ("Baker Foods is shutting down the Leeds plant", ["distress"]),
    ("Tom Baker says the parent company filed for chapter 11", ["distress"]),
    # no complaint: denied, or our own claim
    ("李娜对这批货没有任何不满", []),
    ("Anna Lee's truck damaged our pallets, we claim 2k", []),
    ("Tom Baker complaind about the crust again", ["complaint"]),
    # resolved
    ("王建国之前拖欠的货款上周已经付清", []),
    ("陈志明的欠款都结清了", []),
])
def test_risk(parser, text, risks):
    assert sorted(read(parser, text)["risk"]) == risks


# --- amount ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, amount, currency", [
    ("Priya Nair order ₹4.5 lakh, advance next week", 450000, "INR"),
    ("Priya Nair: frame deal Rs 2 crore over 3 years", 20000000, "INR"),
    ("Priya Nair quote ₹8,50,000 incl. GST", 850000, "INR"),
    # the currency after the number, Swiss grouping, Mio/mln, ₩
    ("Priya Nair 45 k€ for the dye house", 45000, "EUR"),
    ("Anna Lee rate 450 € per truck", 450, "EUR"),
    ("Tom Baker order 500 €12 each", 12, "EUR"),
    ("Anna Lee frame deal CHF 120'000", 120000, "CHF"),
    ("Tom Baker pipeline 2.5 Mio EUR", 2500000, "EUR"),
    ("Priya Nair budget 3 mln", 3000000, None),
    ("Anna Lee Korean branch ₩5,000,000 trial", 5000000, "KRW"),
    ("Tom Baker budget 40k-60k for the new line", 40000, None),
    ("Anna Lee wants racking, $200k-$250k", 200000, "USD"),
    ("Tom Baker PO for 10k bottles, $3,100", 3100, "USD"),
    ("Anna Lee needs 5k cartons, €900 total", 900, "EUR"),
    ("Tom Baker new 12k sqm bakery, budget 300k", 300000, None),
    ("Anna Lee: 5k sq ft depot, rent 4k usd", 4000, "USD"),
    ("Priya Nair 80k pesos for the sample run", 80000, None),
    ("Anna Lee 4,500 outstanding, chase Friday", 4500, None),
    ("王建国说运费三千五", 3500, None),
    ("李娜要价一万二", 12000, "CNY"),
    ("陈志明要赔偿两千八", 2800, None),
    ("李娜说价格要降到八千五", 8500, None),
    ("王建国砍到六千二才肯下单", 6200, None),
    ("陈志明想压到一万一", 11000, "CNY"),
    ("阿明落咗單 三萬蚊", 30000, "HKD"),
    ("阿明話五百蚊一箱", 500, "HKD"),
    ("李娜双十一备货 5000件", None, None),
    ("陈志明双十二订单12万", 120000, "CNY"),
    ("18.10. 11:00 Tom Baker - flour samples ok", None, None),
    ("03.12. 09:30 call Anna Lee about the pallets", None, None),
])
def test_amount(parser, text, amount, currency):
    out = read(parser, text)
    assert (out["amount"], out["currency"]) == (amount, currency)


# --- typos of ordinary words -----------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, meant", [
    ("end of mnth", "end of month"),
    ("complaind abt the noise", "complained abt the noise"),
    ("line runing slow", "line running slow"),
    ("sendin samples", "sending samples"),
    ("wnats the qoute", "wants the quote"),
    ("she caled", "she called"),
    ("goods deliverd", "goods delivered"),
    ("INV-20931 paid", "INV-20931 paid"),
    ("order cancled", "order cancelled"),
    ("filed for bankrupcy", "filed for bankruptcy"),
    ("very dissapointed", "very disappointed"),
    ("he payed the overdue invoice", "he paid the overdue invoice"),
    ("msgd her, she askd for the ordr", "messaged her, she asked for the order"),
    ("bankruptcy and complaints", "bankruptcy and complaints"),
    ("payment slipping, shopping for cheaper, spending less", "payment slipping, shopping for cheaper, spending less"),
])
def test_typos(typed, meant):
    assert correct(typed) == meant


def test_typos_change_the_reading(parser):
    assert read(parser, "Anna Lee payed the overdue invoice")["risk"] == []
    assert read(parser, "Tom Baker very dissapointed with the crust")["risk"] == ["complaint"]
    assert read(parser, "Priya Nair's mill filed for bankrupcy")["risk"] == ["distress"]


def test_typos_in_notes_and_names_kept(parser):
    out = read(parser, "Anna Lee caled, complaind the pallets were deliverd late, wnats a credit by end of mnth")
    assert (out["channel"], out["risk"], out["follow_up"]["date"]) == ("call", ["complaint"], "2026-12-31")
    # a customer's name is never "corrected", even where it looks like a typo of an ordinary word
    named = NoteParser(CustomerIndex([CustomerRecord(1, "Ben Caled", "Caled Tools", ())]), strict=True)
    out = read(named, "rang Ben Caled, he wants the quote")
    assert out["customer"] == "Ben Caled" and out["channel"] == "call"
