"""Team and privacy commands: /assign, /handover, /share, /unshare, /forget, /pair, /remove.

Plain async functions (ctx, args) -> replies, listed in commands.COMMANDS. Every change of
ownership is written to the audit log and announced to the people it concerns (the one who
typed gets the reply, the others an outbox message).
"""
from __future__ import annotations

import datetime as dt
import secrets

from sqlmodel import col, select

from reminders import push
from reminders.destinations import member_destinations
from storage import crm, messaging, privacy
from storage.models import AccountCode, Customer, CustomerShare, Identity, Member, Outbox, Task, Team

from . import access
from chat import format as fmt
from .context import Context
from .customer_lookup import customer_or_choice, resolve_customer
from chat.messages import Button, Incoming, Outgoing
from .team_texts import t
from .texts import t as base_t

PAIR_TTL = dt.timedelta(minutes=10)
PLATFORM_NAMES = {"telegram": ("Telegram", "Telegram"), "slack": ("Slack", "Slack"), "feishu": ("Feishu", "飞书"), "dingtalk": ("DingTalk", "钉钉"), "wecom": ("WeCom", "企业微信"), "console": ("console", "终端")}
_SEPARATORS = ("→", "->", "=>", " to ", " 给 ", "给", "，", ",")


# --- reading "<customer> <member>" and "<member> <member>" ------------------------------------------
def _splits(args: str) -> list[tuple[str, str]]:
    """Every way to cut the arguments in two: at a separator first, then at each space from the right."""
    args = " ".join(args.split())
    out = []
    for sep in _SEPARATORS:
        if sep in args:
            left, _, right = args.rpartition(sep)
            if left.strip() and right.strip():
                out.append((left.strip(), right.strip()))
    words = args.split(" ")
    for i in range(len(words) - 1, 0, -1):
        out.append((" ".join(words[:i]), " ".join(words[i:])))
    return out


async def _member(ctx: Context, name: str) -> Member | None:
    member = await crm.member_by_name(ctx.session, ctx.team.id, name.lstrip("@"))
    return member if member is not None and member.active else None


async def _customer_and_member(ctx: Context, args: str) -> tuple[Customer | None, Member | None, str, str]:
    """The customer (through the access check) and the member; the texts tried, for the answers."""
    splits = _splits(args)
    for left, right in splits:
        member = await _member(ctx, right)
        if member is not None:
            return await resolve_customer(ctx, left), member, left, right
    left, right = splits[0] if splits else (args, "")
    return None, None, left, right


async def _two_members(ctx: Context, args: str) -> tuple[Member | None, Member | None, str]:
    splits = _splits(args)
    for left, right in splits:
        a, b = await _member(ctx, left), await _member(ctx, right)
        if a is not None and b is not None:
            return a, b, ""
    for left, right in splits:  # say which name is unknown
        for name in (left, right):
            if await _member(ctx, name) is None:
                return None, None, name
    return None, None, args


async def _announce(ctx: Context, people: dict[int, str]) -> None:
    """An outbox message to each member named (id → text), except the one who typed."""
    people = {mid: text for mid, text in people.items() if mid != ctx.member.id}
    dests = await member_destinations(ctx.session, list(people))
    now = ctx.services.clock()
    for mid, text in people.items():
        if mid in dests:
            await push.queue(ctx.session, key=f"notice:{ctx.msg.key}:{mid}", kind="notice", dest=dests[mid], message=Outgoing(text), due_at=now, member_id=mid)


async def _move_tasks(ctx: Context, tasks: list[Task], new: Member) -> None:
    """Reassign open tasks; their pending reminders follow them to the new assignee's chat."""
    if not tasks:
        return
    ids = {task.id for task in tasks}
    for task in tasks:
        task.assignee_id = new.id
        ctx.session.add(task)
    dest = (await member_destinations(ctx.session, [new.id])).get(new.id)
    rows = (await ctx.session.exec(select(Outbox).where(Outbox.status == "pending", Outbox.kind == "reminder"))).all()
    for row in rows:
        if ((row.body or {}).get("meta") or {}).get("task_id") in ids:
            if dest is None:
                row.status, row.last_error = "dropped", "task handed over"
            else:
                row.member_id, row.platform, row.chat_id, row.chat_kind = new.id, dest.platform, dest.chat_id, dest.chat_kind
            ctx.session.add(row)


# --- /assign ------------------------------------------------------------------------------------
async def cmd_assign(ctx: Context, args: str) -> list[Outgoing]:
    if ctx.member.role not in ("admin", "manager"):
        await access.record_refused(ctx.session, ctx.member, ctx.msg.platform, "/assign")
        return [Outgoing(t("manager_only", ctx.lang))]
    if len(args.split()) < 2 and not any(sep in args for sep in _SEPARATORS):
        return [Outgoing(t("assign_usage", ctx.lang))]
    customer, member, left, right = await _customer_and_member(ctx, args)
    if member is None:
        return [Outgoing(t("member_unknown", ctx.lang, q=fmt.clip(right, 30)))]
    if customer is None:
        return [Outgoing(base_t("customer_unknown", ctx.lang, q=fmt.clip(left, 40)))]
    return await assign_to(ctx, customer, member)


