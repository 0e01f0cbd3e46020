"""The assistant as llama-index parts, used by llama-index's own engines, evaluator and LLM classes."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import Any

import pytest
from conftest import ROOT
from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.llms.types import (
    ChatMessage,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.base.response.schema import AsyncStreamingResponse, Response, StreamingResponse
from llama_index.core.chat_engine import CondensePlusContextChatEngine
from llama_index.core.chat_engine.types import AgentChatResponse, BaseChatEngine, StreamingAgentChatResponse
from llama_index.core.evaluation import RetrieverEvaluator
from llama_index.core.llms import MockLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.llms.custom import CustomLLM
from llama_index.core.query_engine import CitationQueryEngine, RetrieverQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from assistant import evaluation
from assistant.core import Assistant, QuestionError
from assistant.llm import LLMAnswerer

EN, SR = "001_23abd807676cf300", "000_7e6134a7318589bf"
DPNSEE = "What did DPNSEE say?"


@pytest.fixture(scope="module")
def assistant(seeded) -> Assistant:
    return Assistant(seeded)


def points_into_reports(hits: list[NodeWithScore], assistant: Assistant) -> None:
    """Assert every node is a TextNode whose text sits at its offsets in its report (and its twin's)."""
    assert hits
    for hit in hits:
        node, meta = hit.node, hit.node.metadata
        assert isinstance(node, TextNode) and node.ref_doc_id == meta["doc_id"]
        assert assistant.document_text(meta["doc_id"])[node.start_char_idx : node.end_char_idx] == node.text
        assert {"source", "title", "language", "date"} <= set(meta)
        if "twin_doc_id" in meta:
            twin_text = assistant.document_text(meta["twin_doc_id"])[meta["twin_start"] : meta["twin_end"]]
            assert twin_text == meta["twin_text"] and meta["twin_language"] != meta["language"]


# --- the retriever -----------------------------------------------------------------------------------


def test_retriever_returns_the_assistants_passages_as_nodes(assistant):
    retriever = assistant.as_retriever(top_k=5)
    assert isinstance(retriever, BaseRetriever)
    hits = retriever.retrieve(DPNSEE)
    points_into_reports(hits, assistant)
    passages = assistant.retrieve(DPNSEE, k=5)
    assert [h.node.node_id for h in hits] == [p.chunk_id for p in passages]
    assert [h.score for h in hits] == [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    assert "DPNSEE" in hits[0].node.text
    # 000 and 001 translate each other: their chunks carry the aligned span of the other.
    assert any(h.node.metadata.get("twin_doc_id") in (EN, SR) for h in hits)
    # The twin's text is for display, not for the LLM's context (it would read the passage twice).
    twinned = next(h.node for h in hits if "twin_text" in h.node.metadata)
    assert twinned.metadata["twin_text"] not in twinned.get_content(metadata_mode="llm")


def test_retriever_filters(assistant):
    hits = assistant.as_retriever(top_k=8, languages="sr").retrieve(DPNSEE)
    assert hits and {h.node.metadata["language"] for h in hits} == {"sr"}
    hits = assistant.as_retriever(doc_ids=[EN]).retrieve(DPNSEE)
    assert hits and {h.node.metadata["doc_id"] for h in hits} == {EN}
    dates = {r.doc_id: r.date for r in assistant.documents()}
    latest = max(d for d in dates.values() if d)
    hits = assistant.as_retriever(top_k=10, since=latest).retrieve(DPNSEE)
    assert hits and {h.node.metadata["date"] for h in hits} == {latest}
    hits = assistant.as_retriever(top_k=10, until="1900-01-01").retrieve(DPNSEE)
    assert hits == []
    with pytest.raises(ValueError, match="since='last week' is not a date: use YYYY-MM-DD"):
        assistant.as_retriever(since="last week")
    for bad in (0, -3, "5", True):  # a bool is an int to Python, not a count
        with pytest.raises(ValueError, match="give a number of passages, 1 or more"):
            assistant.as_query_engine(top_k=bad)


def test_retriever_refuses_a_bad_query_and_retrieves_nothing_from_an_empty_index(assistant, settings):
    with pytest.raises(QuestionError, match="the question is empty"):
        assistant.as_retriever().retrieve("   ")
    assert Assistant(settings).as_retriever().retrieve(DPNSEE) == []


async def test_aretrieve_leaves_the_event_loop_free(assistant):
    retriever = assistant.as_retriever(top_k=5)
    ticks, done = 0, False

    async def ticker():
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    ticks = 0
    hits = await asyncio.gather(*(retriever.aretrieve(q) for q in (DPNSEE, "Ko je predstavljao Srbiju?", DPNSEE)))
    done = True
    await task
    # Three retrievals take tens of milliseconds at least (the ticker ran 84 times in one run); retrieval that
    # blocked the loop let it run 0 times.
    assert ticks >= 10
    assert [h.node.node_id for h in hits[0]] == [h.node.node_id for h in hits[2]]
    assert [h.node.node_id for h in hits[0]] == [h.node.node_id for h in retriever.retrieve(DPNSEE)]


def test_nodes_cover_every_chunk_with_the_retrievers_metadata(assistant):
    retriever = assistant.as_retriever()
    nodes = retriever.nodes()
    assert len(nodes) == sum(r.chunks for r in assistant.documents())
    points_into_reports([NodeWithScore(node=n) for n in nodes], assistant)
    by_id = {n.node_id: n for n in nodes}
    for hit in retriever.retrieve(DPNSEE):
        assert by_id[hit.node.node_id].metadata == hit.node.metadata
    assert {n.metadata["doc_id"] for n in assistant.as_retriever(doc_ids=[SR]).nodes()} == {SR}


# --- inside llama-index's own engines, with llama-index's MockLLM (it echoes its prompt) -----------------


def test_retriever_query_engine_reads_the_passages(assistant):
    retriever = assistant.as_retriever(top_k=3)
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM())
    response = engine.query(DPNSEE)
    hits = retriever.retrieve(DPNSEE)
    assert [n.node.node_id for n in response.source_nodes] == [h.node.node_id for h in hits]
    points_into_reports(response.source_nodes, assistant)
    assert hits[0].node.text in response.response  # the passage reached the LLM's prompt


def test_citation_query_engine_cites_the_passages(assistant):
    retriever = assistant.as_retriever(top_k=3)
    engine = CitationQueryEngine(retriever, llm=MockLLM())
    response = engine.query(DPNSEE)
    hits = retriever.retrieve(DPNSEE)
    assert response.source_nodes and "Source 1:" in response.response
    for n, source in enumerate(response.source_nodes, 1):
        head, body = source.node.text.split("\n", 1)
        assert head == f"Source {n}:"
        # Each citation chunk is a piece of one retrieved passage and keeps that passage's metadata.
        assert any(body.strip() in h.node.text and source.node.metadata == h.node.metadata for h in hits)


def test_condense_plus_context_chat_engine_over_the_retriever(assistant):
    retriever = assistant.as_retriever(top_k=3)
    engine = CondensePlusContextChatEngine.from_defaults(retriever, llm=MockLLM())
    first = engine.chat(DPNSEE)
    points_into_reports(first.source_nodes, assistant)
    assert retriever.retrieve(DPNSEE)[0].node.text in first.response  # the context reached the LLM
    # A second turn makes the engine condense the conversation into a question first (MockLLM with
    # max_tokens writes a short one), then retrieve with it.
    short = CondensePlusContextChatEngine.from_defaults(retriever, llm=MockLLM(max_tokens=8))
    short.chat(DPNSEE)
    follow = short.chat("When was that session held?")
    points_into_reports(follow.source_nodes, assistant)
    assert len(short.chat_history) == 4


# --- the query engine ---------------------------------------------------------------------------------


def cites(response, answer) -> None:
    """Assert a llama-index response is the assistant's answer: text, citations as nodes, metadata."""
    assert response.response == answer.answer
    assert [n.node.text for n in response.source_nodes] == [c.text for c in answer.citations]
    assert [n.node.metadata["n"] for n in response.source_nodes] == [c.n for c in answer.citations]
    assert response.metadata["found"] is answer.found
    assert response.metadata["support"] == [s.support for s in answer.sentences]
    assert [s["citations"] for s in response.metadata["sentences"]] == [list(s.citations) for s in answer.sentences]


async def test_query_engine_returns_the_cited_answer(assistant):
    engine = assistant.as_query_engine()
    assert isinstance(engine, BaseQueryEngine)
    response = engine.query(DPNSEE)
    assert isinstance(response, Response) and response.metadata["found"]
    cites(response, assistant.ask(DPNSEE))
    points_into_reports(response.source_nodes, assistant)
    assert "DPNSEE" in response.source_nodes[0].node.text and 0 < response.metadata["support"][0] <= 1
    cites(await engine.aquery(DPNSEE), assistant.ask(DPNSEE))
    unanswerable = "What is the population of Mars?"
    nothing = engine.query(unanswerable)
    assert nothing.metadata["found"] is False and nothing.source_nodes == []
    cites(nothing, assistant.ask(unanswerable))


def test_query_engine_filters_and_top_k(assistant):
    engine = assistant.as_query_engine(top_k=3, languages=["sr"])
    response = engine.query(DPNSEE)
    assert {n.node.metadata["language"] for n in response.source_nodes} <= {"sr"}
    hits = engine.retrieve(QueryBundle(DPNSEE))
    assert len(hits) == 3 and {h.node.metadata["language"] for h in hits} == {"sr"}


async def test_query_engine_streams_the_extractive_answer(assistant):
    question = "What was discussed at the meeting?"
    answer = assistant.ask(question)
    response = assistant.as_query_engine(streaming=True).query(question)
    assert isinstance(response, StreamingResponse) and response.source_nodes == []
    parts = list(response.response_gen)
    assert "".join(parts) == answer.answer and len(parts) == max(1, len(answer.sentences))
    cites(response.get_response(), answer)
    streamed = await assistant.as_query_engine(streaming=True).aquery(question)
    assert isinstance(streamed, AsyncStreamingResponse)
    assert "".join([p async for p in streamed.async_response_gen()]) == answer.answer
    cites(await streamed.get_response(), answer)
    with pytest.raises(QuestionError):  # at the call, not at the first read of the stream
        assistant.as_query_engine(streaming=True).query("")
    with pytest.raises(QuestionError):
        assistant.as_chat_engine().stream_chat(" ")


class QuotingLLM(CustomLLM):
    """A tiny local model for the LLM answerer: it quotes the first sentence of source 1 with [1], then
    invents a sentence citing a source that does not exist, as small models do. Words stream one by one."""

    def reply(self, prompt: str) -> str:
        found = re.search(r'<source n="1"[^>]*>\s*(.+?)(?<=[.!?])\s', prompt, re.S)
        quote = found.group(1) if found else "I do not know."
        return f"{quote} [1] The King of Mars opened the meeting [9]."

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="quoting")

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self.reply(prompt))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        text = ""
        for word in self.reply(prompt).split(" "):
            delta = (" " if text else "") + word
            text += delta
            yield CompletionResponse(text=text, delta=delta)


