"""Translation twins: documents that are translations of each other, and their aligned sentences."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np

from .store import DocRecord, Store
from .text import sentence_spans

# A pair must read alike across languages (document vectors) and share the hard facts: numbers,
# acronyms and Latin-script names survive translation unchanged.
MIN_SIMILARITY = 0.85
MIN_ANCHOR_JACCARD = 0.4
MIN_SHARED_ANCHORS = 4
_ANCHOR = re.compile(r"\b(?:\d+(?:[.,]\d+)?|[A-Z]{2,}[A-Z0-9]*)\b")


def anchors(text: str) -> set[str]:
    """Return the numbers and acronyms of a text, the facts a translation keeps as they are."""
    return {a.replace(",", ".") for a in _ANCHOR.findall(text)}


def anchor_overlap(a: str, b: str) -> float:
    """Return the Jaccard overlap of two texts' anchors (0 when either has none)."""
    x, y = anchors(a), anchors(b)
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)


def find_pairs(store: Store) -> dict[str, str]:
    """Return doc_id → twin doc_id for every pair of documents in different languages that are
    translations of each other (each document has at most one twin: its best match)."""
    records = {k: r for k, r in store.records().items() if r.state == "complete"}
    vectors = store.document_vectors()
    texts = {k: store.document_text(k) or "" for k in records}
    scored = []
    for a, b in combinations(sorted(records), 2):
        if records[a].language == records[b].language:
            continue
        sim = float(np.dot(vectors[a], vectors[b]))
        overlap = anchor_overlap(texts[a], texts[b])
        shared = len(anchors(texts[a]) & anchors(texts[b]))
        if sim >= MIN_SIMILARITY and overlap >= MIN_ANCHOR_JACCARD and shared >= MIN_SHARED_ANCHORS:
            scored.append((sim + overlap, a, b))
    twins: dict[str, str] = {}
    for _, a, b in sorted(scored, reverse=True):
        if a not in twins and b not in twins:
            twins[a], twins[b] = b, a
    return twins


def align(a_vecs: np.ndarray, b_vecs: np.ndarray, a_text: list[str], b_text: list[str]) -> list[tuple[list[int], list[int]]]:
    """Return monotonic alignment beads (A sentence indices, B sentence indices), allowing 1-1, 1-2
    and 2-1 beads and skips, maximising similarity (meaning plus shared numbers and acronyms)."""
    n, m = len(a_vecs), len(b_vecs)

    def score(ia: list[int], ib: list[int]) -> float:
        va = a_vecs[ia].mean(axis=0)
        vb = b_vecs[ib].mean(axis=0)
        cos = float(np.dot(va, vb) / ((np.linalg.norm(va) * np.linalg.norm(vb)) or 1.0))
        bonus = 0.1 * anchor_overlap(" ".join(a_text[i] for i in ia), " ".join(b_text[j] for j in ib))
        return cos - 0.72 + bonus  # below ~0.72 a pairing is worse than leaving both unaligned

    best = np.full((n + 1, m + 1), -np.inf)
    back: dict[tuple[int, int], tuple[int, int]] = {}
    best[0, 0] = 0.0
    moves = ((1, 1), (1, 2), (2, 1), (1, 0), (0, 1))
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            for di, dj in moves:
                pi, pj = i - di, j - dj
                if pi < 0 or pj < 0 or best[pi, pj] == -np.inf:
                    continue
                gain = 0.0 if di == 0 or dj == 0 else score(list(range(pi, i)), list(range(pj, j)))
                if best[pi, pj] + gain > best[i, j]:
                    best[i, j] = best[pi, pj] + gain
                    back[(i, j)] = (pi, pj)
    beads = []
    i, j = n, m
    while (i, j) != (0, 0):
        pi, pj = back[(i, j)]
        if i > pi and j > pj:
            beads.append((list(range(pi, i)), list(range(pj, j))))
        i, j = pi, pj
    return beads[::-1]


@dataclass
class _Sentences:
    """A document's whole sentences (pieces of long ones merged back), for alignment."""

    spans: list[tuple[int, int]]
    vecs: np.ndarray
    texts: list[str]
    pieces: list[list[tuple[str, dict]]]


def _sentences(store: Store, doc_id: str, text: str) -> _Sentences:
    got = store.get_document_parts(store.sentences, doc_id)
    pieces = sorted(zip(got["ids"], got["metadatas"], got["embeddings"], strict=True), key=lambda p: p[1]["index"])
    spans = sentence_spans(text)
    groups: list[list[int]] = [[] for _ in spans]
    k = 0
    for n, (_, meta, _) in enumerate(pieces):
        while k < len(spans) - 1 and meta["start"] >= spans[k][1]:
            k += 1
        groups[k].append(n)
    keep = [k for k, g in enumerate(groups) if g]
    vecs = []
    for k in keep:
        v = np.mean([pieces[n][2] for n in groups[k]], axis=0)
        vecs.append(v / (np.linalg.norm(v) or 1.0))
    return _Sentences(
        spans=[spans[k] for k in keep],
        vecs=np.asarray(vecs, dtype=np.float32),
        texts=[text[spans[k][0] : spans[k][1]] for k in keep],
        pieces=[[(pieces[n][0], pieces[n][1]) for n in groups[k]] for k in keep],
    )


def link_twins(store: Store) -> dict[str, str]:
    """Find twin documents, align their sentences and record each sentence's twin span."""
    twins = find_pairs(store)
    for doc_id, rec in store.records().items():
        if rec.twin != twins.get(doc_id, ""):
            store.set_twin(doc_id, twins.get(doc_id, ""))
    done = set()
    for a, b in twins.items():
        if (b, a) in done:
            continue
        done.add((a, b))
        sa = _sentences(store, a, store.document_text(a) or "")
        sb = _sentences(store, b, store.document_text(b) or "")
        a_upd, b_upd = {}, {}
        for ia, ib in align(sa.vecs, sb.vecs, sa.texts, sb.texts):
            a_span = (sa.spans[ia[0]][0], sa.spans[ia[-1]][1])
            b_span = (sb.spans[ib[0]][0], sb.spans[ib[-1]][1])
            for i in ia:
                for pid, meta in sa.pieces[i]:
                    a_upd[pid] = meta | {"twin": json.dumps([b, *b_span])}
            for j in ib:
                for pid, meta in sb.pieces[j]:
                    b_upd[pid] = meta | {"twin": json.dumps([a, *a_span])}
        for upd in (a_upd, b_upd):
            if upd:
                store.sentences.update(ids=list(upd), metadatas=list(upd.values()))
    return twins


def dated_by_twins(records: dict[str, DocRecord]) -> dict[str, DocRecord]:
    """Return the records with each undated document given its translation twin's date (marked in
    date_from): a translation reports the same event, and a date filter should find both versions."""
    out = dict(records)
    for doc_id, rec in records.items():
        twin = records.get(rec.twin)
        if not rec.date and twin is not None and twin.date:
            out[doc_id] = replace(rec, date=twin.date, date_from=twin.doc_id)
    return out
