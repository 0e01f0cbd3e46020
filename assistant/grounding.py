"""Support scores: how well the passages an answer sentence cites back it up."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

from .messages import ORIGINAL
from .text import fold

# (?<!\s): leading spaces are matched from the first one only, so a long run of them stays linear.
MARKER = re.compile(r"(?<!\s)\s*\[(\d+)\]")
# The "(Serbian original)" labels answers put before a quote in another language (match() finds one that
# opens a sentence).
LABEL = re.compile(r"\s*(?:" + "|".join(re.escape(v) for labels in ORIGINAL.values() for v in labels.values()) + r")\s*")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)
# An inflected name keeps its start: "Sarajevo", "Sarajevu", "Сараеве" share at least this many letters.
NAME_PREFIX = 4

# Cosine similarities of multilingual-e5 sit in a narrow band: ~0.75 for unrelated text, ~0.9 for a
# paraphrase or translation. Rescale that band to 0..1 so it can be read next to the lexical score.
SEM_FLOOR, SEM_CEIL = 0.78, 0.90


def clean_claim(text: str) -> str:
    """Return answer text (a sentence or a whole answer) without its [n] markers and language labels."""
    return LABEL.sub(" ", MARKER.sub("", text)).strip()


def char_ngrams(text: str, n: int = 4) -> set[str]:
    """Return the character n-grams of text folded to Latin lower case, punctuation collapsed."""
    norm = " " + _NON_WORD.sub(" ", fold(text)).strip() + " "
    return {norm[i : i + n] for i in range(len(norm) - n + 1)}


def lexical_support(claim: str, passages: Iterable[str], n: int = 4) -> float:
    """Return the share of the claim's character n-grams found in the passages (0..1)."""
    grams = char_ngrams(clean_claim(claim), n)
    if not grams:
        return 0.0
    pool: set[str] = set()
    for p in passages:
        pool |= char_ngrams(p, n)
    return len(grams & pool) / len(grams)


def semantic_support(claim_vec: np.ndarray, passage_vecs: Sequence[np.ndarray]) -> float:
    """Return the best cosine similarity of claim and passages, rescaled to 0..1."""
    if len(passage_vecs) == 0:
        return 0.0
    best = float(max(float(np.dot(claim_vec, v)) for v in passage_vecs))
    return float(np.clip((best - SEM_FLOOR) / (SEM_CEIL - SEM_FLOOR), 0.0, 1.0))


def support(claim: str, passages: Sequence[str], claim_vec=None, passage_vecs=None) -> float:
    """Return how well passages support claim: lexical overlap, or meaning where wording differs
    (a translation), whichever is stronger."""
    lex = lexical_support(claim, passages)
    if claim_vec is None or passage_vecs is None:
        return lex
    return max(lex, semantic_support(claim_vec, passage_vecs))


def numbers(text: str) -> set[str]:
    """Return the numbers in text with decimal commas and thousands separators unified."""
    out = set()
    for m in _NUMBER.findall(text):
        out.add(m.replace(",", ".").rstrip("."))
        out.add(m.replace(",", "").replace(".", ""))
    return out


def number_fidelity(claim: str, passages: Sequence[str]) -> float | None:
    """Return the share of the claim's numbers found in the passages, None if it states none."""
    found = {m.replace(",", ".").rstrip(".") for m in _NUMBER.findall(clean_claim(claim))}
    if not found:
        return None
    pool: set[str] = set()
    for p in passages:
        pool |= numbers(p)
    return sum(n in pool or n.replace(".", "") in pool for n in found) / len(found)


def names(claim: str) -> list[str]:
    """Return what a claim names: its numbers, acronyms and capitalised words past the first (the facts a
    reader checks first, and those a small model makes up)."""
    text = clean_claim(claim)
    words = _LETTERS.findall(text)
    found = [w for i, w in enumerate(words) if len(w) >= 2 and (w.isupper() or (i > 0 and w[0].isupper()))]
    return found + _NUMBER.findall(text)


def missing_names(claim: str, passages: Sequence[str]) -> list[str]:
    """Return the names and numbers of claim that none of the passages contain, in any script.

    A word counts as present when a passage word starts with its first letters (all but three, at least
    NAME_PREFIX), after folding to Latin: inflection changes the ending of a name, not its start. A number
    must be one of the passages' numbers, decimal commas and thousands separators aside.
    """
    pool = numbers(" ".join(passages))
    prefixes: set[str] = set()
    for word in set(_LETTERS.findall(fold(" ".join(passages)))):
        prefixes.update(word[:k] for k in range(1, len(word) + 1))
    out = []
    for name in names(claim):
        if name[0].isdigit():
            n = name.replace(",", ".").rstrip(".")
            if n not in pool and n.replace(".", "") not in pool:
                out.append(name)
            continue
        folded = fold(name)
        if folded[: min(len(folded), max(NAME_PREFIX, len(folded) - 3))] not in prefixes:
            out.append(name)
    return out
