"""/digest (/摘要): the team digest on demand, for managers and admins. "/digest week" gives the
weekly one with its chart. In a group chat amounts are left out.

A chart not in the cache is drawn after the command's transaction commits (handlers/background.py), and
the digest with it is queued then as the command's reply: no transaction is open while it is drawn (on
SQLite a write transaction holds the one write lock: every chat waited for the chart)."""
from __future__ import annotations

import logging

from reminders import digests, workdays
from reminders.texts import t
from storage import crm, messaging
from storage.models import Outbox

from . import access, background
from .context import Context
from chat.messages import Incoming, Outgoing

log = logging.getLogger(__name__)

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
    amounts, chart_name = not ctx.in_group, f"asked-{kind}-{ctx.member.id}-{today.isoformat()}"
    digest = await digests.gather(ctx.session, scope, kind, today, ctx.zone, now, ctx.services.settings)
    png = digests.cached_chart(digest, ctx.lang)
    if kind != "weekly" or png is not None:  # nothing to draw: answered now
        return [await digests.finish(ctx.session, digest, png, ctx.lang, ctx.zone, amounts=amounts, chart_name=chart_name)]
    # the chart is drawn once this transaction has committed, and the digest with it is this command's reply
    services, msg, lang, zone = ctx.services, ctx.msg, ctx.lang, ctx.zone
    background.after_commit(ctx.session, lambda: _draw_and_answer(services, msg, digest, lang, zone, amounts, chart_name), f"digest chart for {msg.key}")
    return []


async def _draw_and_answer(services, msg: Incoming, digest: digests.Digest, lang: str, zone, amounts: bool, chart_name: str) -> None:
    try:
        png = await digests.chart_png(digest, lang)  # in the worker process, no transaction open
    except Exception:
        log.exception("drawing the chart for %s failed; the digest goes without it", msg.key)
        png = None
    now = services.clock()
    async with services.db.write() as session:  # the chart (an attachment) and the reply that carries it, together
        message = await digests.finish(session, digest, png, lang, zone, amounts=amounts, chart_name=chart_name)
        row = Outbox(key=f"reply:{msg.key}:digest", kind="reply", platform=msg.platform, chat_id=msg.chat_id, chat_kind=msg.chat_kind, body=message.to_body(), due_at=now, created_at=now)
        await messaging.outbox_add(session, row)
    services.on_outbox()
