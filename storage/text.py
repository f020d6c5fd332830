"""Text every backend can store. Kept apart from the column types so that reading a sheet (`crmbot parse
--customers FILE`) does not import SQLAlchemy."""
from __future__ import annotations

from typing import Any


def storable(text: str) -> str:
    """Text every backend can store: lone surrogates become U+FFFD, NULs go (PostgreSQL refuses them).

    A pair of surrogates that Python kept apart is joined into its character first.
    """
    if text.isascii():
        return text.replace("\x00", "") if "\x00" in text else text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text.replace("\x00", "")


def storable_data(value: Any) -> Any:
    """storable() applied to every string (keys too) in JSON-like data."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable_data(k): storable_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable_data(v) for v in value]
    return value
