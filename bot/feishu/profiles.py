"""Who a Feishu user is (contact.v3.user.get): the name, cached for a while. Events carry only ids.
Needs the contact permission; without it (or when the call fails) the open_id stands in."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

import lark_oapi as lark
from lark_oapi.api.contact.v3 import GetUserRequest

log = logging.getLogger(__name__)

CACHE_FOR = dt.timedelta(hours=1)


class Profiles:
    def __init__(self, client: lark.Client, clock: Callable[[], dt.datetime]) -> None:
        self.client = client
        self.clock = clock
        self._cache: dict[str, tuple[str, dt.datetime]] = {}

    async def name(self, open_id: str) -> str:
        now = self.clock()
        cached = self._cache.get(open_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        request = GetUserRequest.builder().user_id(open_id).user_id_type("open_id").build()
        try:
            response = await asyncio.to_thread(self.client.contact.v3.user.get, request)
        except Exception as exc:  # network, token, an unreadable answer: the id now, the name next time
            log.warning("feishu contact lookup of %s failed: %r", open_id, exc)
            return cached[0] if cached else open_id
        user = getattr(response.data, "user", None) if response.success() else None
        name = str(getattr(user, "name", None) or getattr(user, "en_name", None) or "").strip()[:100]
        if not name:
            log.info("feishu contact lookup of %s: %s %s", open_id, response.code, response.msg)
            return cached[0] if cached else open_id
        self._cache[open_id] = (name, now + CACHE_FOR)
        return name
