"""The eval report: JSON, Markdown and a PNG chart of the metrics per language form, with deltas."""

from __future__ import annotations

import json
from pathlib import Path

from .evaluation import METRICS

FORMS = ("en", "sr-Cyrl", "sr-Latn", "ru")
# Lower is better for these two; every other metric is better higher.
LOWER_IS_BETTER = {"no_answer_hallucination", "false_refusal"}


def deltas(current: dict, baseline: dict) -> dict[str, float]:
    """Return current − baseline for every overall metric both reports have."""
    now, then = current.get("metrics", {}), baseline.get("metrics", {})
    return {m: round(now[m] - then[m], 4) for m in METRICS if m in now and m in then}


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
