"""The fitted scorer: features of (question, sentence) pairs, the logistic fit, the threshold calibrated on
held-out folds, and folds that leave a whole report (with its translation) out."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from assistant.answer import Candidate
from assistant.evaluation import Item, Result
from assistant.facts import sentence_facts
from assistant.fit import (
    Example,
    best_cut,
    calibrate,
    fit,
    fit_calibrated,
    folds,
    heldout,
    leave_one_out,
    utility,
)
from assistant.heldout import report_groups
from assistant.query import parse
from assistant.scorer import (
    FEATURES,
    GATE_FEATURES,
    WEIGHTS_FILE,
    Weights,
    features,
    gate_features,
    load_weights,
)
from assistant.types import Answer


def cand(text, doc="d", language="en", vec=(1.0, 0.0), position=5, lead=frozenset()):
    from assistant.text import cognate_keys, content_words

    words = frozenset(content_words(text, language))
    return Candidate(chunk_id=f"{doc}:{position}", doc_id=doc, source="s", title="t", language=language, date="",
                     start=0, end=len(text), text=text, score=0.0, vector=np.asarray(vec, dtype=np.float32),
                     words=words, cognates=cognate_keys(words), facts=sentence_facts(text, language, position),
                     report_lead=lead, position=position)


def column(x, name):
    return x[:, FEATURES.index(name)]


def test_features_read_the_kind_of_fact_unit_plan_and_language():
    q = parse("How many kilograms of heroin were seized?")
    q = q.__class__(**{**q.__dict__, "vectors": np.asarray([[1.0, 0.0]])})
    rows = [cand("Police seized 120 kilograms of heroin."), cand("Police will seize more heroin.", vec=(0.6, 0.8)),
            cand("Полиција је запленила 3 тоне хероина.", language="sr")]
    x = features(q, rows)
    assert x.shape == (3, len(FEATURES))
    assert list(column(x, "type_new")) == [1, 0, 1] and list(column(x, "unit_given")) == [1, 0, 1]
    assert list(column(x, "plan_for_fact")) == [0, 1, 0] and list(column(x, "cross_lingual")) == [0, 0, 1]
    assert column(x, "similarity_gap")[1] == pytest.approx(0.6 - 1.0)
    who = parse("Who is Nora Baptiste?")
    assert who.identity
    plan = cand("Nora Baptiste, the chair of the swimming club, said the club expects to return in April.")
    assert column(features(who, [plan]), "plan_for_fact")[0] == 0  # a sentence naming her tells who she is
    assert column(features(parse("What did Nora Baptiste say?"), [plan]), "plan_for_fact")[0] == 1
    # a question in the present may ask what a report says will be: only one about the past is not answered by a plan
    ticket = cand("Карта ће коштати исто као аутобуска, 80 динара.", language="sr")
    assert column(features(parse("Колико кошта карта за трамвај?"), [ticket]), "plan_for_fact")[0] == 0
    assert column(features(parse("Колико је коштала карта?"), [ticket]), "plan_for_fact")[0] == 1


def test_a_question_about_what_someone_said_reads_whether_a_sentence_reports_speech():
    q = parse("What did the mayor say about the bridge?")
    q = q.__class__(**{**q.__dict__, "vectors": np.asarray([[1.0, 0.0]])})
    rows = [cand("The bridge will reopen in June, the mayor said."), cand("The mayor attended the opening of the bridge.")]
    x = features(q, rows)
    assert list(column(x, "asks_said")) == [1, 1] and list(column(x, "said_speech")) == [1, 0]
    probs = np.array([0.2, 0.9])  # the best-ranked sentence reports no speech: the gate reads it as missing
    assert gate_features(x, probs, (3.0, 1.0))[GATE_FEATURES.index("speech_missing")] == 1.0
    assert gate_features(x, probs[::-1], (3.0, 1.0))[GATE_FEATURES.index("speech_missing")] == 0.0
    listed = features(parse("list the measures"), [cand("- Two temporary shelters were opened.")])
    assert gate_features(listed, np.array([0.9]), (1.0, 0.5))[GATE_FEATURES.index("list_given")] == 1.0
    other = features(parse("When did the bridge reopen?"), rows[:1])
    assert column(other, "asks_said")[0] == 0 and column(other, "said_speech")[0] == 0


def test_cognates_count_across_languages_and_every_feature_weighs_apart_across_them():
    q = parse("Кто представлял Сербию на семинаре?")  # Russian
    q = q.__class__(**{**q.__dict__, "vectors": np.asarray([[1.0, 0.0]])})
    rows = [cand("Србију је на семинару представљао директор Канцеларије.", language="sr"),
            cand("Радионица је трајала два дана.", language="sr")]
    x = features(q, rows)
    assert column(x, "word_overlap")[0] < 0.5  # few words share a stem across the two languages
    assert column(x, "cognate_overlap")[0] > 0.9 and column(x, "cognate_overlap")[1] == 0.0
    assert list(column(x, "cross:cognate_overlap")) == list(column(x, "cognate_overlap"))  # cross-lingual
    same = features(q, [cand("Кто представлял Сербию?", language="ru")])
    assert column(same, "cognate_overlap")[0] > 0 and column(same, "cross:cognate_overlap")[0] == 0.0


def test_similarity_has_a_scale_of_its_own_across_scripts_the_embedder_reads():
    # Serbian is read in Latin whichever script it is written in: an English or Latin-Serbian question
    # meets a Cyrillic Serbian sentence in one script, a Russian sentence in another.
    rows = [cand("Police seized heroin.", vec=(0.8, 0.6)), cand("Полиција је запленила хероин.", language="sr"),
            cand("Полиция изъяла героин.", language="ru", vec=(0.6, 0.8))]
    for question, scripts in (("Who seized the heroin?", [0, 0, 1]), ("Ko je zaplenio heroin?", [0, 0, 1]),
                              ("Ко је запленио хероин?", [0, 0, 1]), ("Кто изъял героин?", [1, 1, 0])):
        q = parse(question)
        q = q.__class__(**{**q.__dict__, "vectors": np.asarray([[1.0, 0.0]])})
        x = features(q, rows)
        assert list(column(x, "cross_script")) == scripts, question
        assert list(column(x, "similarity_cross_script")) == pytest.approx(column(x, "similarity") * scripts)


def test_focus_words_leave_out_what_only_names_the_report():
    q = parse("What did the CSTO council say about monitoring?")
    q = q.__class__(**{**q.__dict__, "vectors": np.asarray([[1.0, 0.0]])})
    lead = cand("The CSTO council met in Moscow.").words
    intro, fact = cand("The CSTO council met in Moscow.", lead=lead), cand("Monitoring must go on.", lead=lead)
    x = features(q, [intro, fact])
    assert column(x, "focus_overlap")[1] > column(x, "focus_overlap")[0] == 0.0
    assert column(x, "word_overlap")[0] > column(x, "word_overlap")[1]


def test_a_country_the_report_never_names_is_a_feature():
    q = parse("What did the council say about Albania?")
    q = q.__class__(**{**q.__dict__, "vectors": np.asarray([[1.0, 0.0]])})
    x = features(q, [cand("The council met.").__class__(**{**cand("The council met.").__dict__,
                                                          "report_countries": frozenset({"RS"})})])
    assert column(x, "country_missing")[0] == 1.0


def _examples(n_groups=4, seed=0):
    """Questions whose one answer sentence has a higher first feature; unanswerable ones have none."""
    rng = np.random.default_rng(seed)
    out = []
    for g in range(n_groups):
        for i in range(12):
            x = rng.normal(0, 1, (6, len(FEATURES)))
            y = np.zeros(6, dtype=np.int8)
            answerable = i % 4 != 0
            if answerable:
                x[0, 0] += 4.0
                y[0] = 1
            out.append(Example(f"g{g}-{i}", f"g{g}", answerable, x, y))
    return out


def test_fit_learns_the_separating_feature_and_folds_the_scaling_in():
    ex = _examples()
    w = fit(ex)
    assert w.coef[0] > 1.0 and abs(w.coef[0]) == max(abs(c) for c in w.coef)
    probs = w.probabilities(ex[1].x)
    assert int(np.argmax(probs)) == 0 and probs[0] > 0.5


def test_the_threshold_is_where_answers_are_right_and_refusals_are_of_unanswerable_questions():
    outcomes = [(True, 0.9, True), (True, 0.8, False), (False, 0.3, False), (False, 0.2, False)]
    for t in (calibrate(outcomes), best_cut(outcomes)):
        assert 0.3 < t < 0.8 and utility(outcomes, t) == 1.0
        assert utility(outcomes, 0.0) < utility(outcomes, t) and utility(outcomes, 1.0) < utility(outcomes, t)


def _overlapping_outcomes(seed=0, n=300):
    """Answerable questions' confidences around 0.6, unanswerable ones' around 0.4 (mirror images on the
    log-odds scale, so even odds fall at one half), overlapping as real ones do."""
    rng = np.random.default_rng(seed)
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    return ([(True, float(sigmoid(z)), True) for z in rng.normal(0.4, 1.0, n)]
            + [(False, float(sigmoid(z)), False) for z in rng.normal(-0.4, 1.0, n)])


def test_the_calibrated_threshold_sits_where_the_classes_have_even_odds():
    assert calibrate(_overlapping_outcomes()) == pytest.approx(0.5, abs=0.04)


def test_the_calibrated_threshold_barely_moves_when_outcomes_do():
    """Where the classes overlap, the best cut of the step-shaped utility jumps between near-equal peaks
    when a few confidences move a little; the fitted curve's threshold stays put."""
    base = _overlapping_outcomes()
    rng = np.random.default_rng(1)
    jittered = [[(a, min(max(p + rng.normal(0, 0.01), 0.0), 1.0), g) for a, p, g in base] for _ in range(10)]
    fitted = [calibrate(o) for o in jittered]
    cuts = [best_cut(o) for o in jittered]
    assert max(fitted) - min(fitted) < 0.01
    assert max(fitted) - min(fitted) < (max(cuts) - min(cuts)) / 3


