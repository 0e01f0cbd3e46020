"""Which chunks an answer reads: every chunk a retrieval channel found becomes a row of features, and a
logistic model fitted on the eval sets' gold spans (`assistant eval --fit`, read from ranker.json) orders
them.

Retrieval searches each document language apart (cosine similarity across languages runs lower than
within one), by whole chunks and by single sentences, and by rare words. Fusing those rankings by rank
alone gave every language's best chunk the same vote, so a question whose answer is in one language had
its top five filled with the best guesses of the others. The features say how a chunk stands within its
own language's ranking (rank, gap to that language's best, how far it stands out from the rest of the
list) and against every language's best, so the model learns how much a lead in one language is worth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

WEIGHTS_FILE = Path(__file__).with_name("ranker.json")
RRF_K = 60  # reciprocal-rank fusion, the order used when no fitted weights are at hand

_CHANNEL = (
    "rank",  # 1 / (rank + 1) in its language's ranking
    "gap",  # similarity minus its language's best
    "z",  # similarity against the rest of its language's list (standardised)
    "vs_best",  # similarity minus the best of every language
    "found",  # the channel found it at all
)
FEATURES = (
    tuple(f"chunk_{n}" for n in _CHANNEL)  # the chunk's own vector
    + tuple(f"sentence_{n}" for n in _CHANNEL)  # its best sentence's vector
    + (
        "keyword_rank",  # 1 / (rank + 1) by BM25 over the question's rare words (0 when absent)
        "same_language",  # the chunk is in the question's language
        "carried",  # the chunk is in a report the conversation is about
    )
)
_MISSING_GAP = -0.3  # a similarity gap larger than the channels' lists show (a chunk the channel did not find)
_MISSING_Z = -2.0


@dataclass(frozen=True)
class Channels:
    """What each retrieval channel found, best first: per document language, chunks by their own
    similarity and by their best sentence's; and chunk ids by BM25 over rare words."""

    chunks: dict[str, list[tuple[str, float]]]
    sentences: dict[str, list[tuple[str, float]]]
    keyword: list[str]


@dataclass(frozen=True)
class Ranking:
    """The candidate chunks of one search with their feature rows, best first, and each one's score."""

    ids: tuple[str, ...]
    x: np.ndarray = field(repr=False)
    scores: np.ndarray = field(repr=False)


def features(channels: Channels, question_language: str, language_of, carried: frozenset[str] | set[str],
             doc_of) -> tuple[list[str], np.ndarray]:
    """Return the candidate chunk ids and their feature rows (FEATURES order)."""
    rows: dict[str, np.ndarray] = {}
    width = len(_CHANNEL)
    for offset, lists in ((0, channels.chunks), (width, channels.sentences)):
        best = max((r[0][1] for r in lists.values() if r), default=0.0)
        for ranked in lists.values():
            if not ranked:
                continue
            sims = np.array([s for _, s in ranked])
            mean, spread = sims.mean(), sims.std() + 1e-3
            for i, (cid, sim) in enumerate(ranked):
                row = rows.get(cid)
                if row is None:
                    row = rows[cid] = _empty()
                row[offset : offset + width] = (1.0 / (i + 1), sim - ranked[0][1], (sim - mean) / spread,
                                                sim - best, 1.0)
    for i, cid in enumerate(channels.keyword):
        row = rows.get(cid)
        if row is None:
            row = rows[cid] = _empty()
        row[2 * width] = 1.0 / (i + 1)
    ids = list(rows)
    for cid in ids:
        rows[cid][2 * width + 1] = float(language_of(cid) == question_language)
        rows[cid][2 * width + 2] = float(doc_of(cid) in carried)
    x = np.stack([rows[c] for c in ids]) if ids else np.zeros((0, len(FEATURES)))
    return ids, x


def _empty() -> np.ndarray:
    row = np.zeros(len(FEATURES))
    for offset in (0, len(_CHANNEL)):
        row[offset + 1] = row[offset + 3] = _MISSING_GAP
        row[offset + 2] = _MISSING_Z
    return row


def reciprocal_rank(channels: Channels, carried: frozenset[str] | set[str], doc_of) -> dict[str, float]:
    """Return each chunk's reciprocal-rank fusion score (chunks of carried reports get one more top vote)."""
    fused: dict[str, float] = {}
    rankings = [[c for c, _ in r] for r in (*channels.chunks.values(), *channels.sentences.values())]
    for ranking in [*rankings, channels.keyword]:
        for rank, cid in enumerate(ranking):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
    for cid in fused:
        if doc_of(cid) in carried:
            fused[cid] += 1.0 / (RRF_K + 1)
    return fused


@dataclass(frozen=True)
class RankerWeights:
    """A logistic model over FEATURES (coefficients on raw features, standardisation folded in)."""

    coef: tuple[float, ...]
    bias: float

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Return the probability that each row's chunk holds the answer."""
        z = x @ np.asarray(self.coef) + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def to_json(self) -> dict:
        return {"features": list(FEATURES), "coef": list(self.coef), "bias": self.bias}

    @classmethod
    def from_json(cls, data: dict) -> RankerWeights | None:
        """Return the weights, or None when they were fitted on other features than this code computes."""
        if data.get("features") != list(FEATURES):
            return None
        return cls(tuple(float(c) for c in data["coef"]), float(data["bias"]))


@lru_cache(maxsize=1)
def shipped() -> RankerWeights | None:
    """Return the weights in ranker.json, or None (then chunks are fused by reciprocal rank)."""
    try:
        return RankerWeights.from_json(json.loads(WEIGHTS_FILE.read_text("utf-8")))
    except (OSError, ValueError, KeyError):
        return None


def rank(channels: Channels, question_language: str, language_of, carried, doc_of,
         weights: RankerWeights | None) -> Ranking:
    """Return the candidates ordered best first: by the fitted model, or by reciprocal rank without one."""
    ids, x = features(channels, question_language, language_of, carried, doc_of)
    if weights is not None:
        scores = weights.probabilities(x)
    else:
        fused = reciprocal_rank(channels, carried, doc_of)
        scores = np.array([fused[c] for c in ids])
    order = np.argsort(-scores, kind="stable")
    return Ranking(tuple(ids[i] for i in order), x[order], scores[order])
