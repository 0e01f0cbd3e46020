"""Support scores: how well the passages an answer sentence cites back it up."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

from .directions import turned_round
from .everyday import zipf
from .facts import acronym_countries, capitals_of, cities_in, countries_in, month_of, months_in
from .glossary import expand
from .messages import IN_LANGUAGE, ORIGINAL
from .text import cognate_in, cognate_keys, detect_language, fold, sentence_spans, skeleton

# (?<!\s): leading spaces are matched from the first one only, so a long run of them stays linear.
MARKER = re.compile(r"(?<!\s)\s*\[(\d+)\]")
# The "(Serbian original)" labels answers put before a quote in another language (match() finds one that
# opens a sentence).
LABEL = re.compile(r"\s*(?:" + "|".join(re.escape(v) for table in (ORIGINAL, IN_LANGUAGE) for labels in table.values()
                                       for v in labels.values()) + r")\s*")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
# A number, its thousands grouped by a space as Serbian and Russian write them ("38 174") or by a point or comma.
_NUMBER = re.compile(r"(?<!\d)\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d+(?:[.,]\d+)*")
_SPACES = re.compile(r"[ \u00a0\u202f]")
_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)
# An inflected name keeps its start: "Sarajevo", "Sarajevu", "Сараеве" share at least this many letters.
NAME_PREFIX = 4

# Cosine similarities of multilingual-e5 sit in a narrow band: ~0.75 for unrelated text, ~0.9 for a
# paraphrase or translation. Rescale that band to 0..1 so it can be read next to the lexical score.
SEM_FLOOR, SEM_CEIL = 0.78, 0.90
# Support under this and a sentence is flagged: its passages do not bear it out.
MIN_SUPPORT = 0.5


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


def pieces(passage: str) -> list[str]:
    """Return what an answer sentence's meaning is compared with in a passage: the passage, and each of its
    sentences when it has several (a one-sentence claim next to a 450-character passage reads as far less
    alike than next to the sentence it restates, above all across languages)."""
    spans = sentence_spans(passage)
    return [passage] + ([passage[s:e] for s, e in spans] if len(spans) > 1 else [])


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


def _unspaced(number: str) -> str:
    return _SPACES.sub("", number)


def numbers(text: str) -> set[str]:
    """Return the numbers in text with decimal commas and thousands separators unified."""
    out = set()
    for m in map(_unspaced, _NUMBER.findall(text)):
        out.add(m.replace(",", ".").rstrip("."))
        out.add(m.replace(",", "").replace(".", ""))
    return out


def number_fidelity(claim: str, passages: Sequence[str]) -> float | None:
    """Return the share of the claim's numbers found in the passages, None if it states none."""
    found = {_unspaced(m).replace(",", ".").rstrip(".") for m in _NUMBER.findall(clean_claim(claim))}
    if not found:
        return None
    pool: set[str] = set()
    for p in passages:
        pool |= numbers(p)
    return sum(n in pool or n.replace(".", "") in pool for n in found) / len(found)


def names(claim: str, language: str | None = None) -> list[str]:
    """Return what a claim names: its numbers, acronyms and capitalised words past the first, the first when
    it names a country, and months however written ("19. novembra") — the facts a reader checks first, and
    those a small model makes up."""
    text = clean_claim(claim)
    language = language or detect_language(text)
    words = _LETTERS.findall(text)
    found = [w for i, w in enumerate(words) if len(w) >= 2 and (
        w.isupper() or w[0].isupper() and (i > 0 or countries_in(fold(w)))
        or w[0].islower() and month_of(w, language, abbreviated=False) is not None)]
    return found + _NUMBER.findall(text)


def _title_words(claim: str, language: str) -> set[str]:
    """Return the capitalised words of a claim that make up the title of a body, written mostly in everyday
    words ("the Office for Combating Drugs", "the Drug Policy Network South East Europe"): a run of two or
    more capitalised words, joined by short lower-case words or after "the", most of them everyday words of
    the language. A person's name ("John Smith") is neither joined nor after an article."""
    out: set[str] = set()
    run: list[str] = []
    joined = after_article = False
    previous = ""
    for word in [*_LETTERS.findall(clean_claim(claim)), ""]:
        if word[:1].isupper() and not word.isupper():
            if not run:
                after_article = previous.lower() == "the"
            run.append(word)
        elif word and run and len(word) <= 3 and word.islower():
            joined = True  # "for", "of", "za", "по" inside a title
            continue
        else:
            if len(run) >= 2 and (joined or after_article) and 2 * sum(zipf(w, language) > 0 for w in run) > len(run):
                out.update(run)
            run, joined = [], False
        previous = word
    return out


def translates(language: str, passages: str) -> bool:
    """Return whether a claim in language is in another language than the passages it cites."""
    return bool(passages.strip()) and detect_language(passages) != language