def test_calibration_falls_back_when_confidence_says_nothing():
    only_answerable = [(True, 0.7, True), (True, 0.4, False)]
    assert calibrate(only_answerable) == best_cut(only_answerable) <= 0.4  # nothing to refuse: answer all
    backwards = [(True, 0.2, True), (True, 0.3, True), (False, 0.8, False), (False, 0.9, False)]
    assert calibrate(backwards) == best_cut(backwards)


def test_heldout_weights_never_see_their_own_group():
    ex = _examples(n_groups=4)
    folds = heldout(ex)
    assert set(folds) == {"g0", "g1", "g2", "g3"}
    # A fold's model is the one fitted on the other groups: changing the held-out group's data changes
    # every other fold's model, never its own.
    changed = [e if e.group != "g0" else Example(e.id, e.group, e.answerable, -e.x, e.y) for e in ex]
    again = heldout(changed)
    assert again["g0"].coef == pytest.approx(folds["g0"].coef)
    assert again["g1"].coef != pytest.approx(folds["g1"].coef)
    assert 0.0 < fit_calibrated(ex).threshold < 1.0


def test_many_reports_are_dealt_into_folds_of_whole_reports_and_few_are_left_out_one_by_one():
    few = folds([f"g{i}" for i in range(4)], most=30)
    assert sorted(few.values()) == [0, 1, 2, 3]  # one report out at a time
    many = folds([f"g{i:03d}" for i in range(113)] * 2, most=30)
    assert len(many) == 113 and set(many.values()) == set(range(30))
    sizes = [list(many.values()).count(f) for f in range(30)]
    assert max(sizes) - min(sizes) <= 1
    ex = _examples(n_groups=6)
    fitted = leave_one_out(ex, lambda train: frozenset(e.group for e in train), most=3)
    fold_of = folds((e.group for e in ex), 3)
    for group, seen in fitted.items():
        # A report's model saw every report outside its fold and none inside it.
        assert seen == {g for g in fold_of if fold_of[g] != fold_of[group]}


