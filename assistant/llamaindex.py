"""The assistant as llama-index parts: a retriever, a query engine and a chat engine.

Retrieval, answers and conversations stay the assistant's own (hybrid search over per-language Chroma
collections, cited extractive or LLM answers, follow-ups); these adapters only speak llama-index's types, so
a llama-index program can plug them into its own engines, evaluators and postprocessors.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager
from llama_index.core.chat_engine.types import AgentChatResponse, BaseChatEngine
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode

from . import llamaindex_stream as stream
from .core import EmptyIndexError, StoreError
from .retrieval import Filters, Hit
from .types import Answer, Citation, Passage, Twin

# The twin's span and text are for showing the aligned sentence; an LLM reading the context or an embedder
# would only see the same passage twice.
_TWIN_KEYS = ["twin_doc_id", "twin_language", "twin_start", "twin_end", "twin_text"]


def filters_from(languages: Iterable[str] = (), doc_ids: Iterable[str] = (),
                 since: str | dt.date | None = None, until: str | dt.date | None = None) -> Filters:
    """Return retrieval Filters from llama-index-style keyword arguments; dates are ISO strings or dates."""
    return Filters(languages=_strings(languages), doc_ids=_strings(doc_ids),
                   date_from=_iso(since, "since"), date_to=_iso(until, "until"))


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):  # languages="sr" means ("sr",), not ("s", "r")
        values = (values,)
    return tuple(values or ())


def _iso(value: str | dt.date | None, name: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.isoformat()[:10]
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a date: use YYYY-MM-DD") from None


def checked_top_k(top_k: int | None) -> int | None:
    """Return top_k if it is a positive number of passages (None: the assistant's ASSISTANT_TOP_K)."""
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k={top_k!r}: give a number of passages, 1 or more")
    return top_k


def _node(node_id: str, doc_id: str, text: str, start: int, end: int, score: float, meta: dict,
          twin: Twin | None) -> NodeWithScore:
    if twin is not None:
        meta |= {"twin_doc_id": twin.doc_id, "twin_language": twin.language, "twin_start": twin.start,
                 "twin_end": twin.end, "twin_text": twin.text}
    node = TextNode(id_=node_id, text=text, start_char_idx=start, end_char_idx=end, metadata={"doc_id": doc_id} | meta,
                    excluded_llm_metadata_keys=list(_TWIN_KEYS), excluded_embed_metadata_keys=list(_TWIN_KEYS),
                    relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc_id)})
    return NodeWithScore(node=node, score=score)


def passage_node(p: Passage) -> NodeWithScore:
    """Return a retrieved passage as a NodeWithScore: id the chunk id, offsets into the report's text, score
    the chunk ranker's probability that it holds the answer (not a cosine similarity)."""
    return _node(p.chunk_id, p.doc_id, p.text, p.start, p.end, p.score,
                 {"source": p.source, "title": p.title, "language": p.language, "date": p.date}
                 | ({"page_label": str(p.page)} if p.page is not None else {}), p.twin)


def citation_node(c: Citation) -> NodeWithScore:
    """Return an answer's citation [n] as a NodeWithScore whose text is the cited passage."""
    return _node(f"{c.doc_id}:{c.start}-{c.end}", c.doc_id, c.text, c.start, c.end, c.score,
                 {"n": c.n, "source": c.source, "title": c.title, "language": c.language, "date": c.date}
                 | ({"page_label": str(c.page)} if c.page is not None else {}), c.twin)


def answer_metadata(answer: Answer) -> dict:
    """Return what a llama-index response carries of an Answer besides its text and citations."""
    return {"found": answer.found, "support": [s.support for s in answer.sentences],
            "sentences": [s.to_json() for s in answer.sentences], "answerer": answer.answerer,
            "language": answer.language, "standalone_question": answer.standalone_question}


class AssistantRetriever(BaseRetriever):
    """A llama-index retriever over the indexed reports: the assistant's own hybrid retrieval, as nodes.

    A query the assistant refuses (empty, longer than ASSISTANT_MAX_QUESTION_CHARS) raises QuestionError
    saying why; an empty index retrieves nothing.
    """

    def __init__(self, assistant, top_k: int | None = None, languages: Iterable[str] = (),
                 doc_ids: Iterable[str] = (), since: str | dt.date | None = None,
                 until: str | dt.date | None = None, callback_manager: CallbackManager | None = None):
        super().__init__(callback_manager=callback_manager)
        self.assistant = assistant
        self.top_k = checked_top_k(top_k) or assistant.settings.top_k
        self.filters = filters_from(languages, doc_ids, since, until)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        try:
            passages = self.assistant.retrieve(query_bundle.query_str, filters=self.filters, k=self.top_k)
        except EmptyIndexError:
            return []  # an empty index retrieves nothing, as llama-index's own retrievers do
        return [passage_node(p) for p in passages]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        # Embedding and Chroma calls block; a thread keeps the event loop free (Chroma releases the GIL).
        return await asyncio.to_thread(self._retrieve, query_bundle)

    def nodes(self) -> list[TextNode]:
        """Return every indexed chunk as the TextNode this retriever returns for it (within the filters),
        e.g. to build a llama-index evaluation set."""
        store, out = self.assistant.store, []
        for rec in self.assistant.documents():
            if not self.filters.allows(rec.doc_id, rec.language, rec.date):
                continue
            try:
                got = store.get_document_parts(store.chunks, rec.doc_id, embeddings=False, language=rec.language)
            except Exception as e:  # Chroma's errors have no common base: one StoreError, as retrieve() raises
                raise StoreError(self.assistant._store_failure(e)) from None
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                out.append(passage_node(self.assistant._passage(Hit(cid, text, meta, 0.0))).node)
        return sorted(out, key=lambda n: (n.metadata["doc_id"], n.start_char_idx))


