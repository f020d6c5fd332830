"""Lexicons for quick notes (Chinese + English): channel, risk and outcome.

All functions take the *normalized* note (lower-case, half-width, Simplified; see names.normalize_text) so one
lexicon covers Traditional input and any capitalisation. Each returns plain values; none raises.
"""
from __future__ import annotations

import re


def _rx(pattern: str) -> re.Pattern:
    # ASCII word boundaries: a Chinese character next to an English word is a boundary ("whatsapp话", "called了")
    return re.compile(pattern, re.ASCII)


# a comma, point or colon between digits is part of a number (45,000  1.5  10:30)
CLAUSE_BREAK = _rx(r"(?<!\d)[,:.]|[,:.](?!\d)|[;!?\n，。；：！？、()（）\[\]]|\s-\s|\band\b|\bbut\b|但是|然后|并且")

# ---------------------------------------------------------------------------------------------------------------
# Channel
# ---------------------------------------------------------------------------------------------------------------
# (pattern, channel, kind): kind "past" = clearly happened, "noun" = the medium named, "imp" = an imperative
# English verb (call her / email him / ping her): always a plan, never the channel.
_CHANNEL_CUES: list[tuple[str, str, str]] = [
    # meeting (checked before call: "video call" is a meeting)
    (r"video\s*(?:call|chat|conference|meeting)|videocall|zoom(?:\s*call)?|teams\s*(?:call|meeting)|google\s*meet|"
     r"facetime|webex|skype\s*(?:call|meeting)|视频(?:会议|通话|电话|会|聊)?|腾讯会议|钉钉会议|飞书会议|线上会议", "meeting", "noun"),
    (r"\b(?:met|meeting|meetings|met up|catch[- ]up)\b|\bmeet\s+(?:with|up)\b|in person|face[- ]to[- ]face|"
     r"\b(?:lunch|dinner|breakfast|coffee|drinks)\b|(?<!for the )(?<!for )\b(?:expo|trade\s*show|tradeshow|exhibition|conference|"
     r"trade fair|the fair|summit|showroom)\b|came (?:to|by|over to) (?:our|the|my) (?:office|factory|showroom|booth|stand|warehouse|site)|"
     r"came by|dropped by|stopped by our|visited us|visited our|(?<!payment )(?<!money )(?<!order )(?<!it )(?<!po )came in\b|on[- ]site visit to us|"
     r"\bmtgs?\b|\bsaw\b(?! (?:the|your|his|her|their|an?|that|this) (?:e-?mail|message|text|note|post|ad|news|quote|invoice|order|report)\b)", "meeting", "noun"),
    (r"见面|见了面|碰面|碰了面|会面|面谈|面聊|开会|开了会|会议|会谈|洽谈|约见|见了|"
     r"来(?:了)?(?:我们|我司|我们公司|公司|厂里|工厂|展厅|办公室|门店|店里)|(?:上门|登门|亲自|专程)来|过来(?:了)?(?:我们|我司|公司|厂里)|来访|到访|参观|吃(?:了)?(?:个|顿|一顿|一餐|餐)?(?:饭|午饭|晚饭|早饭|早餐|早茶|火锅|宵夜)|饭局|请.{0,4}吃|饮茶|饮咗茶|"
     r"午饭|午餐|晚饭|晚餐|早餐|早茶|喝茶|喝咖啡|喝了咖啡|咖啡|展会|展览|博览会|交易会|广交会|峰会|论坛", "meeting", "noun"),
    # visit
    (r"\bvisited\b|\bvisiting\b|\bsite visit\b|\bon[- ]site\b|went to (?:their|his|her|the client'?s?|the customer'?s?) |"
     r"\bwent over to\b|\bdropped in (?:at|on)\b|stopped by (?:their|his|her)", "visit", "past"),
    (r"拜访|拜会|上门|登门|走访|实地|去见|去看了|"
     r"去(?:了)?[^，。,.!?；;：:\s]{0,10}?(?:公司|工厂|厂里|厂|店里|门店|办公室|仓库|总部|现场|那边|那里)|"
     r"到(?:了)?(?:他们|对方|客户|他|她|[^，。,.!?；;：:\s]{1,10}的)(?:公司|工厂|厂里|厂|店里|门店|办公室|仓库|总部|现场|那边|那里)", "visit", "past"),
    # call
    (r"\b(?:called|phoned|rang|calling|ring(?:s)? me|gave (?:me|us|him|her|them) a (?:call|ring))\b|"
     r"\b(?:phone|voice|conference|sales|quick|intro|short|long|follow[- ]up) call\b|\bcall (?:from|with)\b|"
     r"\b(?:had|got|took|made|on) (?:a |the )?(?:call|phone call)\b|\bon the phone\b|\bover the phone\b|\bby phone\b|"
     r"\bphone call\b|\bcalled back\b|\bcalls? in\b|\b(?:got|get|just) off the phone\b|\bhung up\b|\bcold[- ]?call(?:ed|ing)?\b|"
     r"\bvoice\s?mail\b|\bleft (?:a |him |her |them )?(?:vm|voicemail|message)\b|\bno answer\b|\b(?:didn'?t|did not) (?:answer|pick up)\b|"
     r"\bcall(?:ed)?\s*(?:了|过)|打了?\s*call", "call", "past"),
    (r"来电话?|来了电话|打(?:了|过)?(?:个|一个|一通|几个|两个)?电话|通(?:了|过)?(?:个)?电话|电话(?:沟通|联系|咨询|里|中|说|讲|告知|通知|聊|确认|反馈|过来|打来|上)|"
     r"电联|致电|回电话?|回了电话|接到.{0,6}电话|微信(?:电话|语音)|语音通话|打给|没人接|没接(?:电话)?|未接|不接电话|关机|占线|语音留言", "call", "past"),
    # email
    (r"\be-?mail(?:ed|s)?\b|\bemailing\b|\bvia email\b|\bby email\b|\bin (?:an|his|her|their) email\b|\binbox\b", "email", "noun"),
    (r"邮件|电邮|邮箱|email|e-mail|寄了合同|快递了合同", "email", "noun"),
    # message
    (r"\b(?:wechat(?:ted|ed)?|whats\s?app(?:ed)?|sms|texted|text(?:s|ed)? (?:me|us)|messaged|dm(?:ed|'d)?|telegram|"
     r"line message|slack(?:ed)?|chat(?:ted)? (?:on|via|over)|im|imessage|signal message|via (?:text|chat|message)|"
     r"text (?:from|message)|got (?:a|his|her|their) text|by text|over text|linkedin|inmail|messenger|line|kakao(?:talk)?|viber)\b|"
     r"\btexts?\s*(?:说|讲|里|过来|了)|发了?\s*text", "message", "noun"),
    (r"企业微信|微信|短信|发(?:了)?(?:个)?(?:信息|消息)|回(?:了)?(?:信息|消息)|(?:信息|消息|留言)(?:说|里|中|讲|:|：)|留言|钉钉|"
     r"飞书|\bqq\b|\bwx\b|\bvx\b|领英|脉脉|私信", "message", "noun"),
    # imperatives: a planned contact, the follow-up, not the channel
    (r"(?:^|(?<=[,;:.!?\n，。；：！？]))\s*(?:please\s+|pls\s+|need to\s+|remember to\s+|must\s+|should\s+)?"
     r"(?:call|ring|phone|email|e-mail|text|ping|message|wechat|whatsapp|visit|meet|follow up with|reach out to)\b",
     "other", "imp"),
]
def _company_words_zh() -> str:
    from .vocab import alternation, load

    return alternation(load("company_words")["zh"])