def test_fitting_examples_survive_a_round_trip_through_a_file(tmp_path):
    from assistant.fit import load_examples, save_examples

    ex = _examples(n_groups=2)
    ex = [Example(e.id, e.group, e.answerable, e.x[: 2 + i % 4], e.y[: 2 + i % 4], (3.0, 0.5)) for i, e in enumerate(ex)]
    path = save_examples(tmp_path / "examples.npz", scorer=ex, ranker=ex[:3])
    back = load_examples(path, "scorer")
    assert [(e.id, e.group, e.answerable, e.question) for e in back] == [(e.id, e.group, e.answerable, e.question)
                                                                         for e in ex]
    assert all(np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y) for a, b in zip(back, ex, strict=True))
    assert len(load_examples(path, "ranker")) == 3 and load_examples(path, "other") == []
    assert fit(back).coef == pytest.approx(fit(ex).coef)


def test_report_groups_join_translations_and_deal_unanswerable_items_over_folds():
    def res(i, gold):
        item = Item(id=i, question="q", form="en", language="en", type="what", answerable=bool(gold), key_facts=(),
                    gold=tuple((d, "x") for d in gold))
        return Result(item, Answer("q", "a", False))
    results = [res("a", ["000"]), res("b", ["001"]), res("c", ["002"]), res("u1", []), res("u2", [])]
    groups = report_groups(results, {"000": "001", "001": "000"}.get)
    assert groups["a"] == groups["b"] == "000" and groups["c"] == "002"
    assert {groups["u1"], groups["u2"]} == {"000", "002"}


