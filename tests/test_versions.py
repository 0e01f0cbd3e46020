"""Versions (assistant/versions.py): how much of a report another one repeats word for word."""

from __future__ import annotations

from assistant.versions import MIN_SHARED, shared_sentences

REPORT = ("Harwick flood\n\nThe river peaked at 4.7 metres on Monday night above the town bridge. "
          "Firefighters and volunteers evacuated 560 residents overnight from the lower streets. "
          "The council has set up a relief fund of two million pounds for the families.")


def test_an_edited_copy_repeats_most_of_its_report_and_another_report_none():
    corrected = REPORT.replace("560 residents", "580 residents")
    assert shared_sentences(REPORT, corrected) == 2 / 3 >= MIN_SHARED
    assert shared_sentences(REPORT, REPORT + " A fourth sentence was added to the new version of it.") == 1.0
    other = "The bus drivers of Novi Sad ended their strike on Saturday evening after six days of talks."
    assert shared_sentences(REPORT, other) == 0.0


def test_short_lines_prove_nothing_shared():
    # Two pages of one site share their title line and "Share this", not their reports.
    one = "Harwick Gazette\n\nShare this\n\nThe new library opened on Monday with four thousand books on its shelves."
    two = "Harwick Gazette\n\nShare this\n\nThe market square will be closed for repairs until the end of March next year."
    assert shared_sentences(one, two) == 0.0
    assert shared_sentences("Share this", "Share this") == 0.0
