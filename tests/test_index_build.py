"""The customer index's build (issue 17: a 100k-customer team's index ready in under 5 s).

CustomerIndex works out a name or a company that several records share once and stamps it with each record's rid;
what it holds must be exactly what indexing every record on its own (``_Keys._index``, the path ``add`` uses)
gives: the same keys, the same values in the same order (matching reads the order: which kind of evidence comes
first for a record, which record is first among a key's holders).
"""
from __future__ import annotations

import gc
import random

from benchmarks.parse_bench import make_customers
from handlers.understanding.matching import _KEY_DICTS, CustomerIndex, _get_t2s, _Keys
from handlers.understanding.reading import CustomerRecord


def _one_by_one(records) -> _Keys:
    keys = _Keys()
    t2s = _get_t2s()
    for rid, rec in enumerate(records):
        try:
            keys._index(rid, rec, t2s)
        except Exception:
            continue
    return keys


def _same_as_one_by_one(records) -> None:
    index = CustomerIndex(records)
    ref = _one_by_one(records)
    for name in _KEY_DICTS:
        got, want = getattr(index, name), {k: tuple(v) for k, v in getattr(ref, name).items()}
        assert got == want, name
        assert all(type(v) is tuple for v in got.values()), name
    fuzzy = {}
    for bucket, entries in ref.fuzzy.items():
        uniq: dict = {}
        for key, rid in entries:
            uniq.setdefault(key, []).append(rid)
        fuzzy[bucket] = (tuple(uniq), tuple(map(tuple, uniq.values())))
    assert index._fuzzy_lists == fuzzy
    assert index.max_cjk_key == ref.max_cjk_key


# shared names and companies (built once, stamped), aliases repeating the name or each other (the check against a
# record's last value), parts that raise (a company that is no text: the record keeps what came before), an alias
# that cannot be a dictionary key, Traditional and full-width text, a long CJK company (the key length bound)
ODD = [
    CustomerRecord(1, "王伟", "北京伟达科技有限公司", ("王总", "王总", "David Wang", "david wang"), "a"),
    CustomerRecord(2, "王伟 David Wang", "David Wang Holdings Pte Ltd", ("David Wang", "王伟"), None),
    CustomerRecord(3, None, 42, (), None),
    CustomerRecord(4, "張偉", "臺北貿易公司", ("張總",), None),
    CustomerRecord(5, "Tom Hughes", "Tom Hughes", ("Tom Hughes", 7, None, "", "  "), None),
    CustomerRecord(6, "佐藤美咲", None, ("Misaki Sato", "Sato Co Ltd"), None),
    CustomerRecord(None, "欧阳娜娜", "上海欧阳贸易", (), None),
    CustomerRecord(8, "Jo", "Jo Jo Jo Jo Group", ("jo",), None),
    CustomerRecord(9, "Müller GmbH", "Müller GmbH", ("mueller",), None),
    CustomerRecord(10, "王伟", "北京伟达科技有限公司", ("王总", "David Wang"), "b"),
    CustomerRecord(11, "李娜", 3.5, ("李总",), None),
    CustomerRecord(12, "李娜", "x" * 40, (["unhashable"],), None),
    CustomerRecord(13, "ＡＢＣ　Ｔｒａｄｉｎｇ", "ＡＢＣ　Ｔｒａｄｉｎｇ", (), None),
    CustomerRecord(14, "中华人民共和国对外贸易经济合作部直属单位", "中华人民共和国对外贸易经济合作部直属单位有限公司", (), None),
    CustomerRecord(15, "王王", "王王", ("wang wang",), None),
]


def test_the_build_holds_what_indexing_each_record_gives():
    _same_as_one_by_one(ODD)
    _same_as_one_by_one([*ODD, *ODD, *ODD])  # every part shared, the last of them stamped too
    _same_as_one_by_one([CustomerRecord(i, r.name, r.company, r.aliases, r.owner) for i, r in enumerate(ODD * 2)])


def test_the_build_holds_what_indexing_each_record_gives_for_a_generated_team():
    _same_as_one_by_one(make_customers(3000, random.Random(5)))


def test_names_that_cannot_be_counted_are_indexed_one_by_one():
    records = [CustomerRecord(1, ["not", "a", "name"], "伟达科技", (), None), *ODD[:4], CustomerRecord(2, "王伟", ["x"], (), None)]
    _same_as_one_by_one(records)


def test_the_build_leaves_no_garbage_cycle_behind():
    # customer_index freezes a large index without a collection after its build (the one before it covers the heap)
    records = [*make_customers(2000, random.Random(9)), *ODD]
    _get_t2s()  # (its first call imports opencc)
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        index = CustomerIndex(records)
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()
    assert len(index) == len({r.id for r in records if r.id is not None}) + sum(1 for r in records if r.id is None)


def test_rows_read_for_an_index_become_records():
    from handlers.customer_index import _records_of_rows

    rows = [
        (1, "王伟", "伟达科技", '["王总"]', 7),
        (2, "王伟", "伟达科技", '["王总"]', 7),
        (3, "Tom", None, "[]", None),
        (4, "", "", "", 0),
        (5, "Ann", "Acme", ["Annie", "A."], 8),  # PostgreSQL's driver returns the JSON decoded
        (6, "Bo", "Acme", None, 8),
        (7, "Cy", None, "null", 7),
    ]
    records = _records_of_rows(rows)
    assert records == [
        CustomerRecord(1, "王伟", "伟达科技", ("王总",), "7"),
        CustomerRecord(2, "王伟", "伟达科技", ("王总",), "7"),
        CustomerRecord(3, "Tom", None, (), None),
        CustomerRecord(4, "", "", (), None),
        CustomerRecord(5, "Ann", "Acme", ("Annie", "A."), "8"),
        CustomerRecord(6, "Bo", "Acme", (), "8"),
        CustomerRecord(7, "Cy", None, (), "7"),
    ]
    assert records[0].owner is records[1].owner is records[6].owner  # repeated strings kept once
    assert records[4].company is records[5].company
