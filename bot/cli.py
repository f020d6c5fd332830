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


def _settings(args):
    from bot.settings import load_settings

    overrides = {"database_url": args.db} if getattr(args, "db", None) else {}
    return load_settings(**overrides)


def _user(args) -> str:
    import getpass

    if getattr(args, "as_user", None):
        return args.as_user.strip()
    try:
        return getpass.getuser()
    except Exception:
        return "me"


def cmd_chat(args) -> int:
    import asyncio

    from bot.console import ConsoleChat, ConsoleSender, ensure_console_member
    from bot.wiring import build_app

    settings = _settings(args)
    sender = ConsoleSender()
    app = build_app(settings, senders=[sender])
    user = _user(args)

    async def main() -> None:
        try:
            if args.demo:
                from bot.demo import load_demo

                async with app.db.write() as session:
                    await load_demo(session, user, app.services.clock(), settings.timezone)
            member = await ensure_console_member(app, user)
            print(f"crmbot · {member.display_name} ({member.role}) · {settings.db_url}")
            print("Type a note, /help for commands, /quit to leave. 直接输入记录，/help 查看命令。")
            chat = ConsoleChat(app, user, sender)
            await chat.run(tick=_tick_function(app))
        finally:
            await app.close()

    asyncio.run(main())
    return 0


def _tick_function(app):
    try:
        from reminders.scheduler import tick
    except ImportError:  # the scheduler lands separately; the chat works without it
        return None

    async def run() -> None:
        await tick(app, app.services.clock())

    return run


def cmd_import(args) -> int:
    import asyncio

    from bot.wiring import build_app
    from storage import crm
    from storage.importer import import_sheet_bytes
    from storage.spreadsheet import SheetError

    app = build_app(_settings(args))
    try:
        data = open(args.file, "rb").read()
    except OSError as exc:
        print(f"crmbot: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2

    async def main():
        try:
            async with app.db.write() as session:
                team = await crm.first_team(session) or await crm.create_team(session, "My team", app.settings.timezone)
                actor = await crm.member_by_name(session, team.id, args.as_user) if args.as_user else None
                return await import_sheet_bytes(session, team, actor, data, args.file)
        finally:
            await app.close()

    try:
        summary = asyncio.run(main())
    except SheetError as exc:
        print(f"Import failed, nothing changed: {exc}", file=sys.stderr)
        return 1
    print(summary.render(args.lang, limit=50))
    return 0


def cmd_export(args) -> int:
    import asyncio

    from bot.wiring import build_app
    from storage import crm
    from storage.exporter import customer_sheet, to_csv, to_xlsx

    app = build_app(_settings(args))

    async def main():
        try:
            async with app.db.read() as session:
                team = await crm.first_team(session)
                return await customer_sheet(session, team.id, app.settings.zone) if team else []
        finally:
            await app.close()

    rows = asyncio.run(main())
    data = to_xlsx(rows, args.lang) if args.format == "xlsx" else to_csv(rows, args.lang)
    out = args.out or f"customers.{args.format}"
    if out == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(out, "wb") as fh:
            fh.write(data)
        print(f"{len(rows)} customers → {out}")
    return 0


def cmd_outbox(args) -> int:
    import asyncio

    from bot.wiring import build_app
    from storage.messaging import outbox_by_status

    app = build_app(_settings(args))

    async def main():
        try:
            async with app.db.read() as session:
                return await outbox_by_status(session, args.status, args.limit)
        finally:
            await app.close()

    rows = asyncio.run(main())
    if not rows:
        print(f"no {args.status} messages")
    for row in rows:
        text = (row.body.get("text") or "").replace("\n", " ")[:60]
        print(f"{row.id}\t{row.status}\t{row.kind}\t{row.platform}:{row.chat_id}\tattempts={row.attempts}\t{row.last_error or ''}\t{text}")
    return 0


def cmd_run(args) -> int:
    import asyncio

    from bot.runner import serve
    from bot.wiring import build_app

    app = build_app(_settings(args), with_adapters=True)
    if not app.adapters:
        print("crmbot: no messenger configured. Set TELEGRAM_BOT_TOKEN (Telegram) or SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Slack); or try `uv run crmbot chat`.", file=sys.stderr)
        return 2
    return asyncio.run(serve(app))


def cmd_tick(args) -> int:
    import asyncio

    from bot.console import ConsoleSender
    from bot.wiring import build_app

    at = _parse_now(args.at)
    app = build_app(_settings(args), clock=lambda: at, senders=[ConsoleSender()])

    async def main() -> None:
        try:
            tick = _tick_function(app)
            if tick is None:
                print("crmbot: the scheduler is not installed", file=sys.stderr)
                return
            await tick()
            sent = await app.deliverer.drain()
            print(f"— tick at {at.isoformat()}: {sent} message(s) delivered to the console")
        finally:
            await app.close()

    asyncio.run(main())
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

    p = sub.add_parser("chat", help="chat with the bot in this terminal (embedded SQLite by default)")
    p.add_argument("--as", dest="as_user", help="who is typing (default: your login name)")
    p.add_argument("--demo", action="store_true", help="load a small sample team and customer list")
    p.add_argument("--db", help="database URL (default: CRMBOT_DATABASE_URL or a SQLite file)")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("import", help="import customers from a CSV or XLSX file")
    p.add_argument("file")
    p.add_argument("--as", dest="as_user", help="owner for rows without one")
    p.add_argument("--db")
    p.add_argument("--lang", choices=["en", "zh"], default="en")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export the customer sheet")
    p.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    p.add_argument("--out", help="file to write (default customers.FORMAT; - for stdout)")
    p.add_argument("--db")
    p.add_argument("--lang", choices=["en", "zh"], default="en")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("run", help="serve every configured messenger (Telegram, Slack) with the scheduler")
    p.add_argument("--db")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("tick", help="run everything due as of a moment (reminders, greetings, nags, digests)")
    p.add_argument("--at", help="ISO-8601 moment (default: now)")
    p.add_argument("--db")
    p.set_defaults(func=cmd_tick)

    p = sub.add_parser("outbox", help="list outgoing messages by status (failed ones stay visible here)")
    p.add_argument("--status", default="failed", choices=["pending", "sending", "sent", "failed", "dropped"])
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--db")
    p.set_defaults(func=cmd_outbox)
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
