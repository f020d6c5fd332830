"""Understanding rules of the fifth session, on notes and customers of our own:

- an event named as what goods are for ("tables for the wedding expo") is no meeting; being at it is;
- money that "came in" is no visitor;
- a chat reply that agrees and names only the hour ("'push it to Aug 10?' / me: 'sure, 2pm?'") sets that day's hour;
- "Monday EOD" is the end of Monday; 18/01 can only be the 18th of January; "Mon a.m." is Monday morning;
- "on the fourteenth no sorry the fifteenth": the day said instead; the task loses the day taken back;
- "calling back on Feb 1" is a plan, not someone coming back.
"""
import datetime as dt

import pytest

from handlers.understanding.matching import CustomerIndex
from handlers.understanding.notes import CustomerRecord, NoteParser

TZ = dt.timezone(dt.timedelta(hours=8))
FRI_15_JAN = dt.datetime(2027, 1, 15, 12, 0, tzinfo=TZ)

CUSTOMERS = [("Ben Carter", "Carter Tools", ()), ("Tina Xu", "Eight Eight Catering", ()), ("Ahmed Hassan", "Hassan Foods", ()),
             ("Michelle Obi", "Obi Textiles", ()), ("Kenji Sato", "Sato Trading", ())]


def parser_of(customers):
    """A strict parser over (name, company, aliases) customers."""
    return NoteParser(CustomerIndex([CustomerRecord(i + 1, n, c, a) for i, (n, c, a) in enumerate(customers)]), strict=True)


@pytest.fixture(scope="module")
def parser():
    return parser_of(CUSTOMERS)


def parse(parser, text, now=FRI_15_JAN):
    return parser.parse(text, now).to_json()


@pytest.mark.parametrize("text, channel", [
    ("Tina Xu - 88 tables for the wedding expo, needs menu costing by noon tomorrow", "other"),
    ("met Tina Xu at the wedding expo, needs menu costing by noon tomorrow", "meeting"),
    ("Tina Xu and her boss both at the catering expo, want a menu", "meeting"),
    ("Ahmed's payment of USD 18,400 finally came in, overdue issue resolved", "other"),
    ("Ahmed came in this morning to see the samples", "meeting"),
])
def test_an_event_or_arrival_is_a_meeting_only_when_someone_was_there(parser, text, channel):
    assert parse(parser, text)["channel"] == channel


def test_a_reply_that_agrees_sets_the_hour_of_the_day_asked_for(parser):
    out = parse(parser, "WhatsApp w/ Ben: 'can we push the review to Feb 10?' / me: 'sure, 2pm?' / Ben: 👍",
                dt.datetime(2027, 1, 31, 18, 40, tzinfo=TZ))
    assert out["follow_up"]["date"] == "2027-02-10" and out["follow_up"]["time"] == "14:00"
    assert "review" in out["follow_up"]["task"] and "'" not in out["follow_up"]["task"]
    # a clock said in a sentence of its own, not a reply, stays apart from the day
    out = parse(parser, "Ben wants the review on Feb 10. Call him at 2pm", dt.datetime(2027, 1, 31, 9, 0, tzinfo=TZ))
    assert out["follow_up"]["date"] == "2027-01-31" and out["follow_up"]["time"] == "14:00"


@pytest.mark.parametrize("text, date, time", [
    ("Kenji: send our best rates by Monday EOD.", "2027-01-18", None),
    ("Kenji: send our best rates by EOD", "2027-01-15", None),
    ("Kenji: dispatch planning meet on 18/01 at 11:00 hrs.", "2027-01-18", "11:00"),
    ("Left VM for Kenji. try again Mon a.m.", "2027-01-18", None),
    ("Kenji's plant runs 24/7, call him Tuesday", "2027-01-19", None),
    ("Call with Kenji: he wants us to hold shipment until after the Spring Festival. Calling back on Feb 1 to finalise.", "2027-02-01", None),
])
def test_day_words_read_as_written(parser, text, date, time):
    out = parse(parser, text)
    assert (out["follow_up"]["date"], out["follow_up"]["time"]) == (date, time)


def test_a_corrected_ordinal_day_and_its_task(parser):
    out = parse(parser, "note to self ring michelle obi on the sixteenth no sorry the seventeenth about the renewal")
    assert out["follow_up"]["date"] == "2027-01-17"
    assert out["follow_up"]["task"] == "ring about the renewal"
    assert parse(parser, "Kenji: calling back on Feb 1 to finalise")["follow_up"]["task"] == "calling back to finalise"


