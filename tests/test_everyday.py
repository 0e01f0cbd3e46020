"""Everyday word frequencies: what a question word the index never saw weighs (assistant/everyday.py)."""

from __future__ import annotations

import math
import time

from assistant.everyday import TABLE, build, everyday_idf, zipf


def test_the_shipped_table_is_what_the_pinned_wordfreq_gives(tmp_path):
    start = time.perf_counter()
    count = build(tmp_path / "everyday.tsv")
    assert count > 50_000, f"only {count} words ({time.perf_counter() - start:.1f} s)"
    assert (tmp_path / "everyday.tsv").read_text("utf-8") == TABLE.read_text("utf-8"), (
        "assistant/everyday.tsv is not what `python -m assistant.everyday` writes: run it and commit the table")


def test_common_words_weigh_little_and_rare_ones_count_as_unseen():
    for language, common, rare in (("en", "tell", "heroin"), ("ru", "скажите", "героина"),
                                   ("sr", "reći", "heroina")):
        assert everyday_idf(common, language) < everyday_idf(rare, language), language
    assert everyday_idf("kajmakopravljenje", "sr") == math.inf  # no evidence anywhere: the index's rarest
    assert zipf("Рећи", "sr") == zipf("reći", "sr") > 5  # Serbian in either script, any case
    assert everyday_idf("you", "en") < 1.5 < everyday_idf("tell", "en") < 3.5


def test_serbian_latin_typed_without_diacritics_is_the_word_it_spells():
    assert zipf("domacin", "sr") == zipf("domaćin", "sr") == zipf("домаћин", "sr") > 0
    assert zipf("ucestvovalo", "sr") == zipf("učestvovalo", "sr") > 0
