"""Money in a quick note: 3万 = 30000 CNY, 120k USD, $45,000, 1.2m, 五千块, ¥800, €2,500, 200k RMB.

Counts of units, invoice numbers, days, phone numbers, dates and times are not money.
Works on the normalized note (lower-case, half-width).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def cn_number(s: str) -> float | None:
    """一百二十 → 120, 三千五 → 3500, 十五 → 15, 二〇二六 → 2026."""
    if not s:
        return None
    if "万" in s and not s.endswith("万") and s.count("万") == 1:
        # 十五万五千 = 150000 + 5000; 四万五 = 45000 (a lone trailing digit counts in thousands)
        high, low = s.split("万")
        h = cn_number(high) if high else 1.0
        if low in ("",) or h is None:
            return None
        lo = float(_CN_DIGITS[low]) * 1000 if len(low) == 1 and low in _CN_DIGITS and low not in "零〇" else cn_number(low.lstrip("零〇"))
        return None if lo is None else h * 10000 + lo
    if all(c in _CN_DIGITS for c in s):
        v = 0
        for c in s:
            v = v * 10 + _CN_DIGITS[c]
        return float(v)
    total, num, last_unit, zero = 0, 0, 1, False
    for c in s:
        if c in _CN_DIGITS:
            num = _CN_DIGITS[c]
            zero = zero or num == 0
        elif c in _CN_UNITS:
            u = _CN_UNITS[c]
            total += (num or (1 if u == 10 else 0)) * u
            num, last_unit, zero = 0, u, False
        else:
            return None
    if num:
        # 三千五 = 3500: a trailing digit counts in the unit below the last one; 一百零八 = 108 (零 says "units")
        total += num * (last_unit // 10 if last_unit >= 10 and not zero else 1)
    return float(total)


_NUM = r"(?P<num>\d{1,2},(?:\d{2},)+\d{3}(?:\.\d+)?(?!\d)|\d{1,3}(?:['’]\d{3})+(?:\.\d+)?(?!\d)|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+万[零〇一二两三四五六七八九十百千]*[一二三四五六七八九十百千](?![万亿])|[零〇一二两三四五六七八九十百千]+)"
_PRE = r"(?P<pre>us\$|hk\$|nt\$|s\$|a\$|c\$|usd|rmb|cny|eur|gbp|hkd|jpy|twd|ntd|sgd|aud|cad|chf|sek|nok|dkk|krw|inr|aed|sar|myr|thb|idr|vnd|brl|mxn|nzd|zar|r\$|\$|¥|￥|€|£|₹|₩|(?<![a-z])rs\.?|(?<![a-z])inr|人民币|美元|美金|港币|港元|港纸|新台币|台币|日元|日币|欧元|英镑|韩元)?\s?"
_MUL = r"(?:\s?(?:来|多|余)?(?P<mul>千万|百万|亿|万|lakhs?(?![a-z])|lacs?(?![a-z])|crores?(?![a-z])|cr(?![a-z])|w(?![a-z])|k(?![a-z])|mn(?![a-z])|mm(?![a-z])|m(?![a-z])|mil(?![a-z])|million|thousand|grand(?![a-z])|mio\.?(?![a-z])|mln(?![a-z])|bn(?![a-z])|billion|千(?![克米瓦]))(?P<tail>[一二三四五六七八九\d](?![\d万千百十.]))?)?"
_SUF = r"(?:\s?(?P<suf>元|块钱|块|人民币|rmb|cny|yuan|usd|us dollars?|singapore dollars?|sg dollars?|dollars?|bucks|美元|美金|eur|euros?|欧元|gbp|pounds?|英镑|hkd|港币|港元|港纸|jpy|日元|日币|円|yen|twd|ntd|新台币|台币|蚊|sgd|aud|cad|chf|sek|nok|dkk|krw|韩元|inr|卢比|rupees?|aed|dirhams?|sar|riyals?|myr|ringgit|thb|baht|idr|vnd|brl|mxn|nzd|zar|\$|(?:€|£|₹|₩|¥|￥)(?!\s?\d)))?"
_AMOUNT = re.compile(_PRE + _NUM + _MUL + _SUF)

_MULTIPLIERS = {"千万": 1e7, "百万": 1e6, "亿": 1e8, "万": 1e4, "w": 1e4, "k": 1e3, "m": 1e6, "mil": 1e6, "mn": 1e6, "mm": 1e6,
                "million": 1e6, "mio": 1e6, "mio.": 1e6, "mln": 1e6, "thousand": 1e3, "grand": 1e3, "bn": 1e9, "billion": 1e9, "千": 1e3,
                "lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "lacs": 1e5, "crore": 1e7, "crores": 1e7, "cr": 1e7}
_INDIAN_MUL = ("lakh", "lakhs", "lac", "lacs", "crore", "crores", "cr")
_CURRENCY = {
    "us$": "USD", "usd": "USD", "$": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD", "美元": "USD", "美金": "USD",
    "us dollar": "USD", "us dollars": "USD", "hk$": "HKD", "hkd": "HKD", "港币": "HKD", "港元": "HKD", "港纸": "HKD", "蚊": "HKD",
    "nt$": "TWD", "twd": "TWD", "ntd": "TWD", "新台币": "TWD", "台币": "TWD", "s$": "SGD", "sgd": "SGD", "singapore dollars": "SGD", "singapore dollar": "SGD", "sg dollars": "SGD", "sg dollar": "SGD", "a$": "AUD",
    "aud": "AUD", "c$": "CAD", "cad": "CAD", "chf": "CHF", "sek": "SEK", "nok": "NOK", "dkk": "DKK", "krw": "KRW",
    "韩元": "KRW", "₩": "KRW", "inr": "INR", "卢比": "INR", "₹": "INR", "rs": "INR", "rs.": "INR", "rupees": "INR", "rupee": "INR", "aed": "AED", "dirham": "AED", "dirhams": "AED", "sar": "SAR", "riyal": "SAR",
    "riyals": "SAR", "myr": "MYR", "ringgit": "MYR", "thb": "THB", "baht": "THB", "idr": "IDR", "vnd": "VND", "brl": "BRL",
    "r$": "BRL", "mxn": "MXN", "nzd": "NZD", "zar": "ZAR",
    "rmb": "CNY", "cny": "CNY", "¥": "CNY", "￥": "CNY", "元": "CNY", "块": "CNY", "块钱": "CNY", "人民币": "CNY", "yuan": "CNY",
    "eur": "EUR", "€": "EUR", "euro": "EUR", "euros": "EUR", "欧元": "EUR",
    "gbp": "GBP", "£": "GBP", "pound": "GBP", "pounds": "GBP", "英镑": "GBP", "jpy": "JPY", "日元": "JPY", "日币": "JPY", "円": "JPY", "yen": "JPY",
}
# what follows a number that is a count, a date or a time, not money
_NOT_MONEY_AFTER = re.compile(
    r"^\s?(?:件|个|台|套|箱|吨|公斤|kg|千克|克|米|平|平米|平方|只|瓶|盒|包|袋|张|份|人|位|名|天|日|号|月|年|周|星期|次|家|款|种|条|"
    r"根|支|把|辆|部|批|层|楼|小时|分钟|点|时|岁|折|成|倍|%|％|units?\b|pcs\b|pieces?\b|boxes\b|box\b|cartons?\b|pallets?\b|"
    r"containers?\b|days?\b|weeks?\b|months?\b|years?\b|yrs?\b|hours?\b|hrs?\b|mins?\b|minutes?\b|percent\b|people\b|"
    r"employees\b|staff\b|sets?\b|tons?\b|tonnes?\b|items?\b|skus?\b|users?\b|seats?\b|licen[cs]es?\b|machines?\b|samples?\b|"
    r"am\b|pm\b|a\.m|p\.m|:|/\d|-\d|\.\d|st\b|nd\b|rd\b|th\b|x\b|kg\b|lbs?\b|km\b|cm\b|mm\b|ml\b|gb\b|mb\b|"
    r"sqm\b|sq\.?\s?(?:m|ft|feet|meters?|metres?)\b|sqft\b|m2\b|㎡|平方米|kwh\b|kw\b|mw\b|miles?\b|lit(?:er|re)s?\b|gallons?\b|"
    r"barrels?\b|bbl\b|teus?\b|feus?\b|views\b|visits\b|followers\b|downloads\b|words\b)"
)
_NOT_MONEY_BEFORE = re.compile(
    r"(?:invoice|inv|#|no\.?|number|po|order|ref|订单号|发票|发票号|单号|编号|合同号|tel|phone|mobile|电话|手机|room|ext|"
    r"版本|version|v|型号|model|第|/|:|-)\s*$"
)
_MONEY_CONTEXT = re.compile(
    r"(?:budget|price|priced|quote|quoted|quotation|deal size|worth|total|amount|valued at|value|invoice for|payment of|paid|pay|"
    r"deposit|compensation|refund|fee|fees|penalty|credit note|credit|rebate|discount of|一共|共计|合计|总计|总共|总价|总金额|费|降到|涨到|砍到|压到|谈到|让到|少到|预算|报价|价格|货款|金额|付款|回款|合同额|总价|单价|定金|订金|尾款|欠款|欠|收款|成交价|标的|赔偿|赔|补偿|罚款|退款|运费|费用|差价|开价|要价|出价|佣金|提成|押金|保证金)\s*(?:of|is|at|:|：|为|是|约|大概|around|about)?\s*$"
)
# things counted with 块 (slabs, boards, panels, pieces): "两百块板子" is no money
_BLOCK_NOUN = re.compile(r"(?:板|面板|光伏板|太阳能板|电路板|主板|钢板|木板|玻璃|屏|显示屏|表|手表|电池|砖|瓷砖|布|芯片|模组|组件|牌|蛋糕|石|地|镜片|香皂|肥皂|磁铁|海绵)")
_MONEY_WORDS_AFTER = re.compile(r"^\s?(?:的)?(?:货款|款|欠款|尾款|定金|预算|报价|订单|合同|生意|单子|的单|budget|deal|order|contract|(?:still )?(?:outstanding|overdue|unpaid|owing|owed)\b)")


# "80k labels", "12k more bottles": a plural noun right after a bare number counts things, unless it is money
_COUNT_NOUN_AFTER = re.compile(r"^\s?(?:(?:more|extra|additional|new|spare|empty|printed|custom|blank|plastic|paper|steel|glass|cotton|units? of)\s)?[a-z]{2,}s\b")
_MONEY_NOUN_AFTER = re.compile(
    r"^\s?(?:more\s|extra\s|additional\s)?(?:sales|savings|earnings|revenues?|funds|profits|costs|fees|payments|bills|dues|taxes|losses|"
    r"proceeds|arrears|invoices|deposits|commissions|bonus(?:es)?|terms|credits|rebates|discounts|premiums|refunds|bucks|dollars|euros|"
    r"pounds|rupees|yuan|riyals|dirhams|francs|pesos|reais|rands|kroner|kronor|ringgits|rupiahs|bahts|lakhs|crores|"
    r"is|was|has|this|plus|us|pa|as|its|in)\b")


MAX_AMOUNT = 1e12  # a trillion in any currency: more than a small team's deal; beyond it, a typo or a code


@dataclass
class Amount:
    value: float
    currency: str | None
    start: int
    end: int


_UNITS_EN = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                         "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS_EN = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES_EN = {"hundred": 100, "thousand": 1000, "grand": 1000, "million": 10 ** 6, "billion": 10 ** 9}
_NUMBER_WORD = "|".join([*_UNITS_EN, *_TENS_EN, *_SCALES_EN, "a", "and"])
_WORDS_AMOUNT = re.compile(
    rf"(?<![\d.]\s)(?<![\d.,])\b((?:(?:{_NUMBER_WORD})[\s-]+)*(?:{_NUMBER_WORD}))(?:\s+|\s*,\s*)(grand|dollars?|bucks|usd|us dollars|euros?|"
    r"pounds?|yuan|rmb|hkd|hong kong dollars)\b")


def _words_value(words: str) -> float | None:
    """"two hundred thousand" -> 200000."""
    total, current, seen = 0, 0, False
    for w in re.split(r"[\s-]+", words):
        if w in ("and",):
            continue
        if w == "a":
            current = max(current, 1)
        elif w in _UNITS_EN:
            current += _UNITS_EN[w]
        elif w in _TENS_EN:
            current += _TENS_EN[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w in _SCALES_EN:
            total += max(current, 1) * _SCALES_EN[w]
            current = 0
        else:
            return None
        seen = True
    return float(total + current) if seen and total + current > 0 else None


# "budget two million", "预算two million": a scale word said after money words, with no unit of its own
_WORDS_SCALE = re.compile(rf"(?<![a-z])((?:(?:{_NUMBER_WORD})[\s-]+)+(?:million|billion))(?![a-z])")


def _word_amounts(n: str) -> list["Amount"]:
    out = []
    for m in _WORDS_SCALE.finditer(n):
        v = _words_value(m.group(1))
        if v is not None and _MONEY_CONTEXT.search(n[max(0, m.start() - 14): m.start()]) and not _WORDS_AMOUNT.match(n, m.start()):
            out.append(Amount(v, None, m.start(), m.end()))
    for m in _WORDS_AMOUNT.finditer(n):
        v = _words_value(m.group(1))
        if v is not None and v >= 10:
            unit = m.group(2)
            if unit == "grand":  # "two hundred grand, US dollars": the currency may follow
                v *= 1000
                after = re.match(r"\s*,?\s*(us dollars|dollars|usd|rmb|yuan)\b", n[m.end():])
                unit = after.group(1) if after else "grand"
            currency = _CURRENCY.get(unit) or ("HKD" if "hong kong" in unit else _CURRENCY.get(unit.rstrip("s")))
            out.append(Amount(v, currency, m.start(), m.end()))
    return out


# "30-50万", "$20-25k", "15~20k/mo": a range whose unit follows its upper end; the lower end is the amount
_RANGE = re.compile(_PRE + r"(?P<lo>\d+(?:\.\d+)?)\s?(?P<lomul>万|w(?![a-z])|k(?![a-z])|m(?![a-z]))?\s?(?:-|~|–|到|至)\s?(?:us\$|hk\$|\$|¥|￥|€|£)?(?P<hi>\d+(?:\.\d+)?)"
                    r"\s?(?P<mul>万|w(?![a-z])|k(?![a-z])|m(?![a-z])|million|千(?![克米瓦]))" + _SUF)


def _range_amounts(n: str) -> list[Amount]:
    out = []
    for m in _RANGE.finditer(n):
        lo, hi = float(m.group("lo")), float(m.group("hi"))
        if m.group("lomul") and m.group("lomul") != m.group("mul"):
            continue  # "5k-1m": not one range
        if not 0 < lo <= hi:
            continue
        pre, suf, mul = m.group("pre"), m.group("suf"), m.group("mul")
        currency = next((_CURRENCY.get(x.strip()) for x in (pre, suf) if x and _CURRENCY.get(x.strip())), None)
        if currency is None and mul in ("万", "w"):
            currency = "CNY"
        if currency is None and mul == "千" or not (currency or mul in ("万", "w", "k", "m", "million")):
            continue
        out.append(Amount(lo * _MULTIPLIERS[mul], currency, m.start("pre") if pre else m.start("lo"), m.end()))
    return out


# Chinese numerals spoken word by word: "三百 五十 万" is 3,500,000 (read without the spaces, spans mapped back)
_SPOKEN_NUMERAL_GAP = re.compile(r"(?<=[零一二两三四五六七八九十百千]) {1,2}(?=[零一二两三四五六七八九十百千万亿])")


def find_amounts(n: str) -> list[Amount]:
    from .when.normalize import without

    spoken = without(n, _SPOKEN_NUMERAL_GAP)
    if spoken is None:
        return _find_amounts(n)
    tight, where = spoken
    return [Amount(a.value, a.currency, where[a.start], where[a.end - 1] + 1) for a in _find_amounts(tight)]


def _find_amounts(n: str) -> list[Amount]:
    out: list[Amount] = _word_amounts(n) if re.search(r"dollar|buck|usd|euro|pound|yuan|rmb|hkd|grand|illion", n) else []
    if re.search(r"\d\s?[kmw万]?\s?(?:-|~|–|到|至)\s?\D?\d", n):
        out += [a for a in _range_amounts(n) if not any(a.start < b.end and b.start < a.end for b in out)]
    for m in _AMOUNT.finditer(n):
        try:
            a = _read(n, m)
        except Exception:
            a = None
        if a is not None and not any(a.start < b.end and b.start < a.end for b in out):
            out.append(a)
    out.sort(key=lambda a: a.start)
    # "the invoice 2,000 wrong, actually should be 1,800": the number said as the right sum is the sum
    for m in _CORRECTED_TO.finditer(n):
        first = next((a for a in out if a.start <= m.start("first") < a.end), None)
        if first is None and not _BILL_BEFORE.search(n, max(0, m.start() - 20), m.start()):
            continue
        v = float(m.group("num").replace(",", ""))
        if 0 < v < MAX_AMOUNT and not any(b.start < m.end() and m.start("num") < b.end for b in out):
            out = [a for a in out if a is not first] + [Amount(v, first.currency if first else None, m.start("num"), m.end())]
    out.sort(key=lambda a: a.start)
    # "R$200k? no, USD 40k", "三万，不对，是三万五": the speaker corrected the sum
    return [a for a, b in zip(out, out[1:] + [None]) if b is None or not _CORRECTED.match(n, a.end, b.start)]


_CORRECTED = re.compile(r"[\s?？!！,，.。]*(?:(?:is\s+)?(?:wrong|incorrect)[\s,，.]*)?(?:(?:呃|嗯|um|uh|er)[\s,，]*)?"
                        r"(?:no|nope|sorry|actually|i mean|wait|不对|不是|说错了?|错了|应该是|更正)(?![a-z])[\s,，:：]*"
                        r"(?:it'?s|it should be|should be|make it|是|应该是)?\s*~?$")
_BILL_BEFORE = re.compile(r"(?<![a-z])(?:invoice|bill|amount|price|total|quote|payment|charge|fee)s?\s*(?:#?\w+\s+)?(?:of\s+)?$")
_CORRECTED_TO = re.compile(r"(?P<first>\d[\d,]*(?:\.\d+)?)\s*k?[\s?？!！,，.。]*(?:(?:is\s+)?(?:wrong|incorrect)[\s,，.]*)(?:no|sorry|actually|i mean)?[\s,，]*"
                           r"(?:it\s+)?(?:should be|should have been|must be|is really)\s+(?P<num>\d[\d,]*(?:\.\d+)?)(?![\d%])")


def _read(n: str, m: re.Match) -> Amount | None:
    num_s, pre, mul, suf, tail = m.group("num"), m.group("pre"), m.group("mul"), m.group("suf"), m.group("tail")
    s = m.start("pre") if pre else m.start("num")
    e = m.end()
    # a number glued to letters or digits before it is part of a code ("inv1043", "A380")
    if s > 0 and not pre and (n[s - 1].isalnum() and not ("\u4e00" <= n[s - 1] <= "\u9fff")):
        return None
    if num_s[0].isdigit() and (pre or "").strip() == "€" and re.fullmatch(r"\d{1,3}\.\d{3}", num_s) and not mul:
        value, digits = float(num_s.replace(".", "")), len(num_s) - 1  # "€18.400": a thousands point
    elif num_s[0].isdigit():
        plain = re.sub(r"[,'’]", "", num_s)  # 45,000  12,00,000  CHF 120'000
        value = float(plain)
        digits = len(plain.split(".")[0])
    else:
        v = cn_number(num_s)
        if v is None:
            return None
        value = v
        digits = 0
    after = n[e: e + 24]
    before = n[max(0, s - 14): s]
    if suf == "块" and _BLOCK_NOUN.match(n, e):
        return None  # 两百块板子, 50块玻璃: 块 counts things there
    if s > 0 and n[s - 1] == "双" and not pre:
        return None  # 双十一, 双11, 双十二: shopping festivals
    if not pre and not suf and _COUNT_NOUN_AFTER.match(after) and not _MONEY_NOUN_AFTER.match(after):
        return None  # "80k labels", "5,000 bottles": a count of things
    if _NOT_MONEY_AFTER.match(after) and not suf and not pre:
        return None
    if not pre and not suf and _NOT_MONEY_BEFORE.search(before):
        return None
    if mul == "m" and not (pre or suf) and digits >= 4:
        return None  # "2,000m fabric": metres; a thousand million goes with a currency
    if mul:
        value *= _MULTIPLIERS[mul]
        if tail and mul in ("万", "w"):  # 3万5 = 35000
            t = float(tail) if tail.isdigit() else float(_CN_DIGITS.get(tail, 0))
            value += t * 1000
    has_marker = bool(pre or suf)
    wan = "万" in num_s  # 十五万五千, 四万五: the ten-thousands are inside the numeral
    money_mul = wan or mul in ("万", "w", "亿", "千万", "百万", "k", "m", "mil", "mn", "mm", "million", "mio", "mio.", "mln", "thousand", "grand", "bn", "billion", *_INDIAN_MUL)
    if not has_marker and not money_mul:
        # a bare number: money only when the words around it say so ("budget 5000", "报价5000", "8000的货款")
        if not (_MONEY_CONTEXT.search(before) or _MONEY_WORDS_AFTER.match(after)) or value < 10:
            return None
        if mul == "千" and not _MONEY_CONTEXT.search(before) and not _MONEY_WORDS_AFTER.match(after):
            return None
    if not has_marker and not mul and digits == 4 and 1990 <= value <= 2100 and "." not in num_s:
        return None  # "2027 budget approved": a year
    if not has_marker and digits >= 7 and not mul:
        return None  # phone numbers and the like
    if value <= 0 or not value < MAX_AMOUNT:  # also inf and NaN: a 400-digit "amount" is no money
        return None
    currency = None
    for mark in (pre, suf):
        if mark:
            currency = _CURRENCY.get(mark.strip()) or currency
    if currency is None and (wan or mul in ("万", "w", "亿", "千万", "百万")):
        currency = "CNY"
    if currency is None and mul in _INDIAN_MUL:
        currency = "INR"  # lakh and crore are Indian numbering
    if currency is None and mul == "千" and not pre:
        currency = None
    return Amount(value, currency, s, e)


def names_absurd_amount(n: str) -> bool:
    """The note names money too large to be real (a typo or a code, 1e12 and more): kept out, and flagged as unsure."""
    for m in _AMOUNT.finditer(n):
        if not (m.group("pre") or m.group("suf") or m.group("mul")):
            continue
        num = re.sub(r"[,'’]", "", m.group("num"))
        try:
            value = float(num) if num[0].isdigit() else (cn_number(num) or 0)
        except (ValueError, OverflowError):
            value = float("inf")
        if m.group("mul"):
            value *= _MULTIPLIERS.get(m.group("mul"), 1)
        if value >= MAX_AMOUNT:
            return True
    return False


_TOTAL_BEFORE = re.compile(r"(?:=|\btotal(?:ling|ing)?\b|\bin total\b|\bcomes to\b|合计|总计|共计|一共|总共|总价|总额|总金额|总数|(?<=[，,\s])共)\s*(?:of|is|:|：|为|是)?\s*(?:about|around|approx\.?|约|大概)?\s*$")


def find_amount(n: str) -> tuple[float | None, str | None]:
    """The money the note names (the first amount), with its currency."""
    found = find_amounts(n)
    if not found:
        return None, None
    a = total_of(n, found) or found[0]
    return a.value, a.currency


def total_of(n: str, found: list[Amount]) -> Amount | None:
    """"200 pcs @ ¥35 = ¥7,000", "£4,200 per truck = £12,600", "total $21,600": the total, when the note works one out."""
    return next((x for x in found if _TOTAL_BEFORE.search(n, max(0, x.start - 16), x.start)), None)
