"""The Slack adapter: slack-bolt's AsyncApp on the bot's event loop, Socket Mode by default or
HTTP (signed requests) when CRMBOT_SLACK_HTTP_PORT is set.

Nothing lost: every listener first stores what it got in the inbox (raw payload, status 'received';
one INSERT), then acks, then hands the slow part (users.info, parsing, the CRM) to a tracked
background task. A crash after the ack leaves the row 'received'; start() handles such rows before
it listens again, and a retry of a stored-but-unhandled event is handled once (the router skips
keys already 'handled'). Replies are queued in the outbox by the router and sent by SlackSender.
"""
from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from handlers import edit_forms, router
from handlers.home import home_of
from chat.messages import Incoming, Outgoing

from ..settings import reveal
from . import forms, inbox
from . import incoming as translate
from .files import download
from .home import ACTION_PREFIX as HOME_ACTION_PREFIX
from .home import PAGE_ACTION_PREFIX as HOME_PAGE_PREFIX
from .home import page_of as home_page_of
from .home import view as home_view
from .profiles import Profiles
from .sender import PLATFORM, EphemeralReplies, ResponseUrls, SlackSender
from .signature import verify
from .text import BUTTON_ACTION_PREFIX

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
PUBLIC_COMMANDS = {"digest", "link", "subscribe"}  # answered for the whole channel: said on request, for everyone
Handle = Callable[[Incoming, object], Awaitable[list[Outgoing]]]


class SlackConfigError(SystemExit):
    pass


