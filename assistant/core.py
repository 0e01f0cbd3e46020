"""Assistant: the one entry point the CLI, the web app and the evals use to ask and to ingest."""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import ranking
from .answer import Candidate, compose
from .answer import answer as extractive_answer
from .chat import IndexView, as_messages, contextualise, said, told, trim
from .chunking import chunk_prefix
from .config import Settings, setup_offline_env
from .embedding import embed_passages, embed_queries, get_embedder
from .errors import LLMError  # not from .llm: a question without an LLM does not import it
from .facts import Facts, facts_for, use_saved_names
from .glossary import expand
from .inputs import valid_text, worth_searching
from .keyword import KeywordIndex, keyword_signature
from .langmodel import use_saved_model
from .messages import courtesy
from .query import Query, parse
from .ranking import RankerWeights, Ranking
from .retrieval import Filters, Hit, Retriever
from .store import (
    DocRecord,
    ServerUnreachable,
    Store,
    forget_client,
    server_unreachable,
    unreachable_message,
)
from .text import (
    body_positions,
    cognate_keys,
    content_words,
    detect_language,
    embedding_form,
    is_heading,
    ordinary_case,
)
from .twins import dated_by_twins
from .types import Answer, Message, Passage, Twin
from .versions import by_document, versions_of, with_other_versions

if TYPE_CHECKING:
    from .ingest import IngestReport, Progress

MIN_SENTENCES_FOR_CENTRE = 3
TYPICAL_CENTRALITY = 0.92
# The answerer also reads this many more chunks of the best hit's report, the next it ranks (_same_report).
REPORT_MORE = 3


class QuestionError(ValueError):
    """A question the assistant will not take (empty, too long); the message says what to do."""


# What a question typed in a Markdown habit carries that is no part of its words: emphasis ("**What** is the
# _fine_?"; \w reads "_fine_" as one word, which no report holds), code marks, and a line's list or quote marker.
_EMPHASIS = re.compile(r"`+|(?<![\w])[*_]+|[*_]+(?![\w])")
_LINE_MARK = re.compile(r"(?m)^[ \t]*(?:[-+>]|#{1,6}|\d+[.)])[ \t]+")


def without_markup(question: str) -> str:
    """Return a question without the Markdown marks around its words and at its lines' starts."""
    return _EMPHASIS.sub("", _LINE_MARK.sub("", question))


def checked_question(question, limit: int) -> str:
    """Return the question stripped, or raise QuestionError saying what is wrong with it (limit: its most
    characters)."""
    if question is not None and not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("the question is empty: type a question about the reports")
    plain = without_markup(question)
    typed = len(question.strip())  # what the message says: the length as typed, as cli.echoed counts it
    question = ordinary_case(valid_text(" ".join((plain if plain.strip() else question).split())))
    if len(question) > limit:
        raise QuestionError(
            f"the question is {typed:,} characters long; the limit is {limit:,} — ask about one thing at a time"
        )
    return question


class EmptyIndexError(RuntimeError):
    """Nothing is indexed yet."""


class StoreError(RuntimeError):
    """The store could not be read (a Chroma server that stopped, damaged files); the message says what to do."""


# What asking can run into that the person can act on (a question it will not take, nothing indexed, a store or
# an LLM server that fails): every front end says it in one line and goes on.
ASK_ERRORS = (QuestionError, EmptyIndexError, StoreError, LLMError)


@dataclass(frozen=True)
class _DocSentences:
    ids: list[str]
    starts: np.ndarray
    ends: np.ndarray
    vectors: np.ndarray
    twins: list[tuple[str, int, int] | None]
    words: list[frozenset[str]]  # content words of each sentence
    cognates: list[frozenset[str]]  # and their skeletons (text.cognate_keys)
    facts: list[Facts]
    centrality: np.ndarray  # each sentence's closeness to the report's mean sentence vector
    report_words: frozenset[str] = frozenset()
    report_countries: frozenset[str] = frozenset()
    report_lead: frozenset[str] = frozenset()
    positions: list[int] = field(default_factory=list)  # text.body_positions of the sentences


