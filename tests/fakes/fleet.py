"""A fleet of `crmbot run` replicas (tests/fakes/replica_process.py) on one PostgreSQL, in front of the
Telegram fake in webhook mode and the Slack fake in HTTP mode, and the people who text them (issue 18).

The test plays the platforms' side: a note is POSTed to one replica's webhook (Telegram, with the secret
the replicas registered by setWebhook) or events endpoint (Slack, signed), round-robin; a replica that
does not answer (killed) is skipped and the same update is retried on the next one, as a load balancer
and the platform's retries do. A chat's next note is sent once its previous one was acknowledged (the
replica stored it): Telegram delivers a chat's updates in order, and so does this.

Used by tests/test_replicas_fleet.py, tests/test_replicas_import.py and benchmarks/replicas_bench.py.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psycopg
from sqlalchemy.engine import make_url

from bot.telegram.webhook import SECRET_HEADER
from tests.fakes.slack_api import SIGNING_SECRET, FakeSlackAPI, sign
from tests.fakes.telegram_api import TOKEN, FakeTelegram, _text_fields, user

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_URL = "https://crm.example.com/telegram/hook"
WEBHOOK_PATH = "/telegram/hook"
SLACK_PATH = "/slack/events"
# twenty customers every member may file on; a reply ("✓ 已记到 王伟 · 电话") names one, so it says which note it answers
NAMES = ("王伟", "李娜", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴刚", "徐涛", "孙悦", "马超", "朱琳", "胡军", "郭敏", "何平", "林峰", "罗娟", "高翔")


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class Chat:
    platform: str  # telegram | slack
    user_id: str  # the Telegram user id (its private chat has the same id) or the Slack user id
    chat_id: str  # where replies go: the Telegram chat id, the Slack DM channel


def chats(count: int) -> list[Chat]:
    """count people, half on Telegram and half on Slack, each texting the bot in a private chat."""
    out = []
    for i in range(count):
        if i % 2 == 0:
            uid = str(700_001 + i)
            out.append(Chat("telegram", uid, uid))
        else:
            out.append(Chat("slack", f"U{10_001 + i}", f"D{10_001 + i}"))
    return out


def note_text(chat: Chat, i: int) -> str:
    """A note naming one customer (NAMES[i % 20]), with a tag that makes the text unique."""
    return f"给{NAMES[i % len(NAMES)]}打了电话，聊了订单 {chat.chat_id}-{i:04d}"


async def seed(db_url: str, tmp_path, people: list[Chat]) -> None:
    """One team: everyone a member (the first an admin), twenty customers without an owner."""
    from bot.wiring import build_app
    from storage import crm
    from storage.models import Customer
    from tests.conftest import make_settings

    app = build_app(make_settings(db_url, tmp_path), migrate=False)
    try:
        async with app.db.write() as session:
            team = await crm.create_team(session, "Fleet team", "Asia/Shanghai")
            for n, chat in enumerate(people):
                await crm.create_member(session, team, f"member{n}", role="admin" if n == 0 else "rep", platform=chat.platform, user_id=chat.user_id, language="zh")
            for i, name in enumerate(NAMES):
                await crm.add_customer(session, Customer(team_id=team.id, name=name, company=f"公司{i}"))
    finally:
        await app.close()


@dataclass
class Replica:
    proc: asyncio.subprocess.Process
    ports: dict[str, int]
    lines: list[str]  # what it printed (PORTS, TICK …)
    reader: asyncio.Task
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    def ticks(self) -> list[tuple[str, dt.datetime, dt.datetime]]:
        """(worker, scheduled, started) of every scheduler tick this replica fired."""
        out = []
        for line in self.lines:
            if line.startswith("TICK "):
                _, worker, scheduled, started = line.split()
                out.append((worker, dt.datetime.fromisoformat(scheduled), dt.datetime.fromisoformat(started)))
        return out


@dataclass
class Fleet:
    db_url: str
    tmp_path: Path
    telegram: FakeTelegram = field(default_factory=FakeTelegram)
    slack: FakeSlackAPI = field(default_factory=FakeSlackAPI)
    replicas: list[Replica] = field(default_factory=list)
    lease_seconds: float = 5.0  # the outbox lease (production: 60)
    tick_seconds: float = 2.0  # the scheduler tick (production: 60)
    stale_seconds: float | None = None  # when an acked, unhandled inbox row is taken over (production: 30)
    extra_env: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self.session: aiohttp.ClientSession | None = None
        self.retried = 0  # notes sent again to another replica (the first did not answer)

    async def __aenter__(self) -> Fleet:
        await self.telegram.start()
        await self.slack.start()
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CRMBOT_", "TELEGRAM_", "SLACK_", "FEISHU_", "DINGTALK_", "WECOM_"))}
        return env | {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "CRMBOT_TELEGRAM_API_URL": self.telegram.url,
            "CRMBOT_TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
            "CRMBOT_TELEGRAM_WEBHOOK_PORT": "0",
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "CRMBOT_SLACK_API_URL": self.slack.base_url,
            "CRMBOT_SLACK_HTTP_PORT": "0",
            "CRMBOT_DATABASE_URL": self.db_url,
            "CRMBOT_DATA_DIR": str(self.tmp_path / "data"),
            "CRMBOT_TIMEZONE": "Asia/Shanghai",
            "PYTHONPATH": str(ROOT),
            "REPLICA_TEST_LEASE_SECONDS": str(self.lease_seconds),
            "REPLICA_TEST_TICK_SECONDS": str(self.tick_seconds),
        } | ({"REPLICA_TEST_STALE_SECONDS": str(self.stale_seconds)} if self.stale_seconds is not None else {}) | self.extra_env

    async def start(self, count: int, timeout: float = 120) -> list[Replica]:
        started = await asyncio.gather(*(self._start_one(len(self.replicas) + i, timeout) for i in range(count)))
        self.replicas += started
        return started

    async def _start_one(self, n: int, timeout: float) -> Replica:
        log = self.tmp_path / f"replica-{n}.log"
        with open(log, "wb") as err:
            proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.fakes.replica_process", cwd=ROOT, env=self.env(), stdout=asyncio.subprocess.PIPE, stderr=err)
        lines: list[str] = []
        ready: asyncio.Future = asyncio.get_running_loop().create_future()

        async def read() -> None:
            assert proc.stdout is not None
            async for raw in proc.stdout:
                line = raw.decode().strip()
                lines.append(line)
                if line.startswith("PORTS ") and not ready.done():
                    ready.set_result(dict((k, int(v)) for k, v in (p.split("=") for p in line.split()[1:])))
            if not ready.done():
                ready.set_exception(RuntimeError(f"replica {n} ended before listening: {log.read_text()[-3000:]}"))

        reader = asyncio.create_task(read())
        ports = await asyncio.wait_for(ready, timeout)
        return Replica(proc, ports, lines, reader, log)

    def kill(self, replica: Replica) -> None:
        replica.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        for replica in self.replicas:
            if replica.alive:
                replica.proc.send_signal(signal.SIGTERM)
        for replica in self.replicas:
            try:
                await asyncio.wait_for(replica.proc.wait(), 60)
            except asyncio.TimeoutError:
                replica.proc.kill()
                await replica.proc.wait()
            await replica.reader
        self.replicas_stopped = True
        if self.session is not None:
            await self.session.close()
            self.session = None
        await self.telegram.stop()
        await self.slack.stop()

    # --- the platforms' side: what people text ----------------------------------------------------
    def prepare(self, people: list[Chat]) -> None:
        for chat in people:
            if chat.platform == "slack":
                self.slack.add_user(chat.user_id, f"Rep {chat.user_id}", locale="zh-CN")

    def _telegram_request(self, chat: Chat, text: str) -> tuple[str, bytes, dict]:
        uid = int(chat.user_id)
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": {"id": uid, "type": "private", "first_name": "Rep"}, "from": user(uid, "Rep", "zh"), **_text_fields(text)}
        body = json.dumps({"update_id": next(self._update_ids), "message": message}).encode()
        secret = (self.telegram.webhook or {}).get("secret_token", "")
        return WEBHOOK_PATH, body, {"Content-Type": "application/json", SECRET_HEADER: secret}

    def _slack_request(self, chat: Chat, text: str) -> tuple[str, bytes, dict]:
        now = time.time()
        ts = f"{now:.6f}"
        event = {"type": "message", "channel_type": "im", "channel": chat.chat_id, "user": chat.user_id, "text": text, "ts": ts, "event_ts": ts}
        envelope = {"token": "legacy", "team_id": self.slack.team_id, "api_app_id": "A1", "type": "event_callback", "event_id": f"Ev{next(self._update_ids):07d}", "event_time": int(now), "event": event,
                    "authorizations": [{"team_id": self.slack.team_id, "user_id": self.slack.bot_user_id, "is_bot": True}]}
        body = json.dumps(envelope).encode()
        stamp = str(int(now))
        return SLACK_PATH, body, {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sign(body, stamp)}

    async def say(self, chat: Chat, text: str, first: int, deadline: float = 120.0) -> int:
        """Deliver one note to replica `first` (mod the fleet), or the next live one when it does not
        answer 200; the same update each time (a retry). Returns the replica index that took it."""
        path, body, headers = (self._telegram_request if chat.platform == "telegram" else self._slack_request)(chat, text)
        assert self.session is not None
        give_up = time.monotonic() + deadline
        attempt = 0
        while True:
            n = (first + attempt) % len(self.replicas)
            attempt += 1
            replica = self.replicas[n]
            if replica.alive:
                url = f"http://127.0.0.1:{replica.ports[chat.platform]}{path}"
                try:
                    async with self.session.post(url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=30)) as response:
                        if response.status == 200:
                            return n
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
            if attempt > 1:
                self.retried += 1
            if time.monotonic() > give_up:
                raise AssertionError(f"no replica took {text!r}")
            if attempt % len(self.replicas) == 0:
                await asyncio.sleep(0.2)  # a round of refusals: the fleet is starting or busy

    # --- what the platforms received -------------------------------------------------------------
    def sends(self) -> list[tuple[str, str, str, float]]:
        """(platform, chat, text, arrival time) of every message the bot sent, in arrival order."""
        out = [("telegram", str(c.params["chat_id"]), c.params.get("text", ""), c.at) for c in self.telegram.calls if c.method == "sendMessage" and "result" in c.params]
        out += [("slack", str(c.args.get("channel")), str(c.args.get("text", "")), c.at) for c in self.slack.calls if c.method == "chat.postMessage"]
        return sorted(out, key=lambda s: s[3])


def max_in_window(times: list[float], seconds: float) -> int:
    """The most of these moments that fall within any `seconds`-long window."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= seconds:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


async def query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    async with await psycopg.AsyncConnection.connect(dsn(url), autocommit=True) as conn:
        return await (await conn.execute(sql, params)).fetchall()  # type: ignore[arg-type]


async def until(condition, seconds: float, what: str, every: float = 0.25):
    """Poll `condition` (the database, the fakes) until it is truthy; `seconds` is only a failsafe."""
    deadline = time.monotonic() + seconds
    while True:
        found = await condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        await asyncio.sleep(every)


async def lease_holder(url: str, name: str) -> tuple[str, dt.datetime] | None:
    """(worker, when its lease connection began) of the holder of lease `name`, from pg_locks."""
    from storage.leases import lease_key

    rows = await query(
        url,
        "SELECT a.application_name, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objsubid = 1 AND l.objid::bigint = %s "
                    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (lease_key(name),),
    )
    return (rows[0][0], rows[0][1]) if rows else None