def test_the_generated_list_of_real_words_is_current():
    """data/spelling_keep.txt holds every dictionary word the typo corrector would change: regenerate it
    (python -m handlers.understanding.spelling_keep) after changing data/spelling.toml."""
    from handlers.understanding.spelling import _real_words
    from handlers.understanding.spelling_keep import words_to_keep

    assert set(words_to_keep()) == set(_real_words())


@pytest.mark.parametrize("text, fixed", [
    ("Rajesh told they are shifting 40% of volume", "shifting"),  # not "shipping"
    ("schedule a call with Ben", "schedule"),  # not "reschedule"
    ("interest is high", "interest"),  # not "interested"
    ("Cald Maria, she wnats the catalog by Tuesdy", "Called Maria, she wants the catalog by Tuesday"),
])
def test_real_words_are_no_typos_but_typos_are_still_forgiven(text, fixed):
    from handlers.understanding.spelling import correct

    assert fixed in correct(text)


@pytest.mark.parametrize("text, outcome", [
    ("Call w/ Kenji: he's 100% confirmed the rebrand project, 1.2m RMB", "won"),
    ("Ben whatsapp - she confirm the order of 2 generators, SGD 18k. Invoice Monday", "won"),
    ("Michelle emailled, confrimed the 2nd lot, INR 6,40,000", "won"),
    ("Ben phoned, orders 120 boxes of screws, total 9,600 SGD", "won"),
    ("Client: Ben Carter\nOutcome: won - mooncake boxes, 6,000 pcs\nNext step: proofs by 8 Feb", "won"),
    ("Kenji emailed: switching to a competitor after the contract ends. Lost. Exit call next Wednesday", "lost"),
    ("Outcome: lost (price)", "lost"),
    ("Ahmed rang re the national day order, nothing signed yet, call back in 2 weeks", None),
    ("pls confirm the order by Friday with Ben", None),
    ("Ben: we need to confirm the order", None),
    ("Ben lost his phone. Call him at the office", None),
])
def test_outcomes_said_many_ways(parser, text, outcome):
    assert parse(parser, text)["outcome"] == outcome


@pytest.mark.parametrize("text, risks", [
    ("Visited Kenji. They are shifting 40% of volume to a Cipla distributor from April.", ["churn"]),
    ("Ray: the new PCB supplier is cheaper, might switch. f/u next Tues", ["churn"]),
    ("Michelle called, payment of Rs 2,35,000 is pending since Nov", ["overdue_payment"]),
    ("ah hock call me just now, he say last month payment 3k sgd will pay end of month", ["overdue_payment"]),
    ("Year-end call with Ben: all invoices settled, no outstanding balance", []),
    ("Ben: last month's invoice was paid, thanks", []),
    ("Kenji's payment pending approval, should be fine", []),
])
def test_risks_said_many_ways(parser, text, risks):
    assert parse(parser, text)["risk"] == risks


ZH_CUSTOMERS = [("陈志明", "志明五金", ("明哥",)), ("林志豪", "豪华家具", ()), ("刘洋", "洋帆物流", ()), ("郑凯", "十二月科技", ())]


@pytest.fixture(scope="module")
def zh_parser():
    return parser_of(ZH_CUSTOMERS)


XMAS_EVE = dt.datetime(2026, 12, 24, 17, 45, tzinfo=TZ)


def test_chinese_spoken_word_by_word(zh_parser):
    """Spaces between Chinese words (voice input) do not hide dates, channels or outcomes."""
    out = parse(zh_parser, "陈志明 明哥 说 嗯 明年 订单 翻倍 呃 元旦 之后 细谈", XMAS_EVE)
    assert out["follow_up"]["date"] == "2027-01-04"
    out = parse(zh_parser, "林志豪先生 今天 到店裡 來 看沙發, 說 沒有 不滿", XMAS_EVE)
    assert out["channel"] == "meeting" and out["risk"] == []
    out = parse(zh_parser, "刘洋 洋帆物流 说 明年 起 改用 顺丰，我们 丢了 这个客户", XMAS_EVE)
    assert out["outcome"] == "lost" and out["risk"] == ["churn"]
    out = parse(zh_parser, "那个帮我记一下 郑凯他们十二月科技 嗯 明天上午十点 要开个视频会", XMAS_EVE)
    assert (out["follow_up"]["date"], out["follow_up"]["time"]) == ("2026-12-25", "10:00")
    # a clock said with a space after a Chinese word keeps its own reading
    out = parse(zh_parser, "郑凯 wants a call 下周三 3pm re 新品", XMAS_EVE)
    assert (out["follow_up"]["date"], out["follow_up"]["time"]) == ("2026-12-30", "15:00")


