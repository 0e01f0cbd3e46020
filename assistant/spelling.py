"""Typed slips in a question ("heorin", "sarjevo", "kokajna") read as the index's word one edit away,
words the index does not hold read as another language's stemmer reads them (other_stems), and names spelled as
another script or language spells them read as the index's word of the same sound (spelled_alike).

A question word whose stem no chunk holds matches no sentence's words, so a typo costs the overlap
features and the keyword search what the word would have given. Its stem is compared with the stems the
index does hold that are one edit away (a letter left out, added, changed, or two letters swapped: the
slips of typing, as in Norvig's corrector), and read as the most frequent of them. Stems are folded to
Latin, so one alphabet serves every language and script. Short stems are left alone: one edit away from
a short stem is too many other words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .everyday import zipf
from .text import PREFIX, has_cyrillic, keyword_tokens, skeleton, sounded

MIN_LENGTH = 5  # the shortest stem read as a typo of another
_LETTERS = "abcdefghijklmnopqrstuvwxyz'"


def one_edit(stem: str) -> set[str]:
    """Return every string one deletion, transposition, substitution or insertion away from stem."""
    splits = [(stem[:i], stem[i:]) for i in range(len(stem) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    out |= {a + c + b for a, b in splits for c in _LETTERS}
    out.discard(stem)
    return out


def corrections(tokens: Iterable[str], document_frequency: Callable[[str], int],
                in_language: Callable[[str], int] | None = None) -> dict[str, str]:
    """Return {stem the index does not hold: the index's stem one edit away it stands for}, for the plain
    stems among tokens (not name prefixes "^…" or skeletons "~…", nor numbers). in_language counts a stem's
    chunks in the question's language: a slip is made in the language one types, and one edit from a word
    of one language is often a word of another (Russian "gorod" and English "good"). A stem with two
    equally frequent neighbours stays as it is."""
    frequency = in_language or document_frequency
    out: dict[str, str] = {}
    for token in tokens:
        if (len(token) < MIN_LENGTH or token[0] in "^~" or not token.isascii() or any(ch.isdigit() for ch in token)
                or token in out or document_frequency(token) > 0):
            continue
        known = sorted(((frequency(t), t) for t in one_edit(token) if document_frequency(t) > 0), reverse=True)
        known = [k for k in known if k[0] > 0]
        if known and (len(known) == 1 or known[0][0] > known[1][0]):
            out[token] = known[0][1]
    return out


_VOWELS = "аеиоуыэюяё"
# Russian letters Serbian Cyrillic lacks, as a Serbian writer spells them; е after a vowel is said "je"
# (Сараево is Сарајево), as ё is "jo".
_RU_TO_SR = {"й": "ј", "ы": "и", "ь": "", "ъ": "", "э": "е", "щ": "шч", "я": "ја", "ю": "ју"}


def as_serbian(word: str) -> str:
    """Return a Russian word spelled in Serbian Cyrillic (Сараеве → Сарајеве), for the Serbian stemmer."""
    out = []
    for i, ch in enumerate(word):
        low = ch.lower()
        after_vowel = i > 0 and word[i - 1].lower() in _VOWELS
        if low in "её":
            sound = ("ј" if after_vowel else "") + ("е" if low == "е" else "о")
        else:
            sound = _RU_TO_SR.get(low, low)
        out.append(sound.capitalize() if ch.isupper() else sound)
    return "".join(out)


def other_stems(words: Iterable[tuple[str, tuple[str, ...]]], language: str,
                document_frequency: Callable[[str], int]) -> dict[str, str]:
    """Return {token the index does not hold: the token of the same kind (stem, name prefix "^…", skeleton "~…")
    that another language's reading of the same word gives, which the index holds}, for words given with their
    tokens (query.word_tokens). A name is inflected and spelled by the language of the text it is in: an
    English question's "cacak" is the Serbian reports' Čačak, Čačku, Čačka (stem "cack"), a Russian
    question's "Сараеве" their "Сарајеву" (prefix "^saraje"), and its own language's reading cannot reach them."""
    out: dict[str, str] = {}
    for word, tokens in words:
        if tokens[0].isdigit() or document_frequency(tokens[0]) > 0:
            continue
        for other in [o for o in (("sr", "ru") if has_cyrillic(word) else ("sr", "en")) if o != language]:
            alt = keyword_tokens(as_serbian(word) if other == "sr" and language == "ru" else word, other, query=True)
            kinds = {t[0] if t[0] in "^~" else "": t for t in alt}
            found = {t: a for t in tokens if t not in out and document_frequency(t) == 0
                     and (a := kinds.get(t[0] if t[0] in "^~" else "")) and a != t and document_frequency(a) > 0}
            if found:
                out |= found
                break
    return out


# How far apart, in edits, a question's word and the index's word of the same skeleton may be, each spelled
# as it sounds (text.sounded: "prikard" for both "pricard" and "pritchard"): a transliteration writes a vowel
# or two its own way ("esfort" / "asfort" for Ешворт / Ashworth). A short word is an edit from too many others
# ("bors", борща, from "boris"): none under five letters, one under seven, ALIKE_EDITS from there.
ALIKE_EDITS = 2
# A name is in few chunks: a word spelled alike in more is an ordinary word of the reports, not what a
# name typed in another script stands for.
ALIKE_DF = 10
_VOWEL_LETTERS = "aeiou"


def edits(a: str, b: str) -> int:
    """Return the Levenshtein distance between two short strings."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def spelled_alike(words: Iterable[tuple[str, tuple[str, ...]]], language: str,
                  document_frequency: Callable[[str], int], alike: Callable[[str], tuple[str, ...]]) -> dict[str, str]:
    """Return {token the index does not hold: the index's token for the same word spelled as its reports
    spell it}, for words given with their tokens (query.word_tokens) whose stem the index does not hold: the
    index's stem of the same consonant skeleton (alike: the stems of a skeleton) fewest edits from the word's
    own, each spelled as it sounds, within ALIKE_EDITS (fewer for a short word; of equally near ones the
    rarest) and in at most ALIKE_DF chunks, and its name prefix when the index lacks the word's
    own; never for a word of everyday language (everyday.zipf). A name typed in lower case in another script
    ("ко је гвен причард") is spelled by transliteration, which no stemmer undoes and one edit does not reach
    ("pricard" against "pritchard")."""
    out: dict[str, str] = {}
    for word, tokens in words:
        stem = tokens[0]
        # A word of everyday language is no name ("bioskopu" is not the index's "biskup"), nor is an acronym
        # spelled as one ("МККН").
        if (stem[0] in "^~" or not stem.isalpha() or document_frequency(stem) > 0 or zipf(word, language)
                or word.isupper()):
            continue
        own = sounded(stem)
        limit = min(ALIKE_EDITS, max(0, (len(own) - 3) // 2))
        # A transliteration keeps a name's first sound, but for a vowel's letter ("Ешворт", Ashworth); of
        # words equally alike, the rarer: what this reads is a name, and "gven" is Gwen, not "given".
        near = sorted((edits(own, theirs), document_frequency(c), c) for c in alike(skeleton(word))
                      if document_frequency(c) <= ALIKE_DF and (theirs := sounded(c))
                      and (theirs[0] == own[0] or theirs[0] in _VOWEL_LETTERS and own[0] in _VOWEL_LETTERS))
        near = [n for n in near if n[0] <= limit]
        if not near or (len(near) > 1 and near[1][:2] == near[0][:2]):
            continue  # nothing alike, or two words equally alike and common: no reading is surer
        found = near[0][2]
        out[stem] = found
        for token in tokens[1:]:
            if token[0] == "^" and not document_frequency(token) and document_frequency("^" + found[:PREFIX]) > 0:
                out[token] = "^" + found[:PREFIX]
    return out