async def assign_to(ctx: Context, customer: Customer, member: Member) -> list[Outgoing]:
    """Give the customer (and its owner's open follow-ups) to this member, if the actor may (/assign, edit forms)."""
    if not await access.may_change_owner(ctx.session, ctx.member, customer, member):
        await access.record_denied(ctx.session, ctx.member, customer.id, ctx.msg.platform, "/assign")
        return [Outgoing(t("assign_denied", ctx.lang))]
    if customer.owner_id == member.id:
        return [Outgoing(t("assign_same", ctx.lang, customer=customer.name, member=member.display_name))]
    old = await ctx.session.get(Member, customer.owner_id) if customer.owner_id else None
    customer.owner_id = member.id
    customer.updated_at = ctx.services.clock()
    ctx.session.add(customer)
    tasks = []
    if old is not None:
        stmt = select(Task).where(Task.customer_id == customer.id, Task.assignee_id == old.id, Task.status == "open")
        tasks = list((await ctx.session.exec(stmt)).all())
        await _move_tasks(ctx, tasks, member)
    detail = f"{old.display_name if old else '-'} -> {member.display_name}"
    await crm.audit(ctx.session, "assign", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=detail)
    notices = {member.id: t("assigned_to_you", member.language, actor=ctx.member.display_name, customer=customer.name)}
    if old is not None:
        notices[old.id] = t("assigned_away", old.language, actor=ctx.member.display_name, customer=customer.name, member=member.display_name)
    await _announce(ctx, notices)
    ctx.services.indexes.changed(ctx.team.id)
    return [Outgoing(t("assign_ok", ctx.lang, customer=customer.name, member=member.display_name, tasks=len(tasks)))]


# --- /handover ----------------------------------------------------------------------------------
async def cmd_handover(ctx: Context, args: str) -> list[Outgoing]:
    if ctx.member.role not in ("admin", "manager"):
        await access.record_refused(ctx.session, ctx.member, ctx.msg.platform, "/handover")
        return [Outgoing(t("manager_only", ctx.lang))]
    if not args.strip():
        return [Outgoing(t("handover_usage", ctx.lang))]
    old, new, unknown = await _two_members_including_left(ctx, args)
    if old is None or new is None:
        return [Outgoing(t("member_unknown", ctx.lang, q=fmt.clip(unknown, 30)) if unknown else t("handover_usage", ctx.lang))]
    if old.id == new.id:
        return [Outgoing(t("handover_same", ctx.lang))]
    if not await access.may_hand_over(ctx.session, ctx.member, old, new):
        await access.record_refused(ctx.session, ctx.member, ctx.msg.platform, f"/handover {old.display_name} -> {new.display_name}")
        return [Outgoing(t("assign_denied", ctx.lang))]
    customers = list((await ctx.session.exec(select(Customer).where(Customer.team_id == ctx.team.id, Customer.owner_id == old.id))).all())
    now = ctx.services.clock()
    for customer in customers:
        customer.owner_id, customer.updated_at = new.id, now
        ctx.session.add(customer)
        await crm.audit(ctx.session, "handover", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=f"{old.display_name} -> {new.display_name}")
    tasks = list((await ctx.session.exec(select(Task).where(Task.assignee_id == old.id, Task.status == "open"))).all())
    await _move_tasks(ctx, tasks, new)
    summary = f"{old.display_name} -> {new.display_name}: {len(customers)} customers, {len(tasks)} open tasks"
    await crm.audit(ctx.session, "handover", team_id=ctx.team.id, member_id=ctx.member.id, platform=ctx.msg.platform, detail=summary)
    counts = {"customers": len(customers), "tasks": len(tasks)}
    await _announce(
        ctx,
        {
            new.id: t("handed_to_you", new.language, actor=ctx.member.display_name, old=old.display_name, **counts),
            old.id: t("handed_away", old.language, actor=ctx.member.display_name, new=new.display_name, **counts),
        },
    )
    ctx.services.indexes.changed(ctx.team.id)
    return [Outgoing(t("handover_ok", ctx.lang, old=old.display_name, new=new.display_name, **counts))]


async def _two_members_including_left(ctx: Context, args: str) -> tuple[Member | None, Member | None, str]:
    """Like _two_members, but a member who left (inactive) can still be handed over FROM."""
    splits = _splits(args)
    for left, right in splits:
        old = await crm.member_by_name(ctx.session, ctx.team.id, left.lstrip("@"))
        new = await _member(ctx, right)
        if old is not None and new is not None:
            return old, new, ""
    return await _two_members(ctx, args)


