"""The plain llama-index reference pipeline: built from the seeds, offsets that hold, run by the eval runner."""

from __future__ import annotations

import asyncio

import pytest
from conftest import ROOT, SEEDS

from assistant import evaluation, report
from assistant.baseline import NAME, PlainPipeline
from assistant.config import Settings
from assistant.retrieval import Filters

EVALS = ROOT / "evals"


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> PlainPipeline:
    return PlainPipeline.build(Settings(home=tmp_path_factory.mktemp("plain"), seeds=SEEDS), [SEEDS])


def test_builds_from_the_seeds_with_chunks_the_embedder_takes_whole(plain):
    assert sorted(plain.docs) == sorted(p.stem for p in SEEDS.iterdir()) and plain.skipped == []
    assert {n.ref_doc_id for n in plain.nodes} == set(plain.docs)
    for node in plain.nodes:
        assert plain.document_text(node.ref_doc_id)[node.start_char_idx:node.end_char_idx] == node.get_content()
        assert plain.index._embed_model.token_count(node.get_content()) <= 512
    assert plain.document_text("no-such-doc") is None


def test_answers_with_the_top_passage_cited_at_its_offsets(plain):
    answer = plain.ask("How much did coca cultivation increase in Colombia?")
    assert answer.found and answer.answerer == NAME == plain.answerer_name
    (citation,) = answer.citations
    assert plain.document_text(citation.doc_id)[citation.start:citation.end] == citation.text
    assert answer.answer == citation.text + " [1]" and answer.sentences[0].citations == (1,)
    assert "97.4%" in citation.text
    assert len(answer.retrieved) == 5 and answer.retrieved[0].start == citation.start
    scores = [p.score for p in answer.retrieved]
    assert scores == sorted(scores, reverse=True)


def test_never_abstains_and_ignores_history(plain):
    unrelated = plain.ask("What is the capital of Australia?")
    assert unrelated.found and unrelated.citations
    follow = asyncio.run(plain.aask("When was that?", [{"role": "user", "content": "What did DPNSEE say?"}]))
    assert follow.standalone_question == "When was that?"
    with pytest.raises(ValueError, match="empty"):
        plain.ask("   ")


def test_filters_restrict_what_is_retrieved(plain):
    serbian = plain.retrieve("Who represented Serbia?", filters=Filters(languages=("sr",)), k=10)
    assert serbian and {p.language for p in serbian} == {"sr"}
    one = plain.retrieve("Who represented Serbia?", filters=Filters(doc_ids=("002_c41756f9194e43e0",)), k=10)
    assert one and {p.doc_id for p in one} == {"002_c41756f9194e43e0"}
    dated = plain.retrieve("meeting", filters=Filters(date_from="2021-06-01", date_to="2021-12-31"), k=10)
    assert {p.doc_id for p in dated} == {"001_23abd807676cf300"}  # 000 states no date, so it is out
    assert plain.ask("meeting", filters=Filters(languages=("de",))).found is False


def test_the_eval_runner_scores_it_like_the_assistant(plain):
    items = evaluation.load_items(EVALS / "qa.jsonl")
    chosen = [i for i in items if i.answerable][:4] + [i for i in items if not i.answerable][:2]
    conversation = evaluation.load_conversations(EVALS / "conversations.jsonl")[0]
    results = asyncio.run(evaluation.run(plain, chosen, [conversation]))
    assert len(results) == len(chosen) + len(conversation)
    for r in results:
        assert r.answer.found and r.answer.answerer == NAME
        if r.item.answerable:
            assert "recall@5" in r.scores
            # The quoted passage is its own citation: valid, precise and supporting.
            assert r.scores["citation_validity"] == r.scores["citation_precision"] == r.scores["citation_recall"] == 1.0
        else:
            assert r.scores["no_answer_hallucination"] == 1.0
    summary = evaluation.summary(results) | {"answerer": "extractive", "reference": evaluation.summary(results)
                                             | {"answerer": NAME}}
    md = report.markdown(summary)
    assert f"| metric | value | reference `{NAME}` |" in md
    row = next(line for line in md.splitlines() if line.startswith("| citation_validity |"))
    assert row == "| citation_validity | 1.000 | 1.000 |"