# going to a company: 去金鼎建材, 到了华东机电 (a company word ends the place's name)
_CHANNEL_CUES.append((rf"(?:(?<![送寄发运交递传转回收拿带])到|去)(?:了|过)?[^，。,.!?；;：:\s的]{{1,8}}?(?:{_company_words_zh()})", "visit", "past"))
_CHANNEL_RES = [(_rx(p), ch, kind) for p, ch, kind in _CHANNEL_CUES]

_PLAN_NEAR_EN = _rx(
    r"(?<![a-z])(?:will|'ll|to|need to|needs to|going to|gonna|should|must|plan(?:ning|s)? to|want(?:s)? to|let'?s|please|pls|"
    r"remind me to|can|could|would|shall)\s+(?:\w+\s+){0,2}$"
)
_PLAN_CLAUSE_EN = _rx(
    r"(?<![a-z])(?:schedul(?:e|ed|ing)|set(?:ting)? up|arrang(?:e|ed|ing)|book(?:ed|ing)?|next|upcoming|kick-?off|follow-?up|"
    r"propos(?:e|ed|ing)|request(?:ed|s)?|asked for|wants?|invit(?:e|ed|ing))\b[^,;:.!?]*$"
)
_PLAN_BEFORE_ZH = _rx(
    r"(?:要|再(?!次)|记得|准备|打算|计划|安排|约(?:了|好)?|待会|回头|下次|需要|会|将|想|提醒|别忘了?|到时|请|帮我|稍后|晚点|改天|"
    r"尽快|马上|明天|后天|大后天|下周|下星期|下个?月|周[一二三四五六日天]|星期[一二三四五六日天]|\d+号|\d+月|\d+日|\d+点|天后|周后|"
    r"月底|月初|过几天|过两天|年后|节后)[^，。；：！？,;:!?]{0,6}$"
)
_FUTURE_AFTER_EN = _rx(
    r"^\W{0,3}(?:\w+\W+){0,2}?(?:on |at |for |this |next |)?(?:tomorrow|tonight|next|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|"
    r"march|april|june|july|august|september|october|november|december|\d{1,2}/\d{1,2}|\d{1,2}\s*(?:am|pm)|in \d+|later|soon)\b"
)
_RESCHEDULE = _rx(r"\b(?:moved|rescheduled|postponed|pushed|brought forward|cancelled|canceled)\b|改到|改期|推迟|延期|提前到|挪到")


