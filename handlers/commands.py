"""Slash commands: one explicit table, each entry a plain async function (ctx, args) -> replies."""
from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlmodel import col, select

from reminders.destinations import DIGEST_BY
from storage import contact_plan, crm
from storage.models import ChatLink, Customer, Invite, Team

from . import access, customer_edit, customer_new, language, merge, paging, plan_command, quick_note, team_commands
from . import team_texts as tt
from .digest_command import cmd_digest
from chat import format as fmt
from .context import Context
from .customer_index import record_of
from .customer_lookup import customer_or_choice, find_customers
from chat.messages import Button, Incoming, Outgoing
from .texts import t

Handler = Callable[[Context, str], Awaitable[list[Outgoing]]]


@dataclass(frozen=True)
class Command:
    name: str
    aliases: tuple[str, ...]  # Chinese and short forms, for typing in a console or a chat
    run: Handler
    help_en: str
    help_zh: str
    in_menu: bool = True  # shown in messengers' command menus


HELP_SHORT = ("tasks", "find", "customer", "done", "snooze", "undo")  # what /help shows: the everyday few
HELP_ALL_WORDS = {"all", "全部", "所有"}


async def cmd_help(ctx: Context, args: str) -> list[Outgoing]:
    """Short: how to write a note and the everyday commands, pointing to `/help all`, the full list."""
    full = args.strip().lower() in HELP_ALL_WORDS
    if ctx.lang == "zh":
        lines = ["直接发记录，比如“拜访了李娜，下周三前发报价”。" + ("全部命令：" if full else "常用命令：")]
    else:
        lines = ["Text me a note, e.g. \"called Wang, wants quote Friday\". " + ("All commands:" if full else "Everyday commands:")]
    for command in COMMANDS:
        if command.in_menu and (full or command.name in HELP_SHORT):
            alias = f" ({command.aliases[0]})" if ctx.lang == "zh" and command.aliases else ""
            lines.append(f"/{command.name}{alias} — {command.help_zh if ctx.lang == 'zh' else command.help_en}")
    if not full:
        lines.append("全部命令：/help all" if ctx.lang == "zh" else "All commands: /help all")
    return [Outgoing("\n".join(lines))]


async def cmd_start(ctx: Context, args: str) -> list[Outgoing]:
    return [Outgoing(t("welcome_back", ctx.lang, name=ctx.member.display_name))]


async def cmd_find(ctx: Context, args: str) -> list[Outgoing]:
    query = args.strip()
    if not query:
        return [Outgoing(t("find_usage", ctx.lang))]
    found = await find_customers(ctx, query)
    if not found:
        return [Outgoing(t("find_none", ctx.lang, q=fmt.clip(query, 40)))]
    return [await paging.first_page(ctx, "customers", t("find_header", ctx.lang, n=len(found)), [c.id for c in found if c.id is not None])]


async def cmd_customer(ctx: Context, args: str) -> list[Outgoing]:
    query = args.strip()
    if not query:
        return [Outgoing(t("customer_usage", ctx.lang))]
    customer = await customer_or_choice(ctx, query, "/customer {ref}")
    if isinstance(customer, list):
        return customer  # none, or several to choose from
    await crm.audit(ctx.session, "read", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform)
    card = await customer_card(ctx, customer)  # its first follow-ups; a button opens them all, paged
    return [Outgoing(card, await paging.customer_tasks_button(ctx, customer), edit=Button("✏️ 编辑" if ctx.lang == "zh" else "✏️ Edit", f"customer:{customer.id}"))]


