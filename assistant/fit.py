"""Fitting the scorer: a logistic model on (question, sentence) pairs labelled from the gold spans, folds
that leave one report out, and the "not found" threshold calibrated (Platt scaling) on probabilities of
held-out folds. The chunk ranker (ranking.py) is fitted the same way on (question, candidate chunk) pairs.

Only `assistant eval` fits; answering reads the weights file. scikit-learn is therefore needed for
evaluation, not to answer (`pip install -e '.[test]'`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import numpy as np

from . import ranking
from .ranking import RankerWeights
from .scorer import FEATURES, WEIGHTS_FILE, Weights, gate_features

REGULARISATION = 1.0
# Held-out figures leave one report out while there are at most HELD_OUT_FOLDS reports; past that, reports are
# dealt into that many folds (a fit on ~80,000 sentences takes seconds, and nesting multiplies the fits). The
# threshold's calibration, nested inside each, deals them into CALIBRATION_FOLDS.
HELD_OUT_FOLDS = 30
CALIBRATION_FOLDS = 10
T = TypeVar("T")


@dataclass(frozen=True)
class Example:
    """One question's candidate sentences: feature rows and whether each overlaps a gold span."""

    id: str
    group: str  # the report (with its translation) the question is about: the fold it is held out in
    answerable: bool
    x: np.ndarray
    y: np.ndarray
    question: tuple[float, float] = (0.0, 1.0)  # scorer.question_inputs of its query


def _logistic(x: np.ndarray, y: np.ndarray) -> tuple[tuple[float, ...], float]:
    """Return the coefficients and intercept of a balanced logistic regression on standardised features,
    the standardisation folded into them (answering needs numpy only)."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise SystemExit("fitting the scorer needs scikit-learn: pip install -e '.[test]'") from e
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    # Newton steps: a few dozen features over ~20,000 sentences, half of them each feature's cross-lingual copy
    # (nearly collinear with it), where lbfgs crawled (18 s a fit against 0.6 s) and stopped short of the optimum.
    model = LogisticRegression(C=REGULARISATION, max_iter=2000, class_weight="balanced", solver="newton-cholesky")
    model.fit((x - mean) / scale, y)
    coef = model.coef_[0] / scale
    return tuple(float(c) for c in coef), float(model.intercept_[0] - np.sum(model.coef_[0] * mean / scale))


def fit(examples: Iterable[Example], threshold: float = 0.5) -> Weights:
    """Return the ranking model fitted on the examples' sentences (gold or not) and the gate fitted on their
    questions (does an answer sentence stand among the candidates?)."""
    examples = [e for e in examples if len(e.x)]
    x = np.vstack([e.x for e in examples]).astype(np.float64)
    y = np.concatenate([e.y for e in examples])
    if y.min() == y.max():
        raise ValueError("the examples need both answer and non-answer sentences to fit on")
    coef, bias = _logistic(x, y)
    ranking = Weights(coef, bias, threshold)
    rows, right = [], []
    for e in examples:
        probs = ranking.probabilities(e.x)
        rows.append(gate_features(e.x, probs, e.question))
        right.append(int(e.answerable and e.y.any()))
    if min(right) == max(right):
        return ranking
    gate_coef, gate_bias = _logistic(np.vstack(rows), np.asarray(right))
    return Weights(coef, bias, threshold, gate_coef, gate_bias)


def _best(example: Example, weights: Weights) -> tuple[float, bool]:
    """Return the gate's confidence in the best sentence and whether that sentence is a gold one."""
    if not len(example.x):
        return 0.0, False
    probs = weights.probabilities(example.x)
    return weights.confidence(example.x, probs, example.question), bool(example.y[int(np.argmax(probs))])


def utility(outcomes: list[tuple[bool, float, bool]], threshold: float) -> float:
    """Return the worth of a threshold over (answerable, confidence, best is gold) outcomes: the share of
    answerable questions answered less the share of unanswerable ones answered (each class weighs the same;
    a refusal of an answerable question is a false refusal whether or not the best sentence was right)."""
    answerable = [p for a, p, _ in outcomes if a]
    unanswerable = [p for a, p, _ in outcomes if not a]
    worth = sum(p >= threshold for p in answerable) / len(answerable) if answerable else 0.0
    return worth - (sum(p >= threshold for p in unanswerable) / len(unanswerable) if unanswerable else 0.0)


