"""The entry point for every incoming message: dedupe, identify, dispatch, queue the replies.

All effects of one message (its inbox row, what it files, its replies in the outbox) are written
in one transaction, so a crash leaves either everything or nothing, and a redelivered message
(same key) changes nothing.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import heapq
import logging
import sqlite3
import time
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from storage import crm, inbox_notify, messaging
from storage.db import is_locked
from storage.raw_sql import raw
from storage.models import Inbox, Outbox, utcnow

from . import chatter, commands, edit_forms, edited_note, language, prompts, quick_note
from .context import Context, Services
from chat.messages import Incoming, Outgoing
from .texts import t

log = logging.getLogger(__name__)

MAX_INPUT_CHARS = 50_000  # hard cap on what we even look at; longer input is cut before anything else


def clean_text(text: str | None) -> str:
    """Normalise what adapters hand us: no NULs or control characters, NFC, trimmed."""
    if not text:
        return ""
    text = text[:MAX_INPUT_CHARS]
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return unicodedata.normalize("NFC", text).strip()


async def handle(msg: Incoming, services: Services) -> list[Outgoing]:
    """Handle one message; returns the replies (already queued in the outbox for delivery).

    On PostgreSQL (several replicas) a chat's messages are handled in the order they were stored in the
    inbox, whichever replica took each: see _in_order."""
    msg = msg.storable()  # text no backend can store (lone surrogates, NULs) is kept sanitized, not lost
    try:
        replies = await _handled(msg, services)
        if replies is None:
            return []  # redelivery: nothing twice
    except IntegrityError:
        log.info("duplicate delivery of %s raced; ignored", msg.key)
        return []
    except Exception:
        log.exception("handling %s failed", msg.key)
        services.indexes.drop_all()  # an index may hold what the failed transaction wrote
        lang = language.choose(msg.text or "", msg.language_hint, None, getattr(services.settings, "language", "en"))
        replies = [Outgoing(t("error", lang))]
        kept = await _record_failure(msg, services, replies)
        if kept is None:
            return []  # handled meanwhile by another replica (it took the message over): nothing failed
        if not kept:
            return [Outgoing(t("error_not_kept", lang))]  # never say "kept" about what was not
        return replies
    services.on_outbox()
    return replies


# SQLite has one writer at a time: a message whose transaction found the write lock held for all of
# BUSY_SECONDS (another process's long import, a backup) is tried again, its transaction having been
# rolled back whole, instead of being answered with an error and left unfiled (issue 13, high 4).
LOCK_RETRIES = 3


async def _handled(msg: Incoming, services: Services) -> list[Outgoing] | None:
    for attempt in range(LOCK_RETRIES + 1):
        try:
            if services.db.is_sqlite:  # one process, whose adapters keep a chat's order: unchanged
                return await _once(msg, services, ordered=False, wait=False)
            return await _in_order(msg, services)
        except (OperationalError, sqlite3.OperationalError) as error:
            lost = getattr(error, "connection_invalidated", False)  # PostgreSQL: the connection died (a restart) under
            if attempt == LOCK_RETRIES or not (is_locked(error) or lost):  # the transaction, which was rolled back with it
                raise
            if lost:
                log.warning("%s: the database connection was lost; trying again on another (%d of %d)", msg.key, attempt + 1, LOCK_RETRIES)
            else:
                log.warning("%s: the database stayed locked by another writer; trying again (%d of %d)", msg.key, attempt + 1, LOCK_RETRIES)
            services.indexes.drop_all()  # as after any failed transaction
        except PoolTimeout:  # every pooled connection stayed busy (an overloaded replica, issue 18's fleet test at load 13):
            if attempt == LOCK_RETRIES:  # the transaction that waited never began, so nothing is undone: try again
                raise
            log.warning("%s: no database connection free in time; trying again (%d of %d)", msg.key, attempt + 1, LOCK_RETRIES)
            services.indexes.drop_all()
    raise AssertionError("unreachable")


async def _once(msg: Incoming, services: Services, *, ordered: bool, wait: bool) -> list[Outgoing] | None:
    """One transaction: the message's effects, or None when it was handled already. `ordered` (PostgreSQL):
    under the chat's lock; `wait`: raising _NotYourTurn (rolled back, nothing written) while an earlier
    message of the chat is not handled yet."""
    async with services.db.write(quick=_is_short(msg)) as session:
        if ordered:  # PostgreSQL: with what the message will read first, in one round trip (_ahead)
            ahead = await _ahead(session, msg, services)
            status, earlier = await messaging.inbox_turn(session, msg.key, msg.platform, msg.chat_id, utcnow() - ORDER_HORIZON, ahead)  # received_at is wall time
            if earlier is not None and wait:
                raise _NotYourTurn(earlier)
        else:
            status = await messaging.inbox_status(session, msg.key)
        if status == "handled":
            return None
        return await _handle_in(session, msg, status, services)


async def _ahead(session, msg: Incoming, services: Services) -> list[tuple[tuple, str, dict]]:
    """Reads a message will make first whatever it turns out to be, sent with its turn's (PostgreSQL: one round trip
    instead of one each): the sender's member and team; for typed text, their open question in the chat and an id
    for the note's row (a sequence value; one left unused by a text that files no note is a gap in the ids)."""
    reads = [crm.member_and_team_ahead(msg.platform, msg.sender_id)]
    if msg.text and _is_short(msg) and not (msg.button_payload or msg.form is not None or msg.logged_note or msg.edit_of or msg.media_kind):
        db = await raw(session)
        reads.append(messaging.prompt_open_ahead(db, msg.platform, msg.sender_id, msg.chat_id, services.clock() - prompts.TEXT_ANSWER_WINDOW))
        reads.append((crm.INTERACTION_ID, crm.INTERACTION_ID_SQL, {}))
    return reads