def detect_channel(n: str, places=(), future=(), clauses=None) -> str:
    """How the interaction happened: call / visit / meeting / email / message / other.

    ``places``: spans naming the customer ("去阳光农业" is a visit to them); ``future``: spans of time phrases
    that are still ahead, which make a contact in their clause a plan ("明天去…开会"), not what happened.
    """
    try:
        return _detect_channel(n, places, future, clauses)
    except Exception:
        return "other"


# going to the customer named right after: 去阳光农业, 到了远航船务, went to Hooli, dropped by Acme
_GO_TO_ZH = _rx(r"(?:(?<![送寄发运交递传转回收拿带])到|去|前往|跑|赶)(?:了|过)?(?:一趟|趟|一下)?(?:找|见)?$")
_GO_TO_EN = _rx(
    r"\b(?:went|go|goes|going|drove|headed|flew|popped|dropped|stopped|swung)\s+(?:over\s+|out\s+|down\s+|up\s+)?"
    r"(?:to|by|in\s+at|into)\s+(?:the\s+)?$"
)
# a contact cue that says it has happened, whatever date is near it
_DONE_CUE = _rx(r"[了过]|\b\w+ed\b|\b(?:met|went|came|rang|spoke|had|got|took|made|saw|sent)\b")
_DONE_JUST_BEFORE = _rx(r"\b(?:had|got|took|did|grabbed|was at|were at|went to|joined)\s+(?:a\s+|the\s+|some\s+)?$|接到|收到|跟.{1,6}吃了|和.{1,6}吃了")
_INCOMING = _rx(r"来电|打来|发来|寄来|回电|回了|微信(?:问|说|讲|催|找|里说)|接到|收到")  # they contacted us: it has happened
_SAID_AFTER = _rx(r"说|讲|话|表示|告诉|告知|称|提到|反馈|问|回复|答应|同意|\b(?:says?|said|told|asked|mentioned|wants?|wanted)\b")
_CONTACTED_US = _rx(r"来电|打来|发来|微信(?:问|说|讲|催|找|里说)|接到|收到")
_REPORTED = _rx(r"\s?(?:里)?(?:说|讲|告诉|表示|提到|通知)")
_DONE_BEFORE = _rx(r"已经|已|刚刚|刚才|刚|昨天|前天|上周|上次|just\b|already\b|yesterday\b|earlier\b|last\s+\w+")


def _clause_start(n: str, pos: int) -> int:
    last = 0
    for m in CLAUSE_BREAK.finditer(n, 0, pos):
        last = m.end()
    return last


def _detect_channel(n: str, places=(), future=(), clauses=None) -> str:
    found: list[tuple[int, int, str, str]] = []
    for rx, ch, kind in _CHANNEL_RES:
        for m in rx.finditer(n):
            if m.end() > m.start():
                found.append((m.start(), m.end(), ch, kind))
    for ps, pe in places or ():
        before = n[max(0, ps - 24): ps]
        g = _GO_TO_ZH.search(before) or _GO_TO_EN.search(before)
        if g:
            found.append((ps - (len(before) - g.start()), pe, "visit", "past"))
    if not found:
        return "other"
    # longest cue wins where cues overlap ("video call" over "call")
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    chosen: list[tuple[int, int, str, str]] = []
    for f in found:
        if chosen and f[0] < chosen[-1][1]:
            continue
        chosen.append(f)
    for s, e, ch, kind in chosen:
        if kind == "imp":
            continue
        cs = _clause_start(n, s)
        before = n[cs:s]
        if _CONTACTED_US.search(n[max(cs, s - 3): e + 2]) or _REPORTED.search(n[max(s, e - 1): e + 2]):
            return ch  # they wrote or called ("发微信问价格", "text说"): it happened
        if _PLAN_BEFORE_ZH.search(before) or _PLAN_NEAR_EN.search(before) or _PLAN_CLAUSE_EN.search(before):
            continue
        if kind == "noun" and _RESCHEDULE.search(n[s: s + 40]) and not _DONE_CUE.search(n[s:e + 1]):
            continue  # "meeting with Initech moved to Thursday": it has not happened
        if kind == "noun" and s > 0 and not _RESCHEDULE.search(n[s: s + 60]):
            after = n[e: e + 14]
            if _FUTURE_AFTER_EN.search(after):
                continue
        if future and _planned(n, s, e, cs, future, clauses):
            continue
        return ch
    return "other"


