"""WeCom round trip by hand: `crmbot run` as a subprocess with WECOM_* pointing at a fake WeCom API,
and WeCom's side of the callback URL played here (encrypted, signed XML).

    uv run python -m benchmarks.wecom_roundtrip

A fresh database: the member's /start makes them admin, /新建 adds a customer, a Chinese note comes
back as a card with buttons, 改日期 and a typed date move the follow-up. Prints what the member would
see, and the note → card time beside a floor measured in the same run: an event the bot ignores
(the same HTTP, signature check and decryption, no database, no reply).

Then the group mode (WECOM_BOT_*: the 智能机器人 in API mode, its own callback URL): a note that
@mentions the bot in a group comes back to the group through the callback's response_url as a card,
and a press of its 改日期 button and a typed date move the follow-up; the same timing beside the
same kind of floor (an event the bot ignores, on the bot's URL).
"""
from __future__ import annotations

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

from tests.fakes.wecom_api import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, FakeWeComAPI, WeComTenant
from tests.fakes.wecom_bot import BOT_AES_KEY, BOT_ID, BOT_NAME, BOT_TOKEN, FakeWeComBotAPI, WeComBotTenant

USER = "zhangsan"
GROUP = "wrGROUP_sales"
PATIENCE = 30.0  # seconds to wait for the bot's answer


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def crmbot_command() -> list[str]:
    script = Path(sys.executable).with_name("crmbot")
    return [str(script), "run"] if script.exists() else [shutil.which("crmbot") or "crmbot", "run"]


async def answer(api: FakeWeComAPI, count: int) -> float:
    """Seconds until the fake has accepted `count` messages to USER."""
    start = time.perf_counter()
    while len(api.sent(USER)) < count:
        if time.perf_counter() - start > PATIENCE:
            raise SystemExit(f"no answer within {PATIENCE:.0f}s; sent so far: {api.texts(USER)}")
        await asyncio.sleep(0.005)
    return time.perf_counter() - start


async def say(api: FakeWeComAPI, tenant: WeComTenant, text: str) -> float:
    before = len(api.sent(USER))
    status, _ = await tenant.text(USER, text)
    assert status == 200, status
    took = await answer(api, before + 1)
    print(f"  {USER}> {text}")
    for line in api.texts(USER)[before:]:
        print("  bot> " + line.replace("\n", "\n       "))
    body = api.sent(USER)[-1]
    if body["msgtype"] == "template_card":
        print("       " + "  ".join(f"[{b['text']}]" for b in body["template_card"]["button_list"]))
    return took


async def in_group(api: FakeWeComBotAPI, bot: WeComBotTenant, text: str, press: tuple[dict, str] | None = None) -> float:
    """A group @mention (or a press of a group card's button) and the bot's answer in the group."""
    before = len(api.to(GROUP))
    start = time.perf_counter()
    if press is None:
        status, _ = await bot.mention(USER, GROUP, f"@{BOT_NAME} {text}")
    else:
        status, _ = await bot.press(USER, press[0], press[1], chat=GROUP)
    assert status == 200, status
    while len(api.to(GROUP)) <= before:
        if time.perf_counter() - start > PATIENCE:
            raise SystemExit(f"no answer in the group within {PATIENCE:.0f}s; answered so far: {api.shown(GROUP)}")
        await asyncio.sleep(0.005)
    took = time.perf_counter() - start
    print(f"  {USER} in {GROUP}> " + (f"@{BOT_NAME} {text}" if press is None else f"[{press[1]}]"))
    print("  bot> " + api.shown(GROUP)[-1].replace("\n", "\n       "))
    body = api.to(GROUP)[-1]
    if body["msgtype"] == "template_card":
        print("       " + "  ".join(f"[{b['text']}]" for b in body["template_card"]["button_list"]))
    return took