async def customer_card(ctx: Context, c: Customer) -> str:
    lang, now = ctx.lang, ctx.services.clock().astimezone(ctx.zone)
    head = c.name + (f" · {c.company}" if c.company and c.company != c.name else "")
    owner = await ctx.session.get(crm.Member, c.owner_id) if c.owner_id else None
    facts = [fmt.TIER[lang].get(c.tier, c.tier), fmt.STAGE[lang].get(c.stage, c.stage)]
    if owner:
        facts.append(("负责人 " if lang == "zh" else "owner ") + owner.display_name)
    lines = [head, " · ".join(facts)]
    if ctx.in_group:
        lines.append(t("group_no_contacts", lang))
    else:
        contacts = [x for x in (c.phone, c.email) if x]
        if contacts:
            lines.append("☎ " + " · ".join(contacts))
    if c.birthday or c.lunar_birthday:
        bits = []
        if c.birthday:
            bits.append(c.birthday)
        if c.lunar_birthday:
            bits.append(("农历 " if lang == "zh" else "lunar ") + c.lunar_birthday)
        lines.append("🎂 " + " · ".join(bits))
    lines.append(("上次联系：" if lang == "zh" else "Last contact: ") + fmt.ago(c.last_contact_at, now, lang))
    if c.last_risk:
        lines.append(("⚠️ 风险：" if lang == "zh" else "⚠️ Risks: ") + ", ".join(fmt.RISK[lang].get(r, r) for r in c.last_risk))
    tasks = await crm.open_tasks_of_customer(ctx.session, c.id)
    lines.append(_next_step(ctx, c, tasks, now))
    for task in tasks[:5]:
        lines.append(f"☐ #{task.id} {fmt.due(task.due_at, task.due_has_time, ctx.zone, lang, now.date())}: {fmt.clip(task.text, 50)}")
    if len(tasks) > 5:
        lines.append(f"… +{len(tasks) - 5}")
    for note in await crm.recent_interactions(ctx.session, c.id, 3):
        when = fmt.day(note.occurred_at.astimezone(ctx.zone).date(), lang, now.date())
        money = ""
        if note.amount is not None and not ctx.in_group:
            money = " · " + fmt.money(note.amount, note.currency, lang)
        lines.append(f"– {when} {fmt.CHANNEL[lang].get(note.channel, note.channel)}: {fmt.clip(note.text, 50)}{money}")
    return "\n".join(lines)


def _next_step(ctx: Context, c: Customer, tasks: list, now: dt.datetime) -> str:
    """The next step: the earliest open follow-up, else the contact the tier's plan asks for."""
    lang = ctx.lang
    head = "下一步：" if lang == "zh" else "Next: "
    if tasks:
        first = tasks[0]
        return head + f"{fmt.due(first.due_at, first.due_has_time, ctx.zone, lang, now.date())} · {fmt.clip(first.text, 40)}"
    every = contact_plan.contact_days(c.tier, ctx.services.settings, ctx.team)
    when = max(contact_plan.next_contact(c, ctx.services.settings, ctx.team).astimezone(ctx.zone).date(), now.date())
    shown = fmt.day(when, lang, now.date())
    return head + (f"{shown}前联系（每 {every} 天）" if lang == "zh" else f"contact by {shown} (every {every} days)")


async def cmd_tasks(ctx: Context, args: str) -> list[Outgoing]:
    tasks = await _visible_tasks(ctx, await crm.open_tasks(ctx.session, ctx.member.id))
    if not tasks:
        return [Outgoing(t("tasks_none", ctx.lang))]
    now = ctx.services.clock()
    today = now.astimezone(ctx.zone).date()
    lines = [t("tasks_header", ctx.lang, n=len(tasks))]
    for task in tasks[:30]:
        customer = await crm.get_customer(ctx.session, task.customer_id) if task.customer_id else None
        when = fmt.due(task.due_at, task.due_has_time, ctx.zone, ctx.lang, today)
        late = task.due_at is not None and _is_overdue(task, now, ctx.zone)
        flag = f"⚠️ {t('overdue', ctx.lang)} " if late else ""
        name = customer.name if customer else t("no_customer", ctx.lang)
        lines.append(f"#{task.id} {flag}{when} · {name}: {fmt.clip(task.text, 40)}")
    if len(tasks) > 30:
        lines.append(f"… +{len(tasks) - 30}")
    return [Outgoing("\n".join(lines))]


