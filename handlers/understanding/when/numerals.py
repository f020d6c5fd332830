"""Numbers as people type them in dates: Arabic, Chinese numerals, English words.

Text is normalised first (normalize.py), so digits here are ASCII and Chinese is
Simplified. Each pattern below is a regex *fragment* meant to be embedded in the
rule regexes of zh.py / en.py; the matching ``*_value`` function turns the matched
text into an int.
"""
from __future__ import annotations

import re

# --- Chinese -----------------------------------------------------------------

_ZH_DIGIT = {"零": 0, "〇": 0, "o": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# 廿 = 20 and 卅 = 30 are still common in dates (廿五号).
_ZH_UNIT = {"十": 10, "廿": 20, "卅": 30, "百": 100}

# A number in Chinese or Arabic digits (not both mixed, except 2十 which nobody types).
ZH_NUM = r"(?:\d{1,4}|[零〇一二两三四五六七八九十廿卅百]{1,5})"
# Counts in durations also take 几 ("几天后" is vague, so we leave it out) and 半.
ZH_DIGITS_YEAR = r"(?:\d{4}|\d{2}|[零〇一二三四五六七八九]{4}|[零〇一二三四五六七八九]{2})"


def zh_value(s: str) -> int | None:
    """Value of a Chinese or Arabic numeral: 三 3, 十五 15, 二十三 23, 廿五 25, 两 2,
    二零一五 2015 (digit by digit), 12 12. None when it is not a number."""
    if not s:
        return None
    if s.isdigit() and s.isascii():
        return int(s)
    if all(c in _ZH_DIGIT for c in s) and len(s) > 1:
        # Read digit by digit: 二零一五 (years), 一五 is rare but harmless.
        return int("".join(str(_ZH_DIGIT[c]) for c in s))
    total, current = 0, 0
    for c in s:
        if c in _ZH_DIGIT:
            current = _ZH_DIGIT[c]
        elif c in _ZH_UNIT:
            unit = _ZH_UNIT[c]
            if c in "廿卅":
                total += unit  # 廿 is "二十": no multiplier in front
                current = 0
                continue
            total += (current or 1) * unit
            current = 0
        else:
            return None
    return total + current


# --- English -----------------------------------------------------------------

_EN_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
            "seventeen", "eighteen", "nineteen"]
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_EN_WORD = {w: i for i, w in enumerate(_EN_ONES)} | _EN_TENS
_EN_ORD_ONES = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh",
                "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth",
                "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth"]
_EN_ORD = {w: i for i, w in enumerate(_EN_ORD_ONES)} | {"twentieth": 20, "thirtieth": 30}

_ONES_ALT = "|".join(sorted(_EN_ONES[1:10], key=len, reverse=True))
_TEENS_ALT = "|".join(sorted(_EN_ONES[10:] + ["zero"], key=len, reverse=True))
_TENS_ALT = "|".join(_EN_TENS)
# "twenty three", "twenty-three", "fifty nine"; longest alternatives first.
EN_NUM_WORD = rf"(?:(?:{_TENS_ALT})(?:[- ](?:{_ONES_ALT}))?|{_TEENS_ALT}|{_ONES_ALT})"
# Counts in "in N days", "N weeks ago": digits, words, "a", "an", "a couple (of)", "a few".
EN_COUNT = rf"(?:\d{{1,3}}|{EN_NUM_WORD}|an?|a\s+couple(?:\s+of)?|couple(?:\s+of)?|a\s+few|few|several)"

_ORD_ONES_ALT = "|".join(sorted(_EN_ORD_ONES[1:10], key=len, reverse=True))
# Ordinal days: "1st", "23rd", "first", "twenty-third", "thirtieth".
EN_ORDINAL = (rf"(?:\d{{1,2}}(?:st|nd|rd|th)|(?:twenty|thirty)[- ](?:{_ORD_ONES_ALT})"
              rf"|{'|'.join(sorted(_EN_ORD, key=len, reverse=True))})")

_SPACE = re.compile(r"[\s-]+")


def en_value(s: str) -> int | None:
    """Value of an English count, cardinal or ordinal: 'three' 3, 'twenty-three' 23,
    '23rd' 23, 'a' 1, 'a couple of' 2, 'a few' 3. None when not a number."""
    s = s.strip()
    if not s:
        return None
    if s[:1].isdigit():
        digits = re.match(r"\d+", s)
        return int(digits.group()) if digits else None
    if s in ("a", "an"):
        return 1
    if "couple" in s:
        return 2
    if "few" in s or s == "several":
        return 3
    total = 0
    for w in _SPACE.split(s):
        if w in _EN_WORD:
            total += _EN_WORD[w]
        elif w in _EN_ORD:
            total += _EN_ORD[w]
        else:
            return None
    return total