# --- /share and /unshare ------------------------------------------------------------------------
async def _may_share(ctx: Context, customer: Customer) -> bool:
    if ctx.member.role == "admin" or customer.owner_id == ctx.member.id:
        return True
    return ctx.member.role == "manager" and customer.owner_id in await access.reports_of(ctx.session, ctx.member)


async def _share_target(ctx: Context, args: str, usage: str) -> tuple[Customer, Member] | list[Outgoing]:
    """The customer and member of /share and /unshare, or the one-line answer why not."""
    if len(args.split()) < 2 and not any(sep in args for sep in _SEPARATORS):
        return [Outgoing(t(usage, ctx.lang))]
    customer, member, left, right = await _customer_and_member(ctx, args)
    if member is None:
        return [Outgoing(t("member_unknown", ctx.lang, q=fmt.clip(right, 30)))]
    if customer is None:
        return [Outgoing(base_t("customer_unknown", ctx.lang, q=fmt.clip(left, 40)))]
    if not await _may_share(ctx, customer):
        await access.record_refused(ctx.session, ctx.member, ctx.msg.platform, "/" + usage.removesuffix("_usage"), customer.id)
        return [Outgoing(t("share_denied", ctx.lang, customer=customer.name))]
    return customer, member


async def cmd_share(ctx: Context, args: str) -> list[Outgoing]:
    target = await _share_target(ctx, args, "share_usage")
    if isinstance(target, list):
        return target
    customer, member = target
    if await access.can_see(ctx.session, member, customer):
        return [Outgoing(t("share_exists", ctx.lang, customer=customer.name, member=member.display_name))]
    ctx.session.add(CustomerShare(customer_id=customer.id, member_id=member.id, created_at=ctx.services.clock()))
    await crm.audit(ctx.session, "share", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=f"with {member.display_name}")
    await _announce(ctx, {member.id: t("shared_with_you", member.language, actor=ctx.member.display_name, customer=customer.name)})
    return [Outgoing(t("share_ok", ctx.lang, customer=customer.name, member=member.display_name))]


async def cmd_unshare(ctx: Context, args: str) -> list[Outgoing]:
    target = await _share_target(ctx, args, "unshare_usage")
    if isinstance(target, list):
        return target
    customer, member = target
    share = (await ctx.session.exec(select(CustomerShare).where(CustomerShare.customer_id == customer.id, CustomerShare.member_id == member.id))).first()
    if share is None:
        return [Outgoing(t("unshare_none", ctx.lang, customer=customer.name, member=member.display_name))]
    await ctx.session.delete(share)
    await crm.audit(ctx.session, "unshare", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=f"with {member.display_name}")
    return [Outgoing(t("unshare_ok", ctx.lang, customer=customer.name, member=member.display_name))]


# --- /forget (with a confirmation button) ---------------------------------------------------------
async def cmd_forget(ctx: Context, args: str) -> list[Outgoing]:
    query = args.strip()
    if not query:
        return [Outgoing(t("forget_usage", ctx.lang))]
    customer = await customer_or_choice(ctx, query, "/forget {ref}")
    if isinstance(customer, list):
        return customer  # none, or several to choose from
    if not await access.may_forget(ctx.session, ctx.member, customer):
        await access.record_refused(ctx.session, ctx.member, ctx.msg.platform, "/forget", customer.id)
        return [Outgoing(t("forget_denied", ctx.lang, customer=customer.name))]
    notes, tasks = await privacy.counts(ctx.session, customer.id)
    prompt = await messaging.prompt_add(ctx.session, ctx.member.id, ctx.msg.platform, ctx.msg.chat_id, "forget", {"customer_id": customer.id}, now=ctx.services.clock())
    buttons = [[Button(t("btn_forget", ctx.lang), f"p:{prompt.id}:yes"), Button(t("btn_cancel", ctx.lang), f"p:{prompt.id}:no")]]
    return [Outgoing(t("forget_ask", ctx.lang, customer=customer.name, notes=notes, tasks=tasks), buttons)]


async def press_forget(ctx: Context, prompt, note_unused, choice: str) -> list[Outgoing]:
    """The confirmation button of /forget (prompt kind "forget" in prompts.press)."""
    messaging.close_prompt(ctx.session, prompt)
    if choice != "yes":
        return [Outgoing(t("forget_cancelled", ctx.lang))]
    customer = await crm.get_customer(ctx.session, prompt.data.get("customer_id"))
    if customer is None or not await access.may_forget(ctx.session, ctx.member, customer):
        return [Outgoing(base_t("prompt_closed", ctx.lang))]
    name = customer.name
    removed = await privacy.forget(ctx.session, customer, member_id=ctx.member.id, platform=ctx.msg.platform)
    ctx.services.indexes.changed(ctx.team.id)
    return [Outgoing(t("forget_ok", ctx.lang, customer=name, **removed))]


