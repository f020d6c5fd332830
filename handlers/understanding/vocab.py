"""The parser's word lists, kept as data files under data/ (easy to extend without touching code)."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).parent / "data"


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """data/<name>.toml as a dict (read once)."""
    return tomllib.loads((_DATA / f"{name}.toml").read_text(encoding="utf-8"))


def alternation(words) -> str:
    """A regex alternation of literal words, longest first."""
    import re

    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
