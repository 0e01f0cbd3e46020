"""The file readers (assistant/readers.py): what text each format gives, built from small files made here."""

from __future__ import annotations

import pytest
from conftest import make_pdf

from assistant.corpus import read_document
from assistant.readers import unwrapped, without_page_furniture


def read(path):
    return read_document(path, path.stem, 10 << 20)


# --- PDF page furniture ---------------------------------------------------------------------------------


def test_a_page_number_is_not_glued_into_the_sentence_a_page_break_cuts(tmp_path):
    # The printed numbers 7 and 8 (a report printed from page 7 on) sat in the footers; the first was read as
    # "a further 7 thousand people", a figure the report never states.
    doc = read(make_pdf(tmp_path / "r.pdf",
                        ["Labour Market Review", "By the end of March the number of people registered as unemployed",
                         "had fallen to 18,300, and the office expects the total to drop by a further", "7"],
                        ["thousand people before the summer, when the new textile factory opens.", "8"]))
    assert "to drop by a further thousand people before the summer, when the new textile factory opens." in doc.text
    assert not doc.text.rstrip().endswith("8") and " 7 " not in doc.text
    (first, p1), (second, p2) = doc.pages
    assert (p1, p2) == (1, 2) and doc.text[first:].startswith("Labour") and doc.text[second:].startswith("thousand")


@pytest.mark.parametrize("label", ["2", "- 2 -", "Page 2", "Page 2 of 3", "2 of 3", "2/3", "p. 2", "Strana 2"])
def test_page_number_lines_at_a_page_s_top_or_bottom_are_dropped(label):
    pages = without_page_furniture(["Fisheries Report\nThe catch fell.", f"{label}\nFish farms grew.\n{label}",
                                    "Trout sold well."])
    assert pages == ["Fisheries Report\nThe catch fell.", "Fish farms grew.", "Trout sold well."]


def test_a_lone_figure_at_a_page_s_edge_that_is_no_page_number_stays():
    # 312 is neither the page's place in the file nor one of numbers going up with the pages.
    pages = ["Stations sampled in 2022:\n312", "Page 2 of 2 is 4/3 of nothing\n4/3\nThe end."]
    assert without_page_furniture(pages) == pages


def test_a_short_page_s_title_line_is_not_taken_for_a_wrapped_line():
    # On a page of two lines the "full width" was the shorter one, so the title ran into the sentence.
    assert unwrapped("Fisheries Report\nThe Danube sterlet catch fell to 1.8 tonnes in 2022.").split("\n\n") == [
        "Fisheries Report", "The Danube sterlet catch fell to 1.8 tonnes in 2022."]
