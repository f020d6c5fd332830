"""A spreadsheet sent in a chat is imported in the background, outside the message's transaction.

The message is answered at once ("importing…") and its transaction stays short; once it commits,
the import runs (storage/importer.py: checked, then written in batches of short transactions, the
parsing in a worker thread) and its summary, or the one line saying why nothing changed, is queued
as a second reply. The import sees what its author sees, and only an admin imports for others.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import event

from storage import messaging
from storage.importer import Importer, import_sheet
from storage.models import Outbox
from storage.spreadsheet import SheetError

from . import access
from .context import Context
from chat.messages import Outgoing
from .texts import t

log = logging.getLogger(__name__)
_running: set[asyncio.Task] = set()


async def start(ctx: Context) -> list[Outgoing]:
    msg, member, services, lang = ctx.msg, ctx.member, ctx.services, ctx.lang
    visible = None if member.role == "admin" else await access.customer_filter(ctx.session, member)
    who = Importer(team_id=ctx.team.id, actor_id=member.id, for_others=member.role == "admin", visible=visible, platform=msg.platform)
    data, name = msg.file_bytes or b"", msg.file_name or "upload.csv"

    def after_commit(_session) -> None:
        task = asyncio.get_running_loop().create_task(_run(services, msg, who, data, name, lang))
        _running.add(task)
        task.add_done_callback(_running.discard)

    event.listen(ctx.session.sync_session, "after_commit", after_commit, once=True)
    return [Outgoing(t("import_started", lang, file=name))]


async def _run(services, msg, who: Importer, data: bytes, name: str, lang: str) -> None:
    try:
        summary = await import_sheet(services.db, who, data, name, clock=services.clock)
        text = "\n".join([summary.render(lang), *await _not_understood(services, who, data, name, lang)])
    except SheetError as exc:
        text = t("import_failed", lang, reason=str(exc))
    except Exception:
        log.exception("importing %s for %s failed", name, msg.key)
        text = t("import_broke", lang)
    services.indexes.changed(who.team_id)
    now = services.clock()
    async with services.db.write() as session:
        row = Outbox(key=f"reply:{msg.key}:import", kind="reply", platform=msg.platform, chat_id=msg.chat_id, chat_kind=msg.chat_kind, body=Outgoing(text).to_body(), due_at=now, created_at=now)
        await messaging.outbox_add(session, row)
    services.on_outbox()


async def _not_understood(services, who: Importer, data: bytes, name: str, lang: str) -> list[str]:
    """Columns and values the import could not read, said back (never dropped silently)."""
    from storage import crm
    from storage.sheet_review import review

    async with services.db.read() as session:
        members = {m.display_name.lower() for m in await crm.team_members(session, who.team_id)}
    return await asyncio.to_thread(review, data, name, members, lang)


async def settle() -> None:
    """Wait for every import started so far (tests, and a clean shutdown)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)
