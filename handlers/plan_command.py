"""/plan (/方案): the team's contact plan — how many days of silence before a nag and between reviews,
per tier — shown to anyone, changed by managers and admins:

    /plan                        the plan
    /plan review important 20    review important customers every 20 days
    /方案 联系 一般 45            nag about general customers after 45 silent days
    /plan review important default   back to the CRMBOT_* default
    /plan complaint 2            a complaint's follow-up for the owner 2 working days after the note

The plan is stored on the team (storage/contact_plan.py) and read by the nags, the review list, the
card, the plan sheet and the digest's review coverage. Every change is audited (action "plan").
"""
from __future__ import annotations

from chat import format as fmt
from chat.messages import Outgoing
from storage import contact_plan, crm
from storage.models import Team

from . import access
from .context import Context
from .customer_new import TIER_WORDS
from .team_texts import t

KIND_WORDS = {
    "contact": "contact", "silence": "contact", "nag": "contact", "联系": "contact", "沉默": "contact", "提醒": "contact",
    "review": "review", "复盘": "review", "回顾": "review",
}
RISK_WORDS = {"complaint": "complaint", "complaints": "complaint", "投诉": "complaint", "payment": "overdue_payment", "overdue": "overdue_payment", "欠款": "overdue_payment", "逾期": "overdue_payment"}
DEFAULT_WORDS = ("default", "reset", "默认", "恢复默认")
TIER_MARK = {"important": "⭐", "special": "🕒", "general": "•"}


def _read(args: str) -> tuple[str, str, int | None] | None:
    """(kind, tier or risk, days or None for the default) from its words in any order, else None:
    kind, tier and days; or a risk and days."""
    words = args.lower().replace("个工作日", " ").replace("工作日", " ").replace("天", " ").replace("days", " ").replace("day", " ").split()
    kind = tier = None
    days: int | None | str = ""
    for word in words:
        if word in KIND_WORDS and kind is None and tier not in RISK_WORDS.values():
            kind = KIND_WORDS[word]
        elif word in RISK_WORDS and kind is None and tier is None:
            kind, tier = "risk", RISK_WORDS[word]
        elif word in TIER_WORDS and tier is None:
            tier = TIER_WORDS[word]
        elif word in DEFAULT_WORDS and days == "":
            days = None
        elif word.isascii() and word.isdigit() and len(word) <= 4 and days == "":
            days = int(word)
        else:
            return None
    if kind is None or tier is None or days == "":
        return None
    return kind, tier, days if days is None else int(days)


def show(plan: contact_plan.Plan, lang: str) -> str:
    lines = [t("plan_head", lang)]
    for tier in contact_plan.TIERS:
        own = "*" if ("contact", tier) in plan.own or ("review", tier) in plan.own else ""
        lines.append(t("plan_line", lang, mark=TIER_MARK[tier], tier=fmt.TIER[lang][tier], contact=plan.contact_days(tier), review=plan.review_days(tier), own=own))
    risk_own = "*" if any(kind == "risk" for kind, _ in plan.own) else ""
    lines.append(t("plan_risks", lang, complaint=plan.days("risk", "complaint"), payment=plan.days("risk", "overdue_payment"), own=risk_own))
    if plan.own:
        lines.append(t("plan_own", lang))
    return "\n".join(lines)


async def cmd_plan(ctx: Context, args: str) -> list[Outgoing]:
    settings = ctx.services.settings
    team = await ctx.session.get(Team, ctx.team.id)
    if not args.strip():
        hint = t("plan_hint", ctx.lang) if ctx.member.role in ("manager", "admin") else ""
        return [Outgoing("\n".join(x for x in (show(contact_plan.plan_of(team, settings), ctx.lang), hint) if x))]
    if ctx.member.role not in ("manager", "admin"):
        await access.record_refused(ctx.session, ctx.member, ctx.msg.platform, "/plan")
        return [Outgoing(t("manager_only", ctx.lang))]
    wanted = _read(args)
    if wanted is None:
        return [Outgoing(t("plan_usage", ctx.lang, low=contact_plan.MIN_DAYS, high=contact_plan.MAX_DAYS))]
    kind, tier, days = wanted
    if days is not None and not contact_plan.MIN_DAYS <= days <= contact_plan.max_days(kind):
        return [Outgoing(t("plan_range", ctx.lang, low=contact_plan.MIN_DAYS, high=contact_plan.max_days(kind)))]
    before = contact_plan.plan_of(team, settings).days(kind, tier)
    contact_plan.set_days(team, kind, tier, days)
    ctx.session.add(team)
    after = contact_plan.plan_of(team, settings).days(kind, tier)
    await crm.audit(ctx.session, "plan", team_id=team.id, member_id=ctx.member.id, platform=ctx.msg.platform, detail=f"{kind} {tier}: {before} -> {after}" + (" (default)" if days is None else ""))
    if kind == "risk":
        return [Outgoing(t("plan_set_risk", ctx.lang, risk=fmt.RISK[ctx.lang][tier], days=after))]
    return [Outgoing(t(f"plan_set_{kind}", ctx.lang, tier=fmt.TIER[ctx.lang][tier], days=after))]
