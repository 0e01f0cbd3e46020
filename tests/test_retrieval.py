"""retrieval: dense and keyword rankings fused, with filters and a boost for a conversation's reports."""

from __future__ import annotations

import pytest

from assistant.embedding import embed_queries, get_embedder
from assistant.keyword import KeywordIndex
from assistant.retrieval import Filters, Retriever, query_tokens
from assistant.store import Store
from assistant.text import detect_language, embedding_form
from assistant.twins import dated_by_twins

SR, EN, CSTO, TAIEX, G8 = (
    "000_7e6134a7318589bf", "001_23abd807676cf300", "002_c41756f9194e43e0", "003_9be4eadb76ad7108",
    "004_08540dc4f1130570",
)


@pytest.fixture(scope="module")
def search(seeded):
    store = Store(seeded)
    records = dated_by_twins(store.records())
    retriever = Retriever(store, KeywordIndex(seeded.keyword_path), records)
    embedder = get_embedder(seeded)

    def run(question: str, k: int = 5, **kwargs):
        language = detect_language(question)
        vectors = embed_queries(embedder, [embedding_form(question, language)])
        return retriever.search(vectors, query_tokens(question, language), k, **kwargs)

    run.records = records
    return run


def doc(hit) -> str:
    return hit.meta["doc_id"]


@pytest.mark.parametrize(
    ("question", "docs"),
    [
        ("What did DPNSEE say?", {SR, EN}),
        ("Ко је представљао Србију на радионици TAIEX у Сарајеву?", {TAIEX}),
        ("ko je predstavljao srbiju na radionici u sarajevu", {TAIEX}),  # Latin script, a Cyrillic report
        ("Who chaired the meeting of the CSTO coordinating council?", {CSTO}),
        ("Где прошла первая встреча экспертов G8 по полицейскому сотрудничеству?", {G8}),
    ],
)
def test_the_report_that_answers_comes_first(search, question, docs):
    hits = search(question)
    assert len(hits) == 5
    assert doc(hits[0]) in docs, [doc(h) for h in hits]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_hits_carry_their_text_and_offsets(seeded, search):
    store = Store(seeded)
    for hit in search("How much did coca cultivation increase in Colombia?"):
        text = store.document_text(doc(hit))
        assert text[hit.meta["start"] : hit.meta["end"]] == hit.text


def test_filters_restrict_every_ranking(search):
    question = "What did DPNSEE say?"
    assert {h.meta["language"] for h in search(question, filters=Filters(languages=("sr",)))} == {"sr"}
    assert {doc(h) for h in search(question, filters=Filters(doc_ids=(CSTO,)))} == {CSTO}
    dated_2016 = search(question, filters=Filters(date_from="2016-01-01", date_to="2016-12-31"))
    assert dated_2016 and {doc(h) for h in dated_2016} <= {d for d, r in search.records.items()
                                                          if r.date.startswith("2016")}
    assert search(question, filters=Filters(doc_ids=("no-such-report",))) == []


def test_an_undated_translation_passes_its_twins_date_filter(search):
    hits = search("Шта је рекао DPNSEE?", filters=Filters(date_from="2021-10-01", date_to="2021-10-31"), k=10)
    assert SR in {doc(h) for h in hits}  # 000 states no year; it is dated from 001


def test_a_boost_lifts_the_conversations_report(search):
    question = "When was the meeting held?"
    plain = [doc(h) for h in search(question, k=10)]
    target = max(set(plain), key=plain.index)  # the report whose best chunk ranks lowest
    assert plain.index(target) > 0
    boosted = [doc(h) for h in search(question, k=10, boost_docs=[target])]
    assert boosted.index(target) < plain.index(target)


def test_filters_allow():
    f = Filters(languages=("sr",), date_from="2021-01-01", date_to="2021-12-31")
    assert f.allows("a", "sr", "2021-10-19")
    assert not f.allows("a", "en", "2021-10-19")
    assert not f.allows("a", "sr", "2016-05-25")
    assert not f.allows("a", "sr", "")  # an undated report cannot be shown to be in the range
    assert Filters().allows("a", "ru", "")
    assert Filters(doc_ids=("a",)).allows("a", "en", "") and not Filters(doc_ids=("a",)).allows("b", "en", "")


def test_query_tokens_give_name_prefixes_in_lower_case():
    tokens = query_tokens("sta je rekao pekic u sarajevu", "sr")
    assert "^saraje" in tokens and "^sarajevu"[:7] in tokens