def _planned(n: str, s: int, e: int, cs: int, future, clauses=None) -> bool:
    """A time still ahead in the cue's clause, and nothing saying the contact already happened."""
    m = CLAUSE_BREAK.search(n, e)
    ce = m.start() if m else len(n)
    if clauses:  # a run-on note split where a new subject starts ("…见了黄磊聊得挺好的他们准备下周三下单")
        c = next((c for c in clauses if c.start <= s < c.end), None)
        if c is not None:
            cs, ce = max(cs, c.start), min(ce, c.end)
    # a time before the cue, or right after it ("meeting tomorrow"), not one inside what was said ("微信说…月底")
    said = _SAID_AFTER.search(n, e, ce)
    end = said.start() if said else ce
    if not any(cs <= fs and fe <= end for fs, fe in future):
        return False
    if _RESCHEDULE.search(n[cs:ce]):
        return False  # "meeting moved to Thursday": the meeting is what the note is about
    if _DONE_CUE.search(n[s: e + 1]) or _DONE_BEFORE.search(n[cs:s]) or _INCOMING.search(n[max(cs, s - 3): e + 1]) \
            or _DONE_JUST_BEFORE.search(n[max(cs, s - 16): s]):
        return False
    return True


# ---------------------------------------------------------------------------------------------------------------
# Risk
# ---------------------------------------------------------------------------------------------------------------
_RISK_CUES = {
    "overdue_payment": (
        r"overdue|past[- ]due|\bunpaid\b|\bowes? (?:us|me)\b|\bowing\b|\boutstanding (?:balance|invoices?|payments?|amount|debt|bills?|sum)\b|\boutstanding\s?(?:[$¥€£]|usd|rmb|cny|eur)?\s?\d|"
        r"\b(?:hasn'?t|has not|haven'?t|have not|didn'?t|did not|not|never|still not|yet to be|yet to)\s+(?:been\s+)?paid\b|"
        r"\blate (?:payment|paying|payer)s?\b|\bpayment\b[^,.;!?]{0,30}?\b(?:is|are|was|were|has been|now)\s+(?:\w+\s+){0,3}?(?:late|overdue|past due)\b|\b(?:\d+|a|one|two|three|four|five|six|several|few)\s+(?:days?|weeks?|months?)\s+(?:late|overdue|past due|behind)\b|\b(?:asked|asking|asks|wants?|requested) (?:us )?(?:for |to )?(?:(?:more|extra) time to pay|delay(?:ing)? (?:the )?payment|postpone (?:the )?payment|extend(?:ed|ing)? (?:the )?(?:payment )?terms)\b|\bpayments? (?:is |was |are |were |will be |would be |going to be |gonna be |still |)(?:late|delayed|overdue|missing)\b|\bpa(?:y|ys|ying|id) late\b|\bbehind on (?:payment|paying)|"
        r"\bchas(?:e|ing) (?:the )?payment|\bbounced (?:check|cheque)|\bdefault(?:ed)? on|\bin arrears\b|\barrears\b|"
        r"欠款|拖欠|欠(?:了|着)?(?:我们|我司|我方|公司)?.{0,6}?(?:款|钱|账|元|万|块)|还欠|欠账|逾期|拖款|拖着不付|拖(?:到|着|延)?.{0,3}(?:付款|货款|款)|"
        r"(?:货款|款|尾款|账款|付款).{0,4}(?:拖|延迟|推迟|没到|未到|没付|未付|没结|未结|还没)|没(?:有)?(?:付款|付钱|结款|回款|给钱)|"
        r"未(?:付款|付|结款|回款)|(?:延期|推迟|延迟|延后|缓)(?:几天|一段时间|一个月|一周)?(?:付款|付|结款|结账|回款|打款)|还没(?:付|给|结|打款)|催款|催收|赖账|坏账|呆账|账期(?:超|过)"
    ),
    "complaint": (
        r"\bcomplain(?:t|ts|ed|ing|s)?\b|\bupset\b|\bunhappy\b|\bangry\b|\bfurious\b|\bmad (?:at|about)\b|\bdissatisfied\b|"
        r"\bnot (?:happy|satisfied|pleased)\b|\bfrustrat(?:ed|ing)\b|\bannoyed\b|\bdisappointed\b|\birritated\b|\bescalat(?:e|ed|ing|ion)\b|"
        r"\bbad review\b|\bnegative review\b|\bpoor (?:quality|service)\b|\bdefective\b|\bdefects?\b|\bdamaged\b|\bbroken\b|"
        r"\bwrong (?:items?|order|delivery|goods|parts?)\b|\bpissed\b|\bthreaten(?:ed|s|ing)? (?:to|legal)|\brefund\b|\breturn(?:ed|ing)? the goods|"
        r"投诉|不满|抱怨|生气|发火|发脾气|不高兴|意见(?:很|非常|特别)?大|差评|吐槽|埋怨|恼火|失望|质量问题|不爽|火大|索赔|质疑|退货|退款|骂|少发|漏发|发错|送错|错发|短少|(?:货|数量)(?:不对|有问题|少了)|少了[一二两三四五六七八九十\d]+(?:箱|件|个|包|盒|袋|台|套)|"
        r"\bshort[- ]?shipped\b|\bmissing (?:items?|parts?|boxes|cartons|pieces|goods)\b"
    ),
    "churn": (
        r"\bcompetitor'?s?\b|\b(?:another|other|different|new|cheaper) (?:suppliers?|vendors?|providers?|partners?|manufacturers?)\b|"
        r"\bswitch(?:ing|ed)? (?:to|over|suppliers|vendors)\b|\bmov(?:e|ing) (?:to|over to) (?:a |another |an? )|\bcancel(?:l)?(?:ing|ed|s|ation)?\b|"
        r"\bterminat(?:e|ed|ing|ion)\b|\b(?:not|won'?t|will not|doesn'?t|don'?t|isn'?t|aren'?t|didn'?t|did not) (?:going to |plan to |want to )?renew(?:ing)?\b|"
        r"\bnon[- ]renewal\b|\bleaving us\b|\bchurn(?:ing|ed)?\b|\bshopping around\b|\bend(?:ing)? (?:the|our) (?:contract|partnership|relationship)\b|"
        r"\bpull(?:ing|ed)? (?:the|their) (?:business|account)\b|\bgoing elsewhere\b|"
        r"考虑(?:别的|其他|别家|换|其它)|别的供应商|其他供应商|其它供应商|别家|竞争对手|竞品|对手|换(?:供应商|厂家|一家|别家|合作方)|转(?:向|投)|"
        r"取消.{0,4}(?:订单|合同|合作|订货|采购|项目)|(?:订单|合同|合作|订货|采购|项目).{0,4}取消|不续约|不再续|不续签|不再合作|"
        r"停止合作|终止合作|解约|退单|撤单|流失|找了别家|被.{0,6}抢走|不合作了|不跟我们合作|不用我们"
    ),
    "distress": (
        r"\bbankrupt(?:cy|cies)?\b|\binsolven(?:t|cy)\b|\bchapter (?:7|11)\b|\blay(?:ing)?[- ]?offs?\b|\blaid off\b|\bcash[- ]?flow\b|"
        r"\bcash crunch\b|\bshut(?:ting)? down\b|\bshutdown\b|\bclosing down\b|\bclos(?:e|ing) (?:the|their|its) (?:doors|factory|plant|business|shop)\b|"
        r"\bgoing under\b|\bout of business\b|\bliquidat(?:e|ed|ion|ing)\b|\breceivership\b|\bfinancial (?:trouble|difficult(?:y|ies)|problems?|distress)\b|"
        r"\bstruggling financially\b|\bcan'?t (?:pay|make) (?:salaries|wages|payroll|staff)\b|\brestructur(?:e|ed|ing)\b|\bdownsiz(?:e|ed|ing)\b|"
        r"\bfiled for\b|\bfurlough(?:s|ed)?\b|\bredundancies\b|"
        r"破产|倒闭|裁员|资金紧张|资金链|资金困难|资金周转|资金问题|周转困难|周转不灵|周转不(?:到|过来|开)|执笠|执咗笠|现金流|停产|停业|关门|关厂|歇业|清算|资不抵债|经营困难|"
        r"经营不善|亏损|发不出工资|欠薪|查封|重组|减产|停工|撑不下去|快不行了|跑路"
    ),
}
_RISK_CUES["distress"] += r"|资金(?:有点|有些|比较|很|非常|特别|挺)紧张|裁掉|裁了|砍掉.{0,4}人|关店|关掉.{0,4}(?:店|门店|工厂)|闭店|(?:店|门店|分店|工厂|厂).{0,6}关(?:了|掉)?[一二三四五六七八九十几两\d]+家|关(?:了|掉)[一二三四五六七八九十几两\d]+家|\bclos(?:e|ing|ed) (?:\w+ )?(?:stores?|shops?|branches|outlets|locations)\b"
_RISK_CUES["churn"] += r"|\bmov(?:e|ing) (?:\w+ ){0,4}?(?:business|orders?|volume|account) to\b|把.{0,8}(?:订单|业务|生意)(?:转|挪|给)到?了?(?:别家|别的|其他)"
_RISK_CUES["overdue_payment"] += r"|(?:货款|款|尾款|欠款)(?:还|仍然|依然)(?:没|未)(?:到|付|结|还)|\bstill (?:o/s|outstanding|unpaid|not paid|owed|owing)\b|\bpayment (?:is )?still\b"
_RISK_RES = {k: _rx(v) for k, v in _RISK_CUES.items()}
_NEGATION_BEFORE = _rx(
    r"(?<![a-z])(?:not|no|never|n't|no longer|without|nor|isn'?t|wasn'?t|didn'?t|doesn'?t|hasn'?t|haven'?t|won'?t|any)\s*"
    r"(?:more\s+)?(?:[a-z']+\s+){0,3}$|"
    r"(?:不再|不会|没有|没|未|无|并不|并没有|别|不)(?:任何|什么|啥|再|打算|准备|想|会|要|太|那么|一点|用|需要|考虑)*$"
)
_RESOLVED = {
    "overdue_payment": _rx(
        r"\bpaid (?:the |their |his |her |its |all |off |up |in full)?(?:\w+ )?(?:overdue|outstanding|late|balance|invoice|debt|arrears|in full|everything|up)|"
        r"\bpaid in full\b|\bsettled (?:the |their |all )?(?:\w+ )?(?:invoice|balance|account|payment|debt|bill)s?|"
        r"\bcleared (?:the |their |all )?(?:\w+ )?(?:balance|invoices?|debt|arrears|payment)|\bpayment (?:was |has been )?received\b|"
        r"\breceived (?:the |their |full )?payment\b|\bcaught up on\b|\bno longer (?:overdue|late|owes?)\b|\bnothing (?:is )?overdue\b|"
        r"已付清|已结清|已还清|付清了|结清了|还清了|款已到|已回款|回款了|款到了|钱到了|已经付款|已付款|已经结清|已到账|到账了|补齐了|"
        r"付完了|还完了|不再拖欠|不欠了|已经还了|已经付了|结清|(?:尾款|货款|欠款|款项|余款)(?:已经|已|都)(?:付|结|还|到)|"
        r"逾期(?:的)?(?:问题|情况)?(?:已经|已|都|也)?(?:解决|处理)|\b(?:overdue |late |outstanding )?(?:payment|money|balance) "
        r"(?:has |have )?(?:came|come|finally came|arrived|cleared|went through|landed) ?(?:in|through)?\b"
    ),
    "complaint": _rx(
        r"\bcomplaint (?:was |has been |is )?(?:resolved|closed|withdrawn|handled|settled)\b|\bno (?:more |longer )?(?:upset|angry|complaints?)\b|"
        r"\b(?:happy|satisfied) now\b|\bwithdr[ae]w (?:the|his|her|their) complaint|\bnot (?:upset|angry|unhappy) any ?more\b|"
        r"\brefund(?:ed)? (?:went through|(?:was |has been |is )?(?:processed|issued|completed|paid out))\b|\bissued (?:a|the) refund\b|"
        r"投诉(?:的事|的问题)?(?:已|已经|倒是|都|也)?(?:解决|撤销|撤回|处理好|处理完)|问题(?:已|已经)(?:解决|处理)|撤(?:销|回)了?投诉|不生气了|消气了|满意了|"
        r"\bcomplaints? (?:\w+ ){0,4}?(?:is|was|has been|have been|got|are) (?:now |finally |all )?(?:resolved|closed|sorted|fixed|handled|settled)\b"
    ),
    "churn": _rx(
        r"\bdecided to stay\b|\b(?:will |is going to )?stay(?:ing)? with us\b|\brenewed\b|\bnot (?:cancell?ing|switching|leaving)\b|"
        r"\bwon'?t (?:cancel|switch|leave)\b|\bno longer (?:considering|looking)|"
        r"不换了|继续合作|不取消了|决定留下|续约了|续签了|已续约|不考虑别家"
    ),
    "distress": _rx(r"\bno longer (?:in trouble|struggling)\b|渡过难关|资金(?:问题)?(?:已|已经)解决"),
}


