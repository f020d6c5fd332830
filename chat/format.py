"""Phone-sized renderings of dates, money and records, in English or Chinese."""
from __future__ import annotations

import datetime as dt

ZH_WEEKDAYS = "一二三四五六日"
CHANNEL = {
    "en": {"call": "call", "visit": "visit", "meeting": "meeting", "email": "email", "message": "message", "other": "note"},
    "zh": {"call": "电话", "visit": "拜访", "meeting": "会面", "email": "邮件", "message": "消息", "other": "备注"},
}
RISK = {
    "en": {"overdue_payment": "overdue payment", "complaint": "complaint", "churn": "churn risk", "distress": "in distress"},
    "zh": {"overdue_payment": "欠款逾期", "complaint": "投诉", "churn": "流失风险", "distress": "经营困难"},
}
OUTCOME = {"en": {"won": "won", "lost": "lost"}, "zh": {"won": "成交", "lost": "丢单"}}
TIER = {"en": {"important": "important", "special": "special", "general": "general"}, "zh": {"important": "重要", "special": "特殊", "general": "普通"}}
STAGE = {
    "en": {"potential": "potential", "new": "new", "active": "active", "loyal": "loyal", "churned": "churned"},
    "zh": {"potential": "潜在", "new": "新客户", "active": "活跃", "loyal": "忠诚", "churned": "流失"},
}


def day(d: dt.date, lang: str, today: dt.date | None = None) -> str:
    if today is not None:
        delta = (d - today).days
        words = {"en": {0: "today", 1: "tomorrow", -1: "yesterday"}, "zh": {0: "今天", 1: "明天", -1: "昨天"}}[lang]
        if delta in words:
            return words[delta]
    if lang == "zh":
        text = f"{d.month}月{d.day}日(周{ZH_WEEKDAYS[d.weekday()]})"
    else:
        text = f"{d.strftime('%a')} {d.day} {d.strftime('%b')}"
    if today is not None and d.year != today.year:
        text = f"{d.year} {text}" if lang == "en" else f"{d.year}年{text}"
    return text


def due(due_at: dt.datetime | None, has_time: bool, zone, lang: str, today: dt.date | None = None) -> str:
    if due_at is None:
        return "未定日期" if lang == "zh" else "no date"
    local = due_at.astimezone(zone)
    text = day(local.date(), lang, today)
    if has_time:
        text += f" {local:%H:%M}"
    return text


def money(amount: float | None, currency: str | None, lang: str) -> str:
    if amount is None:
        return ""
    if lang == "zh" and currency in (None, "CNY") and amount >= 10000 and amount % 100 == 0:
        value = amount / 10000
        number = f"{value:g}万"
        return number + ("元" if currency == "CNY" else "")
    number = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"
    return f"{number} {currency}" if currency else number


def ago(then: dt.datetime | None, now: dt.datetime, lang: str) -> str:
    if then is None:
        return "从未联系" if lang == "zh" else "never"
    days = (now.date() - then.astimezone(now.tzinfo).date()).days
    if days <= 0:
        return "今天" if lang == "zh" else "today"
    return f"{days}天前" if lang == "zh" else (f"{days} day ago" if days == 1 else f"{days} days ago")


def clip(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
