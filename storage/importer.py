"""Importing a customer sheet: one transaction, duplicates merged, bad rows rejected with a reason.

A duplicate is a row with the same phone or email as a customer we have (or an earlier row), or a
near-identical name at the same company. Merging fills empty fields and adds aliases and tags;
it never overwrites what is already known.

With encryption on, phones and emails are compared by their keyed hashes (storage/crypto.py):
the customers we have are read without decrypting a single contact, and only a match is loaded.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from sqlalchemy import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from . import crypto
from .contacts import normalize_email, normalize_phone
from .models import STAGES, TIERS, Customer, Member, Team, utcnow
from .spreadsheet import SheetRow, read_sheet_bytes, split_aliases

TIER_WORDS = {"important": "important", "重要": "important", "vip": "important", "a": "important", "special": "special", "特殊": "special", "b": "special", "general": "general", "普通": "general", "一般": "general", "c": "general"}
STAGE_WORDS = {s: s for s in STAGES} | {"潜在": "potential", "新": "new", "新客户": "new", "活跃": "active", "忠诚": "loyal", "老客户": "loyal", "流失": "churned"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_SIMILARITY = 92  # token_sort_ratio at or above this, at the same company, is the same customer


@dataclass
class ImportSummary:
    imported: int = 0
    merged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)

    def render(self, lang: str, limit: int = 5) -> str:
        head = (
            f"导入：新增 {self.imported}，合并 {self.merged}，拒绝 {len(self.rejected)}。"
            if lang == "zh"
            else f"Import: {self.imported} new, {self.merged} merged, {len(self.rejected)} rejected."
        )
        lines = [head]
        for row, reason in self.rejected[:limit]:
            lines.append(f"  {'第' + str(row) + '行' if lang == 'zh' else 'row ' + str(row)}: {reason}")
        if len(self.rejected) > limit:
            lines.append(f"  … +{len(self.rejected) - limit}")
        return "\n".join(lines)


def parse_birthday(value: str | None) -> str | None:
    """'1980-03-05', '3/5', '03-05', '3月5日' → 'MM-DD'; None when unreadable."""
    if not value:
        return None
    nums = [int(n) for n in re.findall(r"\d+", value)]
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


def _name_key(name: str) -> str:
    return re.sub(r"[\s.,，。()（）]", "", name).lower()


class _Known:
    """What we have, indexed for duplicate checks: customers in the database (their ids, loaded
    only when matched) and rows new in this file (plain dicts, inserted in bulk at the end).
    Contacts are keyed by their normal form, or by its keyed hash when encryption is on."""

    def __init__(self, cipher: crypto.Cipher | None) -> None:
        self.cipher = cipher
        self.by_phone: dict[str, object] = {}
        self.by_email: dict[str, object] = {}
        self.by_company: dict[str, list] = {}

    def keys(self, normalized: str | None) -> list[str]:
        """Every key the value may be stored under (hashes under each key while a rotation runs)."""
        if not normalized:
            return []
        return self.cipher.digests(normalized) if self.cipher else [normalized]

    def add(self, record, name: str, company: str | None, phone: str | None, email: str | None, *, phone_key: str | None = None, email_key: str | None = None) -> None:
        if key := phone_key or next(iter(self.keys(normalize_phone(phone))), None):
            self.by_phone.setdefault(key, record)
        if key := email_key or next(iter(self.keys(normalize_email(email))), None):
            self.by_email.setdefault(key, record)
        self.by_company.setdefault(_name_key(company or ""), []).append((_name_key(name), record))

    def find(self, name: str, company: str | None, phone: str | None, email: str | None):
        for key in self.keys(normalize_phone(phone)):
            if hit := self.by_phone.get(key):
                return hit
        for key in self.keys(normalize_email(email)):
            if hit := self.by_email.get(key):
                return hit
        key = _name_key(name)
        for other, record in self.by_company.get(_name_key(company or ""), []):
            if other == key or fuzz.token_sort_ratio(other, key) >= NAME_SIMILARITY:
                return record
        return None


class _NewRow(dict):
    """A customer first seen in this file: a dict of column values, merged like a Customer."""

    def __getattr__(self, key):
        return self[key]

    def __setattr__(self, key, value):
        self[key] = value


async def import_rows(session: AsyncSession, team: Team, actor: Member | None, rows: list[SheetRow]) -> ImportSummary:
    summary = ImportSummary()
    cipher = crypto.cipher_of(session.bind.dialect)
    members = {m.display_name.lower(): m for m in (await session.exec(select(Member).where(Member.team_id == team.id))).all()}
    known = _Known(cipher)
    if cipher is not None:
        stmt = select(Customer.id, Customer.name, Customer.company, Customer.phone_hash, Customer.email_hash).where(Customer.team_id == team.id)
        for cid, cname, company, phone_key, email_key in (await session.exec(stmt)).all():
            known.add(cid, cname, company, None, None, phone_key=phone_key, email_key=email_key)
    else:
        stmt = select(Customer.id, Customer.name, Customer.company, Customer.phone, Customer.email).where(Customer.team_id == team.id)
        for cid, cname, company, phone, email in (await session.exec(stmt)).all():
            known.add(cid, cname, company, phone, email)
    new_rows: list[_NewRow] = []
    now = utcnow()
    for row in rows:
        v = row.values
        name = (v.get("name") or "").strip()
        if not name:
            summary.rejected.append((row.line, "no name"))
            continue
        if len(name) > 100:
            summary.rejected.append((row.line, "name too long"))
            continue
        email = v.get("email")
        if email and not _EMAIL.match(email):
            summary.rejected.append((row.line, f"bad email {email[:40]}"))
            continue
        tier = TIER_WORDS.get((v.get("tier") or "general").strip().lower())
        if tier is None:
            summary.rejected.append((row.line, f"unknown tier {v['tier'][:20]} (important/special/general)"))
            continue
        stage = STAGE_WORDS.get((v.get("stage") or "").strip().lower()) if v.get("stage") else None
        owner = members.get((v.get("owner") or "").strip().lower())
        fields = {
            "company": v.get("company"),
            "phone": v.get("phone"),
            "email": email,
            "tier": tier,
            "birthday": parse_birthday(v.get("birthday")),
            "lunar_birthday": parse_birthday(v.get("lunar_birthday")),
            "language": v.get("language"),
        }
        match = known.find(name, fields["company"], fields["phone"], email)
        if isinstance(match, int):  # a customer we have: loaded now (the session keeps it for later rows)
            match = await session.get(Customer, match)
        if match is not None:
            _merge(match, name, fields, split_aliases(v.get("aliases")), split_aliases(v.get("tags")))
            if match.owner_id is None and owner is not None:
                match.owner_id = owner.id
            if isinstance(match, Customer):
                session.add(match)
            summary.merged += 1
            continue
        new = _NewRow(
            team_id=team.id,
            name=name,
            aliases=list(split_aliases(v.get("aliases"))),
            tags=list(split_aliases(v.get("tags"))),
            owner_id=owner.id if owner else (actor.id if actor else None),
            stage=stage or "potential",
            last_contact_at=None,
            created_at=now,
            updated_at=now,
            **fields,
        )
        new_rows.append(new)
        known.add(new, name, fields["company"], fields["phone"], email)
        summary.imported += 1
    await session.flush()
    table = Customer.__table__
    connection = await session.connection()
    for start in range(0, len(new_rows), 2000):  # one multi-row INSERT per chunk, not an ORM object per row
        await connection.execute(insert(table), [dict(r, **crypto.contact_hashes(cipher, r.phone, r.email)) for r in new_rows[start : start + 2000]])
    return summary


def _merge(c, name: str, fields: dict, aliases: tuple[str, ...], tags: tuple[str, ...]) -> None:
    for key, value in fields.items():
        if value and not getattr(c, key) and key != "tier":
            setattr(c, key, value)
    if fields["tier"] in TIERS and c.tier == "general" and fields["tier"] != "general":
        c.tier = fields["tier"]
    new_aliases = [a for a in (*aliases, name) if a != c.name and a not in c.aliases]
    if new_aliases:
        c.aliases = [*c.aliases, *new_aliases]
    new_tags = [x for x in tags if x not in c.tags]
    if new_tags:
        c.tags = [*c.tags, *new_tags]
    c.updated_at = utcnow()


async def import_sheet_bytes(session: AsyncSession, team: Team, actor: Member | None, data: bytes, filename: str) -> ImportSummary:
    rows = read_sheet_bytes(data, filename)  # SheetError before anything is written
    return await import_rows(session, team, actor, rows)