_GLIDE = re.compile(r"(?<=[aeiou])[jy](?=[aeiou]|$)|(?<=[aeiou])j(?=[^aeiou])")


def _glideless(word: str) -> str:
    """Return a folded word without the glide a transliteration writes after a vowel ("Vilijams" for
    Williams, "Bajden" for Biden), so that a name's consonants read the same in each language."""
    return _GLIDE.sub("", word)


def missing_names(claim: str, passages: Sequence[str], language: str | None = None) -> list[str]:
    """Return the names and numbers of claim that none of the passages contain, in any script or language.

    A word counts as present when a passage word starts with its first letters (all but three, at least
    NAME_PREFIX), after folding to Latin: inflection changes the ending of a name, not its start. A month, a
    country or a city counts as present when the passages name the same one in any language ("May" for
    "маја", "Serbia" for "Србију", "Belgrade" for "Београду"), and a body when they give another of its
    names in the glossary. A claim that translates its passages translates titles too ("the Office for
    Combating Drugs" of "Канцеларија за борбу против дрога"), and writes foreign names by sound: there a
    title's everyday words, and a word whose consonants a passage word shares, are not made up. A number
    must be one of the passages' numbers, decimal commas and thousands separators aside.
    """
    joined = " ".join(passages)
    pool = numbers(joined)
    prefixes: set[str] = set()
    # with the other names of the bodies the passages name (glossary.tsv: ОДКБ is CSTO)
    for word in set(_LETTERS.findall(fold(expand(joined)))):
        prefixes.update(word[:k] for k in range(1, len(word) + 1))
    language = language or detect_language(clean_claim(claim))
    translated = translates(language, joined)
    titles = _title_words(claim, language) if translated else set()
    skeletons = cognate_keys(map(_glideless, _LETTERS.findall(fold(joined)))) if translated else frozenset()
    months: set[int] | None = None
    places: set[str] | None = None
    codes: set[str] | None = None
    out = []
    for name in names(claim, language):
        if name[0].isdigit():
            n = _unspaced(name).replace(",", ".").rstrip(".")
            if n not in pool and n.replace(".", "") not in pool:
                out.append(name)
            continue
        # folded as its language writes it, and as a word alone folds (Cyrillic read the Serbian way)
        if any(f[: min(len(f), max(NAME_PREFIX, len(f) - 3))] in prefixes for f in {fold(name, language), fold(name)}):
            continue
        if (month := month_of(name, language)) is not None:
            months = months_in(joined) if months is None else months
            if month not in months:
                out.append(name)
            continue
        if named_cities := cities_in(name, language):
            places = cities_in(joined) if places is None else places
            if not places & named_cities:
                out.append(name)
            continue
        if named_countries := (set(countries_in(fold(name, language))) | acronym_countries(name)):
            codes = set(countries_in(fold(joined), capitals_of(joined))) | acronym_countries(joined) \
                if codes is None else codes
            if not codes.intersection(named_countries):
                out.append(name)
            continue
        if name in titles:
            continue
        # a word of a translated title its passage writes in a related form ("Канцелярии", "Канцеларије")
        if translated and any(cognate_in(skeleton(_glideless(f)), skeletons) for f in {fold(name, language), fold(name)}):
            continue
        out.append(name)
    return out


def checked_support(claim: str, passages: Sequence[str], claim_vec=None, piece_vecs=None) -> float:
    """Return how well passages bear a claim out (piece_vecs: the vectors of the passages' pieces, in order).

    Across languages meaning is all there is to compare, and the closer of wording and meaning counts. In
    the passages' own language a faithful sentence keeps much of their wording, and meaning alone cannot see
    a clause added to it or a claim turned round, so the two count alike. The score is held under
    MIN_SUPPORT when the claim names something the passages do not (a name or a number they do not hold was
    made up, however closely the rest of the sentence follows them), and when it says the opposite way to
    the piece of them it reads closest to ("rose" where that says "fell")."""
    language = detect_language(clean_claim(claim))
    score = lexical_support(claim, passages)
    texts = list(passages)
    if claim_vec is not None and piece_vecs is not None:
        meaning = semantic_support(claim_vec, piece_vecs)
        score = max(score, meaning) if translates(language, " ".join(passages)) else (score + meaning) / 2
        texts = [x for p in passages for x in pieces(p)]
        if len(texts) == len(piece_vecs):  # the piece the claim restates
            texts = [texts[int(np.argmax([float(np.dot(claim_vec, v)) for v in piece_vecs]))]]
    missing = missing_names(claim, passages)
    if missing:
        score = min(score, MIN_SUPPORT * (1 - len(missing) / len(names(claim))))
    if any(turned_round(clean_claim(claim), language, t, detect_language(t)) for t in texts):
        score = min(score, MIN_SUPPORT / 2)
    return score
