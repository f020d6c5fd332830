"""A small sample team for `crmbot chat --demo`: three people, a dozen customers, some history."""
from __future__ import annotations

import datetime as dt

from sqlmodel import select

from storage import crm
from storage.models import Customer, Interaction, Team

DEMO_TEAM = "Demo Trading 演示贸易"

# name, company, aliases, phone, email, owner, tier, birthday, lunar birthday
CUSTOMERS = [
    ("王伟", "华东机电有限公司", ["王总"], "13900000001", None, "me", "important", None, "08-15"),
    ("李娜", "李氏食品", [], "13900000002", "lina@lishi.example", "me", "general", "03-08", None),
    ("张强", "星河贸易", [], "13900000003", None, "alice", "general", None, None),
    ("张丽", "张记餐饮", [], "13900000004", None, "alice", "special", None, None),
    ("陈刚", "蓝海科技", ["陈总"], "13900000005", None, "bob", "important", "12-01", None),
    ("周敏", "敏达医疗", [], "13900000006", None, "bob", "general", None, None),
    ("Acme Trading Co.", "Acme Trading Co.", ["Acme"], "+1-555-0100", "buy@acme.example", "me", "important", None, None),
    ("Tom Baker", "Baker Logistics", [], "+1-555-0102", "tom@baker.example", "alice", "general", None, None),
    ("Emma Wilson", "Northwind Traders", [], "+1-555-0103", "emma@northwind.example", "me", "special", "07-14", None),
    ("刘芳", "芳华药业", [], "13900000010", None, "me", "important", None, None),
    ("Globex", "Globex Corporation", ["Globex Corp"], "+1-555-0111", None, "bob", "important", None, None),
    ("孙浩", "浩瀚软件", [], "13900000012", None, "alice", "general", None, None),
]

# customer, days ago, channel, text, amount, currency, risk, outcome
HISTORY = [
    ("王伟", 40, "visit", "拜访王总，谈了明年的采购计划", None, None, [], None),
    ("王伟", 20, "call", "王总来电确认订单", 300000, "CNY", [], "won"),
    ("Acme Trading Co.", 25, "email", "Acme complained about late delivery", None, None, ["complaint"], None),
    ("陈刚", 10, "call", "陈总说货款要拖到下个月", None, None, ["overdue_payment"], None),
    ("刘芳", 70, "meeting", "刘芳来公司参观", None, None, [], None),
    ("Globex", 5, "meeting", "Globex signed, 80k USD", 80000, "USD", [], "won"),
    ("张强", 3, "call", "张强询价", None, None, [], None),
]


async def load_demo(session, you: str, clock_now: dt.datetime, timezone: str = "Asia/Shanghai") -> Team:
    """Create the demo team once; later calls return it unchanged (so a restart keeps your data)."""
    team = (await session.exec(select(Team).where(Team.name == DEMO_TEAM))).first()
    if team is not None:
        return team
    team = await crm.create_team(session, DEMO_TEAM, timezone)
    me = await crm.create_member(session, team, you, role="admin", platform="console", user_id=you, language="en")
    alice = await crm.create_member(session, team, "alice", role="rep", platform="console", user_id="alice", manager_id=me.id)
    bob = await crm.create_member(session, team, "bob", role="rep", platform="console", user_id="bob", language="zh", manager_id=me.id)
    owners = {"me": me, "alice": alice, "bob": bob}
    by_name = {}
    for name, company, aliases, phone, email, owner, tier, birthday, lunar in CUSTOMERS:
        c = Customer(team_id=team.id, name=name, company=company, aliases=aliases, phone=phone, email=email, owner_id=owners[owner].id, tier=tier, birthday=birthday, lunar_birthday=lunar, stage="active", created_at=clock_now - dt.timedelta(days=90), updated_at=clock_now)
        by_name[name] = await crm.add_customer(session, c)
    for name, days, channel, text, amount, currency, risk, outcome in HISTORY:
        c = by_name[name]
        at = clock_now - dt.timedelta(days=days)
        await crm.add_interaction(
            session,
            Interaction(team_id=team.id, customer_id=c.id, author_id=c.owner_id, channel=channel, text=text, occurred_at=at, amount=amount, currency=currency, risk=risk, outcome=outcome),
        )
    return team
