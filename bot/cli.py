"""The `crmbot` command line. Each subcommand imports what it needs lazily, so `crmbot parse` starts fast."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys


def _parse_now(value: str | None) -> dt.datetime:
    if value:
        now = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if now.tzinfo is None:
            now = now.replace(tzinfo=_default_zone())
        return now
    return dt.datetime.now(_default_zone())


def _default_zone():
    import os
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = os.environ.get("CRMBOT_TIMEZONE", "Asia/Shanghai")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        sys.exit(f"crmbot: CRMBOT_TIMEZONE={name!r} is not a known timezone (try Asia/Shanghai)")


def _lines(args) -> list[str]:
    if args.batch:
        return [line.rstrip("\r\n") for line in sys.stdin]
    if args.text is None:
        sys.exit("crmbot: give the text to read, or --batch to read lines from standard input")
    return [args.text]


def cmd_when(args) -> int:
    from handlers.understanding.when import resolve_when

    now = _parse_now(args.now)
    out = sys.stdout
    for line in _lines(args):
        found = resolve_when(line, now)
        out.write((found.iso() if found else "null") + "\n")
    return 0


def cmd_parse(args) -> int:
    from handlers.understanding.matching import CustomerIndex
    from handlers.understanding.notes import NoteParser

    now = _parse_now(args.now)
    if args.customers:
        from handlers.understanding.records import records_from_sheet

        records = records_from_sheet(args.customers)
    else:
        from bot.wiring import load_customer_records

        records = load_customer_records(args.db)
    parser = NoteParser(CustomerIndex(records))
    out = sys.stdout
    for line in _lines(args):
        out.write(json.dumps(parser.parse(line, now).to_json(), ensure_ascii=False) + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="crmbot", description="A CRM assistant for your team messenger.")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("when", help="resolve a time expression (prints an ISO date/datetime or null)")
    p.add_argument("text", nargs="?")
    p.add_argument("--now", help="reference time, ISO-8601 with UTC offset")
    p.add_argument("--batch", action="store_true", help="one expression per line on stdin")
    p.set_defaults(func=cmd_when)

    p = sub.add_parser("parse", help="read one quick note and print what it means as JSON (writes nothing)")
    p.add_argument("text", nargs="?")
    p.add_argument("--customers", help="known customers, a CSV/XLSX in the import format")
    p.add_argument("--db", help="database URL (default: the configured database)")
    p.add_argument("--now", help="when the note was sent, ISO-8601 with UTC offset")
    p.add_argument("--batch", action="store_true", help="one note per line on stdin, one JSON per line out")
    p.set_defaults(func=cmd_parse)
    return ap


def main(argv: list[str] | None = None) -> None:
    for stream in (sys.stdout, sys.stdin):
        try:
            stream.reconfigure(encoding="utf-8", errors="replace")
        except (AttributeError, ValueError):
            pass
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
    except KeyboardInterrupt:
        code = 130
    sys.exit(code or 0)
