"""The support check's eval (`assistant eval --set support`): labelled sentence–passage pairs written blind to
the checker, scored with the bundled embedder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from assistant.support_eval import Pair, load_pairs, summary

PAIRS = ROOT / "evals" / "support"
# What the check must do on pairs nobody tuned it on (holdout.jsonl, measured once; test.jsonl was looked at
# while building). Before names were read across languages: holdout 0.67 / 0.40 / 0.26, test 0.62 / 0.44 / 0.32.
GATE = {"accuracy": (">=", 0.69), "false_flags": ("<=", 0.30), "passed": ("<=", 0.35)}


def _run(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"ASSISTANT_HOME": str(home)}
    return subprocess.run([str(Path(sys.executable).parent / "assistant"), "eval", "--set", "support", *args],
                          capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)


def test_the_support_check_holds_its_gate_on_pairs_nobody_tuned_it_on(tmp_path):
    proc = _run("--json", home=tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"dev", "test", "holdout", "flips"}
    for name, figures in out.items():
        assert figures["n"] == len(load_pairs(PAIRS / f"{name}.jsonl"))
        assert set(figures["by_language"]) == {"same_language", "translated"}
    for name in ("test", "holdout"):
        figures = out[name]
        failed = {k: figures[k] for k, (op, bound) in GATE.items()
                  if not (figures[k] >= bound if op == ">=" else figures[k] <= bound)}
        assert not failed, f"{name} below the gate: {failed}"
        # a faithful translation is no longer flagged as a rule (it was four times in five)
        assert figures["by_kind"]["translation"]["false_flags"] <= 0.55, name
    # flips.jsonl: sentences turned round against faithful ones that say which way things went (before the
    # direction words were read, 0.74 of the flips passed)
    flips = out["flips"]
    assert flips["by_kind"]["flipped"]["passed"] <= 0.6 and flips["false_flags"] <= 0.3, flips


def test_no_pairs_or_a_broken_one_is_a_one_line_usage_error(tmp_path):
    proc = _run("--evals", str(tmp_path), home=tmp_path / "home")
    assert proc.returncode == 2 and "no labelled pairs" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "support").mkdir()
    (tmp_path / "support" / "mine.jsonl").write_text('{"id": "x", "claim": "It rose [1]."}\n{not json\n', "utf-8")
    proc = _run("--evals", str(tmp_path), home=tmp_path / "home")
    assert proc.returncode == 2 and "mine.jsonl line 1 is not a labelled pair" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_the_summary_counts_flags_of_borne_out_sentences_and_passes_of_unsupported_ones():
    def pair(i: int, supported: bool, kind: str, language: str) -> Pair:
        return Pair(f"p{i}", "claim [1].", "passage.", supported, kind, language, "en")

    pairs = [pair(1, True, "translation", "ru"), pair(2, True, "paraphrase", "en"),
             pair(3, False, "flipped", "en"), pair(4, False, "wrong_name", "sr-Latn")]
    out = summary(pairs, [0.4, 0.9, 0.7, 0.1])
    assert (out["n"], out["accuracy"], out["false_flags"], out["passed"]) == (4, 0.5, 0.5, 0.5)
    assert out["by_kind"]["translation"] == {"n": 1, "accuracy": 0.0, "false_flags": 1.0, "passed": None}
    assert out["by_language"]["translated"]["n"] == 2 and out["by_language"]["same_language"]["n"] == 2