def test_weights_round_trip_and_the_shipped_file_is_complete(tmp_path):
    w = Weights(coef=tuple(float(i) for i in range(len(FEATURES))), bias=-1.0, threshold=0.4)
    path = tmp_path / "w.json"
    path.write_text(json.dumps(w.to_json()))
    assert load_weights(path) == w
    shipped = json.loads(WEIGHTS_FILE.read_text("utf-8"))
    assert shipped["features"] == list(FEATURES) and 0.0 < shipped["threshold"] < 1.0


def test_centrality_is_read_against_the_other_candidates_of_the_report():
    """A report of near-identical sentences has every sentence close to its centre; none of them is more
    generic than the others, so none is marked down for it."""
    from dataclasses import replace

    q = parse("How much heroin was seized?")
    same = [replace(cand("Police seized 12 kilograms of heroin.", doc="a", position=i), centrality=0.97)
            for i in range(3)]
    mixed = [replace(cand("The report covers the year.", doc="b", position=0), centrality=0.95),
             replace(cand("Police seized 5 kilograms of heroin.", doc="b", position=4), centrality=0.75)]
    x = features(q, same + mixed)
    assert list(column(x, "centrality")[:3]) == pytest.approx([0.0, 0.0, 0.0], abs=1e-6)
    assert column(x, "centrality")[3] > 0 > column(x, "centrality")[4]


def test_who_is_x_is_answered_by_a_sentence_naming_x_and_which_countries_by_one_naming_a_country():
    from assistant.scorer import type_new

    who = parse("Ko je Oleg Krilov?")
    naming = sentence_facts("Oleg Krilov, the deputy head of the department, attended the meeting.", "en")
    other = sentence_facts("Igor Zubov chaired the meeting.", "en")
    assert type_new(who, naming) and not type_new(who, other)  # only the sentence naming him says who he is
    chaired = parse("Who chaired the meeting with Oleg Krilov?")
    assert not type_new(chaired, naming) and type_new(chaired, other)  # here a new name is the fact asked
    which = parse("Which countries are members of CARICC?")
    assert type_new(which, sentence_facts("Its members are Kazakhstan, Russia and Uzbekistan.", "en"))
    assert not type_new(which, sentence_facts("The centre is in Almaty.", "en"))


def test_who_else_is_not_answered_by_the_name_the_last_reply_gave():
    from assistant.chat import told
    from assistant.scorer import type_new
    from assistant.types import Message

    history = [Message("user", "Who chaired the meeting?"), Message("assistant", "Igor Zubov chaired it [1].")]
    more = replace(parse("Who else attended?"), told=told(history, "en"))
    zubov = sentence_facts("Under the chairmanship of Igor Zubov, the meeting was held online.", "en")
    others = sentence_facts("It was attended by Valery Semerikov and Oleg Krylov.", "en")
    assert type_new(more, others) and not type_new(more, zubov)
    assert type_new(parse("Who else attended?"), zubov)  # without the conversation, Zubov is news


def test_list_items_and_announcements_are_features_for_a_question_asking_for_a_list():
    rows = [cand("The council set three priorities:"), cand("- prevention in schools;"),
            cand("The council met in Belgrade.")]
    listing = features(parse("list the council's priorities"), rows)
    assert list(column(listing, "list_item")) == [0, 1, 0]
    assert list(column(listing, "list_for_list")) == [1, 1, 0]
    one = features(parse("where did the council meet?"), rows)
    assert list(column(one, "list_item")) == [0, 1, 0] and list(column(one, "list_for_list")) == [0, 0, 0]
