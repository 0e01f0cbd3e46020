"""`assistant doctor`: a damaged store is found before Chroma reads it (no segfault, no raw traceback),
described in plain words, and rebuilt from the report files by `doctor --repair`."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import SEEDS

from assistant.config import Settings
from assistant.core import Assistant
from assistant.doctor import _HNSW_HEADER, diagnose, file_problems
from assistant.ingest import ingest
from assistant.store import Store

BIN = Path(sys.executable).parent / "assistant"
pytestmark = pytest.mark.slow  # each test runs the CLI a few times; the repairs re-ingest three reports
# Chroma keeps a small collection's vectors in its log and rebuilds them on open; past ~1000 records it
# reads them from its HNSW files, which is where damage crashes it. Repeated sentences make such a
# collection cheaply: identical texts are embedded once.
LINES = [f"Customs officers in {city} seized {n} kilograms of {drug} in a truck from {origin}."
         for city, n, drug, origin in [("Horgos", 12, "heroin", "Turkey"), ("Batrovci", 40, "cannabis", "Albania"),
                                       ("Presevo", 7, "cocaine", "Greece"), ("Vrska Cuka", 3, "amphetamine", "Bulgaria")]]


def run(*args, home: Path, seeds: Path | None = None, code: int | None = None) -> subprocess.CompletedProcess:
    env = os.environ | {"ASSISTANT_HOME": str(home)} | ({"ASSISTANT_SEEDS": str(seeds)} if seeds else {})
    proc = subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}: {proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    if code is not None:
        assert proc.returncode == code, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(home, reports): two seed reports and one of 1,100 sentences, ingested; copied by each test."""
    base = tmp_path_factory.mktemp("doctor")
    reports = base / "reports"
    reports.mkdir()
    for name in ("001_23abd807676cf300.txt", "002_c41756f9194e43e0.txt"):
        shutil.copy(SEEDS / name, reports / name)
    (reports / "customs.txt").write_text("Customs seizures at the border in 2022\n\n" + " ".join(LINES * 275), "utf-8")
    settings = Settings(home=base / "home", seeds=reports)
    report = ingest(settings, [reports])
    assert report.documents == 3 and not report.skipped
    return settings.home, reports


