"""The chunk ranker: candidate features from the retrieval channels, the fallback order, the fit, and the
held-out folds of `assistant eval` (each item asked again with a ranker fitted without its report)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant import ranking
from assistant.fit import Example, fit_ranker, heldout_rankers
from assistant.ranking import FEATURES, Channels, RankerWeights, features, rank

COL = {name: i for i, name in enumerate(FEATURES)}


def doc_of(cid: str) -> str:
    return cid.split(":")[0]


def language_of(cid: str) -> str:
    return cid.split(":")[1]


def channels() -> Channels:
    # "a:sr:0" leads the Serbian chunks by far; every English chunk is about as close as the next.
    return Channels(
        chunks={"sr": [("a:sr:0", 0.86), ("b:sr:0", 0.79), ("b:sr:1", 0.78)],
                "en": [("c:en:0", 0.81), ("c:en:1", 0.80), ("d:en:0", 0.80)]},
        sentences={"sr": [("a:sr:0", 0.88)], "en": [("d:en:0", 0.83), ("c:en:0", 0.82)]},
        keyword=["b:sr:1"],
    )


def test_features_place_each_chunk_within_its_language_and_against_every_language():
    ids, x = features(channels(), "en", language_of, {"b"}, doc_of)
    row = {cid: dict(zip(FEATURES, r, strict=True)) for cid, r in zip(ids, x, strict=True)}
    assert set(ids) == {"a:sr:0", "b:sr:0", "b:sr:1", "c:en:0", "c:en:1", "d:en:0"}
    a, c1 = row["a:sr:0"], row["c:en:1"]
    assert a["chunk_rank"] == 1.0 and a["chunk_gap"] == 0.0 and a["chunk_vs_best"] == 0.0
    assert c1["chunk_rank"] == 0.5 and c1["chunk_gap"] == pytest.approx(-0.01)
    assert c1["chunk_vs_best"] == pytest.approx(-0.06)
    assert a["chunk_z"] > row["c:en:0"]["chunk_z"]  # it stands out further from its own language's list
    # a channel that did not find a chunk says so, with a gap wider than any list shows
    assert c1["sentence_found"] == 0.0 and c1["sentence_rank"] == 0.0 and c1["sentence_gap"] < -0.1
    assert row["b:sr:1"]["keyword_rank"] == 1.0 and a["keyword_rank"] == 0.0
    assert a["same_language"] == 0.0 and c1["same_language"] == 1.0
    assert row["b:sr:0"]["carried"] == 1.0 and a["carried"] == 0.0


def test_without_weights_chunks_are_fused_by_reciprocal_rank_and_a_carried_report_lifted():
    plain = rank(channels(), "en", language_of, frozenset(), doc_of, None)
    assert plain.ids[:2] == ("a:sr:0", "c:en:0")  # first in two rankings each
    assert list(plain.scores) == sorted(plain.scores, reverse=True)
    carried = rank(channels(), "en", language_of, frozenset({"b"}), doc_of, None)
    assert carried.ids[0] in {"b:sr:0", "b:sr:1"}


def test_fitted_weights_order_the_candidates_and_the_rows_follow_the_order():
    weights = RankerWeights(tuple(1.0 if n == "chunk_z" else 0.0 for n in FEATURES), 0.0)
    ranked = rank(channels(), "en", language_of, frozenset(), doc_of, weights)
    assert ranked.ids[0] == "a:sr:0"
    assert list(ranked.x[:, COL["chunk_z"]]) == sorted(ranked.x[:, COL["chunk_z"]], reverse=True)
    assert np.allclose(ranked.scores, weights.probabilities(ranked.x))


def test_weights_of_other_features_are_not_read(tmp_path, monkeypatch):
    w = RankerWeights(tuple(float(i) for i in range(len(FEATURES))), 0.5)
    assert RankerWeights.from_json(w.to_json()) == w
    assert RankerWeights.from_json(w.to_json() | {"features": ["old"] * len(FEATURES)}) is None
    stale = tmp_path / "ranker.json"
    stale.write_text(json.dumps(w.to_json() | {"features": ["old"]}), "utf-8")
    monkeypatch.setattr(ranking, "WEIGHTS_FILE", stale)
    ranking.shipped.cache_clear()
    try:
        assert ranking.shipped() is None  # then retrieval fuses by reciprocal rank
    finally:
        ranking.shipped.cache_clear()


def test_the_shipped_ranker_is_fitted_on_these_features():
    assert ranking.shipped() is not None, "assistant/ranker.json is missing or stale: run `assistant eval --fit`"


def _examples(n_groups: int = 4, per_group: int = 20, seed: int = 0) -> list[Example]:
    """Questions whose answering chunk stands out on chunk_z, with noise on every feature."""
    rng = np.random.default_rng(seed)
    out = []
    for g in range(n_groups):
        for q in range(per_group):
            x = rng.normal(0, 1, (12, len(FEATURES)))
            y = np.zeros(12, dtype=np.int8)
            y[0] = 1
            x[0, COL["chunk_z"]] += 2.5
            out.append(Example(f"g{g}-{q}", f"g{g}", True, x, y))
    return out


def test_the_fit_learns_which_feature_marks_the_answering_chunk():
    w = fit_ranker(_examples())
    assert max(range(len(FEATURES)), key=lambda i: w.coef[i]) == COL["chunk_z"]
    with pytest.raises(ValueError):
        fit_ranker([Example("q", "g", False, np.zeros((3, len(FEATURES))), np.zeros(3, dtype=np.int8))])


def test_a_held_out_ranker_is_the_one_fitted_on_the_other_reports():
    # (fit.leave_one_out, which the scorer's folds share, is tested in test_scorer.py)
    ex = _examples()
    folds = heldout_rankers(ex)
    assert set(folds) == {"g0", "g1", "g2", "g3"}
    assert folds["g0"].coef == pytest.approx(fit_ranker([e for e in ex if e.group != "g0"]).coef)


def test_ranking_examples_label_the_chunks_that_hold_a_gold_span_itself_or_in_translation():
    from assistant.evaluation import Item, Result
    from assistant.heldout import ranking_examples
    from assistant.ranking import Ranking
    from assistant.types import Answer, Passage, Twin

    texts = {"sr": "Прва реченица. Друга реченица са одговором.", "en": "First sentence. Second one, the answer."}
    spans = {"sr:0": ("sr", 0, 14, None), "sr:1": ("sr", 15, 43, None),
             "en:0": ("en", 0, 15, None), "en:1": ("en", 16, 39, Twin("sr", "sr", 15, 43, texts["sr"][15:43]))}

    def passages_of(ids):
        return [Passage(chunk_id=c, doc_id=d, source=d, title=d, language=d, date="", start=s, end=e,
                        text=texts[d][s:e], score=0.0, twin=t) for c in ids for d, s, e, t in [spans[c]]]

    ids = ("en:0", "en:1", "sr:0", "sr:1")
    x = np.arange(len(ids) * len(FEATURES), dtype=float).reshape(len(ids), -1)
    ranked = Ranking(ids, x, np.zeros(len(ids)))
    gold = Item("q1", "?", "en", "en", "what", True, (), (("sr", "Друга реченица са одговором."),))
    none = Item("q2", "?", "en", "en", "what", False, (), ())
    results = [Result(gold, Answer("?", "", False, ranking=ranked)), Result(none, Answer("?", "", False, ranking=ranked)),
               Result(gold, Answer("?", "", False))]  # an answer without a ranking gives no example
    ex = ranking_examples(results, texts.get, passages_of, {"q1": "sr", "q2": "sr"})
    assert [e.id for e in ex] == ["q1", "q2"]
    assert ex[0].y.tolist() == [0, 1, 0, 1] and ex[0].x is x  # the English chunk counts through its twin
    assert ex[1].y.tolist() == [0, 0, 0, 0] and not ex[1].answerable
