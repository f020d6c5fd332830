"""The Telegram adapter: python-telegram-bot v22 on the shared event loop, nothing lost, nothing doubled.

Receiving. We do not use PTB's Updater: it moves the getUpdates offset in memory before handlers
run, so a crash loses updates. Our own loop stores every update in the inbox (raw JSON, status
'received') and only then asks for the next offset, which is what confirms updates to Telegram.
Webhook mode stores the update before answering 200. On start-up, inbox rows still 'received'
(a crash between receiving and replying) are handled first. Handling goes through PTB's
Application (a TypeHandler) into the shared router, whose inbox dedupe makes redeliveries no-ops.

Sending is not done here: replies are queued in the outbox by the router and the Deliverer hands
them to `TelegramSender`, which paces nothing itself and reports 429s as RetryLater.
"""
from __future__ import annotations

import os

os.environ.setdefault("PTB_TIMEDELTA", "true")  # PTB 22 opt-in: durations (retry_after) as timedelta, no warnings

import asyncio
import dataclasses
import logging
from collections import Counter

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats, Message, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from handlers import router
from handlers.commands import COMMANDS
from storage import messaging

from . import inbox
from ..settings import reveal
from .incoming import PLATFORM, Translated, translate
from .sender import TelegramSender, retry_seconds
from .webhook import WebhookServer, path_of, stable_secret

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
POLL_TIMEOUT = 30  # seconds Telegram holds a getUpdates open when there is nothing new
# Group menus: what a group chat is for (sharing notes, the team's tasks and digest); private chats
# get the rest of the menu (inviting, editing customers, pairing) but not these group-only ones.
GROUP_COMMANDS = ("note", "find", "customer", "tasks", "done", "snooze", "digest", "subscribe", "link", "help")
GROUP_ONLY_COMMANDS = {"note", "subscribe", "link"}
MAX_HANDLING_TRIES = 5
MAX_CHATS_AT_ONCE = 32  # updates of different chats handled at once (one chat's always one after another)
CONNECTIONS = 32  # HTTP connections to the Bot API, so chats handled (and replies sent) at once do not queue for one
SEND_POOL_WAIT = 10.0  # seconds a call may wait for a free connection
MAX_BACKLOG = 1000  # polling waits while this many received updates still wait to be handled  # an update whose file could not be fetched is retried, then left for the next start


class TelegramConflict(RuntimeError):
    """Another process is polling (or serving a webhook for) the same bot token."""