def detect_risks(n: str) -> list[str]:
    out = []
    for risk, rx in _RISK_RES.items():
        try:
            if any(not _negated_resolution(n, r.start()) for r in _RESOLVED[risk].finditer(n)):
                continue
            for m in rx.finditer(n):
                if not _negated(n, m.start(), m.group()):
                    out.append(risk)
                    break
        except Exception:
            continue
    return out


_NEG_RESOLUTION = _rx(
    r"(?:(?<![a-z])(?:not|never|hasn'?t|haven'?t|didn'?t|doesn'?t|won'?t|yet to|still not|not yet|if|once|when|until|before|should|will|to)|"
    r"没|未|还没|没有|如果|等|要|会|不|别)\s*(?:been\s+)?$"
)


def _negated_resolution(n: str, s: int) -> bool:
    return bool(_NEG_RESOLUTION.search(n[max(0, s - 14): s]))


def _negated(n: str, s: int, cue: str) -> bool:
    if cue[:1] in "不没未无" or cue.startswith(("not ", "hasn", "haven", "didn", "never", "still")):
        return False  # the cue carries its own negation ("不满", "hasn't paid")
    before = n[max(0, s - 28): s]
    cs = _clause_start(before, len(before))
    return bool(_NEGATION_BEFORE.search(before[cs:]))


