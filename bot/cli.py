"""The `crmbot` command line. Each subcommand imports what it needs lazily, so `crmbot parse` starts fast."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys


class UsageError(Exception):
    """A command-line argument that cannot be used: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but an argument error is one line (no usage block)."""

    def error(self, message: str):  # noqa: D401
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parse_now(value: str | None) -> dt.datetime:
    """A moment: ISO-8601 ('2027-03-01T17:30'), or words ('now', 'tomorrow', '明天 17:30', 'next Monday 9am')."""
    zone = _default_zone()
    real_now = dt.datetime.now(zone)
    if not value or value.strip().lower() in ("now", "现在"):
        return real_now
    try:
        now = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        from handlers.understanding.when import resolve_when

        found = resolve_when(value, real_now)
        if found is None or found.date is None:
            raise UsageError(f"cannot read the moment {value!r}; use ISO-8601 (2027-03-01T17:30) or words (tomorrow, 明天 17:30)") from None
        return dt.datetime.combine(found.date, found.time or real_now.time().replace(microsecond=0), tzinfo=zone)
    if now.tzinfo is None:
        now = now.replace(tzinfo=zone)
    return now


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

    from bot.console.adapter import ConsoleChat
    from bot.console.member import member_or_pair
    from bot.console.sender import ConsoleSender
    from bot.wiring import build_app

    settings = _settings(args)
    sender = ConsoleSender()
    app = build_app(settings, senders=[sender])
    user = _user(args)

    async def main() -> int:
        try:
            if args.demo:
                from bot.demo import load_demo

                async with app.db.write() as session:
                    await load_demo(session, user, app.services.clock(), settings.timezone)
            member = await member_or_pair(app, user, _console_code, print)
            if member is None:
                return 1
            print(f"crmbot · {member.display_name} ({member.role}) · {settings.safe_db_url}")
            print("Type a note, /help for commands, /quit to leave. 直接输入记录，/help 查看命令。")
            chat = ConsoleChat(app, user, sender)
            await chat.run(tick=_tick_function(app))
            return 0
        finally:
            await app.close()

    return asyncio.run(main())


async def _console_code() -> str | None:
    """The /pair code typed at the prompt (None at the end of input)."""
    import asyncio

    def read() -> str | None:
        try:
            return input("/pair code> ")
        except EOFError:
            return None

    return await asyncio.to_thread(read)


def _tick_function(app):
    from reminders.scheduler import tick

    async def run() -> None:
        await tick(app, app.services.clock())

    return run


def cmd_import(args) -> int:
    import asyncio

    from bot.wiring import build_app
    from storage import crm
    from storage.importer import Importer, import_sheet
    from storage.sheet_review import review
    from storage.spreadsheet import SheetError

    try:
        data = open(args.file, "rb").read()
    except OSError as exc:
        print(f"crmbot: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    app = build_app(_settings(args))

    async def main():
        try:
            async with app.db.write() as session:
                team = await _team(session, args.team)
                if team is None:
                    raise SheetError(f"no team called {args.team}")
                named = {}
                for name in filter(None, (args.as_user, args.owner)):
                    named[name] = await crm.member_by_name(session, team.id, name)
                    if named[name] is None:
                        raise SheetError(f"no member called {name} in {team.name}")
                # without --as the command line acts as the team's admin; rows naming no owner go to --owner, else
                # to that actor: an unowned customer would be seen by every rep
                admins = [m for m in await crm.team_members(session, team.id) if m.role == "admin"]
                actor = named[args.as_user] if args.as_user else (admins[0] if admins else None)
                owner = named[args.owner] if args.owner else actor
            # the command line is the operator's: it sees the whole team and may name any owner
            who = Importer(team.id, actor.id if actor else None, owner_id=owner.id if owner else None)
            summary = await import_sheet(app.db, who, data, args.file)
            async with app.db.read() as session:
                members = {m.display_name.lower() for m in await crm.team_members(session, team.id)}
            return summary, owner, review(data, args.file, members, args.lang)
        finally:
            await app.close()

    try:
        summary, owner, not_understood = asyncio.run(main())
    except SheetError as exc:
        print(f"Import failed, nothing changed: {exc}", file=sys.stderr)
        return 1
    lines = [summary.render(args.lang, limit=50)]
    if summary.given_default_owner:
        n, zh = summary.given_default_owner, args.lang == "zh"
        rows = f"{n} row{'s' if n > 1 else ''} without an owner"
        if owner is not None:
            lines.append(f"没有负责人的 {n} 行归 {owner.display_name}。" if zh else f"{rows} went to {owner.display_name} ({owner.role}).")
        else:
            lines.append(f"没有负责人的 {n} 行仍无人负责：团队没有管理员，可用 --owner 指定。" if zh else f"{rows} stay unowned: the team has no admin (name one with --owner).")
    print("\n".join([*lines, *not_understood]))
    return 0


async def _team(session, name: str | None):
    """The team called `name`, or (no name) the first team, made when there is none yet."""
    from sqlmodel import func, select

    from storage import crm
    from storage.models import Team

    if name:
        return (await session.exec(select(Team).where(func.lower(Team.name) == name.strip().lower()))).first()
    return await crm.first_team(session) or await crm.create_team(session, "My team", "Asia/Shanghai")


def cmd_export(args) -> int:
    import asyncio

    from bot.wiring import build_app
    from storage import plan_sheet
    from storage.exporter import customer_sheet, to_csv, to_xlsx

    app = build_app(_settings(args))

    async def main():
        try:
            async with app.db.write() as session:
                team = await _team(session, args.team)
                if team is None:
                    return None
                lang = args.lang or (await plan_sheet.team_language(session, team.id, app.settings.language) if team else app.settings.language)
                if args.sheet == "customers":
                    return lang, None, await customer_sheet(session, team.id, app.settings.zone) if team else []
                rows = await plan_sheet.plan_rows(session, team.id, app.settings.zone, lang, app.services.clock(), app.settings) if team else []
                return lang, plan_sheet.HEADERS[lang], rows
        finally:
            await app.close()

    result = asyncio.run(main())
    if result is None:
        print(f"crmbot export: no team called {args.team}", file=sys.stderr)
        return 1
    lang, headers, rows = result
    title = plan_sheet.TITLE[lang] if headers else None
    data = to_xlsx(rows, lang, headers, title) if args.format == "xlsx" else to_csv(rows, lang, headers)
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
            if args.action == "retry":  # failed rows (all, or --id) go again now
                from reminders.delivery import retry_failed

                return await retry_failed(app.db, dt.datetime.now(dt.timezone.utc), args.id or None)
            async with app.db.read() as session:
                return await outbox_by_status(session, args.status, args.limit)
        finally:
            await app.close()

    rows = asyncio.run(main())
    if args.action == "retry":
        print(f"{rows} failed message(s) queued again")
        return 0
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
    from storage.db import migrate, schema_problem

    settings = _settings(args)
    if args.migrate:
        migrate(settings.db_url)  # under the migration lock: replicas started together migrate once
    problem = schema_problem(settings.db_url)
    if problem is not None:
        print(f"crmbot run: {problem}", file=sys.stderr)
        return 2
    app = build_app(settings, with_adapters=True, migrate=False)
    if not app.adapters:
        print("crmbot: no messenger configured. Set TELEGRAM_BOT_TOKEN (Telegram) or SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Slack); or try `uv run crmbot chat`.", file=sys.stderr)
        return 2
    return asyncio.run(serve(app))


def cmd_migrate(args) -> int:
    from storage.db import migrate, schema_revisions

    settings = _settings(args)
    before, head = schema_revisions(settings.db_url)
    migrate(settings.db_url)  # under an advisory lock: several replicas may run this at once
    print(f"schema {before or 'empty'} → {head}" if before != head else f"schema already at {head}")
    return 0


def cmd_tick(args) -> int:
    import asyncio

    from bot.console.sender import ConsoleSender
    from bot.wiring import build_app

    at = _parse_now(args.at)
    app = build_app(_settings(args), clock=lambda: at, senders=[ConsoleSender()])

    async def main() -> None:
        try:
            await _tick_function(app)()
            sent = await app.deliverer.drain()
            print(f"— tick at {at.isoformat()}: {sent} message(s) delivered to the console")
        finally:
            await app.close()

    asyncio.run(main())
    return 0


def _one(found: list, what: str, query: str):
    """Exactly one match, or a message to the operator and None."""
    if not found:
        print(f"crmbot: no {what} {query!r}", file=sys.stderr)
        return None
    if len(found) > 1:
        print(f"crmbot: {len(found)} {what}s called {query!r}; use the id:", file=sys.stderr)
        for item in found:
            print(f"  #{item.id}  {getattr(item, 'name', None) or getattr(item, 'display_name', '')}  (team {item.team_id})", file=sys.stderr)
        return None
    return found[0]


def cmd_admin_create_team(args) -> int:
    import asyncio

    from bot.wiring import build_app
    from handlers.team_commands import PAIR_TTL
    from storage import crm
    from storage.models import AccountCode

    name, admin = args.name.strip(), args.admin.strip()
    if not name or not admin or len(name) > 100 or len(admin) > 100:
        print("crmbot: give a team name and an admin name (up to 100 characters each)", file=sys.stderr)
        return 2
    app = build_app(_settings(args))

    async def main():
        import secrets

        try:
            async with app.db.write() as session:
                team = await crm.create_team(session, name, app.settings.timezone)
                member = await crm.create_member(session, team, admin, role="admin", language=args.lang)
                code = secrets.token_hex(3).upper()
                session.add(AccountCode(code=code, member_id=member.id, created_at=app.services.clock()))
                await crm.audit(session, "create_team", team_id=team.id, member_id=member.id, platform="cli", detail=name)
                return team, code
        finally:
            await app.close()

    team, code = asyncio.run(main())
    minutes = int(PAIR_TTL.total_seconds() // 60)
    print(f"Team {team.name!r} (#{team.id}) created; {admin} is its admin.")
    print(f"{admin}: send /pair {code} to the bot on Telegram or Slack within {minutes} minutes.")
    return 0


def cmd_audit(args) -> int:
    import asyncio

    from bot.wiring import build_app
    from storage import privacy

    app = build_app(_settings(args))

    async def main():
        try:
            async with app.db.read() as session:
                customer_ids = member_ids = None
                if args.customer:
                    found = await privacy.customers_matching(session, args.customer)
                    # a deleted customer's trail stays: '#12' finds it by id
                    customer_ids = [c.id for c in found] or ([int(args.customer.lstrip("#"))] if args.customer.lstrip("#").isdigit() else [])
                if args.member:
                    member_ids = [m.id for m in await privacy.members_matching(session, args.member)]
                return await privacy.audit_trail(session, customer_ids=customer_ids, member_ids=member_ids, limit=args.limit)
        finally:
            await app.close()

    rows = asyncio.run(main())
    if not rows:
        print("no audit entries")
    zone = app.settings.zone
    for row, member, customer in rows:
        who = member or ("-" if row.member_id is None else f"#{row.member_id}")
        about = "" if row.customer_id is None else (f"{customer} (#{row.customer_id})" if customer else f"#{row.customer_id}")
        print(f"{row.at.astimezone(zone):%Y-%m-%d %H:%M:%S}\t{who}\t{row.action}\t{about}\t{row.platform or ''}\t{row.detail}")
    return 0


def cmd_export_customer(args) -> int:
    import asyncio

    from bot.wiring import build_app
    from storage import crm, privacy

    app = build_app(_settings(args))

    async def main():
        try:
            async with app.db.write() as session:
                customer = _one(await privacy.customers_matching(session, args.customer), "customer", args.customer)
                if customer is None:
                    return None
                data = await privacy.export_customer(session, customer)
                await crm.audit(session, "export", team_id=customer.team_id, customer_id=customer.id, platform="cli", detail="export-customer")
                return data
        finally:
            await app.close()

    data = asyncio.run(main())
    if data is None:
        return 1
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if args.out in (None, "-"):
        print(text)
    else:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        print(f"{data['customer']['name']}: {len(data['interactions'])} notes, {len(data['tasks'])} tasks → {args.out}", file=sys.stderr)
    return 0


def cmd_corrections_export(args) -> int:
    """Every correction users made to a note's reading, as eval cases (the format of the shared notes_dev.jsonl)."""
    import asyncio

    from bot.wiring import build_app
    from storage import corrections

    app = build_app(_settings(args))

    async def main():
        try:
            async with app.db.read() as session:
                return [corrections.eval_case(row) for row in await corrections.all_corrections(session)]
        finally:
            await app.close()

    cases = asyncio.run(main())
    lines = "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases)
    if args.out in (None, "-"):
        sys.stdout.write(lines)
    else:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(lines)
        print(f"{len(cases)} correction(s) → {args.out}", file=sys.stderr)
    return 0