class TelegramAdapter:
    platform = PLATFORM

    def __init__(self, settings, services, *, poll_timeout: float = POLL_TIMEOUT, webhook_host: str = "0.0.0.0", chats_at_once: int = MAX_CHATS_AT_ONCE) -> None:
        self.settings = settings
        self.services = services
        self.poll_timeout = poll_timeout
        self.webhook_host = webhook_host
        # PTB's default pool is one connection: every call (sends, callback answers, downloads) would queue behind the last
        builder = Application.builder().token(reveal(settings.telegram_bot_token)).updater(None).job_queue(None).connection_pool_size(CONNECTIONS).pool_timeout(SEND_POOL_WAIT)
        if settings.telegram_api_url:
            base = settings.telegram_api_url.rstrip("/").removesuffix("/bot")
            builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
        self.application = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self.sender = TelegramSender(self._ready_bot)
        self.webhook: WebhookServer | None = None
        self.me = None
        self._init_lock = asyncio.Lock()
        self._ready = False
        self._stopped = False
        self._offset: int | None = None
        self._tasks: list[asyncio.Task] = []
        self._queue: asyncio.Queue[Update] = asyncio.Queue()
        self._failure: asyncio.Future | None = None
        self._unfinished: Counter[str] = Counter()
        self._chains: dict[str, asyncio.Task] = {}  # chat → the task handling its latest update
        self._waiting = 0  # updates scheduled and not handled yet
        self._slots = asyncio.Semaphore(max(1, chats_at_once))

    @property
    def bot(self):
        return self.application.bot

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        self._failure = asyncio.get_running_loop().create_future()
        self._stopped = False
        try:
            await self._ready_bot()
        except InvalidToken as exc:
            raise RuntimeError("Telegram rejected TELEGRAM_BOT_TOKEN (check it with @BotFather)") from exc
        self.me = self.bot.bot
        log.info("telegram: logged in as @%s", self.me.username)
        await self._set_commands()
        await self._recover()
        if self.settings.telegram_webhook_url:
            await self._start_webhook()
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)  # polling and a webhook exclude each other
            try:
                await self._poll_once(timeout=0)  # a second instance finds out here, before it says "running"
            except Conflict as exc:
                raise self._conflict(exc) from exc
            self._tasks.append(asyncio.create_task(self._poll_forever(), name="telegram-poll"))

    async def stop(self) -> None:
        self._stopped = True
        try:
            await asyncio.wait_for(self.idle(), timeout=10)  # what was received is handled before we go
        except asyncio.TimeoutError:
            log.warning("telegram: stopping with %d updates unhandled (they stay in the inbox)", self._waiting)
        for task in [*self._tasks, *self._chains.values()]:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks.clear()
        if self.webhook is not None:
            await self.webhook.stop()
            self.webhook = None
        async with self._init_lock:
            if self._ready:
                self._ready = False
                await self.application.shutdown()

    async def failed(self) -> BaseException:
        """Returns (with the reason) if the adapter stops on its own for good, e.g. a 409 Conflict."""
        assert self._failure is not None, "start() first"
        return await asyncio.shield(self._failure)

    async def _ready_bot(self):
        async with self._init_lock:
            if not self._ready:
                if self._stopped:
                    raise TelegramError("telegram adapter stopped")
                await self.application.initialize()
                self._ready = True
        return self.bot

    def _fail(self, exc: BaseException) -> None:
        if self._failure is not None and not self._failure.done():
            self._failure.set_result(exc)

    def _conflict(self, exc: Conflict) -> TelegramConflict:
        return TelegramConflict(
            f"Telegram: another instance is already receiving updates for this bot token (409 Conflict: {exc.message}). "
            "Stopping; run a single `crmbot run` per bot token."
        )

    async def _set_commands(self) -> None:
        """The "/" menu: in private chats what works there, in groups what a group is for, each in
        English and in Chinese (Telegram shows the one of the user's app language)."""
        menu = [c for c in COMMANDS if c.in_menu]
        private = [c for c in menu if c.name not in GROUP_ONLY_COMMANDS]
        group = [c for c in COMMANDS if c.name in GROUP_COMMANDS]
        try:
            for scope, commands in ((None, menu), (BotCommandScopeAllPrivateChats(), private), (BotCommandScopeAllGroupChats(), group)):
                await self.bot.set_my_commands([BotCommand(c.name, c.help_en[:256]) for c in commands], scope=scope)
                await self.bot.set_my_commands([BotCommand(c.name, c.help_zh[:256]) for c in commands], scope=scope, language_code="zh")
        except TelegramError as exc:  # the menu is a convenience; the commands work without it
            log.warning("telegram: could not set the command menu: %s", exc)

    # -- receiving: polling ----------------------------------------------------------------------

    async def _poll_once(self, timeout: float) -> None:
        await self._retry_unfinished()
        updates = await self.bot.get_updates(offset=self._offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES)
        if not updates:
            return
        todo = await self._store(updates)  # durable first …
        self._offset = updates[-1].update_id + 1  # … then the next getUpdates may confirm them
        for update in todo:
            self._schedule(update)
        while self._waiting >= MAX_BACKLOG:  # a flood: let handling catch up before asking for more
            await asyncio.wait(list(self._chains.values()), return_when=asyncio.FIRST_COMPLETED)

    async def _poll_forever(self) -> None:
        delay = 1.0
        while True:
            try:
                await self._poll_once(self.poll_timeout)
                delay = 1.0
            except Conflict as exc:
                self._fail(self._conflict(exc))
                return
            except InvalidToken as exc:
                log.error("telegram: the bot token was revoked (%s); stopping", exc)
                self._fail(RuntimeError("Telegram rejected TELEGRAM_BOT_TOKEN"))
                return
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # network or database trouble: the same offset is asked again
                log.warning("telegram: polling failed (%r); retrying in %.0fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    # -- receiving: webhook ----------------------------------------------------------------------

    async def _start_webhook(self) -> None:
        url = self.settings.telegram_webhook_url
        secret = stable_secret(reveal(self.settings.telegram_bot_token) or "", reveal(self.settings.telegram_webhook_key))  # the same on every replica
        self.webhook = WebhookServer(path_of(url), secret, self._accept, host=self.webhook_host, port=self.settings.telegram_webhook_port)
        await self.webhook.start()
        self._tasks.append(asyncio.create_task(self._work_queue(), name="telegram-webhook-worker"))
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
        log.info("telegram: webhook set to %s", url)

    async def _accept(self, data: dict) -> None:
        """Called by the webhook server before it answers 200: store, then queue for handling."""
        update = Update.de_json(data, self.bot)
        for todo in await self._store([update]):
            self._queue.put_nowait(todo)

    async def _work_queue(self) -> None:
        while True:
            update = await self._queue.get()
            try:
                await self._retry_unfinished()
                self._schedule(update)
            except Exception:
                log.exception("telegram: handling a webhook update failed; it stays in the inbox")
            finally:
                self._queue.task_done()

    async def drained(self) -> None:
        """Wait until every update the webhook accepted so far has been handled."""
        await self._queue.join()
        await self.idle()

    # -- the inbox -------------------------------------------------------------------------------

    def _translate(self, update: Update) -> Translated | None:
        return translate(update, self.me, self.services.clock())

    async def _store(self, updates: list[Update]) -> list[Update]:
        return await inbox.store(self.services.db, updates, self._translate)

    async def _recover(self) -> None:
        """Handle what was stored but not handled before the last stop (a crash, a kill -9)."""
        seen: set[str] = set()
        while todo := await inbox.unhandled(self.services.db, self.bot, seen):
            log.info("telegram: handling %d update(s) received before the last stop", len(todo))
            for key, update in todo:
                seen.add(key)
                await self._process(update)

    async def _retry_unfinished(self) -> None:
        """Updates whose file could not be fetched: try again, a few times, then leave them for the next start."""
        if not self._unfinished:
            return
        for key, update in await inbox.still_received(self.services.db, self.bot, list(self._unfinished)):
            if update is None or self._unfinished[key] >= MAX_HANDLING_TRIES:
                self._unfinished.pop(key, None)
                continue
            await self._process(update)

    # -- handling --------------------------------------------------------------------------------

    def _schedule(self, update: Update) -> None:
        """Handle the update concurrently with other chats' and after its own chat's earlier ones,
        so a slow chat (a big import, a slow download) holds up nobody else."""
        chat = update.effective_chat
        key = str(chat.id) if chat is not None else f"update:{update.update_id}"
        self._waiting += 1
        task = asyncio.create_task(self._in_turn(self._chains.get(key), update), name=f"telegram-chat-{key}")
        self._chains[key] = task
        task.add_done_callback(lambda done: self._chains.pop(key, None) if self._chains.get(key) is done else None)

    async def _in_turn(self, previous: asyncio.Task | None, update: Update) -> None:
        try:
            if previous is not None:
                await asyncio.wait([previous])  # order within a chat (its failure does not stop the next)
            async with self._slots:
                await self._process(update)
                translated = self._translate(update)
                key = translated.incoming.key if translated is not None else ""
                while 0 < self._unfinished.get(key, 0) < MAX_HANDLING_TRIES:  # its file could not be fetched: again, a few times
                    await self._process(update)
        except Exception:
            log.exception("telegram: handling update %s failed; it stays in the inbox", update.update_id)
        finally:
            self._waiting -= 1

    async def idle(self, chat_id: int | str | None = None) -> None:
        """Wait until every update received so far (of that chat, or of all) has been handled."""
        while True:
            chains = [task for key, task in self._chains.items() if chat_id is None or key == str(chat_id)]
            if not chains:
                return
            await asyncio.wait(chains)

    async def _process(self, update: Update) -> None:
        await self.application.process_update(update)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        translated = self._translate(update)
        if translated is None:
            return
        msg = translated.incoming
        if translated.callback_id:
            await self._quietly(self.bot.answer_callback_query(translated.callback_id))
        if translated.file_id:
            try:
                msg = dataclasses.replace(msg, file_bytes=await self._download(translated.file_id))
            except TelegramError as exc:
                self._unfinished[msg.key] += 1
                log.warning("telegram: could not fetch %s for %s (%s); will retry", msg.file_name, msg.key, exc)
                return
        replies = await router.handle(msg, self.services)
        self._unfinished.pop(msg.key, None)
        if translated.callback_id and not any(r.replaces for r in replies):  # else the answer itself replaces the message
            await self._settle_keyboard(update, msg.button_payload)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: handling an update failed", exc_info=context.error)

    async def _download(self, file_id: str) -> bytes:
        file = await self.bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())

    async def _settle_keyboard(self, update: Update, payload: str | None) -> None:
        """Once a question is answered (or found closed), its buttons go and the choice is shown."""
        message = update.callback_query.message
        if not isinstance(message, Message) or message.reply_markup is None or not payload:
            return
        parts = payload.split(":")
        if len(parts) != 3:
            return
        async with self.services.db.read() as session:
            prompt = await messaging.prompt_get(session, parts[1])
        if prompt is None or prompt.status == "open":
            return  # a forged payload, or a question still open (someone else pressed)
        label = next((b.text for row in message.reply_markup.inline_keyboard for b in row if b.callback_data == payload), None)
        if message.text:
            text = f"{message.text}\n→ {label}" if label else message.text
            await self._quietly(self.bot.edit_message_text(text[:4096], chat_id=message.chat.id, message_id=message.message_id, reply_markup=None))
        else:
            await self._quietly(self.bot.edit_message_reply_markup(chat_id=message.chat.id, message_id=message.message_id, reply_markup=None))

    @staticmethod
    async def _quietly(call) -> None:
        """Cosmetic calls (answering a press, removing a keyboard) may fail: an old query, an old message."""
        try:
            await call
        except TelegramError as exc:
            log.debug("telegram: %s", exc)