# ---------------------------------------------------------------------------------------------------------------
# Outcome
# ---------------------------------------------------------------------------------------------------------------
_WON = _rx(
    r"(?<!the )(?<!a )(?<!needs )\bsigned\b(?! up for (?:a|the) (?:demo|trial|webinar|newsletter))(?! nda| non-disclosure)|"
    r"\b(?:deal|contract|order|po|agreement|purchase order)\s+(?:is\s+|was\s+|has been\s+|got\s+|now\s+)?(?:signed|closed|confirmed|won|placed|received|done|secured)\b|"
    r"\b(?:deal|contract|order|po|agreement|purchase order)\b(?:(?!\bnot\b|n't|\bnever\b|\byet\b|\bif\b|\bwhen\b|\bonce\b)(?:[^,.;!?]|(?<=\d)[,.](?=\d))){1,30}?"
    r"\b(?:is\s+|was\s+|has been\s+|got\s+|now\s+|been\s+)?(?:signed|confirmed|secured)\b|"
    r"\b(?:closed|won|landed|secured|clinched|bagged|booked|got|received|confirmed|placed)\s+(?:the\s+|a\s+|an\s+|this\s+|our\s+|their\s+|his\s+|her\s+|its\s+|first\s+|new\s+|big\s+)*"
    r"(?:deal|contract|order|orders|account|tender|bid|po|purchase order|business)\b|\bpo received\b|\bit'?s a deal\b|\bdeal done\b|"
    r"签了|已签|签约|签下|签好|签署了|签订了|合同签了|签单|确认订单|订单确认|确认了订单|下单|下了单|成交|拿下|中标|收到.{0,6}订单|定下来了|敲定|"
    r"(?:订单|\bpo\b|合同|采购单)\s*(?:已经|已)?\s*(?:收到|到了|到手)|\bsign(?:ed)?\s*了|(?:已经|已)\s*sign(?:ed)?\b|\bpo\s*(?:已经|已)|"
    r"订了|采购了|付了定金|已付定金|(?<![a-z])(?:ordered|purchased|re-?ordered)\b"
)
_LOST = _rx(
    r"\blost (?:the |this |that |our |a |an )?(?:deal|order|contract|bid|tender|account|client|customer|business|opportunity|sale|it|them)\b|"
    r"\bdeal (?:is |was |has )?(?:lost|dead|off|fell through|collapsed)\b|\bfell through\b|"
    r"\b(?:went|gone|going|decided to go) with (?:a |another |their |the |an )?(?:competitor|other|different|another|cheaper)|"
    r"\bchose (?:a |another |the )?(?:competitor|other|another|different)|\blost\s+(?:[a-z0-9&.'-]+\s+){1,3}to\s+(?:a\s+|an\s+|the\s+)?(?:\w+\s+)?(?:competitor|rival|another|other|cheaper)|"
    r"\blost (?:the |this |that )?(?:account|client|customer|deal)\b|\b(?:didn'?t|did not) win\b|\bno deal\b|"
    r"\bnot moving forward\b|\bpassed on (?:us|our)\b|\bturned (?:us )?down\b|\brejected (?:our|the) (?:offer|proposal|quote|bid)\b|"
    r"丢单|丢了(?:单|订单|客户|这单|项目|合同)|单子丢了|没拿下|没谈成|未谈成|谈崩|黄了|没成交|落标|未中标|没中标|选了别家|"
    r"选择了(?:别家|其他|竞争对手|对手)|被.{0,6}抢走|输给|失去了?(?:订单|客户|这个客户)|拒绝了我们"
)
_NOT_YET = _rx(
    r"(?:n't|要|准备|打算|将|会|可能|想|考虑|还没|还没有|没有|没|未|尚未|来|去|等|明天|后天|下周|下个?月|周[一二三四五六日天]|\d+号|\d+日|"
    r"前|之前|以前|月底|月初|年底|年前|星期[一二三四五六日天]|再|争取|希望|尽快|过几天|一定要|必须|得|"
    r"(?<![a-z])(?:will|to|going to|ready to|about to|wants? to|plan(?:s|ning)? to|expect(?:s|ed)? to|hope to|not|n't|yet to|before|if|may|might|"
    r"could|should|would|need to|interested in|almost|close to|nearly))\s*(?:\w+\s+)?$"
)


