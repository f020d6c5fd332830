"""Per-platform sending limits, as sliding windows over the injected clock.

Telegram: about 1 message/s per chat, 20/min per group, 30/s overall. Slack: about 1/s per
channel. A 429's retry_after blocks the chat for that long. Limits are per process (like PTB's
AIORateLimiter): two workers on one bot token share the platform's budget between them.
"""
from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    scope: str  # "chat": each chat | "group": each group chat | "all": the whole platform
    count: int
    seconds: float


RULES: dict[str, list[Rule]] = {
    "telegram": [Rule("chat", 1, 1.0), Rule("group", 20, 60.0), Rule("all", 30, 1.0)],
    "slack": [Rule("chat", 1, 1.0)],
    # DingTalk: 20 a minute per group, a per-app QPS; per-user flow control is answered per send (sender.py)
    "dingtalk": [Rule("group", 20, 60.0), Rule("all", 20, 1.0)],
    "feishu": [Rule("chat", 5, 1.0), Rule("all", 50, 1.0)],  # im.v1.message.create: 5/s per user or group, 50/s per app
    "wecom": [Rule("chat", 30, 60.0)],  # an app may send one member 30 a minute; WeCom drops what goes over
}


class Limiter:
    def __init__(self, clock: Callable[[], dt.datetime], rules: dict[str, list[Rule]] | None = None) -> None:
        self.clock = clock
        self.rules = RULES if rules is None else rules
        self._sent: dict[tuple, deque[float]] = {}
        self._blocked: dict[tuple[str, str], float] = {}

    def _now(self) -> float:
        return self.clock().timestamp()

    def _buckets(self, platform: str, chat_id: str, chat_kind: str):
        for rule in self.rules.get(platform, []):
            if rule.scope == "all":
                yield rule, (platform, rule.scope, rule.seconds, "*"), False
            elif rule.scope == "chat" or (rule.scope == "group" and chat_kind == "group"):
                yield rule, (platform, rule.scope, rule.seconds, chat_id), True

    def wait(self, platform: str, chat_id: str, chat_kind: str = "private") -> tuple[float, bool]:
        """Seconds to wait before this chat may get a message, and whether the wait is the chat's
        own (True: send something else meanwhile) or the whole platform's (False)."""
        now = self._now()
        chat_wait = max(0.0, self._blocked.get((platform, chat_id), 0.0) - now)
        all_wait = 0.0
        for rule, bucket, per_chat in self._buckets(platform, chat_id, chat_kind):
            sent = self._sent.get(bucket)
            if not sent:
                continue
            while sent and sent[0] <= now - rule.seconds:
                sent.popleft()
            if len(sent) >= rule.count:
                wait = sent[len(sent) - rule.count] + rule.seconds - now
                if per_chat:
                    chat_wait = max(chat_wait, wait)
                else:
                    all_wait = max(all_wait, wait)
        if chat_wait > 0:
            return chat_wait, True
        return all_wait, False

    def record(self, platform: str, chat_id: str, chat_kind: str = "private") -> None:
        now = self._now()
        for _rule, bucket, _ in self._buckets(platform, chat_id, chat_kind):
            self._sent.setdefault(bucket, deque()).append(now)

    def block(self, platform: str, chat_id: str, seconds: float) -> None:
        """The platform said 429 retry_after=seconds for this chat."""
        until = self._now() + seconds
        self._blocked[(platform, chat_id)] = max(self._blocked.get((platform, chat_id), 0.0), until)
