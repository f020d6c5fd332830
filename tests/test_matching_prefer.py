"""Visibility-aware matching: the author's own customers decide first, the whole team is the fallback."""
from __future__ import annotations

import datetime as dt

import pytest

from handlers.understanding.matching import BIG, CustomerIndex
from handlers.understanding.notes import CustomerRecord, NoteParser

NOW = dt.datetime(2027, 3, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉"


def team():
    recs, cid = [], 0
    for a in GIVEN:  # far more 王 than a common-name bucket holds (BIG), and a few 蒋
        for b in GIVEN[:4]:
            cid += 1
            recs.append(CustomerRecord(cid, "王" + a + b, f"公司{cid}", owner=str(cid % 9)))
    assert len(recs) > BIG
    recs += [
        CustomerRecord(501, "蒋一帆", "一帆机电", owner="7"),
        CustomerRecord(502, "蒋雨桐", "雨桐食品", owner="8"),
        CustomerRecord(503, "Lena Park", "Park Optics", owner="7"),
        CustomerRecord(504, "Lena Sato", "Sato Foods", owner="8"),
        CustomerRecord(505, "王伟", "伟业五金", owner="8"),
        CustomerRecord(506, "王伟", "伟达电子", owner="7"),
    ]
    return recs


@pytest.fixture(scope="module")
def index():
    return CustomerIndex(team())


def test_common_surname_resolves_to_the_authors_one(index):
    m = index.match("王总说下周来看样品")
    assert m.ambiguous and len(m.candidates) == 8  # the whole team: too many to tell
    m = index.match("王总说下周来看样品", prefer={7})
    assert m.customer.id == 7 and not m.ambiguous and m.mention == "王总"


def test_ambiguous_among_the_authors_own(index):
    m = index.match("王总说下周来看样品", prefer={7, 30, 501})
    assert m.ambiguous and {c.id for c in m.candidates} == {7, 30}


def test_no_own_fit_falls_back_to_the_team(index):
    assert index.match("蒋总来电", prefer={7}).ambiguous  # the author owns no 蒋
    assert index.match("蒋总来电", prefer={7, 501}).customer.id == 501
    assert index.match("蒋一帆来电", prefer={7}).customer.id == 501


def test_a_full_name_beats_an_own_surname(index):
    # the author owns only 王 number 7, but the note names another rep's customer in full
    m = index.match("Wang Wei called", prefer={7})
    assert m.ambiguous and {c.id for c in m.candidates} == {505, 506}
    assert index.match("蒋雨桐说价格太高", prefer={501}).customer.id == 502


def test_same_full_name_twice_the_authors_wins(index):
    assert index.match("王伟来电").ambiguous
    assert index.match("王伟来电", prefer={506}).customer.id == 506


def test_predicate_and_first_names(index):
    def mine(rec):
        return rec.owner == "7"

    assert index.match("Lena emailed the PO").ambiguous
    assert index.match("Lena emailed the PO", prefer=mine).customer.id == 503
    assert index.match("Lena emailed the PO", prefer=[504]).customer.id == 504  # any iterable of ids


def test_parser_passes_prefer_and_keeps_the_default(index):
    parser = NoteParser(index)
    plain = parser.parse("王总说下周来看样品", NOW)
    assert plain.ambiguous and plain.to_json()["customer"] is None
    assert parser.parse("王总说下周来看样品", NOW, prefer=None).to_json() == plain.to_json()
    own = parser.parse("王总说下周来看样品", NOW, prefer={12})
    assert own.customer.id == 12 and own.follow_ups and own.follow_ups[0].date == dt.date(2027, 3, 8)
    assert parser.parse("王总说下周来看样品", NOW, prefer=set()).ambiguous  # sees nobody: the team decides
