"""/digest (/摘要): the team digest on demand, for managers and admins. "/digest week" gives the
weekly one with its chart. In a group chat amounts are left out."""
from __future__ import annotations

from reminders import digests, workdays
from reminders.texts import t
from storage import crm

from . import access
from .context import Context
from chat.messages import Outgoing

WEEKLY_WORDS = ("week", "weekly", "w", "周", "周报", "本周", "上周")


async def cmd_digest(ctx: Context, args: str) -> list[Outgoing]:
    if ctx.member.role not in ("manager", "admin"):
        await access.record_refused(ctx.session, ctx.member, ctx.msg.platform, "/digest")
        return [Outgoing(t("digest_denied", ctx.lang))]
    kind = "weekly" if args.strip().lower() in WEEKLY_WORDS else "daily"
    now = ctx.services.clock()
    members = await crm.team_members(ctx.session, ctx.team.id)
    scope = digests.scope_of(ctx.member, members)
    today = workdays.local_today(now, ctx.zone)
    message = await digests.compose(
        ctx.session, scope, kind, today, ctx.zone, now, ctx.services.settings, ctx.lang, amounts=not ctx.in_group, chart_name=f"asked-{kind}-{ctx.member.id}-{today.isoformat()}"
    )
    return [message]
