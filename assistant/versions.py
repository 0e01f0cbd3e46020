"""Versions: a document added beside one it mostly repeats (an edited copy, a corrected report).

A file of the very same bytes is not indexed twice (ingest.py). An edited copy is another document, and
both are answered from. Ingest names the pair so that the person who added it can remove the older one, and
an answer that cites a sentence the other version states with other facts (the figure the edit changed)
quotes that version's sentence beside it, rather than silently taking one side.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .grounding import support
from .messages import other_version
from .store import DocRecord, Store
from .text import sentence_spans
from .types import Answer, AnswerSentence, Citation

MIN_SIMILARITY = 0.9  # document vectors: an edited copy reads as its original does (checked before the text)
MIN_SHARED = 0.5  # share of the shorter document's sentences the other has word for word
MIN_WORDS = 5  # shorter lines (a heading, a dateline, "Share this") prove nothing shared
# Share of content words two sentences must have in common to be one sentence edited (a figure or a name
# changed, a clause added), rather than two sentences of the same report on one subject.
MIN_REWORDED = 0.6


@dataclass(frozen=True)
class Version:
    """A document (doc_id) that repeats `shared` of the sentences of another (like)."""

    doc_id: str
    like: str
    shared: float


def _sentences(text: str) -> set[str]:
    return {s for s in (" ".join(text[a:b].split()) for a, b in sentence_spans(text)) if len(s.split()) >= MIN_WORDS}


def shared_sentences(a: str, b: str) -> float:
    """Return the share of the sentences of the text with fewer of them that the other has word for word."""
    x, y = _sentences(a), _sentences(b)
    if not x or not y:
        return 0.0
    return len(x & y) / min(len(x), len(y))


def versions_of(store: Store, doc_ids) -> list[Version]:
    """Return, for each of doc_ids, the indexed documents in its language it mostly repeats (each pair once)."""
    records = {k: r for k, r in store.records().items() if r.state == "complete"}
    vectors = {k: v for k, v in store.document_vectors().items() if k in records}
    ids = sorted(vectors)
    if len(ids) < 2:
        return []
    # One product of the document vectors: only pairs that read alike have their text compared.
    matrix = np.stack([vectors[k] for k in ids])
    alike = matrix @ matrix.T >= MIN_SIMILARITY
    texts: dict[str, str] = {}

    def text(doc_id: str) -> str:
        if doc_id not in texts:
            texts[doc_id] = store.document_text(doc_id) or ""
        return texts[doc_id]

    found, seen = [], set()
    asked = set(doc_ids)
    for i, doc_id in enumerate(ids):
        if doc_id not in asked:
            continue
        for j in np.nonzero(alike[i])[0]:
            other = ids[j]
            pair = frozenset((doc_id, other))
            if other == doc_id or pair in seen or records[other].language != records[doc_id].language:
                continue
            shared = shared_sentences(text(doc_id), text(other))
            if shared >= MIN_SHARED:
                seen.add(pair)
                found.append(Version(doc_id, other, round(shared, 2)))
    return found


def by_document(versions: list[Version]) -> dict[str, tuple[str, ...]]:
    """Return each document's other versions (both ways of every pair)."""
    out: dict[str, list[str]] = {}
    for v in versions:
        out.setdefault(v.doc_id, []).append(v.like)
        out.setdefault(v.like, []).append(v.doc_id)
    return {k: tuple(sorted(set(v))) for k, v in out.items()}


def counterpart(mine, i: int, text: str, theirs, other_text: str) -> int | None:
    """Return the index of the sentence of another version (theirs: core._DocSentences, other_text its text) that
    is sentence i of mine (text) edited to state other facts (a changed figure, date or name), or None when that
    version says the same or has no such sentence."""
    if not len(theirs.starts):
        return None
    j = int(np.argmax(theirs.vectors @ mine.vectors[i]))
    words, other_words = mine.words[i], theirs.words[j]
    if not (words and other_words) or len(words & other_words) / len(words | other_words) < MIN_REWORDED:
        return None  # not the same sentence edited, another one
    same_text = " ".join(other_text[theirs.starts[j]:theirs.ends[j]].split()) == \
        " ".join(text[mine.starts[i]:mine.ends[i]].split())
    return None if same_text or _stated(mine.facts[i]) == _stated(theirs.facts[j]) else j


def _stated(facts) -> tuple:
    """Return what a sentence states, as compared between versions: its dates, figures and names."""
    return tuple(tuple(sorted(set(getattr(facts, k)))) for k in ("dates", "figures", "names"))


def with_other_versions(answer: Answer, versions: Mapping[str, tuple[str, ...]], sentences_of: Callable,
                        text_of: Callable[[str], str | None], records: Mapping[str, DocRecord]) -> Answer:
    """Return the answer with, after it, each cited sentence's counterpart in another version of its report
    where that version states other facts in it (its own [n] and AnswerSentence.other_version_of), or the
    answer as it is. sentences_of(doc_id) gives a document's sentences (starts, ends, vectors, words, facts:
    core._DocSentences)."""
    if not answer.found or not any(versions.get(c.doc_id) for c in answer.citations):
        return answer
    cited = {c.doc_id for c in answer.citations}
    citations, sentences = list(answer.citations), list(answer.sentences)
    quoted: set[tuple[str, int]] = set()  # two cited sentences may have one counterpart
    for c in answer.citations:
        mine, text = sentences_of(c.doc_id), text_of(c.doc_id)
        at = np.nonzero((mine.starts <= c.start) & (mine.ends > c.start))[0] if text else []
        if not len(at):
            continue
        i = int(at[0])
        for other in versions.get(c.doc_id, ()):
            theirs, other_text = sentences_of(other), text_of(other)
            if other in cited or other not in records or not other_text:
                continue
            j = counterpart(mine, i, text, theirs, other_text)
            if j is None or (other, j) in quoted:
                continue
            quoted.add((other, j))
            rec, a, b = records[other], int(theirs.starts[j]), int(theirs.ends[j])
            n = max(x.n for x in citations) + 1
            quote = other_text[a:b]
            citations.append(Citation(n=n, doc_id=other, source=rec.source, title=rec.title, language=rec.language,
                                      text=quote, start=a, end=b,
                                      score=round(float(np.dot(mine.vectors[i], theirs.vectors[j])), 4),
                                      date=rec.date))
            said = f"{other_version(answer.language, answer.question, Path(rec.source).name)} {quote} [{n}]"
            sentences.append(AnswerSentence(text=said, citations=(n,), support=support(said, [quote]),
                                            other_version_of=c.n))
    if len(sentences) == len(answer.sentences):
        return answer
    added = sentences[len(answer.sentences):]
    return replace(answer, answer="\n".join([answer.answer, *(s.text for s in added)]),
                   citations=tuple(citations), sentences=tuple(sentences))
