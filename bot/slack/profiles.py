"""Who a Slack user is (users.info): display name, timezone and locale, cached for a while."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

CACHE_FOR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Profile:
    user_id: str
    name: str
    timezone: str | None = None
    locale: str | None = None  # e.g. "zh-CN", "en-US"


class Profiles:
    def __init__(self, client: AsyncWebClient, clock: Callable[[], dt.datetime]) -> None:
        self.client = client
        self.clock = clock
        self._cache: dict[str, tuple[Profile, dt.datetime]] = {}

    async def get(self, user_id: str) -> Profile:
        now = self.clock()
        cached = self._cache.get(user_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            response = await self.client.users_info(user=user_id, include_locale=True)
        except (SlackApiError, OSError, TimeoutError) as exc:  # fall back to the bare id; try again next time
            log.warning("users.info %s failed: %s", user_id, exc)
            return cached[0] if cached else Profile(user_id=user_id, name=user_id)
        profile = profile_of(user_id, response.get("user") or {})
        self._cache[user_id] = (profile, now + CACHE_FOR)
        return profile


def profile_of(user_id: str, user: dict) -> Profile:
    details = user.get("profile") or {}
    name = details.get("display_name") or details.get("real_name") or user.get("real_name") or user.get("name") or user_id
    return Profile(user_id=user_id, name=name.strip()[:100] or user_id, timezone=user.get("tz") or None, locale=user.get("locale") or None)