async def _visible_tasks(ctx: Context, tasks: list) -> list:
    """Tasks on customers the member may see (or on none): the access check applies to lists too."""
    ids = {task.customer_id for task in tasks if task.customer_id}
    customers = list((await ctx.session.exec(select(Customer).where(col(Customer.id).in_(ids)))).all()) if ids else []
    seen = {c.id for c in await access.visible(ctx.session, ctx.member, customers)}
    return [task for task in tasks if task.customer_id is None or task.customer_id in seen]


def _is_overdue(task, now, zone) -> bool:
    if task.due_has_time:
        return task.due_at < now
    return task.due_at.astimezone(zone).date() < now.astimezone(zone).date()


async def cmd_done(ctx: Context, args: str) -> list[Outgoing]:
    number = args.strip().lstrip("#")
    if not re.fullmatch(r"[0-9]+", number):  # ASCII digits only: str.isdigit() also takes '²'
        return [Outgoing(t("done_usage", ctx.lang))]
    task = await ctx.session.get(crm.Task, int(number)) if len(number) <= 18 else None  # no id is that long (nor fits a BIGINT)
    if task is None or task.assignee_id != ctx.member.id or task.status != "open" or not await _visible_tasks(ctx, [task]):
        return [Outgoing(t("done_unknown", ctx.lang, n=number))]
    task.status = "done"
    task.done_at = ctx.services.clock()
    ctx.session.add(task)
    customer = await crm.get_customer(ctx.session, task.customer_id) if task.customer_id else None
    await crm.audit(ctx.session, "task_done", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=task.customer_id, platform=ctx.msg.platform, detail=f"task {task.id}")
    return [Outgoing(t("done_ok", ctx.lang, customer=customer.name if customer else t("no_customer", ctx.lang), task=task.text))]


async def cmd_undo(ctx: Context, args: str) -> list[Outgoing]:
    note = await crm.last_interaction_by(ctx.session, ctx.member.id)
    if note is None:
        return [Outgoing(t("nothing_to_undo", ctx.lang))]
    return await quick_note.undo(ctx, note)


def split_name_company(args: str) -> tuple[str, str | None]:
    for sep in (",", "，", "|", "、", "/"):
        if sep in args:
            name, _, company = args.partition(sep)
            return name.strip(), company.strip() or None
    parts = args.split()
    if len(parts) >= 2 and all(ord(ch) > 0x2E80 for ch in parts[0]):  # Chinese names carry no spaces
        return parts[0], " ".join(parts[1:])
    return args.strip(), None


async def cmd_new(ctx: Context, args: str) -> list[Outgoing]:
    name, company = split_name_company(args)
    if not name or len(name) > 100:
        return [Outgoing(t("new_usage", ctx.lang))]
    existing = await access.visible(ctx.session, ctx.member, await crm.customers_by_name(ctx.session, ctx.team.id, name))
    if any(c.company == company or company is None for c in existing):
        return [Outgoing(t("new_exists", ctx.lang, name=name))]
    customer = await crm.add_customer(ctx.session, quick_note.new_customer(ctx, name, company))
    await crm.audit(ctx.session, "create_customer", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=name)
    ctx.services.indexes.upsert(ctx.team.id, record_of(customer), ctx.session)
    suffix = f" ({company})" if company else ""
    return [Outgoing(t("new_ok", ctx.lang, name=name, company=suffix))]


async def cmd_note(ctx: Context, args: str) -> list[Outgoing]:
    return await quick_note.file_note(ctx, args.strip())


async def cmd_link(ctx: Context, args: str) -> list[Outgoing]:
    if ctx.member.role not in ("admin", "manager"):
        await access.record_refused(ctx.session, ctx.member, ctx.msg.platform, "/link")
        return [Outgoing(t("invite_denied", ctx.lang))]
    await _link(ctx)
    return [Outgoing(t("linked", ctx.lang, team=ctx.team.name))]


