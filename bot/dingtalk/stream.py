"""Stream mode: the dingtalk-stream SDK's client, its frames, handlers and acks, on our event loop.

Two parts of the SDK are replaced: opening the connection (its `open_connection` posts with blocking
`requests` from inside the event loop, to a URL fixed at import from DINGTALK_OPENAPI_ENDPOINT) and
the receive loop (its `start()` swallows CancelledError and reconnects forever, so it cannot be
stopped). Routing a frame to the handler and sending its ack stay the SDK's (`background_task`,
`route_message`): the ack goes back only after our handler returned, i.e. after the message is
stored; a handler that raises sends no ack, and DingTalk delivers the message again.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote_plus

import aiohttp
import websockets
from dingtalk_stream import AckMessage, CallbackHandler, ChatbotHandler, ChatbotMessage, CallbackMessage, Credential, DingTalkStreamClient
from dingtalk_stream.version import VERSION_STRING

log = logging.getLogger(__name__)

OPEN_PATH = "/v1.0/gateway/connections/open"
RECONNECT_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)


class StreamConfigError(SystemExit):
    pass


class _ChatbotMessages(ChatbotHandler):
    """Robot messages (topic /v1.0/im/bot/messages/get): stored by `accept`, then acked."""

    def __init__(self, accept: Callable[[dict], Awaitable[None]]) -> None:
        super().__init__()
        self.logger = log
        self.accept = accept

    async def process(self, message: CallbackMessage):
        await self.accept(message.data if isinstance(message.data, dict) else {})
        return AckMessage.STATUS_OK, "OK"


class _CardCallbacks(CallbackHandler):
    """Card button presses (topic /v1.0/card/instances/callback): stored by `accept_card`, then acked
    with an empty answer (the card stays as it is; the answer comes as a message)."""

    def __init__(self, accept_card: Callable[[dict], Awaitable[None]]) -> None:
        super().__init__()
        self.logger = log
        self.accept_card = accept_card

    async def process(self, message: CallbackMessage):
        await self.accept_card(message.data if isinstance(message.data, dict) else {})
        return AckMessage.STATUS_OK, {}


class StreamConnection(DingTalkStreamClient):
    def __init__(self, api_url: str, client_id: str, client_secret: str, accept: Callable[[dict], Awaitable[None]], accept_card: Callable[[dict], Awaitable[None]] | None = None) -> None:
        # the SDK warns about every keep-alive ping it acks ("unknown message topic"): only its errors are logged
        sdk_log = logging.getLogger(__name__ + ".sdk")
        sdk_log.setLevel(logging.ERROR)
        super().__init__(Credential(client_id, client_secret), logger=sdk_log)
        self.api_url = api_url.rstrip("/")
        self.register_callback_handler(ChatbotMessage.TOPIC, _ChatbotMessages(accept))
        if accept_card is not None:
            self.register_callback_handler(CallbackHandler.TOPIC_CARD_CALLBACK, _CardCallbacks(accept_card))
        self._runner: asyncio.Task | None = None
        self._frames: set[asyncio.Task] = set()
        self.connected = asyncio.Event()  # set while a websocket is open (tests wait on it)
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # between reconnects (tests pass time)

    async def open_connection_async(self) -> dict:
        """The SDK's open-connection request, sent with aiohttp. Raises StreamConfigError when
        DingTalk refuses the credentials (4xx), OSError-like errors for network trouble."""
        topics = [{"type": "CALLBACK", "topic": topic} for topic in self.callback_handler_map]
        body = {"clientId": self.credential.client_id, "clientSecret": self.credential.client_secret, "subscriptions": topics, "ua": f"dingtalk-sdk-python/v{VERSION_STRING}-union (crmbot)", "localIp": ""}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
            async with session.post(self.api_url + OPEN_PATH, json=body, headers={"Accept": "application/json"}) as response:
                text = await response.text()
                if 400 <= response.status < 500 and response.status != 429:
                    raise StreamConfigError(f"crmbot: DingTalk refused the stream connection (HTTP {response.status}): check DINGTALK_CLIENT_ID / DINGTALK_CLIENT_SECRET and that the robot uses Stream mode. {text[:200]}")
                response.raise_for_status()
                answer = json.loads(text)
        if not answer.get("endpoint") or not answer.get("ticket"):
            raise aiohttp.ClientError(f"no endpoint in {text[:200]}")
        return answer

    async def begin(self) -> None:
        """Open the first connection (so bad credentials stop `crmbot run` at once), then keep
        receiving in the background, reconnecting after a drop."""
        connection = await self.open_connection_async()
        self.pre_start()
        self._runner = asyncio.create_task(self._receive_forever(connection))

    async def _receive_forever(self, connection: dict | None) -> None:
        failures = 0
        while True:
            try:
                if connection is None:
                    connection = await self.open_connection_async()
                uri = f'{connection["endpoint"]}?ticket={quote_plus(connection["ticket"])}'
                connection = None  # a ticket is good for one connection
                async with websockets.connect(uri, max_size=4 * 1024 * 1024) as websocket:
                    self.websocket = websocket
                    self.connected.set()
                    failures = 0
                    async for raw in websocket:
                        self._spawn(json.loads(raw))
            except StreamConfigError as exc:
                log.error("%s", exc)
            except (OSError, aiohttp.ClientError, asyncio.TimeoutError, websockets.exceptions.WebSocketException, ValueError) as exc:
                log.warning("dingtalk stream: %r; reconnecting", exc)
            finally:
                self.connected.clear()
            await self.sleep(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])
            failures += 1

    def _spawn(self, frame: dict) -> None:
        task = asyncio.ensure_future(self.background_task(frame))  # the SDK routes it and sends the ack
        self._frames.add(task)
        task.add_done_callback(self._frames.discard)

    async def settle(self) -> None:
        while self._frames:
            await asyncio.gather(*list(self._frames), return_exceptions=True)

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            try:
                await self._runner
            except (asyncio.CancelledError, Exception):
                pass
            self._runner = None
        await self.settle()
