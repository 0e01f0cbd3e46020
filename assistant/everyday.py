"""How common a word is in everyday text of its language: what a question word says when the index has no
evidence of its own.

A question word the reports never use used to count as the rarest word there is, so "could you tell me…"
outweighed the words that say what is asked, and a question put politely read as one about something the
reports never mention. A word the index lacks is now weighed by how rare it is in everyday language: "tell"
and "you" weigh little, "kajmak" and "Morocco" as much as ever.

The frequencies are wordfreq's (Zipf scale: log10 of occurrences per billion words), for the words of each
language at Zipf 3.5 or more, shipped as everyday.tsv so that a question does not load wordfreq's lists
(over a second for Russian). `python -m assistant.everyday` writes the table again from an installed
wordfreq (the version pinned in pyproject.toml's test extra; tests/test_everyday.py checks they agree).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import cyrtranslit

from .text import strip_accents

TABLE = Path(__file__).with_name("everyday.tsv")
LANGUAGES = ("en", "sr", "ru")  # wordfreq reads Serbian in Latin script
MIN_ZIPF = 3.5  # rarer words weigh what the index says (at this Zipf a chunk-sized idf is already ~7.4)
# A chunk's length in words, about: an everyday word's idf is read as in a collection of such chunks.
CHUNK_WORDS = 200


@lru_cache(maxsize=len(LANGUAGES))
def _table(language: str) -> dict[str, float]:
    # One line per language and frequency: "en<TAB>553<TAB>tell know ...", read a line at a time (a
    # line per word took ~60 ms; this ~20 ms for all three languages). Each language is read when first
    # asked about: a question needs its own language's words, and the Serbian and Russian tables are the
    # larger part of the file.
    out: dict[str, float] = {}
    prefix = language + "\t"
    with TABLE.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(prefix):
                _language, zipf, words = line.rstrip("\n").split("\t")
                out.update(dict.fromkeys(words.split(" "), int(zipf) / 100))
    if language == "sr":
        # Serbian Latin is typed without diacritics as often as with them ("domacin" for "domaćin"): the bare
        # spelling stands for the most frequent word it may be.
        bare: dict[str, float] = {}
        for word, z in out.items():
            if not word.isascii():
                key = strip_accents(word)
                bare[key] = max(z, bare.get(key, 0.0))
        out = bare | out
    return out


def zipf(word: str, language: str) -> float:
    """Return the word's Zipf frequency in its language, 0 when it is rarer than MIN_ZIPF (or unknown)."""
    word = word.lower()
    if language == "sr":
        word = cyrtranslit.to_latin(word, "sr")
    return _table(language).get(word, 0.0) if language in LANGUAGES else 0.0


def everyday_idf(word: str, language: str) -> float:
    """Return the word's idf in a collection of everyday text of its language cut in CHUNK_WORDS-word chunks
    (log(1 + 1/(share of chunks holding it)), as the keyword index counts idf); inf for a word rarer than
    the table holds."""
    z = zipf(word, language)
    if not z:
        return math.inf
    return math.log(1 + 1 / (CHUNK_WORDS * 10 ** (z - 9)))


def build(path: Path = TABLE) -> int:
    """Write the table from the installed wordfreq; return how many words it holds."""
    import wordfreq

    rows, count = [], 0
    for language in LANGUAGES:
        by_zipf: dict[int, list[str]] = {}
        for word in wordfreq.iter_wordlist(language):
            z = wordfreq.zipf_frequency(word, language)
            if z < MIN_ZIPF:
                break  # the list is most frequent first
            if word.isalpha():
                by_zipf.setdefault(round(z * 100), []).append(word)
                count += 1
        rows += [f"{language}\t{z}\t{' '.join(words)}" for z, words in by_zipf.items()]
    header = (f"# wordfreq's Zipf frequencies x100 (language, frequency, its words), words at Zipf >= {MIN_ZIPF}; "
              "data CC-BY-SA 4.0 (Robyn Speer, wordfreq); written by `python -m assistant.everyday`\n")
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return count


if __name__ == "__main__":
    print(f"wrote {build()} words to {TABLE}")