@pytest.mark.parametrize("text, channel", [
    ("吳美玲來訊(LINE)，說上次那批咖啡豆品質很好", "message"),
    ("今天下午三點一刻跟蔡志偉視訊，五一前他們要下單", "meeting"),
    ("赵总：您好！附件是九月份的对账单，合计人民币 42,300 元，请在 9月10日前 确认。", "email"),
    ("Kenji and Ben both complained about the April price increase in emails. Respond by Fri.", "email"),
])
def test_channels_said_other_ways(parser, text, channel):
    assert parse(parser, text, FRI_15_JAN.replace(hour=18))["channel"] == channel


@pytest.mark.parametrize("text, outcome, risks", [
    ("林志豪說他們要換到別家供應商了，價格差太多。這單算丟了。", "lost", ["churn"]),
    ("林志豪说换了新包装，效果不错", None, []),
    ("陈志明说下个月起改用新系统", None, []),
])
def test_chinese_lost_and_churn(zh_parser, text, outcome, risks):
    out = parse(zh_parser, text, XMAS_EVE)
    assert (out["outcome"], out["risk"]) == (outcome, risks)


def test_hong_kong_paper_money(zh_parser):
    out = parse(zh_parser, "明哥話聽日飲茶傾下年嘅合約，大概 50 萬港紙", XMAS_EVE)
    assert (out["amount"], out["currency"]) == (500000, "HKD")


@pytest.mark.parametrize("text, channel", [
    ("Reminder - Jan 20 4.30 p.m. conf call with Ben re rates", "other"),  # a to-do list: a plan
    ("ah hock call me just now, he say the payment will come end of month", "call"),
    ("Singh Exports se call aaya, Vikram bhai ne bola payment next week", "call"),
    ("Kenji (Sato Trading) wrote: 'we've decided to stay with you'. Renewal call Oct 4", "message"),
    ("Hi Ben, great to see you at the workshop today. As promised, the proposal will reach you by Wednesday", "meeting"),
    ("Hi Ben, great to see you soon at the workshop", "other"),
    ("Quick update after my visit to Carter Tools yesterday. Ben was pleased with the samples.", "visit"),
    ("Today I go to visit Kenji company, he very satisfy our product", "visit"),
    ("Customer: Kenji Sato\nContact via: Email\nNext action: send price list this coming Tue", "email"),
    ("客户：郑凯\n联系方式：电话\n下一步：下周二报价", "call"),
])
def test_channels_said_in_other_ways(parser, text, channel):
    assert parse(parser, text, FRI_15_JAN.replace(hour=18))["channel"] == channel


def test_the_hour_of_a_reported_call_is_when_it_was():
    """"Call with Ben 3:15 pm. He signed!!" written at four: the call was at 3:15 today, the onboarding is the follow-up."""
    p = parser_of(CUSTOMERS)
    four = FRI_15_JAN.replace(hour=16)
    out = parse(p, "Call with Ben Carter 3:15 pm. He signed!! 3yr contract, $1.2M total. Onboarding call Jan 26 at 10 am", four)
    assert out["channel"] == "call" and out["outcome"] == "won"
    assert (out["follow_up"]["date"], out["follow_up"]["time"]) == ("2027-01-26", "10:00")
    # written in the morning, the same words are a call still to come
    out = parse(p, "Call with Ben Carter 3:15 pm. Agenda: the renewal", FRI_15_JAN.replace(hour=9))
    assert (out["follow_up"]["date"], out["follow_up"]["time"]) == ("2027-01-15", "15:15")


def test_a_greeting_is_not_a_company_named_for_the_holiday():
    records = [CustomerRecord(1, "Emily Clarke", "New Year Printing", ()), CustomerRecord(2, "Kenji Sato", "Sato Trading", ()),
               CustomerRecord(3, "Lucas Martin", "Eleven Eleven Digital", ())]
    p = NoteParser(CustomerIndex(records), strict=True)
    now = dt.datetime(2026, 12, 30, 10, tzinfo=TZ)
    assert parse(p, "Happy holidays from Kenji! He emailed a greeting card, nothing else. Reply after New Year", now)["customer"] == "Kenji Sato"
    assert parse(p, "Lucas: 'Happy new year! let's talk in 2 weeks' / me: 🙌", now)["customer"] == "Lucas Martin"
    # the company by its name still
    assert parse(p, "New Year Printing called, wants a quote", now)["customer"] == "Emily Clarke"


