"""Hybrid retrieval: dense (Chroma) and keyword (BM25 over folded stems), fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from .ingest import date_number
from .keyword import KeywordIndex
from .store import Store
from .text import keyword_tokens

RRF_K = 60
# A keyword that occurs in at most this many chunks names something (a person, body, figure).
RARE_DF = 1


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to languages, documents and a date range (ISO dates, inclusive)."""

    languages: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None

    def chroma_where(self) -> dict | None:
        """Return the Chroma `where` clause for these filters, None for no filter."""
        clauses: list[dict] = []
        if self.languages:
            clauses.append({"language": {"$in": list(self.languages)}})
        if self.doc_ids:
            clauses.append({"doc_id": {"$in": list(self.doc_ids)}})
        if self.date_from:
            clauses.append({"date_num": {"$gte": date_number(self.date_from)}})
        if self.date_to:
            clauses.append({"date_num": {"$lte": date_number(self.date_to)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def allows(self, doc_id: str, language: str, date: str) -> bool:
        """Return whether a document with this id, language and date passes the filters."""
        number = date_number(date)
        return (
            (not self.languages or language in self.languages)
            and (not self.doc_ids or doc_id in self.doc_ids)
            and (not self.date_from or number >= date_number(self.date_from))
            and (not self.date_to or 0 < number <= date_number(self.date_to))
        )

    def keyword_weights(self, index: KeywordIndex) -> np.ndarray | None:
        """Return a 0/1 weight per keyword-index row for these filters, None for no filter."""
        if not (self.languages or self.doc_ids or self.date_from or self.date_to):
            return None
        weights = index.mask({k: set(v) for k, v in (("language", self.languages), ("doc_id", self.doc_ids)) if v})
        if weights is None:
            weights = np.ones(len(index), dtype=np.float32)
        dates = np.asarray(index.fields.get("date_num", [0] * len(index)))
        if self.date_from:
            weights = weights * (dates >= date_number(self.date_from))
        if self.date_to:
            weights = weights * ((dates <= date_number(self.date_to)) & (dates > 0))
        return weights.astype(np.float32)


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with what each retriever thought of it."""

    chunk_id: str
    text: str
    meta: dict
    fused: float


class Retriever:
    """Searches chunks by meaning (whole chunks and single sentences) and by rare words at once."""

    def __init__(self, store: Store, keyword: KeywordIndex, records: dict):
        self.store = store
        self.keyword = keyword
        self.records = records  # the indexed documents by id: their languages and dates
        self.languages = sorted({r.language for r in records.values()})
        self._spans: dict[str, list[tuple[str, int, int]]] = {}

    def search(
        self,
        question_vec: np.ndarray,  # one row per phrasing of the question
        tokens: list[str],
        k: int,
        filters: Filters | None = None,
        boost_docs: Iterable[str] = (),
        depth: int = 15,
    ) -> list[Hit]:
        """Return the k best chunks by reciprocal-rank fusion of the rankings below; chunks of
        boost_docs (the documents a conversation is about) get one extra top-rank vote.

        - Dense, per document language: cosine similarity across languages runs lower than within one,
          so a single ranking buries the only report that answers in another language. Each language
          gets a ranking of chunks and one of sentences (a sentence ranks the chunks that hold it):
          a short sentence matches a question across languages more sharply than a whole chunk.
        - Keywords: BM25 over the question's rare tokens (in at most RARE_DF chunks: names, acronyms,
          figures). Common stems match reports in the question's own language whatever they say, which
          on cross-lingual questions outvotes the report that answers.
        """
        filters = filters or Filters()
        languages = [lang for lang in self.languages if not filters.languages or lang in filters.languages]
        rankings: list[list[str]] = []
        info: dict[str, tuple[str, dict, float]] = {}
        allowed = self._allowed_docs(filters)
        for lang in languages or [None]:
            scoped = replace(filters, languages=(lang,)) if lang else filters
            dense = self.store.query_chunks(question_vec, max(depth, k), scoped.chroma_where())
            rankings.append([cid for cid, *_rest in dense])
            info.update({cid: (text, meta, sim) for cid, sim, text, meta in dense})
            where = {"language": lang} if lang else None
            if allowed is not None:
                where = {"$and": [where, {"doc_id": {"$in": allowed}}]} if where else {"doc_id": {"$in": allowed}}
            rankings.append(self._sentence_ranking(question_vec, max(depth, k), where))
        rare = [t for t in tokens if 0 < self.keyword.document_frequency(t) <= RARE_DF]
        keyword = self.keyword.search(rare, max(depth, k), filters.keyword_weights(self.keyword))
        rankings.append([cid for cid, _score in keyword])
        fused: dict[str, float] = {}
        for ranking in rankings:
            for rank, cid in enumerate(ranking):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
        missing = [cid for cid in fused if cid not in info]
        for cid, (text, meta) in self.store.get_chunks(missing).items():
            info[cid] = (text, meta, 0.0)  # found through a sentence or a keyword only
        boost = set(boost_docs)
        if boost:
            for cid in fused:
                if cid in info and info[cid][1]["doc_id"] in boost:
                    fused[cid] += 1.0 / (RRF_K + 1)
        ranked = sorted((cid for cid in fused if cid in info), key=lambda c: -fused[c])[:k]
        return [Hit(cid, info[cid][0], info[cid][1], fused[cid]) for cid in ranked]

    def _allowed_docs(self, filters: Filters) -> list[str] | None:
        """Return the documents a date or document filter leaves (sentences carry no dates), None for all."""
        if not (filters.doc_ids or filters.date_from or filters.date_to):
            return None
        return [d for d, r in self.records.items() if filters.allows(d, r.language, r.date)] or ["\0none"]

    def _sentence_ranking(self, vectors: np.ndarray, n: int, where: dict | None) -> list[str]:
        """Return chunk ids ordered by the best sentence of theirs among the n nearest sentences."""
        best: dict[str, float] = {}
        for doc_id, start, end, sim in self.store.query_sentences(vectors, n, where):
            for cid, c_start, c_end in self._chunk_spans(doc_id):
                if c_start <= start and end <= c_end and sim > best.get(cid, -1.0):
                    best[cid] = sim
        return sorted(best, key=lambda c: -best[c])

    def _chunk_spans(self, doc_id: str) -> list[tuple[str, int, int]]:
        if doc_id not in self._spans:
            got = self.store.chunks.get(where={"doc_id": doc_id}, include=["metadatas"])
            self._spans[doc_id] = [(i, m["start"], m["end"]) for i, m in zip(got["ids"], got["metadatas"], strict=True)]
        return self._spans[doc_id]


def query_tokens(question: str, language: str) -> list[str]:
    """Return the keyword tokens of a question (long words also as name prefixes and skeletons)."""
    return keyword_tokens(question, language, query=True)