def cmd_rotate_key(args) -> int:
    from storage import crypto
    from storage.db import migrate

    settings = _settings(args)
    from bot.settings import reveal

    cipher = crypto.Cipher.from_setting(reveal(settings.encryption_key))
    if cipher is None:
        print("crmbot: set CRMBOT_ENCRYPTION_KEY to the new key first, then the old ones: NEW,OLD (comma-separated)", file=sys.stderr)
        return 2
    migrate(settings.db_url)
    count = crypto.rotate(settings.db_url, cipher)
    print(f"{count} customer(s) re-encrypted with the first key. Older keys can now be dropped from CRMBOT_ENCRYPTION_KEY.")
    return 0


def cmd_new_key(args) -> int:
    from storage.crypto import new_key

    print(new_key())
    return 0


def _backup_cipher(settings):
    from bot.settings import reveal
    from storage.crypto import Cipher

    return Cipher.from_setting(reveal(settings.encryption_key))


def cmd_backup(args) -> int:
    from storage import backup

    settings = _settings(args)
    url = settings.db_url
    cipher = _backup_cipher(settings)
    out = args.out or str(backup.backup_dir(settings) / backup.default_name(url, dt.datetime.now(settings.zone), cipher is not None))
    try:
        path = backup.backup(url, out, cipher)
    except backup.BackupError as exc:
        print(f"crmbot: backup failed: {exc}", file=sys.stderr)
        return 1
    how = "encrypted with CRMBOT_ENCRYPTION_KEY" if cipher else "not encrypted: set CRMBOT_ENCRYPTION_KEY to encrypt backups"
    print(f"backup → {path} ({path.stat().st_size:,} bytes, {how})")
    return 0