def test_customers_in_a_list():
    records = [CustomerRecord(1, "Peter Wong", "Wong Seafood", ()), CustomerRecord(2, "Robert Chen", "Summit Capital", ()),
               CustomerRecord(3, "Chloe Martin", "Monday Motors", ()), CustomerRecord(4, "王伟", "伟业", ()),
               CustomerRecord(5, "王芳", "芳华", ()), CustomerRecord(6, "韩雪", "冷链", ()), CustomerRecord(7, "白雪", "白家", ())]
    p = NoteParser(CustomerIndex(records), strict=True)
    now = dt.datetime(2027, 9, 1, 8, 45, tzinfo=TZ)
    assert parse(p, "Mid-Autumn gift list: Peter Wong, Robert Chen, Chloe Martin - send mooncakes by Sep 10", now)["customers"] == [
        "Peter Wong", "Robert Chen", "Chloe Martin"]
    assert parse(p, "Overdue review:\n• Peter Wong - $4,200 (60 days)\n• Chloe Martin - $1,100 (35 days)\n→ call both tomorrow", now)[
        "customers"] == ["Peter Wong", "Chloe Martin"]
    assert parse(p, "王伟 王芳 两位 王总 都 来电 拜年", now)["customers"] == ["王伟", "王芳"]
    # two names side by side, one of them told apart from the other, is not a list
    assert parse(p, "韩雪 白雪 别搞混了：今天拜访的是韩雪 冷链那个 她要下周一的报价", now)["customers"] == ["韩雪"]
    # a name after a comma that only says who said something stays out
    assert parse(p, "Met Peter Wong at the fair, Chloe Martin's old boss. Send him the catalogue", now)["customers"] == ["Peter Wong"]


MON_7_DEC = dt.datetime(2026, 12, 7, 9, 0, tzinfo=TZ)


@pytest.mark.parametrize("text, date", [
    ("Ben: order confirmed, 10k flyers. Delivery the day after boxing day", "2026-12-27"),
    ("Met Kenji at the prep meeting last Thursday. He'll visit our factory the day after the expo on the 12th.", "2026-12-13"),
    ("send Ben flowers two days before Christmas", "2026-12-23"),
    ("Ben: overdue Rs 80,000 still not paid. 3rd reminder sent by email today. Escalate if nothing by 15th", "2026-12-15"),
    ("pls remind me: happy bday msg to Kenji Sato's husband on the 27th. nothing else pending w her", "2026-12-27"),
    ("Christmas party at the Carter Tools warehouse tonight, Ben invited us. Not a work thing, no follow-up.", None),
    ("No follow-up needed on the invoice. Call Ben Thursday about the samples", "2026-12-10"),
])
def test_days_counted_from_others_and_notes_that_need_nothing(parser, text, date):
    out = parse(parser, text, MON_7_DEC)
    assert (out["follow_up"] or {}).get("date") == date


def test_a_weekday_that_opens_the_note_on_that_day_is_when_it_is(parser):
    out = parse(parser, "Sunday lol. Ben Carter said on the phone yesterday he's not unhappy with the delay. Delivery on the 15th as planned",
                dt.datetime(2027, 6, 6, 15, 0, tzinfo=TZ))
    assert out["follow_up"]["date"] == "2027-06-15" and out["risk"] == []


def test_a_card_for_someone_elses_birthday_keeps_whose_it_is(parser):
    out = parse(parser, "pls remind me: happy bday msg to Kenji Sato's husband on the 27th", MON_7_DEC)
    assert out["birthday"] is None and "Kenji Sato's husband" in out["follow_up"]["task"]


ZH2_CUSTOMERS = [("林芳", "芳华贸易", ("Fiona",)), ("徐静", "静心茶业", ()), ("陈美华", "美华时装", ()), ("赵敏", "敏达软件", ()),
                 ("周一鸣", "一鸣文化传媒", ())]


@pytest.fixture(scope="module")
def zh2_parser():
    return parser_of(ZH2_CUSTOMERS)


SAT_12_DEC = dt.datetime(2026, 12, 12, 10, 0, tzinfo=TZ)