def calibrate(outcomes: list[tuple[bool, float, bool]]) -> float:
    """Return the confidence at which answering and refusing weigh the same: where a logistic curve fitted
    to the outcomes (answerable or not, on the confidence's log-odds, each class weighing the same) crosses
    one half (Platt scaling). A curve fitted to every outcome moves little when one of them changes; the best
    cut of the step-shaped utility jumps between near-equal peaks when the utility is flat, and a threshold
    that moves from fold to fold costs held-out answers and refusals alike."""
    conf = np.clip(np.asarray([p for _, p, _ in outcomes], dtype=np.float64), 1e-6, 1 - 1e-6)
    answerable = np.asarray([a for a, _, _ in outcomes], dtype=int)
    if len(set(answerable.tolist())) < 2:
        return best_cut(outcomes)
    from sklearn.linear_model import LogisticRegression

    logit = np.log(conf / (1 - conf))[:, None]
    model = LogisticRegression(C=1e6, class_weight="balanced", max_iter=1000).fit(logit, answerable)
    slope, intercept = float(model.coef_[0][0]), float(model.intercept_[0])
    if slope <= 0:  # confidence does not rise with answerability: no curve to read a threshold from
        return best_cut(outcomes)
    return float(1 / (1 + np.exp(intercept / slope)))