async def group_round_trip(api: FakeWeComBotAPI, bot: WeComBotTenant) -> None:
    print(f"\ngroup mode (智能机器人, callback URL {bot.endpoint}):")
    notes = [await in_group(api, bot, "拜访了李娜，下周三前发报价")]
    card = api.cards_to(GROUP)[-1]
    await in_group(api, bot, "", press=(card, "改日期"))
    await in_group(api, bot, "下周五")
    notes += [await in_group(api, bot, f"给李娜打了电话，第{i}次，周五前发样品") for i in range(1, 6)]
    floor = []
    for _ in range(len(notes)):
        ignored = bot.text_body(USER, "") | {"msgtype": "event", "event": {"eventtype": "enter_chat"}}
        start = time.perf_counter()
        status, _ = await bot.deliver(ignored)
        floor.append(time.perf_counter() - start)
        assert status == 200
    print(f"\ngroup note → card through the response_url: median {statistics.median(notes) * 1000:.0f} ms over {len(notes)} notes "
          f"(floor, an ignored event's callback: {statistics.median(floor) * 1000:.1f} ms)")


async def main() -> int:
    api = FakeWeComBotAPI()
    await api.start()
    api.users[USER] = "张三"
    port, bot_port = free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix="crmbot-wecom-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRMBOT_", "TELEGRAM_", "SLACK_", "FEISHU_", "DINGTALK_", "WECOM_"))}
    env |= {
        "CRMBOT_DATA_DIR": tmp,
        "CRMBOT_DATABASE_URL": f"sqlite:///{tmp}/crmbot.db",
        "CRMBOT_LANGUAGE": "zh",
        "WECOM_CORP_ID": CORP_ID,
        "WECOM_AGENT_ID": str(AGENT_ID),
        "WECOM_SECRET": SECRET,
        "WECOM_TOKEN": TOKEN,
        "WECOM_AES_KEY": AES_KEY,
        "WECOM_API_URL": api.base,
        "WECOM_HTTP_PORT": str(port),
        "WECOM_BOT_TOKEN": BOT_TOKEN,
        "WECOM_BOT_AES_KEY": BOT_AES_KEY,
        "WECOM_BOT_ID": BOT_ID,
        "WECOM_BOT_NAME": BOT_NAME,
        "WECOM_BOT_HTTP_PORT": str(bot_port),
    }
    from storage.db import migrate

    migrate(env["CRMBOT_DATABASE_URL"])  # a fresh database, as `crmbot migrate` makes it
    process = subprocess.Popen(crmbot_command(), env=env)
    tenant = WeComTenant(f"http://127.0.0.1:{port}/wecom/callback", now)
    try:
        started = time.perf_counter()
        while True:  # the callback URL answers WeCom's check once the adapter listens
            try:
                if (await tenant.verify_url("42"))[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.perf_counter() - started > 60:
                raise SystemExit(f"crmbot run did not start (exit code {process.poll()})")
            await asyncio.sleep(0.1)
        print(f"crmbot run answers WeCom's URL check after {time.perf_counter() - started:.1f}s (pid {process.pid})\n")

        await say(api, tenant, "/start")
        await say(api, tenant, "/新建 李娜, 华南贸易")
        note = await say(api, tenant, "拜访了李娜，下周三前发报价")
        card = api.cards(USER)[-1]
        before = len(api.sent(USER))
        await tenant.press(USER, card, "改日期")
        await answer(api, before + 1)
        print("  [改日期]\n  bot> " + api.texts(USER)[-1])
        await say(api, tenant, "下周五")

        notes = [note] + [await say(api, tenant, f"给李娜打了电话，第{i}次，周五前发样品") for i in range(1, 6)]
        floor = []
        for _ in range(len(notes)):
            ignored = {"ToUserName": CORP_ID, "FromUserName": USER, "CreateTime": int(time.time()), "MsgType": "event", "Event": "enter_agent", "AgentID": AGENT_ID}
            start = time.perf_counter()
            status, _ = await tenant.deliver(ignored)
            floor.append(time.perf_counter() - start)
            assert status == 200
        print(f"\nnote → card on WeCom: median {statistics.median(notes) * 1000:.0f} ms over {len(notes)} notes "
              f"(floor, an ignored event's callback: {statistics.median(floor) * 1000:.1f} ms); gettoken calls: {len(api.of('gettoken'))}")
        await group_round_trip(api, WeComBotTenant(f"http://127.0.0.1:{bot_port}/wecom/bot", now, api))
    finally:
        process.terminate()
        code = process.wait(timeout=30)
        print(f"crmbot run stopped (exit code {code})")
        await api.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
