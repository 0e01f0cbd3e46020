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
    store.sentences.vectors.put(["gone_report:h:s0"], "en", unit(5)[None, :])  # written just before a crash
    assert store.delete_orphans(["sr_report"]) == 4
    assert store.chunks.count() == 2
    assert store.sentences.vectors.documents() == {"sr_report"}
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


def _sentences(n: int, dim: int = 16, seed: int = 3):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [sentence_id(f"d{i % 7}:h", i) for i in range(n)]
    metas = [{"doc_id": f"d{i % 7}", "language": "en", "index": i} for i in range(n)]
    return ids, vectors, metas


def test_sentence_vectors_are_kept_out_of_chromas_index(tmp_path):
    settings = Settings(home=tmp_path / "home")
    store = Store(settings)
    ids, vectors, metas = _sentences(60)
    store.sentences.add(ids, vectors, [f"s{i}" for i in range(60)], metas)
    # Chroma holds a one-number stand-in (its index costs ~24 bytes a record, not ~2 KB), the file the vectors
    stand_in = store.sentences.collection("en").get(ids=ids[:1], include=["embeddings"])["embeddings"]
    assert np.asarray(stand_in).shape == (1, 1)
    assert (settings.chroma_path / "reports-sentence-vectors.sqlite3").stat().st_size > 60 * 16 * 4

    reopened = Store(settings)
    got = reopened.sentences.get(include=["embeddings", "metadatas"])
    by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
    assert len(by_id) == 60 and all(np.array_equal(by_id[i], v) for i, v in zip(ids, vectors, strict=True))
    # searched whole while small, with the same ids and distances as a brute-force search
    question = vectors[5] + 0.1 * vectors[9]
    best = reopened.query_sentences(question[None, :], 3, None, "en")
    order = np.argsort(-(vectors @ (question / np.linalg.norm(question))))[:3]
    assert [(d, i) for d, i, _ in best] == [sentence_key(ids[n]) for n in order]
    assert reopened.score_sentences(question[None, :], [ids[9], ids[5], "gone:h:s1"], 5, "en")[0][:2] == \
        sentence_key(ids[5])
    odd = reopened.sentences.query("en", question[None, :], 3, {"index": {"$in": [1, 9, 11]}}, ["distances"])
    assert set(odd["ids"][0]) == {ids[1], ids[9], ids[11]}  # only what the filter leaves, nearest first
    assert odd["ids"][0][0] == ids[9] and odd["distances"][0] == sorted(odd["distances"][0])
    # deletes reach the file: by document, by ids, by any other filter
    reopened.delete_document("d0", keep_record=True)
    reopened.sentences.delete(ids=[ids[1]])
    reopened.sentences.delete(where={"index": 2})
    left = reopened.sentences.vectors.get(ids)
    assert set(left) == {i for n, i in enumerate(ids) if n % 7 != 0 and n not in (1, 2)}
    assert reopened.sentences.count() == len(left)


def test_a_large_shard_kept_apart_is_not_searched_whole(tmp_path):
    store = Store(Settings(home=tmp_path / "home"))
    ids, vectors, metas = _sentences(40)
    store.sentences.add(ids, vectors, [f"s{i}" for i in range(40)], metas)
    assert store.sentences.searchable("en")
    store.sentences.apart_limit = 39
    store.sentences._exact.clear()
    assert not store.sentences.searchable("en") and store.sentences.searchable("ru")  # ru: no shard at all
    try:
        store.query_sentences(vectors[:1], 3, None, "en")
    except ValueError as e:
        assert "too large" in str(e)
    else:
        raise AssertionError("a large shard kept apart must not be answered as if searched whole")
    assert store.score_sentences(vectors[3:4], ids[:10], 1, "en")[0][:2] == sentence_key(ids[3])


def test_a_store_made_before_keeps_its_sentence_vectors_in_chroma(tmp_path):
    from assistant.store import Shards

    settings = Settings(home=tmp_path / "home")
    store = Store(settings)
    old = Shards(store.client, "reports-sentences-")  # the way sentences were written before: vectors in Chroma
    ids, vectors, metas = _sentences(20)
    old.add(ids, vectors, [f"s{i}" for i in range(20)], metas)

    reopened = Store(settings)
    got = reopened.sentences.get(include=["embeddings"])
    assert np.allclose(np.asarray(got["embeddings"]), vectors[[ids.index(i) for i in got["ids"]]])
    assert reopened.sentences.vectors.get(ids) == {}  # nothing was moved into the file
    doc_id, index, _sim = reopened.query_sentences(vectors[4:5], 1, None, "en")[0]
    assert (doc_id, index) == sentence_key(ids[4])
    reopened.sentences.add([sentence_id("d9:h", 99)], vectors[:1], ["new"], [{"doc_id": "d9", "language": "en",
                                                                              "index": 99}])
    assert reopened.sentences.vectors.get([sentence_id("d9:h", 99)]) == {}  # its collection keeps its way


def test_an_exact_search_keeps_the_order_of_a_full_sort_among_ties():
    from assistant.store import _Exact

    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(50, 8)).astype(np.float32)
    vectors[[3, 17, 30, 41]] = vectors[9]  # the same sentence in five places: five equal distances
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.asarray([f"d{i}:h:s{i}" for i in range(50)], dtype=object)
    exact = _Exact(ids, np.asarray([f"d{i}" for i in range(50)], dtype=object), vectors)
    question = (vectors[9] + 0.01 * vectors[0])[None, :]
    for k in (1, 3, 5, 7, 50, 60):
        d = 1.0 - question / np.linalg.norm(question) @ vectors.T
        assert exact.query(question, k, None)["ids"][0] == [str(i) for i in ids[np.argsort(d[0], kind="stable")[:k]]]


def test_stores_opened_again_and_again_hold_no_files_open(tmp_path):
    import os

    settings = Settings(home=tmp_path / "home")
    ids, vectors, metas = _sentences(30)
    Store(settings).sentences.add(ids, vectors, [f"s{i}" for i in range(30)], metas)
    before = len(os.listdir("/proc/self/fd"))
    kept = []  # as Chroma's reference cycles keep Stores until the garbage collector runs
    for _ in range(40):
        store = Store(settings)
        assert len(store.sentences.get(include=["embeddings"])["ids"]) == 30
        kept.append(store)
    assert len(os.listdir("/proc/self/fd")) - before < 10  # a connection per Store was three files each


def test_a_store_lets_go_of_its_client_only_when_no_other_store_holds_it(tmp_path):
    import os

    settings = Settings(home=tmp_path / "home")
    store = Store(settings)
    add_document(store, EN, 10)
    other = Store(settings)  # a server's Store on the same directory
    first = store.client
    assert not store.let_go() and store.client is first  # letting go would strand the other's open files
    del other, first
    open_files = []
    for _ in range(12):
        held = store.client
        assert store.let_go() and store.client is not held
        del held
        # Still the same store, read through the new client: records, vectors kept apart, searches.
        assert set(store.records()) == {"en_report"} and store.sentences.count() == 2
        assert store.query_chunks(unit(11)[None, :], 1, None, "en")[0][0] == "en_report:h:0"
        open_files.append(len(os.listdir("/proc/self/fd")))
    # Chroma lets an old client's files go a little later, not at once; a client kept alive would hold ~7.
    assert max(open_files[2:]) - open_files[1] < 10, open_files
