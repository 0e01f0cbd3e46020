"""Which way a sentence says things went (a figure up or down, faster or slower, better or worse, a proposal
taken or turned down), read from the word table directions.tsv, for the support check: meaning vectors read
"rose" and "fell" as alike."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .text import fold

TABLE = Path(__file__).with_name("directions.tsv")
_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1)
def _table() -> dict[str, list[tuple[str, str, str, bool]]]:
    """Return, per language, (word, axis, sign, is a beginning) rows."""
    out: dict[str, list[tuple[str, str, str, bool]]] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            axis, sign, language, words = line.split("\t")
            out.setdefault(language, []).extend(
                (w.rstrip("*"), axis, sign, w.endswith("*")) for w in words.split())
    return out


def _words(text: str, language: str) -> list[str]:
    if language == "sr":
        return _WORD.findall(fold(text, "sr"))
    return _WORD.findall(text.lower().replace("ё", "е"))


# A negation within this many words before a direction word turns it round ("did not rise", "није порастао",
# "не выросли"), unless it is "not only" ("не только", "ne samo").
_NEGATIONS = {"en": {"not", "no", "never", "didn", "doesn", "don", "wasn", "weren", "hasn", "haven", "hadn"},
              "sr": {"ne", "nije", "nisu", "nismo", "nema", "nikad", "nikada"},
              "ru": {"не", "нет", "ни", "никогда"}}
_ONLY = {"only", "samo", "только"}
NEGATION_REACH = 2


def directions(text: str, language: str) -> dict[str, set[str]]:
    """Return, for each axis a text speaks of, the signs its words give it ("+", "-", or both)."""
    rows = _table().get(language, ())
    negations = _NEGATIONS.get(language, set())
    words = _words(text, language)
    out: dict[str, set[str]] = {}
    for i, word in enumerate(words):
        for stem, axis, sign, beginning in rows:
            if word == stem or beginning and word.startswith(stem):
                before = words[max(0, i - NEGATION_REACH):i]
                if any(w in negations for w in before) and not _ONLY & set(words[max(0, i - NEGATION_REACH):i + 1]):
                    sign = "-" if sign == "+" else "+"
                out.setdefault(axis, set()).add(sign)
    return out


def turned_round(claim: str, claim_language: str, source: str, source_language: str) -> bool:
    """Return whether a claim says the opposite way to its source on some axis, each of them saying only
    one way there ("rose" where the source says only "fell"); a source that says both ("fell in X, rose in
    Y") or neither decides nothing."""
    said = directions(source, source_language)
    return any(len(signs) == 1 and said.get(axis, signs) == {"+", "-"} - signs
               for axis, signs in directions(claim, claim_language).items())
