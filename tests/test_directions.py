"""Which way a sentence says things went, for the support check."""

from __future__ import annotations

import pytest

from assistant.directions import directions, turned_round

COCA = "However, in the Pacific region of Colombia, coca cultivation has increased by 97.4% in the past ten years."


@pytest.mark.parametrize(("text", "language", "axis", "sign"), [
    ("Coca cultivation has increased by 97.4%.", "en", "quantity", "+"),
    ("Seizures fell to 704 kilograms.", "en", "quantity", "-"),
    ("Узгој коке је порастао за 97,4%.", "sr", "quantity", "+"),
    ("Broj zaplena se smanjio.", "sr", "quantity", "-"),
    ("Посевы коки сократились вдвое.", "ru", "quantity", "-"),
    ("Прелазак на онлајн трговину се убрзао.", "sr", "speed", "+"),
    ("Ситуация ухудшилась.", "ru", "quality", "-"),
    ("The assembly rejected the proposal.", "en", "decision", "-"),
])
def test_a_sentence_says_which_way_in_each_language(text, language, axis, sign):
    assert directions(text, language)[axis] == {sign}


@pytest.mark.parametrize(("text", "language"), [
    ("Crna Gora i Srbija su potpisale sporazum.", "sr"),  # "gora" is no "worse"
    ("Делегация России прибыла в Вену.", "ru"),  # Россия is no "рос"
    ("Борба против дрога се наставља.", "sr"),  # "против" is no rejection
])
def test_names_and_everyday_words_say_no_direction(text, language):
    assert directions(text, language) == {}


def test_a_claim_turned_round_against_its_source_in_any_language():
    assert turned_round("Посевы коки сократились на 97,4 %.", "ru", COCA, "en")
    assert turned_round("Coca cultivation fell by 97.4%.", "en", COCA, "en")
    assert not turned_round("Посевы коки выросли на 97,4 %.", "ru", COCA, "en")
    assert not turned_round("Coca cultivation climbed by 97.4%.", "en", COCA, "en")
    # a source that says both ways, or neither, decides nothing
    assert not turned_round("Seizures fell.", "en", "Heroin seizures fell while cocaine seizures rose.", "en")
    assert not turned_round("Seizures fell.", "en", "Police seized 704 kilograms.", "en")


def test_a_negation_turns_a_direction_round_but_not_only_does_not():
    assert directions("Seizures did not increase.", "en") == {"quantity": {"-"}}
    assert directions("Broj zaplena nije porastao.", "sr") == {"quantity": {"-"}}
    assert directions("Посевы не выросли.", "ru") == {"quantity": {"-"}}
    assert directions("Seizures have not only increased, they doubled.", "en") == {"quantity": {"+"}}
    assert turned_round("Coca cultivation did not increase.", "en", COCA, "en")
