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


FLOOD = ("Harwick flood\n\n"
         "The river Wend peaked at 4.7 metres on Monday night above the old town bridge in Harwick. "
         "Firefighters and volunteers evacuated 560 residents overnight from the lower streets of the town. "
         "The council has set up a relief fund of two million pounds for the families whose homes were flooded. "
         "Schools in the lower town will stay closed until the water pumps have cleared the cellars. "
         "Mayor Alice Brandt thanked the volunteers and said the town would rebuild the flood wall next year.")


def test_an_answer_quotes_what_another_version_of_its_report_states_otherwise(settings, tmp_path):
    """Asked about the figure an edited copy changed, the answer cites one version and quotes the other's
    sentence after it, marked as another version's ([n] resolving to its exact span); asked about what both
    versions state alike, nothing is added."""
    from assistant.core import Assistant
    from assistant.ingest import ingest
    from assistant.types import Answer

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "harwick-flood.txt").write_text(FLOOD, "utf-8")
    (folder / "harwick-flood-corrected.txt").write_text(FLOOD.replace("560 residents", "830 residents"), "utf-8")
    assert len(ingest(settings, [folder]).similar) == 1
    assistant = Assistant(settings)

    answer = assistant.ask("How many residents were evacuated from the lower streets?")
    assert answer.found
    (note,) = [s for s in answer.sentences if s.other_version_of is not None]
    first = next(c for c in answer.citations if c.n == note.other_version_of)
    (other,) = [c for c in answer.citations if c.n in note.citations]
    assert {first.doc_id, other.doc_id} == {"harwick-flood", "harwick-flood-corrected"}
    assert {"560", "830"} == {w for c in (first, other) for w in ("560", "830") if w in c.text}
    assert other.text == assistant.document_text(other.doc_id)[other.start:other.end]
    assert other.text in note.text and f"[{other.n}]" in note.text and note.text in answer.answer
    assert "Another version of this report" in note.text and note.support >= 0.5
    # a saved chat keeps the note as a note
    assert [s.other_version_of for s in Answer.from_json(answer.to_json()).sentences] == \
        [s.other_version_of for s in answer.sentences]

    same = assistant.ask("Who thanked the volunteers?")
    assert same.found and all(s.other_version_of is None for s in same.sentences)
    assert len({c.doc_id for c in same.citations}) == 1


def test_the_web_app_shows_another_versions_quote_on_a_line_of_its_own():
    from assistant.render import render_answer
    from assistant.types import Answer, AnswerSentence, Citation

    one = "Firefighters evacuated 560 residents overnight."
    two = "Firefighters evacuated 830 residents overnight."
    note = f"Another version of this report (b.txt) says otherwise: {two} [2]"
    answer = Answer("how many?", f"{one} [1]\n{note}", True,
                    (Citation(1, "a", "a.txt", "A", "en", one, 0, len(one), 1.0),
                     Citation(2, "b", "b.txt", "A", "en", two, 0, len(two), 1.0)),
                    (AnswerSentence(f"{one} [1]", (1,), 1.0), AnswerSentence(note, (2,), 1.0, other_version_of=1)))
    html = render_answer(answer, 0)
    assert html.index("560") < html.index("<br>") < html.index("Another version") < html.index("830")
