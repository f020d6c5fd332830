"""A fake Slack Web API on 127.0.0.1 (port 0): records every call, answers like Slack, can rate-limit.

Point an AsyncWebClient at ``fake.base_url``. Also serves the endpoints the SDK uses around the
API: file upload URLs (files_upload_v2) and response_url posts (slash commands).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Call:
    method: str
    args: dict
    token: str | None = None
    at: float = 0.0  # when it arrived (time.time(): the fleet test counts rates per channel)


@dataclass
class SlackUser:
    id: str
    name: str
    display_name: str = ""
    real_name: str = ""
    tz: str = "Asia/Shanghai"
    locale: str = "en-US"


@dataclass
class FakeSlackAPI:
    bot_user_id: str = "UBOT"
    bot_id: str = "BBOT"
    team_id: str = "T1"
    users: dict[str, SlackUser] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    responses: list[tuple[str, dict]] = field(default_factory=list)  # (response_url path, body)
    uploads: dict[str, bytes] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)  # method -> queued Slack error codes
    rate_limits: dict[str, list[int]] = field(default_factory=dict)  # method -> queued Retry-After seconds
    gates: dict[str, asyncio.Event] = field(default_factory=dict)  # method -> answered once set
    files: dict[str, bytes] = field(default_factory=dict)  # downloadable with the bot token
    dead_response_urls: set[str] = field(default_factory=set)  # response_url names answering 404
    home_views: dict[str, dict] = field(default_factory=dict)  # user -> the App Home view published last
    modals: dict[str, dict] = field(default_factory=dict)  # view id -> a modal opened (views.open) or updated (views.update)
    used_triggers: set[str] = field(default_factory=set)  # trigger_ids spent on views.open (each opens one view)
    base: str = ""

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.sockets: list[web.WebSocketResponse] = []  # Socket Mode connections
        self.socket_acks: dict[str, dict] = {}  # envelope_id -> the app's ack
        self._socket_change = asyncio.Condition()

    # --- setup -------------------------------------------------------------------------------
    def add_user(self, user_id: str, name: str, *, tz: str = "Asia/Shanghai", locale: str = "en-US", display_name: str | None = None) -> SlackUser:
        user = SlackUser(id=user_id, name=name.lower().replace(" ", "."), display_name=name if display_name is None else display_name, real_name=name, tz=tz, locale=locale)
        self.users[user_id] = user
        return user

    def fail_next(self, method: str, error: str) -> None:
        self.errors.setdefault(method, []).append(error)

    def rate_limit_next(self, method: str, retry_after: int) -> None:
        self.rate_limits.setdefault(method, []).append(retry_after)

    def hold(self, method: str) -> asyncio.Event:
        """Calls to `method` wait until the returned event is set."""
        self.gates[method] = asyncio.Event()
        return self.gates[method]

    @property
    def base_url(self) -> str:
        return self.base + "/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base}/response/{name}"

    # --- what happened -----------------------------------------------------------------------
    def of(self, method: str) -> list[dict]:
        return [c.args for c in self.calls if c.method == method]

    def posts(self, channel: str | None = None) -> list[dict]:
        return [a for a in self.of("chat.postMessage") if channel is None or a.get("channel") == channel]

    def ephemerals(self, channel: str | None = None, user: str | None = None) -> list[dict]:
        return [a for a in self.of("chat.postEphemeral") if channel in (None, a.get("channel")) and user in (None, a.get("user"))]

    def updates(self, channel: str | None = None) -> list[dict]:
        return [a for a in self.of("chat.update") if channel is None or a.get("channel") == channel]

    def opened(self) -> list[dict]:
        """Modals opened with views.open, oldest first, each with the id Slack gave it ("id")."""
        return [a["view"] for a in self.of("views.open") if isinstance(a.get("view"), dict) and "id" in a["view"]]

    def home(self, user: str) -> dict | None:
        """The App Home view last published for this user (views.publish), as Slack would show it."""
        return self.home_views.get(user)

    def texts(self, channel: str | None = None) -> list[str]:
        """Posted and ephemeral texts in the order they were sent (and response_url answers after them)."""
        said = [c.args for c in self.calls if c.method in ("chat.postMessage", "chat.postEphemeral")]
        out = [a.get("text", "") for a in said if channel is None or a.get("channel") == channel]
        if channel is None:
            out += [body.get("text", "") for _, body in self.responses]
        return out

    # --- server ------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{name}", self._response)
        app.router.add_get("/files/{name}", self._download)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for gate in self.gates.values():
            gate.set()
        for ws in self.sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _args(self, request: web.Request) -> dict:
        args: dict = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args |= await request.json()
            else:
                args |= dict(await request.post())
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") or args.get("token")
        self.calls.append(Call(method, args, token, time.time()))
        if method in self.gates:
            await self.gates[method].wait()
        if self.rate_limits.get(method):
            seconds = self.rate_limits[method].pop(0)
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(seconds)})
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        if self.errors.get(method):
            return web.json_response({"ok": False, "error": self.errors[method].pop(0)})
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": True})
        return web.json_response(handler(args))

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK - ok")

    async def _response(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name in self.dead_response_urls:
            return web.Response(status=404, text="expired_url")
        self.responses.append((name, await request.json()))
        return web.Response(text="ok")

    def add_file(self, name: str, data: bytes) -> str:
        self.files[name] = data
        return f"{self.base}/files/{name}"

    async def _download(self, request: web.Request) -> web.Response:
        self.calls.append(Call("GET /files", {"name": request.match_info["name"]}, request.headers.get("Authorization", "").removeprefix("Bearer ") or None))
        if not request.headers.get("Authorization", "").startswith("Bearer xoxb-"):
            return web.Response(status=302, headers={"Location": "https://slack.com/signin"})
        data = self.files.get(request.match_info["name"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    # --- Socket Mode -------------------------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        from aiohttp import WSMsgType

        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}, "debug_info": {"host": "fake"}})
        async with self._socket_change:
            self.sockets.append(ws)
            self._socket_change.notify_all()
        async for frame in ws:
            if frame.type == WSMsgType.TEXT:
                data = json.loads(frame.data)
                if "envelope_id" in data:
                    async with self._socket_change:
                        self.socket_acks[data["envelope_id"]] = data
                        self._socket_change.notify_all()
        return ws

    async def socket_send(self, envelope_type: str, payload: dict, *, envelope_id: str, retry_attempt: int = 0) -> None:
        """Deliver an envelope over the (first) Socket Mode connection, as Slack does."""
        async with self._socket_change:
            await self._socket_change.wait_for(lambda: bool(self.sockets))
        envelope = {"envelope_id": envelope_id, "type": envelope_type, "payload": payload, "accepts_response_payload": envelope_type != "events_api"}
        if envelope_type == "events_api":
            envelope |= {"retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else ""}
        await self.sockets[0].send_json(envelope)

    async def acked(self, envelope_id: str) -> dict:
        async with self._socket_change:
            await self._socket_change.wait_for(lambda: envelope_id in self.socket_acks)
        return self.socket_acks[envelope_id]

    def _m_apps_connections_open(self, args: dict) -> dict:
        return {"ok": True, "url": self.base.replace("http://", "ws://") + "/socket"}

    # --- methods -----------------------------------------------------------------------------
    def _ts_now(self) -> str:
        return f"1800000000.{next(self._ts):06d}"

    def _m_auth_test(self, args: dict) -> dict:
        return {"ok": True, "url": "https://test.slack.com/", "team": "Test", "user": "crmbot", "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id}

    def _m_chat_postMessage(self, args: dict) -> dict:
        args["ts"] = self._ts_now()  # kept with the recorded call, so tests can press its buttons
        return {"ok": True, "channel": args.get("channel"), "ts": args["ts"], "message": {"text": args.get("text"), "bot_id": self.bot_id}}

    def _m_chat_postEphemeral(self, args: dict) -> dict:
        args["ts"] = self._ts_now()  # Slack answers message_ts; kept as ts, so tests can press its buttons
        args["is_ephemeral"] = True
        return {"ok": True, "message_ts": args["ts"]}

    def _m_chat_update(self, args: dict) -> dict:
        return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts"), "text": args.get("text")}

    def _m_users_info(self, args: dict) -> dict:
        user = self.users.get(args.get("user", ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        body = {
            "id": user.id,
            "team_id": self.team_id,
            "name": user.name,
            "real_name": user.real_name,
            "tz": user.tz,
            "profile": {"display_name": user.display_name, "real_name": user.real_name},
        }
        if str(args.get("include_locale", "")).lower() in ("1", "true"):
            body["locale"] = user.locale
        return {"ok": True, "user": body}

    def _m_conversations_open(self, args: dict) -> dict:
        users = args.get("users", "")
        return {"ok": True, "channel": {"id": "D" + users.lstrip("UW")}}

    def _modal(self, args: dict) -> tuple[dict | None, str | None]:
        """The view argument as Slack checks a modal: its type, title, blocks and metadata limits."""
        view = args.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        if not isinstance(view, dict) or view.get("type") != "modal":
            return None, "invalid_arguments"
        title = (view.get("title") or {}).get("text", "")
        if not title or len(title) > 24 or len(view.get("blocks") or []) > 100 or len(view.get("private_metadata") or "") > 3000:
            return None, "invalid_arguments"
        block_ids = [b.get("block_id") for b in view.get("blocks") or [] if b.get("block_id")]
        if len(block_ids) != len(set(block_ids)) or any(b.get("type") == "input" and not b.get("label") for b in view.get("blocks") or []):
            return None, "invalid_blocks"
        return view, None

    def _m_views_open(self, args: dict) -> dict:
        trigger = args.get("trigger_id")
        if not trigger or trigger in self.used_triggers:
            return {"ok": False, "error": "invalid_trigger_id" if not trigger else "expired_trigger_id"}
        view, error = self._modal(args)
        if view is None:
            return {"ok": False, "error": error}
        self.used_triggers.add(trigger)
        view["id"] = f"VM{next(self._ts)}"
        view["hash"] = f"h{view['id']}"
        args["view"] = view  # recorded with the id it got, so a test can submit it
        self.modals[view["id"]] = view
        return {"ok": True, "view": view}

    def _m_views_update(self, args: dict) -> dict:
        view, error = self._modal(args)
        if view is None or args.get("view_id") not in self.modals:
            return {"ok": False, "error": error or "not_found"}
        view |= {"id": args["view_id"], "hash": f"h{args['view_id']}u"}
        self.modals[args["view_id"]] = view
        return {"ok": True, "view": view}

    def _m_views_publish(self, args: dict) -> dict:
        view = args.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        if not isinstance(view, dict) or view.get("type") != "home" or not args.get("user_id"):
            return {"ok": False, "error": "invalid_arguments"}
        if len(view.get("blocks") or []) > 100:
            return {"ok": False, "error": "invalid_blocks"}
        self.home_views[args["user_id"]] = view
        return {"ok": True, "view": {"id": f"VH{args['user_id']}", "type": "home", "blocks": view.get("blocks", [])}}

    def _m_files_getUploadURLExternal(self, args: dict) -> dict:
        file_id = f"F{next(self._ts)}"
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict) -> dict:
        files = json.loads(args.get("files", "[]"))
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}

    def _m_files_info(self, args: dict) -> dict:
        return {"ok": True, "file": {"id": args.get("file"), "shares": {}}}


# --- Slack's side of the events: signed requests to the adapter's endpoint ---------------------------

SIGNING_SECRET = "test-signing-secret"


def sign(body: bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    import hashlib
    import hmac

    return "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()


class SlackWorkspace:
    """Slack delivering what users do to the bot's HTTP endpoint, signed, with the injected clock's time."""

    def __init__(self, endpoint: str, api: FakeSlackAPI, clock) -> None:
        self.endpoint = endpoint
        self.api = api
        self.clock = clock
        self._ids = itertools.count(1)

    def now_ts(self) -> str:
        return f"{self.clock().timestamp():.6f}"

    async def post(self, body: bytes, content_type: str, headers: dict | None = None, *, signed: bool = True) -> tuple[int, str]:
        import aiohttp

        timestamp = str(int(self.clock().timestamp()))
        sent = {"Content-Type": content_type}
        if signed:
            sent |= {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": sign(body, timestamp)}
        sent |= headers or {}
        sent = {k: v for k, v in sent.items() if v is not None}
        async with aiohttp.ClientSession() as session:
            async with session.post(self.endpoint, data=body, headers=sent) as response:
                return response.status, await response.text()

    async def post_json(self, payload: dict, headers: dict | None = None) -> tuple[int, str]:
        return await self.post(json.dumps(payload).encode(), "application/json", headers)

    async def post_form(self, form: dict, headers: dict | None = None) -> tuple[int, str]:
        from urllib.parse import urlencode

        return await self.post(urlencode(form).encode(), "application/x-www-form-urlencoded", headers)

    # --- what users do -------------------------------------------------------------------------------
    def event(self, event: dict, event_id: str | None = None) -> dict:
        return {
            "token": "legacy",
            "team_id": self.api.team_id,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):06d}",
            "event_time": int(self.clock().timestamp()),
            "event": event,
            "authorizations": [{"team_id": self.api.team_id, "user_id": self.api.bot_user_id, "is_bot": True}],
        }

    def dm_event(self, user: str, text: str, event_id: str | None = None, **extra) -> dict:
        ts = self.now_ts()
        event = {"type": "message", "channel_type": "im", "channel": "D" + user[1:], "user": user, "text": text, "ts": ts, "event_ts": ts} | extra
        return self.event(event, event_id)

    async def dm(self, user: str, text: str, **extra) -> tuple[int, str]:
        return await self.post_json(self.dm_event(user, text, **extra))

    async def mention(self, user: str, channel: str, text: str) -> tuple[int, str]:
        ts = self.now_ts()
        event = {"type": "app_mention", "channel": channel, "user": user, "text": f"<@{self.api.bot_user_id}> {text}", "ts": ts, "event_ts": ts}
        return await self.post_json(self.event(event))

    async def command(self, user: str, channel: str, text: str, channel_name: str | None = None) -> tuple[int, str]:
        n = next(self._ids)
        form = {
            "token": "legacy",
            "team_id": self.api.team_id,
            "channel_id": channel,
            "channel_name": channel_name or ("directmessage" if channel.startswith("D") else "sales"),
            "user_id": user,
            "user_name": user.lower(),
            "command": "/crm",
            "text": text,
            "api_app_id": "A1",
            "response_url": self.api.response_url(f"cmd{n}"),
            "trigger_id": f"trig.{n}",
        }
        return await self.post_form(form)

    async def press(self, user: str, post: dict, label: str) -> tuple[int, str]:
        """Press the button whose label contains `label` in a recorded chat.postMessage or response."""
        for block in post.get("blocks") or []:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if label in element["text"]["text"]:
                    return await self.post_form({"payload": json.dumps(self.action_payload(user, post, element))})
        raise AssertionError(f"no button {label!r} in {post.get('blocks')}")

    async def open_home(self, user: str) -> tuple[int, str]:
        """The user opens the app's Home tab (the app_home_opened event)."""
        ts = self.now_ts()
        return await self.post_json(self.event({"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home", "event_ts": ts}))

    async def press_home(self, user: str, label: str, task_id: int) -> tuple[int, str]:
        """Press a button of the user's published Home tab: `label` on the row of follow-up #task_id."""
        view = self.api.home(user) or {}
        for block in view.get("blocks") or []:
            if block.get("type") == "actions" and block.get("block_id") == f"task-{task_id}-do":
                for element in block["elements"]:
                    if label in element["text"]["text"]:
                        payload = {
                            "type": "block_actions",
                            "user": {"id": user, "username": user.lower(), "team_id": self.api.team_id},
                            "api_app_id": "A1",
                            "team": {"id": self.api.team_id},
                            "container": {"type": "view", "view_id": f"VH{user}"},
                            "trigger_id": f"trig.{next(self._ids)}",
                            "view": {"id": f"VH{user}", "type": "home"},
                            "actions": [{"type": "button", "action_id": element["action_id"], "block_id": block["block_id"], "value": element["value"], "text": element["text"], "action_ts": self.now_ts()}],
                        }
                        return await self.post_form({"payload": json.dumps(payload)})
        raise AssertionError(f"no {label!r} for #{task_id} on {user}'s Home tab")

    async def press_edit(self, user: str, *, post: dict | None = None, task_id: int | None = None) -> tuple[int, str]:
        """Press the Edit button of a recorded message (a customer card) or, with task_id, of that
        follow-up's row on the user's Home tab."""
        if post is not None:
            return await self.press(user, post, "Edit" if "Edit" in json.dumps(post.get("blocks"), ensure_ascii=False) else "编辑")
        view = self.api.home(user) or {}
        for block in view.get("blocks") or []:
            if block.get("type") == "actions" and block.get("block_id") == f"task-{task_id}-do":
                for element in block["elements"]:
                    if element["action_id"].startswith("crm_edit:"):
                        payload = {
                            "type": "block_actions",
                            "user": {"id": user, "username": user.lower(), "team_id": self.api.team_id},
                            "api_app_id": "A1",
                            "team": {"id": self.api.team_id},
                            "container": {"type": "view", "view_id": f"VH{user}"},
                            "trigger_id": f"trig.{next(self._ids)}",
                            "view": {"id": f"VH{user}", "type": "home"},
                            "actions": [{"type": "button", "action_id": element["action_id"], "block_id": block["block_id"], "value": element["value"], "text": element["text"], "action_ts": self.now_ts()}],
                        }
                        return await self.post_form({"payload": json.dumps(payload)})
        raise AssertionError(f"no Edit for #{task_id} on {user}'s Home tab")

    def submission(self, user: str, view: dict, values: dict[str, object]) -> dict:
        """The view_submission payload of a modal the user filled in: `values` by block id (a date
        "2026-03-05", a time "15:00", an option's value); blocks not named keep their initial value."""
        state: dict = {}
        for block in view.get("blocks") or []:
            if block.get("type") != "input":
                continue
            element = block["element"]
            kind, value = element["type"], values.get(block["block_id"], ...)
            if kind == "datepicker":
                got = {"selected_date": element.get("initial_date") if value is ... else value}
            elif kind == "timepicker":
                got = {"selected_time": element.get("initial_time") if value is ... else value}
            elif kind == "static_select":
                chosen = element.get("initial_option") if value is ... else ({"text": {"type": "plain_text", "text": str(value)}, "value": value} if value is not None else None)
                got = {"selected_option": chosen}
            elif kind == "users_select":
                got = {"selected_user": element.get("initial_user") if value is ... else value}
            else:
                got = {"value": None if value is ... else value}
            state[block["block_id"]] = {element["action_id"]: {"type": kind} | got}
        return {
            "type": "view_submission",
            "team": {"id": self.api.team_id},
            "user": {"id": user, "username": user.lower(), "team_id": self.api.team_id},
            "api_app_id": "A1",
            "trigger_id": f"trig.{next(self._ids)}",
            "view": view | {"state": {"values": state}, "team_id": self.api.team_id, "app_id": "A1", "bot_id": self.api.bot_id},
        }

    async def submit(self, user: str, view: dict, values: dict[str, object] | None = None) -> tuple[int, dict | None]:
        """Submit a modal; Slack's answer: the status and the JSON body the app acked with (None: empty)."""
        status, body = await self.post_form({"payload": json.dumps(self.submission(user, view, values or {}))})
        return status, (json.loads(body) if body.strip() else None)

    def shortcut_payload(self, user: str, channel: str, message: dict, *, trigger_id: str | None = None) -> dict:
        """The "Log as CRM note" message shortcut invoked by `user` on `message` ({"text", "user", "ts"}) in `channel`."""
        n = next(self._ids)
        return {
            "type": "message_action",
            "token": "legacy",
            "callback_id": "log_crm_note",
            "trigger_id": trigger_id or f"trig.{n}",
            "action_ts": self.now_ts(),
            "team": {"id": self.api.team_id, "domain": "test"},
            "user": {"id": user, "name": user.lower(), "team_id": self.api.team_id},
            "channel": {"id": channel, "name": "directmessage" if channel.startswith("D") else "sales"},
            "message_ts": message["ts"],
            "message": {"type": "message", **message},
            "response_url": self.api.response_url(f"sc{n}"),
        }

    async def shortcut(self, payload: dict) -> tuple[int, str]:
        return await self.post_form({"payload": json.dumps(payload)})

    def action_payload(self, user: str, post: dict, element: dict) -> dict:
        channel = post.get("channel") or "D" + user[1:]
        n = next(self._ids)
        return {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": self.api.team_id},
            "api_app_id": "A1",
            "team": {"id": self.api.team_id},
            "container": {"type": "message", "message_ts": post.get("ts", "1800000000.000001"), "channel_id": channel, "is_ephemeral": bool(post.get("is_ephemeral"))},
            "channel": {"id": channel, "name": "directmessage" if channel.startswith("D") else "sales"},
            "trigger_id": f"trig.{n}",
            "response_url": self.api.response_url(f"act{n}"),
            "message": {"ts": post.get("ts"), "text": post.get("text")},
            "actions": [
                {"type": "button", "action_id": element["action_id"], "block_id": "b1", "value": element["value"], "text": element["text"], "action_ts": self.now_ts()}
            ],
        }


