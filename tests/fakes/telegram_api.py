"""A fake Telegram Bot API over HTTP on 127.0.0.1 (port 0), for end-to-end tests of the real PTB stack.

It keeps Telegram's semantics where they matter to us:
- getUpdates: updates with an id below the requested offset are confirmed and dropped for good;
  without an offset everything unconfirmed comes back; long polling waits up to `timeout` seconds
  for a new update (and returns at once when one arrives); getUpdates while a webhook is set is a 409.
- the methods the adapter uses (getMe, sendMessage, editMessageText, editMessageReplyMarkup,
  answerCallbackQuery, setMyCommands, getFile + the file download path, sendPhoto/sendDocument as
  multipart, setWebhook/deleteWebhook) answer like the real API;
- injectable failures: `fail("sendMessage", 429, retry_after=5)`, `fail("getUpdates", 409)`, …;
- every call is recorded (`calls`), and tests wait on conditions (`wait_for`) instead of sleeping.

Tests speak as users through the builders: `say(user, text)`, `press(user, message, label)`,
`send_document(...)`, `send_media(...)`.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

TOKEN = "123456:TEST-token"
BOT_ID = 4242
BOT_USERNAME = "crm_test_bot"

_JSON_FIELDS = {"reply_markup", "commands", "allowed_updates", "reply_parameters", "entities", "scope", "caption_entities", "link_preview_options"}
_INT_FIELDS = {"offset", "limit", "timeout", "message_id", "max_connections"}
_ERRORS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
}


@dataclass
class Call:
    method: str
    params: dict
    files: dict = field(default_factory=dict)  # field name -> (file name, bytes)
    at: float = 0.0  # when it arrived (the injected clock's timestamp when there is one)


@dataclass
class Failure:
    status: int
    description: str
    parameters: dict
    times: int
    chat_id: str | None = None


def user(uid: int, first_name: str = "Li", language_code: str | None = "en", username: str | None = None, last_name: str | None = None) -> dict:
    out = {"id": uid, "is_bot": False, "first_name": first_name}
    if last_name:
        out["last_name"] = last_name
    if username:
        out["username"] = username
    if language_code:
        out["language_code"] = language_code
    return out


class FakeTelegram:
    def __init__(self, token: str = TOKEN, clock: Callable[[], object] | None = None) -> None:
        self.token = token
        self.clock = clock  # the tests' injected clock: message dates and call times follow it
        self.bot_user = {"id": BOT_ID, "is_bot": True, "first_name": "CRM", "username": BOT_USERNAME, "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
        self.calls: list[Call] = []
        self.pending: list[dict] = []  # unconfirmed updates, in order
        self.confirmed_below = 0  # every update id below this was confirmed by an offset
        self.messages: dict[tuple[int, int], dict] = {}  # what the bot sent (or edited), by (chat, message id)
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)
        self.failures: dict[str, list[Failure]] = {}
        self.outage_until = 0.0  # sends answer 502 until this timestamp
        self.troubles: dict[str, list[str]] = {}  # method -> 'hang' | 'kill', in order
        self._released = asyncio.Event()  # set on stop: hung requests end
        self.gates: dict[str, asyncio.Event] = {}  # method -> its calls are answered once set (hold())
        self.latency = 0.0  # seconds each API answer takes (benchmarks: the network to Telegram)
        self.commands: dict[str | None, list[dict]] = {}  # language_code -> commands (the default scope)
        self.scoped_commands: dict[tuple[str, str | None], list[dict]] = {}  # (scope type, language_code) -> commands
        self.webhook: dict | None = None
        self.chat_types: dict[int, str] = {}
        # privacy mode (BotFather's default): in groups the bot gets commands, replies to its own
        # messages and messages that mention it; anything else said there is never delivered
        self.privacy_mode = False
        self.withheld: list[dict] = []  # group messages privacy mode kept from the bot
        self.reply_markups: dict[tuple[int, int], dict] = {}  # (chat, message id) -> the reply_markup it was sent with
        self.said: dict[tuple[int, int], dict] = {}  # (chat, message id) -> what users sent (bot replies quote it)
        self._update_ids = itertools.count(5000)
        self._message_ids = itertools.count(1)
        self._user_message_ids = itertools.count(100_000)
        self._file_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.port = 0

    # -- server --------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock().timestamp() if self.clock is not None else time.time()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._closing = True
        self._released.set()
        for gate in self.gates.values():
            gate.set()
        await self._notify()  # long polls return now
        if self._runner is not None:
            await self._runner.cleanup()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 5.0):
        """Wait (on events, not time) until predicate() is truthy; returns its value."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
        return predicate()

    # -- what tests inject -----------------------------------------------------------------------

    def fail(self, method: str, status: int, *, retry_after: int | None = None, times: int = 1, description: str | None = None, chat_id: int | str | None = None, migrate_to: int | None = None) -> None:
        parameters = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to is not None:
            parameters["migrate_to_chat_id"] = migrate_to
        text = description or _ERRORS.get(status, "Error").format(retry_after=retry_after)
        self.failures.setdefault(method, []).append(Failure(status, text, parameters, times, str(chat_id) if chat_id is not None else None))

    def push(self, update: dict, *, same_id: bool = False) -> dict:
        """Queue an update for getUpdates. same_id=True redelivers it under its old update_id."""
        update = dict(update)
        if not same_id or "update_id" not in update:
            update["update_id"] = next(self._update_ids)
        self.pending.append(update)
        self._wake()
        return update

    def _wake(self) -> None:
        asyncio.get_running_loop().create_task(self._notify())

    def message_update(self, chat: dict, sender: dict, **fields) -> dict:
        message = {"message_id": next(self._user_message_ids), "date": int(self.now()), "chat": chat, "from": sender, **fields}
        self.chat_types[chat["id"]] = chat["type"]
        self.said[(chat["id"], message["message_id"])] = message
        return {"message": message}

    def say(self, sender: dict, text: str, *, chat: dict | None = None, reply_to: dict | None = None, push: bool = True) -> dict:
        chat = chat or {"id": sender["id"], "type": "private", "first_name": sender["first_name"]}
        fields = _text_fields(text)
        if reply_to is not None:
            fields["reply_to_message"] = reply_to
        update = self.message_update(chat, sender, **fields)
        if push and not self._bot_may_see(update["message"]):
            self.withheld.append(update)
            return update
        return self.push(update) if push else update

    def type(self, sender: dict, text: str, *, chat: dict) -> dict:
        """What a Telegram app does with text typed into a chat: when the bot's latest message there
        asks this user for a reply (ForceReply; selective: they are mentioned in it, or it replies to
        their message), the text goes as a reply to it; otherwise as a plain message."""
        asking = self.forced_reply(sender, chat["id"])
        return self.say(sender, text, chat=chat, reply_to=asking)

    def forced_reply(self, sender: dict, chat_id: int) -> dict | None:
        mine = [m for (c, _), m in self.messages.items() if c == chat_id]
        if not mine:
            return None
        latest = max(mine, key=lambda m: m["message_id"])
        markup = self.reply_markups.get((chat_id, latest["message_id"])) or {}
        if not markup.get("force_reply"):
            return None
        if not markup.get("selective"):
            return latest
        mentioned = any(e.get("type") == "text_mention" and e.get("user", {}).get("id") == sender["id"] for e in latest.get("entities") or [])
        mentioned = mentioned or bool(sender.get("username") and f"@{sender['username']}" in (latest.get("text") or ""))
        replied = (latest.get("reply_to_message") or {}).get("from", {}).get("id") == sender["id"]
        return latest if mentioned or replied else None

    def _bot_may_see(self, message: dict) -> bool:
        if not self.privacy_mode or message["chat"]["type"] not in ("group", "supergroup"):
            return True
        text = message.get("text") or ""
        to_bot = (message.get("reply_to_message") or {}).get("from", {}).get("id") == BOT_ID
        return text.startswith("/") or to_bot or any(e["type"] == "mention" for e in message.get("entities") or [])

    def edit(self, said: dict, text: str) -> dict:
        """The sender edits a message they sent (an update `say` returned): Telegram's edited_message."""
        original = said.get("message") or said["edited_message"]
        message = {k: v for k, v in original.items() if k not in ("text", "entities")} | _text_fields(text)
        message["edit_date"] = int(self.now())
        return self.push({"edited_message": message})

    def send_document(self, sender: dict, file_name: str, content: bytes, *, chat: dict | None = None, caption: str | None = None, mime_type: str = "text/csv") -> dict:
        chat = chat or {"id": sender["id"], "type": "private", "first_name": sender["first_name"]}
        file_id = self._add_file(f"documents/file_{len(self.files)}{_suffix(file_name)}", content)
        document = {"file_id": file_id, "file_unique_id": "u" + file_id, "file_name": file_name, "mime_type": mime_type, "file_size": len(content)}
        fields = {"document": document} | ({"caption": caption} if caption else {})
        return self.push(self.message_update(chat, sender, **fields))

    def send_media(self, sender: dict, kind: str, *, chat: dict | None = None) -> dict:
        chat = chat or {"id": sender["id"], "type": "private", "first_name": sender["first_name"]}
        fid = f"m{next(self._file_ids)}"
        bodies = {
            "voice": {"voice": {"file_id": fid, "file_unique_id": "u" + fid, "duration": 3}},
            "photo": {"photo": [{"file_id": fid, "file_unique_id": "u" + fid, "width": 90, "height": 90}]},
            "sticker": {"sticker": {"file_id": fid, "file_unique_id": "u" + fid, "type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False}},
        }
        return self.push(self.message_update(chat, sender, **bodies[kind]))

    def press(self, sender: dict, message: dict, label: str | None = None, *, data: str | None = None) -> dict:
        """Press the button whose label contains `label` on a message the bot sent (or send raw data)."""
        if data is None:
            buttons = [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
            matching = [b for b in buttons if label in b["text"]]
            assert matching, f"no button {label!r} in {[b['text'] for b in buttons]}"
            data = matching[0]["callback_data"]
        query = {"id": str(next(self._update_ids) * 7), "from": sender, "chat_instance": "ci", "data": data, "message": message}
        return self.push({"callback_query": query})

    def _add_file(self, path: str, content: bytes) -> str:
        file_id = f"f{next(self._file_ids)}"
        self.files[file_id] = (path, content)
        return file_id

    # -- what tests read -------------------------------------------------------------------------

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int | str | None = None) -> list[dict]:
        """Messages the bot sent (text, photo or document), in order, as stored messages."""
        out = []
        for c in self.calls:
            if c.method in ("sendMessage", "sendPhoto", "sendDocument") and "result" in c.params:
                if chat_id is None or str(c.params.get("chat_id")) == str(chat_id):
                    out.append(self.messages[c.params["result"]])
        return out

    def shown(self, chat_id: int | str, since: int = 0) -> list[dict]:
        """Messages sent, or edited to say something new, in that chat by calls from index `since` on."""
        out: list[dict] = []
        for c in self.calls[since:]:
            if str(c.params.get("chat_id")) != str(chat_id) or "result" not in c.params:
                continue
            if c.method in ("sendMessage", "sendPhoto", "sendDocument", "editMessageText"):
                message = self.messages[c.params["result"]]
                if message not in out:
                    out.append(message)
        return out

    def texts(self, chat_id: int | str | None = None) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.sent(chat_id)]

    def confirmed(self, update: dict) -> bool:
        return self.confirmed_below > update["update_id"]

    # -- the API ---------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        params, files = await _read_params(request)
        call = Call(method, params, files, self.now())
        self.calls.append(call)
        await self._notify()  # (a long poll only answers later; tests may wait for the call itself)
        try:
            if self.latency and method != "getUpdates":
                await asyncio.sleep(self.latency)  # the simulated network, not a test waiting
            if method in self.gates:
                await self.gates[method].wait()
            trouble = self._take_trouble(method)
            if trouble is not None:  # the message arrives, but its answer never does
                result = await getattr(self, "_m_" + method)(params, files)
                params["result"] = (result["chat"]["id"], result["message_id"])
                if trouble == "kill":
                    request.transport.close()  # the connection drops before the answer
                    return web.Response(status=500)
                await self._released.wait()  # hang: the client times out first
                return web.Response(status=504)
            if method.startswith("send") and self.now() < self.outage_until:
                return _error(502, "Bad Gateway")  # an outage: every send fails until then (the clock's time)
            failure = self._take_failure(method, params)
            if failure is not None:
                body = {"ok": False, "error_code": failure.status, "description": failure.description}
                if failure.parameters:
                    body["parameters"] = failure.parameters
                return web.json_response(body, status=failure.status)
            handler = getattr(self, "_m_" + method, None)
            if handler is None:
                return _error(404, "Not Found: method not found")
            result = await handler(params, files)
            if isinstance(result, web.Response):
                return result
            if isinstance(result, dict) and "message_id" in result:
                params["result"] = (result["chat"]["id"], result["message_id"])
            return web.json_response({"ok": True, "result": result})
        finally:
            await self._notify()

    def hold(self, method: str) -> asyncio.Event:
        """Calls of `method` wait until the returned event is set (released on stop too)."""
        self.gates[method] = asyncio.Event()
        return self.gates[method]

    def trouble(self, method: str, kind: str, times: int = 1) -> None:
        """The next `times` calls of `method` are carried out but never answered: 'hang' (until the
        client times out) or 'kill' (the connection drops)."""
        self.troubles.setdefault(method, []).extend([kind] * times)

    def _take_trouble(self, method: str) -> str | None:
        queue = self.troubles.get(method)
        return queue.pop(0) if queue else None

    def _take_failure(self, method: str, params: dict) -> Failure | None:
        for failure in self.failures.get(method, []):
            if failure.chat_id is not None and failure.chat_id != str(params.get("chat_id")):
                continue
            failure.times -= 1
            if failure.times <= 0:
                self.failures[method].remove(failure)
            return failure
        return None

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        self.calls.append(Call("download", {"path": path}, at=self.now()))
        for file_path, content in self.files.values():
            if file_path == path:
                return web.Response(body=content)
        return web.Response(status=404)

    async def _m_getMe(self, params, files):
        return self.bot_user

    async def _m_getUpdates(self, params, files):
        if self.webhook is not None:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        offset = params.get("offset")
        if offset is not None:
            self.confirmed_below = max(self.confirmed_below, offset)
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
            await self._notify()  # tests wait for confirmations
        limit = params.get("limit") or 100
        timeout = params.get("timeout") or 0
        if not self.pending and timeout:
            try:
                async with self._changed:
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(self.pending) or self._closing), timeout)
            except asyncio.TimeoutError:
                pass
        return self.pending[:limit]

    async def _m_setWebhook(self, params, files):
        self.webhook = params
        return True

    async def _m_deleteWebhook(self, params, files):
        if params.get("drop_pending_updates") in ("true", True):
            self.pending = []
        self.webhook = None
        return True

    async def _m_getWebhookInfo(self, params, files):
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False, "pending_update_count": len(self.pending)}

    async def _m_setMyCommands(self, params, files):
        scope = (params.get("scope") or {}).get("type", "default")
        self.scoped_commands[(scope, params.get("language_code"))] = params.get("commands") or []
        if scope == "default":
            self.commands[params.get("language_code")] = params.get("commands") or []
        return True

    async def _m_answerCallbackQuery(self, params, files):
        return True

    async def _m_getFile(self, params, files):
        file_id = params.get("file_id")
        if file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        path, content = self.files[file_id]
        return {"file_id": file_id, "file_unique_id": "u" + file_id, "file_size": len(content), "file_path": path}

    def _new_message(self, params: dict, **fields) -> dict:
        chat_id = int(params["chat_id"])
        chat_type = self.chat_types.get(chat_id, "private" if chat_id > 0 else "supergroup")
        chat = {"id": chat_id, "type": chat_type} | ({"first_name": "x"} if chat_type == "private" else {"title": "team"})
        message = {"message_id": next(self._message_ids), "date": int(self.now()), "chat": chat, "from": self.bot_user, **fields}
        if params.get("reply_markup"):  # a message shows only an inline keyboard; ForceReply acts on the app
            if "inline_keyboard" in params["reply_markup"]:
                message["reply_markup"] = params["reply_markup"]
            self.reply_markups[(chat_id, message["message_id"])] = params["reply_markup"]
        if params.get("entities"):
            message["entities"] = params["entities"]
        quoted = (params.get("reply_parameters") or {}).get("message_id")
        if quoted is not None:  # the user's message it answers (ForceReply's selective aims at its sender)
            if (chat_id, quoted) in self.said:
                message["reply_to_message"] = {k: v for k, v in self.said[(chat_id, quoted)].items() if k != "reply_to_message"}
        self.messages[(chat_id, message["message_id"])] = message
        return message

    async def _m_sendMessage(self, params, files):
        return self._new_message(params, text=params.get("text", ""))

    async def _m_sendPhoto(self, params, files):
        fid = self._add_file(f"photos/p{len(self.files)}.png", files.get("photo", ("", b""))[1])
        return self._new_message(params, photo=[{"file_id": fid, "file_unique_id": "u" + fid, "width": 1, "height": 1}], **_caption(params))

    async def _m_sendDocument(self, params, files):
        name, content = files.get("document", ("file", b""))
        fid = self._add_file(f"documents/d{len(self.files)}", content)
        return self._new_message(params, document={"file_id": fid, "file_unique_id": "u" + fid, "file_name": name}, **_caption(params))

    async def _edit(self, params: dict, **fields):
        key = (int(params["chat_id"]), params["message_id"])
        message = self.messages.get(key)
        if message is None:
            return _error(400, "Bad Request: message to edit not found")
        message.update(fields)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return message

    async def _m_editMessageText(self, params, files):
        return await self._edit(params, text=params.get("text", ""))

    async def _m_editMessageReplyMarkup(self, params, files):
        return await self._edit(params)


def _text_fields(text: str) -> dict:
    fields: dict = {"text": text}
    entities = []
    if text.startswith("/"):
        entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
    mention = f"@{BOT_USERNAME}"
    if mention in text:
        entities.append({"type": "mention", "offset": text.index(mention), "length": len(mention)})
    if entities:
        fields["entities"] = entities
    return fields


def _caption(params: dict) -> dict:
    return {"caption": params["caption"]} if params.get("caption") else {}


def _suffix(name: str) -> str:
    return name[name.rfind("."):] if "." in name else ""


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)


async def _read_params(request: web.Request) -> tuple[dict, dict]:
    params: dict = dict(request.query)
    files: dict = {}
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            if part.filename:
                files[part.name] = (part.filename, bytes(await part.read()))
            else:
                params[part.name] = await part.text()
    elif request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        params.update(dict(await request.post()))
    for key, value in list(params.items()):
        if not isinstance(value, str):
            continue
        if key in _JSON_FIELDS:
            params[key] = json.loads(value)
        elif key in _INT_FIELDS:
            params[key] = int(value)
    # a file field sent as a plain string (a file_id or URL) is not an upload
    return params, files
