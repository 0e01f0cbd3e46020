"""grounding: how well the passages an answer sentence cites support it."""

from __future__ import annotations

import numpy as np

from assistant.grounding import (
    SEM_CEIL,
    SEM_FLOOR,
    char_ngrams,
    clean_claim,
    lexical_support,
    missing_names,
    names,
    number_fidelity,
    numbers,
    semantic_support,
    support,
)

PASSAGE = (
    "However, in the Pacific region of Colombia, coca cultivation has increased by 97.4% in the past ten "
    "years, while in the rest of the country it has decreased."
)
SERBIAN = "Међутим, у Пацифичком региону Колумбије узгој коке порастао је за 97,4% у последњих десет година."


def test_a_quote_is_fully_supported():
    assert support("In the Pacific region of Colombia, coca cultivation has increased by 97.4% [1].", [PASSAGE]) == 1.0


def test_an_invented_sentence_is_not():
    invented = "The meeting was chaired by Angela Merkel, who opened it in Berlin [1]."
    assert support(invented, [PASSAGE]) < 0.5


def test_support_is_read_in_any_script():
    latin = "U Pacifičkom regionu Kolumbije uzgoj koke porastao je za 97,4% [1]."
    assert lexical_support(latin, [SERBIAN]) > 0.9


def test_support_pools_every_cited_passage():
    claim = "Coca cultivation has increased by 97.4%, and the session was held in Vienna."
    alone = lexical_support(claim, [PASSAGE])
    both = lexical_support(claim, [PASSAGE, "The session was held in Vienna from 19 to 21 October."])
    assert alone < 0.8 < 0.9 < both  # the 4-grams that cross the comma are in neither


def test_clean_claim_drops_markers_and_language_label():
    assert clean_claim("Coca rose by 97.4% [1][2].") == "Coca rose by 97.4%."
    assert clean_claim("(Serbian original) Узгој коке је порастао [3]") == "Узгој коке је порастао"
    assert clean_claim("[1] [2]") == ""
    assert lexical_support("[1]", [PASSAGE]) == 0.0  # nothing to support


def test_char_ngrams_fold_script_and_punctuation():
    assert char_ngrams("Пекић!") == char_ngrams("pekic")
    assert " pek" in char_ngrams("Pekić")


def test_meaning_rescues_a_translation_and_is_rescaled():
    lexical = support("Coca growing nearly doubled on Colombia's Pacific coast.", [SERBIAN])
    claim = np.array([1.0, 0.0])
    near = np.array([np.cos(0.3), np.sin(0.3)])  # cosine 0.955: above the ceiling
    assert lexical < 0.5
    assert support("Coca growing nearly doubled on Colombia's Pacific coast.", [SERBIAN], claim, [near]) == 1.0
    mid = (SEM_FLOOR + SEM_CEIL) / 2
    assert abs(semantic_support(claim, [np.array([mid, np.sqrt(1 - mid**2)])]) - 0.5) < 1e-6
    assert semantic_support(claim, [np.array([0.0, 1.0])]) == 0.0
    assert semantic_support(claim, []) == 0.0


def test_numbers_must_appear_in_the_passages():
    assert numbers("97,4% of 209,000") >= {"97.4", "974", "209.000", "209000"}
    assert number_fidelity("It rose by 97,4% [1].", [PASSAGE]) == 1.0
    assert number_fidelity("It rose by 98% in 2019 [1].", [PASSAGE]) == 0.0
    assert number_fidelity("It rose sharply [1].", [PASSAGE]) is None


def test_names_are_numbers_acronyms_and_capitalised_words_past_the_first():
    assert names("However, Milan Pekić of DPNSEE said 97,4% rose in 2021 [1].") == [
        "Milan", "Pekić", "DPNSEE", "97,4", "2021"]
    assert names("The meeting was long.") == []


def test_a_name_the_passages_do_not_hold_is_missing_in_any_script():
    passage = "Представник DPNSEE, Милан Пекић, рекао је у Сарајеву да је узгој порастао за 97,4%."
    assert missing_names("Milan Pekić said in Sarajevo it rose by 97.4% [1].", [passage]) == []
    assert missing_names("Milan Pekic spoke in Sarajevu for DPNSEE [1].", [passage]) == []
    assert missing_names("Then John Smith said in Geneva it rose by 45% in 2019 [1].", [passage]) == [
        "John", "Smith", "Geneva", "45", "2019"]
    # a word starting like a passage word is not enough when it is longer: "Sarajevo" is not "Saraband"
    assert missing_names("It was in Saraband [1].", [passage]) == ["Saraband"]


def test_a_translation_names_the_passages_months_countries_and_titles_in_its_own_words():
    passage = ("Радионица TAIEX одржана је у Сарајеву 25. и 26. маја 2016. године. Републику Србију представљао "
               "је Милан Пекић, в. д. директора Канцеларије за борбу против дрога.")
    for claim in ("The TAIEX workshop was held in Sarajevo on 25-26 May 2016 [1].",
                  "Serbia was represented by Milan Pekić, acting director of the Office for Combating Drugs [1].",
                  "Семинар TAIEX прошёл в Сараеве 25–26 мая 2016 года [1].",
                  "Сербию представлял Милан Пекич, исполняющий обязанности директора Канцелярии [1]."):
        assert missing_names(claim, [passage]) == [], claim
    # ... and what it makes up is still missing: another month, another country (first word too), a person
    assert missing_names("The TAIEX workshop was held in Sarajevo on 25-26 June 2016 [1].", [passage]) == ["June"]
    assert missing_names("Croatia was represented by Milan Pekić [1].", [passage]) == ["Croatia"]
    assert missing_names("Serbia was represented by Milan Petrović [1].", [passage]) == ["Petrović"]
    # In the passage's own language an everyday capitalised word is still a name to find.
    assert missing_names("Представник Министарства здравља је рекао да [1].", [passage]) == ["Министарства"]


def test_a_claim_is_compared_with_each_sentence_of_its_passage_too():
    from assistant.grounding import pieces

    two = "The first sentence is here. The second one, about heroin, follows."
    assert pieces(two) == [two, "The first sentence is here.", "The second one, about heroin, follows."]
    assert pieces("Only one sentence.") == ["Only one sentence."]


def test_a_country_named_by_its_short_name_in_capitals_is_the_country_in_any_language():
    assert missing_names("США и Великобритания подписали [1].", ["The United States and the United Kingdom signed."]) == []
    assert missing_names("The USA signed it [1].", ["Русија је потписала."]) == ["USA"]
    # in lower case it is a word: "us" names no country
    assert missing_names("Let us see what BiH said [1].", ["Шта је рекла Босна и Херцеговина."]) == []


def test_a_foreign_name_transliterated_with_a_glide_is_the_same_name():
    assert missing_names("Гол је постигао Вилијамс [1].", ["Nico Williams scored."]) == []
    assert missing_names("Снимок показал Байден [1].", ["Biden showed the image."]) == []
    assert missing_names("Снимок показала Харрис [1].", ["Biden showed the image."]) == ["Харрис"]
