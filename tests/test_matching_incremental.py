"""Incremental index changes: a customer added, renamed or removed is (not) matched at once, without a rebuild."""
from __future__ import annotations

import datetime as dt

import pytest

from handlers.customer_index import CustomerIndexes, record_of
from handlers.understanding import matching
from handlers.understanding.matching import CustomerIndex
from handlers.understanding.notes import CustomerRecord
from storage import crm
from storage.db import Database
from storage.models import Customer

NOW = dt.datetime(2027, 3, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))

BASE = [
    CustomerRecord(1, "唐嘉怡", "嘉禾纺织有限公司", ("唐总",)),
    CustomerRecord(2, "Oscar Pratt", "Pratt Marine Ltd"),
    CustomerRecord(3, "岳思远", "远景包装"),
]


def who(index, text):
    m = index.match(text)
    return m.customer.name if m.customer and not m.ambiguous else None


def fresh_equivalent(index: CustomerIndex) -> CustomerIndex:
    return CustomerIndex([r for r in index.records if r is not None])


NOTES = ["唐总来电", "嘉禾纺织那边催货", "called Oscar about the quote", "Pratt Marine emailed", "岳思远说下周来",
         "Tang Jiayi wants samples", "Oscar Prat called", "远景包装发邮件", "龙海峰来电", "Long Haifeng called",
         "海峰微信说可以", "Nadia Flores emailed", "Flores Trading signed", "Nadia called", "龙总说价格高"]


def same_answers(a: CustomerIndex, b: CustomerIndex) -> None:
    for note in NOTES:
        ma, mb = a.match(note), b.match(note)
        assert (ma.customer and ma.customer.id, ma.ambiguous, sorted(c.id for c in ma.candidates)) == \
            (mb.customer and mb.customer.id, mb.ambiguous, sorted(c.id for c in mb.candidates)), note


def test_add_makes_a_customer_matchable():
    index = CustomerIndex(BASE)
    assert who(index, "龙海峰来电") is None
    index.add(CustomerRecord(4, "龙海峰", "海峰建材", ("龙总",)))
    assert who(index, "龙海峰来电") == "龙海峰"
    assert who(index, "Long Haifeng called") == "龙海峰"  # pinyin keys too
    assert who(index, "龙总说价格高") == "龙海峰"  # alias
    index.add(CustomerRecord(5, "Nadia Flores", "Flores Trading Co."))
    assert who(index, "Nadia Flores emailed") == "Nadia Flores"
    assert who(index, "Nadia called") == "Nadia Flores"  # unique first name
    assert who(index, "Flores Tradng signed") == "Nadia Flores"  # fuzzy bucket updated
    same_answers(index, fresh_equivalent(index))


def test_remove_forgets_every_key():
    index = CustomerIndex(BASE)
    assert index.remove(1) is True
    for note in ("唐总来电", "唐嘉怡说好", "嘉禾纺织那边催货", "Tang Jiayi wants samples", "嘉怡微信说可以"):
        assert who(index, note) is None, note
    assert who(index, "Oscar Pratt called") == "Oscar Pratt"
    assert index.remove(1) is False
    assert index.remove(999) is False
    same_answers(index, fresh_equivalent(index))


def test_update_renames():
    index = CustomerIndex(BASE)
    index.update(CustomerRecord(2, "Oscar Whitfield", "Whitfield Shipping"))
    assert who(index, "Oscar Whitfield called") == "Oscar Whitfield"
    assert who(index, "Pratt Marine emailed") is None
    assert who(index, "Pratt called back") is None
    assert index.get(2).name == "Oscar Whitfield"
    same_answers(index, fresh_equivalent(index))


def test_surname_ambiguity_follows_changes():
    index = CustomerIndex(BASE)
    index.add(CustomerRecord(6, "唐宁", "宁远物流"))
    m = index.match("唐经理说下周付款")
    assert m.ambiguous and {c.id for c in m.candidates} == {1, 6}
    index.remove(6)
    assert who(index, "唐经理说下周付款") == "唐嘉怡"


def test_many_changes_equal_a_rebuild():
    import random

    rng = random.Random(3)
    surnames, given = "王李张刘陈杨黄赵", "伟芳娜敏静丽强磊军洋勇艳"
    recs = [CustomerRecord(i, rng.choice(surnames) + rng.choice(given) + rng.choice(("", *given)), f"公司{i}")
            for i in range(1, 200)]
    index = CustomerIndex(recs[:100])
    for r in recs[100:]:
        index.add(r)
    for cid in range(1, 200, 3):
        index.remove(cid)
    for cid in range(2, 200, 7):
        index.update(CustomerRecord(cid, "新名" + str(cid), None))
    rebuilt = fresh_equivalent(index)
    for text in ["王总说", "李伟来电", "张芳娜说", "chen jun called", "刘经理", "小杨来了", "赵敏敏微信"]:
        a, b = index.match(text), rebuilt.match(text)
        assert (a.customer and a.customer.id, a.ambiguous, sorted(c.id for c in a.candidates)) == \
            (b.customer and b.customer.id, b.ambiguous, sorted(c.id for c in b.candidates)), text


# ---- the per-team cache ----------------------------------------------------------------------------------------


@pytest.fixture
async def db(sqlite_url):
    database = Database(sqlite_url)
    yield database
    await database.dispose()


