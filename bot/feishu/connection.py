"""Long-connection mode: the SDK's WebSocket client (endpoint discovery, protobuf frames, pings,
reconnects), run in a thread of its own, as the SDK's own FeishuChannel runs it.

Why a thread: the client drives a module-level event loop and makes blocking HTTP calls (endpoint
discovery, tokens) from it. Why a subclass: the SDK answers a data frame as soon as its synchronous
handler returns, before anything could be stored; here the frame is answered only after
`on_event` (a coroutine on the bot's own loop: the inbox write) has finished, so a crash before the
write leaves Feishu to deliver the event again.
"""
from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import http
import json
import logging
import threading
from collections.abc import Awaitable, Callable

import lark_oapi as lark
from lark_oapi.ws import client as ws_module
from lark_oapi.ws.const import HEADER_MESSAGE_ID, HEADER_SEQ, HEADER_SUM, HEADER_TYPE
from lark_oapi.ws.enum import MessageType
from lark_oapi.ws.model import Response

log = logging.getLogger(__name__)

OnEvent = Callable[[dict], Awaitable[dict | None]]  # the decrypted event → the answer for a callback


class _Client(ws_module.Client):
    def __init__(self, *args, on_event: OnEvent, bot_loop: asyncio.AbstractEventLoop, connected: concurrent.futures.Future, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._on_event = on_event
        self._bot_loop = bot_loop
        self._connected = connected

    async def _connect(self) -> None:
        await super()._connect()
        if self._conn is not None and not self._connected.done():
            self._connected.set_result(True)

    async def _receive_message_loop(self) -> None:
        try:
            await super()._receive_message_loop()
        except Exception:
            if self._auto_reconnect:
                raise  # (the SDK reconnects itself; it raises only once reconnecting is off: stop() closed it)

    async def _handle_data_frame(self, frame) -> None:
        headers = {h.key: h.value for h in frame.headers}
        payload = frame.payload
        if int(headers.get(HEADER_SUM, "1")) > 1:  # a large event comes in parts
            payload = self._combine(headers[HEADER_MESSAGE_ID], int(headers[HEADER_SUM]), int(headers[HEADER_SEQ]), payload)
            if payload is None:
                return
        if headers.get(HEADER_TYPE) != MessageType.EVENT.value:
            return  # (the SDK ignores other data frames too)
        response = Response(code=http.HTTPStatus.OK)
        try:
            event = json.loads(payload)
            work = asyncio.run_coroutine_threadsafe(self._on_event(event), self._bot_loop)
            result = await asyncio.wrap_future(work)
            if result is not None:
                response.data = base64.b64encode(json.dumps(result).encode())
        except Exception:
            log.exception("feishu: an event could not be stored; Feishu will deliver it again")
            response = Response(code=http.HTTPStatus.INTERNAL_SERVER_ERROR)
        frame.payload = lark.JSON.marshal(response).encode()
        await self._write_message(frame.SerializeToString())


class LongConnection:
    """start() returns once connected (or raises on refused credentials); stop() closes it."""

    def __init__(self, app_id: str, app_secret: str, domain: str, on_event: OnEvent) -> None:
        self.app_id, self.app_secret, self.domain, self.on_event = app_id, app_secret, domain, on_event
        self._client: _Client | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    async def start(self, timeout: float = 30.0) -> None:
        connected: concurrent.futures.Future = concurrent.futures.Future()
        bot_loop = asyncio.get_running_loop()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            ws_module.loop = self._loop  # the SDK schedules its tasks on this module-level loop
            try:
                self._client = _Client(
                    self.app_id, self.app_secret, log_level=lark.LogLevel.WARNING, domain=self.domain,
                    on_event=self.on_event, bot_loop=bot_loop, connected=connected,
                )
                self._client.start()  # runs until the loop is stopped
            except BaseException as exc:  # refused credentials (no retry), or the loop stopped by stop()
                if not connected.done():
                    connected.set_exception(exc)
            finally:  # the SDK's own tasks (receiving, pinging) end with the loop
                pending = asyncio.all_tasks(self._loop)
                for task in pending:
                    task.cancel()
                try:
                    self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                except RuntimeError:  # a task of the SDK's stopped the loop again while unwinding: nothing left to wait for
                    log.debug("feishu: the SDK stopped its loop while its tasks unwound")
                self._loop.close()

        self._thread = threading.Thread(target=run, name="feishu-long-connection", daemon=True)
        self._thread.start()
        try:
            await asyncio.wait_for(asyncio.wrap_future(connected), timeout)
        except asyncio.TimeoutError:
            log.warning("feishu: no long connection after %.0fs; the SDK keeps trying", timeout)

    async def stop(self) -> None:
        client, loop = self._client, self._loop
        if client is None or loop is None or loop.is_closed():
            return
        client._auto_reconnect = False  # a closed connection is then the end, not a reason to reconnect
        try:  # bounded: a connection the server already dropped, or a loop that stopped, must not hold up shutdown
            if loop.is_running():
                await asyncio.wait_for(asyncio.wrap_future(asyncio.run_coroutine_threadsafe(client._disconnect(), loop)), 5)
        except (Exception, asyncio.TimeoutError):
            log.warning("feishu: the long connection did not close cleanly", exc_info=True)
        try:
            loop.call_soon_threadsafe(loop.stop)
        except RuntimeError:  # the thread closed its loop meanwhile (refused credentials end it on their own)
            pass
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 10)
        self._client = None