async def _link(ctx: Context) -> ChatLink:
    link = (await ctx.session.exec(select(ChatLink).where(ChatLink.platform == ctx.msg.platform, ChatLink.chat_id == ctx.msg.chat_id))).first()
    if link is None:
        link = ChatLink(team_id=ctx.team.id, platform=ctx.msg.platform, chat_id=ctx.msg.chat_id)
        ctx.session.add(link)
        await ctx.session.flush()
    return link


async def cmd_subscribe(ctx: Context, args: str) -> list[Outgoing]:
    what = args.strip().lower()
    if what not in ("digest", "摘要", "日报"):
        return [Outgoing(t("subscribe_usage", ctx.lang))]
    if ctx.member.role not in ("admin", "manager"):  # a digest shows a team's work: only those who may read it subscribe
        await crm.audit(ctx.session, "denied", team_id=ctx.team.id, member_id=ctx.member.id, platform=ctx.msg.platform, detail="/subscribe digest")
        return [Outgoing(t("subscribe_denied", ctx.lang))]
    link = await _link(ctx)
    keep = [s for s in link.subscriptions if s != "digest" and not s.startswith(DIGEST_BY)]
    link.subscriptions = [*keep, "digest", f"{DIGEST_BY}{ctx.member.id}"]  # the chat's digest has this member's scope
    ctx.session.add(link)
    return [Outgoing(t("subscribed", ctx.lang, what="digests" if ctx.lang == "en" else "团队摘要"))]


async def cmd_invite(ctx: Context, args: str) -> list[Outgoing]:
    if ctx.member.role not in ("admin", "manager"):
        await access.record_refused(ctx.session, ctx.member, ctx.msg.platform, "/invite")
        return [Outgoing(t("invite_denied", ctx.lang))]
    role = args.strip().lower() or "rep"
    role = {"销售": "rep", "经理": "manager"}.get(role, role)
    if role not in ("rep", "manager") or (role == "manager" and ctx.member.role != "admin"):
        role = "rep"
    code = secrets.token_hex(4).upper()
    ctx.session.add(Invite(code=code, team_id=ctx.team.id, role=role, created_by=ctx.member.id, created_at=ctx.services.clock()))
    role_word = {"rep": ("rep", "销售"), "manager": ("manager", "经理")}[role][ctx.lang == "zh"]
    valid = tt.t("invite_valid", ctx.lang, days=INVITE_TTL.days)
    link = f"\n{ctx.msg.start_link}{code}" if ctx.msg.start_link else ""  # opening it joins (a messenger's deep link)
    return [Outgoing(t("invite_ok", ctx.lang, role=role_word, code=code) + (" " if ctx.lang == "en" else "") + valid + link)]


INVITE_TTL = dt.timedelta(days=7)


def invite_usable(invite: Invite | None, now: dt.datetime) -> bool:
    """Single use, and only for INVITE_TTL after it was made (by the injected clock)."""
    return invite is not None and invite.used_by is None and now - invite.created_at <= INVITE_TTL


async def cmd_join(ctx: Context, args: str) -> list[Outgoing]:
    return [Outgoing(t("already_member", ctx.lang, team=ctx.team.name))]


def _later(module: str, name: str) -> Handler:
    """A command whose module imports this one (tasks_commands uses its helpers): looked up when run."""

    async def run_it(ctx: Context, args: str) -> list[Outgoing]:
        import importlib

        return await getattr(importlib.import_module(f"handlers.{module}"), name)(ctx, args)

    return run_it