@pytest.fixture
def home(built, tmp_path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(built[0], copy)
    return copy


def persisted_segments(home: Path) -> list[Path]:
    """Return the HNSW folders whose vectors Chroma reads from disk (element count above zero)."""
    out = []
    for folder in sorted((home / "chroma").iterdir()):
        header = folder / "header.bin"
        if header.is_file() and _HNSW_HEADER.unpack(header.read_bytes())[3] > 0:
            out.append(folder)
    return out


def test_healthy_store(home):
    assert persisted_segments(home), "the big report's sentences should be in an HNSW file"
    proc = run("doctor", home=home, code=0)
    assert proc.stdout.startswith("healthy: 3 documents")
    found = json.loads(run("doctor", "--json", home=home, code=0).stdout)
    assert found["healthy"] and found["problems"] == [] and found["sentences"] > 1100


# A process killed in the middle of a write to Chroma's database (an ingest, SIGKILL or a power cut) leaves
# the file half written and its rollback journal beside it. The cache is kept to one page so that the
# transaction's pages reach the file before the kill, as a big write's do.
STOPPED_WRITE = """
import os, signal, sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA cache_size = 1")
con.execute("BEGIN IMMEDIATE")
con.execute("UPDATE collections SET name = name || '-half-written'")
con.execute("CREATE TABLE half_written (blob)")
con.execute("INSERT INTO half_written SELECT randomblob(4000) FROM embeddings")
os.kill(os.getpid(), signal.SIGKILL)
"""


def collection_names(db: Path) -> list[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return sorted(r[0] for r in con.execute("SELECT name FROM collections"))
    finally:
        con.close()


def test_a_write_stopped_by_a_kill_is_rolled_back_not_called_damage(home):
    db = home / "chroma" / "chroma.sqlite3"
    names = collection_names(db)
    proc = subprocess.run([sys.executable, "-c", STOPPED_WRITE, str(db)], timeout=120)
    assert proc.returncode == -9 and db.with_name("chroma.sqlite3-journal").stat().st_size
    # before: "chroma.sqlite3 cannot be read (attempt to write a readonly database)", or "truncated"
    assert file_problems(home / "chroma") == []
    assert not db.with_name("chroma.sqlite3-journal").exists()
    assert run("doctor", home=home, code=0).stdout.startswith("healthy: 3 documents")
    assert collection_names(db) == names
    assert "[1]" in run("ask", "How much heroin was seized in Horgos?", home=home, code=0).stdout


def test_garbage_in_vector_files_is_found_before_chroma_reads_it(home, built):
    folder = persisted_segments(home)[0]
    data = folder / "data_level0.bin"
    data.write_bytes(os.urandom(data.stat().st_size))
    for args in (("status",), ("ask", "How much heroin was seized in Horgos?"), ("ingest", str(built[1]))):
        proc = run(*args, home=home, code=1)  # used to be: status fine, ingest "unchanged", ask SIGSEGV
        assert "damaged" in proc.stderr and "doctor --repair" in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    found = run("doctor", home=home, code=1)
    assert "garbage" in found.stdout and "doctor --repair" in found.stdout
    repaired = run("doctor", "--repair", home=home, code=0)
    assert "healthy: 3 documents" in repaired.stdout
    answer = json.loads(run("ask", "How much heroin was seized in Horgos?", "--json", home=home, code=0).stdout)
    assert set(answer) >= {"answer", "found", "citations"}
    # The repaired store serves the passage again. Checked on what retrieval hands the answerer: whether the
    # scorer then answers from a report of four sentences repeated 275 times (each as close to its report's
    # centre as no real report's sentences are) is the scorer's business, not the store's.
    passages = Assistant(Settings(home=home, seeds=built[1])).retrieve("How much heroin was seized in Horgos?")
    assert any("Horgos seized 12 kilograms of heroin" in p.text for p in passages), passages
    assert not list(home.glob("chroma.broken-*"))


def test_deleted_segment_folders(home, built):
    for folder in persisted_segments(home):
        shutil.rmtree(folder)
    proc = run("ask", "How much heroin was seized in Horgos?", home=home, code=1)  # was: InternalError
    assert "missing" in proc.stderr and "doctor --repair" in proc.stderr
    run("ingest", "--rebuild", str(built[1]), home=home, code=0)
    assert run("doctor", home=home, code=0).stdout.startswith("healthy: 3 documents")


def test_truncated_database_is_a_message(home, built):
    db = home / "chroma" / "chroma.sqlite3"
    with open(db, "r+b") as f:
        f.truncate(db.stat().st_size // 3)
    for args in (("status",), ("ask", "What did DPNSEE say?")):
        proc = run(*args, home=home, code=1)
        assert "truncated" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert file_problems(home / "chroma") and "truncated" in file_problems(home / "chroma")[0]
    # The records cannot be read, so the rebuild reads the seeds folder.
    repaired = run("doctor", "--repair", home=home, seeds=built[1], code=0)
    assert "healthy: 3 documents" in repaired.stdout


def test_missing_sentences_and_a_stale_keyword_index_are_named(home, built):
    settings = Settings(home=home)
    store = Store(settings)
    store.sentences.delete(where={"doc_id": "002_c41756f9194e43e0"})
    meta = home / "keyword" / "chunks.json"
    index = json.loads(meta.read_text("utf-8"))
    index["ids"] = index["ids"][:-1] + ["001_23abd807676cf300:gone:0"]
    meta.write_text(json.dumps(index), "utf-8")
    found = diagnose(settings)
    assert any("002_c41756f9194e43e0" in p and "sentences" in p for p in found.problems), found.problems
    assert any("keyword index" in p for p in found.problems), found.problems
    assert run("doctor", "--repair", home=home, code=0).stdout.startswith("healthy: 3 documents")


def test_a_damaged_or_missing_sentence_vector_file_is_a_message(home, built):
    vectors = home / "chroma" / "reports-sentence-vectors.sqlite3"
    size = vectors.stat().st_size
    vectors.write_bytes(os.urandom(size))
    proc = run("ask", "How much heroin was seized in Horgos?", home=home, code=1)
    assert "reports-sentence-vectors.sqlite3" in proc.stderr and "doctor --repair" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    vectors.unlink()
    proc = run("status", home=home, code=1)
    assert "reports-sentence-vectors.sqlite3" in proc.stderr and "missing" in proc.stderr, proc.stderr
    repaired = run("doctor", "--repair", home=home, code=0)
    assert "healthy: 3 documents" in repaired.stdout and vectors.stat().st_size > 0


def test_sentences_without_vectors_are_named(home):
    settings = Settings(home=home)
    store = Store(settings)
    gone = store.sentences.get(where={"doc_id": "002_c41756f9194e43e0"}, include=[])["ids"]
    store.sentences.vectors.delete(ids=gone[:3])
    found = diagnose(settings)
    assert any(p.startswith("3 of ") and "no vector" in p for p in found.problems), found.problems


@contextmanager
def read_only(folder: Path):
    """Make folder read-only for this process for the block: a read-only bind mount when running as root (root
    writes through permission bits), else its permission bits."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
        for path in modes:
            path.chmod(modes[path] & ~0o222)
        try:
            yield folder
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    view = folder.with_name(folder.name + "-ro")
    view.mkdir()
    mounted = subprocess.run(["mount", "--bind", str(folder), str(view)], capture_output=True)
    if mounted.returncode == 0:
        mounted = subprocess.run(["mount", "-o", "remount,ro,bind", str(view)], capture_output=True)
        if mounted.returncode != 0:
            subprocess.run(["umount", str(view)], check=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot make a read-only folder here as root: {mounted.stderr.decode().strip()}")
    try:
        yield view
    finally:
        subprocess.run(["umount", str(view)], check=True)


def test_a_read_only_data_directory_is_named_and_never_repaired(home):
    before = run("status", "--json", home=home, code=0).stdout
    with read_only(home) as view:
        for args in (["status"], ["doctor"], ["doctor", "--repair"], ["ask", "How much heroin was seized in Horgos?"],
                     ["ingest", str(SEEDS)]):
            proc = run(*args, home=view, code=2)
            assert f"the data directory {view} cannot be written to" in proc.stderr, (args, proc.stderr)
            assert "--repair" not in proc.stdout + proc.stderr and "damaged" not in proc.stderr, (args, proc.stderr)
    assert sorted(p.name for p in home.iterdir() if p.name.startswith("chroma")) == ["chroma"]
    assert run("status", "--json", home=home, code=0).stdout == before
    assert run("doctor", home=home, code=0).stdout.startswith("healthy: 3 documents")


def test_a_new_or_empty_data_directory_is_nothing_indexed_and_is_not_made(tmp_path):
    new = tmp_path / "new"
    for args in (["doctor"], ["status"], ["doctor", "--repair"]):
        proc = run(*args, home=new, code=0)
        assert proc.stdout.startswith("nothing is indexed yet: run `assistant ingest`"), (args, proc.stdout)
    assert json.loads(run("status", "--json", home=new, code=0).stdout) == []
    assert json.loads(run("doctor", "--json", home=new, code=0).stdout)["healthy"]
    assert not new.exists()
    empty = tmp_path / "empty"
    (empty / "chroma").mkdir(parents=True)  # what a look at a store used to leave behind
    assert run("doctor", home=empty, code=0).stdout.startswith("nothing is indexed yet")


def test_a_rebuild_without_room_for_a_second_store_changes_nothing(home, built, monkeypatch):
    import assistant.doctor as doctor

    settings = Settings(home=home, seeds=built[1])
    before = run("status", "--json", home=home, code=0).stdout
    real = shutil.disk_usage
    monkeypatch.setattr(doctor.shutil, "disk_usage", lambda path: real(path)._replace(free=1024 * 1024))
    with pytest.raises(doctor.NoRoomToRebuild, match="needs about .* MB; the disk holding .* has 1 MB free"):
        doctor.repair(settings)
    assert not (home / doctor.STAGING).exists()
    assert run("status", "--json", home=home, code=0).stdout == before
