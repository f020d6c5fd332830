"""Issue 14, defects 8 (console button numbers) and 9 (CLI argument errors are one line)."""
from __future__ import annotations

import re

import pytest

from bot import cli

from .test_console import _session


async def test_console_numbers_restart_at_one_for_each_reply(sqlite_url, tmp_path, clock):
    out = await _session(sqlite_url, tmp_path, clock, ["called Wang, wants quote Friday", "给李娜打电话，周五发报价", "拜访了王伟，下周一签合同"], demo=True)
    numbers = [int(n) for n in re.findall(r"\[(\d+)\]", out)]
    assert numbers and max(numbers) <= 4  # three replies with buttons: the numbers do not keep growing


async def test_console_number_presses_the_latest_replys_button(sqlite_url, tmp_path, clock):
    out = await _session(sqlite_url, tmp_path, clock, ["called Wang, wants quote Friday", "给李娜打电话，周五发报价", "3"], demo=True)
    assert "李娜" in out.splitlines()[-1] or "撤销" in out.split("\n", 6)[-1]
    assert re.search(r"(Removed|已撤销).*李娜", out)


@pytest.mark.parametrize("argv", [["tick", "--at", "blah"], ["when", "x", "--now", "not a date"], ["export", "--format", "pdf"], ["tick", "--bogus"]])
def test_cli_argument_errors_are_one_line(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err and "Traceback" not in err


def test_cli_reads_tomorrow(capsys):
    now = cli._parse_now("now")
    tomorrow = cli._parse_now("tomorrow")
    assert (tomorrow.date() - now.date()).days == 1