COMMANDS: list[Command] = [
    Command("help", ("帮助",), cmd_help, "the everyday commands; /help all: every one", "常用命令；/help all：全部命令"),
    Command("start", ("开始",), cmd_start, "start", "开始", in_menu=False),
    Command("find", ("查找", "搜索", "找"), cmd_find, "search customers", "搜索客户"),
    Command("customer", ("客户",), cmd_customer, "customer card: risks, follow-ups, next step", "客户卡片：风险、跟进、下一步"),
    Command("tasks", ("任务", "待办"), _later("tasks_commands", "cmd_tasks"), "follow-ups due today and overdue: /tasks all|week|NAME", "今天和逾期的跟进：/tasks all|week|名字"),
    Command("done", ("完成",), _later("tasks_commands", "cmd_done"), "mark follow-ups done: /done 3 5 7", "完成跟进：/done 3 5 7"),
    Command("snooze", ("推迟", "延后"), _later("tasks_commands", "cmd_snooze"), "move a follow-up: /snooze N tomorrow", "推迟跟进：/snooze 编号 明天"),
    Command("undo", ("撤销",), cmd_undo, "remove my last note", "撤销上一条记录"),
    Command("new", ("新建", "新客户"), customer_new.cmd_new, "add a customer: /new NAME, COMPANY, PHONE, 别名 X, 重要", "新建客户：/new 名字, 公司, 电话, 别名 X, 重要"),
    Command("tier", ("级别",), customer_edit.cmd_tier, "set the tier: /tier NAME important|special|general", "设级别：/tier 名字 重要|特殊|普通"),
    Command("stage", ("阶段",), customer_edit.cmd_stage, "set the stage: /stage NAME active", "设阶段：/stage 名字 活跃"),
    Command("alias", ("别名",), customer_edit.cmd_alias, "add an alias: /alias NAME ALIAS", "加别名：/alias 名字 别名"),
    Command("phone", ("电话",), customer_edit.cmd_phone, "set the phone: /phone NAME NUMBER", "设电话：/phone 名字 号码"),
    Command("email", ("邮箱",), customer_edit.cmd_email, "set the email: /email NAME ADDRESS", "设邮箱：/email 名字 邮箱"),
    Command("company", ("公司",), customer_edit.cmd_company, "set the company: /company NAME COMPANY", "设公司：/company 名字 公司"),
    Command("rename", ("改名",), customer_edit.cmd_rename, "rename: /rename NAME NEW NAME", "改名：/rename 名字 新名字"),
    Command("merge", ("合并",), merge.cmd_merge, "merge two customers: /merge KEEP DROP", "合并客户：/merge 保留 并入"),
    Command("unmerge", ("撤销合并",), merge.cmd_unmerge, "undo my last merge", "撤销上次合并"),
    Command("note", ("记录",), cmd_note, "take a note (in groups)", "记录（群里用）"),
    Command("subscribe", ("订阅",), cmd_subscribe, "this chat gets digests", "本群订阅摘要"),
    Command("digest", ("摘要",), cmd_digest, "team digest (managers)", "团队摘要"),
    Command("plan", ("方案",), plan_command.cmd_plan, "contact and review days per tier (managers change them)", "各级别的联系和复盘周期"),
    Command("link", ("关联",), cmd_link, "link this group to the team", "本群关联团队", in_menu=False),
    Command("invite", ("邀请",), cmd_invite, "invite code: /invite rep|manager", "生成邀请码"),
    Command("join", ("加入",), cmd_join, "join with a code", "用邀请码加入", in_menu=False),
    Command("assign", ("分配",), team_commands.cmd_assign, "give a customer to someone: /assign CUSTOMER MEMBER", "分配客户"),
    Command("handover", ("交接",), team_commands.cmd_handover, "all customers and follow-ups: /handover FROM TO", "交接全部客户"),
    Command("share", ("共享",), team_commands.cmd_share, "let someone see a customer: /share CUSTOMER MEMBER", "共享客户"),
    Command("unshare", ("取消共享",), team_commands.cmd_unshare, "stop sharing: /unshare CUSTOMER MEMBER", "取消共享", in_menu=False),
    Command("forget", ("删除客户",), team_commands.cmd_forget, "delete a customer for good", "永久删除客户", in_menu=False),
    Command("pair", ("绑定",), team_commands.cmd_pair, "use the bot from Telegram and Slack as one person", "绑定另一个聊天账号"),
    Command("remove", ("移除",), team_commands.cmd_remove, "someone left: /remove MEMBER", "移除成员", in_menu=False),
]

_BY_NAME = {name: c for c in COMMANDS for name in (c.name, *c.aliases)}


