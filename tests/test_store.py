"""store: documents, chunks and sentences in an on-disk Chroma, one collection per language."""

from __future__ import annotations

import numpy as np

from assistant.config import Settings
from assistant.store import Store, sentence_id, sentence_key, shard_name
from assistant.types import Document


def unit(seed: int, dim: int = 8) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return v / np.linalg.norm(v)


def document(doc_id: str, text: str, language: str) -> Document:
    return Document(doc_id=doc_id, source=f"reports/{doc_id}.txt", title=text[:20], text=text, language=language,
                    script="Latin" if language == "en" else "Cyrillic", date="2021-10-19", content_hash=doc_id * 2)


def add_document(store: Store, doc: Document, seed: int) -> None:
    """Write a document the way ingest does: pending record, two chunks and their sentences, complete."""
    store.mark(doc, "pending", unit(seed), 0, 0)
    half = len(doc.text) // 2
    spans = [(0, half), (half, len(doc.text))]
    ids = [f"{doc.doc_id}:h:{i}" for i in range(2)]
    metas = [doc.metadata() | {"start": s, "end": e, "index": i} for i, (s, e) in enumerate(spans)]
    store.chunks.add(ids, [unit(seed + 1 + i) for i in range(2)], [doc.text[s:e] for s, e in spans], metas)
    sids = [sentence_id(f"{doc.doc_id}:h", i) for i in range(2)]
    store.sentences.add(sids, [unit(seed + 1 + i) for i in range(2)], [doc.text[s:e] for s, e in spans], metas)
    store.mark(doc, "complete", unit(seed), 2, 2)


EN = document("en_report", "The meeting was held in Vienna. Coca cultivation rose by 97.4 percent.", "en")
SR = document("sr_report", "Састанак је одржан у Бечу. Узгој коке порастао је за 97,4 одсто.", "sr")


def test_documents_and_chunks_round_trip_through_disk(tmp_path):
    settings = Settings(home=tmp_path / "home")
    store = Store(settings)
    add_document(store, EN, 10)
    add_document(store, SR, 20)

    reopened = Store(settings)  # a new client on the same directory: what another process would see
    records = reopened.records()
    assert set(records) == {"en_report", "sr_report"}
    rec = records["en_report"]
    assert (rec.state, rec.chunks, rec.sentences, rec.language, rec.source) == ("complete", 2, 2, "en", EN.source)
    assert reopened.document_text("sr_report") == SR.text
    assert reopened.document_text("missing") is None
    assert reopened.chunks.languages() == ["en", "sr"]  # one collection per document language
    assert reopened.chunks.count() == 4 and reopened.sentences.count() == 4

    parts = reopened.get_document_parts(reopened.chunks, "sr_report")
    for text, meta in zip(parts["documents"], parts["metadatas"], strict=True):
        assert SR.text[meta["start"] : meta["end"]] == text
    assert np.allclose(np.asarray(parts["embeddings"]), [unit(21), unit(22)], atol=1e-6) or np.allclose(
        np.asarray(parts["embeddings"]), [unit(22), unit(21)], atol=1e-6)


def test_queries_find_the_nearest_chunk_and_sentence_of_a_language(tmp_path):
    store = Store(Settings(home=tmp_path / "home"))
    add_document(store, EN, 10)
    add_document(store, SR, 20)
    best = store.query_chunks(unit(12)[None, :], 2, None, "en")
    assert best[0][0] == "en_report:h:1" and best[0][1] > 0.999
    assert len(best[0]) == 2  # ids and similarities only: texts are fetched for the chunks a search keeps
    assert store.get_chunks([best[0][0]], "en")[best[0][0]][0] == EN.text[len(EN.text) // 2 :]
    assert store.query_chunks(unit(12)[None, :], 2, None, "ru") == []  # no Russian collection at all
    doc_id, index, sim = store.query_sentences(unit(21)[None, :], 1, None, "sr")[0]
    assert (doc_id, index) == ("sr_report", 0) and sim > 0.999
    got = store.get_chunks(["sr_report:h:0"], "sr")
    assert got["sr_report:h:0"][0] == SR.text[: len(SR.text) // 2]


def test_delete_removes_a_document_everywhere_and_leaves_the_others(tmp_path):
    store = Store(Settings(home=tmp_path / "home"))
    add_document(store, EN, 10)
    add_document(store, SR, 20)
    store.delete_document("en_report")
    assert set(store.records()) == {"sr_report"}
    assert store.chunks.get(where={"doc_id": "en_report"})["ids"] == []
    assert store.sentences.get(where={"doc_id": "en_report"})["ids"] == []
    assert len(store.chunks.get(where={"doc_id": "sr_report"})["ids"]) == 2

    store.delete_document("sr_report", keep_record=True)
    assert set(store.records()) == {"sr_report"} and store.chunks.count() == 0


def test_orphans_and_twins(tmp_path):
    store = Store(Settings(home=tmp_path / "home"))
    add_document(store, EN, 10)
    add_document(store, SR, 20)
    store.documents.delete(ids=["en_report"])  # a record lost, its chunks left behind
    assert store.delete_orphans(["sr_report"]) == 4
    assert store.chunks.count() == 2
    store.set_twin("sr_report", "en_report")
    assert store.records()["sr_report"].twin == "en_report"


def test_ids_and_names():
    sid = sentence_id("001_23abd807676cf300:9f2c", 17)
    assert sentence_key(sid) == ("001_23abd807676cf300", 17)
    assert shard_name("sr") == "sr" and shard_name("") == "und" and shard_name("sr-Latn!") == "srlatn"


def test_a_small_shard_is_searched_in_memory_with_chromas_results(tmp_path):
    store = Store(Settings(home=tmp_path / "home"))
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"d{i % 12}:h:{i}" for i in range(300)]
    metas = [{"doc_id": f"d{i % 12}", "language": "en", "date": f"2021-{1 + i % 12:02d}-01"} for i in range(300)]
    store.chunks.add(ids, vectors, [f"text {i}" for i in range(300)], metas)
    questions = rng.normal(size=(2, 16)).astype(np.float32)
    filters = [None, {"doc_id": {"$in": ["d3", "d5", "d11"]}}, {"doc_id": {"$in": ["absent"]}},
               {"date": {"$in": ["2021-06-01", "2021-07-01"]}}]  # the last is not one the memory copy applies: Chroma does

    def search(limit):
        store.chunks.exact_limit = limit
        store.chunks._exact.clear()
        return [store.chunks.query("en", questions, 10, where, ["distances"]) for where in filters]

    by_chroma, in_memory = search(0), search(4096)
    assert store.chunks._exact["en"] is not None  # the memory copy was what answered
    for chroma, mine in zip(by_chroma, in_memory, strict=True):
        assert mine["ids"] == chroma["ids"]
        assert np.allclose(mine["distances"], chroma["distances"], atol=1e-5)
    assert in_memory[2]["ids"] == [[], []]
    # a write is seen by the next search
    store.chunks.add(["new:h:0"], questions[:1], ["new"], [{"doc_id": "new", "language": "en", "date": ""}])
    assert store.chunks.query("en", questions[:1], 1, None, ["distances"])["ids"] == [["new:h:0"]]
    store.chunks.delete(where={"doc_id": "new"})
    assert "new:h:0" not in store.chunks.query("en", questions[:1], 5, None, ["distances"])["ids"][0]
    # a shard emptied by deletes answers with nothing, as Chroma does
    store.chunks.delete(where={"language": "en"})
    assert store.chunks.query("en", questions, 5, None, ["distances"])["ids"] == [[], []]
