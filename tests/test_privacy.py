"""Privacy: /forget erases a customer everywhere, export-customer shows everything held, and phone
numbers and emails are encrypted at rest with rotating keys."""
from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot import cli
from bot.wiring import build_app
from storage import crypto
from storage.importer import Importer, import_sheet
from storage.models import AuditLog, Customer, CustomerShare, Inbox, Interaction, Outbox, Task

from .conftest import make_settings
from .helpers import Person, seed_team, rows as _rows

K1, K2 = crypto.new_key(), crypto.new_key()
MEMBERS = (("boss", "admin"), ("m1", "manager"), ("a", "rep", "m1"), ("b", "rep"))
CUSTOMERS = [
    {"name": "张强", "company": "星河贸易", "owner": "a", "phone": "139-0000-1111", "email": "zhang@xinghe.cn"},
    {"name": "林涛", "company": "涛声电子", "owner": "b", "phone": "13700002222"},
]
PHONE, EMAIL = "13900001111", "zhang@xinghe.cn"




# --- /forget -------------------------------------------------------------------------------------
async def test_forget_removes_everything_and_cancels_pending_pushes(app_any_db, clock):
    app = app_any_db
    seeded = await seed_team(app, MEMBERS, CUSTOMERS)
    zhang, lin = seeded["customers"]["张强"], seeded["customers"]["林涛"]
    a = Person(app, "a")
    await a.say("called 张强, wants quote Friday")
    [note] = await _rows(app, Interaction)
    [task] = await _rows(app, Task)
    await Person(app, "a").say("/share 张强 b")
    async with app.db.write() as session:
        for key, kind, meta in (
            ("reminder:1", "reminder", {"task_id": task.id}),
            ("nag:1", "nag", {"customers": [zhang.id]}),
            ("greet:1", "greeting", {"customer_id": zhang.id}),
            ("nag:2", "nag", {"customers": [lin.id]}),
        ):
            session.add(Outbox(key=key, kind=kind, platform="console", chat_id="console:a", body={"text": "张强 …", "meta": meta}, due_at=clock()))

    # not theirs to delete: the same answer as for a customer that does not exist, or a clear no
    assert "No customer called" in (await Person(app, "m1").say("/forget 林涛"))[0].text
    assert "Only an admin or the owner" in (await Person(app, "m1").say("/forget 张强"))[0].text
    ask = await a.say("/forget 张强")
    assert "1 note(s) and 1 follow-up(s)" in ask[0].text
    await a.press("Cancel")
    assert "nothing deleted" in a.text and len(await _rows(app, Customer)) == 2
    confirm = await a.say("/forget 张强")
    await a.press("Delete for good")
    assert "张强 is deleted: 1 note(s), 1 follow-up(s), 3 pending message(s)" in a.text

    assert [c.name for c in await _rows(app, Customer)] == ["林涛"]
    assert await _rows(app, Interaction) == [] and await _rows(app, Task) == [] and await _rows(app, CustomerShare) == []
    status = {o.key: o.status for o in await _rows(app, Outbox) if o.kind != "reply" and o.kind != "notice"}
    assert status == {"reminder:1": "dropped", "nag:1": "dropped", "greet:1": "dropped", "nag:2": "pending"}
    # the message the note came from and the reply quoting it keep their keys, not their words
    [inbox] = await _rows(app, Inbox, Inbox.key == note.source_key)
    assert inbox.payload == {}
    assert all(o.body == {"text": ""} for o in await _rows(app, Outbox, Outbox.key.startswith(f"reply:{note.source_key}:")))
    # the trail stays, without names; the deletion itself is recorded
    trail = await _rows(app, AuditLog, AuditLog.customer_id == zhang.id)
    assert {r.action for r in trail} >= {"note", "share", "forget"}
    assert all("张强" not in r.detail for r in trail)
    # gone for everyone, and the button cannot be pressed twice
    assert "No customer called" in (await Person(app, "boss").say("/customer 张强"))[0].text
    a.last = confirm
    await a.press("Delete for good")
    assert "question is closed" in a.text and len(await _rows(app, AuditLog, AuditLog.action == "forget")) == 1


