"""Customer records for the parser from a sheet file (the `--customers FILE` of `crmbot parse`)."""
from __future__ import annotations

from storage.spreadsheet import read_sheet, split_aliases

from .reading import CustomerRecord


def records_from_sheet(path: str) -> list[CustomerRecord]:
    records = []
    for number, row in enumerate(read_sheet(path), start=1):
        v = row.values
        if not v.get("name"):
            continue
        records.append(
            CustomerRecord(
                id=number,
                name=v["name"],
                company=v.get("company"),
                aliases=split_aliases(v.get("aliases")),
                owner=v.get("owner"),
            )
        )
    return records
