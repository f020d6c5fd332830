"""A member's home page (Slack's App Home tab): their follow-ups due today and overdue, and the
customers they wrote about last. Neutral data only; bot/slack/home.py lays it out. The page's Done and
Snooze buttons come back as the commands /done N and /snooze N tomorrow, so they are stored, checked
and answered like any command.

Phone-sized: PAGE follow-ups at a time (each has a row of buttons), with "More" showing the next ones and
"First" going back (offsets, like reminders/pages.py: a page is drawn from what is due when it is shown;
the tab opens, and is refreshed after a change, at its first page)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select

from chat import format as fmt
from reminders import pages
from storage import crm
from storage.models import Customer, Interaction

from . import access

RECENT = 5
PAGE = 5  # follow-ups on one page of the tab: with their buttons, a phone's screen
TEXTS = {
    "title": ("Your follow-ups", "我的跟进"),
    "none": ("Nothing due today. 🎉", "今天没有要跟进的。🎉"),
    "first": ("◂ First", "◂ 第一页"),
    "recent": ("Recent customers", "最近的客户"),
    "no_recent": ("No notes yet.", "还没有记录。"),
    "done": ("Done", "完成"),
    "snooze": ("Tomorrow", "明天"),
    "overdue": ("overdue", "已逾期"),
}


def text(key: str, lang: str, **kw) -> str:
    en, zh = TEXTS[key]
    return (zh if lang == "zh" else en).format(**kw)


@dataclass
class HomeTask:
    id: int
    line: str  # "Fri 5 Mar · 王伟: send the quote"
    overdue: bool


@dataclass
class Home:
    lang: str
    tasks: list[HomeTask] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    offset: int = 0  # where this page starts among the follow-ups due
    total: int = 0  # follow-ups due today and overdue, on every page

    @property
    def more(self) -> int:
        """Follow-ups after this page."""
        return max(0, self.total - self.offset - len(self.tasks))

    @property
    def next_offset(self) -> int | None:
        return self.offset + len(self.tasks) if self.more else None

    def range_line(self) -> str:
        """"6–10 of 12" when the follow-ups take more than one page, else ""."""
        return pages.range_line(self.offset, len(self.tasks), self.total, self.lang) if self.total > PAGE and self.tasks else ""


async def home_of(services, platform: str, user_id: str, offset: int = 0) -> Home | None:
    """The page for this messenger account (the follow-ups from `offset` on), or None when it is no
    member. An offset past the end (follow-ups done meanwhile) shows the last page."""
    async with services.db.read() as session:
        found = await crm.member_and_team_by_identity(session, platform, user_id)
        if found is None:
            return None
        member, _team = found
        lang = "zh" if (member.language or getattr(services.settings, "language", "en")) == "zh" else "en"
        try:
            zone = ZoneInfo(member.timezone)
        except Exception:
            zone = ZoneInfo("UTC")
        now = services.clock()
        today = now.astimezone(zone).date()
        end_of_today = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0, 0), zone)
        due = [task for task in await crm.open_tasks(session, member.id) if task.due_at is not None and _aware(task.due_at) < end_of_today]
        due.sort(key=lambda task: (_aware(task.due_at), task.id))
        ids = {task.customer_id for task in due if task.customer_id}
        names = dict((await session.exec(select(Customer.id, Customer.name).where(col(Customer.id).in_(ids)))).all()) if ids else {}
        offset = max(0, min(offset, (len(due) - 1) // PAGE * PAGE)) if due else 0
        offset -= offset % PAGE
        home = Home(lang, offset=offset, total=len(due))
        for task in due[offset : offset + PAGE]:
            when = fmt.due(task.due_at, task.due_has_time, zone, lang, today)
            name = names.get(task.customer_id, "-")
            home.tasks.append(HomeTask(task.id or 0, f"{when} · {name}: {fmt.clip(task.text, 60)}", _aware(task.due_at) < now))
        latest = func.max(Interaction.occurred_at)
        recent = select(Interaction.customer_id, latest).where(Interaction.author_id == member.id, col(Interaction.customer_id).is_not(None)).group_by(Interaction.customer_id).order_by(latest.desc()).limit(RECENT * 2)
        for customer_id, _at in (await session.exec(recent)).all():
            customer = await crm.get_customer(session, customer_id)
            if customer is not None and await access.can_see(session, member, customer) and len(home.customers) < RECENT:
                home.customers.append(customer.name)
    return home


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