async def test_query_engine_streams_the_llm_answer_and_ends_with_the_checked_one(seeded):
    llm = Assistant(seeded, answerer=LLMAnswerer(seeded, llm=QuotingLLM()))
    checked = llm.ask(DPNSEE)
    assert checked.citations and "[9]" not in checked.answer  # the answerer dropped the invented source
    response = llm.as_query_engine(streaming=True).query(DPNSEE)
    parts = list(response.response_gen)
    # The words as the model wrote them, the invented source included; the final text is the checked one.
    # The stream is checked as it goes: the invented [9] never reaches the reader.
    assert len(parts) > 5 and "".join(parts).endswith("The King of Mars opened the meeting.")
    final = response.get_response()
    cites(final, checked)
    assert str(response) == checked.answer
    streamed = await llm.as_query_engine(streaming=True).aquery(DPNSEE)
    assert len([p async for p in streamed.async_response_gen()]) == len(parts)
    cites(await streamed.get_response(), checked)


# --- the chat engine ----------------------------------------------------------------------------------


FOLLOW = "When was that session held?"


def test_chat_engine_keeps_the_conversation_like_ask(assistant):
    engine = assistant.as_chat_engine()
    assert isinstance(engine, BaseChatEngine)
    first = engine.chat(DPNSEE)
    follow = engine.chat(FOLLOW)
    answer = assistant.ask(DPNSEE)
    expected = assistant.ask(FOLLOW, history=[{"role": "user", "content": DPNSEE},
                                              {"role": "assistant", "content": answer.answer}], last=answer)
    assert isinstance(first, AgentChatResponse) and first.response == answer.answer
    cites(follow, expected)
    points_into_reports(follow.source_nodes, assistant)
    assert [(m.role, m.content) for m in engine.chat_history] == [
        (MessageRole.USER, DPNSEE), (MessageRole.ASSISTANT, answer.answer),
        (MessageRole.USER, FOLLOW), (MessageRole.ASSISTANT, expected.answer)]
    engine.reset()
    assert engine.chat_history == []
    alone = engine.chat(FOLLOW)
    assert alone.response == assistant.ask(FOLLOW).answer
    given = engine.chat(FOLLOW, chat_history=[ChatMessage(role="user", content=DPNSEE),
                                              ChatMessage(role="assistant", content=answer.answer)])
    without_last = assistant.ask(FOLLOW, history=[{"role": "user", "content": DPNSEE},
                                                  {"role": "assistant", "content": answer.answer}])
    assert given.response == without_last.answer and len(engine.chat_history) == 4


