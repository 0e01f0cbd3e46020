"""Hybrid retrieval: dense (Chroma) and keyword (BM25 over folded stems), ordered by the fitted ranker."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from . import ranking
from .keyword import KeywordIndex
from .ranking import Channels, RankerWeights, Ranking
from .store import Store, sentence_id
from .text import keyword_tokens

# A keyword that occurs in at most this many chunks names something (a person, body, figure).
RARE_DF = 1
# Chunks whose text and metadata a Retriever keeps once read (a few MB at most).
CHUNK_CACHE = 2048
# A shard of sentences too large to search whole (Shards.searchable: its vectors are kept out of Chroma's
# index) is searched among the sentences of its language's this many nearest chunks.
SENTENCE_POOL = 100


def date_number(date: str | None) -> int:
    """Return YYYYMMDD as an int (0 for no date), so dates compare as numbers (Chroma filters too)."""
    return int(date.replace("-", "")) if date else 0


def _is_iso_date(value) -> bool:
    """Return whether value is a date written YYYY-MM-DD."""
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to languages, documents and a date range (ISO dates, inclusive)."""

    languages: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None

    def __post_init__(self):
        # Dates compare as YYYYMMDD numbers, so anything but a whole ISO date would filter wrongly (or fail deep
        # in the search, read as a damaged store): it is refused where it is given.
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None and not _is_iso_date(value):
                raise ValueError(f"{name}={value!r} is not a date: use YYYY-MM-DD")

    def allows(self, doc_id: str, language: str, date: str) -> bool:
        """Return whether a document with this id, language and date passes the filters."""
        number = date_number(date)
        return (
            (not self.languages or language in self.languages)
            and (not self.doc_ids or doc_id in self.doc_ids)
            and (not self.date_from or number >= date_number(self.date_from))
            and (not self.date_to or 0 < number <= date_number(self.date_to))
        )


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with what each retriever thought of it."""

    chunk_id: str
    text: str
    meta: dict
    score: float  # the chunk ranker's probability (the reciprocal-rank score without fitted weights)


# What a question names, for the chunks that alone hold it (Retriever._named_by_all): two or more of its words
# that each stand in at most NAME_DF chunks (a name is mentioned a few times, and a sentence of overlap puts one
# mention in two chunks), all held by at most NAMED_CHUNKS chunks; or rare tokens (in one chunk), two or more of
# them or a name's, all in one chunk.
NAME_DF = 10
NAMED_TOKENS = 2
NAMED_CHUNKS = 3


class Retriever:
    """Searches chunks by meaning (whole chunks and single sentences) and by rare words at once."""

    def __init__(self, store: Store, keyword: KeywordIndex, records: dict):
        self.store = store
        self.keyword = keyword
        self.records = records  # the indexed documents by id: their languages and dates
        self.languages = sorted({r.language for r in records.values()})
        self._spans: dict[str, dict[int, tuple[str, ...]]] = {}
        # Text and metadata of chunks already read, by id. A chunk id names one content (it changes with its
        # document's), and a Retriever lives only as long as the store it was made for (Assistant._reload).
        self._chunk_texts: dict[str, tuple[str, dict]] = {}

    def search(
        self,
        question_vec: np.ndarray,  # one row per phrasing of the question
        tokens: list[str],
        k: int,
        filters: Filters | None = None,
        boost_docs: Iterable[str] = (),
        depth: int = 15,
        language: str = "",
        weights: RankerWeights | None | bool = True,
    ) -> list[Hit]:
        """Return the k best chunks of the rankings below, ordered by the fitted ranker (ranking.py; weights:
        True for the shipped ones, None for reciprocal-rank fusion); chunks of boost_docs (the documents a
        conversation is about) are marked as carried.

        - Dense, per document language: cosine similarity across languages runs lower than within one,
          so a single ranking buries the only report that answers in another language. Each language
          gets a ranking of chunks and one of sentences (a sentence ranks the chunks that hold it):
          a short sentence matches a question across languages more sharply than a whole chunk.
        - Keywords: BM25 over the question's rare tokens (in at most RARE_DF chunks: names, acronyms,
          figures). Common stems match reports in the question's own language whatever they say, which
          on cross-lingual questions outvotes the report that answers.
        """
        return self.rank(question_vec, tokens, k, filters, boost_docs, depth, language, weights)[0]

    def rank(self, question_vec: np.ndarray, tokens: list[str], k: int, filters: Filters | None = None,
             boost_docs: Iterable[str] = (), depth: int = 15, language: str = "",
             weights: RankerWeights | None | bool = True) -> tuple[list[Hit], Ranking]:
        """Return search()'s hits and the ranking of every candidate they were chosen from."""
        filters = filters or Filters()
        languages = [lang for lang in self.languages if not filters.languages or lang in filters.languages]
        # Each language has its own collections, so the language filter is the collection itself; document
        # and date filters become the list of documents they leave, read from the records (an undated
        # translation has its twin's date there).
        allowed = self._allowed_docs(filters)
        where = {"doc_id": {"$in": allowed}} if allowed is not None else None
        n = max(depth, k)
        # A name its report repeats in every chunk is as telling as one in a single chunk (in_few_reports): its
        # name prefix or skeleton token ("^wenlow", "~fnl"), the one a transliteration keeps. Not a plain stem
        # in few reports: those vote on a topic's words, not a name, and cost held-out answers (docs/history.md).
        rare = [t for t in tokens if 0 < self.keyword.document_frequency(t) <= RARE_DF
                or t[:1] in "^~" and self.keyword.in_few_reports(t)]
        # Chroma's searches release the GIL: the languages' searches overlap (and BM25 runs meanwhile). A small
        # shard already held in memory is searched here and now: its dot product takes microseconds, and handing
        # it to a thread and back cost more than that, most of all on a busy machine.
        # A language whose sentences are searched within its nearest chunks makes one chunk search for both.
        whole = [lang for lang in languages if self.store.sentences.searchable(lang)]
        pooled = {lang: _pool().submit(self._pooled_rankings, question_vec, n, where, lang)
                  for lang in languages if lang not in whole}
        chunk_jobs = {lang: _job(self.store.chunks.held(lang), self.store.query_chunks, question_vec, n, where, lang)
                      for lang in whole}
        sentence_jobs = {lang: _job(self.store.sentences.held(lang), self._sentence_ranking, question_vec, n, where,
                                    lang) for lang in whole}
        fields = {"language": set(filters.languages)} if filters.languages else {}
        if allowed is not None:
            fields["doc_id"] = set(allowed)
        keyword = self.keyword.search(rare, n, self.keyword.mask(fields))
        both = {lang: job.result() for lang, job in pooled.items()}
        channels = Channels({lang: job.result() for lang, job in chunk_jobs.items()} | {
                                lang: chunks for lang, (chunks, _) in both.items()},
                            {lang: job.result() for lang, job in sentence_jobs.items()} | {
                                lang: sentences for lang, (_, sentences) in both.items()},
                            [cid for cid, _score in keyword])
        chosen = ranking.shipped() if weights is True else weights
        ranked = ranking.rank(channels, language, self._language_of, frozenset(boost_docs), self._doc_of, chosen)
        score = dict(zip(ranked.ids, ranked.scores.tolist(), strict=True))
        # Each hit gets its own metadata dict: the kept one must not change with what a caller does to it.
        hits = [Hit(cid, text, dict(meta), score[cid]) for cid, (text, meta) in self._texts(list(ranked.ids), k)]
        held = {h.chunk_id for h in hits}
        named = [c for c in self._named_by_all(tokens, rare, keyword, fields) if c not in held]
        # one no ranking found gets no ranker score: the scorer reads it as the weakest retrieval
        hits += [Hit(cid, text, dict(meta), score.get(cid, 0.0)) for cid, (text, meta) in self._texts(named, len(named))]
        return hits, ranked

    def _named_by_all(self, tokens: list[str], rare: list[str], keyword: list[tuple[str, float]],
                      fields: dict) -> list[str]:
        """Return the chunks that alone hold what the question names: every one of its distinctive words (two or
        more words, each in at most NAME_DF chunks: a first and a last name, a name and a place), when at most
        NAMED_CHUNKS chunks hold them all; or the one chunk the keyword search found for its rare tokens, two
        or more of them or a name's among them.

        The ranker weighs keyword evidence against meaning, and a name typed in lower case ("ko je ognjen
        stanić") can read like nothing in the reports: every channel but the keyword one lost the only chunks
        that name it. They still join the candidates (after the ranked ones, so the ranking stands); whether
        one of their sentences answers is the scorer's to say."""
        # a word's own token, not its name prefix or skeleton: each word counts once
        words = list(dict.fromkeys(t for t in tokens if t[0] not in "^~"
                                   and 0 < self.keyword.document_frequency(t) <= NAME_DF))
        if len(words) >= NAMED_TOKENS:
            mask = self.keyword.mask(fields)
            holding = self.keyword.holding(words, mask)
            if 0 < len(holding) <= NAMED_CHUNKS:
                # best match first, as the keyword search orders them
                order = {cid: n for n, (cid, _) in enumerate(self.keyword.search(words, NAME_DF * len(words), mask))}
                return sorted(holding, key=lambda cid: order.get(cid, len(order)))
        named = len(rare) >= NAMED_TOKENS or any(t.startswith("^") for t in rare)
        return [keyword[0][0]] if len(keyword) == 1 and named else []

    def hits(self, ids: list[str]) -> list[Hit]:
        """Return the chunks of ids the store still holds, with their text and metadata (score 0)."""
        return [Hit(cid, text, dict(meta), 0.0) for cid, (text, meta) in self._texts(list(ids), len(ids))]

    def _texts(self, ranked: list[str], k: int) -> list[tuple[str, tuple[str, dict]]]:
        """Return the first k chunks of ranked that the store still holds, with their text and metadata, read
        in one get per language (a chunk deleted since it was ranked makes room for the next)."""
        found: dict[str, tuple[str, dict]] = {}
        start = 0
        while start < len(ranked) and len(found) < k:
            batch = ranked[start : start + k - len(found)]
            start += len(batch)
            by_language: dict[str, list[str]] = {}
            for cid in batch:
                if cid in self._chunk_texts:
                    found[cid] = self._chunk_texts[cid]
                else:
                    by_language.setdefault(self._language_of(cid), []).append(cid)
            for lang, ids in by_language.items():
                got = self.store.get_chunks(ids, lang or None)
                found.update(got)
                self._remember(got)
        return [(cid, found[cid]) for cid in ranked[:start] if cid in found]

    def _remember(self, texts: dict[str, tuple[str, dict]]) -> None:
        """Keep chunks' texts and metadata for the next question, the oldest going past CHUNK_CACHE."""
        self._chunk_texts.update(texts)
        if len(self._chunk_texts) > CHUNK_CACHE:
            for cid in list(self._chunk_texts)[: len(self._chunk_texts) - CHUNK_CACHE]:
                del self._chunk_texts[cid]

    def _allowed_docs(self, filters: Filters) -> list[str] | None:
        """Return the documents a date or document filter leaves, None for all."""
        if not (filters.doc_ids or filters.date_from or filters.date_to):
            return None
        return [d for d, r in self.records.items() if filters.allows(d, r.language, r.date)] or ["\0none"]

    def _sentence_ranking(self, vectors: np.ndarray, n: int, where: dict | None,
                          language: str) -> list[tuple[str, float]]:
        """Return (chunk id, similarity of its best sentence) among a language's n nearest sentences, best
        first."""
        if not self.store.sentences.searchable(language):
            return self._pooled_rankings(vectors, n, where, language)[1]
        return self._chunks_of_sentences(self.store.query_sentences(vectors, n, where, language))

    def _pooled_rankings(self, vectors: np.ndarray, n: int, where: dict | None,
                         language: str) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """Return a language's chunk ranking and sentence ranking (as _sentence_ranking) when its sentences
        are too many to search whole: its SENTENCE_POOL chunks nearest to the question are found, and the
        sentences they hold are scored. A sentence whose chunk is outside the pool is not found: how often
        that happens on a large corpus is not measured (README, Performance)."""
        pool = self.store.query_chunks(vectors, max(SENTENCE_POOL, n), where, language)
        ids = []
        for cid, _sim in pool:
            prefix = cid.rsplit(":", 1)[0]  # a chunk's id is its document's prefix and its index (sentence_id)
            known = self.keyword.sentence_range(cid)
            indexes = range(known[0], known[1] + 1) if known else self._chunk_sentences(self._doc_of(cid)).get(cid, ())
            ids += [sentence_id(prefix, index) for index in indexes]
        return pool[:n], self._chunks_of_sentences(self.store.score_sentences(vectors, ids, n, language))

    def _chunks_of_sentences(self, found: list[tuple[str, int, float]]) -> list[tuple[str, float]]:
        """Return (chunk id, similarity of its best sentence) for sentences found as (doc, index, similarity)."""
        best: dict[str, float] = {}
        for doc_id, index, sim in found:
            for cid in self._sentence_chunks(doc_id).get(index, ()):
                if sim > best.get(cid, -1.0):
                    best[cid] = sim
        return sorted(best.items(), key=lambda r: -r[1])

    def _chunk_sentences(self, doc_id: str) -> dict[str, tuple[int, ...]]:
        """Return, for each chunk of a document, the indexes of the sentences it holds."""
        out: dict[str, list[int]] = {}
        for index, chunks in sorted(self._sentence_chunks(doc_id).items()):
            for cid in chunks:
                out.setdefault(cid, []).append(index)
        return {cid: tuple(indexes) for cid, indexes in out.items()}

    def _sentence_chunks(self, doc_id: str) -> dict[int, tuple[str, ...]]:
        """Return, for each sentence index of a document, the chunks that hold it (cached per document)."""
        if doc_id not in self._spans:
            # From the keyword index's chunk table when it knows the chunks' sentences: no store round trip,
            # which at 100k chunks cost tens of ms for each document a question first touched.
            known = self.keyword.sentence_chunks(doc_id)
            if known is not None:
                self._spans[doc_id] = known
                return known
            language = self.records[doc_id].language if doc_id in self.records else None
            chunks = self.store.chunks.get(where={"doc_id": doc_id}, include=["metadatas"], language=language)
            sents = self.store.sentences.get(where={"doc_id": doc_id}, include=["metadatas"], language=language)
            spans = [(i, m["start"], m["end"]) for i, m in zip(chunks["ids"], chunks["metadatas"], strict=True)]
            self._spans[doc_id] = {
                m["index"]: tuple(cid for cid, c_start, c_end in spans if c_start <= m["start"] and m["end"] <= c_end)
                for m in sents["metadatas"]
            }
        return self._spans[doc_id]

    def _doc_of(self, cid: str) -> str:
        return cid.split(":", 1)[0]  # chunk ids start with their doc_id, which has no colon

    def _language_of(self, cid: str) -> str:
        rec = self.records.get(self._doc_of(cid))
        return rec.language if rec else ""


_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="retrieval")
    return _POOL


def _job(here: bool, fn, *args) -> Future:
    """Return the future of fn(*args): run here and now when here is true, else on the retrieval pool."""
    if not here:
        return _pool().submit(fn, *args)
    done: Future = Future()
    try:
        done.set_result(fn(*args))
    except Exception as e:  # raised where the pool's future would raise it: at result()
        done.set_exception(e)
    return done


def query_tokens(question: str, language: str) -> list[str]:
    """Return the keyword tokens of a question (long words also as name prefixes and skeletons)."""
    return keyword_tokens(question, language, query=True)