# --- fixtures (import them into a test module) -----------------------------------------------------

import pytest  # noqa: E402


@dataclass
class SlackEnv:
    app: object  # bot.wiring.App, with the Slack adapter wired as in production
    adapter: object  # bot.slack.adapter.SlackAdapter
    api: FakeSlackAPI
    slack: SlackWorkspace
    restarted: SlackEnv | None = None  # the env that replaced this one (restart_slack_env)

    async def settle(self, patience: float = 2.0) -> None:
        """Everything acked is handled and everything due is delivered. Replies held back by the
        per-channel limit (~1/s) are waited for by moving the injected clock up to `patience` seconds."""
        import datetime as dt

        from sqlmodel import select

        from storage.models import Outbox

        from handlers import background

        await self.adapter.settle()
        await background.settle()  # what a message started after its commit (a digest's chart)
        clock = self.slack.clock
        limit = clock() + dt.timedelta(seconds=patience)
        while True:
            await self.app.deliverer.drain()
            async with self.app.db.read() as session:
                pending = (await session.exec(select(Outbox.due_at).where(Outbox.platform == "slack", Outbox.status == "pending").order_by(Outbox.due_at))).first()
            if pending is None or pending > limit or pending <= clock():
                return
            clock.set(pending)


async def seed_slack_admin(env: SlackEnv, user_id: str, customers) -> SlackEnv:
    """A team whose admin is this Slack user (known to the fake's users.info), with these customers."""
    from tests.helpers import seed_team

    await seed_team(env.app, ((user_id, "admin"),), customers, platform="slack")
    env.api.add_user(user_id, "Boss")
    return env