_NOT_YET_ZH = _rx(r"(?:要|准备|打算|将|争取|希望|必须|一定|得|想|会|等)[^，。,.!?；;]{0,6}$")


def detect_outcome(n: str, future=()) -> str | None:
    """won / lost / None. ``future``: spans of time phrases still ahead; an order announced for one of them
    ("明年一月份下单", "will sign next month") is not won yet."""
    try:
        for m in _LOST.finditer(n):
            return "lost"
        for m in _WON.finditer(n):
            before = n[max(0, m.start() - 14): m.start()]
            before = before[_clause_start(before, len(before)):]
            if _NOT_YET.search(before) or _NOT_YET_ZH.search(before):
                continue
            if future and _planned(n, m.start(), m.end(), _clause_start(n, m.start()), future):
                continue
            return "won"
    except Exception:
        pass
    return None


# ---------------------------------------------------------------------------------------------------------------
# Things reported done, and risks reported over
# ---------------------------------------------------------------------------------------------------------------
_THINGS_ZH = r"样品|样板|报价单|报价|合同|资料|货款|尾款|欠款|款|货|发票|目录|方案|设计稿|对账单|样稿|定金|订金|图纸|礼盒|礼物|文件"
_THINGS_EN = (r"quote|quotation|samples?|contract|invoice|proposal|deck|catalog(?:ue)?|brochure|agenda|pricing|price list|"
              r"po|nda|payment|documents?|docs|forecast|specs?|gift|order|goods|shipment|delivery")