@pytest.fixture
def builds(monkeypatch):
    count = {"n": 0}
    real = matching.CustomerIndex.__init__

    def counting(self, records):
        count["n"] += 1
        real(self, records)

    monkeypatch.setattr(matching.CustomerIndex, "__init__", counting)
    return count


async def _team(db):
    async with db.write() as s:
        team = await crm.create_team(s, "T")
        c = await crm.add_customer(s, Customer(team_id=team.id, name="唐嘉怡", company="嘉禾纺织"))
        return team.id, c.id


async def _who(indexes, team_id, text):
    parser = await indexes.parser(team_id)
    p = parser.parse(text, NOW)
    return p.customer.name if p.customer and not p.ambiguous else None


async def test_cache_upsert_rename_remove_without_rebuild(db, builds):
    team_id, first_id = await _team(db)
    indexes = CustomerIndexes(db)
    assert await _who(indexes, team_id, "唐嘉怡来电") == "唐嘉怡"
    assert builds["n"] == 1
    async with db.write() as s:
        c = await crm.add_customer(s, Customer(team_id=team_id, name="龙海峰", company="海峰建材"))
        indexes.upsert(team_id, record_of(c), s)
        new_id = c.id
    assert await _who(indexes, team_id, "龙海峰说下周来") == "龙海峰"
    async with db.write() as s:
        c = await s.get(Customer, new_id)
        c.name = "龙海涛"
        s.add(c)
        indexes.upsert(team_id, record_of(c), s)
    assert await _who(indexes, team_id, "龙海涛说下周来") == "龙海涛"
    assert await _who(indexes, team_id, "龙海峰说下周来") is None
    async with db.write() as s:
        await s.delete(await s.get(Customer, first_id))
        indexes.remove(team_id, first_id, s)
    assert await _who(indexes, team_id, "唐嘉怡来电") is None
    assert builds["n"] == 1 and indexes.builds == 1


async def test_upsert_without_session_applies_now(db, builds):
    team_id, _ = await _team(db)
    indexes = CustomerIndexes(db)
    await indexes.parser(team_id)
    indexes.upsert(team_id, CustomerRecord(4242, "Nadia Flores", "Flores Trading"))
    assert await _who(indexes, team_id, "Nadia Flores called") == "Nadia Flores"
    indexes.remove(team_id, 4242)
    assert await _who(indexes, team_id, "Nadia Flores called") is None
    assert builds["n"] == 1


async def test_rolled_back_upsert_leaves_no_phantom(db):
    team_id, _ = await _team(db)
    indexes = CustomerIndexes(db)
    await indexes.parser(team_id)
    with pytest.raises(RuntimeError):
        async with db.write() as s:
            c = await crm.add_customer(s, Customer(team_id=team_id, name="龙海峰"))
            indexes.upsert(team_id, record_of(c), s)
            raise RuntimeError("boom")
    assert await _who(indexes, team_id, "龙海峰说下周来") is None


async def test_index_built_inside_a_rolled_back_transaction_is_dropped(db):
    team_id, _ = await _team(db)
    indexes = CustomerIndexes(db)
    with pytest.raises(RuntimeError):
        async with db.write() as s:
            await crm.add_customer(s, Customer(team_id=team_id, name="龙海峰"))
            parser = await indexes.parser(team_id, s)  # sees the uncommitted row
            assert parser.parse("龙海峰说", NOW).customer is not None
            raise RuntimeError("boom")
    assert await _who(indexes, team_id, "龙海峰说下周来") is None
    assert await _who(indexes, team_id, "唐嘉怡来电") == "唐嘉怡"


async def test_upsert_before_first_build_is_read_from_the_database(db, builds):
    team_id, _ = await _team(db)
    indexes = CustomerIndexes(db)
    async with db.write() as s:
        c = await crm.add_customer(s, Customer(team_id=team_id, name="龙海峰"))
        indexes.upsert(team_id, record_of(c), s)
    assert await _who(indexes, team_id, "龙海峰说下周来") == "龙海峰"
    assert builds["n"] == 1


async def test_changed_still_rebuilds(db, builds):
    team_id, _ = await _team(db)
    indexes = CustomerIndexes(db)
    await indexes.parser(team_id)
    async with db.write() as s:
        await crm.add_customer(s, Customer(team_id=team_id, name="龙海峰"))
        indexes.changed(team_id, s)
    assert await _who(indexes, team_id, "龙海峰说下周来") == "龙海峰"
    assert builds["n"] == 2
    indexes.drop_all()  # what the router does after a failed message
    assert await _who(indexes, team_id, "龙海峰说下周来") == "龙海峰"
    assert builds["n"] == 3


async def test_a_change_racing_a_build_is_not_lost(db, monkeypatch):
    team_id, _ = await _team(db)
    indexes = CustomerIndexes(db)
    real_read = db.read

    import contextlib

    @contextlib.asynccontextmanager
    async def read_then_change():
        async with real_read() as s:
            yield s
        # another message commits a new customer while this build is under way
        async with db.write() as w:
            c = await crm.add_customer(w, Customer(team_id=team_id, name="Nadia Flores", company="Flores Trading"))
            indexes.upsert(team_id, record_of(c), w)

    monkeypatch.setattr(db, "read", read_then_change)
    await indexes.parser(team_id)  # built from a read taken before the change
    monkeypatch.setattr(db, "read", real_read)
    # the stale build was not kept: the next note sees the committed customer
    assert await _who(indexes, team_id, "Nadia Flores called") == "Nadia Flores"
