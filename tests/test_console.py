"""The console chat end to end: scripted typing, printed answers, numbered buttons, a restart."""
from __future__ import annotations

import io
import os
import subprocess
import sys

from bot.console.adapter import ConsoleChat
from bot.console.member import ensure_console_member
from bot.console.sender import ConsoleSender
from bot.demo import load_demo
from bot.wiring import build_app

from .conftest import make_settings


def _script(lines):
    queue = list(lines)

    async def read_line():
        return queue.pop(0) if queue else None

    return read_line


async def _session(url, tmp_path, clock, lines, demo=False) -> str:
    out = io.StringIO()
    sender = ConsoleSender(out)
    app = build_app(make_settings(url, tmp_path), clock=clock, senders=[sender], migrate=False)
    try:
        if demo:
            async with app.db.write() as session:
                await load_demo(session, "newcomer", clock())
        await ensure_console_member(app, "newcomer")
        await ConsoleChat(app, "newcomer", sender, read_line=_script(lines)).run(tick_seconds=3600)
    finally:
        await app.close()
    return out.getvalue()


async def test_newcomer_demo_flow_survives_a_restart(sqlite_url, tmp_path, clock):
    first = await _session(sqlite_url, tmp_path, clock, ["called Wang, wants quote Friday", "/tasks all"], demo=True)
    assert "王伟" in first and "Fri 5 Mar" in first
    task_line = next(line for line in first.splitlines() if "#" in line and "王伟" in line)
    task_id = task_line.split("#")[1].split()[0]
    second = await _session(sqlite_url, tmp_path, clock, [f"/done {task_id}", "/tasks", "/customer 王伟"], demo=True)
    assert "Done: 王伟" in second
    assert "No open follow-ups" in second
    assert "called Wang, wants quote Friday" in second  # the note is on the customer's timeline


async def test_numbers_press_the_buttons_shown(sqlite_url, tmp_path, clock):
    out = await _session(sqlite_url, tmp_path, clock, ["called Wang, wants quote Friday", "3", "/tasks"], demo=True)
    assert "[3] Undo" in out
    assert "Removed the note on 王伟" in out
    assert "No open follow-ups" in out


def test_crmbot_chat_command_runs_on_a_fresh_data_dir(tmp_path):
    env = {**os.environ, "CRMBOT_DATA_DIR": str(tmp_path), "CRMBOT_DATABASE_URL": ""}
    env.pop("CRMBOT_DATABASE_URL")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--demo", "--as", "demo"],
        input="拜访了李娜，下周三前发报价\n/quit\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "李娜" in done.stdout and "发报价" in done.stdout
    assert (tmp_path / "crmbot.db").exists()
