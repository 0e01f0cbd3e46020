"""The web app's HTML: which markers become links, what the sources panel says, library and status rows."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from assistant.library import Status
from assistant.render import (
    RANK_HELP,
    render_answer,
    render_chips,
    render_library,
    render_sources,
    render_status,
)
from assistant.store import DocRecord
from assistant.types import Answer, AnswerSentence, Citation

QUOTE = "Members adopted the plan (annex [2]) and the budget."


def _answer() -> Answer:
    c1 = Citation(1, "a", "/x/a.txt", "Plan of the council", "en", QUOTE, 0, len(QUOTE), 1.02)
    c2 = Citation(2, "a", "/x/a.txt", "Plan of the council", "en", "The budget was 3 million.", 60, 85, 0.97)
    return Answer("q", f"{QUOTE} [1] The budget was 3 million. [2]", True, (c1, c2),
                  (AnswerSentence(f"{QUOTE} [1]", (1,), 1.0), AnswerSentence("The budget was 3 million. [2]", (2,), 1.0)))


def test_only_the_answerers_markers_become_links():
    out = render_answer(_answer(), 0)
    links = re.findall(r'<a class="cite" href="#cite-0-(\d+)">', out)
    assert links == ["1", "2"]  # the quoted "(annex [2])" is not a third link
    assert "annex &#91;2&#93;" in out


def test_a_quoted_list_shows_each_item_on_its_own_line():
    # A list's items quoted one after another are a list to read, not a paragraph: each on its own line in
    # the answer text (a line break) and in the chat (<br>), in another language too, its bullet first and the
    # label of the quote's language after it.
    from test_answer import candidate

    from assistant.answer import Scored, compose

    texts = ["Roads were closed.", "- Bridges were shut.", "- Шкоде су затворене.", "Costs rose."]
    starts = [0, 30, 60, 90]
    chosen = [Scored(candidate(t, s, language="sr" if "Ш" in t else "en"), 0.9) for t, s in zip(texts, starts, strict=True)]
    answer = compose("q", "en", chosen)
    assert answer.answer == ("Roads were closed. [1]\n- Bridges were shut. [2]\n- (Serbian original) Шкоде су "
                             "затворене. [3] Costs rose. [4]")
    out = render_answer(answer, 0)
    assert re.findall(r"<br>|cite-0-(\d)", out) == ["1", "", "2", "", "3", "4"]


def test_sources_show_each_snippet_title_and_a_rank_explained_on_hover():
    out = render_sources(_answer(), 0)
    assert out.count('class="snippet"') == 2
    assert "annex [2]" in out and "The budget was 3 million." in out
    assert re.findall(r"match (\d) of 2", out) == ["1", "2"]  # by score: 1.02 first, 0.97 second
    assert out.count(f'title="{RANK_HELP}"') == 2
    assert "1.02" not in out and "score 1" not in out


def test_chips_name_active_filters():
    assert "Searching every report" in render_chips((), ())
    chips = render_chips(("en", "ru"), ("002_x",))
    assert chips.count("class=\"chip\"") == 3 and "English" in chips and "Russian" in chips and "002_x" in chips


def test_library_table_and_plain_status(tmp_path):
    lib = tmp_path / "home" / "library"
    lib.mkdir(parents=True)
    rec = DocRecord("up", str(lib / "up.txt"), "A <b>title</b>", "sr", "Cyrillic", "2020-01-02", "h", "complete", 3, 9)
    other = DocRecord("s", str(tmp_path / "seeds" / "s.txt"), "Seed", "en", "Latin", "", "h2", "complete", 1, 2)
    table = render_library([rec, other], lib)
    assert "A &lt;b&gt;title&lt;/b&gt;" in table and "Serbian" in table and "Cyrillic" in table
    assert "2020-01-02" in table and "no date" in table and "library" in table and str(Path(tmp_path / "seeds")) in table
    assert "upload a report or run `assistant ingest`" in render_library([], lib)
    status = render_status(Status(busy=True, label="embedding up.txt", done=16, total=40,
                                  messages=(("b.pdf was not added: it is not a readable PDF", True),)))
    assert "<progress max='40' value='16'>" in status and "16/40" in status and "still answered" in status
    # an earlier job's results are not shown under another's progress, only once the worker is idle
    assert "not a readable PDF" not in status
    done = render_status(Status(messages=(("b.pdf was not added: it is not a readable PDF", True),)))
    assert "✗ b.pdf was not added" in done and "<progress" not in done
    # Once a step has run a while, its pace says how long the rest will take.
    started = Status(busy=True, label="embedding big.txt", done=10, total=40, since=100.0)
    assert "10/40, about 1 min left" in render_status(started, now=120.0)  # 2 s a batch, 30 to go
    assert "left" not in render_status(started, now=102.0)  # too soon to tell
    assert "about 10 s left" in render_status(replace(started, done=37), now=240.0)  # 11 s
    assert "about 1.1 h left" in render_status(replace(started, done=1), now=200.0)


def test_a_refusal_lists_related_reading_apart_never_as_sources():
    from assistant.render import render_sources
    from assistant.types import Answer, Passage

    near = Passage("c:1", "d", "seeds/d.txt", "A <b>report</b>", "sr", "2021-10-19", 0, 20, "Blizu pitanja, ali ne.", 0.3)
    refused = Answer("q", "I cannot find the answer to this question in the reports.", False, related=(near,))
    html = render_sources(refused, 1)
    assert "Related reading" in html and "They are not an answer" in html and "Blizu pitanja" in html
    assert "&lt;b&gt;report" in html and "<b>report" not in html and "cite" not in html
    assert "Related reading" not in render_sources(Answer("q", "x", False), 1)


def test_the_document_view_shows_headings_as_headings_and_the_cited_span_exactly():
    # HTML and Word headings are indexed as Markdown heading lines; the reader sees a heading, not '##'.
    from assistant.render import render_document

    text = ("# Ski season\n\nThe resort opened on 1 December.\n\n## Prices <b>\n\nA day pass costs 3,500 dinars.\n"
            "#nohashtag is not a heading, nor is a # in a line.")
    quote = "A day pass costs 3,500 dinars."
    start = text.index(quote)
    out = render_document(text, Citation(1, "ski", "/x/ski.html", "Ski season", "en", quote, start, start + len(quote),
                                         1.0), weak=False)
    assert '<strong class="doc-heading">Ski season</strong>' in out
    assert '<strong class="doc-heading">Prices &lt;b&gt;</strong>' in out  # still escaped
    assert "#" not in out.split("#nohashtag")[0].split('class="doc-text">')[1]
    assert "#nohashtag is not a heading, nor is a # in a line." in out
    assert f'<mark class="cited" id="cite-mark">{quote}</mark>' in out
    # a heading line cut by the context window's start is shown as text, not taken for a heading there
    # ("### Deep" from its second character reads "## Deep")
    long = "### Deep\n" + "y" * 3991 + "\n" + quote
    assert long.index(quote) - 4000 == 1
    cut = render_document(long, Citation(1, "ski", "/x/ski.html", "Ski", "en", quote, 4001, 4001 + len(quote), 1.0),
                          weak=False)
    assert "doc-heading" not in cut and "…## Deep" in cut


def test_a_citation_saved_before_its_report_changed_marks_its_passage_or_says_it_is_gone():
    # A saved conversation keeps its citations' spans; the report may since have been edited and ingested
    # again under the same id. Its old span must not mark whatever text now sits there.
    from assistant.render import render_document

    quote = "On 3 March 2022 the city of Novi Sad hosted a regional conference on harm reduction."
    before = "Novi Sad report 2022\n\n" + quote + "\n\nThe budget was adopted."
    start = before.index(quote)
    c = Citation(1, "novisad", "/x/novisad.txt", "Novi Sad report 2022", "en", quote, start, start + len(quote), 1.0)
    assert f'id="cite-mark">{quote}</mark>' in render_document(before, c, weak=False)
    edited = "Novi Sad report 2022 (revised)\n\nBudget lines were revised in January 2023.\n\n" + quote
    moved = render_document(edited, c, weak=False)
    at = edited.index(quote)
    assert f'id="cite-mark">{quote}</mark>' in moved and f"characters {at}–{at + len(quote)} (moved" in moved
    gone = render_document("Novi Sad report 2023\n\nBudget lines were revised in January 2023.", c, weak=False)
    assert "no longer in it" in gone and quote in gone and "cite-mark" not in gone and "Budget" not in gone


def test_a_document_view_names_the_report_it_shows():
    # The web app reads it back to replace the view of a report deleted while it was shown.
    from assistant.render import DOC_PLACEHOLDER, render_document, render_gone, shown_document

    quote = "Police in Kotor seized 93 kilograms of heroin."
    c = Citation(2, "kotor_2022", "/x/kotor.txt", "Kotor's <b> seizure", "en", quote, 0, len(quote), 1.0)
    assert shown_document(render_document(quote, c, weak=False)) == "kotor_2022"
    assert shown_document(render_document("Since rewritten.", c, weak=False)) == "kotor_2022"  # passage gone
    assert shown_document(DOC_PLACEHOLDER) == shown_document(render_gone("kotor_2022")) == shown_document("") == ""


def test_a_citation_of_a_deleted_report_says_so_in_the_sources_and_the_document_view():
    from assistant.render import render_deleted, render_sources
    from assistant.types import Answer, AnswerSentence, Citation

    c = Citation(1, "mill", "/lib/mill_r1.txt", "Report on the Bečej flour mill", "en", "The mill ground 40 tonnes.",
                 0, 26, 1.0)
    answer = Answer("How much did the mill grind?", "The mill ground 40 tonnes. [1]", True, citations=(c,),
                    sentences=(AnswerSentence("The mill ground 40 tonnes. [1]", (1,), 1.0),))
    assert "deleted from the library" not in render_sources(answer, 0)
    assert "deleted from the library" in render_sources(answer, 0, gone=frozenset({"mill"}))
    view = render_deleted(c)
    assert "mill is no longer in the library" in view and "The mill ground 40 tonnes." in view and "mill_r1.txt" in view
