"""Forms, for messengers that have them (Slack's modals and its "Log as CRM note" message shortcut), as
neutral data: what a form shows when it opens, what is wrong with a filled-in one (checked before the
form closes, so the messenger can show it there), and applying it through the same functions the text
commands use (/snooze, /tier, /stage, /assign). Nothing here knows a messenger's types.

A filled-in form is a plain dict:
    {"kind": "task", "task": 12, "date": "2026-03-05", "time": "15:00" | None}
    {"kind": "customer", "customer": 7, "tier": "important", "stage": "active", "owner": 3 | None}
Errors are keyed by the form's field ("date", "time", "tier", "stage", "owner"); a form that may not be
applied at all (not your follow-up, another team's customer) has its error on its first field.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from chat import format as fmt
from chat.messages import Outgoing
from storage import crm, messaging
from storage.models import STAGES, TIERS, Member, Task, Team

from . import access, customer_edit, quick_note
from .context import Context, Services

TEXTS = {
    "task_title": ("Edit follow-up", "修改跟进"),
    "customer_title": ("Edit customer", "修改客户"),
    "denied_title": ("Can't edit", "无法修改"),
    "save": ("Save", "保存"),
    "cancel": ("Cancel", "取消"),
    "close": ("Close", "关闭"),
    "edit": ("✏️ Edit", "✏️ 编辑"),
    "date": ("Due date", "日期"),
    "time": ("Time (optional)", "时间（可选）"),
    "tier": ("Tier", "级别"),
    "stage": ("Stage", "阶段"),
    "owner": ("Owner", "负责人"),
    "no_date": ("Pick a date.", "请选一个日期。"),
    "past": ("Pick today or a later date.", "请选今天或以后的日期。"),
    "past_time": ("That time has passed today; pick a later one.", "今天这个时间已经过了，请选晚一点的。"),
    "bad_time": ("Pick a time from the list, or none.", "请选一个时间，或者不选。"),
    "task_gone": ("This follow-up is not an open one of yours any more.", "这条跟进已不在你的待办里。"),
    "customer_gone": ("This customer can't be found.", "找不到这个客户。"),
    "not_yours": ("Only the owner, their manager or an admin can change {customer}.", "只有负责人、其经理或管理员可以修改 {customer}。"),
    "bad_choice": ("Pick one from the list.", "请从列表里选。"),
    "unknown_owner": ("Pick someone in your team.", "请选本团队的成员。"),
    "owner_denied": ("You can't give {customer} to {member}.", "你不能把 {customer} 交给 {member}。"),
    "nothing_changed": ("Nothing changed.", "没有改动。"),
    "nothing_to_log": ("That message has no text to log as a note.", "这条消息没有可记录的文字。"),
    "already_logged": ("Already logged as your note.", "这条消息已经记过了。"),
    "bad_form": ("That form could not be read; please open it again.", "表单读不出来，请重新打开。"),
}


def text(key: str, lang: str, **kw) -> str:
    en, zh = TEXTS[key]
    return (zh if lang == "zh" else en).format(**kw)


@dataclass
class Choice:
    value: str
    label: str


@dataclass
class TaskForm:
    lang: str
    task_id: int
    line: str  # "王伟: send the quote"
    date: dt.date
    time: dt.time | None


@dataclass
class CustomerForm:
    lang: str
    customer_id: int
    name: str
    tier: str
    stage: str
    owner_id: int | None
    tiers: list[Choice] = field(default_factory=list)
    stages: list[Choice] = field(default_factory=list)
    owners: list[Choice] = field(default_factory=list)  # empty: the member may not change the owner


@dataclass
class Refusal:
    lang: str
    text: str


# --- opening a form ------------------------------------------------------------------------------
async def task_form(services: Services, platform: str, user_id: str, task_id: int) -> TaskForm | Refusal | None:
    """What the follow-up form shows, a refusal, or None for someone who is no member."""
    async with services.db.read() as session:
        found = await crm.member_and_team_by_identity(session, platform, user_id)
        if found is None:
            return None
        member, _team = found
        lang = _lang(member, services)
        zone = _zone(member)
        task = await _own_open_task(session, member, task_id)
        if task is None:
            return Refusal(lang, text("task_gone", lang))
        customer = await crm.get_customer(session, task.customer_id) if task.customer_id else None
        today = services.clock().astimezone(zone).date()
        due = task.due_at.astimezone(zone) if task.due_at is not None else None
        name = customer.name if customer is not None else "-"
        return TaskForm(lang, task.id or 0, f"{name}: {fmt.clip(task.text, 120)}", max(due.date(), today) if due else today, due.time().replace(second=0, microsecond=0) if due and task.due_has_time else None)


async def customer_form(services: Services, platform: str, user_id: str, customer_id: int) -> CustomerForm | Refusal | None:
    async with services.db.read() as session:
        found = await crm.member_and_team_by_identity(session, platform, user_id)
        if found is None:
            return None
        member, team = found
        lang = _lang(member, services)
        customer = await crm.get_customer(session, customer_id)
        if customer is None or customer.team_id != team.id:
            return Refusal(lang, text("customer_gone", lang))
        if not await access.can_see(session, member, customer):
            return Refusal(lang, text("not_yours", lang, customer=customer.name))
        form = CustomerForm(
            lang, customer.id or 0, customer.name, customer.tier, customer.stage, customer.owner_id,
            tiers=[Choice(x, fmt.TIER[lang][x]) for x in TIERS], stages=[Choice(x, fmt.STAGE[lang][x]) for x in STAGES],
        )
        if member.role in ("admin", "manager"):
            people = await crm.team_members(session, team.id)
            if member.role == "manager":
                mine = await access.reports_of(session, member)
                people = [m for m in people if m.id in mine or m.id == customer.owner_id]
            form.owners = [Choice(str(m.id), m.display_name) for m in people[:100]]
        return form


async def reminder_task(services: Services, platform: str, user_id: str, payload: str) -> int | None:
    """The follow-up behind a reminder's Reschedule button ("p:<prompt>:date") pressed by its own member,
    when it is still open: messengers with forms open the follow-up form instead of asking for a typed date."""
    parts = payload.split(":")
    if len(parts) != 3 or parts[0] != "p" or parts[2] != "date":
        return None
    async with services.db.read() as session:
        found = await crm.member_and_team_by_identity(session, platform, user_id)
        prompt = await messaging.prompt_get(session, parts[1]) if found is not None else None
        if found is None or prompt is None or prompt.kind != "reminder" or prompt.status != "open" or prompt.member_id != found[0].id:
            return None
        task_id = (prompt.data or {}).get("task_id")
        task = await _own_open_task(session, found[0], task_id) if isinstance(task_id, int) else None
        return task.id if task is not None else None


async def language_of(services: Services, platform: str, user_id: str) -> str:
    async with services.db.read() as session:
        found = await crm.member_and_team_by_identity(session, platform, user_id)
    return _lang(found[0] if found else None, services)


# --- checking a filled-in form (before it closes) --------------------------------------------------
async def check(services: Services, platform: str, user_id: str, form: dict[str, Any]) -> dict[str, str]:
    """What is wrong with the form, by field; {} when it may be applied. Reads only."""
    async with services.db.read() as session:
        found = await crm.member_and_team_by_identity(session, platform, user_id)
        if found is None:
            return {_first_field(form): text("bad_form", _lang(None, services))}
        member, team = found
        return await _errors(session, member, team, form, services.clock(), _lang(member, services))


async def _errors(session: AsyncSession, member: Member, team: Team, form: dict[str, Any], now: dt.datetime, lang: str) -> dict[str, str]:
    kind = form.get("kind")
    if kind == "task":
        task = await _own_open_task(session, member, form.get("task"))
        if task is None:
            return {"date": text("task_gone", lang)}
        day, time = _day(form.get("date")), _time(form.get("time"))
        if day is None:
            return {"date": text("no_date", lang)}
        if form.get("time") and time is None:
            return {"time": text("bad_time", lang)}
        local = now.astimezone(_zone(member))
        if day < local.date():
            return {"date": text("past", lang)}
        if time is not None and day == local.date() and time <= local.time():
            return {"time": text("past_time", lang)}
        return {}
    if kind == "customer":
        customer = await crm.get_customer(session, form["customer"]) if isinstance(form.get("customer"), int) else None
        if customer is None or customer.team_id != team.id:
            return {"tier": text("customer_gone", lang)}
        if not await access.can_see(session, member, customer):
            return {"tier": text("not_yours", lang, customer=customer.name)}
        errors = {}
        if form.get("tier") not in TIERS:
            errors["tier"] = text("bad_choice", lang)
        if form.get("stage") not in STAGES:
            errors["stage"] = text("bad_choice", lang)
        owner = form.get("owner")
        if owner is not None and owner != customer.owner_id:
            new = await session.get(Member, owner) if isinstance(owner, int) else None
            if new is None or new.team_id != team.id or not new.active:
                errors["owner"] = text("unknown_owner", lang)
            elif not await access.may_change_owner(session, member, customer, new):
                errors["owner"] = text("owner_denied", lang, customer=customer.name, member=new.display_name)
        return errors
    return {_first_field(form): text("bad_form", lang)}


# --- applying it (in the message's transaction, through the router: stored once, answered once) -----
async def submit(ctx: Context, form: dict[str, Any]) -> list[Outgoing]:
    """Apply a form checked before it closed; checked again here (the data may have moved since, and
    what reaches this point is never trusted): a refusal is one line and changes nothing."""
    errors = await _errors(ctx.session, ctx.member, ctx.team, form, ctx.services.clock(), ctx.lang)
    if errors:
        if form.get("kind") == "customer" and isinstance(form.get("customer"), int):
            await access.record_refused(ctx.session, ctx.member, ctx.msg.platform, "edit form", form["customer"])
        return [Outgoing(next(iter(errors.values())))]
    if form["kind"] == "task":
        from .tasks_commands import cmd_snooze

        when = form["date"] + (f" {form['time']}" if _time(form.get("time")) else "")
        return await cmd_snooze(ctx, f"{form['task']} {when}")  # as /snooze N 2026-03-05 15:00
    return await _edit_customer(ctx, form)


async def _edit_customer(ctx: Context, form: dict[str, Any]) -> list[Outgoing]:
    from .team_commands import assign_to

    customer = await crm.get_customer(ctx.session, form["customer"])
    assert customer is not None  # _errors checked it
    said: list[str] = []
    for name in ("tier", "stage"):
        if form[name] != getattr(customer, name):
            said += [o.text for o in await customer_edit.apply(ctx, customer, name, form[name])]  # as /tier, /stage
    owner = form.get("owner")
    if owner is not None and owner != customer.owner_id:
        new = await ctx.session.get(Member, owner)
        assert new is not None
        said += [o.text for o in await assign_to(ctx, customer, new)]  # as /assign
    return [Outgoing("\n".join(said) if said else text("nothing_changed", ctx.lang))]


_HAS_CONTENT = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")


async def log_note(ctx: Context, words: str) -> list[Outgoing]:
    """Someone's message filed as the sender's note, as written: never taken for a command, a question
    or the answer to one (a colleague's "王伟的电话是多少？" is logged, not answered)."""
    if not words.strip():
        return [Outgoing(text("nothing_to_log", ctx.lang))]
    limit = getattr(ctx.services.settings, "max_note_chars", 4000)
    if len(words) > limit or not _HAS_CONTENT.search(words):
        return await quick_note.file_note(ctx, words)  # its own lines for these
    return await quick_note.file_parsed(ctx, words, await quick_note.parse(ctx, words))


# --- helpers -------------------------------------------------------------------------------------
async def _own_open_task(session: AsyncSession, member: Member, task_id: object) -> Task | None:
    """The member's own open follow-up, on a customer they may still see (or on none)."""
    if not isinstance(task_id, int) or isinstance(task_id, bool) or not 0 < task_id < 2**63:
        return None
    task = await session.get(Task, task_id)
    if task is None or task.team_id != member.team_id or task.assignee_id != member.id or task.status != "open":
        return None
    if task.customer_id is not None and not await access.can_see(session, member, await crm.get_customer(session, task.customer_id)):
        return None
    return task


def _day(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def _time(value: object) -> dt.time | None:
    try:
        return dt.time.fromisoformat(value) if isinstance(value, str) and len(value) == 5 else None
    except ValueError:
        return None


def _first_field(form: dict[str, Any]) -> str:
    return "date" if form.get("kind") == "task" else "tier"


def _lang(member: Member | None, services: Services) -> str:
    known = member.language if member is not None else None
    return "zh" if (known or getattr(services.settings, "language", "en")) == "zh" else "en"


def _zone(member: Member) -> ZoneInfo:
    try:
        return ZoneInfo(member.timezone)
    except Exception:
        return ZoneInfo("UTC")