# --- /pair: one member on several messengers ---------------------------------------------------------
async def cmd_pair(ctx: Context, args: str) -> list[Outgoing]:
    code = args.strip().upper()
    if code:  # typed on an account that is already a member
        row = await ctx.session.get(AccountCode, code)
        if row is not None and row.member_id == ctx.member.id:
            return [Outgoing(t("pair_self", ctx.lang))]
        return [Outgoing(t("pair_member", ctx.lang, name=ctx.member.display_name))]
    code = secrets.token_hex(3).upper()
    ctx.session.add(AccountCode(code=code, member_id=ctx.member.id, created_at=ctx.services.clock()))
    return [Outgoing(t("pair_code", ctx.lang, code=code, minutes=int(PAIR_TTL.total_seconds() // 60)))]


async def pair_stranger(msg: Incoming, code: str, lang: str, services, session) -> list[Outgoing]:
    """/pair CODE from an account we don't know: it becomes one more identity of the member."""
    now = services.clock()
    if await access.too_many_bad_codes(session, msg.platform, msg.sender_id, now):
        return [Outgoing(t("code_tries", lang))]  # (not even checked: codes cannot be guessed by trying)
    row = (await session.exec(select(AccountCode).where(AccountCode.code == code.strip().upper()).with_for_update())).first()
    member = await session.get(Member, row.member_id) if row is not None else None
    if row is None or row.used_at is not None or now - row.created_at > PAIR_TTL or member is None or not member.active:
        await access.record_bad_code(session, msg.platform, msg.sender_id, "/pair", now)
        return [Outgoing(t("pair_bad", lang))]
    platform = PLATFORM_NAMES.get(msg.platform, (msg.platform, msg.platform))[lang == "zh"]
    if any(i.platform == msg.platform for i in await crm.identities_of(session, member.id)):
        return [Outgoing(t("pair_taken", lang, name=member.display_name, platform=platform))]
    row.used_at = now
    session.add(row)
    await forget_old_identity(session, msg.platform, msg.sender_id)
    session.add(Identity(member_id=member.id, platform=msg.platform, platform_user_id=msg.sender_id))
    team = await session.get(Team, member.team_id)
    await crm.audit(session, "pair", team_id=member.team_id, member_id=member.id, platform=msg.platform, detail=f"new {msg.platform} account")
    return [Outgoing(t("pair_ok", lang, platform=platform, name=member.display_name, team=team.name))]


async def forget_old_identity(session, platform: str, user_id: str) -> None:
    """An account of a member who was removed is free again (joining or pairing reuses it)."""
    for row in (await session.exec(select(Identity).where(Identity.platform == platform, Identity.platform_user_id == user_id))).all():
        await session.delete(row)
    await session.flush()


# --- /remove: someone left ------------------------------------------------------------------------
async def cmd_remove(ctx: Context, args: str) -> list[Outgoing]:
    if ctx.member.role != "admin":
        await access.record_refused(ctx.session, ctx.member, ctx.msg.platform, "/remove")
        return [Outgoing(t("admin_only", ctx.lang))]
    name = args.strip()
    if not name:
        return [Outgoing(t("remove_usage", ctx.lang))]
    member = await _member(ctx, name)
    if member is None:
        return [Outgoing(t("member_unknown", ctx.lang, q=fmt.clip(name, 30)))]
    if member.id == ctx.member.id:
        return [Outgoing(t("remove_self", ctx.lang))]
    owned = len((await ctx.session.exec(select(Customer.id).where(Customer.owner_id == member.id))).all())
    open_tasks = len((await ctx.session.exec(select(Task.id).where(Task.assignee_id == member.id, Task.status == "open"))).all())
    if owned or open_tasks:
        return [Outgoing(t("remove_owns", ctx.lang, member=member.display_name, customers=owned, tasks=open_tasks))]
    member.active = False
    ctx.session.add(member)
    for share in (await ctx.session.exec(select(CustomerShare).where(CustomerShare.member_id == member.id))).all():
        await ctx.session.delete(share)
    for code in (await ctx.session.exec(select(AccountCode).where(AccountCode.member_id == member.id, col(AccountCode.used_at).is_(None)))).all():
        code.used_at = ctx.services.clock()  # an unused pairing code must not bring them back
        ctx.session.add(code)
    await crm.audit(ctx.session, "remove_member", team_id=ctx.team.id, member_id=ctx.member.id, platform=ctx.msg.platform, detail=member.display_name)
    return [Outgoing(t("remove_ok", ctx.lang, member=member.display_name))]

