"""The console (issue 13, low 12): `--as NAME` does not take over somebody's messenger account, and
the end of input (Ctrl-D, a closed pipe) or Ctrl-C ends the chat cleanly, without cutting off the
scheduled work in progress and without a traceback."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from bot.console.adapter import ConsoleChat
from bot.console.member import NameTaken, ensure_console_member, member_or_pair
from bot.console.sender import ConsoleSender
from bot.wiring import build_app
from storage import crm
from storage.models import AuditLog, Identity

from .conftest import make_settings
from .helpers import Person, seed_team

ROOT = Path(__file__).resolve().parents[1]


def _lines(*typed):
    queue = list(typed)

    async def read_line():
        return queue.pop(0) if queue else None

    return read_line


async def test_as_name_of_a_telegram_member_is_refused_unless_their_pair_code_is_typed(app):
    await seed_team(app, members=(("boss", "admin"), ("小李", "rep", "boss")), platform="telegram")
    said: list[str] = []
    assert await member_or_pair(app, "小李", _lines(), said.append) is None  # end of input at the question
    assert "小李 is already a member on Telegram" in said[0] and "/pair" in said[0]
    assert await member_or_pair(app, "小李", _lines("NOPE12"), said.append) is None
    async with app.db.read() as session:
        assert [i.platform for i in (await session.exec(select(Identity))).all()] == ["telegram", "telegram"]  # nothing taken over

    [code_reply] = await Person(app, "小李", platform="telegram").say("/pair")
    code = next(word for word in code_reply.text.replace("：", " ").split() if len(word) == 6 and word.isalnum() and word.upper() == word)
    said.clear()
    member = await member_or_pair(app, "小李", _lines(code), said.append)
    assert member is not None and member.display_name == "小李" and member.role == "rep"
    assert await ensure_console_member(app, "小李") is not None  # from now on the console is 小李 too


async def test_as_name_of_a_member_without_any_account_yet_is_taken_on(app):
    async with app.db.write() as session:
        team = await crm.create_team(session, "T", "Asia/Shanghai")
        await crm.create_member(session, team, "Boss", role="admin")  # as `crmbot admin create-team --admin Boss` makes it
    member = await ensure_console_member(app, "boss")
    assert member.display_name == "Boss" and member.role == "admin"


async def test_as_name_never_silently_becomes_someone_elses_member(app):
    await seed_team(app, members=(("Wang", "admin"),), platform="slack")
    try:
        await ensure_console_member(app, "wang")
    except NameTaken as taken:
        assert taken.platforms == ["slack"]
    else:
        raise AssertionError("the console took over a Slack member")


async def test_end_of_input_lets_the_scan_in_progress_finish(sqlite_url, tmp_path, clock, caplog):
    sender = ConsoleSender(io.StringIO())
    app = build_app(make_settings(sqlite_url, tmp_path), clock=clock, senders=[sender], migrate=False)
    try:
        member = await ensure_console_member(app, "me")
        inside, input_ended = asyncio.Event(), asyncio.Event()

        async def tick() -> None:  # a scan that is mid-transaction when the input ends
            async with app.db.write() as session:
                await crm.audit(session, "scan", team_id=member.team_id, detail="tick")
                inside.set()
                await input_ended.wait()

        async def read_line():
            await inside.wait()
            input_ended.set()
            return None  # Ctrl-D

        await asyncio.wait_for(ConsoleChat(app, "me", sender, read_line=read_line).run(tick=tick), 30)
        async with app.db.read() as session:
            assert [r.detail for r in (await session.exec(select(AuditLog).where(AuditLog.action == "scan"))).all()] == ["tick"]
    finally:
        await app.close()
    assert "Traceback" not in caplog.text and "Exception" not in caplog.text


def _chat(tmp_path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRMBOT_", "TELEGRAM_", "SLACK_"))}
    env |= {"CRMBOT_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "bot", "chat", *args], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")


def test_crmbot_chat_ends_cleanly_at_end_of_input_and_on_ctrl_c(tmp_path):
    chat = _chat(tmp_path, "--demo", "--as", "demo")
    out, err = chat.communicate("拜访了李娜，下周三前发报价\n", timeout=120)  # no /quit: the pipe just closes
    assert chat.returncode == 0 and "Traceback" not in err and "Exception" not in err, err
    assert "李娜" in out

    chat = _chat(tmp_path, "--as", "demo")
    assert chat.stdout is not None
    while "Type a note" not in (line := chat.stdout.readline()):
        assert line, chat.stderr.read() if chat.stderr else ""
    chat.send_signal(signal.SIGINT)
    out, err = chat.communicate(timeout=60)
    assert chat.returncode == 130 and "Traceback" not in err, err