async def test_forget_of_a_customer_one_may_not_see_is_a_miss(app):
    await seed_team(app, MEMBERS, CUSTOMERS)
    hidden, missing = await Person(app, "a").say("/forget 林涛"), await Person(app, "a").say("/forget 林小涛")
    assert hidden[0].text.replace("林涛", "X") == missing[0].text.replace("林小涛", "X") and hidden[0].buttons == []
    assert len(await _rows(app, AuditLog, AuditLog.action == "denied")) == 1


# --- encryption ----------------------------------------------------------------------------------
def _raw_bytes(sqlite_url: str) -> bytes:
    from pathlib import Path

    path = Path(sqlite_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


async def _raw_contacts(app) -> list[tuple]:
    async with app.db.read() as session:
        return list((await session.exec(text("SELECT phone, email, phone_hash, email_hash FROM customer ORDER BY id"))).all())


async def test_with_encryption_the_database_never_holds_the_phone_number(db_url, tmp_path, clock):
    app = build_app(make_settings(db_url, tmp_path, encryption_key=K1), clock=clock, migrate=False)
    try:
        await seed_team(app, MEMBERS, CUSTOMERS)
        sheet = "name,company,phone,email\n王伟,华东机电,+86 138 0000 3333,wang@huadong.cn\n".encode()
        async with app.db.read() as session:
            team = (await session.exec(select(Customer))).first()
        summary = await import_sheet(app.db, Importer(team.team_id), sheet, "c.csv")
        assert summary.imported == 1
        await Person(app, "a").say("called 张强, wants quote Friday")
        for phone, email, phone_hash, _ in await _raw_contacts(app):
            assert phone.startswith(crypto.TOKEN_PREFIX) and phone_hash and len(phone_hash) == 64
        if db_url.startswith("sqlite"):  # the file itself, write-ahead log included
            raw = _raw_bytes(db_url)
            for secret in (PHONE, "139-0000-1111", "13800003333", "138 0000 3333", EMAIL, "wang@huadong.cn"):
                assert secret.encode() not in raw, secret
        # what people see is the real number; a number or an email finds its customer
        a = Person(app, "a")
        assert PHONE[:3] in (await a.say("/customer 张强"))[0].text and EMAIL in a.text
        assert "张强" in (await a.say("/find 139 0000 1111"))[0].text
        assert "张强" in (await a.say("/find Zhang@Xinghe.cn"))[0].text
        assert "王伟" in (await Person(app, "boss").say("/find 13800003333"))[0].text
        assert "林涛" not in (await a.say("/find 13700002222"))[0].text  # the hash finds it; access still hides it
        assert "No customer" in (await a.say("/find 1390000"))[0].text  # no substring search inside ciphertext
        # importing the same people again merges them by hash, even written differently
        again = "name,phone,email\nZhang Q,13900001111,\nWang W,,WANG@huadong.cn\n".encode()
        summary = await import_sheet(app.db, Importer(team.team_id), again, "c.csv")
        assert (summary.imported, summary.merged) == (0, 2)
    finally:
        await app.close()


async def test_after_key_rotation_every_row_still_reads(db_url, tmp_path, clock):
    first = build_app(make_settings(db_url, tmp_path, encryption_key=K1), clock=clock, migrate=False)
    await seed_team(first, MEMBERS, CUSTOMERS)
    before = {c.name: (c.phone, c.email) for c in await _rows(first, Customer)}
    await first.close()

    assert crypto.rotate(db_url, crypto.Cipher.from_setting(f"{K2},{K1}")) == 2
    with pytest.raises(crypto.EncryptionError, match="does not decrypt"):
        build_app(make_settings(db_url, tmp_path, encryption_key=K1), clock=clock, migrate=False)  # the old key alone no longer opens it
    with pytest.raises(crypto.EncryptionError, match="not set"):
        build_app(make_settings(db_url, tmp_path), clock=clock, migrate=False)

    second = build_app(make_settings(db_url, tmp_path, encryption_key=K2), clock=clock, migrate=False)
    try:
        assert {c.name: (c.phone, c.email) for c in await _rows(second, Customer)} == before
        assert "张强" in (await Person(second, "a").say(f"/find {PHONE}"))[0].text  # hashes were rotated too
    finally:
        await second.close()


async def test_a_key_set_on_an_existing_database_encrypts_what_is_there(db_url, tmp_path, clock):
    plain = build_app(make_settings(db_url, tmp_path), clock=clock, migrate=False)
    await seed_team(plain, MEMBERS, CUSTOMERS)
    assert any(phone == "13700002222" for phone, *_ in await _raw_contacts(plain))
    await plain.close()
    keyed = build_app(make_settings(db_url, tmp_path, encryption_key=K1), clock=clock, migrate=False)
    try:
        rows = await _raw_contacts(keyed)
        assert all(phone.startswith(crypto.TOKEN_PREFIX) and phone_hash for phone, _, phone_hash, _ in rows)
        assert sorted(c.phone for c in await _rows(keyed, Customer)) == ["13700002222", "139-0000-1111"]
    finally:
        await keyed.close()


async def test_apps_with_different_keys_live_side_by_side(tmp_path, sqlite_template, clock):
    import shutil

    urls = []
    for name in ("one", "two", "plain"):
        shutil.copy(sqlite_template, tmp_path / f"{name}.db")
        urls.append(f"sqlite:///{tmp_path / name}.db")
    apps = [build_app(make_settings(url, tmp_path, encryption_key=key), clock=clock, migrate=False) for url, key in zip(urls, (K1, K2, None))]
    try:
        for app in apps:
            await seed_team(app, MEMBERS, CUSTOMERS)
        for app, prefix in zip(apps, (crypto.TOKEN_PREFIX, crypto.TOKEN_PREFIX, "1")):
            assert all(phone.startswith(prefix) for phone, *_ in await _raw_contacts(app))
            assert sorted(c.phone for c in await _rows(app, Customer)) == ["13700002222", "139-0000-1111"]
        one, two = (await _raw_contacts(apps[0]))[0][0], (await _raw_contacts(apps[1]))[0][0]
        assert crypto.Cipher.from_setting(K1).decrypt(one) == "139-0000-1111"
        with pytest.raises(Exception):
            crypto.Cipher.from_setting(K1).decrypt(two)
    finally:
        for app in apps:
            await app.close()


def test_a_bad_key_is_one_clear_line(tmp_path):
    with pytest.raises(crypto.EncryptionError, match="crmbot new-key"):
        crypto.Cipher.from_setting("not-a-key")


# --- crmbot export-customer / audit / admin create-team --------------------------------------------
def test_operator_sets_up_a_team_and_answers_an_access_request(tmp_path, monkeypatch, capsys, clock):
    import datetime as dt

    url = f"sqlite:///{tmp_path / 'ops.db'}"
    clock.set(dt.datetime.now(dt.timezone.utc))  # the command line runs on the real clock
    monkeypatch.setenv("CRMBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRMBOT_ENCRYPTION_KEY", K1)

    def run(*argv) -> tuple[int, str]:
        args = cli.build_parser().parse_args([*argv, "--db", url])
        code = args.func(args)
        return code, capsys.readouterr().out

    code, out = run("admin", "create-team", "Acme", "--admin", "Alice")
    assert code == 0 and "Alice is its admin" in out
    pair = out.split("/pair ")[1].split()[0]

    async def chat():
        app = build_app(make_settings(url, tmp_path, encryption_key=K1), clock=clock)
        try:
            alice = Person(app, "tg-alice", platform="telegram")
            assert "now Alice in Acme" in (await alice.say(f"/pair {pair}"))[0].text
            await alice.say("/new 王伟, 华东机电")
            async with app.db.write() as session:
                wang = (await session.exec(select(Customer))).one()
                wang.phone = PHONE
                session.add(wang)
            await alice.say("called 王伟, wants quote Friday")
            await alice.say("/customer 王伟")
        finally:
            await app.close()

    asyncio.run(chat())
    code, out = run("export-customer", "王伟")
    data = json.loads(out)
    assert data["customer"]["phone"] == PHONE and data["customer"]["owner"] == "Alice"
    assert [n["text"] for n in data["interactions"]] == ["called 王伟, wants quote Friday"]
    assert len(data["tasks"]) == 1 and {"create_customer", "note", "read"} <= {a["action"] for a in data["audit"]}
    code, out = run("audit", "--customer", "王伟")
    lines = out.strip().splitlines()
    assert lines[0].split("\t")[2] == "export" and any("\tAlice\tread\t王伟" in line and "\ttelegram\t" in line for line in lines)
    code, out = run("audit", "--member", "Alice")
    assert "create_team" in out
    code, out = run("export-customer", "nobody")
    assert code == 1