def best_cut(outcomes: list[tuple[bool, float, bool]]) -> float:
    """Return the threshold of best utility (the middle of the best range, so that it is not set on one
    item's edge)."""
    points = sorted({p for _, p, _ in outcomes})
    if not points:
        return 0.5
    cuts = [0.0] + [(a + b) / 2 for a, b in zip(points, points[1:], strict=False)] + [points[-1] + 1e-6]
    values = [utility(outcomes, t) for t in cuts]
    top = max(values)
    best = [t for t, v in zip(cuts, values, strict=True) if v >= top - 1e-9]
    return float(best[len(best) // 2])


def folds(groups: Iterable[str], most: int) -> dict[str, int]:
    """Return each group's fold: one fold per group when there are at most `most` groups, else the groups
    (sorted) dealt over `most` folds in turn, so that every fold holds whole groups."""
    names = sorted(set(groups))
    return {g: i % max(1, most) for i, g in enumerate(names)}


def out_of_fold(examples: list[Example], most: int = CALIBRATION_FOLDS) -> list[tuple[bool, float, bool]]:
    """Return each example's outcome under a model fitted without its group's fold."""
    fold_of = folds((e.group for e in examples), most)
    outcomes = []
    for fold in sorted(set(fold_of.values())):
        train = [e for e in examples if fold_of[e.group] != fold]
        if not any(e.y.any() for e in train):
            continue
        weights = fit(train)
        outcomes += [(e.answerable, *_best(e, weights)) for e in examples if fold_of[e.group] == fold]
    return outcomes


def fit_calibrated(examples: list[Example]) -> Weights:
    """Return weights fitted on all examples, with the threshold calibrated on their out-of-fold outcomes."""
    return replace(fit(examples), threshold=calibrate(out_of_fold(examples)))


def leave_one_out(examples: list[Example], fit_one: Callable[[list[Example]], T],
                  most: int = HELD_OUT_FOLDS) -> dict[str, T]:
    """Return, for each group, what fit_one makes of the examples of every group outside its fold (every other
    group while there are at most `most`)."""
    fold_of = folds((e.group for e in examples), most)
    fitted = {fold: fit_one([e for e in examples if fold_of[e.group] != fold]) for fold in sorted(set(fold_of.values()))}
    return {group: fitted[fold] for group, fold in fold_of.items()}


def heldout(examples: list[Example]) -> dict[str, Weights]:
    """Return, for each group, weights fitted and calibrated without it (nested: the threshold comes from
    folds of the other groups only), so no question is scored by a model that saw its report."""
    return leave_one_out(examples, fit_calibrated)


def save_examples(path: Path, **kinds: list[Example]) -> Path:
    """Write lists of fitting examples (the scorer's, the ranker's) to one .npz file, so that a fit can pool
    the runs of several data directories: the same question asked in a library of five reports and in one of
    a hundred gives its sentences other features (a retrieval score relative to the best chunk, how central a
    sentence is among its report's candidates), and weights fitted in one library alone fit it alone."""
    arrays: dict[str, np.ndarray] = {}
    for kind, examples in kinds.items():
        arrays[f"{kind}.id"] = np.asarray([e.id for e in examples], dtype=str)
        arrays[f"{kind}.group"] = np.asarray([e.group for e in examples], dtype=str)
        arrays[f"{kind}.answerable"] = np.asarray([e.answerable for e in examples], dtype=bool)
        arrays[f"{kind}.rows"] = np.asarray([len(e.x) for e in examples], dtype=np.int64)
        width = examples[0].x.shape[1] if examples else 0
        arrays[f"{kind}.x"] = np.vstack([e.x.reshape(-1, width) for e in examples]) if examples else np.zeros((0, 0))
        arrays[f"{kind}.y"] = np.concatenate([e.y for e in examples]) if examples else np.zeros(0, dtype=np.int8)
        arrays[f"{kind}.question"] = np.asarray([e.question for e in examples], dtype=np.float64).reshape(-1, 2)
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)
    return path


def load_examples(path: Path, kind: str) -> list[Example]:
    """Return the examples of one kind written by save_examples (none when the file holds no such kind)."""
    with np.load(path) as data:
        if f"{kind}.id" not in data:
            return []
        ends = np.cumsum(data[f"{kind}.rows"])
        x, y = data[f"{kind}.x"], data[f"{kind}.y"]
        return [Example(str(i), str(g), bool(a), x[e - n:e], y[e - n:e], tuple(float(v) for v in q))
                for i, g, a, n, e, q in zip(data[f"{kind}.id"], data[f"{kind}.group"], data[f"{kind}.answerable"],
                                            data[f"{kind}.rows"], ends, data[f"{kind}.question"], strict=True)]


def save(weights: Weights, examples: list[Example], path: Path = WEIGHTS_FILE) -> Path:
    """Write weights to scorer.json, with what they were fitted on."""
    data = weights.to_json() | {"fitted_on": {
        "questions": len(examples), "sentences": int(sum(len(e.x) for e in examples)),
        "reports": len({e.group for e in examples if e.answerable}), "features": len(FEATURES)}}
    path.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
    return path


# --- the chunk ranker ----------------------------------------------------------------------------------


def fit_ranker(examples: Iterable[Example]) -> RankerWeights:
    """Return the chunk ranker fitted on the examples' candidate chunks (gold or not)."""
    examples = [e for e in examples if len(e.x)]
    y = np.concatenate([e.y for e in examples]) if examples else np.zeros(0)
    if not len(y) or y.min() == y.max():
        raise ValueError("the examples need both chunks that hold an answer and chunks that do not")
    coef, bias = _logistic(np.vstack([e.x for e in examples]).astype(np.float64), y)
    return RankerWeights(coef, bias)


def heldout_rankers(examples: list[Example]) -> dict[str, RankerWeights]:
    """Return, for each group, the chunk ranker fitted without it."""
    return leave_one_out(examples, fit_ranker)


def save_ranker(weights: RankerWeights, examples: list[Example], path: Path | None = None) -> Path:
    """Write the chunk ranker's weights to ranker.json, with what they were fitted on."""
    path = path or ranking.WEIGHTS_FILE
    data = weights.to_json() | {"fitted_on": {
        "questions": len(examples), "chunks": int(sum(len(e.x) for e in examples)),
        "reports": len({e.group for e in examples if e.answerable})}}
    path.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
    ranking.shipped.cache_clear()
    return path
