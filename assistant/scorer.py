"""One scorer for "does this sentence answer this question?": features of a (Query, sentence) pair and a
logistic model fitted on the eval sets' gold spans (`assistant eval --fit`), read from scorer.json.

Every signal the answerer uses is a feature here rather than a rule on its own: meaning (per language
pair), shared and rare words, the kind of fact asked for, units, plans, datelines, how central a sentence
is to its report, the conversation. The weights decide how much each counts; one threshold, calibrated
on held-out folds, decides when the best sentence is not good enough and the answer is "not found".
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .facts import Facts
from .query import Query
from .text import cognate_in, embedding_script, is_list_item

WEIGHTS_FILE = Path(__file__).with_name("scorer.json")

_OWN = (
    "similarity",  # cosine of the question's best phrasing and the sentence
    "similarity_gap",  # how far below the best candidate's similarity
    "cross_lingual",  # the sentence is in another language than the question
    "similarity_cross",  # similarity when cross-lingual (lets each language pair have its own scale)
    "cross_script",  # the embedder read the sentence and the question in different scripts (English and
    #                  Serbian, both read in Latin, share names and loanwords as written; Russian does not)
    "similarity_cross_script",  # similarity when the scripts differ: a scale of its own
    "word_overlap",  # idf-weighted share of the question's words in the sentence
    "cognate_overlap",  # the same, a word also counting when the sentence has a word of its consonant
    #                     skeleton: a cognate in another language or script ("семинар", "seminaru")
    "focus_overlap",  # the same for the question's words its report's lead does not use: what it asks, not
    #                   which report it asks about
    "no_focus",  # every word of the question is in the report's lead
    "rare_in_sentence",  # share of the question's rare tokens (names, figures) in the sentence
    "rare_in_report",  # share of them anywhere in the sentence's report
    "country_missing",  # the question names a country the sentence's report never names
    "typed",  # the question asks for a kind of fact (who, when, where, how much)
    "type_new",  # the sentence states that kind of fact, one the question does not state itself
    "unit_asked",  # the question names a unit (kilograms, euros, people…)
    "unit_given",  # the sentence gives a figure in that unit
    "plan_for_fact",  # the sentence speaks of plans; the question asks what is or was (not who someone is)
    "dateline",  # a title or dateline line: resembles every question about its report
    "centrality",  # similarity of the sentence to its report's centre, above that of the report's other
    #                candidates (generic, not specific; relative, so a report of near-identical sentences,
    #                all of them central, is not read as all generic)
    "specificity",  # similarity minus the mean similarity of its report's candidate sentences
    "retrieval",  # its chunk's retrieval score (the chunk ranker's probability), relative to the best chunk's
    "lead",  # one of its report's first two sentences
    "conversation",  # it is in a report the conversation is about
    "log_words",  # length: long sentences resemble more questions
    "list_item",  # a list item: a fragment that answers "list…", seldom anything else
    "list_for_list",  # the question asks for a list, and the sentence is one of a list's items or announces one
    "asks_said",  # the question asks what someone said (or what a report says)
    "said_speech",  # it does, and the sentence reports speech: a verb of saying or a quoted statement
)
# Every feature also weighs apart for a sentence in another language than the question: how far word
# overlap, names or a report's lead count is not the same across languages as within one (the issue of
# a single cross-lingual offset, for every feature). similarity_cross is already that for similarity.
_CROSSED = tuple(n for n in _OWN if n not in ("similarity", "cross_lingual", "similarity_cross", "cross_script",
                                              "similarity_cross_script"))
FEATURES = _OWN + tuple(f"cross:{n}" for n in _CROSSED)
_COL = {name: i for i, name in enumerate(FEATURES)}


def _new(found: tuple[str, ...], stated: tuple[str, ...]) -> bool:
    """Return whether found holds an item the question does not state (compared on folded prefixes)."""
    asked = {s[:5] for s in stated}
    return any(f[:5] not in asked for f in found)


def _named(found: tuple[str, ...], stated: tuple[str, ...]) -> bool:
    """Return whether found holds an item the question states (compared as _new compares)."""
    asked = {s[:5] for s in stated}
    return any(f[:5] in asked for f in found)


TYPED = ("who", "when", "where", "how_much")  # question kinds that ask for a kind of fact


def type_new(query: Query, facts: Facts) -> bool:
    """Return whether a sentence states the kind of fact the question asks for, as a new fact (for "who is
    X?", a sentence naming X: what it says of X is the fact asked)."""
    q = query.facts.merged(query.told)
    if query.kind == "who":
        if query.identity:
            return _named(facts.names + facts.entities, q.names + q.entities)
        return _new(facts.names, q.names + q.entities) or (query.asks_country and _new(facts.countries, q.countries))
    if query.kind == "when":
        return _new(facts.dates + facts.times, q.dates + q.times)
    if query.kind == "how_much":
        return _new(facts.figures, q.figures)
    if query.kind == "where":
        return _new(facts.countries, q.countries) or _new(facts.entities, q.entities)
    return False


def features(query: Query, sentences: list) -> np.ndarray:
    """Return the feature matrix of candidate sentences (answer.Candidate: one row each, columns as
    FEATURES)."""
    if not sentences:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    vecs = np.stack([s.vector for s in sentences])
    sims = (np.atleast_2d(query.vectors) @ vecs.T).max(axis=0) if query.vectors is not None else np.zeros(len(sentences))
    best = float(sims.max())
    by_doc: dict[str, list[tuple[float, float]]] = {}  # each report's candidates: (similarity, centrality)
    for s, sim in zip(sentences, sims, strict=True):
        by_doc.setdefault(s.doc_id, []).append((float(sim), s.centrality))
    doc_mean = {d: sum(v for v, _ in rows) / len(rows) for d, rows in by_doc.items()}
    central_mean = {d: sum(c for _, c in rows) / len(rows) for d, rows in by_doc.items()}
    weight = query.weights
    q_total = sum(weight.get(w, 1.0) for w in query.words)
    rare = query.rare
    countries = set(query.facts.countries)
    typed = query.kind in TYPED
    c_total = sum(weight.get(w, 1.0) for w in query.cognates)
    script = embedding_script(query.standalone, query.language)
    rows = []
    for s, sim in zip(sentences, sims, strict=True):
        sim = float(sim)
        cross = float(s.language != query.language)
        cross_script = float(embedding_script(s.text, s.language) != script)
        overlap = sum(weight.get(w, 1.0) for w in query.words & s.words) / q_total if q_total else 0.0
        cognates = sum(weight.get(w, 1.0) for w, k in query.cognates.items()
                       if w in s.words or cognate_in(k, s.cognates)) / c_total if c_total else 0.0
        focus = query.words - s.report_lead
        f_total = sum(weight.get(w, 1.0) for w in focus)
        focus_overlap = sum(weight.get(w, 1.0) for w in focus & s.words) / f_total if f_total else 0.0
        item = is_list_item(s.text)
        rows.append((
            sim,
            sim - best,
            cross,
            sim * cross,
            cross_script,
            sim * cross_script,
            overlap,
            cognates,
            focus_overlap,
            float(not focus),
            len(rare & s.words) / len(rare) if rare else 1.0,
            len(rare & s.report_words) / len(rare) if rare else 1.0,
            float(bool(countries - s.report_countries)),
            float(typed),
            float(typed and type_new(query, s.facts)),
            float(query.unit is not None),
            float(query.unit is not None and query.unit in s.facts.units),
            # a plan does not say what happened; what someone is ("who is X?") a sentence naming X tells in any tense
            float(s.facts.plan and query.asks_past and not query.asks_plan and query.kind not in ("when", "where")
                  and not query.identity),
            float(s.facts.dateline),
            s.centrality - central_mean[s.doc_id],
            sim - doc_mean[s.doc_id],
            s.chunk_score,
            float(s.position < 2),
            float(s.doc_id in query.carried_docs),
            math.log1p(s.facts.words),
            float(item),
            float(query.wants_list and (item or s.facts.announces)),
            float(query.kind == "said"),
            float(query.kind == "said" and s.facts.speech),
        ))
    own = np.asarray(rows, dtype=np.float32)
    crossed = own[:, [_COL[n] for n in _CROSSED]] * own[:, [_COL["cross_lingual"]]]
    return np.hstack([own, crossed])


# What decides "found" for a question, read off its best sentence (and the runner-up): the ranking model's
# probabilities say which sentence is best among these candidates, not whether any of them answers. A second
# logistic model over these, fitted on whether the best sentence is a gold one, does.
GATE_FEATURES = (
    "best",  # the ranking probability of the best sentence
    "margin",  # how far it is ahead of the second
    "similarity", "similarity_cross", "word_overlap", "focus_overlap", "no_focus", "rare_in_sentence",
    "rare_in_report", "country_missing", "plan_for_fact", "dateline", "centrality",
    "type_missing",  # the question asks for a kind of fact the best sentence does not state
    "unit_missing",  # likewise for a unit
    "speech_missing",  # the question asks what someone said, and the best sentence reports no speech
    "list_given",  # the question asks for a list, and the best sentence is a list's item or announces one: a
    #                fragment that shares few of its words, and answers it
    "question_words",  # how many content words the question has ("ok thanks" has none)
    "known_words",  # share of the question's own words the index holds: a question about something the
    #                 reports never speak of has few
)


def question_inputs(query: Query) -> tuple[float, float]:
    """Return what the gate reads of the question itself: its content words and the share of them known."""
    return float(len(query.words)), float(query.known)


def gate_features(x: np.ndarray, probs: np.ndarray, question: tuple[float, float]) -> np.ndarray:
    """Return the gate's feature row for a question (question_inputs) whose candidates have rows x and
    ranking probs."""
    if len(x) == 0:
        return np.zeros(len(GATE_FEATURES), dtype=np.float64)
    order = np.argsort(-probs)
    b = x[order[0]]
    second = probs[order[1]] if len(order) > 1 else 0.0
    row = [probs[order[0]], probs[order[0]] - second]
    row += [b[_COL[n]] for n in GATE_FEATURES[2:13]]
    row += [b[_COL["typed"]] * (1 - b[_COL["type_new"]]), b[_COL["unit_asked"]] * (1 - b[_COL["unit_given"]]),
            b[_COL["asks_said"]] * (1 - b[_COL["said_speech"]]), b[_COL["list_for_list"]],
            math.log1p(question[0]), question[1]]
    return np.asarray(row, dtype=np.float64)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True)