# Per-chat order across replicas (PostgreSQL). The adapters store a message in the inbox before they ack it
# and a platform sends a chat's next message after that ack, so a chat's inbox ids are its sequence. A
# message whose row is still 'received' is handled once no earlier row of its chat is: checked under the
# chat's transaction lock (storage/messaging.inbox_turn), which also makes two replicas handling one message
# (a retry, the inbox sweep) take turns. Within a process only the chat's first waiting message (by inbox
# id) goes to the database; the others wait here, holding no connection.
#
# An earlier row still 'received' TAKE_OVER_AFTER after it arrived is taken over: handled here, through the
# adapter's own recovery (`takeovers`, registered by bot/runner.py), as the inbox sweep would (a replica
# killed after its ack leaves such rows; a slow live one is harmless: the lock makes one of the two find it
# handled). A message gives up waiting for one earlier row after ORDER_WAIT without progress (a row no
# replica can handle, e.g. a file that cannot be fetched), and rows received over ORDER_HORIZON ago are not
# waited for at all: such a row must not hold up its chat for good.
TAKE_OVER_AFTER = dt.timedelta(seconds=30)  # as bot/runner.INBOX_STALE
ORDER_WAIT = dt.timedelta(seconds=90)
ORDER_HORIZON = dt.timedelta(minutes=10)
takeovers: dict[tuple[str, str], Callable[[str], Awaitable[None]]] = {}  # (database URL, platform) → handle the stored message of this key


class _NotYourTurn(Exception):
    def __init__(self, earlier: int) -> None:
        super().__init__(f"inbox row {earlier} first")
        self.earlier = earlier


