"""Per-platform sending limits, as sliding windows over the injected clock.

Telegram: about 1 message/s per chat, 20/min per group, 30/s overall. Slack: about 1/s per
channel. A 429's retry_after blocks the chat for that long.

`SharedLimiter` (what delivery uses) keeps the windows in the database (table send_window), so
every replica counts every replica's sends: a check and its record are one transaction holding the
windows' rows (FOR UPDATE on PostgreSQL, the one writer on SQLite). `Limiter` keeps them in memory
(one process). Replicas' clocks are assumed in step (NTP) to well under the windows' second.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text


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

    async def take(self, platform: str, chat_id: str, chat_kind: str = "private") -> tuple[float, bool]:
        """wait() and, when nothing must wait, record() at once: (0, False) means "send now"."""
        wait, own = self.wait(platform, chat_id, chat_kind)
        if wait <= 0:
            self.record(platform, chat_id, chat_kind)
        return wait, own

    async def block_chat(self, platform: str, chat_id: str, seconds: float) -> None:
        self.block(platform, chat_id, seconds)


def _bucket_name(rule: Rule, chat_id: str) -> str:
    return "all" if rule.scope == "all" else f"{rule.scope}:{chat_id}"


class SharedLimiter:
    """The same sliding windows, kept in the database for every replica (see the module's note)."""

    def __init__(self, db, clock: Callable[[], dt.datetime], rules: dict[str, list[Rule]] | None = None) -> None:
        self.db = db
        self.clock = clock
        self.rules = RULES if rules is None else rules

    def _rules(self, platform: str, chat_kind: str) -> list[Rule]:
        return [r for r in self.rules.get(platform, []) if r.scope != "group" or chat_kind == "group"]

    async def take(self, platform: str, chat_id: str, chat_kind: str = "private") -> tuple[float, bool]:
        """Seconds to wait and whether the wait is the chat's own (True) or the platform's (False);
        (0, False) means "send now", and the send is already counted in every window."""
        rules = self._rules(platform, chat_kind)
        if not rules:
            return 0.0, False
        chat_bucket = f"chat:{chat_id}"
        names = sorted({_bucket_name(r, chat_id) for r in rules} | {chat_bucket})  # one lock order for everyone: no deadlocks
        async with self.db.write(quick=True) as session:
            conn = await session.connection()
            rows = await self._lock(conn, platform, names)
            if len(rows) < len(names):
                values = ", ".join(f"(:p, :b{i}, '[]', 0)" for i in range(len(names)))
                await conn.execute(
                    text(f"INSERT INTO send_window (platform, bucket, stamps, blocked_until) VALUES {values} ON CONFLICT DO NOTHING"),
                    {"p": platform} | {f"b{i}": n for i, n in enumerate(names)},
                )
                rows = await self._lock(conn, platform, names)
            now = self.clock().timestamp()
            chat_wait = max(0.0, rows[chat_bucket][1] - now)
            all_wait = 0.0
            stamps: dict[str, list[float]] = {}
            for rule in rules:
                name = _bucket_name(rule, chat_id)
                recent = stamps[name] = [t for t in json.loads(rows[name][0]) if t > now - rule.seconds]
                if len(recent) >= rule.count:
                    wait = recent[len(recent) - rule.count] + rule.seconds - now
                    if rule.scope == "all":
                        all_wait = max(all_wait, wait)
                    else:
                        chat_wait = max(chat_wait, wait)
            if chat_wait > 0:
                return chat_wait, True
            if all_wait > 0:
                return all_wait, False
            for name in stamps:
                await conn.execute(
                    text("UPDATE send_window SET stamps = :s WHERE platform = :p AND bucket = :b"),
                    {"s": json.dumps(stamps[name] + [now]), "p": platform, "b": name},
                )
        return 0.0, False

    async def block_chat(self, platform: str, chat_id: str, seconds: float) -> None:
        """The platform said 429 retry_after=seconds for this chat: every replica waits it out."""
        until = self.clock().timestamp() + seconds
        async with self.db.write(quick=True) as session:
            conn = await session.connection()
            params = {"p": platform, "b": f"chat:{chat_id}", "u": until}
            await conn.execute(text("INSERT INTO send_window (platform, bucket, stamps, blocked_until) VALUES (:p, :b, '[]', 0) ON CONFLICT DO NOTHING"), params)
            await conn.execute(text("UPDATE send_window SET blocked_until = :u WHERE platform = :p AND bucket = :b AND blocked_until < :u"), params)

    async def _lock(self, conn, platform: str, names: list[str]) -> dict[str, tuple[str, float]]:
        marks = ", ".join(f":b{i}" for i in range(len(names)))
        sql = f"SELECT bucket, stamps, blocked_until FROM send_window WHERE platform = :p AND bucket IN ({marks}) ORDER BY bucket"
        if not self.db.is_sqlite:
            sql += " FOR UPDATE"
        result = await conn.execute(text(sql), {"p": platform} | {f"b{i}": n for i, n in enumerate(names)})
        return {bucket: (stamps, blocked) for bucket, stamps, blocked in result.all()}