def cmd_restore(args) -> int:
    from storage import backup
    from storage.db import migrate

    settings = _settings(args)
    try:
        saved = backup.restore(settings.db_url, args.path, backup.backup_dir(settings), dt.datetime.now(settings.zone), _backup_cipher(settings))
    except backup.BackupError as exc:
        print(f"crmbot: restore failed, nothing changed: {exc}", file=sys.stderr)
        return 1
    migrate(settings.db_url)  # an older backup is brought up to the current schema
    if saved:
        print(f"the database before the restore is kept in {saved}")
    print(f"restored from {args.path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="crmbot", description="A CRM assistant for your team messenger.")
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
    p.add_argument("--as", dest="as_user", help="who imports, in the audit (default: the team's admin)")
    p.add_argument("--owner", help="owner for rows without one (default: --as, else the team's admin)")
    p.add_argument("--team", help="the team to import into (default: the first)")
    p.add_argument("--db")
    p.add_argument("--lang", choices=["en", "zh"], default="en")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export the customer plan (客户管理方案表) or the contact sheet")
    p.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    p.add_argument("--out", help="file to write (default customers.FORMAT; - for stdout)")
    p.add_argument("--team", help="the team to export (default: the first)")
    p.add_argument("--db")
    p.add_argument("--lang", choices=["en", "zh"], default=None, help="default: the team's language")
    p.add_argument("--sheet", choices=["plan", "customers"], default="plan", help="plan: 客户管理方案表; customers: contacts (imports back)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("run", help="serve every configured messenger (Telegram, Slack) with the scheduler")
    p.add_argument("--db")
    p.add_argument("--migrate", action="store_true", help="bring the schema up to date first (else an old one stops the start)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("migrate", help="bring the database schema up to date (safe from several replicas at once)")
    p.add_argument("--db")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("tick", help="run everything due as of a moment (reminders, greetings, nags, digests)")
    p.add_argument("--at", help="ISO-8601 moment (default: now)")
    p.add_argument("--db")
    p.set_defaults(func=cmd_tick)

    p = sub.add_parser("outbox", help="list outgoing messages by status (failed ones stay visible here)")
    p.add_argument("action", nargs="?", choices=["list", "retry"], default="list", help="retry: send failed messages again")
    p.add_argument("--id", type=int, action="append", help="with retry: only this message (repeatable)")
    p.add_argument("--status", default="failed", choices=["pending", "sending", "sent", "failed", "dropped"])
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--db")
    p.set_defaults(func=cmd_outbox)

    p = sub.add_parser("admin", help="set up teams")
    admin = p.add_subparsers(dest="admin_command", required=True)
    p = admin.add_parser("create-team", help="a new team and its admin (who then pairs a messenger account with a code)")
    p.add_argument("name")
    p.add_argument("--admin", required=True, help="the admin's name")
    p.add_argument("--lang", choices=["en", "zh"], default="en")
    p.add_argument("--db")
    p.set_defaults(func=cmd_admin_create_team)

    p = sub.add_parser("audit", help="who read or changed which customer, when, through which messenger")
    p.add_argument("--customer", help="id (#12) or exact name")
    p.add_argument("--member", help="id (#3) or exact name")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--db")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("export-customer", help="everything held about one customer, as JSON (PIPL/GDPR access requests)")
    p.add_argument("customer", help="id (#12) or exact name")
    p.add_argument("--out", help="file to write (default: stdout)")
    p.add_argument("--db")
    p.set_defaults(func=cmd_export_customer)

    p = sub.add_parser("corrections", help="what users fixed in notes' readings")
    corr = p.add_subparsers(dest="corrections_command", required=True)
    p = corr.add_parser("export", help="all corrections as JSONL eval cases {id, now, text, expect}")
    p.add_argument("--out", help="file to write (default: stdout)")
    p.add_argument("--db")
    p.set_defaults(func=cmd_corrections_export)

    p = sub.add_parser("rotate-key", help="re-encrypt phone numbers and emails with the first key of CRMBOT_ENCRYPTION_KEY")
    p.add_argument("--db")
    p.set_defaults(func=cmd_rotate_key)

    p = sub.add_parser("new-key", help="print a new encryption key")
    p.set_defaults(func=cmd_new_key)

    p = sub.add_parser("backup", help="a consistent copy of the database (safe while the bot runs)")
    p.add_argument("--out", help="file to write (default: DATA_DIR/backups/crmbot-TIME.db or .dump)")
    p.add_argument("--db")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="replace the database with a backup (stop the bot first; the current one is kept)")
    p.add_argument("path")
    p.add_argument("--db")
    p.set_defaults(func=cmd_restore)
    return ap


def _database_error(exc: BaseException) -> bool:
    """sqlite3's or SQLAlchemy's DatabaseError; SQLAlchemy is looked up only if a command loaded it (importing it
    here would cost `crmbot parse` a quarter of a second)."""
    import sqlite3

    sa_exc = sys.modules.get("sqlalchemy.exc")
    return isinstance(exc, sqlite3.DatabaseError) or (sa_exc is not None and isinstance(exc, sa_exc.DatabaseError))


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
    except UsageError as exc:
        print(f"crmbot {args.command}: {exc}", file=sys.stderr)
        code = 2
    except Exception as exc:
        if not _database_error(exc):
            raise
        # a corrupt or foreign file: one line, no traceback
        print(f"crmbot: the database cannot be used ({str(getattr(exc, 'orig', exc)).splitlines()[0]}); `crmbot restore BACKUP` puts a backup back", file=sys.stderr)
        code = 1
    sys.exit(code or 0)
