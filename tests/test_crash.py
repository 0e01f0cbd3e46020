"""SIGKILL `assistant ingest` (the real CLI, a subprocess) at ten points of an ingest of the five seeds, re-run it
to completion, and check that the store ends exactly as a clean ingest leaves it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import ARTIFACTS, SEEDS

from assistant.config import Settings
from assistant.doctor import STAGING
from assistant.keyword import KeywordIndex, keyword_signature
from assistant.store import Store, forget_client

BIN = Path(sys.executable).parent / "assistant"
TIMEOUT = 180  # seconds for one CLI run; more is a hang

# Loaded into the CLI process through PYTHONPATH (sitecustomize): it reports each step of the ingest on a pipe
# the test reads, and can hold still at one step so that the kill lands exactly there. It changes nothing else.
PROBE = '''
import functools, os, time

import assistant.ingest as ingest
import assistant.keyword as keyword
import assistant.store as store
import assistant.twins as twins

_FD = int(os.environ["CRASH_EVENTS_FD"])
_PAUSE = os.environ.get("CRASH_PAUSE", "")
_counts = {}


def _emit(event):
    _counts[event] = n = _counts.get(event, 0) + 1
    os.write(_FD, (event + "\\n").encode())
    if _PAUSE == f"{event}#{n}":
        time.sleep(3600)  # hold still: the test kills the process here


def _wrap(owner, attr, name):
    original = getattr(owner, attr)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        event = name(*args, **kwargs) if callable(name) else name
        if event:
            _emit(event)
        result = original(*args, **kwargs)
        if event:
            _emit(event + ":done")
        return result

    setattr(owner, attr, wrapper)


_wrap(ingest, "read_document", "read")
_wrap(ingest, "embed_passages", "embed")
_wrap(store.Store, "mark", lambda self, doc, state, *a, **k: f"mark-{state}")
_wrap(store.Store, "delete_document", "delete")
_wrap(store.Shards, "add", lambda self, *a, **k: "add-" + self.prefix.rstrip("-").rsplit("-", 1)[1])
_wrap(keyword.KeywordIndex, "build", "keyword")
_wrap(keyword.os, "replace", lambda src, dst: f"replace {os.path.basename(src)}->{os.path.basename(dst)}"
      if "keyword" in str(src) else None)
_wrap(twins, "link_twins", "twins")
_wrap(store.Store, "set_twin", "set-twin")
'''


@dataclass(frozen=True)
class KillPoint:
    """Kill when `event` has happened `nth` times: at once when `hold` (the probe holds the process there),
    else `delay` seconds later while the step runs."""

    label: str
    event: str
    nth: int = 1
    hold: bool = False
    delay: float = 0.0
    repaired: int | None = None  # what the re-run must report, where the kill point fixes it


# Ingest order: the five seeds sorted (000 … 004); per document: read, embed (1–3 batches), mark-pending,
# (delete, for a document that had chunks before), add-chunks, add-sentences, mark-complete; then the
# keyword index, then the twins 000 ↔ 001.
KILL_POINTS = [
    KillPoint("reading the first file", "read"),
    KillPoint("embedding the first document", "embed", delay=0.3),
    KillPoint("pending record written, no chunk written yet", "add-chunks", hold=True, repaired=1),
    KillPoint("writing the first document's chunks", "add-chunks"),
    KillPoint("chunks written, sentences not", "add-sentences", nth=2, hold=True, repaired=1),
    KillPoint("writing the third document's sentences", "add-sentences", nth=3),
    KillPoint("marking the fourth document complete", "mark-complete", nth=4),
    KillPoint("embedding the last document", "embed", nth=7, delay=0.2),
    KillPoint("keyword index built, not yet in place", "replace keyword.tmp->keyword", hold=True, repaired=0),
    KillPoint("one twin recorded, sentences not aligned", "set-twin:done", hold=True, repaired=0),
]


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("crash-probe")
    (folder / "sitecustomize.py").write_text(PROBE)
    return folder


def run_cli(home: Path, probe: Path, point: KillPoint | None, logs: Path, args: tuple[str, ...] = (),
            sig: signal.Signals = signal.SIGKILL) -> tuple[int, list[str], str]:
    """Run `assistant ingest seeds --json` (or `assistant ARGS`), sending it sig at point; return its exit code,
    the steps it reported and its stdout."""
    read_end, write_end = os.pipe()
    env = os.environ | {"ASSISTANT_HOME": str(home), "PYTHONPATH": os.pathsep.join(filter(None, [str(probe), os.environ.get("PYTHONPATH")])), "CRASH_EVENTS_FD": str(write_end),
                        "CRASH_PAUSE": f"{point.event}#{point.nth}" if point and point.hold else ""}
    out, err = logs.with_suffix(".out"), logs.with_suffix(".err")
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen([str(BIN), *(args or ("ingest", str(SEEDS), "--json"))], env=env, pass_fds=(write_end,),
                                stdout=stdout, stderr=stderr)
    os.close(write_end)
    watchdog = threading.Timer(TIMEOUT, proc.kill)
    watchdog.start()
    events: list[str] = []
    try:
        with os.fdopen(read_end, "r") as stream:
            for line in stream:  # ends when the process exits
                events.append(line.strip())
                if point and events.count(point.event) == point.nth:
                    time.sleep(point.delay)
                    proc.send_signal(sig)
                    break
        code = proc.wait(timeout=TIMEOUT)
    finally:
        watchdog.cancel()
    if point is None:
        assert code == 0, err.read_text()
    return code, events, out.read_text()


def snapshot(settings: Settings) -> dict:
    """Return everything a finished ingest leaves in the store and keyword index, in comparable form."""
    store = Store(settings)
    records = store.records()
    chunks = store.chunks.get(include=["documents", "metadatas", "embeddings"])
    sentences = store.sentences.get(include=["documents", "metadatas"])
    keyword = KeywordIndex(settings.keyword_path)
    return {
        "records": {k: (r.state, r.source, r.content_hash, r.chunks, r.sentences, r.twin) for k, r in records.items()},
        "chunks": {i: (m["doc_id"], t, m["start"], m["end"], m["kw"])
                   for i, t, m in zip(chunks["ids"], chunks["documents"], chunks["metadatas"], strict=True)},
        "sentences": {i: (m["doc_id"], t, m["start"], m["end"], m["twin"])
                      for i, t, m in zip(sentences["ids"], sentences["documents"], sentences["metadatas"], strict=True)},
        "keyword": (sorted(keyword.ids), keyword.signature == keyword_signature(records)),
        "vectors": dict(zip(chunks["ids"], np.asarray(chunks["embeddings"]), strict=True)),
    }


def check_invariants(snap: dict, settings: Settings) -> None:
    """Assert what holds for any finished ingest: complete records whose counts match the store, no duplicate
    or orphan parts, a keyword index over exactly the stored chunks, and every chunk findable by its vector."""
    records = snap["records"]
    assert records and all(state == "complete" for state, *_ in records.values())
    for doc_id, (_, _, _, n_chunks, n_sentences, _) in records.items():
        texts = [t for d, t, *_ in snap["chunks"].values() if d == doc_id]
        assert len(texts) == n_chunks and len(set(texts)) == len(texts), doc_id
        assert sum(d == doc_id for d, *_ in snap["sentences"].values()) == n_sentences, doc_id
    assert {d for d, *_ in snap["chunks"].values()} <= set(records)  # no orphan chunks
    assert {d for d, *_ in snap["sentences"].values()} <= set(records)  # no orphan sentences
    ids, fresh = snap["keyword"]
    assert ids == sorted(snap["chunks"]) and fresh
    store = Store(settings)
    languages = {doc_id: r.language for doc_id, r in store.records().items()}
    for cid, vector in snap["vectors"].items():
        language = languages[snap["chunks"][cid][0]]
        assert store.query_chunks(vector, 1, None, language)[0][0] == cid


def crash_and_recover(n: int, point: KillPoint, probe: Path, tmp_path: Path) -> dict:
    """Kill an ingest into a fresh data dir at point, re-run it to completion; return what happened."""
    home = tmp_path / f"home-{n}"
    t0 = time.monotonic()
    code, events, out = run_cli(home, probe, point, tmp_path / f"kill-{n}")
    killed_after = time.monotonic() - t0
    assert code == -signal.SIGKILL and out == "", (point.label, code, events[-3:])
    if point.hold:
        assert events[-1] == point.event, (point.label, events[-3:])
    t1 = time.monotonic()
    _, _, out = run_cli(home, probe, None, tmp_path / f"rerun-{n}")
    return {"point": point.label, "home": home, "killed_after_s": round(killed_after, 2), "last_step": events[-1],
            "rerun_s": round(time.monotonic() - t1, 1), "rerun": json.loads(out)}


@pytest.mark.slow
def test_ingest_survives_sigkill_at_ten_points(seeded, probe, tmp_path):
    reference = snapshot(seeded)
    check_invariants(reference, seeded)
    assert {twin for *_, twin in reference["records"].values()} - {""}, "the seeds have translation twins"
    started = time.monotonic()
    # Two at a time: an ingest keeps about one core busy.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda args: crash_and_recover(*args, probe, tmp_path), enumerate(KILL_POINTS)))
    for point, result in zip(KILL_POINTS, results, strict=True):
        rerun = result["rerun"]
        assert rerun["documents"] == 5 and rerun["skipped"] == [], point.label
        if point.repaired is not None:
            assert rerun["repaired"] == point.repaired, (point.label, rerun)
        settings = Settings(home=result["home"], seeds=SEEDS)
        snap = snapshot(settings)
        check_invariants(snap, settings)
        for part in ("records", "chunks", "sentences", "keyword"):
            assert snap[part] == reference[part], (point.label, part)
        assert snap["vectors"].keys() == reference["vectors"].keys()
        for chunk_id, vector in snap["vectors"].items():
            assert np.allclose(vector, reference["vectors"][chunk_id], atol=1e-5), (point.label, chunk_id)
    summary = [{k: v for k, v in r.items() if k != "home"} | {"rerun": {k: r["rerun"][k] for k in (
        "new", "unchanged", "repaired", "chunks_embedded")}} for r in results]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "crash.json").write_text(json.dumps(
        {"seconds": round(time.monotonic() - started, 1), "points": summary}, indent=1, ensure_ascii=False))
    for r in summary:
        print(f"{r['point']:<52} killed after {r['killed_after_s']:>5}s at {r['last_step']:<28} re-run {r['rerun']}")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_a_stopped_rebuild_leaves_the_store_as_it_was(probe, tmp_path, sig):
    """`ingest --rebuild` (what `doctor --repair` runs) stopped half-way leaves the store it was replacing whole
    and in place, and the next rebuild completes."""
    home = tmp_path / "home"
    run_cli(home, probe, None, tmp_path / "first")
    settings = Settings(home=home, seeds=SEEDS)
    before = snapshot(settings)
    forget_client(settings)
    # Held once the new store holds the chunks of three of the five reports.
    point = KillPoint("rebuild half-way", "add-chunks", nth=3, hold=True)
    code, events, _ = run_cli(home, probe, point, tmp_path / "stopped", ("ingest", "--rebuild", str(SEEDS)), sig)
    assert events[-1] == "add-chunks", events[-3:]
    if sig == signal.SIGINT:
        err = (tmp_path / "stopped.err").read_text()
        assert code == 130 and err.splitlines()[-1] == (
            "interrupted: the rebuild was stopped and the store is as it was before it"), err
        assert not (home / STAGING).exists()
    else:
        assert code == -signal.SIGKILL
    assert sorted(p.name for p in home.iterdir() if p.name.startswith("chroma")) == ["chroma"]
    after = snapshot(settings)
    forget_client(settings)
    for part in ("records", "chunks", "sentences", "keyword"):
        assert after[part] == before[part], part
    check_invariants(after, settings)
    forget_client(settings)

    code, _, out = run_cli(home, probe, None, tmp_path / "rebuilt", ("ingest", "--rebuild", str(SEEDS), "--json"))
    assert json.loads(out)["new"] == 5 and not (home / STAGING).exists()
    rebuilt = snapshot(settings)
    forget_client(settings)
    for part in ("records", "chunks", "sentences", "keyword"):
        assert rebuilt[part] == before[part], part


@pytest.mark.slow
def test_a_stopped_ingest_is_named_and_finished_not_rebuilt(probe, tmp_path):
    """Ctrl-C in the middle of a plain ingest keeps what it wrote, says how to finish, and `doctor` tells a
    stopped ingest (finish it) from damage (rebuild): `doctor --repair` finishes it without a rebuild."""
    home = tmp_path / "home"
    point = KillPoint("third document's chunks", "add-chunks", nth=3, hold=True)
    code, events, _ = run_cli(home, probe, point, tmp_path / "stopped", sig=signal.SIGINT)
    err = (tmp_path / "stopped.err").read_text()
    assert code == 130 and "run `assistant ingest` again to finish" in err.splitlines()[-1], err
    doctor = [str(BIN), "doctor"]
    env = os.environ | {"ASSISTANT_HOME": str(home)}
    found = subprocess.run(doctor, capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert found.returncode == 1 and "was being written when an ingest stopped" in found.stdout, found.stdout
    assert "an ingest stopped before it finished" in found.stdout.splitlines()[-1], found.stdout
    assert "rebuild" not in found.stdout
    fixed = subprocess.run([*doctor, "--repair"], capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert fixed.returncode == 0 and fixed.stdout.startswith("healthy: 3 documents"), (fixed.stdout, fixed.stderr)
    assert "finishing the stopped ingest" in fixed.stderr and "rebuilding" not in fixed.stderr, fixed.stderr
    settings = Settings(home=home, seeds=SEEDS)
    check_invariants(snapshot(settings), settings)
    forget_client(settings)