def test_spoken_chinese_keeps_its_numbers_apart(zh2_parser):
    out = parse(zh2_parser, "那个 赵敏 嗯 打电话说 那个 系统上线以后 呃 用户投诉很多 呃 不对 是反馈很多 不是投诉 嗯 下周二 两点半 开个会", SAT_12_DEC)
    assert (out["follow_up"]["date"], out["follow_up"]["time"]) == ("2026-12-15", "14:30")
    assert out["risk"] == []  # "不是投诉": said not to be one


@pytest.mark.parametrize("text, channel, date, time", [
    ("六点一刻 给 徐静 回电话", "other", "2026-12-12", "18:15"),  # a call to return
    ("给徐静回了电话，她说下周再谈", "call", "2026-12-14", None),
    ("给徐静打电话，她说明天下午3点再聊", "call", "2026-12-13", "15:00"),  # a call made: what was said follows
    ("周一鸣那边微信说合同盖好章了，28万，周五寄回来", "message", "2026-12-18", None),  # their step still to come
])
def test_calls_to_return_and_things_to_come_back(zh2_parser, text, channel, date, time):
    out = parse(zh2_parser, text, SAT_12_DEC)
    assert (out["channel"], out["follow_up"]["date"], out["follow_up"]["time"]) == (channel, date, time)


@pytest.mark.parametrize("text, risks", [
    ("林芳 Fiona 邮件：之前投诉的包装问题，已经解决，不用再跟了。", []),
    ("陳美華今日WhatsApp話上個月嗰單三萬五千蚊仲未過數，佢話下個禮拜二一定過", ["overdue_payment"]),
    ("徐静说包装问题很多，要投诉", ["complaint"]),
])
def test_chinese_risks_resolved_denied_or_owed(zh2_parser, text, risks):
    assert parse(zh2_parser, text, SAT_12_DEC)["risk"] == risks


def test_a_birthday_treat_said_word_by_word(zh2_parser):
    out = parse(zh2_parser, "林芳 Fiona 說 她的 生日 是 5月20號 嗯 那天 請她 吃飯", SAT_12_DEC)
    assert out["birthday"] == "05-20" and out["follow_up"]["date"] == "2027-05-20"
    # a treat she gave us is nothing to do on the birthday
    out = parse(zh2_parser, "林芳今晚请吃饭 聊得很开心 她生日是5月20号 记一下", SAT_12_DEC)
    assert out["birthday"] == "05-20" and all(f["date"] != "2027-05-20" for f in out["follow_ups"])


def test_a_change_starting_from_a_month_is_no_date(zh2_parser):
    out = parse(zh2_parser, "徐静 说 10月 起 改用 顺丰，我们 丢了 这个客户", SAT_12_DEC)
    assert out["follow_up"] is None and out["outcome"] == "lost" and out["risk"] == ["churn"]


@pytest.mark.parametrize("text, amount, currency", [
    ("Kenji call, say the invoice 2,000 wrong, actually should be 1,800. I amend and send back by Mon.", 1800, None),
    ("the deal is 50k, sorry, 55k", 55000, None),
    ("嗯 跟 韩雪 打了电话 嗯 大概 三百 五十 万 呃 不对 是三百八十万 五月 十号 之前 给方案", 3800000, "CNY"),
    ("郑凯 订了 两 千 件", None, None),  # a count said word by word
    ("Ben: the 2nd answer is wrong, should be 3 pcs", None, None),
    ("Ben: budget 60k singapore dollars", 60000, "SGD"),
])
def test_amounts_corrected_or_spoken(parser, text, amount, currency):
    out = parse(parser, text)
    assert (out["amount"], out["currency"]) == (amount, currency)


def test_asap_with_a_deadline_and_a_cantonese_morning(parser, zh2_parser):
    mon = dt.datetime(2026, 6, 15, 10, 0, tzinfo=TZ)
    out = parse(parser, "Ben wechat: machine broke down again, very unhappy. send engineer asap, Wednesday latest", mon)
    assert out["follow_up"]["date"] == "2026-06-17" and out["follow_up"]["task"] == "send engineer asap"
    assert parse(parser, "Ben: send the quote asap", mon)["follow_up"]["task"] == "send the quote asap"
    out = parse(zh2_parser, "林芳话佢间美容院下个礼拜一开张，叫我哋朝早十点过去剪彩", dt.datetime(2026, 6, 17, 10, 0, tzinfo=TZ))
    assert (out["follow_up"]["date"], out["follow_up"]["time"]) == ("2026-06-22", "10:00")


