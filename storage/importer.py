"""Importing a customer sheet: checked whole first, then written in batches of short transactions.

1. The file is read once, streamed, to check it (storage/spreadsheet.py; caps on rows, cells and
   unpacked size): a broken or oversized file is answered with one line and changes nothing.
2. It is read again and written BATCH rows at a time, each batch its own short transaction, so the
   notes of everyone else keep being written while a big import runs. Reading and parsing run in a
   worker thread, never on the event loop; the database work between is short.

Duplicates are found through an index, not by comparing rows: normalized phone, normalized email,
and the normalized name at the same company, over what the importing member may see (`visible`, a
WHERE clause from handlers/access.py; None for the command line, which sees the team). Identifiers
decide: a row whose phone or email differs from the customer it names is a different person (a new
customer), and a row whose phone and email belong to two different customers, or that repeats one
customer's phone with another email (or the reverse), is rejected as a conflict for a person to
settle. Merging fills empty fields and adds aliases and tags; it never overwrites. Every customer
created or changed gets an audit row. With encryption on, phones and emails are compared by their
keyed hashes (storage/crypto.py) and no contact is decrypted.

An import cut short by a crash keeps the batches written before it; sending the file again finishes
it (the rows already in are recognised and merged, not doubled).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import insert
from sqlmodel import col, func, select

from . import crypto, sheet_review
from .contacts import normalize_email, normalize_phone
from .models import STAGES, TIERS, AuditLog, Customer, Member, utcnow
from .spreadsheet import SheetLimits, SheetRow, check_sheet, iter_sheet, split_aliases
from .team_versions import customers_changed

TIER_WORDS = {
    "important": "important",
    "重要": "important",
    "vip": "important",
    "a": "important",
    "special": "special",
    "特殊": "special",
    "b": "special",
    "general": "general",
    "普通": "general",
    "一般": "general",
    "c": "general",
}
STAGE_WORDS = {s: s for s in STAGES} | {"潜在": "potential", "新": "new", "新客户": "new", "活跃": "active", "忠诚": "loyal", "老客户": "loyal", "流失": "churned"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BATCH = 500  # rows per write transaction: a few milliseconds of lock, then other writers get their turn


@dataclass
class ImportSummary:
    imported: int = 0
    merged: int = 0
    given_default_owner: int = 0  # new rows that named no owner (or one not in the team): given Importer.default_owner
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)

    def render(self, lang: str, limit: int = 5) -> str:
        head = f"导入：新增 {self.imported}，合并 {self.merged}，拒绝 {len(self.rejected)}。" if lang == "zh" else f"Import: {self.imported} new, {self.merged} merged, {len(self.rejected)} rejected."
        lines = [head]
        for row, reason in self.rejected[:limit]:
            lines.append(f"  {'第' + str(row) + '行' if lang == 'zh' else 'row ' + str(row)}: {reason}")
        if len(self.rejected) > limit:
            lines.append(f"  … +{len(self.rejected) - limit}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Importer:
    """Who imports: their id (None: the command line), whether they may name other owners (admins and
    the command line), what they see (a WHERE clause on Customer; None: the whole team), and who owns
    rows that name no owner (None: the importer), so no row is left for every rep to see."""

    team_id: int
    actor_id: int | None = None
    for_others: bool = True
    visible: object = None
    platform: str = "cli"
    owner_id: int | None = None

    @property
    def default_owner(self) -> int | None:
        return self.owner_id if self.owner_id is not None else self.actor_id


def parse_birthday(value: str | None) -> str | None:
    """'1980-03-05', '3/5', '03-05', '3月5日' → 'MM-DD'; None when unreadable."""
    if not value:
        return None
    nums = [int(n) for n in re.findall(r"\d{1,4}", value)][:3]
    if len(nums) >= 3 and nums[0] > 31:
        month, day = nums[1], nums[2]
    elif len(nums) >= 2:
        month, day = nums[0], nums[1]
    else:
        return None
    try:
        dt.date(2024, month, day)  # leap year: 02-29 is a real birthday
    except ValueError:
        return None
    return f"{month:02d}-{day:02d}"


def _name_key(name: str, company: str | None) -> str:
    return re.sub(r"[\s.,，。()（）]", "", name).lower() + "\x1f" + re.sub(r"[\s.,，。()（）]", "", company or "").lower()


class _Index:
    """Customer ids by phone key, email key and name-at-company key, and each id's own contact keys.
    New rows of the current batch have negative ids until they are inserted."""

    def __init__(self, cipher: crypto.Cipher | None) -> None:
        self.cipher = cipher
        self.by_phone: dict[str, int] = {}
        self.by_email: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.contacts: dict[int, tuple[str | None, str | None]] = {}
        self.real: dict[int, int] = {}  # temporary id → id once inserted

    def keys(self, normalized: str | None) -> list[str]:
        """Every key the value may be stored under (a hash under each key while a rotation runs)."""
        if not normalized:
            return []
        return self.cipher.digests(normalized) if self.cipher else [normalized]

    def id(self, ref: int | None) -> int | None:
        return self.real.get(ref, ref) if ref is not None else None

    def add(self, ref: int, name: str, company: str | None, phone_key: str | None, email_key: str | None) -> None:
        if phone_key:
            self.by_phone.setdefault(phone_key, ref)
        if email_key:
            self.by_email.setdefault(email_key, ref)
        self.by_name.setdefault(_name_key(name, company), ref)
        self.contacts[ref] = (phone_key, email_key)

    def add_plain(self, rows) -> None:
        for cid, name, company, phone, email in rows:
            self.add(cid, name, company, next(iter(self.keys(normalize_phone(phone))), None), next(iter(self.keys(normalize_email(email))), None))

    def fill(self, ref: int, phone_keys: list[str], email_keys: list[str]) -> None:
        """A merge gave the customer a phone or email it lacked."""
        phone, email = self.contacts.get(ref, (None, None))
        if phone is None and phone_keys:
            phone = phone_keys[0]
            self.by_phone.setdefault(phone, ref)
        if email is None and email_keys:
            email = email_keys[0]
            self.by_email.setdefault(email, ref)
        self.contacts[ref] = (phone, email)

    def match(self, name: str, company: str | None, phone_keys: list[str], email_keys: list[str]) -> tuple[int | None, str | None]:
        """(the customer this row is, or None for a new one; a conflict to report instead)."""
        by_phone = self.id(next((self.by_phone[k] for k in phone_keys if k in self.by_phone), None))
        by_email = self.id(next((self.by_email[k] for k in email_keys if k in self.by_email), None))
        if by_phone is not None and by_email is not None and by_phone != by_email:
            return None, "conflict: the phone belongs to one customer and the email to another"
        found = by_phone if by_phone is not None else by_email
        if found is not None:
            phone, email = self.contacts.get(found, (None, None))
            if by_email is None and email and email_keys and email not in email_keys:
                return None, "conflict: a customer has this phone with another email"
            if by_phone is None and phone and phone_keys and phone not in phone_keys:
                return None, "conflict: a customer has this email with another phone"
            return found, None
        named = self.id(self.by_name.get(_name_key(name, company)))
        if named is None:
            return None, None
        phone, email = self.contacts.get(named, (None, None))
        if (phone and phone_keys and phone not in phone_keys) or (email and email_keys and email not in email_keys):
            return None, None  # same name, different phone or email: a different person
        return named, None


def _clean(row: SheetRow, members: dict[str, Member], who: Importer) -> dict | str:
    """The customer fields a row gives, or why it is rejected."""
    v = row.values
    name = (v.get("name") or "").strip()
    if not name:
        return "no name"
    if len(name) > 100:
        return "name too long"
    email = v.get("email")
    if email and not _EMAIL.match(email):
        return f"bad email {email[:40]}"
    tier = TIER_WORDS.get((v.get("tier") or "general").strip().lower())
    if tier is None:
        return f"unknown tier {v['tier'][:20]} (important/special/general)"
    owner_name = (v.get("owner") or "").strip().lower()
    owner = members.get(owner_name)
    if owner_name and owner is None:
        owner = None  # an unknown name: the row is still imported, owned as below
    if owner is not None and owner.id != who.actor_id and not who.for_others:
        return f"owner {owner.display_name}: only an admin imports customers for someone else"
    return {
        "name": name,
        "company": v.get("company"),
        "phone": v.get("phone"),
        "email": email,
        "tier": tier,
        "stage": STAGE_WORDS.get((v.get("stage") or "").strip().lower()) if v.get("stage") else None,
        **sheet_review.birthdays(v),  # lunar dates ("农历正月初八") in a birthday column go to the lunar birthday
        "language": v.get("language"),
        "aliases": split_aliases(v.get("aliases")),
        "tags": split_aliases(v.get("tags")),
        "owner_id": owner.id if owner else None,
    }


async def import_sheet(db, who: Importer, data: bytes, filename: str, *, limits: SheetLimits = SheetLimits(), clock: Callable[[], dt.datetime] = utcnow) -> ImportSummary:
    """Check the file, then import it in batches (see the module's docstring). SheetError: nothing changed."""
    await asyncio.to_thread(check_sheet, data, filename, limits)
    cipher = db.cipher
    async with db.read() as session:
        members = {m.display_name.lower(): m for m in (await session.exec(select(Member).where(Member.team_id == who.team_id))).all()}
        if cipher is not None:
            stmt = select(Customer.id, Customer.name, Customer.company, Customer.phone_hash, Customer.email_hash)
        else:
            stmt = select(Customer.id, Customer.name, Customer.company, Customer.phone, Customer.email)
        stmt = stmt.where(Customer.team_id == who.team_id)
        if who.visible is not None:
            stmt = stmt.where(who.visible)
        existing = (await session.exec(stmt)).all()
    index = _Index(cipher)
    if cipher is not None:
        for cid, name, company, phone_key, email_key in existing:
            index.add(cid, name, company, phone_key, email_key)
    else:
        await asyncio.to_thread(index.add_plain, existing)
    del existing
    summary = ImportSummary()
    rows = iter_sheet(data, filename, limits)
    while batch := await asyncio.to_thread(_take, rows, BATCH):
        started = time.monotonic()
        await _write_batch(db, who, index, members, batch, summary, filename, clock())
        await asyncio.sleep(min(time.monotonic() - started, 0.25))  # as long again without the lock: other writers' turn (SQLite has no queue)
    return summary


def _take(rows: Iterator[SheetRow], n: int) -> list[SheetRow]:
    out = []
    for row in rows:
        out.append(row)
        if len(out) == n:
            break
    return out


async def _write_batch(db, who: Importer, index: _Index, members, batch: list[SheetRow], summary: ImportSummary, filename: str, now: dt.datetime) -> None:
    new: dict[int, dict] = {}  # temporary id → column values
    merges: list[tuple[int, dict, int]] = []  # (customer id or temporary id, fields, line)
    for row in batch:
        fields = _clean(row, members, who)
        if isinstance(fields, str):
            summary.rejected.append((row.line, fields))
            continue
        phone_keys, email_keys = index.keys(normalize_phone(fields["phone"])), index.keys(normalize_email(fields["email"]))
        found, conflict = index.match(fields["name"], fields["company"], phone_keys, email_keys)
        if conflict:
            summary.rejected.append((row.line, conflict))
        elif found is not None:
            merges.append((found, fields, row.line))
            index.fill(found, phone_keys, email_keys)
        else:
            ref = -(len(index.real) + len(new) + 1)
            new[ref] = _new_customer(who, fields, now, row.line)
            if fields["owner_id"] is None:
                summary.given_default_owner += 1
            index.add(ref, fields["name"], fields["company"], next(iter(phone_keys), None), next(iter(email_keys), None))
    async with db.write() as session:
        loaded = {c.id: c for c in (await session.exec(select(Customer).where(col(Customer.id).in_([m[0] for m in merges if m[0] > 0])))).all()}
        audits = []
        for ref, fields, line in merges:
            target = new.get(ref) or loaded[ref]
            _merge(target, fields, now)
            if isinstance(target, Customer):
                session.add(target)
                audits.append((target.id, f"{filename} row {line}: merged"))
            summary.merged += 1
        await session.flush()
        refs = list(new)
        if refs:
            values = [{k: v for k, v in new[r].items() if k != "_line"} | crypto.contact_hashes(db.cipher, new[r]["phone"], new[r]["email"]) for r in refs]
            ids = await _insert_customers(session, values)
            customers_changed(session, who.team_id)  # (a Core INSERT: the ORM's listener cannot see it)
            for ref, cid in zip(refs, ids):
                index.real[ref] = cid
                index.contacts[cid] = index.contacts.pop(ref)
                audits.append((cid, f"{filename} row {new[ref]['_line']}: new"))
            summary.imported += len(refs)
        if audits:
            rows = [dict(at=now, action="import", team_id=who.team_id, member_id=who.actor_id, customer_id=cid, platform=who.platform, detail=detail[:500]) for cid, detail in audits]
            await (await session.connection()).execute(insert(AuditLog.__table__), rows)


async def _insert_customers(session, values: list[dict]) -> list[int]:
    """INSERT the rows at once; their ids, in order."""
    table = Customer.__table__
    connection = await session.connection()
    if connection.dialect.name != "sqlite":  # PostgreSQL returns the ids of a batched INSERT in order
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list((await connection.execute(stmt, values)).scalars().all())
    # SQLite would run RETURNING row by row; under our write lock (BEGIN IMMEDIATE) new rowids are max+1, max+2, …
    last = (await connection.execute(select(func.coalesce(func.max(table.c.id), 0)))).scalar_one()
    await connection.execute(insert(table), values)
    ids = list(range(last + 1, last + 1 + len(values)))
    assert (await connection.execute(select(func.count()).where(table.c.id > last))).scalar_one() == len(ids)
    return ids


def _new_customer(who: Importer, fields: dict, now: dt.datetime, line: int) -> dict:
    return dict(
        team_id=who.team_id,
        name=fields["name"],
        company=fields["company"],
        phone=fields["phone"],
        email=fields["email"],
        tier=fields["tier"],
        stage=fields["stage"] or "potential",
        birthday=fields["birthday"],
        lunar_birthday=fields["lunar_birthday"],
        language=fields["language"],
        aliases=list(fields["aliases"]),
        tags=list(fields["tags"]),
        owner_id=fields["owner_id"] or who.default_owner,
        last_contact_at=None,
        created_at=now,
        updated_at=now,
        _line=line,
    )


def _merge(c, fields: dict, now: dt.datetime) -> None:
    """Fill what is empty, add aliases and tags; never overwrite. `c` is a Customer or a new row's dict."""
    get = c.get if isinstance(c, dict) else lambda k: getattr(c, k)

    def put(key, value):
        if isinstance(c, dict):
            c[key] = value
        else:
            setattr(c, key, value)

    for key in ("company", "phone", "email", "birthday", "lunar_birthday", "language"):
        if fields[key] and not get(key):
            put(key, fields[key])
    if fields["tier"] in TIERS and get("tier") == "general" and fields["tier"] != "general":
        put("tier", fields["tier"])
    if get("owner_id") is None and fields["owner_id"] is not None:
        put("owner_id", fields["owner_id"])
    aliases = [a for a in (*fields["aliases"], fields["name"]) if a != get("name") and a not in get("aliases")]
    if aliases:
        put("aliases", [*get("aliases"), *aliases])
    tags = [x for x in fields["tags"] if x not in get("tags")]
    if tags:
        put("tags", [*get("tags"), *tags])
    put("updated_at", now)
