"""The bench through its real entry point at a tiny scale: the JSON shape and what must hold at any speed."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

from assistant import bench
from assistant.evaluation import load_items

BIN = Path(sys.executable).parent / "assistant"
DOC = SEEDS / "002_c41756f9194e43e0.txt"  # the smallest report: keeps the two timed ingests short
LATENCIES = ("ask_p50_ms", "ask_p95_ms", "raw_p50_ms", "raw_p95_ms", "plain_p50_ms", "plain_p95_ms",
             "scale_p50_ms", "scale_p95_ms")
RATIOS = ("ingest_vs_raw", "ingest_vs_once", "ask_vs_raw", "ask_vs_plain")


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("bench") / "home"
    env = os.environ | {"ASSISTANT_HOME": str(home)}
    proc = subprocess.run([str(BIN), "bench", "--json", "--scale", "2000", "--questions", "6", str(DOC)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert not home.exists(), "bench must work in a temp dir, not the data directory"
    return json.loads(proc.stdout)  # stdout is exactly one JSON object; progress goes to stderr


def test_json_has_every_number_and_the_machine(result):
    for key in (*LATENCIES, *RATIOS, "reingest_embedded", "reingest_s", "scale_chunks", "scale_sentences",
                "cli_ask_s", "peak_rss_mb"):
        assert isinstance(result[key], int | float), key
    assert {"cpu_count", "python", "platform"} <= set(result["machine"])
    assert result["machine"]["cpu_count"] == os.cpu_count()


def test_invariants_that_hold_at_any_speed(result):
    assert result["reingest_embedded"] == 0
    assert result["scale_chunks"] == 2000
    assert result["questions"] == 6
    # The raw side embeds exactly what the pipeline embedded.
    assert result["texts_embedded"] == result["pipeline_embedded"] > 0
    assert all(result[k] > 0 for k in LATENCIES)
    assert all(math.isfinite(result[k]) and result[k] > 0 for k in RATIOS)
    assert result["ask_vs_raw"] == pytest.approx(result["ask_p50_ms"] / result["raw_p50_ms"], rel=0.01)
    assert result["ask_vs_plain"] == pytest.approx(result["ask_p50_ms"] / result["plain_p50_ms"], rel=0.01)
    assert result["ask_p95_ms"] >= result["ask_p50_ms"] and result["scale_p95_ms"] >= result["scale_p50_ms"]
    # The scale store is served in a process of its own (model, Chroma, keyword index); the model and Chroma
    # alone are more than 100 MB in either process.
    assert result["peak_rss_mb"] == result["scale_peak_rss_mb"] > 100 and result["bench_peak_rss_mb"] > 100
    assert result["ingest_vs_once"] == pytest.approx(result["once_embed_s"] / result["ingest_s"], rel=0.01)
    # Embedding the text once takes each character once; the pipeline embeds at least that much.
    assert 0 < result["chars_once"] <= result["chars_embedded"]
    # A cold command-line question is a whole process: more than one answer inside a warm one.
    assert result["cli_ask_s"] * 1000 > result["ask_p50_ms"] and result["cli_ask_runs"] == 3
    # The scale store is real-shaped: the corpus's sentences per chunk (rounding aside), every one stored.
    ratio = result["sentences"] / result["chunks"]
    assert result["scale_sentences"] == pytest.approx(ratio * result["scale_chunks"], rel=0.05)
    assert len(result["machine"]["load_avg"]) == 3


def test_human_table_names_every_goal(result):
    text = bench.table(result)
    for key in ("ingest_vs_raw", "ingest_vs_once", "ask_vs_raw", "ask_vs_plain", "cli_ask_s", "reingest_embedded",
                "scale_p95_ms", "peak_rss_mb"):
        line = next(line for line in text.splitlines() if line.startswith(key))
        assert line.endswith(("met", "MISSED")), line
    assert bench.met(result)["reingest_embedded"] is True


def test_questions_are_spread_over_the_eval_set():
    path = ROOT / "evals" / "qa.jsonl"
    questions = bench.load_questions(path, 40)
    assert len(questions) == len(set(questions)) == 40
    forms = {i.question: i.form for i in load_items(path)}
    assert {forms[q] for q in questions} == {"en", "sr-Cyrl", "sr-Latn", "ru"}
    assert bench.percentile([1, 2, 3, 4], 50) == 2.5 and bench.percentile([5.0], 95) == 5.0
