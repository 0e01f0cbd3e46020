"""A glossary of names that no embedding or transliteration can bridge (ОДКБ is CSTO): a question naming
one is searched with the others too."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .text import detect_language, fold, is_stop_word, letters

BUILT_IN = Path(__file__).with_name("glossary.tsv")
MAX_ACRONYM = 8
MIN_LOWER_ACRONYM = 3  # shorter ones typed in lower case are words ("un", "eu")


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
def _index(paths: tuple[Path, ...]) -> list[tuple[re.Pattern, bool, list[str]]]:
    index = []
    for names in load(paths):
        acronyms = [n for n in names if _is_acronym(n)]
        for name in names:
            # A Cyrillic name folds by Serbian or by Russian rules (ШОС: "sos" or "shos"), as the question's
            # language has it: either reading matches.
            forms = sorted({fold(name, "sr"), fold(name, "ru")} if letters(name)[0] else {fold(name)})
            pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, forms)) + r")(?!\w)")
            index.append((pattern, _is_acronym(name), acronyms))
    return index


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
    for pattern, acronym, acronyms in _index(paths):
        match = pattern.search(folded)
        if not match:
            continue
        # An acronym counts when written in capitals ("UN", not the word "un"), or in lower case as people
        # type them when it is no common word ("odkb", "cnd"; not "who").
        if acronym and not _written_in_capitals(text, match.group(0), language) and (
                len(match.group(0)) < MIN_LOWER_ACRONYM or is_stop_word(match.group(0))):
            continue
        extra += [a for a in acronyms if fold(a, language) not in present and a not in extra]
    return f"{text} ({', '.join(extra)})" if extra else text


def _written_in_capitals(text: str, folded_word: str, language: str) -> bool:
    return any(fold(w, language) == folded_word and w.isupper() for w in re.findall(r"\w+", text))
