"""Our own labelled notes, scored field by field like the shared evaluation: tests/data/notes_own.jsonl,
notes_second.jsonl and notes_third.jsonl, each written to the spec (with its own customers) by someone who
never saw the parser. Each was first used to measure, then to find what the parser missed: before last
round's work 0.44 / 0.48 / 0.54 whole notes right; at first sight of each (the parser tuned on the ones
before) - / 0.71 / 0.76. notes_fourth (150, mostly Chinese: voice, Cantonese, festivals) and notes_fifth (150,
mostly English and mixed) came this round, at first sight 0.67 / 0.63. notes_sixth_en / _zh (120 + 120) and
notes_seventh_en / _zh (100 + 100) were written blind in the fourth session: at first sight 0.78 / 0.78 and
0.70 / 0.76; the seventh sets were scored after the rules learnt from the sixth. notes_eighth_en / _zh (100 + 100:
voice dictation, forms, e-mails, Singlish/Hinglish, Taiwan and Cantonese usage) were written blind in the fifth session,
at first sight 0.58 / 0.75; notes_ninth_en / _zh (80 + 80, phone shorthand, chat pastes, manager notes) after the rules
learnt from the eighth, at first sight 0.74 / 0.70 (the session's start scored them 0.75 / 0.70). A regression floor: the parser must not
fall below it, and the notes it gets wrong must mostly carry an `uncertain` flag. The newest sets have floors of
their own, a little under what the parser reaches on them now."""
import datetime as dt
import json
from pathlib import Path

import pytest

from handlers.understanding.matching import CustomerIndex
from handlers.understanding.notes import NoteParser
from handlers.understanding.records import records_from_sheet

DATA = Path(__file__).parent / "data"
FIELDS = ["customer", "channel", "date", "time", "amount", "currency", "risk", "outcome", "birthday", "lunar_birthday"]


def _got(out: dict, field: str):
    fu = out.get("follow_up") or {}
    if field in ("date", "time"):
        return fu.get(field)
    if field == "customer":
        return None if out["ambiguous"] else out["customer"]
    if field == "risk":
        return sorted(out["risk"])
    if field == "amount":
        return None if out["amount"] is None else float(out["amount"])
    return out.get(field)


def _ok(want, got, field: str) -> bool:
    options = want if isinstance(want, list) and field != "risk" else [want]
    for w in options:
        if field == "risk":
            w = sorted(w)
        if field == "amount" and w is not None:
            w = float(w)
        if w == got:
            return True
    return False


# (whole notes right, wrong per field, wrong and unflagged, flagged)
FLOORS = {"own": (0.95, 0.02, 0.03, 0.15), "second": (0.95, 0.02, 0.03, 0.15), "third": (0.95, 0.02, 0.03, 0.15),
          "fourth": (0.90, 0.05, 0.09, 0.15), "fifth": (0.89, 0.07, 0.10, 0.15),
          "sixth_en": (0.95, 0.04, 0.05, 0.15), "sixth_zh": (0.93, 0.05, 0.07, 0.15),
          "seventh_en": (0.82, 0.09, 0.18, 0.15), "seventh_zh": (0.88, 0.07, 0.12, 0.15),
          "eighth_en": (0.85, 0.06, 0.15, 0.15), "eighth_zh": (0.84, 0.06, 0.16, 0.15),
          "ninth_en": (0.82, 0.06, 0.17, 0.15), "ninth_zh": (0.80, 0.12, 0.18, 0.15)}


@pytest.fixture(scope="module", params=list(FLOORS))
def scored(request):
    parser = NoteParser(CustomerIndex(records_from_sheet(str(DATA / f"customers_{request.param}.csv"))), strict=True)
    rows = []
    for line in (DATA / f"notes_{request.param}.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        out = parser.parse(case["text"], dt.datetime.fromisoformat(case["now"])).to_json()
        wrong = {f for f in FIELDS if f in case["expect"] and not _ok(case["expect"][f], _got(out, f), f)}
        if bool(case["expect"].get("ambiguous")) != bool(out["ambiguous"]):
            wrong.add("customer")
        flags = set(out["uncertain"]) | ({"customer"} if out["ambiguous"] else set())
        if "date" in flags:
            flags.add("time")
        rows.append((case["id"], wrong, flags))
    return request.param, rows


def test_whole_notes_right(scored):
    corpus, rows = scored
    right = sum(not wrong for _, wrong, _ in rows)
    assert right / len(rows) >= FLOORS[corpus][0], [(i, sorted(w)) for i, w, _ in rows if w]


@pytest.mark.parametrize("field", FIELDS)
def test_each_field(scored, field):
    corpus, rows = scored
    wrong = [i for i, w, _ in rows if field in w]
    assert len(wrong) / len(rows) <= FLOORS[corpus][1], wrong


def test_silent_errors_and_flags_stay_rare(scored):
    corpus, rows = scored
    silent = [i for i, wrong, flags in rows if wrong - flags]
    flagged = [i for i, _, flags in rows if flags]
    assert len(silent) / len(rows) <= FLOORS[corpus][2], silent
    assert len(flagged) / len(rows) <= FLOORS[corpus][3], flagged
