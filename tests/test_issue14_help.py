"""/help all and the README's chat-command table list the same commands (/help itself is short: the
everyday few, pointing to /help all; tests/test_paging.py)."""
from __future__ import annotations

import re
from pathlib import Path

from handlers.commands import COMMANDS

from .helpers import Person, seed_team


def _readme_commands() -> set[str]:
    text = Path(__file__).resolve().parent.parent.joinpath("README.md").read_text(encoding="utf-8")
    table = text.split("### Commands (chat)", 1)[1].split("### Command line", 1)[0]
    return {m for cell in re.findall(r"^\| ([^|]*(?:\\\|[^|]*)*) \|", table, re.M) for m in re.findall(r"`/([a-z]+)", cell)}


async def test_help_and_readme_list_the_same_commands(app):
    await seed_team(app)
    shown = set(re.findall(r"^/([a-z]+)", (await Person(app, "me").say("/help all"))[0].text, re.M))
    readme = _readme_commands()
    known = {c.name for c in COMMANDS}
    assert shown <= readme, shown - readme
    assert readme <= known, readme - known
