"""The reference point: a plain llama-index pipeline (SentenceSplitter → VectorStoreIndex → top passage)
over the same cleaned text and the same embedder, answering the way a plain pipeline does."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .config import Settings, setup_offline_env
from .corpus import ReadError, find_files, read_document
from .embedding import as_llama, get_embedder
from .ingest import _doc_id
from .retrieval import Filters, date_number
from .text import detect_language
from .types import Answer, AnswerSentence, Citation, Passage

NAME = "plain-llama-index"
# llama-index counts chunk size in its own tokenizer (tiktoken cl100k); 384 of them stay under the e5
# model's 512-token window on the seeds in every script (most is 447 model tokens, Serbian Cyrillic).
# llama-index's default (1024) would be cut off by the embedder.
CHUNK_SIZE = 384
CHUNK_OVERLAP = 64
META_KEYS = ["doc_id", "source", "title", "language", "date", "date_num"]


@dataclass(frozen=True)
class _Doc:
    source: str
    title: str
    language: str
    date: str
    text: str


class PlainPipeline:
    """What llama-index does out of the box: fixed-size chunks, one dense ranking, the top chunk as the
    answer. No keywords, no per-language ranking, no sentence extraction, no abstention, no history."""

    answerer_name = NAME

    def __init__(self, settings: Settings, index, docs: dict[str, _Doc], nodes: list, skipped: list[dict]):
        self.settings = settings
        self.index = index
        self.docs = docs
        self.nodes = nodes
        self.skipped = skipped

    @classmethod
    def build(cls, settings: Settings, paths: Iterable[Path]) -> PlainPipeline:
        """Return the pipeline built in memory from the files under paths (document ids as ingest gives)."""
        setup_offline_env()
        from llama_index.core import Document as LlamaDocument
        from llama_index.core import VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter

        candidates, problems = find_files([Path(p) for p in paths])
        skipped = [{"path": p, "reason": r} for p, r in problems]
        docs: dict[str, _Doc] = {}
        taken: set[str] = set()
        max_bytes = int(settings.max_file_mb * 1024 * 1024)
        for cand in candidates:
            doc_id = _doc_id(cand.path, {}, taken)
            taken.add(doc_id)
            try:
                doc = read_document(cand.path, doc_id, max_bytes)
            except ReadError as e:
                skipped.append({"path": str(cand.path), "reason": str(e)})
                continue
            docs[doc_id] = _Doc(doc.source, doc.title, doc.language, doc.date or "", doc.text)
        llama_docs = [
            LlamaDocument(text=d.text, id_=doc_id, excluded_embed_metadata_keys=META_KEYS,
                          excluded_llm_metadata_keys=META_KEYS,
                          metadata={"doc_id": doc_id, "source": d.source, "title": d.title, "language": d.language,
                                    "date": d.date, "date_num": date_number(d.date)})
            for doc_id, d in docs.items()
        ]
        splitter = SentenceSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        nodes = [n for n in splitter.get_nodes_from_documents(llama_docs) if _anchor(n, docs[n.ref_doc_id].text)]
        # In memory (llama-index's default SimpleVectorStore): the reference is rebuilt from the seeds
        # for every comparison, so it needs no persistence, and it keeps Chroma's settings out of it.
        index = VectorStoreIndex(nodes, embed_model=as_llama(get_embedder(settings)), show_progress=False)
        return cls(settings, index, docs, nodes, skipped)

    def document_text(self, doc_id: str) -> str | None:
        """Return the cleaned text of a document (what citation offsets point into), or None."""
        doc = self.docs.get(doc_id)
        return doc.text if doc else None

    def retrieve(self, question: str, history: Iterable = (), filters: Filters | None = None,
                 k: int | None = None, last: Answer | None = None) -> list[Passage]:
        """Return the k chunks closest to the question's vector (history and last are ignored)."""
        question = _check(question)
        retriever = self.index.as_retriever(similarity_top_k=k or self.settings.top_k,
                                            filters=_metadata_filters(filters))
        out = []
        for hit in retriever.retrieve(question):
            node = hit.node
            doc = self.docs[node.ref_doc_id]
            start, end = node.start_char_idx, node.end_char_idx
            out.append(Passage(chunk_id=node.node_id, doc_id=node.ref_doc_id, source=doc.source, title=doc.title,
                               language=doc.language, date=doc.date, start=start, end=end,
                               text=doc.text[start:end], score=round(float(hit.score or 0.0), 5)))
        return out

    def ask(self, question: str, history: Iterable = (), filters: Filters | None = None,
            top_k: int | None = None, last: Answer | None = None) -> Answer:
        """Return the top passage quoted as the answer, cited as [1]; never abstains."""
        question = _check(question)
        passages = self.retrieve(question, history, filters, top_k, last)
        language = detect_language(question)
        if not passages:  # only when filters leave nothing to search
            return Answer(question, "No passage matches the filters.", False, answerer=NAME,
                          standalone_question=question, language=language)
        best = passages[0]
        quoted = f"{best.text} [1]"
        citation = Citation(1, best.doc_id, best.source, best.title, best.language, best.text, best.start,
                            best.end, best.score, best.date)
        return Answer(question, quoted, True, citations=(citation,), sentences=(AnswerSentence(quoted, (1,), 1.0),),
                      answerer=NAME, standalone_question=question, language=language, retrieved=tuple(passages))

    async def aask(self, question: str, history: Iterable = (), filters: Filters | None = None,
                   top_k: int | None = None, last: Answer | None = None) -> Answer:
        """Return the same as ask(), without blocking the event loop."""
        return await asyncio.to_thread(self.ask, question, history, filters, top_k, last)


def _check(question) -> str:
    if not isinstance(question, str) or not question.strip():
        raise ValueError("the question is empty: type a question about the reports")
    return " ".join(question.split())


def _anchor(node, text: str) -> bool:
    """Make node.start/end_char_idx point at the node's text in the document; False if it is not there."""
    content = node.get_content()
    start = node.start_char_idx
    if start is None or text[start:node.end_char_idx] != content:
        start = text.find(content)
        if start < 0:
            return False
        node.start_char_idx, node.end_char_idx = start, start + len(content)
    return True


def _metadata_filters(filters: Filters | None):
    """Return llama-index MetadataFilters equivalent to the assistant's Filters, None for none."""
    if filters is None:
        return None
    from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

    parts = []
    if filters.languages:
        parts.append(MetadataFilter(key="language", value=list(filters.languages), operator=FilterOperator.IN))
    if filters.doc_ids:
        parts.append(MetadataFilter(key="doc_id", value=list(filters.doc_ids), operator=FilterOperator.IN))
    if filters.date_from:
        parts.append(MetadataFilter(key="date_num", value=date_number(filters.date_from), operator=FilterOperator.GTE))
    if filters.date_to:
        parts.append(MetadataFilter(key="date_num", value=date_number(filters.date_to), operator=FilterOperator.LTE))
        parts.append(MetadataFilter(key="date_num", value=0, operator=FilterOperator.GT))
    return MetadataFilters(filters=parts) if parts else None
