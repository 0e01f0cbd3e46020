"""What a sentence states, found once: dates, figures, units, names, countries (CLDR), datelines, lists."""

from __future__ import annotations

import pytest

from assistant.facts import Facts, countries_in, sentence_facts
from assistant.text import fold


@pytest.mark.parametrize("text, language", [
    ("Albania", "en"), ("Албанија", "sr"), ("Албания", "ru"), ("u Albaniji", "sr"), ("в Албании", "ru"),
])
def test_one_country_in_every_language_and_case(text, language):
    assert countries_in(fold(text, language)) == ("AL",)


def test_country_names_of_several_words_and_no_false_friends():
    assert countries_in(fold("Bosnia and Herzegovina")) == ("BA",)
    assert countries_in(fold("у Босни и Херцеговини", "sr")) == ("BA",)
    assert countries_in(fold("Severna Makedonija", "sr")) == ("MK",)
    assert countries_in(fold("Austria and Australia")) == ("AT", "AU")
    assert countries_in(fold("Central Asia and the north of the region")) == ()


@pytest.mark.parametrize("text, language, date", [
    ("The meeting was held on October 20, 2021.", "en", "october 20"),
    ("Састанак је одржан 19. октобра у Бечу.", "sr", "19. oktobra"),
    ("Встреча прошла 19 октября в Москве.", "ru", "19 oktyabrya"),
    ("date 2021-01-01 Today the council met.", "en", "2021-01-01"),
])
def test_dates_in_three_languages(text, language, date):
    assert date in sentence_facts(text, language).dates


def test_figures_exclude_dates_and_ordinals_and_carry_their_units():
    f = sentence_facts("At the 64th session on 20 October 2021 police seized 1,250 kilograms and arrested 12 people.",
                       "en", 3)
    assert set(f.figures) == {"1.250", "12"} and set(f.units) == {"mass", "people"}
    assert sentence_facts("Заплењено је 3,5 тона хероина.", "sr").units == ("mass",)
    assert "percent" in sentence_facts("Узгој коке порастао је за 97,4 %.", "sr").units


def test_names_plans_datelines_and_lists():
    f = sentence_facts("Републику Србију представљао је в. д. директора Милан Пекић.", "sr", 4)
    assert "milan pekic" in f.names and not f.dateline and not f.plan
    assert sentence_facts("The experts will meet again in May.", "en", 4).plan
    assert sentence_facts("date 2021-01-01 Today, the council met in Moscow.", "en", 0).dateline
    assert sentence_facts("Annual Report of the Office for Combating Drugs", "en", 0).dateline  # a title line
    assert sentence_facts("The priorities are:", "en", 3).announces


def test_facts_survive_their_json_round_trip():
    f = sentence_facts("Police seized 12 kilograms in Albania on 3 March 2024.", "en", 2)
    assert Facts.from_json(f.to_json()) == f and Facts.from_json("") == Facts()
