"""Numerals and normalisation under the date rules."""
import pytest

from handlers.understanding.when.normalize import normalize
from handlers.understanding.when.numerals import en_value, zh_value


@pytest.mark.parametrize("text,value", [
    ("3", 3), ("12", 12), ("一", 1), ("两", 2), ("十", 10), ("十一", 11), ("二十", 20),
    ("二十三", 23), ("三十一", 31), ("廿", 20), ("廿四", 24), ("卅", 30), ("零五", 5),
    ("〇八", 8), ("二〇二七", 2027), ("二零二五", 2025), ("一百二十", 120),
])
def test_zh_value(text, value):
    assert zh_value(text) == value


def test_zh_value_rejects_non_numbers():
    assert zh_value("") is None
    assert zh_value("个") is None


@pytest.mark.parametrize("text,value", [
    ("7", 7), ("seven", 7), ("twelve", 12), ("twenty one", 21), ("forty-five", 45),
    ("22nd", 22), ("third", 3), ("thirty-first", 31), ("a", 1), ("an", 1),
    ("a couple of", 2), ("a few", 3),
])
def test_en_value(text, value):
    assert en_value(text) == value


def test_en_value_rejects_words():
    assert en_value("banana") is None


@pytest.mark.parametrize("text", [
    "下個禮拜三下晝三點半", "聽日朝早", "尋日見咗佢", "１２月５號", "ＦＲＩＤＡＹ　３ＰＭ",
    "İstanbul trip 週五", "後日再講", "乾隆年間的發票", "臺灣客戶下週一來訪",
])
def test_normalize_keeps_length(text):
    assert len(normalize(text)) == len(text)


def test_normalize_maps_forms():
    assert normalize("下個禮拜三") == "下个礼拜三"
    assert normalize("１２／５") == "12/5"
    assert normalize("Next FRIDAY") == "next friday"
