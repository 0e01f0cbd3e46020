"""Held-out evaluation of the fitted models: each question is asked again with a chunk ranker fitted without
the report it is about, and answered by a scorer fitted without it (leave one report out; a report and
its translation are one report), and scored with the same metrics as the in-sample run."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from .evaluation import Result, gold_spans, relevant, score_result
from .fit import Example, fit_calibrated, fit_ranker, heldout, heldout_rankers
from .ranking import RankerWeights
from .scorer import Weights, question_inputs
from .types import Answer


def report_groups(results: list[Result], twin_of: Callable[[str], str | None]) -> dict[str, str]:
    """Return each item's fold: the report its gold passages are in (a translation pair is one report).
    Unanswerable items, which have no report, are dealt over the folds in turn."""
    groups: dict[str, str] = {}
    for r in results:
        docs = sorted({min(d, twin_of(d) or d) for d, _quote in r.item.gold})
        if docs:
            groups[r.item.id] = docs[0]
    names = sorted(set(groups.values())) or ["all"]
    for i, r in enumerate(x for x in results if x.item.id not in groups):
        groups[r.item.id] = names[i % len(names)]
    return groups


def labels(answer: Answer, spans: list[tuple[str, int, int]]) -> np.ndarray:
    """Return 1 for each candidate sentence of the answer's evidence that overlaps a gold span (itself or
    its aligned translation), else 0."""
    ev = answer.evidence
    out = np.zeros(len(ev.candidates), dtype=np.int8)
    for i, c in enumerate(ev.candidates):
        places = [(c.doc_id, c.start, c.end)] + ([(c.twin.doc_id, c.twin.start, c.twin.end)] if c.twin else [])
        out[i] = any(d == doc and s < e and ps < pe and ps < e and s < pe
                     for doc, s, e in spans for d, ps, pe in places)
    return out


def examples(results: list[Result], text_of: Callable[[str], str | None],
             groups: dict[str, str]) -> list[Example]:
    """Return the fitting examples of results whose answers carry the extractive answerer's evidence."""
    out = []
    for r in results:
        ev = r.answer.evidence
        if ev is None:
            continue
        spans = gold_spans(r.item, text_of) if r.item.answerable else []
        out.append(Example(r.item.id, groups[r.item.id], r.item.answerable, ev.features, labels(r.answer, spans),
                           question_inputs(ev.query)))
    return out


def rerun(results: list[Result], weights_of: Callable[[str], Weights],
          text_of: Callable[[str], str | None], depth: int = 5) -> list[Result]:
    """Return the results answered again, each item under weights_of(its id), and scored."""
    out = []
    for r in results:
        if r.answer.evidence is None:
            out.append(r)
            continue
        again = r.answer.evidence.decide(weights_of(r.item.id))
        again = replace(again, retrieved=r.answer.retrieved)
        result = Result(r.item, again)
        score_result(result, list(r.passages or r.answer.retrieved), text_of, depth)
        out.append(result)
    return out


def ranking_examples(results: list[Result], text_of: Callable[[str], str | None], passages_of,
                     groups: dict[str, str]) -> list[Example]:
    """Return the chunk ranker's fitting examples: each answer's candidate chunks (Answer.ranking), 1 for a
    chunk that holds a gold span (itself or through its aligned translation)."""
    out = []
    for r in results:
        ranked = r.answer.ranking
        if ranked is None or not len(ranked.ids):
            continue
        spans = gold_spans(r.item, text_of) if r.item.answerable else []
        hold = {p.chunk_id for p in passages_of(ranked.ids) if relevant(p, spans)} if spans else set()
        y = np.array([cid in hold for cid in ranked.ids], dtype=np.int8)
        out.append(Example(r.item.id, groups[r.item.id], r.item.answerable, ranked.x, y))
    return out


@dataclass
class Heldout:
    """What held-out evaluation gives: the results, and the models fitted on every item (to ship)."""

    results: list[Result]
    weights: Weights
    examples: list[Example]
    ranker: RankerWeights | None = None
    ranker_examples: list[Example] = field(default_factory=list)


def evaluate(results: list[Result], text_of, twin_of, depth: int = 5, passages_of=None,
             reask: Callable[[Callable[[str], RankerWeights]], list[Result]] | None = None,
             pooled: tuple[list[Example], list[Example]] = ([], [])) -> Heldout:
    """Return the held-out results and the models fitted on everything; depth is how many passages each
    answer read (what retrieval is scored over). With reask (ask every item again under ranker weights per
    item id) and passages_of (chunk ids to Passages), the chunk ranker is held out too: each item is asked
    again with a ranker fitted without its report, and the scorer is fitted and held out on those answers.
    pooled holds other runs' (ranker, scorer) examples (fit.load_examples): they join every fit and fold, a
    fold leaving out their items about its reports too, and only these results are answered again."""
    groups = report_groups(results, twin_of)
    more_ranked, more_found = pooled
    ranker, ranked = None, []
    if reask is not None and passages_of is not None:
        ranked = ranking_examples(results, text_of, passages_of, groups)
        try:
            ranker = fit_ranker(ranked + more_ranked)
            folds_r = heldout_rankers(ranked + more_ranked)
        except ValueError:  # no chunk holds a gold span, or every one does: nothing to fit a ranker on
            ranker = None
        else:
            results = reask(lambda item_id: folds_r.get(groups[item_id], ranker))
    found = examples(results, text_of, groups)
    folds = heldout(found + more_found)
    held = rerun(results, lambda item_id: folds[groups[item_id]], text_of, depth)
    return Heldout(held, fit_calibrated(found + more_found), found, ranker, ranked)


def median_answer_words(results: list[Result]) -> float | None:
    """Return the median length in words of the answers given (found ones) as a reader sees them: their
    [n] markers and the "(Serbian original)" labels of quotes in another language count."""
    lengths = [len(r.answer.answer.split()) for r in results if r.answer.found]
    return float(statistics.median(lengths)) if lengths else None
