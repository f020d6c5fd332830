"""Typos and texting shorthand in English words, forgiven before a note is read.

"Cald Maria, she wnats the catalog by Tuesdy" is read as "called Maria, she wants the catalog by Tuesday".
The vocabulary (the words worth correcting, ordinary words that must stay, and shorthand) is data:
data/spelling.toml. Only lower-case ASCII words are touched, never a known customer's name or alias
(``protected``), and only when exactly one vocabulary word is that close.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

_CODE_AFTER = re.compile(r"[-#]?\d")
_TOKEN = re.compile(r"(?<![A-Za-z'/])[A-Za-z][A-Za-z/]*(?![A-Za-z'])")


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[dict[str, str], frozenset[str], dict[int, tuple[str, ...]]]:
    from .vocab import load

    data = load("spelling")
    words = [w.lower() for w in data["words"]]
    by_len: dict[int, list[str]] = {}
    for w in words:
        by_len.setdefault(len(w), []).append(w)
    known = frozenset(words) | frozenset(w.lower() for w in data["keep"])
    return ({k.lower(): v for k, v in data["shorthand"].items()}, known,
            {k: tuple(v) for k, v in by_len.items()})


@lru_cache(maxsize=1)
def _real_words() -> frozenset[str]:
    """Dictionary words close to the vocabulary ("shifting", "schedule"): data/spelling_keep.txt, generated."""
    path = Path(__file__).parent / "data" / "spelling_keep.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def hand_kept() -> frozenset[str]:
    """The vocabulary and the words kept by hand (spelling.toml), without the generated ones."""
    return _vocabulary()[1]


def _allowed(n: int) -> int:
    return 2 if n >= 8 else 1 if n >= 5 else 0


def correct_word(token: str, generated: bool = True) -> str | None:
    """The word a lower-case token stands for, or None when it is fine (or too far from any).

    ``generated``: also keep the real words of data/spelling_keep.txt (off only to regenerate that file)."""
    shorthand, known, by_len = _vocabulary()
    if token in shorthand:
        return shorthand[token]
    k = _allowed(len(token))
    if not k or token in known or generated and token in _real_words():
        return None
    from rapidfuzz.distance import OSA  # swapped letters are one edit

    best, tie = None, False
    for n in range(len(token) - k, len(token) + k + 1):
        for w in by_len.get(n, ()):
            if w[0] != token[0] and len(token) < 8:
                continue  # people rarely mistype the first letter of a short word
            d = OSA.distance(token, w, score_cutoff=k)
            if d <= k:
                # a letter left out is the likeliest typo: "deliverd" is delivered before delivery, "complaind" complained
                rank = (d, 0 if _left_out(token, w) else 1)
                if best is None or rank < best[1]:
                    best, tie = (w, rank), False
                elif rank == best[1] and w != best[0]:
                    tie = True
    return None if best is None or tie else best[0]


def _left_out(token: str, word: str) -> bool:
    """``token`` is ``word`` with letters left out (in order)."""
    if len(token) >= len(word):
        return False
    it = iter(word)
    return all(c in it for c in token)


def correct(text: str, protected=lambda word: False) -> str:
    """``text`` with misspelled vocabulary words and shorthand replaced (other characters unchanged)."""
    if not re.search(r"[A-Za-z]{2}", text):
        return text

    def fix(m: re.Match) -> str:
        word = m.group()
        if _CODE_AFTER.match(text, m.end()) or (m.start() > 0 and text[m.start() - 1].isdigit()):
            return word  # part of a code: INV-20931, PO#77, 3rd
        low = word.lower()
        if len(low) < 2 or protected(low):
            return word
        good = correct_word(low)
        if good is None or good == low:
            return word
        return good.capitalize() if word[0].isupper() and not word.isupper() else good

    return _TOKEN.sub(fix, text)