class SlackAdapter:
    platform = PLATFORM

    def __init__(self, settings, services, *, handle: Handle | None = None, host: str = "0.0.0.0") -> None:
        self.settings = settings
        self.services = services
        self.handle = handle or router.handle
        self.host = host
        self.port: int | None = None  # HTTP mode: the port actually bound
        base_url = settings.slack_api_url or AsyncWebClient.BASE_URL
        self.client = AsyncWebClient(token=reveal(settings.slack_bot_token), base_url=base_url.rstrip("/") + "/")
        api = urlsplit(self.client.base_url)
        # a response_url is POSTed to: only Slack's own hosts (or the configured API server's)
        self._response_origins = ("https://hooks.slack.com/", f"{api.scheme}://{api.netloc}/")
        self.response_urls = ResponseUrls(services.clock)
        self.ephemeral = EphemeralReplies(services.clock)
        self.sender = SlackSender(self.client, self.response_urls, self.ephemeral)
        self.profiles = Profiles(self.client, services.clock)
        self.bot_user_id: str | None = None
        self._tasks: set[asyncio.Task] = set()
        self._active: set[str] = set()  # inbox keys being handled right now
        self._home_users: set[str] = set()  # who opened the App Home tab (republished after what they do)
        self._runner: web.AppRunner | None = None
        self._socket = None
        self.app = self._build_app()

    # --- Bolt ------------------------------------------------------------------------------------
    def _build_app(self) -> AsyncApp:
        app = AsyncApp(
            client=self.client,
            signing_secret=reveal(self.settings.slack_signing_secret),
            request_verification_enabled=False,  # checked in _http before Bolt (401, never 500)
            process_before_response=True,  # listeners only ack and spawn: the response waits for nothing slow
            name="crmbot",
        )

        @app.event("message")
        async def on_message(ack, body, event):
            if not translate.is_direct_message(event):
                await ack()
                return
            await self._accept(ack, inbox.received("message", body, self.services.clock()))

        @app.event("app_mention")
        async def on_mention(ack, body, event):
            if not event.get("user") or event.get("bot_id"):
                await ack()
                return
            await self._accept(ack, inbox.received("mention", body, self.services.clock()))

        @app.command("/crm")
        async def on_command(ack, command):
            await self._accept(ack, inbox.received("command", command, self.services.clock()))

        @app.action(re.compile("^" + re.escape(BUTTON_ACTION_PREFIX)))
        async def on_button(ack, body, action):
            user, value = (body.get("user") or {}).get("id", ""), action.get("value") or ""
            if value.endswith(":date") and (task := await edit_forms.reminder_task(self.services, PLATFORM, user, value)):
                await ack()  # a reminder's Reschedule: the follow-up form, not a typed date
                self._spawn(self._open_form(body, "task", task))
                return
            await self._accept(ack, inbox.received("action", body, self.services.clock(), action))

        @app.action(re.compile("^" + re.escape(forms.EDIT_ACTION_PREFIX)))
        async def on_edit(ack, body, action):
            await ack()  # opening a form changes nothing: no inbox row
            target = forms.edit_target(action.get("value"))
            if target is not None:
                self._spawn(self._open_form(body, *target))

        @app.view(re.compile("^" + re.escape(forms.CALLBACK_PREFIX)))
        async def on_form(ack, body, view):
            """Checked before the modal closes (errors shown in it, nothing stored); then stored and acked."""
            user = (body.get("user") or {}).get("id", "")
            read = forms.form_of(view)
            if read is None:
                lang = await edit_forms.language_of(self.services, PLATFORM, user)
                await ack(response_action="errors", errors=forms.block_errors({"form": edit_forms.text("bad_form", lang)}, view))
                return
            errors = await edit_forms.check(self.services, PLATFORM, user, read[0])
            if errors:
                await ack(response_action="errors", errors=forms.block_errors(errors, view))
                return
            await self._accept(ack, inbox.received("form", body, self.services.clock()))

        @app.message_shortcut(forms.SHORTCUT_CALLBACK)
        async def on_shortcut(ack, body):
            item = inbox.received("shortcut", body, self.services.clock())
            if not await self._accept(ack, item):
                self._spawn(self._already_logged(item))

        @app.event("app_home_opened")
        async def on_home_opened(ack, event):
            await ack()
            user = event.get("user")
            if user and event.get("tab", "home") == "home":
                self._home_users.add(user)
                self._spawn(self.publish_home(user))

        @app.action(re.compile("^" + re.escape(HOME_ACTION_PREFIX)))
        async def on_home_button(ack, body, action):
            await self._accept(ack, inbox.received("home", body, self.services.clock(), action))

        @app.action(re.compile("^" + re.escape(HOME_PAGE_PREFIX)))
        async def on_home_page(ack, body, action):  # More / First on the Home tab: a view only, nothing stored
            await ack()
            self._spawn(self.publish_home(str((body.get("user") or {}).get("id", "")), home_page_of(action.get("value"))))

        return app

    async def _open_form(self, body: dict, kind: str, target: int) -> None:
        """views.open the edit form (or why there is none) with the press's trigger_id (valid 3 s)."""
        user, trigger = (body.get("user") or {}).get("id", ""), body.get("trigger_id")
        try:
            opener = edit_forms.task_form if kind == "task" else edit_forms.customer_form
            form = await opener(self.services, PLATFORM, user, target)
            if form is not None and trigger:
                await self.client.views_open(trigger_id=trigger, view=forms.view_for(form, forms.origin_of(body)))
        except Exception:
            log.warning("slack: opening the %s form for %s failed", kind, user, exc_info=True)

    async def _already_logged(self, item: inbox.Received) -> None:
        """The shortcut invoked again on a message this member logged already: one ephemeral line, nothing
        filed (a redelivery of the same invocation says nothing)."""
        url = str(item.body.get("response_url", ""))
        if not url.startswith(self._response_origins):
            return
        try:
            found = await inbox.stored(self.services.db, item.key)
            if found is None or found[0] != "handled":
                return  # being handled by the delivery that stored it, or failed (and answered so)
            if found[1] is not None and found[1].body.get("trigger_id") == item.body.get("trigger_id"):
                return  # the same invocation delivered again: answered once already
            lang = await edit_forms.language_of(self.services, PLATFORM, item.user_id)
            await AsyncWebhookClient(url, timeout=10).send_dict({"response_type": "ephemeral", "text": edit_forms.text("already_logged", lang)})
        except Exception:
            log.info("slack: could not say a message was logged already", exc_info=True)

    async def publish_home(self, user: str, offset: int = 0) -> None:
        """views.publish the member's Home tab (nothing for a stranger), its page at `offset`. A failure is
        logged, never fatal: the tab is a view, refreshed again on the next open or change."""
        try:
            home = await home_of(self.services, PLATFORM, user, offset)
            if home is not None:
                await self.client.views_publish(user_id=user, view=home_view(home))
        except Exception:
            log.warning("slack: publishing the Home tab of %s failed", user, exc_info=True)

    # --- the inbox, then the ack -------------------------------------------------------------------
    async def _accept(self, ack, item: inbox.Received) -> bool:
        """Durable first (one INSERT), then the ack, then the slow part in the background. If the row
        cannot be written the ack is not sent: Slack retries the event (the user sees a command fail).
        False when it was handled already (a redelivery)."""
        todo = await inbox.store(self.services.db, item)
        await ack()
        if todo:
            self._spawn(self._process(item))
        return todo

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("slack update failed; it stays in the inbox for a retry or the next start", exc_info=task.exception())

    async def settle(self) -> None:
        """Wait until every acked request has been handled (tests, and stop())."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _recover(self) -> None:
        """Handle what was stored and acked but not handled before the last stop (a crash, a kill -9)."""
        seen: set[str] = set()
        while todo := await inbox.unhandled(self.services.db, seen):
            log.info("slack: handling %d request(s) received before the last stop", len(todo))
            for key, item in todo:
                seen.add(key)
                try:
                    await self._process(item)
                except Exception:
                    log.exception("slack: handling %s after the restart failed; left for the next start", key)

    # --- after the ack -----------------------------------------------------------------------------
    async def _process(self, item: inbox.Received) -> None:
        key = item.key
        if key in self._active:
            return  # a retry while its first delivery is still being handled
        self._active.add(key)
        try:
            msg = await self._incoming(item)
            await self.handle(msg, self.services)
            if item.user_id in self._home_users or item.kind == "form":  # a note, a follow-up done or moved: the tab shows it
                await self.publish_home(item.user_id)
        finally:
            self._active.discard(key)

    async def _incoming(self, item: inbox.Received) -> Incoming:
        """users.info (the current name, timezone and locale on every message), files, response_url."""
        profile = await self.profiles.get(item.user_id)
        msg = item.incoming(profile, self.bot_user_id)
        if item.kind == "message" and item.body["event"].get("files"):
            msg = await download(self.client, msg, item.body["event"]["files"][0])
        response_url = str(item.body.get("response_url", ""))
        if not response_url.startswith(self._response_origins):
            response_url = ""
        if item.kind == "command" and response_url:
            # in a channel only the person who asked sees the answer, unless it is meant for everyone
            response_type = "in_channel" if msg.chat_kind == "group" and translate.command_name(msg.text) in PUBLIC_COMMANDS else "ephemeral"
            # valid for 30 minutes from the command: a command recovered later answers by chat.postMessage
            self.response_urls.remember(msg.key, response_url, response_type, since=item.received_at)
        if item.kind == "action" and response_url:  # the answer replaces the message whose button was pressed
            self.response_urls.remember(msg.key, response_url, "ephemeral", since=item.received_at, for_press=True)
        if item.kind == "shortcut" and response_url:  # "Log as CRM note": answered to the invoker only, where they invoked it
            self.response_urls.remember(msg.key, response_url, "ephemeral", since=item.received_at)
        if item.kind in ("mention", "action", "shortcut", "form"):
            self.ephemeral.remember(msg.key, msg.sender_id)  # in a channel, a note's confirmation is for its author
        return msg

    # --- transport ---------------------------------------------------------------------------------
    async def _http(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not verify(reveal(self.settings.slack_signing_secret) or "", request.headers, body, self.services.clock().timestamp()):
            return web.Response(status=401, text="invalid signature")
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    async def start(self) -> None:
        if self.settings.slack_http_port is None and not self.settings.slack_app_token:
            raise SlackConfigError("crmbot: Slack needs SLACK_APP_TOKEN (Socket Mode) or CRMBOT_SLACK_HTTP_PORT with SLACK_SIGNING_SECRET (HTTP mode)")
        if self.settings.slack_http_port is not None and not self.settings.slack_signing_secret:
            raise SlackConfigError("crmbot: Slack HTTP mode needs SLACK_SIGNING_SECRET")
        identity = await self.client.auth_test()  # fails fast on a bad token; tells us our own user id
        self.bot_user_id = identity.get("user_id")
        await self._recover()  # before listening: what a crash left behind comes first
        if self.settings.slack_http_port is not None:
            web_app = web.Application(client_max_size=1024 * 1024)
            web_app.router.add_post(EVENTS_PATH, self._http)
            self._runner = web.AppRunner(web_app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.host, self.settings.slack_http_port)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            log.info("Slack HTTP mode on %s:%s%s", self.host, self.port, EVENTS_PATH)
        else:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.app, reveal(self.settings.slack_app_token))
            await self._socket.connect_async()
            log.info("Slack Socket Mode connected")

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        try:
            await asyncio.wait_for(self.settle(), timeout=10)
        except asyncio.TimeoutError:
            log.warning("stopping with %d Slack updates still in progress", len(self._tasks))