class Assistant:
    """Answers questions about the indexed reports, citing the passages every sentence comes from."""

    def __init__(self, settings: Settings | None = None, answerer=None):
        setup_offline_env()
        self.settings = settings or Settings.from_env()
        self.store = Store(self.settings)
        use_saved_names(self.settings.names_path)
        use_saved_model(self.settings.language_model_path)
        self.embedder = get_embedder(self.settings)
        self._lock = threading.RLock()
        self.ranker: RankerWeights | None = ranking.shipped()  # ranker.json's; None: reciprocal-rank fusion
        self._llm = answerer
        if self._llm is None and self.settings.answerer != "extractive":
            from .llm import LLMAnswerer

            self._llm = LLMAnswerer(self.settings, embed=lambda texts: embed_passages(self.embedder, texts))
        self._reload()

    def _reload(self) -> None:
        with self._lock:
            # The server's generation first, so that a write from elsewhere during this load is seen by the next
            # question; this directory's files last, since a keyword index made again below rewrites them.
            generation = self.store.generation()
            self.keyword = KeywordIndex(self.settings.keyword_path)
            self.records: dict[str, DocRecord] = dated_by_twins(self.store.records())
            self.retriever = Retriever(self.store, self.keyword, self.records)
            self._texts: dict[str, str] = {}
            self._sentences: dict[str, _DocSentences] = {}
            self._versions: dict[str, dict[str, tuple[str, ...]]] = {}  # "of": versions.by_document, once asked
            if self.records:
                if self.keyword.signature != keyword_signature(self.records):
                    from .ingest import Ingestor  # only here and in ingest(): a question never imports it
                    from .writelock import write_lock_if_free

                    # Stale stored tokens are stored anew only when no ingest is writing (ingest does it too).
                    with write_lock_if_free(self.settings.home) as free:
                        Ingestor(self.settings, store=self.store).refresh_keyword_index(self.records, write_back=free)
                    self.keyword = KeywordIndex(self.settings.keyword_path)
                    self.retriever = Retriever(self.store, self.keyword, self.records)
            self._stamp = (*self._local_stamp(), generation)

    def stale_documents(self) -> list[str]:
        """Return the documents whose vectors were made another way than questions are now embedded (an
        older build, another Settings.chunk_vectors): they are found less well until an ingest makes them
        again."""
        return sorted(d for d, r in self.records.items() if not r.embedded_as(self.settings.chunk_vectors))

    def _store_stamp(self) -> tuple:
        """Return what every ingest that changed something rewrites last, in any process: the keyword index
        and the twins signature in this data directory (two stat calls), and on a Chroma server the store's
        generation, which ingests from other data directories write too (one small request)."""
        return (*self._local_stamp(), self.store.generation())

    def _local_stamp(self) -> tuple:
        out = []
        for path in (self.settings.keyword_path / "chunks.json", self.settings.home / "twins.sig"):
            try:
                st = path.stat()
                out.append((st.st_ino, st.st_mtime_ns, st.st_size))
            except OSError:
                out.append(None)
        return tuple(out)

    def _fresh(self) -> None:
        """Read the store anew when another process (an `assistant ingest` here, or from another data directory
        into the same Chroma server) changed it; raise StoreError when the store cannot be asked."""
        try:
            stamp = self._store_stamp()
        except Exception as e:  # a server that stopped: said as the search would say it
            raise StoreError(self._store_failure(e)) from None
        if stamp != self._stamp:
            self._reopen()

    def _reopen(self) -> None:
        """Open the store again (a new Chroma client) and reload what is served from it, or raise StoreError."""
        from .doctor import StoreDamaged

        with self._lock:
            try:
                forget_client(self.settings)
                self.store = Store(self.settings)
                self._reload()
            except StoreDamaged as e:
                raise StoreError(str(e)) from None
            except (Exception, SystemExit) as e:  # the store's open exits when a server is unreachable
                raise StoreError(self._store_failure(e)) from None

    def _search(self, query: Query, k: int, filters: Filters | None = None) -> tuple[list[Hit], Ranking | None]:
        """Return retrieval's hits and the ranking of the candidates they were chosen from. A store changed
        under this process mid-question (hits whose chunk is gone, Chroma failing) is read anew and searched
        once more; a store that still fails is a StoreError."""
        for attempt in (0, 1):
            try:
                hits, ranked = self.retriever.rank(query.vectors, list(query.tokens), k, filters, query.carried_docs,
                                                   language=query.language, weights=self.ranker)
            except Exception as e:  # Chroma's errors have no common base; each means the same to a reader
                if attempt:
                    raise StoreError(self._store_failure(e)) from None
                self._reopen()
                continue
            if attempt or all(h.meta is not None for h in hits):
                return [h for h in hits if h.meta is not None and self._current(h)], ranked
            self._reopen()
        return [], None

    def _current(self, hit: Hit) -> bool:
        """Return whether a chunk is of a document as this process knows it. An ingest in this process (the
        web app's library worker, a script's ingest()) writes a changed report's new chunks before the
        records and cached texts are read again at its end: until then those chunks' offsets are not into the
        text document_text() gives, and are not answered from."""
        rec = self.records.get(hit.meta["doc_id"])
        return rec is None or hit.chunk_id.startswith(chunk_prefix(rec.doc_id, rec.content_hash) + ":")

    def ranked_by(self, weights: RankerWeights | None) -> Assistant:
        """Return this assistant (sharing its store, caches and answerer) ordering chunks by other ranker
        weights (None: reciprocal-rank fusion); held-out evaluation asks with weights fitted without a
        question's report."""
        other = copy.copy(self)
        other.ranker = weights
        return other

    def _store_failure(self, e: BaseException) -> str:
        """Return the one line a StoreError says: a server that cannot be reached is named as the CLI names it
        (its own message, not wrapped in another); any other failure with its cause, cut at a word."""
        if isinstance(e, ServerUnreachable):
            return e.reason
        if self.settings.chroma_url and server_unreachable(e):
            return unreachable_message(self.settings.chroma_url, e)
        detail = _shortened(" ".join(str(e).split()), 200) or type(e).__name__
        if self.settings.chroma_url:
            return (f"the Chroma server at {self.settings.chroma_url} failed ({detail}): check that it is running "
                    "and not full, then ask again")
        return f"the store in {self.settings.chroma_path} could not be read ({detail}): run `assistant doctor`"

    @property
    def answerer_name(self) -> str:
        """Return the active answerer: "extractive" or the LLM's name."""
        return self._llm.name if self._llm is not None else "extractive"

    # --- documents ---------------------------------------------------------------------------------

    def documents(self) -> list[DocRecord]:
        """Return the indexed documents, sorted by id: as the store holds them now, or, while it cannot be
        asked (a Chroma server that stopped), as they were last read (a page listing them still loads; a
        question says what is wrong)."""
        try:
            self._fresh()
        except StoreError:
            pass
        return sorted(self.records.values(), key=lambda r: r.doc_id)

    def document_text(self, doc_id: str) -> str | None:
        """Return the cleaned text of an indexed document (what citation offsets point into), or None."""
        if doc_id not in self._texts:
            text = self.store.document_text(doc_id)
            if text is None:
                return None
            self._texts[doc_id] = text
        return self._texts[doc_id]

    def ingest(self, paths: Iterable[Path], progress: Progress | None = None) -> IngestReport:
        """Ingest files and refresh what this assistant serves from."""
        from .ingest import Ingestor

        with self._lock:
            report = Ingestor(self.settings, store=self.store, progress=progress).run(paths)
            self._reload()
            return report

    # --- asking ----------------------------------------------------------------------------------

    @staticmethod
    def warm_up() -> None:
        """Load what questions otherwise load on first use: tiktoken's encoding (a conversation's history
        is counted in its tokens) and the character model that tells languages apart when a text's words
        do not (~0.8 s each). A served app calls this beside its first requests, so that no user waits."""
        from .chunking import count_tokens
        from .text import detect_language

        count_tokens("warm up")
        detect_language("Sednica saveta")  # no common word either way: the character model decides

    def check(self, question) -> str:
        """Return the question stripped, or raise QuestionError saying what is wrong with it."""
        return checked_question(question, self.settings.max_question_chars)

    def refusal(self, question) -> Answer | None:
        """Return the no-answer Answer for a question with nothing to search ("...", "???") or a turn that only
        thanks, greets or takes leave (said back in kind), None for one worth searching; raise QuestionError
        for one the assistant will not take at all."""
        question = self.check(question)
        reply = courtesy(question)
        if worth_searching(question) and reply is None:
            return None
        refused = compose(question, detect_language(question), [], self.answerer_name, standalone=question)
        return replace(refused, answer=reply) if reply else refused

    def ask(self, question: str, history: Iterable = (), filters: Filters | None = None,
            top_k: int | None = None, last: Answer | None = None) -> Answer:
        """Return the cited answer to question, reading history for follow-ups."""
        refused = self.refusal(question)
        if refused is not None:
            return refused
        query, messages, passages, candidates, ranked = self._prepare(question, history, filters, top_k, last)
        if self._llm is not None and not query.unresolved:
            answer = self._llm.answer(query.text, passages, messages, query.language)
            return self._paged(replace(answer, standalone_question=query.standalone, ranking=ranked))
        return self._paged(replace(self._extract(query, candidates, passages, filters), ranking=ranked))

    async def aask(self, question: str, history: Iterable = (), filters: Filters | None = None,
                   top_k: int | None = None, last: Answer | None = None) -> Answer:
        """Return the same as ask(), without blocking the event loop."""
        import asyncio  # here, not at the top: a cold `assistant ask` never awaits (~45 ms of its start)

        if self._llm is None or self.refusal(question) is not None:
            return await asyncio.to_thread(self.ask, question, history, filters, top_k, last)
        query, messages, passages, _c, ranked = await asyncio.to_thread(self._prepare, question, history, filters,
                                                                        top_k, last)
        if query.unresolved:  # nothing for the model to answer: the extractive refusal says why
            return replace(self._extract(query, [], passages, filters), ranking=ranked)
        answer = await self._llm.aanswer(query.text, passages, messages, query.language)
        return self._paged(replace(answer, standalone_question=query.standalone, ranking=ranked))

    def _paged(self, answer: Answer) -> Answer:
        """Return the answer with the page each citation and related passage begins on, for documents read
        page by page (PDFs); a whole answer, also with what other versions of its cited reports state otherwise."""
        if not answer.partial:
            answer = with_other_versions(answer, self._other_versions(), self._doc_sentences, self.document_text,
                                         self.records)
        return replace(answer, citations=self._pages_of(answer.citations), related=self._pages_of(answer.related))

    def _other_versions(self) -> dict[str, tuple[str, ...]]:
        """Return each document's other versions (edited copies), found once per load of the store (a dict that
        copies of this assistant share, as they share its other caches)."""
        if "of" not in self._versions:
            self._versions["of"] = by_document(versions_of(self.store, self.records)) if len(self.records) > 1 else {}
        return self._versions["of"]

    def _pages_of(self, spans: Iterable) -> tuple:
        """Return citations or passages with the page each begins on, where their document has pages."""
        records = self.records
        return tuple(replace(s, page=records[s.doc_id].page_at(s.start))
                     if s.doc_id in records and records[s.doc_id].pages else s for s in spans)

    def retrieve(self, question: str, history: Iterable = (), filters: Filters | None = None,
                 k: int | None = None, last: Answer | None = None) -> list[Passage]:
        """Return the k passages retrieval ranks highest for question (what an answer reads from)."""
        if self.refusal(question) is not None:
            return []
        return self._prepare(question, history, filters, k, last)[2]

    def stream(self, question: str, history: Iterable = (), filters: Filters | None = None,
               top_k: int | None = None, last: Answer | None = None) -> Iterator[Answer]:
        """Yield the answer as it grows (the LLM's words as it writes them; the extractive answer sentence
        by sentence); the last one yielded is complete and checked."""
        if self._llm is not None and hasattr(self._llm, "stream") and self.refusal(question) is None:
            query, messages, passages, _c, _r = self._prepare(question, history, filters, top_k, last)
            if query.unresolved:
                yield self._extract(query, [], passages, filters)
                return
            for answer in self._llm.stream(query.text, passages, messages, query.language):
                yield self._paged(replace(answer, standalone_question=query.standalone))
            return
        answer = self.ask(question, history, filters, top_k, last)
        if answer.found and len(answer.sentences) > 1:
            for i in range(1, len(answer.sentences)):
                yield replace(answer, answer=" ".join(s.text for s in answer.sentences[:i]))
        yield answer

    def parse(self, text: str, standalone: str | None = None, carried_docs: Iterable[str] = (),
              language: str | None = None) -> Query:
        """Return the Query of a question (standalone: its search text in a conversation; language: its
        language read with the conversation), with its vectors."""
        query = parse(text, standalone, tuple(carried_docs), self.keyword.document_frequency, self.keyword.idf,
                      language=language, language_frequency=self.keyword.language_frequency,
                      in_few_reports=self.keyword.in_few_reports, alike=self.keyword.spelled_alike)
        return replace(query, vectors=embed_queries(self.embedder, [embedding_form(query.standalone, query.language)]))

    # --- as llama-index parts (assistant/llamaindex.py; options: top_k, languages, doc_ids, since, until) ----

    def as_retriever(self, **options):
        """Return a llama-index BaseRetriever over the reports (NodeWithScore with offsets into them)."""
        from .llamaindex import AssistantRetriever

        return AssistantRetriever(self, **options)

    def as_query_engine(self, **options):
        """Return a llama-index BaseQueryEngine whose responses are cited answers (streaming=True streams)."""
        from .llamaindex import AssistantQueryEngine

        return AssistantQueryEngine(self, **options)

    def as_chat_engine(self, **options):
        """Return a llama-index BaseChatEngine that keeps the conversation for follow-ups."""
        from .llamaindex import AssistantChatEngine

        return AssistantChatEngine(self, **options)

    def _prepare(self, question, history, filters, top_k, last):
        question = self.check(question)
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
            raise QuestionError(f"top_k must be a whole number of at least 1, not {top_k!r}")
        self._fresh()
        if not self.records:
            raise EmptyIndexError(self.store.nothing_indexed())
        messages = trim([replace(m, content=valid_text(m.content)) for m in as_messages(history)],
                        self.settings.history_tokens)
        turn = contextualise(question, messages, last, self._index_view(filters))
        carried = turn.carried_docs
        standalone = turn.search_text
        if self._llm is not None and turn.follow_up:
            standalone = self._llm.condense(question, messages) or turn.search_text
        query = self.parse(question, expand(standalone, self.settings.home, turn.language), self._with_twins(carried),
                           turn.language)
        query = replace(query, unresolved=turn.unresolved)
        hits, ranked = self._search(query, top_k or self.settings.top_k, filters)
        passages = [self._passage(h) for h in hits]
        candidates = self._candidates(hits + self._same_report(hits, ranked)) if self._llm is None else []
        if query.asks_more and turn.follow_up:
            query = replace(query, said=said(candidates, messages), told=told(messages, query.language))
        return query, messages, passages, candidates, ranked

    def _same_report(self, hits: list[Hit], ranked: Ranking | None) -> list[Hit]:
        """Return the next chunks of the best hit's report in ranking order (at most REPORT_MORE): across
        languages the report that answers is found more surely than its chunk that does."""
        if not hits or ranked is None:
            return []
        doc, taken = hits[0].meta["doc_id"], {h.chunk_id for h in hits}
        score = dict(zip(ranked.ids, ranked.scores.tolist(), strict=True))
        more = [cid for cid in ranked.ids if cid not in taken and cid.split(":", 1)[0] == doc][:REPORT_MORE]
        return [replace(h, score=score[h.chunk_id]) for h in self.retriever.hits(more)]

    def _index_view(self, filters: Filters | None) -> IndexView:
        """Return what reading a turn of a conversation may ask of the index (under the filters)."""
        def reports_of(text: str) -> frozenset[str]:
            if not text.strip():
                return frozenset()
            q = self.parse(text)
            return self._with_twins({h.meta["doc_id"] for h in self._search(q, 1, filters)[0]})

        return IndexView(self.keyword.document_frequency, len(self.keyword), reports_of)

    def _with_twins(self, doc_ids) -> frozenset[str]:
        """Return the documents and their translation twins."""
        return frozenset(doc_ids) | {self.records[d].twin for d in doc_ids if d in self.records and self.records[d].twin}

    def _extract(self, query: Query, candidates: list[Candidate], passages: list[Passage],
                 filters: Filters | None = None) -> Answer:
        # A twin may stand in for a sentence only where the filters would have let it be retrieved.
        filters = filters or Filters()
        metas = {k: {"source": r.source, "title": r.title, "date": r.date} for k, r in self.records.items()
                 if filters.allows(k, r.language, r.date)}
        return replace(extractive_answer(query, candidates, metas), retrieved=tuple(passages))

    # --- from hits to passages and sentences -----------------------------------------------------

    def passages(self, chunk_ids: Iterable[str]) -> list[Passage]:
        """Return the passages of chunk ids (those still in the store), as retrieval would give them."""
        return [self._passage(h) for h in self.retriever.hits(list(chunk_ids))]

    def _passage(self, hit: Hit) -> Passage:
        """Return a retrieved chunk as a Passage, with the page it begins on where its document has pages (every
        way a passage leaves the assistant — an answer, retrieve(), passages(), llama-index nodes — names it)."""
        m = hit.meta
        rec = self.records.get(m["doc_id"])
        return Passage(chunk_id=hit.chunk_id, doc_id=m["doc_id"], source=m["source"], title=m["title"],
                       language=m["language"], date=self._date(m), start=m["start"], end=m["end"],
                       text=hit.text, score=round(hit.score, 5), twin=self._chunk_twin(m),
                       page=rec.page_at(m["start"]) if rec is not None else None)

    def _date(self, m: dict) -> str:
        """Return the date of a chunk's document: its own, or its translation twin's."""
        rec = self.records.get(m["doc_id"])
        return rec.date if rec is not None else m.get("date", "")

    def _chunk_twin(self, m: dict) -> Twin | None:
        """Return the span of the twin document aligned with a chunk's sentences, if it has a twin."""
        sents = self._doc_sentences(m["doc_id"])
        inside = np.nonzero((sents.starts >= m["start"]) & (sents.ends <= m["end"]))[0]
        spans = [sents.twins[i] for i in inside if sents.twins[i] and sents.twins[i][0] in self.records]
        if not spans:
            return None
        doc = spans[0][0]
        start, end = min(s for d, s, _ in spans if d == doc), max(e for d, _, e in spans if d == doc)
        text = self.document_text(doc)
        return Twin(doc, self.records[doc].language, start, end, text[start:end]) if text is not None else None

    def _doc_sentences(self, doc_id: str) -> _DocSentences:
        cached = self._sentences.get(doc_id)
        if cached is None:
            rec = self.records.get(doc_id)
            language = rec.language if rec else None
            got = self.store.get_document_parts(self.store.sentences, doc_id, language=language)
            order = np.argsort([m["start"] for m in got["metadatas"]])
            metas = [got["metadatas"][i] for i in order]
            text = self.document_text(doc_id) or ""
            vectors = np.asarray(got["embeddings"], dtype=np.float32)[order]
            sentences = [text[m["start"]:m["end"]] for m in metas]
            words = [frozenset(content_words(t, language)) for t in sentences]
            positions = body_positions(sentences)
            # A report's lead: its first two sentences, as a text file would have them (body_positions).
            lead = [w for i, (w, p) in enumerate(zip(words, positions, strict=True))
                    if p < 2 and (i == 0 or not is_heading(sentences[i]))]
            # A report that is all lead (one or two sentences) has no lead apart from what it says: its words
            # name the facts asked for, not just the report, so none of them is set aside as the report's name.
            if max(positions, default=0) < 2:
                lead = []
            # facts another build stored are made again (the next ingest stores them: Ingestor.refresh_facts)
            facts, _ = facts_for(sentences, positions, [m.get("facts") for m in metas], language, text)
            centre = vectors.mean(axis=0) if len(vectors) else np.zeros(0, dtype=np.float32)
            centre = centre / (np.linalg.norm(centre) or 1.0)
            # A report of one or two sentences has no centre to be generic about: its sentences get the
            # typical closeness of a sentence to its report (the median over evals/), so the feature is neutral.
            centrality = vectors @ centre if len(vectors) >= MIN_SENTENCES_FOR_CENTRE else np.full(
                len(vectors), TYPICAL_CENTRALITY)
            cached = _DocSentences(
                ids=[got["ids"][i] for i in order],
                starts=np.array([m["start"] for m in metas]),
                ends=np.array([m["end"] for m in metas]),
                vectors=vectors,
                twins=[tuple(json.loads(m["twin"])) if m.get("twin") else None for m in metas],
                words=words,
                cognates=[cognate_keys(w) for w in words],
                facts=facts,
                centrality=centrality,
                report_words=frozenset().union(*words) if words else frozenset(),
                report_countries=frozenset(c for f in facts for c in f.countries),
                report_lead=frozenset().union(*lead),
                positions=positions,
            )
            self._sentences[doc_id] = cached
        return cached

    def _candidates(self, hits: list[Hit]) -> list[Candidate]:
        seen: set[str] = set()
        out: list[Candidate] = []
        best = max((h.score for h in hits), default=1.0) or 1.0
        for rank, hit in enumerate(hits):
            m = hit.meta
            doc_id = m["doc_id"]
            sents = self._doc_sentences(doc_id)
            text = self.document_text(doc_id)
            if text is None:  # removed by another process since it was retrieved
                continue
            inside = np.nonzero((sents.starts >= m["start"]) & (sents.ends <= m["end"]))[0]
            for i in inside:
                sid = sents.ids[i]
                if sid in seen:
                    continue
                seen.add(sid)
                start, end = int(sents.starts[i]), int(sents.ends[i])
                twin = None
                if sents.twins[i] and sents.twins[i][0] in self.records and self.document_text(sents.twins[i][0]):
                    t_doc, t_start, t_end = sents.twins[i]
                    twin = Twin(t_doc, self.records[t_doc].language, t_start, t_end,
                                self.document_text(t_doc)[t_start:t_end])
                out.append(Candidate(
                    chunk_id=sid, doc_id=doc_id, source=m["source"], title=m["title"], language=m["language"],
                    date=self._date(m), start=start, end=end, text=text[start:end], score=0.0, twin=twin,
                    vector=sents.vectors[i], chunk_rank=rank, chunk_score=hit.score / best, words=sents.words[i],
                    cognates=sents.cognates[i], facts=sents.facts[i], report_words=sents.report_words,
                    report_countries=sents.report_countries, report_lead=sents.report_lead,
                    centrality=float(sents.centrality[i]), position=sents.positions[i]))
        return out


def _shortened(text: str, limit: int) -> str:
    """Return text cut to at most limit characters at a word, with "…" when it was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def history_from_json(data) -> list[Message]:
    """Return a conversation from a JSON list of {"role": "user"|"assistant", "content": str}."""
    if not isinstance(data, list) or not all(isinstance(m, dict) and m.get("role") in ("user", "assistant")
                                             and isinstance(m.get("content"), str) for m in data):
        raise QuestionError('history must be a JSON list of {"role": "user"|"assistant", "content": "..."}')
    return as_messages(data)