def test_chat_engine_passes_the_previous_answer_on(assistant):
    """Without the previous Answer, ask() finds the topic's reports again by searching; with it, the reports
    it cited get the boost. On this conversation the two differ (measured), so the engine must pass it."""
    first_q, follow_q = "Koji je po redu bio sastanak Koordinacionog saveta ODKB?", "Ko mu je predsedavao?"
    engine = assistant.as_chat_engine()
    first = engine.chat(first_q)
    follow = engine.chat(follow_q)
    answer = assistant.ask(first_q)
    history = [{"role": "user", "content": first_q}, {"role": "assistant", "content": answer.answer}]
    assert first.response == answer.answer
    cites(follow, assistant.ask(follow_q, history=history, last=answer))


async def test_chat_engine_streams_and_answers_asynchronously(assistant):
    answer = assistant.ask(DPNSEE)
    history = [{"role": "user", "content": DPNSEE}, {"role": "assistant", "content": answer.answer}]
    expected = assistant.ask(FOLLOW, history=history, last=answer)
    engine = assistant.as_chat_engine()
    stream = engine.stream_chat(DPNSEE)
    assert isinstance(stream, StreamingAgentChatResponse)
    assert "".join(stream.response_gen) == answer.answer == stream.response
    assert [n.node.text for n in stream.source_nodes] == [c.text for c in answer.citations]
    follow = await engine.achat(FOLLOW)
    cites(follow, expected)
    engine.reset()
    await engine.achat(DPNSEE)
    stream = await engine.astream_chat(FOLLOW)
    assert "".join([p async for p in stream.async_response_gen()]) == expected.answer == stream.response
    assert stream.metadata["found"] is expected.found
    assert [m.content for m in engine.chat_history] == [DPNSEE, answer.answer, FOLLOW, expected.answer]