class _Turns:
    """This process's messages of each chat waiting for their turn, by inbox id: only the first goes on."""

    def __init__(self) -> None:
        self._chats: dict[tuple[str, str, str], tuple[asyncio.Condition, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def first(self, chat: tuple[str, str, str], row_id: int, timeout: float) -> AsyncIterator[bool]:
        """Until `row_id` is the smallest of the chat's here (True), or `timeout` passes (False)."""
        if chat not in self._chats:
            self._chats[chat] = (asyncio.Condition(), [])
        cond, ids = self._chats[chat]
        async with cond:
            heapq.heappush(ids, row_id)
            try:
                first = await asyncio.wait_for(cond.wait_for(lambda: ids[0] == row_id), max(timeout, 0.0))
            except asyncio.TimeoutError:
                first = False
        try:
            yield first
        finally:
            async with cond:
                ids.remove(row_id)
                heapq.heapify(ids)
                cond.notify_all()
                if not ids and self._chats.get(chat, (None,))[0] is cond:
                    del self._chats[chat]


_TURNS = _Turns()


_AT_ONCE: dict[tuple[str, str, str], asyncio.Event] = {}  # chats with a message going straight to the database here


async def _in_order(msg: Incoming, services: Services) -> list[Outgoing] | None:
    chat = (services.db.url, msg.platform, msg.chat_id)
    while chat in _AT_ONCE:  # another message of the chat is being handled here: wait for it, holding no connection
        await _AT_ONCE[chat].wait()
    if chat not in _TURNS._chats:  # none of the chat's messages waits here: try at once, usually its turn (issue 17:
        done = _AT_ONCE[chat] = asyncio.Event()  # the read of its inbox id below was a transaction of its own)
        try:
            return await _once(msg, services, ordered=True, wait=True)
        except _NotYourTurn:
            pass  # an earlier message of the chat is not handled yet (another replica's): wait for it below
        finally:
            del _AT_ONCE[chat]
            done.set()
    async with services.db.read() as session:
        row_id = await messaging.inbox_received_id(session, msg.key)
    if row_id is None:  # handled already, or not stored by its adapter first (no sequence to keep)
        return await _once(msg, services, ordered=True, wait=False)
    async with _TURNS.first((services.db.url, msg.platform, msg.chat_id), row_id, ORDER_HORIZON.total_seconds()) as wait:
        waiting_for, deadline = None, 0.0
        while True:
            try:
                return await _once(msg, services, ordered=True, wait=wait)
            except _NotYourTurn as turn:
                if turn.earlier != waiting_for:  # progress: the chat moved on to its next earlier row
                    waiting_for, deadline = turn.earlier, time.monotonic() + ORDER_WAIT.total_seconds()
                if not await _wait_for(services, turn.earlier, deadline):
                    log.warning("%s: the chat's earlier message (inbox %s) is still not handled after %s; handling this one now", msg.key, turn.earlier, ORDER_WAIT)
                    wait = False


async def _wait_for(services: Services, row_id: int, deadline: float) -> bool:
    """Until inbox row `row_id` is no longer 'received' (True) or the monotonic deadline passes (False).
    The earlier message is usually being handled by another replica right now: its commit wakes us
    (NOTIFY, storage/inbox_notify.py) while this process listens; otherwise we poll with a short backoff
    (one poller per chat and process). A row left too long is taken over (see `takeovers`)."""
    delay, taken = 0.002, False
    with inbox_notify.WAITERS.watch(row_id) as left:  # watched before each look: a wake-up in between is kept
        while True:
            left.clear()
            async with services.db.read() as session:
                found = await messaging.inbox_waiting(session, row_id)
            if found is None:
                return True
            key, platform, received_at = found
            take = takeovers.get((services.db.url, platform))
            stale_in = (received_at + TAKE_OVER_AFTER - utcnow()).total_seconds()
            if take is not None and not taken and stale_in < 0:
                taken = True
                log.warning("%s: handling the earlier message %s of its chat here: received at %s and still not handled (its replica stopped?)", platform, key, received_at.isoformat())
                try:
                    await take(key)
                except Exception:
                    log.exception("taking over %s failed", key)
                continue
            left_s = deadline - time.monotonic()
            if left_s <= 0:
                return False
            if inbox_notify.WAITERS.listening(services.db.url):  # woken by the row's commit; looking again now and then all the same
                timeout = min(inbox_notify.SLOW_POLL, left_s, stale_in if take is not None and not taken else left_s)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(left.wait(), max(timeout, 0.0))
            else:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.1)


async def _handle_in(session, msg: Incoming, status: str | None, services: Services) -> list[Outgoing]:
    """Everything one message does, in the caller's transaction: dispatch, the inbox row, the replies."""
    replies = await dispatch(msg, services, session)
    if status is None:  # not stored by the adapter first: one INSERT, already handled (a racing duplicate fails on its key)
        payload = session.info.pop(_STRANGER_PAYLOAD, None) or _payload(msg)
        now = services.clock()
        values = dict(key=msg.key, platform=msg.platform, chat_id=msg.chat_id, sender_id=msg.sender_id, payload=payload, status="handled", received_at=now, handled_at=now)
        await messaging.insert_rows(session, Inbox, [messaging.row_values(Inbox, **values)])
    else:
        await messaging.inbox_mark_handled(session, msg.key, services.clock())
    await queue_replies(session, msg, replies, services.clock())  # keys are new: this message was never handled
    return replies


def _is_short(msg: Incoming) -> bool:
    """Notes, answers and buttons are short transactions; files (imports) and commands (reports, exports) may not be."""
    return msg.file_bytes is None and not (msg.text or "").lstrip().startswith("/")


async def _record_failure(msg: Incoming, services: Services, replies: list[Outgoing]) -> bool | None:
    """Keep what the user sent even when handling failed, and tell them once; False when it could not be kept,
    None when the message was handled meanwhile (PostgreSQL: another replica took it over while this one was
    slow, and filed it): then neither its row nor the user hears of this failure."""
    try:
        async with services.db.write() as session:
            if not services.db.is_sqlite:  # under the chat's lock, as handling is: a takeover in flight finishes first
                await messaging.inbox_turn(session, msg.key, msg.platform, msg.chat_id, utcnow())
            row = await messaging.inbox_get(session, msg.key)
            if row is not None and row.status == "handled":
                log.info("%s: handled meanwhile elsewhere; its failure here is dropped", msg.key)
                return None
            if row is None:
                row = await messaging.inbox_record(session, msg.key, msg.platform, msg.chat_id, msg.sender_id, _payload(msg))
            row.status = "failed"
            session.add(row)
            if row.id is not None:
                await messaging.inbox_announce(session, row.id)  # no longer 'received': the chat's next messages go on
            for i, reply in enumerate(replies):
                await messaging.outbox_add(session, _reply_row(msg, f"failed:{i}", reply, services.clock()))
        services.on_outbox()
        return True
    except Exception:
        log.exception("could not record the failure of %s", msg.key)
        return False


def _payload(msg: Incoming) -> dict:
    return {
        "text": msg.text,
        "sender_name": msg.sender_name,
        "chat_kind": msg.chat_kind,
        "sent_at": msg.sent_at.isoformat(),
        "button": msg.button_payload,
        "file_name": msg.file_name,
        "media_kind": msg.media_kind,
    }


def _reply_row(msg: Incoming, suffix: str, reply: Outgoing, now) -> Outbox:
    return Outbox(key=f"reply:{msg.key}:{suffix}", kind="reply", platform=msg.platform, chat_id=msg.chat_id, chat_kind=msg.chat_kind, body=reply.to_body(), due_at=now, created_at=now)


async def queue_replies(session, msg: Incoming, replies: list[Outgoing], now) -> None:
    """Replies are due at once by the injected clock (the deliverer claims rows due by that clock)."""
    rows = [
        messaging.row_values(
            Outbox, key=f"reply:{msg.key}:{i}", kind="reply", platform=msg.platform, chat_id=msg.chat_id, chat_kind=msg.chat_kind, body=reply.to_body(), due_at=now, created_at=now
        )
        for i, reply in enumerate(replies)
    ]
    await messaging.insert_rows(session, Outbox, rows)  # plain INSERTs: _reply_row's instances cost more than the rows


async def dispatch(msg: Incoming, services: Services, session) -> list[Outgoing]:
    text = clean_text(msg.text)
    found = await crm.member_and_team_by_identity(session, msg.platform, msg.sender_id)
    member, team = found if found else (None, None)
    own_words = not msg.logged_note and msg.form is None  # a logged message is someone else's words; a form has none
    known = language.habits_of(services).conversation(member.id, member.language) if member else None
    lang = language.choose(text if own_words else "", msg.language_hint, known, getattr(services.settings, "language", "en"))

    if member is None:
        await _keep_no_text(session, msg)  # someone we don't know: the key and status only
        return await commands.for_stranger(msg, text if own_words else "", lang, services, session)
    ctx = Context(msg=msg, services=services, session=session, member=member, team=team, lang=lang)
    if own_words:
        await _learn_language(ctx, text)
    _learn_timezone(ctx)

    if msg.form is not None:
        return await edit_forms.submit(ctx, msg.form)
    if msg.logged_note:
        return await edit_forms.log_note(ctx, text)
    if msg.button_payload:
        return await prompts.press(ctx, msg.button_payload)
    if msg.edit_of:
        return await edited_note.reread(ctx, text)
    if msg.media_kind and not msg.file_bytes:
        return [Outgoing(t("unsupported_media", lang, kind=_media_word(msg.media_kind, lang)))]
    if msg.file_bytes is not None:
        return await commands.import_file(ctx)
    if text.startswith("/"):
        return await commands.run(ctx, text)
    if ctx.in_group and not (msg.addressed or msg.reply_to_bot):
        return []  # plain chatter in a group is not for us
    answered = await prompts.answer_with_text(ctx, text)
    if answered is not None:
        return answered
    return chatter.answer(ctx, text) or await quick_note.file_note(ctx, text)


_STRANGER_PAYLOAD = "crmbot_inbox_payload"  # session.info: the payload handle() stores for a new inbox row


async def _keep_no_text(session, msg: Incoming) -> None:
    payload = {"chat_kind": msg.chat_kind, "sent_at": msg.sent_at.isoformat()}
    session.info[_STRANGER_PAYLOAD] = payload  # the row is inserted after dispatch when the adapter did not store it
    row = await messaging.inbox_get(session, msg.key)
    if row is not None:
        row.payload = payload
        session.add(row)


async def _learn_language(ctx: Context, text: str) -> None:
    """Replies follow each message's language; the member's stored one (pushes) changes after a run of messages in
    the other language (handlers/language.Habits: in memory, no read or write per note)."""
    settled = language.habits_of(ctx.services).hear(ctx.member.id, ctx.member.language, text)
    if settled:
        await crm.set_member_language(ctx.session, ctx.member, settled)


def _learn_timezone(ctx: Context) -> None:
    """Messengers that know the sender's clock (Slack) keep the member's timezone current."""
    zone = ctx.msg.sender_timezone
    if not zone or zone == ctx.member.timezone:
        return
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return
    ctx.member.timezone = zone
    ctx.session.add(ctx.member)


def _media_word(kind: str, lang: str) -> str:
    words = {"voice": ("voice messages", "语音"), "photo": ("photos", "图片"), "sticker": ("stickers", "表情"), "video": ("videos", "视频")}
    en, zh = words.get(kind, ("that kind of message", "这类消息"))
    return zh if lang == "zh" else en