async def start_slack_env(db_url: str, tmp_path, clock, **settings) -> SlackEnv:
    from tests.conftest import make_settings

    api = FakeSlackAPI()
    await api.start()
    options = {"slack_bot_token": "xoxb-test", "slack_signing_secret": SIGNING_SECRET, "slack_api_url": api.base_url, "slack_http_port": 0} | settings
    return await _start_adapter(make_settings(db_url, tmp_path, **options), api, clock)


async def _start_adapter(settings, api: FakeSlackAPI, clock) -> SlackEnv:
    from bot.wiring import build_app

    app = build_app(settings, clock=clock, migrate=False, with_adapters=True)
    [adapter] = [a for a in app.adapters if a.platform == "slack"]
    adapter.host = "127.0.0.1"
    await adapter.start()
    return SlackEnv(app=app, adapter=adapter, api=api, slack=SlackWorkspace(f"http://127.0.0.1:{adapter.port}/slack/events", api, clock))


def crash_after_ack(env: SlackEnv) -> None:
    """From now on the adapter stores and acks, but its background work never runs: the process
    as it is right after a crash between the ack and the handling (nothing of it in the database)."""

    def never(work) -> None:
        work.close()  # the coroutine is dropped before its first step

    env.adapter._spawn = never


async def restart_slack_env(env: SlackEnv) -> SlackEnv:
    """A new process on the same database and the same Slack: a new app, a new adapter (started, so
    it has handled what the inbox still holds), the fake Slack API and its records kept."""
    settings, clock = env.app.settings, env.slack.clock
    await env.adapter.stop()
    await env.app.close()
    env.restarted = await _start_adapter(settings, env.api, clock)
    return env.restarted


