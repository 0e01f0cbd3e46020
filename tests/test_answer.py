"""The extractive answerer's parts: question types, typed facts, sentence choice and composition."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answer import Candidate, Scored, choose, compose, question_type, states
from assistant.grounding import MARKER


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Who chaired the meeting?", "who"), ("Ко је представљао Србију?", "who"), ("Кто председательствовал?", "who"),
        ("When was it held?", "when"), ("Kada je održana sesija?", "when"), ("Когда прошло заседание?", "when"),
        ("How many states took part?", "how_much"), ("Колико држава?", "how_much"), ("Сколько лет Иванову?", "how_much"),
        ("Where was the workshop?", "where"), ("Gde je održana radionica?", "where"), ("Где прошла встреча?", "where"),
        ("What did DPNSEE say?", "what"),
    ],
)
def test_question_types_in_three_languages(question, kind):
    assert question_type(question) == kind


@pytest.mark.parametrize(
    "kind, text, expected",
    [
        ("when", "On October 20, a second session was held", True),
        ("when", "У Сарајеву је од 25 – 26. маја 2016. године", True),
        ("when", "in Moscow on May 15th", True),
        ("when", "the meeting was held in Moscow", False),
        ("how_much", "coca cultivation has increased by 97.4%", True),
        ("how_much", "Стручњаци из шест држава чланица ЕУ", True),
        ("how_much", "the participants spoke out against legalization", False),
        ("who", "anything at all", True),
    ],
)
def test_typed_questions_need_a_typed_fact(kind, text, expected):
    assert states(kind, text) is expected


def candidate(text, start, doc="d", language="en", vector=None):
    return Candidate(chunk_id=f"{doc}:{start}", doc_id=doc, source=f"{doc}.txt", title="T", language=language,
                     date="", start=start, end=start + len(text), text=text, score=0.0,
                     vector=vector if vector is not None else np.ones(2) / np.sqrt(2))


def scored(c, similarity, overlap=0.5):
    return Scored(c, similarity + 0.1 * overlap, similarity, overlap)


def test_choose_skips_a_sentence_without_the_asked_fact_and_abstains_when_none_has_it():
    dated = scored(candidate("The session was held on October 20.", 100), 0.85)
    undated = scored(candidate("The session discussed money laundering.", 0), 0.86)
    assert [s.candidate.start for s in choose([undated, dated], "when")] == [100]
    assert choose([undated], "when") == []
    assert choose([scored(candidate("Unrelated.", 0), 0.70, 0.0)], "what") == []


def test_compose_quotes_with_resolving_markers_and_labels_other_languages():
    sr = candidate("Републику Србију представљао је Милан Пекић.", 355, doc="003", language="sr")
    answer = compose("Who represented Serbia?", "en", [scored(sr, 0.86)])
    assert answer.found and answer.answer.startswith("(Serbian original) Републику")
    assert [int(n) for n in MARKER.findall(answer.answer)] == [c.n for c in answer.citations] == [1]
    assert (answer.citations[0].start, answer.citations[0].end) == (355, 355 + len(sr.text))
    assert answer.sentences[0].support == pytest.approx(1.0)
    empty = compose("Koji je glavni grad Australije?", "sr", [])
    assert not empty.found and empty.answer == "U izveštajima nema odgovora na ovo pitanje."