def test_a_person_from_a_chinese_company_named_short():
    records = [CustomerRecord(1, "赵明", "明达电子", ("Ray Zhao", "Ray")), CustomerRecord(2, "Ben Carter", "Carter Tools", ())]
    p = NoteParser(CustomerIndex(records), strict=True)
    out = parse(p, "Ray from 明达 came over to our office, 他说 the new PCB supplier is cheaper, 可能 switch. f/u next Tues")
    assert out["customer"] == "赵明" and out["channel"] == "meeting" and out["risk"] == ["churn"]


def test_after_a_golden_week_whose_days_off_are_not_published(zh2_parser):
    """For a year whose schedule is not published, the holidays package projects the statutory days only; people
    mean the golden week: National Day 1-7 October, the Spring Festival from New Year's Eve to 初七, May Day 1-5."""
    dec = dt.datetime(2026, 12, 28, 16, 30, tzinfo=TZ)
    assert parse(zh2_parser, "徐静说国庆节后再约", dec)["follow_up"]["date"] == "2027-10-08"
    assert parse(zh2_parser, "徐静说过完年再付那8万", dec)["follow_up"]["date"] == "2027-02-13"
    assert parse(zh2_parser, "五一后给徐静报价", dec)["follow_up"]["date"] == "2027-05-06"
    # a year whose days off are published keeps them (2026: National Day off 1-7 October, the 8th back at work)
    assert parse(zh2_parser, "国庆后给徐静报价", dt.datetime(2026, 9, 20, 10, tzinfo=TZ))["follow_up"]["date"] == "2026-10-08"


@pytest.mark.parametrize("text, outcome, risks", [
    ("徐静来电话说那个单子给了竞争对手，丢了", "lost", ["churn"]),
    ("徐静话张单唔做喇，俾人抢咗", "lost", ["churn"]),
    ("年底冲业绩！徐静那边加单8000盒，每盒45块，共36万，已确认", "won", []),
    ("跟林芳視訊，中秋節禮盒訂單確定，共1,200盒。9/20出貨", "won", []),
    ("赵敏说下周一之前会把欠的运费付清，一共3万2", None, ["overdue_payment"]),
    ("徐静那边年前结不了款了，过完年再付那8万", None, ["overdue_payment"]),
    ("下午跟徐静喝咖啡，她说不会换供应商，之前的投诉也撤了", None, []),
    ("赵敏昨天在電話裡抱怨交期，今天已經處理好了，他說沒問題了", None, []),
])
def test_more_chinese_outcomes_and_risks(zh2_parser, text, outcome, risks):
    out = parse(zh2_parser, text, dt.datetime(2026, 12, 28, 16, 30, tzinfo=TZ))
    assert (out["outcome"], sorted(out["risk"])) == (outcome, sorted(risks))


@pytest.mark.parametrize("text, channel, outcome, risks", [
    ("phone mtg with Ben Carter & Kenji, agreed the 3-way deal", "call", None, []),
    ("Kenji email: Sato Trading confirms the order of 2 CNC units, €96.000 total", "email", "won", []),
    ("Phone w/ Ben Carter. They went with another supplier for the labels. Lost this one, nothing further.", "call", "lost", ["churn"]),
    ("Kenji called, the new kiln order is a go, forty units", "call", "won", []),
    ("Ben: gift boxes 3000 sets 确认了, 单价 ¥18", "other", "won", []),
    ("Ben not renewing, budget frozen. closed-lost, no f/u", "other", "lost", ["churn"]),
    ("Ben rang, hinges shipment late again and he's fuming.", "call", None, ["complaint"]),
    ("Kenji came to our office: they can't pay the Q2 invoices, the bank froze their credit line", "meeting", None, ["distress", "overdue_payment"]),
])
def test_outcomes_channels_and_risks_of_the_ninth_round(parser, text, channel, outcome, risks):
    out = parse(parser, text, dt.datetime(2026, 12, 21, 18, 0, tzinfo=TZ))
    assert (out["channel"], out["outcome"], sorted(out["risk"])) == (channel, outcome, sorted(risks))


def test_a_pasted_chat_with_its_stamps(parser):
    out = parse(parser, "Chat paste: [09:02] Ben Carter: Hi, can we move our call to Monday 14:00? [09:03] me: sure, talk then",
                dt.datetime(2026, 12, 4, 9, 15, tzinfo=TZ))
    assert out["channel"] == "message"
    assert (out["follow_up"]["date"], out["follow_up"]["time"]) == ("2026-12-07", "14:00")
