"""Holiday and birthday greetings: on the working day before, each salesperson gets one message
listing the customers to greet (important first), each with a ready-to-copy greeting in the
customer's language. A greeting whose holiday has begun is never sent (the row expires)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_
from sqlmodel import col, select

from chat import format as fmt
from chat.messages import Outgoing
from storage.models import Customer, Member

from . import birthdays, festivals, push, workdays
from .destinations import member_destinations
from .texts import lang_of, t

LOOKAHEAD = 20  # days; longer than any run of days off before a holiday
MAX_CUSTOMERS = 10
TIER_ORDER = {"important": 0, "special": 1, "general": 2}

GREETINGS: dict[str, tuple[str, str]] = {
    "new_year": ("Happy New Year, {name}! All the best for the year ahead.", "{name}您好，元旦快乐！新的一年万事顺意！"),
    "spring": ("Happy Chinese New Year, {name}! Wishing you health and a prosperous year.", "{name}您好，新春快乐！祝您阖家幸福，生意兴隆！"),
    "lantern": ("Happy Lantern Festival, {name}! Wishing you and your family a bright year.", "{name}您好，元宵节快乐！祝您团团圆圆，事事顺心！"),
    "dragon_boat": ("Happy Dragon Boat Festival, {name}! Wishing you good health.", "{name}您好，端午安康！祝您身体健康，一切顺利！"),
    "mid_autumn": ("Happy Mid-Autumn Festival, {name}! Wishing you a joyful family reunion.", "{name}您好，中秋快乐！祝您花好月圆，阖家团圆！"),
    "national": ("Happy National Day, {name}! Enjoy the holiday.", "{name}您好，国庆快乐！祝您假期愉快！"),
    "birthday": ("Happy birthday, {name}! Wishing you a wonderful year ahead.", "{name}您好，祝您生日快乐，身体健康，事业顺利！"),
}
OTHER = ("Happy {holiday}, {name}! Best wishes.", "{name}您好，{holiday}快乐！")


def customer_language(customer: Customer) -> str:
    if customer.language in ("zh", "en"):
        return customer.language
    return "zh" if any("\u3400" <= ch <= "\u9fff" for ch in customer.name) else "en"


def greeting(kind: str, customer: Customer, holiday: festivals.Festival | None = None) -> str:
    lang = customer_language(customer)
    en, zh = GREETINGS.get(kind, OTHER)
    holiday_name = holiday.name(lang) if holiday else ""
    return (zh if lang == "zh" else en).format(name=customer.name, holiday=holiday_name)


def _order(customers: list[Customer]) -> list[Customer]:
    return sorted(customers, key=lambda c: (TIER_ORDER.get(c.tier, 3), c.name, c.id or 0))


def _star(c: Customer) -> str:
    return "⭐" if c.tier == "important" else "•"


def holiday_key(festival: festivals.Festival, member_id: int) -> str:
    return f"greeting:{festival.key}:{festival.day.isoformat()}:member:{member_id}"


BIRTHDAY_COLUMNS = (Customer.id, Customer.owner_id, Customer.name, Customer.tier, Customer.language, Customer.birthday, Customer.lunar_birthday)


def birthday_key(member_id: int, greet_day: dt.date) -> str:
    return f"birthdays:member:{member_id}:{greet_day.isoformat()}"


async def scan_holidays(app, now: dt.datetime, memo=None) -> int:
    settings = app.settings
    country = settings.holiday_country
    async with app.db.read() as session:
        members, due = await workdays.active_members_at_work(session, now, settings, memo, "holidays")
        plans = []  # (member, tz, today, festival)
        for member, tz, today in due.values():
            for festival in festivals.between(country, today, today + dt.timedelta(days=LOOKAHEAD)):
                greet_day = workdays.previous_working_day(festival.day, settings, country)
                if greet_day <= today < festival.day:
                    plans.append((member, tz, today, festival, greet_day))
        done = await push.existing_keys(session, [holiday_key(p[3], p[0].id) for p in plans])
        plans = [p for p in plans if holiday_key(p[3], p[0].id) not in done]
        customers = await _customers_of(session, {p[0].id for p in plans})
    queued = await _queue_holidays(app, now, plans, customers) if plans else 0
    if memo is not None:
        for member, _tz, today in due.values():
            memo.done("holidays", member.id, today)
    return queued


async def _customers_of(session, owner_ids) -> dict[int, list[Customer]]:
    if not owner_ids:
        return {}
    rows = (await session.exec(select(Customer).where(col(Customer.owner_id).in_(list(owner_ids)), Customer.stage != "churned"))).all()
    out: dict[int, list[Customer]] = {}
    for c in rows:
        out.setdefault(c.owner_id, []).append(c)
    return out


async def _queue_holidays(app, now, plans, customers) -> int:
    queued = 0
    async with app.db.write() as session:
        dests = await member_destinations(session, [p[0].id for p in plans])
        for member, tz, today, festival, greet_day in plans:
            mine = _order(customers.get(member.id, []))
            dest = dests.get(member.id)
            if not mine or dest is None:
                continue
            late = greet_day < today
            text = render_holiday(member, festival, mine, today, late)
            meta = {"expires_at": workdays.at_local(festival.day, dt.time(0, 0), tz).isoformat()}
            if await push.queue(session, key=holiday_key(festival, member.id), kind="greeting", dest=dest, message=Outgoing(text), due_at=now, member_id=member.id, late=late, meta=meta):
                queued += 1
    return queued


def render_holiday(member: Member, festival: festivals.Festival, customers: list[Customer], today: dt.date, late: bool) -> str:
    lang = lang_of(member.language)
    lines = [t("holiday_head", lang, icon=festival.icon, holiday=festival.name(lang), when=fmt.day(festival.day, lang, today), n=len(customers))]
    for c in customers[:MAX_CUSTOMERS]:
        lines.append(f"{_star(c)} {greeting(festival.key, c, festival)}")
    if len(customers) > MAX_CUSTOMERS:
        lines.append(t("greet_more", lang, n=len(customers) - MAX_CUSTOMERS))
    if late:
        lines.append(t("late", lang))
    return "\n".join(lines)


async def scan_birthdays(app, now: dt.datetime, memo=None) -> int:
    settings = app.settings
    country = settings.holiday_country
    async with app.db.read() as session:
        members, due = await workdays.active_members_at_work(session, now, settings, memo, "birthdays")
        done = await push.existing_keys(session, [birthday_key(mid, today) for mid, (_m, _tz, today) in due.items()])
        due = {mid: v for mid, v in due.items() if birthday_key(mid, v[2]) not in done}
        found: dict[int, list[tuple[Customer, dt.date, bool]]] = {}
        by_today: dict[dt.date, list[int]] = {}
        for mid, (_m, _tz, today) in due.items():
            by_today.setdefault(today, []).append(mid)
        for today, owner_ids in by_today.items():
            days = [today + dt.timedelta(days=i) for i in range(1, LOOKAHEAD + 1)]
            days = [d for d in days if workdays.previous_working_day(d, settings, country) <= today]
            solar, lunar = birthdays.keys_for(days)
            # light rows (what a line and its greeting show), found through the birthday indexes
            stmt = select(*BIRTHDAY_COLUMNS).where(
                col(Customer.owner_id).in_(owner_ids),
                or_(col(Customer.birthday).in_(list(solar)), col(Customer.lunar_birthday).in_(list(lunar))),
            )
            for c in (await (await session.connection()).execute(stmt)).all():
                if c.birthday in solar:
                    found.setdefault(c.owner_id, []).append((c, solar[c.birthday], False))
                if c.lunar_birthday in lunar:
                    found.setdefault(c.owner_id, []).append((c, lunar[c.lunar_birthday], True))
    queued = 0
    if found:
        async with app.db.write() as session:
            dests = await member_destinations(session, found)
            for mid, items in found.items():
                member, tz, today = due[mid]
                dest = dests.get(mid)
                if dest is None:
                    continue
                items.sort(key=lambda x: (x[1], TIER_ORDER.get(x[0].tier, 3), x[0].name))
                meta = {"expires_at": workdays.end_of_day(items[0][1], tz).isoformat()}
                text = render_birthdays(member, items, today)
                if await push.queue(session, key=birthday_key(mid, today), kind="birthday", dest=dest, message=Outgoing(text), due_at=now, member_id=mid, meta=meta):
                    queued += 1
    if memo is not None:
        for mid, (_m, _tz, today) in due.items():
            memo.done("birthdays", mid, today)
    return queued


def render_birthdays(member: Member, items, today: dt.date) -> str:
    lang = lang_of(member.language)
    lines = [t("birthday_head", lang, n=len(items))]
    for c, day, is_lunar in items[:MAX_CUSTOMERS]:
        lines.append(t("birthday_line", lang, star=_star(c), customer=c.name, when=fmt.day(day, lang, today), lunar=t("lunar_mark", lang) if is_lunar else ""))
        lines.append("  " + greeting("birthday", c))
    if len(items) > MAX_CUSTOMERS:
        lines.append(t("more", lang, n=len(items) - MAX_CUSTOMERS))
    return "\n".join(lines)
