"""DingTalk round trip by hand: `crmbot run` as a subprocess with DINGTALK_* pointing at a fake DingTalk
(its stream gateway and robot OpenAPI, run here), the real dingtalk-stream SDK in between.

    uv run python -m benchmarks.dingtalk_roundtrip [--notes 20]

A fresh database: the member's /start makes them admin, /新建 adds a customer, a Chinese note comes
back as a markdown message with buttons, tapping 改日期 and typing a date moves the follow-up; then in
a group (@robot /link, @robot note) the confirmation is an interactive card, and its 改日期 button
calls back over the stream (a card callback frame). Prints
what the member would see, then the note → confirmation time beside a floor measured in the same
run: a stream frame the bot stores nothing for (the same websocket, SDK routing and ack; no
database, no reply).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storage.db import migrate
from tests.fakes.dingtalk_api import CARD_CALLBACK, CLIENT_ID, CLIENT_SECRET, FakeDingTalk, Sent

STAFF = "staff01"
GROUP = "cidSALES1"
PATIENCE = 30.0  # seconds to wait for the bot


def crmbot_command() -> list[str]:
    script = Path(sys.executable).with_name("crmbot")
    return [str(script), "run"] if script.exists() else [shutil.which("crmbot") or "crmbot", "run"]


def now_ms() -> int:
    return int(time.time() * 1000)


async def until(condition, what: str) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > PATIENCE:
            raise SystemExit(f"no {what} within {PATIENCE:.0f}s")
        await asyncio.sleep(0.002)
    return time.perf_counter() - start


async def say(fake: FakeDingTalk, text: str, show: bool = True) -> tuple[Sent, float]:
    before = len(fake.to(STAFF))
    start = time.perf_counter()
    await fake.push(fake.message(STAFF, text, nick="李雷", created_ms=now_ms()))
    await until(lambda: len(fake.to(STAFF)) > before, "answer")
    took = time.perf_counter() - start
    reply = fake.to(STAFF)[before]
    if show:
        print(f"you> {text}")
        shown = reply.text.split("\n\n[")[0]
        buttons = "  ".join(f"[{label}]" for label in reply.presses())
        print("bot> " + shown.replace("  \n", "\n").replace("\n", "\n     ") + (f"\n     {buttons}" if buttons else ""))
    return reply, took


def show_group(reply: Sent) -> None:
    buttons = "  ".join(f"[{label}]" for label in reply.card_buttons())
    kind = "card" if reply.out_track_id else "message"
    print(f"bot ({kind})> " + reply.text.replace("  \n", "\n").replace("\n", "\n     ") + (f"\n     {buttons}" if buttons else ""))


async def in_group(fake: FakeDingTalk, text: str) -> Sent:
    before = len(fake.to(GROUP))
    await fake.push(fake.message(STAFF, text, nick="李雷", group=GROUP, created_ms=now_ms()))
    await until(lambda: len(fake.to(GROUP)) > before, "group answer")
    print(f"[群] you> @crmbot {text}")
    show_group(fake.to(GROUP)[before])
    return fake.to(GROUP)[before]


async def tap_card(fake: FakeDingTalk, card: Sent, label: str) -> Sent:
    before = len(fake.to(GROUP))
    frame = await fake.push(fake.card_press(STAFF, card, label), topic=CARD_CALLBACK)
    await fake.acked(frame, PATIENCE)
    await until(lambda: len(fake.to(GROUP)) > before, "answer to the tap")
    print(f"[群] (taps {label} on the card: a card callback over the stream)")
    show_group(fake.to(GROUP)[before])
    return fake.to(GROUP)[before]


async def floor(fake: FakeDingTalk) -> float:
    """A frame the bot acknowledges and ignores (no msgId: no person's message)."""
    start = time.perf_counter()
    frame = await fake.push({"conversationType": "1", "msgtype": "text", "text": {"content": "-"}})
    await fake.acked(frame, PATIENCE)
    return time.perf_counter() - start


async def main(notes: int) -> None:
    fake = await FakeDingTalk().start()
    data = tempfile.mkdtemp(prefix="crmbot-dingtalk-")
    db_url = f"sqlite:///{Path(data) / 'crmbot.db'}"
    migrate(db_url)  # the schema first, as an operator would (`crmbot run` may leave that to them)
    env = os.environ | {
        "DINGTALK_CLIENT_ID": CLIENT_ID,
        "DINGTALK_CLIENT_SECRET": CLIENT_SECRET,
        "DINGTALK_API_URL": fake.base,
        "CRMBOT_DATA_DIR": data,
        "CRMBOT_DATABASE_URL": db_url,
        "CRMBOT_LANGUAGE": "zh",
    }
    for name in ("TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "FEISHU_APP_ID", "WECOM_CORP_ID"):
        env.pop(name, None)
    bot = subprocess.Popen(crmbot_command(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        waited = await until(lambda: bool(fake.sockets) or bot.poll() is not None, "stream connection")
        if bot.poll() is not None:
            raise SystemExit(f"crmbot run exited: {bot.stderr.read() if bot.stderr else ''}")
        print(f"crmbot run connected to the fake stream gateway in {waited:.2f}s\n")
        await say(fake, "/start")
        await say(fake, "/新建 李娜, 星河贸易")
        card, _ = await say(fake, "拜访了李娜，下周三前发报价")
        tap = next(text for label, text in card.presses().items() if "改日期" in label)
        print(f"(taps 改日期: DingTalk sends “{tap}”)")
        await say(fake, tap)
        await say(fake, "下周五")
        print()
        await in_group(fake, "/link")
        card = await in_group(fake, "拜访了李娜，她要下周一前的样品")
        await tap_card(fake, card, "改日期")
        await in_group(fake, "下周二")

        timed, floors = [], []
        for i in range(notes):
            floors.append(await floor(fake))
            timed.append((await say(fake, f"给李娜打了电话，第{i + 1}次，聊了新品", show=False))[1])
        ms = 1000
        print(f"\nnote → confirmation over the stream, {notes} notes: median {statistics.median(timed) * ms:.1f} ms (max {max(timed) * ms:.1f})")
        print(f"floor (a frame acked and ignored, same run): median {statistics.median(floors) * ms:.1f} ms")
    finally:
        bot.terminate()
        try:
            bot.wait(10)
        except subprocess.TimeoutExpired:
            bot.kill()
        await fake.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notes", type=int, default=20)
    asyncio.run(main(parser.parse_args().notes))
