"""Long lists, phone-sized: what a paged list is, for the pushes (the morning overdue list) and the
replies (/find, /tasks) alike.

A list longer than a page shows its first PAGE_SIZE items and a "More" button. The button's prompt
(kind KIND) keeps the ids the list was made of, in order, when it was made; its payload names the
offset of the page it shows (p:PROMPT:OFFSET), so each press shows exactly the next PAGE_SIZE of those
ids: no item twice, none skipped, whatever changed in between, and a page pressed again is the same page.
handlers/paging.py answers the press (the list's name says how its items are drawn).
"""
from __future__ import annotations

from chat.messages import Button

PAGE_SIZE = 10  # items on one page: a phone's screen
MAX_IDS = 1000  # ids a list keeps for its pages (a longer one says so on its last page)
KIND = "page"  # the prompt kind of a "More" button

_MORE = ("More ▸ ({n})", "更多 ▸（还有 {n} 条）")
_ALL_TASKS = ("All {n} follow-ups ▸", "全部 {n} 个跟进 ▸")
_TASKS_HEAD = ("{customer} · {n} open follow-ups:", "{customer} · {n} 个未完成跟进：")
_RANGE = ("{first}–{last} of {n}", "第 {first}–{last} 条，共 {n} 条")


def prompt_data(list_name: str, head: str, ids: list[int], extra: dict | None = None) -> dict:
    """What a "More" button's prompt keeps: the list's name, its head line, its ids in order, and what
    drawing its items needs besides (e.g. whether to name each task's assignee)."""
    return {"list": list_name, "head": head, "ids": list(ids[:MAX_IDS]), "total": len(ids)} | ({"extra": extra} if extra else {})


def more_label(left: int, lang: str) -> str:
    """A "More" button's label; `left`: the items from the next page on."""
    en, zh = _MORE
    return (zh if lang == "zh" else en).format(n=left)


def more_button(prompt_id: str, offset: int, left: int, lang: str) -> Button:
    """The button that shows the page starting at `offset`; `left`: the items from there on."""
    return Button(more_label(left, lang), f"p:{prompt_id}:{offset}")


def range_line(offset: int, shown: int, total: int, lang: str) -> str:
    """Where this page is in the list: "11–20 of 40"."""
    en, zh = _RANGE
    return (zh if lang == "zh" else en).format(first=offset + 1, last=offset + shown, n=total)


def all_tasks_label(n: int, lang: str) -> str:
    """The button under a customer card whose follow-ups do not all fit on it."""
    en, zh = _ALL_TASKS
    return (zh if lang == "zh" else en).format(n=n)


def tasks_head(customer: str, n: int, lang: str) -> str:
    """The head line of a customer's follow-ups, paged."""
    en, zh = _TASKS_HEAD
    return (zh if lang == "zh" else en).format(customer=customer, n=n)
