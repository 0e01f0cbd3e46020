"""Versions: a document added beside one it mostly repeats (an edited copy, a corrected report).

A file of the very same bytes is not indexed twice (ingest.py). An edited copy is another document, and
both are answered from: asked about the figure the edit changed, an answer cites one version and says
nothing of the other. Ingest names the pair so that the person who added it can remove the older one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .store import Store
from .text import sentence_spans

MIN_SIMILARITY = 0.9  # document vectors: an edited copy reads as its original does (checked before the text)
MIN_SHARED = 0.5  # share of the shorter document's sentences the other has word for word
MIN_WORDS = 5  # shorter lines (a heading, a dateline, "Share this") prove nothing shared


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
    vectors = store.document_vectors()
    texts: dict[str, str] = {}

    def text(doc_id: str) -> str:
        if doc_id not in texts:
            texts[doc_id] = store.document_text(doc_id) or ""
        return texts[doc_id]

    found, seen = [], set()
    for doc_id in sorted(set(doc_ids) & set(records) & set(vectors)):
        for other in sorted(records):
            pair = frozenset((doc_id, other))
            if other == doc_id or pair in seen or other not in vectors \
                    or records[other].language != records[doc_id].language:
                continue
            if float(np.dot(vectors[doc_id], vectors[other])) < MIN_SIMILARITY:
                continue
            shared = shared_sentences(text(doc_id), text(other))
            if shared >= MIN_SHARED:
                seen.add(pair)
                found.append(Version(doc_id, other, round(shared, 2)))
    return found
