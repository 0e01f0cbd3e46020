"""The extractive answerer's parts: question types, typed facts, sentence choice and composition."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from assistant.answer import (
    FEATURE_BONUS,
    MAX_SENTENCES,
    SECOND_WITHIN,
    Candidate,
    Scored,
    asked_event,
    asked_unit,
    asks_fact,
    choose,
    compose,
    on_topic,
    plans,
    question_type,
    score,
    speech_topic,
    states,
)
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


@pytest.mark.parametrize(
    "kind, question, text, expected",
    [
        # A date counts nothing, and a figure the question gives is not its answer.
        ("how_much", "How many people were arrested?", "date 2021-01-01 Today, the council met", False),
        ("how_much", "Koliko je zaplenjeno 2016. godine?", "У Сарајеву је од 25 – 26. маја 2016. године", False),
        ("how_much", "Koliko je zaplenjeno 2016. godine?", "Заплењено је 250 килограма 2016. године", True),
        ("how_much", "How many experts came?", "G8 experts discussed police cooperation", False),
        ("how_much", "How many roundtables were held?", "two roundtable discussions were held", True),
        ("when", "When in 2016 was the workshop held?", "The workshop was held in 2016.", False),
        ("when", "When in 2016 was the workshop held?", "It was held on 25 May 2016.", True),
    ],
)
def test_a_typed_fact_is_one_the_question_does_not_state(kind, question, text, expected):
    assert states(kind, text, question) is expected


@pytest.mark.parametrize(
    "question, unit",
    [
        ("Koliko je kilograma heroina zaplenjeno?", "mass"), ("How many tonnes were seized?", "mass"),
        ("Колико хектара под маком?", "area"), ("На сколько процентов вырос посев коки?", "percent"),
        ("Во сколько раз выросли посевы?", "times"), ("What was the budget of the workshop?", "money"),
        ("Колики је био буџет радионице?", "money"), ("Сколько стоит билет?", "money"),
        ("How much money was spent?", "money"), ("How many people were arrested?", "people"),
        ("Колико људи је ухапшено?", "people"), ("Сколько сотрудников работает в службе?", "people"),
        ("Koliko je članova imala delegacija?", "people"), ("How many countries took part?", None),
        # Money laundering is a topic, not an amount asked for.
        ("What was said at the money-laundering session?", None), ("Šta je rečeno o pranju novca?", None),
    ],
)
def test_the_unit_a_question_asks_for(question, unit):
    assert asked_unit(question) == unit


@pytest.mark.parametrize(
    "question, text, expected",
    [
        ("Koliko je kilograma heroina zaplenjeno u Srbiji?",
         "Afghanistan still produces more than 80 percent of the world's heroin.", False),
        ("Koliko je kilograma heroina zaplenjeno u Srbiji?", "Police seized 250 kg of heroin.", True),
        ("Колико хектара под опијумским маком?", "fields have increased from 193 thousand hectares to 209,000", True),
        ("На сколько процентов вырос посев коки?", "узгој коке порастао је за 97,4 % у десет година", True),
        ("What was the budget of the TAIEX workshop?", "У Сарајеву је од 25 – 26. маја 2016. године организована радионица.",
         False),
        ("What was the budget of the TAIEX workshop?", "The workshop cost the EU 40,000 euros.", True),
        # An ordinal names a place in a series; it counts nothing.
        ("How many people were arrested?", "The first meeting of the 64th session took place from 19-21 October 2021",
         False),
        ("How many people were arrested?", "одржан је први састанак 64. седнице Комисије", False),
        ("How many people were arrested?", "Police arrested 12 people.", True),
        # A count of people is not a count of countries or meetings; a number in words counts too.
        ("How many people were arrested?", "heads of law enforcement agencies from over 100 countries", False),
        ("How many people were arrested?", "Police arrested six people in March.", True),
        ("Колико људи је ухапшено?", "Полиција је ухапсила 35 особа.", True),
        ("Сколько сотрудников работает в службе?", "plans to hold three thematic expert meetings this year", False),
        ("Сколько сотрудников работает в службе?", "В службе работают 40 тысяч сотрудников.", True),
    ],
)
def test_a_figure_must_be_in_the_unit_asked_for(question, text, expected):
    assert states(question_type(question), text, question) is expected


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


def test_choose_reads_the_sentence_that_continues_the_best_one():
    first = candidate("Poppy fields grew from 193 thousand hectares in 2007 to 209,000 hectares in 2013.", 100)
    follower = candidate("And during the deployment of ISAF there, they have increased by 26 times.", first.end + 1)
    best, after = scored(first, 0.88), scored(follower, 0.82)  # too far below the best to be a second answer
    assert after.score < best.score - SECOND_WITHIN
    assert [s.candidate.start for s in choose([best, after], "how_much")] == [100, first.end + 1]
    # Only when it passes on its own, comes right after the best one, and in the same report.
    assert choose([best, scored(follower, 0.70, 0.0)], "how_much") == [best]
    elsewhere = candidate(follower.text, first.end + 40)
    assert choose([best, scored(elsewhere, 0.82)], "how_much") == [best]
    other_report = candidate(follower.text, first.end + 1, doc="e")
    assert choose([best, scored(other_report, 0.82)], "how_much") == [best]
    before = candidate(follower.text, 0)
    assert choose([best, scored(replace(before, end=first.start - 1), 0.82)], "how_much") == [best]


def test_a_continuing_sentence_does_not_displace_a_nearly_as_good_second_one():
    first = candidate("The session was held on October 20.", 100)
    second = scored(candidate("The first session was held on October 19.", 500), 0.87)
    # Too far below the best to be quoted for its own score: only a continuation could bring it in.
    follower = scored(candidate("It discussed money laundering on 20 October.", first.end + 1), 0.82)
    chosen = choose([scored(first, 0.88), second, follower], "when")
    assert [s.candidate.start for s in chosen] == [100, 500]


def test_who_prefers_a_sentence_naming_a_person_the_question_does_not():
    question = "Who chaired the Coordinating Council at the workshop?"
    dateline = candidate("The Coordinating Council met at the workshop in Sarajevo.", 0)
    named = candidate("The Coordinating Council at the workshop was chaired by Igor Zubov.", 100)
    ranked = score(question, "en", np.ones(2) / np.sqrt(2), [dateline, named])
    by_start = {s.candidate.start: s for s in ranked}
    assert ranked[0].candidate.start == 100
    # Equal meaning; the person's name is the difference ("Coordinating Council" is the question's own).
    assert by_start[100].score - by_start[0].score == pytest.approx(FEATURE_BONUS["who"], abs=0.02)
    same = score("What did the Coordinating Council discuss?", "en", np.ones(2) / np.sqrt(2), [dateline, named])
    assert abs(same[0].score - same[1].score) < FEATURE_BONUS["who"] / 2


def test_near_ties_are_quoted_up_to_the_limit():
    # Four different sentences within SECOND_WITHIN of the best: the answer cannot tell them apart, so it
    # shows as many as MAX_SENTENCES (three), best first when they come from different reports.
    texts = ["Delegates from Serbia attended.", "The ministry hosted a workshop.", "Experts shared best practice.",
             "Coca cultivation grew sharply."]
    tied = [scored(candidate(t, 0, doc=f"d{n}"), 0.88 - n * 0.005, 0.0) for n, t in enumerate(texts)]
    chosen = choose(tied, "what")
    assert MAX_SENTENCES == 3 and [s.candidate.doc_id for s in chosen] == ["d0", "d1", "d2"]
    far = scored(candidate("Another fact entirely.", 0, doc="far"), 0.845, 0.0)  # passes, but 0.035 below
    assert [s.candidate.doc_id for s in choose([tied[0], far], "what")] == ["d0"]


@pytest.mark.parametrize(
    "question, topic",
    [
        ("What did Milan Pekić say about cannabis legalisation?", "cannabis legalisation"),
        ("Šta je Igor Zubov rekao o kanabisu?", "kanabisu"),
        ("Что она сообщила о Тихоокеанском регионе?", "Тихоокеанском регионе"),
        ("What did the CSTO council members stress about monitoring?", "monitoring"),
        # "o" that names a session's subject is not what someone said.
        ("Koja organizacija je govorila na sesiji o pranju novca?", "pranju novca"),
        ("Када је одржана друга сесија, она о прању новца?", None),
        ("What did DPNSEE say?", None),
    ],
)
def test_the_topic_of_a_what_did_they_say_question(question, topic):
    assert speech_topic(question) == topic


def test_a_sentence_on_another_topic_does_not_answer_what_was_said_about_it():
    axes = np.eye(3)
    names_speaker, on_topic_text, other = (candidate(t, i * 100, vector=v) for i, (t, v) in enumerate(
        [("Serbia was represented by Milan Pekić.", axes[0]), ("They spoke against legalisation.", axes[1]),
         ("The meeting was held online.", (axes[0] + axes[2] + 0.2 * axes[1]) / np.sqrt(2.04))]))
    all_scored = [scored(names_speaker, 0.9), scored(on_topic_text, 0.85), scored(other, 0.8)]
    topic = axes[1]  # "legalisation"
    assert not on_topic([all_scored[0]], all_scored, topic)
    assert on_topic([all_scored[1]], all_scored, topic)
    # Among the two closest to the topic is enough.
    assert on_topic([all_scored[2]], all_scored, topic)


def test_the_figure_in_the_unit_asked_for_may_come_in_the_next_sentence():
    first = candidate("Poppy fields grew from 193 thousand hectares to 209,000.", 0)
    second = candidate("And during ISAF they have increased by 26 times.", first.end + 1)
    ranked = [scored(first, 0.9), scored(second, 0.7)]
    chosen = choose(ranked, "how_much", "How many times did the poppy fields grow?")
    assert [s.candidate for s in chosen] == [first, second]
    # With no unit named, a figure in the next sentence vouches for nothing.
    assert choose([scored(candidate("Victor Ivanov chaired the meeting.", 0), 0.9),
                   scored(candidate("It lasted 3 hours.", 36), 0.7)], "how_much", "How old is Victor Ivanov?") == []


@pytest.mark.parametrize(
    "question, event",
    [
        ("Kada je osnovana Kancelarija za borbu protiv droga?", "founding"),
        ("When was the Russian Federal Drug Control Service established?", "founding"),
        ("Когда была создана служба?", "founding"), ("Када је рођен Милан Пекић?", "birth"),
        ("When did he die?", "death"),
        # Other events: any date may answer.
        ("When was the ministerial meeting held?", None), ("When did the Foundation speak?", None),
    ],
)
def test_the_event_a_when_question_dates(question, event):
    assert asked_event(question) == event


@pytest.mark.parametrize(
    "question, text, expected",
    [
        ("Kada je osnovana Kancelarija za borbu protiv droga?",
         "У периоду од 19. до 21. октобра одржан је први састанак на коме су присуствовали представници Канцеларије",
         False),
        ("Kada je osnovana Kancelarija za borbu protiv droga?", "Канцеларија за борбу против дрога основана је 2014.", True),
        # "to establish a barrier" founds nothing.
        ("When was the Russian Federal Drug Control Service established?",
         "the efforts to establish an effective barrier after the 2014 withdrawal date", False),
        ("Когда была создана служба?", "The Service was established in March 2003.", True),
        ("When was the ministerial meeting held?", "The meeting was held in Moscow on May 15th.", True),
    ],
)
def test_a_when_question_about_a_founding_needs_a_sentence_dating_it(question, text, expected):
    assert states("when", text, question) is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("the experts plan to devise a set of recommendations which is expected to be adopted", True),
        ("the ministerial meeting which this year will be hold in Moscow on May 15th", True),
        ("Служба планирует провести три встречи.", True), ("Састанак ће бити одржан у мају.", True),
        ("Sastanak će biti održan u maju.", True),
        ("The meeting was held in Moscow on February 25th.", False),
        ("Republiku Srbiju predstavljao je Milan Pekić.", False), ("Встреча прошла в Москве.", False),
    ],
)
def test_sentences_that_state_plans(text, expected):
    assert plans(text) is expected


@pytest.mark.parametrize(
    "question, expected",
    [
        ("How many people were arrested after the meeting?", True),
        ("Које одлуке је донео министарски састанак у Москви?", True),
        ("Сколько сотрудников работает в службе?", True),
        # Questions about plans, duties and aims, and when or where something is to happen.
        ("What does the service plan this year?", False), ("Šta planira služba?", False),
        ("Руководители скольких стран ожидаются на встрече?", False), ("What must Turkey and Serbia do?", False),
        ("Какова цель встречи?", False), ("Koji je cilj sastanka?", False), ("Why is the G8 format useful?", False),
        ("When is the ministerial meeting?", False), ("Where is the ministerial meeting?", False),
    ],
)
def test_which_questions_ask_what_is_or_was(question, expected):
    assert asks_fact(question, question_type(question)) is expected


def test_a_plan_does_not_answer_a_question_about_what_happened():
    plan = candidate("The experts plan to devise recommendations to be adopted in Moscow on May 15th.", 0)
    held = candidate("The meeting was held in Moscow on February 25th and adopted two decisions.", 200)
    assert choose([scored(plan, 0.9)], "what", "What did the meeting in Moscow decide?") == []
    # A plan answers a question about plans and a "when" question; a sentence saying what happened still
    # answers beside a plan.
    assert choose([scored(plan, 0.9)], "what", "What do the experts plan?") != []
    assert choose([scored(plan, 0.9)], "when", "When is the meeting in Moscow?") != []
    both = choose([scored(plan, 0.9), scored(held, 0.89)], "what", "What did the meeting in Moscow decide?")
    assert {s.candidate.start for s in both} == {0, 200}
    # A follow-up is read with the conversation it continues.
    assert choose([scored(plan, 0.9)], "what", "And on which topics?") == []
    assert choose([scored(plan, 0.9)], "what", "And on which topics?",
                  conversation="What do the experts plan? And on which topics?") != []