class Weights:
    """The fitted ranking model over FEATURES, the gate over GATE_FEATURES, and the gate probability under
    which the answer is "not found"."""

    coef: tuple[float, ...]
    bias: float
    threshold: float
    gate_coef: tuple[float, ...] = ()
    gate_bias: float = 0.0

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Return each row's probability of being an answer sentence (the ranking model)."""
        if len(x) == 0:
            return np.zeros(0)
        return _sigmoid(x @ np.asarray(self.coef, dtype=np.float64) + self.bias)

    def confidence(self, x: np.ndarray, probs: np.ndarray, question: tuple[float, float]) -> float:
        """Return the probability that the best of these candidates answers the question (the gate; the
        best ranking probability when no gate was fitted)."""
        if len(x) == 0:
            return 0.0
        if not self.gate_coef:
            return float(probs.max())
        g = gate_features(x, probs, question)
        return float(_sigmoid(g @ np.asarray(self.gate_coef) + self.gate_bias))

    def to_json(self) -> dict:
        """Return the weights as scorer.json's object."""
        data = {"features": list(FEATURES), "coef": [round(c, 6) for c in self.coef], "bias": round(self.bias, 6),
                "threshold": round(self.threshold, 4)}
        if self.gate_coef:
            data |= {"gate_features": list(GATE_FEATURES), "gate_coef": [round(c, 6) for c in self.gate_coef],
                     "gate_bias": round(self.gate_bias, 6)}
        return data

    @classmethod
    def from_json(cls, data: dict) -> Weights:
        """Return weights from scorer.json's object; features the file does not know weigh nothing."""
        given = dict(zip(data["features"], data["coef"], strict=True))
        gate = dict(zip(data.get("gate_features", ()), data.get("gate_coef", ()), strict=True))
        return cls(coef=tuple(float(given.get(f, 0.0)) for f in FEATURES), bias=float(data["bias"]),
                   threshold=float(data["threshold"]),
                   gate_coef=tuple(float(gate.get(f, 0.0)) for f in GATE_FEATURES) if gate else (),
                   gate_bias=float(data.get("gate_bias", 0.0)))


@lru_cache(maxsize=4)
def load_weights(path: Path = WEIGHTS_FILE) -> Weights:
    """Return the shipped (or given) weights."""
    return Weights.from_json(json.loads(Path(path).read_text("utf-8")))
