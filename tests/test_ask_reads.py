"""What a question reads from the store: ranked chunk ids without their texts, then the texts of its final hits
only (one get per language), with chunks deleted in between skipped."""

from __future__ import annotations

import numpy as np
from test_store import EN, SR, add_document, unit

from assistant.config import Settings
from assistant.keyword import KeywordIndex
from assistant.retrieval import Retriever
from assistant.store import Store


def test_chunks_are_ranked_by_their_best_similarity_to_any_phrasing_without_their_texts(tmp_path):
    store = Store(Settings(home=tmp_path / "home"))
    add_document(store, EN, 10)
    add_document(store, SR, 20)
    # Two phrasings of a question: each chunk counts with its best similarity to either.
    vectors = np.stack([unit(11), unit(12) * 0.6 + unit(13) * 0.4])
    ranked = store.query_chunks(vectors, 2, None, "en")
    assert [cid for cid, _sim in ranked] == ["en_report:h:0", "en_report:h:1"] and ranked[0][1] > 0.999
    assert all(len(row) == 2 for row in ranked)  # ids and similarities only: texts are read for final hits
    assert store.query_chunks(vectors, 2, None, "ru") == []


def test_final_hits_read_their_texts_and_skip_chunks_deleted_since_ranking(tmp_path):
    settings = Settings(home=tmp_path / "home")
    store = Store(settings)
    add_document(store, EN, 10)
    add_document(store, SR, 20)
    retriever = Retriever(store, KeywordIndex(settings.keyword_path), store.records())
    ranked = ["sr_report:h:1", "gone:h:0", "en_report:h:0", "en_report:gone:3", "en_report:h:1"]

    got = retriever._texts(ranked, 2)
    assert [cid for cid, _ in got] == ["sr_report:h:1", "en_report:h:0"]
    text, meta = dict(got)["sr_report:h:1"]
    assert text == SR.text[meta["start"] : meta["end"]] and meta["doc_id"] == "sr_report"

    # Two of the first four are gone: the fifth fills the third place.
    assert [cid for cid, _ in retriever._texts(ranked, 3)] == ["sr_report:h:1", "en_report:h:0", "en_report:h:1"]
    assert [cid for cid, _ in retriever._texts(ranked, 10)] == ["sr_report:h:1", "en_report:h:0", "en_report:h:1"]
    assert retriever._texts([], 5) == []


def test_chunks_once_read_are_kept_for_the_next_question(tmp_path):
    settings = Settings(home=tmp_path / "home")
    store = Store(settings)
    add_document(store, EN, 10)
    retriever = Retriever(store, KeywordIndex(settings.keyword_path), store.records())
    first = retriever._texts(["en_report:h:0", "en_report:h:1"], 2)
    # Deleted from the store behind this Retriever's back (a new store is a new Retriever): still answered
    # from what was read, so the second question made no store round trip for it.
    store.chunks.delete(ids=["en_report:h:0"])
    assert retriever._texts(["en_report:h:0"], 1) == first[:1]
    assert Retriever(store, KeywordIndex(settings.keyword_path), store.records())._texts(["en_report:h:0"], 1) == []


def test_the_kept_chunks_are_bounded(tmp_path, monkeypatch):
    from assistant import retrieval

    monkeypatch.setattr(retrieval, "CHUNK_CACHE", 1)
    settings = Settings(home=tmp_path / "home")
    store = Store(settings)
    add_document(store, EN, 10)
    retriever = Retriever(store, KeywordIndex(settings.keyword_path), store.records())
    retriever._texts(["en_report:h:0", "en_report:h:1"], 2)
    assert list(retriever._chunk_texts) == ["en_report:h:1"]  # the oldest went


def test_keyword_tokens_read_each_word_by_its_language_and_use_whatever_was_asked_before():
    from assistant.text import keyword_tokens

    # The same word in another language, as a query or written as a name gives other tokens: each is its own
    # entry of the per-word cache, asked in either order.
    for _ in range(2):
        assert keyword_tokens("sarajevu", "sr") == ["sarajev"]
        assert keyword_tokens("sarajevu", "sr", query=True) == ["sarajev", "^saraje", "~srjf"]
        assert keyword_tokens("Sarajevu", "sr") == ["sarajev", "^saraje", "~srjf"]
        assert keyword_tokens("председатель", "ru") != keyword_tokens("председатель", "sr")
    # A text's tokens are its words' tokens in order, stop words dropped.
    assert keyword_tokens("the meeting in Sarajevu", "en") == keyword_tokens("meeting", "en") + keyword_tokens(
        "Sarajevu", "en")


def test_a_long_sentences_clause_reads_the_same_however_often_it_is_focused():
    from assistant.answer import _clause_reading
    from assistant.facts import sentence_facts
    from assistant.text import content_words

    clause = "coca cultivation in Colombia rose by 97.4 percent in 2020"
    words, facts = _clause_reading(clause, "en")
    assert _clause_reading(clause, "en") == (words, facts)
    assert words == {w for w in content_words(clause, "en") if w[:1] not in "^~"} and "97.4" in facts.figures
    assert facts == sentence_facts(clause, "en")
