"""The 客户管理方案表 (customer management plan): one row per customer with tier, stage, owner, contact
plan (how often, next date), last contact, open risks and the next step — in the team's language
(Chinese values for a Chinese team). Written by `crmbot export`; cells are neutralised against formula
injection by storage/exporter.py's writers.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlmodel import col, select

from . import contact_plan
from .models import Customer, Member, Task, Team

HEADERS = {
    "en": ["customer", "company", "tier", "stage", "owner", "contact every (days)", "next contact", "last contact", "open risks", "next step"],
    "zh": ["客户名称", "公司", "级别", "阶段", "负责人", "联系频率", "下次联系", "最近联系", "未解决风险", "下一步"],
}
TITLE = {"en": "Customer plan", "zh": "客户管理方案表"}
TIER = {"en": {"important": "important", "special": "special", "general": "general"}, "zh": {"important": "重要", "special": "特殊", "general": "普通"}}
STAGE = {
    "en": {"potential": "potential", "new": "new", "active": "active", "loyal": "loyal", "churned": "churned"},
    "zh": {"potential": "潜在", "new": "新客户", "active": "活跃", "loyal": "忠诚", "churned": "流失"},
}
RISK = {
    "en": {"overdue_payment": "overdue payment", "complaint": "complaint", "churn": "churn risk", "distress": "in distress"},
    "zh": {"overdue_payment": "欠款逾期", "complaint": "投诉", "churn": "流失风险", "distress": "经营困难"},
}
ORDER = {"important": 0, "special": 1}


async def team_language(session, team_id: int, default: str = "en") -> str:
    """The language most of the team's active members write (ties and empty teams: default)."""
    langs = Counter((await session.exec(select(Member.language).where(Member.team_id == team_id, Member.active == True))).all())  # noqa: E712
    ranked = langs.most_common()
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return default
    return "zh" if ranked[0][0] == "zh" else "en"


async def plan_rows(session, team_id: int, zone, lang: str, now: dt.datetime, settings=None) -> list[list]:
    """Important customers first, then special, then general; by name within a tier."""
    owners = {m.id: m.display_name for m in (await session.exec(select(Member).where(Member.team_id == team_id))).all()}
    first_task: dict[int, Task] = {}
    stmt = select(Task).where(Task.team_id == team_id, Task.status == "open", col(Task.customer_id).is_not(None)).order_by(col(Task.due_at).is_(None), col(Task.due_at), col(Task.id))
    for task in (await session.exec(stmt)).all():
        first_task.setdefault(task.customer_id, task)
    customers = (await session.exec(select(Customer).where(Customer.team_id == team_id))).all()
    team = await session.get(Team, team_id)  # its own contact plan, else the settings'
    rows = []
    for c in sorted(customers, key=lambda c: (ORDER.get(c.tier, 2), c.name)):
        every = contact_plan.contact_days(c.tier, settings, team)
        planned = contact_plan.next_contact(c, settings, team)
        task = first_task.get(c.id)
        if task is not None and task.due_at is not None:
            planned = min(planned, task.due_at)
        next_day = max(planned.astimezone(zone).date(), now.astimezone(zone).date())
        rows.append(
            [
                c.name,
                c.company or "",
                TIER[lang].get(c.tier, c.tier),
                STAGE[lang].get(c.stage, c.stage),
                owners.get(c.owner_id, ""),
                f"每{every}天" if lang == "zh" else every,
                next_day.isoformat(),
                c.last_contact_at.astimezone(zone).date().isoformat() if c.last_contact_at else "",
                ("、" if lang == "zh" else ", ").join(RISK[lang].get(r, r) for r in c.last_risk or []),
                _next_step(task, zone, lang),
            ]
        )
    return rows


def _next_step(task: Task | None, zone, lang: str) -> str:
    if task is None:
        return "按计划联系" if lang == "zh" else "contact as planned"
    if task.due_at is None:
        return task.text
    return f"{task.due_at.astimezone(zone).date().isoformat()} {task.text}"
