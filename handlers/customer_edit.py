"""Editing a customer from the chat: /tier /stage /alias /phone /email /company /rename CUSTOMER VALUE.

Each change is checked (a bad value gets one line and changes nothing), audited, and seen by the matcher
at once. Phone and email are stored like every contact (encrypted at rest when a key is set).
"""
from __future__ import annotations

from storage import crm
from storage.contacts import looks_like_email, looks_like_phone, normalize_email, normalize_phone
from storage.models import STAGES, TIERS, Customer

from . import access
from chat import format as fmt
from .choose import customer_or_choice
from .context import Context
from .customer_index import record_of
from .customer_new import TIER_WORDS
from .merge import may_edit
from chat.messages import Outgoing
from .workflow_texts import t as wt

STAGE_WORDS = {
    **{s: s for s in STAGES},
    **{v: k for k, v in fmt.STAGE["zh"].items()},
    "潜在客户": "potential", "新": "new", "活跃客户": "active", "老客户": "loyal", "忠实": "loyal", "lost": "churned", "丢失": "churned", "流失客户": "churned",
}
FIELD_WORDS = {"tier": ("tier", "级别"), "stage": ("stage", "阶段"), "alias": ("alias", "别名"), "phone": ("phone", "电话"), "email": ("email", "邮箱"), "company": ("company", "公司"), "name": ("name", "名字")}


def _value(field: str, raw: str) -> str | None:
    """The stored form of a typed value, or None when it is not one."""
    raw = raw.strip()
    if field == "tier":
        return TIER_WORDS.get(raw.lower())
    if field == "stage":
        return STAGE_WORDS.get(raw.lower())
    if field == "phone":
        return normalize_phone(raw) if looks_like_phone(raw) else None
    if field == "email":
        return normalize_email(raw) if looks_like_email(raw) else None
    return raw if 0 < len(raw) <= 100 else None


def _choices(field: str, lang: str) -> str:
    if field == "tier":
        return " / ".join(fmt.TIER[lang][x] for x in TIERS)
    if field == "stage":
        return " / ".join(fmt.STAGE[lang][x] for x in STAGES)
    return {"phone": "13812345678", "email": "name@example.com"}.get(field, "…")


def _shown(field: str, value: str, lang: str) -> str:
    if field == "tier":
        return fmt.TIER[lang][value]
    if field == "stage":
        return fmt.STAGE[lang][value]
    return value


async def edit(ctx: Context, args: str, field: str, command: str) -> list[Outgoing]:
    from .team_commands import _splits

    field_word = FIELD_WORDS[field][ctx.lang == "zh"]
    for left, right in _splits(args):
        value = _value(field, right)
        customer = await customer_or_choice(ctx, left, f"/{command} {{ref}} {right}")
        if isinstance(customer, list):
            if customer and customer[0].buttons and value is not None:
                return customer  # several called so: choose, then the command runs again
            continue
        if value is None:
            return [Outgoing(wt("edit_bad_value", ctx.lang, value=right[:40], field=field_word, choices=_choices(field, ctx.lang)))]
        return await apply(ctx, customer, field, value)
    return [Outgoing(wt("edit_usage", ctx.lang, cmd=command))]


async def apply(ctx: Context, customer: Customer, field: str, value: str) -> list[Outgoing]:
    if not await may_edit(ctx, customer):
        await access.record_refused(ctx.session, ctx.member, ctx.msg.platform, f"/{'rename' if field == 'name' else field}", customer.id)
        return [Outgoing(wt("edit_denied", ctx.lang, customer=customer.name))]
    field_word = FIELD_WORDS[field][ctx.lang == "zh"]
    old = getattr(customer, "aliases" if field == "alias" else field)
    if field == "alias":
        customer.aliases = list(dict.fromkeys([*customer.aliases, value]))
    else:
        setattr(customer, field, value)
    customer.updated_at = ctx.services.clock()
    ctx.session.add(customer)
    await ctx.session.flush()
    secret = field in ("phone", "email")
    detail = f"{field}" if secret else f"{field}: {old} → {value}"
    await crm.audit(ctx.session, "edit", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=detail)
    if field == "stage" and old != value:
        await crm.audit(ctx.session, "stage", team_id=ctx.team.id, member_id=ctx.member.id, customer_id=customer.id, platform=ctx.msg.platform, detail=f"{old}>{value}", at=ctx.services.clock())
    ctx.services.indexes.upsert(ctx.team.id, record_of(customer), ctx.session)
    shown = "•••" if secret and ctx.in_group else _shown(field, value, ctx.lang)
    return [Outgoing(wt("edit_ok", ctx.lang, customer=customer.name, field=field_word, value=shown))]


async def cmd_tier(ctx: Context, args: str) -> list[Outgoing]:
    return await edit(ctx, args, "tier", "tier")


async def cmd_stage(ctx: Context, args: str) -> list[Outgoing]:
    return await edit(ctx, args, "stage", "stage")


async def cmd_alias(ctx: Context, args: str) -> list[Outgoing]:
    return await edit(ctx, args, "alias", "alias")


async def cmd_phone(ctx: Context, args: str) -> list[Outgoing]:
    return await edit(ctx, args, "phone", "phone")


async def cmd_email(ctx: Context, args: str) -> list[Outgoing]:
    return await edit(ctx, args, "email", "email")


async def cmd_company(ctx: Context, args: str) -> list[Outgoing]:
    return await edit(ctx, args, "company", "company")


async def cmd_rename(ctx: Context, args: str) -> list[Outgoing]:
    return await edit(ctx, args, "name", "rename")
