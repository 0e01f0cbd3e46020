"""A glossary of names that no embedding or transliteration can bridge (ОДКБ is CSTO): a question naming
one is searched with the others too."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .everyday import zipf
from .text import detect_language, fold, is_stop_word, letters

BUILT_IN = Path(__file__).with_name("glossary.tsv")
MAX_ACRONYM = 8
MIN_LOWER_ACRONYM = 3  # shorter ones typed in lower case are words ("un", "eu")
# A word of a name longer than STEM_KEEP letters matches with its last STEM_CUT letters changed (a case ending).
STEM_KEEP = 4
STEM_CUT = 2


def load(paths: tuple[Path, ...]) -> list[list[str]]:
    """Return the glossary entries (lists of equivalent names) of the files that exist."""
    entries = []
    for path in paths:
        if not path.is_file():
            continue
        for line in path.read_text("utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                names = [n.strip() for n in line.split("|") if n.strip()]
                if len(names) > 1:
                    entries.append(names)
    return entries


@lru_cache(maxsize=8)
def _index(paths: tuple[Path, ...]) -> list[tuple[tuple[str, ...], str, bool, list[str]]]:
    """Return, for each name of each entry: the text any match must contain (a cheap test before the
    pattern), its pattern's source (compiled by _pattern when a text passes that test), whether it is an
    acronym, and the entry's acronyms."""
    index = []
    for names in load(paths):
        acronyms = [n for n in names if _is_acronym(n)]
        for name in names:
            # A Cyrillic name folds by Serbian or by Russian rules (ШОС: "sos" or "shos"), as the question's
            # language has it: either reading matches.
            forms = sorted({fold(name, "sr"), fold(name, "ru")} if letters(name)[0] else {fold(name)})
            pattern = r"(?<!\w)(?:" + "|".join(map(_inflected, forms)) + r")(?!\w)"
            index.append((tuple(f.split()[0][:STEM_KEEP - 1] for f in forms), pattern, _is_acronym(name), acronyms))
    return index


@lru_cache(maxsize=1024)
def _pattern(source: str) -> re.Pattern:
    """Return a glossary name's compiled pattern. Compiled when first needed: compiling all ~220 names' patterns
    was ~25 ms of a command-line question, which needs the few whose opening letters it holds."""
    return re.compile(source)


def _inflected(form: str) -> str:
    """Return a pattern for a folded name that a question may inflect: each longer word of a name of several
    words keeps its stem and takes any ending ("Европску свемирску агенцију" names "Европска свемирска
    агенција"; "Европейского космического агентства" its Russian nominative). One word stays exact."""
    words = form.split()
    if len(words) < 2:
        return re.escape(form)
    return r"\s+".join(re.escape(w[:-STEM_CUT]) + r"\w*" if len(w) > STEM_KEEP else re.escape(w) for w in words)


def _is_acronym(name: str) -> bool:
    """Return whether a name is an acronym: one short word with no lower-case letters ("G8", "ОДКБ")."""
    return len(name) <= MAX_ACRONYM and " " not in name and any(c.isalpha() for c in name) and not any(
        c.islower() for c in name)


def expand(text: str, home: Path | None = None, language: str | None = None) -> str:
    """Return text with the acronyms of the bodies it names appended, e.g. "… ОДКБ? (CSTO, ODKB)"; language
    is text's, when the caller has read it (with its conversation)."""
    paths = (BUILT_IN,) + ((Path(home) / "glossary.tsv",) if home else ())
    language = language or detect_language(text)
    folded = fold(text, language)
    present = {fold(w, language) for w in re.findall(r"\w+", text)}
    extra: list[str] = []
    for needs, pattern, acronym, acronyms in _index(paths):
        match = _pattern(pattern).search(folded) if any(n in folded for n in needs) else None
        if not match:
            continue
        # An acronym counts when written in capitals ("UN", not the word "un"), or in lower case as people
        # type them when it is no common word ("odkb", "cnd"; not "who"). The folded word is looked up in
        # the everyday lists, which for English and Serbian are in Latin script as folded text is: that
        # catches a Serbian word spelt as another language's acronym ("воз", a train, is Russian's ВОЗ;
        # "naša" folds to "nasa"), while Russian's lower-case acronyms ("оон"), frequent as words in its
        # Cyrillic list too, still count.
        word = match.group(0)
        if acronym and not _written_in_capitals(text, word, language) and (
                len(word) < MIN_LOWER_ACRONYM or is_stop_word(word) or zipf(word, language) > 0):
            continue
        extra += [a for a in acronyms if fold(a, language) not in present and a not in extra]
    return f"{text} ({', '.join(extra)})" if extra else text


def _written_in_capitals(text: str, folded_word: str, language: str) -> bool:
    return any(fold(w, language) == folded_word and w.isupper() for w in re.findall(r"\w+", text))