@pytest.fixture
async def slack_socket_env(sqlite_url, tmp_path, clock):
    """The adapter in Socket Mode (no HTTP port), connected to the fake's WebSocket."""
    env = await start_slack_env(sqlite_url, tmp_path, clock, slack_http_port=None, slack_app_token="xapp-test")
    yield env
    await stop_slack_env(env)


async def stop_slack_env(env: SlackEnv) -> None:
    api = env.api
    for gate in api.gates.values():
        gate.set()  # held calls go on: the adapter's stop() waits for its work
    while env is not None:
        await env.adapter.stop()
        await env.app.close()
        env = env.restarted
    await api.stop()


@pytest.fixture
async def slack_env(sqlite_url, tmp_path, clock):
    env = await start_slack_env(sqlite_url, tmp_path, clock)
    yield env
    await stop_slack_env(env)


@pytest.fixture
async def slack_env_any_db(db_url, tmp_path, clock):
    env = await start_slack_env(db_url, tmp_path, clock)
    yield env
    await stop_slack_env(env)


# --- `crmbot run` in a process of its own, for kill -9 tests -------------------------------------------

def _main() -> int:
    """python -m tests.fakes.slack_api [--drop-after-ack]: `crmbot run` configured from the environment,
    printing "PORT <n>" once Slack's endpoint listens. With --drop-after-ack the adapter stores and acks
    but never handles (printing "ACKED <inbox key>"), so a test can kill -9 it at exactly that point."""
    import asyncio
    import sys

    from bot.runner import serve
    from bot.wiring import build_app

    app = build_app(with_adapters=True)
    [adapter] = [a for a in app.adapters if a.platform == "slack"]
    start = adapter.start

    async def start_and_tell() -> None:
        await start()
        print(f"PORT {adapter.port}", flush=True)

    adapter.start = start_and_tell
    if "--drop-after-ack" in sys.argv:
        accept = adapter._accept

        async def accept_and_tell(ack, item) -> None:
            async def ack_and_tell() -> None:
                await ack()
                print(f"ACKED {item.key}", flush=True)

            adapter._spawn = lambda work: work.close()
            await accept(ack_and_tell, item)

        adapter._accept = accept_and_tell
    return asyncio.run(serve(app))


if __name__ == "__main__":
    import sys

    sys.exit(_main())