def parse_command(text: str) -> tuple[str, str]:
    head, _, rest = text[1:].partition(" ")
    head = head.split("@", 1)[0]  # Telegram appends @botname in groups
    if "\n" in head:
        head, _, more = head.partition("\n")
        rest = more + (" " + rest if rest else "")
    return head.lower(), rest.strip()


async def run(ctx: Context, text: str) -> list[Outgoing]:
    name, args = parse_command(text)
    command = _BY_NAME.get(name)
    if command is None:
        return [Outgoing(t("unknown_command", ctx.lang, cmd="/" + fmt.clip(name, 20)))]
    if ctx.in_group and ctx.msg.platform != "console" and command.name not in ("link",) and not await _group_linked(ctx):
        return [Outgoing(t("group_not_linked", ctx.lang))]
    return await command.run(ctx, args)


async def _group_linked(ctx: Context) -> bool:
    link = (await ctx.session.exec(select(ChatLink).where(ChatLink.platform == ctx.msg.platform, ChatLink.chat_id == ctx.msg.chat_id))).first()
    return link is not None and link.team_id == ctx.team.id


async def for_stranger(msg: Incoming, text: str, lang: str, services, session) -> list[Outgoing]:
    """Someone we don't know: /start on a new installation makes a team; /join CODE joins one."""
    name, args = parse_command(text) if text.startswith("/") else ("", "")
    lang = language.detect(text) or language.initial(msg.sender_name, msg.language_hint, lang)  # a Chinese name or zh locale: Chinese from the first reply
    if name in ("start", "开始") and args and await crm.first_team(session) is not None:
        name = "join"  # an invite's deep link opens the chat with "/start CODE"
    if name in ("start", "开始") and await crm.first_team(session) is None:
        team = await crm.create_team(session, f"{msg.sender_name or 'My'}'s team" if lang == "en" else f"{msg.sender_name or '我'}的团队", getattr(services.settings, "timezone", "Asia/Shanghai"))
        await crm.create_member(session, team, msg.sender_name or msg.sender_id, role="admin", platform=msg.platform, user_id=msg.sender_id, language=lang, timezone=msg.sender_timezone)
        await crm.audit(session, "create_team", team_id=team.id, platform=msg.platform, detail=team.name)
        return [Outgoing(t("welcome_admin", lang, team=team.name))]
    if name in ("pair", "绑定") and args:
        return await team_commands.pair_stranger(msg, args, lang, services, session)
    if name in ("join", "加入") and args:
        now = services.clock()
        if await access.too_many_bad_codes(session, msg.platform, msg.sender_id, now):
            return [Outgoing(tt.t("code_tries", lang))]  # (not even checked: codes cannot be guessed by trying)
        invite = (await session.exec(select(Invite).where(Invite.code == args.strip().upper()).with_for_update())).first()
        if not invite_usable(invite, now):
            await access.record_bad_code(session, msg.platform, msg.sender_id, "/join", now)
            return [Outgoing(t("join_bad", lang))]
        team = await session.get(Team, invite.team_id)
        await team_commands.forget_old_identity(session, msg.platform, msg.sender_id)
        member = await crm.create_member(
            session, team, msg.sender_name or msg.sender_id, role=invite.role, platform=msg.platform, user_id=msg.sender_id, language=lang, timezone=msg.sender_timezone, manager_id=invite.created_by if invite.role == "rep" else None
        )
        invite.used_by = member.id
        session.add(invite)
        await crm.audit(session, "join", team_id=team.id, member_id=member.id, platform=msg.platform, detail=invite.role)
        return [Outgoing(t("join_ok", lang, team=team.name, name=member.display_name))]
    if msg.chat_kind == "group" and not (msg.addressed or text.startswith("/")):
        return []
    await access.record_stranger(session, msg.platform, msg.sender_id, f"/{name}" if name else "message", services.clock())
    return [Outgoing(t("not_member", lang))]


async def import_file(ctx: Context) -> list[Outgoing]:
    from . import imports

    return await imports.start(ctx)
