"""Feishu round trip by hand: `crmbot run` as a subprocess with FEISHU_* pointing at a fake Feishu
(its Open API and long-connection WebSocket, run here), the real lark-oapi SDK in between.

    uv run python -m benchmarks.feishu_roundtrip [--http] [--notes 20]

A fresh database: the member's /start makes them admin, /新建 adds a customer, a Chinese note comes
back as a card with buttons, tapping 改日期 and typing a date moves the follow-up. By default the
events go down the long connection; --http sends them encrypted and signed to the callback URL.
Prints what the member would see, then the note → confirmation time beside a floor measured in the
same run: an event the bot answers and ignores (the same transport, decryption and answer; no
database, no reply).
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storage.db import migrate
from tests.fakes.feishu_api import APP_ID, APP_SECRET, ENCRYPT_KEY, VERIFICATION_TOKEN, FakeFeishuAPI, FeishuTenant

USER = "ou_lilei"
PATIENCE = 30.0  # seconds to wait for the bot
STARTUP_PATIENCE = 180.0  # `import lark_oapi` loads all of its ~10,000 modules: seconds of CPU on a busy machine


def crmbot_command() -> list[str]:
    script = Path(sys.executable).with_name("crmbot")
    return [str(script), "run"] if script.exists() else [shutil.which("crmbot") or "crmbot", "run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def until(condition, what: str, patience: float = PATIENCE) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > patience:
            raise SystemExit(f"no {what} within {patience:.0f}s")
        await asyncio.sleep(0.002)
    return time.perf_counter() - start


def shown(api: FakeFeishuAPI, message: dict) -> str:
    text = api.texts(USER)[api.to(USER).index(message)]
    buttons = "  ".join(f"[{b['text']['content']}]" for b in api.buttons(message))
    return "bot> " + text.replace("\n", "\n     ") + (f"\n     {buttons}" if buttons else "")


async def answered(api: FakeFeishuAPI, send, show: str | None) -> tuple[dict, float]:
    before = len(api.to(USER))
    start = time.perf_counter()
    status, _ = await send()
    if status != 200:
        raise SystemExit(f"Feishu's delivery was answered {status}")
    await until(lambda: len(api.to(USER)) > before, "answer")
    took = time.perf_counter() - start
    reply = api.to(USER)[before]
    if show is not None:
        print(show)
        print(shown(api, reply))
    return reply, took


async def main(notes: int, http: bool) -> None:
    api = FakeFeishuAPI()
    await api.start()
    api.add_user(USER, "李雷")
    data = tempfile.mkdtemp(prefix="crmbot-feishu-")
    db_url = f"sqlite:///{Path(data) / 'crmbot.db'}"
    migrate(db_url)
    env = os.environ | {
        "FEISHU_APP_ID": APP_ID,
        "FEISHU_APP_SECRET": APP_SECRET,
        "FEISHU_API_URL": api.base,
        "CRMBOT_DATA_DIR": data,
        "CRMBOT_DATABASE_URL": db_url,
        "CRMBOT_LANGUAGE": "zh",
    }
    endpoint = None
    if http:
        port = free_port()
        env |= {"FEISHU_ENCRYPT_KEY": ENCRYPT_KEY, "FEISHU_VERIFICATION_TOKEN": VERIFICATION_TOKEN, "FEISHU_HTTP_PORT": str(port)}
        endpoint = f"http://127.0.0.1:{port}/feishu/events"
    for name in ("TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "DINGTALK_CLIENT_ID", "WECOM_CORP_ID"):
        env.pop(name, None)
    tenant = FeishuTenant(api, lambda: dt.datetime.now(dt.timezone.utc), endpoint)
    log_path = Path(data) / "crmbot.log"  # a file, not a pipe: a full pipe would stop the bot mid-run
    log_file = open(log_path, "w")
    bot = subprocess.Popen(crmbot_command(), env=env, stdout=subprocess.DEVNULL, stderr=log_file, text=True)
    try:
        if http:
            waited = await until(lambda: _listening(port) or bot.poll() is not None, "callback server", STARTUP_PATIENCE)
        else:
            waited = await until(lambda: bool(api.live) or bot.poll() is not None, "long connection", STARTUP_PATIENCE)
        if bot.poll() is not None:
            raise SystemExit(f"crmbot run exited: {log_path.read_text()[-2000:]}")
        print(f"crmbot run ready ({'HTTP callbacks' if http else 'long connection'}) in {waited:.2f}s\n")

        async def say(text: str, show: bool = True) -> tuple[dict, float]:
            return await answered(api, lambda: tenant.dm(USER, text), f"you> {text}" if show else None)

        await say("/start")
        await say("/新建 李娜, 星河贸易")
        card, _ = await say("拜访了李娜，下周三前发报价")
        await answered(api, lambda: tenant.press(USER, card, "改日期"), "(taps 改日期)")
        await say("下周五")

        timed, floors = [], []
        for i in range(notes):
            start = time.perf_counter()
            ignored = tenant.envelope("im.message.message_read_v1", {"reader": {"reader_id": {"open_id": USER}}})
            await tenant.deliver(ignored)
            floors.append(time.perf_counter() - start)
            timed.append((await say(f"给李娜打了电话，第{i + 1}次，聊了新品", show=False))[1])
        ms = 1000
        print(f"\nnote → confirmation, {notes} notes: median {statistics.median(timed) * ms:.1f} ms (max {max(timed) * ms:.1f})")
        print(f"floor (an event answered and ignored, same run): median {statistics.median(floors) * ms:.1f} ms")
    finally:
        bot.terminate()
        try:
            bot.wait(10)
        except subprocess.TimeoutExpired:
            bot.kill()
        await api.stop()
        log_file.close()
        if os.environ.get("CRMBOT_KEEP_LOG"):
            print(log_path.read_text()[-4000:])
        shutil.rmtree(data, ignore_errors=True)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--notes", type=int, default=20)
    parser.add_argument("--http", action="store_true", help="HTTP callbacks instead of the long connection")
    options = parser.parse_args()
    asyncio.run(main(options.notes, options.http))
