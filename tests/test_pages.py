"""Page numbers of PDF citations: where each page begins in a document's cleaned text, kept with its record,
and named by every citation of it (JSON, the command line, the web app, llama-index nodes)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner
from conftest import make_pdf

from assistant.cli import cli
from assistant.config import Settings
from assistant.core import Assistant
from assistant.corpus import clean, paginated, read_document
from assistant.llamaindex import citation_node, passage_node
from assistant.readers import generated_title, paragraph_breaks, unwrapped, vocabulary
from assistant.render import render_document, render_sources
from assistant.types import Answer

PAGE_1 = ["Annual report of the river authority.", "The authority met in Novi Sad in March 2023."]
PAGE_3 = ["The new pumping station in Zrenjanin cost 4 million euros.", "It opened in June 2023."]
PAGE_4 = ["Water losses in the network fell to 18 percent."]


def test_each_page_begins_where_the_marks_say_in_the_text_as_cleaned():
    pages = ("Home > News > Reports > Item\nAnnual report\n\nFirst page.", "", "Second [image] page.\n\n\n\nMore.",
             "   ", "Last \ue000page.")
    text, starts = paginated(pages)
    assert text == clean("\n\n".join(p for p in pages if p.strip())).replace("\ue000", "")  # as before, less marks
    assert [n for _, n in starts] == [1, 3, 5]  # pages with no text are not where anything begins
    assert [text[s:].split("\n")[0] for s, _ in starts] == ["Annual report", "Second [image] page.", "Last page."]


def test_a_mark_cleaning_took_leaves_the_text_without_pages_rather_than_wrong_ones(monkeypatch):
    import assistant.corpus as corpus

    cleaned = corpus.clean
    monkeypatch.setattr(corpus, "clean", lambda text: cleaned(text).replace("\ue000", "", 1))
    assert corpus.paginated(("Page one text.", "Page two text.")) == ("Page one text.\n\nPage two text.", ())


def test_a_pdf_document_knows_where_its_pages_begin(tmp_path):
    doc = read_document(make_pdf(tmp_path / "r.pdf", PAGE_1, [], PAGE_3, PAGE_4), "r", 10 << 20)
    assert [n for _, n in doc.pages] == [1, 3, 4]
    assert [doc.text[s:].startswith(page[0]) for s, page in zip([s for s, _ in doc.pages], (PAGE_1, PAGE_3, PAGE_4),
                                                                  strict=True)] == [True] * 3
    assert "\ue000" not in doc.text
    text = tmp_path / "r.txt"
    text.write_text("\n".join(PAGE_1 + PAGE_3), "utf-8")
    assert read_document(text, "t", 10 << 20).pages == ()


def test_a_pdf_page_s_lines_are_joined_into_its_paragraphs_and_its_title_lines_kept_apart():
    page = ("Expedition report, 2021\nDate: 2021-09-10\nIn summer 2021 the expedition of the institute spent on\n"
            "lake Baikal twenty-six days. It was led by profes-\nsor Andrei Sokolov and his deputy Irina\n"
            "Petrova.\nThe scientists took 340 samples.\n- water\n- sediment\n\nFindings\nA new sponge in a cold-\n"
            "storage tank of the Природно-\nматематичког факултет, said the professor.")
    assert unwrapped(page, vocabulary(page)).split("\n\n") == [
        "Expedition report, 2021", "Date: 2021-09-10",
        "In summer 2021 the expedition of the institute spent on lake Baikal twenty-six days. It was led by "
        "professor Andrei Sokolov and his deputy Irina Petrova.",  # the document writes "professor" whole
        "The scientists took 340 samples.\n- water\n- sediment", "Findings",
        "A new sponge in a cold-storage tank of the Природно-математичког факултет, said the professor."]
    assert unwrapped(" \n\n ") == ""


def test_a_pdf_paragraph_ends_where_the_print_leaves_a_gap_however_long_its_last_line(tmp_path):
    # Both paragraphs' last lines are as wide as the rest: by the lines' lengths alone they were run together.
    doc = read_document(make_pdf(tmp_path / "r.pdf", [
        "The harbour board met on Monday and approved the plan for a new pier",
        "at the northern end of the bay, to be built by a firm from Split within",
        "two years of the signing of the contract, at a cost of nine million euro",
        None,
        "Fishermen said the pier would cut the time they spend on unloading, and",
        "the board expects the first boats to moor there in the spring of 2028.",
    ]), "r", 10 << 20)
    assert doc.text.split("\n\n") == [
        "The harbour board met on Monday and approved the plan for a new pier at the northern end of the bay, to be "
        "built by a firm from Split within two years of the signing of the contract, at a cost of nine million euro",
        "Fishermen said the pier would cut the time they spend on unloading, and the board expects the first boats "
        "to moor there in the spring of 2028."]


def test_a_pdf_line_in_another_type_size_starts_a_block_and_a_title_wrapped_in_large_type_stays_one():
    text = "Port of Bar opens a new\nferry terminal\nBar, 3 May\nThe terminal cost\nnine million euro.\nIt opens in June."
    # a title in 18-point type over two lines, a dateline in 9, text in 11 with one paragraph's gap
    lines = [(750, 18), (726, 18), (700, 9), (680, 11), (665, 11), (643, 11)]
    assert paragraph_breaks(text, lines).split("\n\n") == [
        "Port of Bar opens a new\nferry terminal", "Bar, 3 May", "The terminal cost\nnine million euro.",
        "It opens in June."]
    assert paragraph_breaks(text, lines[:-1]) == text  # lines the text layer does not give one for one
    columns = [(750, 11), (735, 11), (720, 11), (750, 11), (735, 11), (720, 11)]  # a second column starts up top
    assert paragraph_breaks(text, columns) == text


def test_a_sentence_a_page_break_cut_goes_on_across_it_and_cites_the_page_it_begins_on():
    text, starts = paginated(("Costs\n\nThe new pier was designed by", "the architect Lena Varga of Budapest.",
                              "Opening\n\nIt opened in 2020."))
    assert "The new pier was designed by the architect Lena Varga of Budapest." in text
    (_, p1), (second, p2), (third, p3) = starts
    assert (p1, p2, p3) == (1, 2, 3) and text[second:].startswith("the architect") and text[third:].startswith("Opening")


@pytest.fixture(scope="module")
def paged(tmp_path_factory) -> Settings:
    """A data directory holding a four-page PDF (its second page empty) and a text file."""
    folder = tmp_path_factory.mktemp("paged")
    make_pdf(folder / "river.pdf", PAGE_1, [], PAGE_3, PAGE_4)
    (folder / "notes.txt").write_text("The river authority has 40 staff in Novi Sad.\n", "utf-8")
    settings = Settings(home=folder / "home", seeds=folder)
    Assistant(settings).ingest([folder / "river.pdf", folder / "notes.txt"])
    return settings


def test_a_citation_names_the_page_its_passage_is_on_and_a_text_file_s_none(paged):
    assistant = Assistant(paged)  # a new process's reading of the records
    answer = assistant.ask("How much did the pumping station in Zrenjanin cost?")
    assert answer.found and "4 million euros" in answer.answer
    cited = answer.citations[0]
    assert cited.source.endswith("river.pdf") and cited.page == 3
    assert Answer.from_json(json.loads(json.dumps(answer.to_json()))).citations[0].page == 3  # a saved chat
    assert answer.to_json()["citations"][0]["page"] == 3
    assert citation_node(cited).node.metadata["page_label"] == "3"
    staff = assistant.ask("How many staff does the river authority have?")
    assert staff.found and staff.citations[0].source.endswith("notes.txt")
    assert staff.citations[0].page is None and "page" not in staff.to_json()["citations"][0]
    assert "page_label" not in citation_node(staff.citations[0]).node.metadata


def test_every_way_a_passage_leaves_the_assistant_names_its_page(paged):
    assistant = Assistant(paged)
    retrieved = {p.chunk_id: p.page for p in assistant.retrieve("How much did the pumping station in Zrenjanin cost?")}
    listed = [n for n in assistant.as_retriever().nodes() if n.metadata["source"].endswith("river.pdf")]
    assert listed and all("page_label" in n.metadata for n in listed)  # as retrieve()'s nodes have it
    by_id = {n.node_id: n.metadata["page_label"] for n in listed}
    assert all(by_id[cid] == str(page) for cid, page in retrieved.items() if cid in by_id and page is not None)
    assert [p.page for p in assistant.passages(retrieved)] == list(retrieved.values())


def test_the_command_line_and_the_web_app_show_the_page(paged):
    result = CliRunner().invoke(cli, ["ask", "How much did the pumping station in Zrenjanin cost?"],
                                env={"ASSISTANT_HOME": str(paged.home)})
    assert result.exit_code == 0, result.output
    assert "river.pdf p. 3 [" in result.output
    answer = Assistant(paged).ask("Did water losses in the network fall?")
    assert answer.found and answer.citations[0].page == 4
    assert "river.pdf · p. 4 ·" in render_sources(answer, 0)
    text = Assistant(paged).document_text(answer.citations[0].doc_id)
    assert "river.pdf · p. 4 ·" in render_document(text, answer.citations[0], weak=False)
    pages = Assistant(paged).records[answer.citations[0].doc_id].pages
    view = render_document(text, answer.citations[0], weak=False, pages=pages)
    # The document view labels where pages 3 and 4 begin, each just before that page's own text.
    assert f'<span class="page-start">p. 3</span>{PAGE_3[0]}' in view
    assert f'<span class="page-start">p. 4</span><mark class="cited" id="cite-mark">{PAGE_4[0]}' in view
    assert 'page-start">p. 1<' not in view  # the first page begins the text: nothing to mark
    unpaged = replace(answer, citations=tuple(replace(c, page=None) for c in answer.citations))
    assert "p. " not in render_sources(unpaged, 0)


@pytest.mark.parametrize(("title", "generated"), [
    ("Microsoft Word - report_v2.docx", True), ("scan0001.tif", True), ("Untitled", True), ("  ", True),
    ("1234", True), ("Annual report 2023", False), ("Отчёт экспедиции на Байкал", False), ("Vol. 2", False),
    ("wrap", True),  # the file's own name (wrap.pdf)
    ("(anonymous)", True),  # ReportLab's, when its author gave none
])
def test_a_title_a_pdf_program_put_in_is_not_taken_for_the_report_s(title, generated):
    assert generated_title(title, "wrap") is generated


def test_retrieved_and_related_passages_name_their_page_too(paged):
    assistant = Assistant(paged)
    passages = assistant.retrieve("pumping station in Zrenjanin")
    pdf = [p for p in passages if p.source.endswith("river.pdf")]
    assert pdf and all(p.page in (1, 3, 4) for p in pdf)
    assert all(p.page is None for p in passages if p.source.endswith("notes.txt"))
    assert passage_node(pdf[0]).node.metadata["page_label"] == str(pdf[0].page)
    refused = Answer(question="q", answer="-", found=False, related=(replace(pdf[0], page=3),))
    assert Answer.from_json(json.loads(json.dumps(refused.to_json()))).related[0].page == 3
    assert "river.pdf · p. 3</div>" in render_sources(refused, 0)
