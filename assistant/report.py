"""The eval report: JSON, Markdown and a PNG chart of the metrics per language form, with deltas."""

from __future__ import annotations

import json
import math
from pathlib import Path

from .evaluation import METRICS

FORMS = ("en", "sr-Cyrl", "sr-Latn", "ru")
# Lower is better for these two; every other metric is better higher.
LOWER_IS_BETTER = {"no_answer_hallucination", "false_refusal"}
PASSES = {"in_sample": "in sample", "heldout": "held out"}


def deltas(current: dict, baseline: dict) -> dict[str, float]:
    """Return current − baseline for every overall metric both reports have."""
    now, then = current.get("metrics", {}), baseline.get("metrics", {})
    return {m: round(now[m] - then[m], 4) for m in METRICS if m in now and m in then}


def sign_test(better: int, worse: int) -> float:
    """Return the two-sided p-value of an exact sign test: how often a split of the changed items at least this
    uneven comes about when a change is as likely to hurt an item as to help it."""
    n = better + worse
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(better, worse) + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired(rows: list[dict], base_rows: list[dict]) -> dict[str, dict]:
    """Return, for each metric, the items (in both runs' item rows) that got better and worse against the
    baseline run, and the sign test over them. A refit moves a held-out figure by an item or two whatever
    changed; the items that moved, and which way, say whether a change did anything."""
    before = {r["id"]: r.get("scores", {}) for r in base_rows}
    out: dict[str, dict] = {}
    for m in METRICS:
        better, worse = [], []
        for r in rows:
            old, new = before.get(r["id"], {}).get(m), r.get("scores", {}).get(m)
            if old is None or new is None or old == new:
                continue
            (better if (new < old if m in LOWER_IS_BETTER else new > old) else worse).append(r["id"])
        if better or worse:
            out[m] = {"better": better, "worse": worse, "sign_test_p": round(sign_test(len(better), len(worse)), 4)}
    return out


def read_rows(path: Path) -> list[dict] | None:
    """Return an items.jsonl file's rows, or None when there is none (a report written without items)."""
    if not path.is_file():
        return None
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def compare(baseline_file: Path, rows: list[dict], heldout_rows: list[dict] | None) -> dict[str, dict]:
    """Return the item-by-item comparison with the run whose report.json is baseline_file, for each pass whose
    item rows that run left beside it (items.jsonl, items_heldout.jsonl)."""
    out = {}
    for name, now, file in (("in_sample", rows, "items.jsonl"), ("heldout", heldout_rows, "items_heldout.jsonl")):
        then = read_rows(baseline_file.parent / file)
        if now is not None and then is not None:
            out[name] = paired(now, then)
    return out


def against(summary: dict, baseline: dict, baseline_file: Path | None, rows: list[dict],
            heldout_rows: list[dict] | None) -> dict:
    """Return what a run says against an earlier one (its report.json object, read from baseline_file): the
    overall deltas, in sample and held out, and item by item when that run's item rows are beside the file."""
    out: dict = {"baseline_delta": deltas(summary, baseline)}
    if baseline.get("heldout") and summary.get("heldout"):
        out["baseline_delta_heldout"] = deltas({"metrics": summary["heldout"]}, {"metrics": baseline["heldout"]})
    changes = compare(baseline_file, rows, heldout_rows) if baseline_file is not None else {}
    if changes:
        out["baseline_paired"] = changes
    return out


def markdown(summary: dict, baseline: dict | None = None) -> str:
    """Return the report as Markdown: overall metrics (with deltas), then per language form and type."""
    ref = summary.get("reference")
    columns = ["metric", "value"] + (["Δ vs baseline"] if baseline else []) + ([f"reference `{ref['answerer']}`"] if ref else [])
    lines = [f"# Eval report\n\n{summary['n']} items, answerer `{summary.get('answerer', 'extractive')}`.\n",
             "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    changes = deltas(summary, baseline) if baseline else {}
    for m in METRICS:
        if m not in summary["metrics"]:
            continue
        row = f"| {m} | {summary['metrics'][m]:.3f} |"
        if baseline:
            d = changes.get(m)
            row += f" {d:+.3f} |" if d is not None else " – |"
        if ref:
            row += reference_cell(ref, m)
        lines.append(row)
    for name, changes in summary.get("baseline_paired", {}).items():
        lines += ["", f"## Item by item against the baseline ({PASSES.get(name, name)})", ""]
        if not changes:
            lines.append("No item's scores moved.")
            continue
        lines += ["| metric | better | worse | sign test p |", "|---|---|---|---|"]
        lines += [f"| {m} | {len(c['better'])} | {len(c['worse'])} | {c['sign_test_p']:.3f} |" for m, c in changes.items()]
    for title, key in (("By language form", "by_language"), ("By question type", "by_type")):
        groups = summary.get(key, {})
        if not groups:
            continue
        shown = [m for m in METRICS if any(m in g for g in groups.values())]
        lines += ["", f"## {title}", "", "| group | n | " + " | ".join(shown) + " |",
                  "|---|---|" + "---|" * len(shown)]
        for name, g in groups.items():
            lines.append(f"| {name} | {g['n']} | " + " | ".join(f"{g[m]:.2f}" if m in g else "–" for m in shown) + " |")
    return "\n".join(lines) + "\n"


def reference_cell(reference: dict, metric: str) -> str:
    """Return the Markdown cell of a reference pipeline's overall metric ("–" when it has none)."""
    value = reference.get("metrics", {}).get(metric)
    return f" {value:.3f} |" if value is not None else " – |"


def chart(summary: dict, path: Path) -> Path:
    """Write a grouped bar chart of the main metrics per language form to path (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    shown = ["recall@5", "key_fact_recall", "citation_precision", "false_refusal", "no_answer_hallucination"]
    forms = [f for f in FORMS if f in summary["by_language"]]
    x = np.arange(len(shown))
    width = 0.8 / max(1, len(forms))
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=110)
    for i, form in enumerate(forms):
        values = [summary["by_language"][form].get(m, 0.0) for m in shown]
        ax.bar(x + i * width - 0.4 + width / 2, values, width, label=form)
    ax.set_xticks(x, [m.replace("_", " ") for m in shown])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share (hallucination and refusal: lower is better)")
    ax.set_title(f"Grounding metrics per question language ({summary['n']} items)")
    ax.legend(title="question form")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write(summary: dict, folder: Path, baseline: dict | None = None, items: list[dict] | None = None) -> list[Path]:
    """Write report.json, report.md and metrics.png into folder, and items.jsonl (one line per item:
    what was asked, what was answered, its scores) when given items; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    data = summary | ({"baseline_delta": deltas(summary, baseline)} if baseline else {})
    paths = [folder / "report.json", folder / "report.md", folder / "metrics.png"]
    paths[0].write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
    paths[1].write_text(markdown(summary, baseline), "utf-8")
    chart(summary, paths[2])
    if items is not None:
        paths.append(folder / "items.jsonl")
        paths[3].write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    return paths