# --- llama-index's RetrieverEvaluator agrees with `assistant eval` ----------------------------------------


def expected_ids(span: tuple[str, int, int], nodes: list[TextNode]) -> list[str]:
    """Return the chunks that count as retrieving a gold span in `assistant eval` (evaluation.relevant):
    the chunk overlaps the quote, itself or through its aligned translation twin."""
    doc, start, end = span
    out = []
    for n in nodes:
        m = n.metadata
        places = [(m["doc_id"], n.start_char_idx, n.end_char_idx)]
        if "twin_doc_id" in m:
            places.append((m["twin_doc_id"], m["twin_start"], m["twin_end"]))
        if any(d == doc and s < end and start < e for d, s, e in places):
            out.append(n.node_id)
    return out


async def test_retriever_evaluator_agrees_with_assistant_eval(assistant):
    items = [i for i in evaluation.load_items(ROOT / "evals" / "qa.jsonl") if i.answerable][5::6]
    # assistant eval scores @10 cut-offs when it reads ten passages (ASSISTANT_TOP_K=10).
    deep = Assistant(dataclasses.replace(assistant.settings, top_k=10))
    results = {r.item.id: r for r in await evaluation.run(deep, items, [])}
    nodes = assistant.as_retriever().nodes()
    spans = {i.id: evaluation.gold_spans(i, assistant.document_text) for i in items}
    assert all(spans.values()) and any(len(s) > 1 for s in spans.values())
    ten = RetrieverEvaluator.from_metric_names(["mrr", "hit_rate"], retriever=assistant.as_retriever(top_k=10))
    five = RetrieverEvaluator.from_metric_names(["hit_rate"], retriever=assistant.as_retriever(top_k=5))

    async def scores(evaluator, question: str, relevant: list[str]) -> dict[str, float]:
        return (await evaluator.aevaluate(question, expected_ids=relevant)).metric_vals_dict

    mine = {}
    for item in items:
        # MRR@10: every chunk that covers any gold quote is relevant. recall@k: each quote's hit rate at k,
        # averaged over the item's quotes.
        relevant = sorted({c for s in spans[item.id] for c in expected_ids(s, nodes)})
        whole = await scores(ten, item.question, relevant)
        at10 = [await scores(ten, item.question, expected_ids(s, nodes)) for s in spans[item.id]]
        at5 = [await scores(five, item.question, expected_ids(s, nodes)) for s in spans[item.id]]
        mine[item.id] = {"mrr@10": whole["mrr"], "recall@10": sum(h["hit_rate"] for h in at10) / len(at10),
                         "recall@5": sum(h["hit_rate"] for h in at5) / len(at5)}
    for item, got in mine.items():
        assert got == pytest.approx({k: results[item].scores[k] for k in got}, abs=1e-12), item
    theirs = evaluation.aggregate(list(results.values()))
    for metric in ("mrr@10", "recall@5", "recall@10"):
        assert round(sum(s[metric] for s in mine.values()) / len(mine), 4) == theirs[metric], metric


# --- the README --------------------------------------------------------------------------------------


def test_readme_llamaindex_example(seeded, monkeypatch, capsys):
    """The README's llama-index example runs as written (with the seeded data directory)."""
    monkeypatch.setenv("ASSISTANT_HOME", str(seeded.home))
    code = re.search(r"```python\n(from llama_index.*?)```", (ROOT / "README.md").read_text("utf-8"), re.S)
    assert code, "README has no llama-index example"
    scope: dict = {}
    exec(code.group(1), scope)  # noqa: S102 - the README's own example
    assistant, response = scope["assistant"], scope["response"]
    assert response.metadata["found"] and "DPNSEE" in response.source_nodes[0].node.text
    cited = scope["cited"]
    assert assistant.document_text(cited.metadata["doc_id"])[cited.start_char_idx : cited.end_char_idx] == cited.text
    assert scope["follow"].metadata["found"] and scope["follow"].source_nodes
    assert scope["hits"] and all(h.node.metadata["language"] in ("en", "sr") for h in scope["hits"])
    assert scope["engine_response"].source_nodes
    assert "DPNSEE" in capsys.readouterr().out