_DONE_TASK = _rx(
    rf"(?:{_THINGS_ZH})(?:的事|的问题|这事|那事)?(?:他们|对方|客户)?(?:已经|已|都|也)?"
    r"(?:收到了|收到|到了|搞定了|签了|发了|寄了|付了|结了|结清了|处理好了|完成了|解决了|办好了|发过去了|寄出去了|交了|确认了|到账了)|"
    r"搞定了|办妥了|弄好了|处理完了|"
    rf"\b(?:sent|delivered|shipped|received|got|signed|paid|submitted|finished|completed|returned)\s+(?:over\s+)?(?:the|our|their|his|her|its|them|it|all)?\s*(?:\w+\s+)?(?:{_THINGS_EN})\b|"
    rf"\b(?:{_THINGS_EN})\s+(?:was|were|has been|have been|is|are|got)?\s*(?:received|delivered|sent|signed|paid|arrived|done|sorted)\b|"
    r"\ball (?:done|sorted|settled|set)\b|\btaken care of\b"
)
_NOT_DONE = _rx(r"(?:没|未|还没|还没有|没有|尚未|要|会|将|准备|打算|\bnot\b|n't|\bnever\b|\byet to\b|\bwill\b|\bto\b|\bif\b|\bonce\b)\s*(?:\w+\s+)?$")


def reports_done(n: str) -> bool:
    """The note says something pending was done ("张总说样品收到了", "sent the quote", "货款的事搞定了")."""
    try:
        for m in _DONE_TASK.finditer(n):
            if not _NOT_DONE.search(n[max(0, m.start() - 10): m.start()]) and not _NOT_DONE.search(m.group()[:4]):
                return True
    except Exception:
        pass
    return False


def resolved_risks(n: str) -> list[str]:
    """Risks the note says are over ("paid the overdue balance", "投诉已经解决了")."""
    out = []
    for risk, rx in _RESOLVED.items():
        try:
            if any(not _negated_resolution(n, r.start()) for r in rx.finditer(n)):
                out.append(risk)
        except Exception:
            continue
    if "overdue_payment" not in out and re.search(r"(?:货款|欠款|尾款|款)的事(?:已经|都|也)?(?:搞定|解决|处理好)了", n):
        out.append("overdue_payment")
    return out