def _finish(target, answer: Answer) -> None:
    """Fill a streaming response's sources and metadata from the finished answer."""
    target.answer = answer
    target.source_nodes.extend(citation_node(c) for c in answer.citations)
    target.metadata = answer_metadata(answer)


# --- query engine ------------------------------------------------------------------------------------


class AssistantQueryEngine(BaseQueryEngine):
    """A llama-index query engine whose responses are the assistant's cited answers."""

    def __init__(self, assistant, top_k: int | None = None, languages: Iterable[str] = (),
                 doc_ids: Iterable[str] = (), since: str | dt.date | None = None,
                 until: str | dt.date | None = None, streaming: bool = False,
                 callback_manager: CallbackManager | None = None):
        super().__init__(callback_manager=callback_manager)
        self.assistant = assistant
        self.top_k = checked_top_k(top_k)
        self.retriever = AssistantRetriever(assistant, top_k, languages, doc_ids, since, until, callback_manager)
        self.filters = self.retriever.filters
        self.streaming = streaming

    def _query(self, query_bundle: QueryBundle):
        question = query_bundle.query_str
        if self.streaming:
            response = stream.CitedStreamingResponse(response_gen=iter(()))
            answers = stream.start(self.assistant.stream(question, filters=self.filters, top_k=self.top_k))
            response.response_gen = stream.deltas(answers, lambda a: _finish(response, a))
            return response
        return _response(self.assistant.ask(question, filters=self.filters, top_k=self.top_k))

    async def _aquery(self, query_bundle: QueryBundle):
        question = query_bundle.query_str
        if self.streaming:
            response = stream.CitedAsyncStreamingResponse(response_gen=None)
            answers = await stream.astart(self.assistant.stream(question, filters=self.filters, top_k=self.top_k))
            response.response_gen = stream.adeltas(answers, lambda a: _finish(response, a))
            return response
        return _response(await self.assistant.aask(question, filters=self.filters, top_k=self.top_k))

    def _get_prompt_modules(self) -> dict:
        return {}  # prompts are the answerer's own files (prompts/), not llama-index prompt templates

    def retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """Return the passages an answer to the query reads from."""
        return self.retriever.retrieve(query_bundle)


def _response(answer: Answer) -> Response:
    return Response(answer.answer, [citation_node(c) for c in answer.citations], answer_metadata(answer))


# --- chat engine -------------------------------------------------------------------------------------


class AssistantChatEngine(BaseChatEngine):
    """A llama-index chat engine over the reports: follow-ups read the conversation, as in Assistant.ask."""

    def __init__(self, assistant, top_k: int | None = None, languages: Iterable[str] = (),
                 doc_ids: Iterable[str] = (), since: str | dt.date | None = None,
                 until: str | dt.date | None = None, chat_history: list[ChatMessage] | None = None):
        self.assistant = assistant
        self.top_k = checked_top_k(top_k)
        self.filters = filters_from(languages, doc_ids, since, until)
        self._history: list[ChatMessage] = list(chat_history or [])
        self._last: Answer | None = None  # the previous answer: its reports carry into a follow-up

    @property
    def chat_history(self) -> list[ChatMessage]:
        """Return the conversation so far as llama-index ChatMessages."""
        return list(self._history)

    def reset(self) -> None:
        """Forget the conversation."""
        self._history, self._last = [], None

    def _args(self, message: str, chat_history: list[ChatMessage] | None) -> dict:
        if chat_history is not None:  # llama-index's convention: a given history replaces the engine's
            self._history, self._last = list(chat_history), None
        history = [{"role": m.role.value, "content": m.content} for m in self._history
                   if m.role in (MessageRole.USER, MessageRole.ASSISTANT) and m.content]
        return {"question": message, "history": history, "filters": self.filters, "top_k": self.top_k,
                "last": self._last}

    def _record(self, message: str, answer: Answer) -> None:
        self._history += [ChatMessage(role=MessageRole.USER, content=message),
                          ChatMessage(role=MessageRole.ASSISTANT, content=answer.answer)]
        self._last = answer

    def _reply(self, message: str, answer: Answer) -> AgentChatResponse:
        self._record(message, answer)
        return AgentChatResponse(response=answer.answer, source_nodes=[citation_node(c) for c in answer.citations],
                                 metadata=answer_metadata(answer))

    def chat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        """Return the cited answer to message, read as the next turn of the conversation."""
        return self._reply(message, self.assistant.ask(**self._args(message, chat_history)))

    async def achat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        """Return the same as chat(), without blocking the event loop."""
        return self._reply(message, await self.assistant.aask(**self._args(message, chat_history)))

    def stream_chat(self, message: str, chat_history: list[ChatMessage] | None = None) -> stream.CitedChatStream:
        """Return the answer as a stream; the conversation records it once the stream has been read."""
        response = stream.CitedChatStream(is_writing_to_memory=False)
        answers = stream.start(self.assistant.stream(**self._args(message, chat_history)))
        response.chat_stream = stream.chat_deltas(stream.deltas(answers, lambda a: self._streamed(response, message, a)))
        return response

    async def astream_chat(self, message: str, chat_history: list[ChatMessage] | None = None) -> stream.CitedChatStream:
        """Return the same as stream_chat(), without blocking the event loop."""
        response = stream.CitedChatStream(is_writing_to_memory=False)
        answers = await stream.astart(self.assistant.stream(**self._args(message, chat_history)))
        response.achat_stream = stream.achat_deltas(stream.adeltas(answers, lambda a: self._streamed(response, message, a)))
        return response

    def _streamed(self, response: stream.CitedChatStream, message: str, answer: Answer) -> None:
        self._record(message, answer)
        _finish(response, answer)
