"""The file readers (assistant/readers.py): what text each format gives, built from small files made here."""

from __future__ import annotations

import pytest
from conftest import make_docx, make_pdf

from assistant.corpus import ReadError, clean, content_hash, read_document
from assistant.readers import _html_fallback, unwrapped, without_page_furniture


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


def test_running_headers_and_footers_are_dropped_and_the_sentence_they_cut_joined(tmp_path):
    header = "Danube Basin Commission | Annual Report 2022 | Restricted"
    doc = read(make_pdf(tmp_path / "r.pdf",
                        [header, "Water Quality", "Phosphorus loads fell by 11 percent, which the commission credits",
                         "to the new treatment plant in Novi Sad that", "Page 1 of 3    www.danube-commission.example"],
                        [header, "started operating in April and now serves 250,000 people.", "Navigation",
                         "Low water closed the river for 23 days.", "Page 2 of 3    www.danube-commission.example"],
                        [header, "Finance", "The commission spent 4.8 million euros.",
                         "Page 3 of 3    www.danube-commission.example"]))
    assert "Danube Basin" not in doc.text and "www." not in doc.text and "Page" not in doc.text
    assert "the new treatment plant in Novi Sad that started operating in April and now serves 250,000 people." \
        in doc.text
    starts = {n: doc.text[s:] for s, n in doc.pages}
    assert doc.text.startswith("Water Quality") and starts[1] == doc.text
    assert starts[2].startswith("started operating") and starts[3].startswith("Finance")


def test_a_line_repeated_on_two_pages_is_furniture_only_when_it_holds_the_page_number_or_cuts_a_sentence():
    numbered = without_page_furniture(["River Authority 2022 | 1\nThe dam was built.",
                                       "River Authority 2022 | 2\nIt holds water."])
    assert numbered == ["The dam was built.", "It holds water."]
    repeated = ["Water Quality\nNitrates rose.", "Water Quality\nPhosphates fell."]  # a title, say: kept
    assert without_page_furniture(repeated) == repeated
    # ...or when it stands between the halves of a sentence the page before left unfinished: a two-page
    # report's running header, which cut "…won a grant from the Science" | header | "fund worth 18 million…"
    cut = ["Tver Herald · Education\nThe lab won a grant from the Science\nPage 1",
           "Tver Herald · Education\nfund worth 18 million roubles.\nPage 2"]
    assert without_page_furniture(cut) == ["The lab won a grant from the Science", "fund worth 18 million roubles."]
    table = ["City | Days\nBor | 97", "City | Days\nNiš | 12"]  # a table's head on both pages: kept
    assert without_page_furniture(table) == table
    captions = ["Table 1\nNitrates rose.", "Table 2\nPhosphates fell.", "Table 5\nTrout grew."]  # out of step
    assert without_page_furniture(captions) == captions


# --- what is taken for site navigation -------------------------------------------------------------------


def test_a_breadcrumb_or_menu_at_the_top_of_flat_text_is_still_dropped():
    assert clean("Home > News > Reports > Annual report 2022\n\nThe council met in May.") == "The council met in May."
    assert clean("Home | News | About us | Contact\nAnnual report\n\nText.") == "Annual report\n\nText."
    assert "Home" not in _html_fallback("<nav><a href='/'>Home</a> | <a href='/n'>News</a></nav><p>Text.</p>")


@pytest.mark.parametrize("top", [
    "Party | Votes | Seats\nGreen Alliance | 41,200 | 12\nCitizens' List | 30,950 | 9",  # a table's head and rows
    "Итоги работы «Росатома» и «Ростеха» в Сибири за 2022 год",  # » closes a quote
    "REPUBLIC OF SERBIA    MINISTRY OF MINING    Ref. 311-02/2023\nDate:  4 April 2023    Belgrade",  # letterhead
    "Key findings: unemployment 8.7% | inflation 12.1% | GDP growth 2.3%",  # figures
    "Region    Schools    Teachers\nNorth    Many    Few",  # aligned columns
])
def test_lines_at_the_top_that_split_like_a_menu_but_are_text_are_kept(tmp_path, top):
    path = tmp_path / "r.txt"
    path.write_text(f"{top}\n\nThe ministry granted 17 new licences in 2022.\n", "utf-8")
    doc = read(path)
    assert doc.text.startswith(top)
    if "April" in top:
        assert doc.date == "2023-04-04"


def test_a_word_or_html_table_at_the_top_keeps_its_head_and_first_rows(tmp_path):
    import docx

    rows = [("Municipality", "Population 2022", "Change"), ("Kraljevo", "110,196", "-13.4%"),
            ("Leskovac", "124,889", "-13.6%")]
    d = docx.Document()
    table = d.add_table(rows=3, cols=3)
    for row, cells in zip(table.rows, rows, strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    d.add_paragraph("Source: the census of 2022.")
    d.save(str(tmp_path / "r.docx"))
    assert read(tmp_path / "r.docx").text.startswith(
        "Municipality | Population 2022 | Change\n\nKraljevo | 110,196 | -13.4%\n\nLeskovac")
    (tmp_path / "r.html").write_text(
        "<html><body><p>The agency measured PM10 at 28 stations in January.</p><table>"
        "<tr><th>City</th><th>Days over limit</th><th>Worst month</th></tr>"
        "<tr><td>Valjevo</td><td>97</td><td>December</td></tr></table></body></html>", "utf-8")
    assert "City | Days over limit | Worst month" in read(tmp_path / "r.html").text


# --- Word: text inside what python-docx's Paragraph.text does not read ------------------------------------

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def _word(path, *blocks: str):
    """Write a .docx whose body holds the given block elements (Word XML, in the w: namespace)."""
    import docx
    from docx.oxml import parse_xml

    d = docx.Document()
    body = d.element.body
    for block in blocks:  # before the body's last child, its section properties; the namespace on its first tag
        first = block.index(">")
        body.insert(len(body) - 1, parse_xml(f"{block[:first]} {W}{block[first:]}"))
    d.save(str(path))
    return path


def test_word_text_in_tracked_changes_content_controls_tags_fields_and_links_is_read(tmp_path):
    doc = read(_word(
        tmp_path / "r.docx",
        "<w:p>" + _run("The revised school budget is ")
        + f'<w:del w:id="1" w:author="A">{"<w:r><w:delText>4.1 million</w:delText></w:r>"}</w:del>'
        + f'<w:ins w:id="2" w:author="A">{_run("5.6 million")}</w:ins>' + _run(" dinars for 2024.") + "</w:p>",
        f'<w:p><w:ins w:id="3" w:author="A">{_run("The sports hall in Valjevo gets 900 thousand dinars.")}</w:ins></w:p>',
        f'<w:sdt><w:sdtPr><w:alias w:val="Abstract"/></w:sdtPr><w:sdtContent><w:p>{_run("Abstract: 2,870 surgeries.")}'
        "</w:p></w:sdtContent></w:sdt>",
        "<w:p>" + _run("Signed by director ") + f"<w:sdt><w:sdtPr/><w:sdtContent>{_run('Milena Petrović')}</w:sdtContent>"
        "</w:sdt>" + _run(" on 3 February 2023.") + "</w:p>",
        f"<w:p>{_run('They went to ')}<w:smartTag w:element='place'>{_run('Trebinje')}</w:smartTag>{_run(' on ')}"
        f"<w:customXml w:element='date'>{_run('9 March 2021')}</w:customXml>{_run('.')}</w:p>",
        f"<w:p>{_run('It covered ')}<w:fldSimple w:instr=' DOCPROPERTY Villages '>{_run('214')}</w:fldSimple>"
        f"{_run(' villages, ')}<w:r><w:fldChar w:fldCharType='begin'/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>"
        f"<w:r><w:fldChar w:fldCharType='separate'/></w:r>{_run('31')}<w:r><w:fldChar w:fldCharType='end'/></w:r>"
        f"{_run(' towns, said ')}<w:hyperlink w:anchor='x'>{_run('the regulator')}</w:hyperlink>{_run('.')}</w:p>",
        f"<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent><w:p>{_run('Click or tap here to enter text.')}"
        "</w:p></w:sdtContent></w:sdt>",
    ))
    assert doc.text.split("\n\n") == [
        "The revised school budget is 5.6 million dinars for 2024.",
        "The sports hall in Valjevo gets 900 thousand dinars.", "Abstract: 2,870 surgeries.",
        "Signed by director Milena Petrović on 3 February 2023.", "They went to Trebinje on 9 March 2021.",
        "It covered 214 villages, 31 towns, said the regulator."]


def test_a_word_text_box_is_read_once_after_its_paragraph_and_nested_tables_and_merges_are_read(tmp_path):
    box = f"<w:txbxContent><w:p>{_run('Key figure: 1.24 million cruise passengers.')}</w:p></w:txbxContent>"
    doc = read(_word(
        tmp_path / "r.docx",
        f"<w:p>{_run('Visitors rose in Kotor.')}</w:p>",
        '<w:p><w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml">'
        f"<mc:Choice Requires='wps'><w:drawing><wps:wsp><wps:txbx>{box}</wps:txbx></wps:wsp></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:shape><v:textbox>{box}</v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r></w:p>",
        "<w:tbl><w:tr><w:tc><w:p>" + _run("Buses") + "</w:p></w:tc><w:tc><w:p/><w:tbl><w:tr>"
        f"<w:tc><w:p>{_run('Electric: 27')}</w:p></w:tc><w:tc><w:p>{_run('Diesel: 143')}</w:p></w:tc>"
        "</w:tr></w:tbl></w:tc></w:tr>"
        f"<w:tr><w:tc><w:tcPr><w:vMerge w:val='restart'/></w:tcPr><w:p>{_run('Trams')}</w:p></w:tc>"
        f"<w:tc><w:p>{_run('Line 2: 12')}</w:p></w:tc></w:tr>"
        f"<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc><w:tc><w:p>{_run('Line 9: 4')}</w:p></w:tc></w:tr>"
        f"<w:sdt><w:sdtContent><w:tr><w:tc><w:p>{_run('Ferries')}</w:p></w:tc><w:tc><w:p>{_run('3')}</w:p></w:tc>"
        "</w:tr></w:sdtContent></w:sdt></w:tbl>",
    ))
    assert doc.text.split("\n\n") == [
        "Visitors rose in Kotor.", "Key figure: 1.24 million cruise passengers.",
        "Buses | Electric: 27 | Diesel: 143", "Trams | Line 2: 12", "Trams | Line 9: 4", "Ferries | 3"]


# --- PDF: encryption ---------------------------------------------------------------------------------------


def _encrypted(source, path, user_password: str):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(str(source)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    writer.write(str(path))
    return path


def test_a_pdf_with_only_an_owner_password_is_read_and_one_that_asks_for_a_password_is_refused(tmp_path):
    # An owner password only restricts printing or copying: every viewer opens the file without asking.
    plain = make_pdf(tmp_path / "plain.pdf", ["Customs revenue at the Horgos crossing reached 96 million euros."])
    doc = read(_encrypted(plain, tmp_path / "owner.pdf", ""))
    assert doc.text == "Customs revenue at the Horgos crossing reached 96 million euros." and doc.pages == ((0, 1),)
    with pytest.raises(ReadError, match="encrypted PDF"):
        read(_encrypted(plain, tmp_path / "user.pdf", "reader-secret"))


# --- a file whose name says text but whose bytes do not ------------------------------------------------------


def test_a_pdf_or_word_file_named_as_text_is_read_as_what_it_is(tmp_path):
    pdf = make_pdf(tmp_path / "report.txt", ["Report on Public Transport", "The transport company of Subotica bought 12 electric buses in 2022."])
    doc = read(pdf)
    assert doc.title == "Report on Public Transport" and "%PDF" not in doc.text and "obj" not in doc.text
    assert "Subotica bought 12 electric buses in 2022." in doc.text and doc.pages == ((0, 1),)
    assert content_hash(pdf.read_bytes(), ".txt") == content_hash(pdf.read_bytes(), ".pdf")  # its reader's version
    word = read(make_docx(tmp_path / "notes.md", ["The port handled 118,400 containers."], title="Harbour"))
    assert (word.title, word.text) == ("Harbour", "The port handled 118,400 containers.")
    (tmp_path / "photos.md").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)  # a zip, or not: binary all the same
    with pytest.raises(ReadError, match="binary"):
        read(tmp_path / "photos.md")


# --- invisible characters -------------------------------------------------------------------------------------


def test_invisible_characters_that_split_words_are_not_stored(tmp_path):
    from assistant.text import keyword_tokens

    path = tmp_path / "r.txt"
    path.write_text("Agri\u00adcultural sub\u00adsidies in Kragu\u00adjevac and Bel\u200bgrade rose\u2060 to "
                    "410\u200c million\u200d euros.\ufeff\n", "utf-8")
    doc = read(path)
    assert doc.text == "Agricultural subsidies in Kragujevac and Belgrade rose to 410 million euros."
    assert {"kragujevac", "belgrad"} <= set(keyword_tokens(doc.text))
    # A PDF line ending in a soft hyphen broke its word there, whether or not the document writes it whole.
    assert unwrapped("The ministry said that the agri\u00ad\ncultural subsidies will rise to 410 million euros.") \
        == "The ministry said that the agricultural subsidies will rise to 410 million euros."


# --- Markdown: read as the text it shows, not as its source -----------------------------------------------


def test_markdown_is_read_as_its_text_without_markup_front_matter_or_code(tmp_path):
    # Read as source, answers quoted "**Novi Pazar** lent *58,300* books … [the statistics](https://…)", the
    # front matter block, a table's "|---:|" line, a code block (for a question that was only a URL), and a
    # setext title with its "====" underline.
    path = tmp_path / "library.md"
    path.write_text(
        '---\ntitle: "Library Services Review"\nauthor: Jelena Marković\ndate: 2023-04-02\n---\n\n'
        "Library Services\n================\n\nLending\n-------\n\n"
        "The city library of **Novi Pazar** lent *58,300* books in 2022, according to\n"
        "[the annual statistics](https://example.org/stats?year=2022&id=55) and the `lending` log.\n\n"
        "<!-- a note to the editor -->\n\n![chart](chart.png)\n\n"
        "| Branch | Members | Opened |\n|--------|--------:|-------:|\n| Central | 4,120 | 1951 |\n"
        "| Sjenička | 870 | 1998 |\n\n"
        "```python\nmembers = 4120 + 870\n```\n\n    print(members)\n\n"
        "Its branches:\n\n* **Central**, in the old town\n* Sjenička, by the river\n1. Opened in 1951\n2. Moved in 1998\n\n"
        '<div class="note">\nNote: the audit was paid for by Norway.\n</div>\n\n'
        "Visits rose ~~slightly~~ by <b>4%</b> to 210,000.\n", "utf-8")
    doc = read(path)
    assert doc.text.split("\n\n") == [
        "# Library Services", "## Lending",
        "The city library of Novi Pazar lent 58,300 books in 2022, according to\n"
        "the annual statistics and the lending log.",
        "Branch | Members | Opened", "Central | 4,120 | 1951", "Sjenička | 870 | 1998", "print(members)",
        "Its branches:", "* Central, in the old town\n* Sjenička, by the river", "1. Opened in 1951\n2. Moved in 1998",
        "Note: the audit was paid for by Norway.", "Visits rose slightly by 4% to 210,000."]
    assert (doc.title, doc.date) == ("Library Services Review", "2023-04-02")  # the front matter's, kept
    untitled = tmp_path / "untitled.md"
    untitled.write_text("Energy Audit\n============\n\nHeating took 72 percent of the energy.\n", "utf-8")
    assert read(untitled).title == "Energy Audit"


def test_markdown_that_reads_as_plain_text_is_stored_as_written(tmp_path):
    # The eval reports' gold quotes point into this text: a heading, paragraphs, a list, quotes and dates
    # that open a line ("2009. godine") come out as written.
    source = ("# Festival „Karlovačka berba\" posetilo 32.000 ljudi\n\nSREMSKI KARLOVCI, 30. septembar 2024. – "
              "Deseti festival vina „Karlovačka berba\" završen je u nedelju.\nDrugi red, \"navodnici\" i 6:05 a.m.\n\n"
              "Glavne nagrade:\n\n- šampion: „Tamjanika 2023\";\n- nagrada publike: roze.\n\n"
              "2009. godine usvojena je strategija za period 2009–2013.\n")
    path = tmp_path / "festival.md"
    path.write_text(source, "utf-8")
    assert read(path).text == source.strip()



def test_an_indented_markdown_paragraph_is_read_as_prose_not_dropped_as_code(tmp_path):
    # CommonMark makes a paragraph indented by four spaces a code block, and code was dropped: a pasted email
    # quote or an indented continuation paragraph, and its facts, were never indexed.
    path = tmp_path / "water.md"
    path.write_text("# Water supply\n\nThe mayor wrote to the council on 3 March:\n\n"
                    "    The pump station in **Zemun** will be rebuilt by 2026,\n    at a cost of 4 million euros.\n\n"
                    "- Works start in May.\n\n        The old pumps are sold for scrap.\n\nThe council agreed.\n", "utf-8")
    assert read(path).text.split("\n\n") == [
        "# Water supply", "The mayor wrote to the council on 3 March:",
        "The pump station in Zemun will be rebuilt by 2026,\nat a cost of 4 million euros.",
        "- Works start in May.", "The old pumps are sold for scrap.", "The council agreed."]


def test_markdown_footnote_markers_are_dropped_and_each_footnote_is_a_paragraph_of_its_own(tmp_path):
    # "[^1]" was indexed as written, glued into the word before it ("EU[^1]"), and a definition whose text is one
    # word ("[^2]: Ibid.") was taken for a link reference and dropped, its marker read as a link ("city^2").
    path = tmp_path / "funding.md"
    path.write_text("# Funding\n\nThe works were paid for by the EU[^1] and the city [^city].\n"
                    "A grant came later.[^2]\n\n[^1]: The IPA programme, call of 2021.\n"
                    "    It covered 80 percent of the cost.\n\n[^city]: From the budget line 42.\n\n[^2]: Ibid.\n\n"
                    "Text [^9] with no footnote of that name keeps it.\n", "utf-8")
    assert read(path).text.split("\n\n") == [
        "# Funding", "The works were paid for by the EU and the city.\nA grant came later.",
        "Text [^9] with no footnote of that name keeps it.",
        "The IPA programme, call of 2021.\nIt covered 80 percent of the cost.", "From the budget line 42.", "Ibid."]


def test_a_markdown_block_quote_that_repeats_the_text_is_read_once_and_one_of_its_own_words_is_kept(tmp_path):
    # A pull quote written as a "> " block quote was stored beside the paragraph it repeats, and an answer quoted
    # the same sentence twice, as an HTML page's had been (_pull_quotes). A letter or a citation quoted in a
    # block quote is found nowhere else in the text: it is the report's own, and stays.
    lead = "The new bridge over the Sava in Šabac cost 41 million euros and opened on 3 May 2024."
    path = tmp_path / "bridge.md"
    path.write_text(f"# Bridge opens\n\n{lead} The contractor started the works in 2021.\n\n"
                    f"> “{lead}”\n\n> **opened on 3 May 2024**\n>\n> > The contractor started the works in 2021.\n\n"
                    "The mayor read a letter from a resident:\n\n> We waited ten years for this bridge.\n>\n"
                    f"> {lead}\n\nHigh water delayed the works in 2023.\n", "utf-8")
    assert read(path).text.split("\n\n") == [
        "# Bridge opens", f"{lead} The contractor started the works in 2021.",
        "The mayor read a letter from a resident:", "We waited ten years for this bridge.", lead,
        "High water delayed the works in 2023."]

# --- PDF: ligatures and justified text -------------------------------------------------------------------------


def test_ligatures_are_stored_as_their_letters_and_nothing_else_is_folded(tmp_path):
    # A PDF's font draws "fi" as one glyph, and its text layer gives U+FB01: "ﬁnancial" was stored and quoted so.
    path = tmp_path / "r.txt"  # text pasted from such a PDF
    path.write_text("The ﬁnancial oﬃce ﬂagged eﬀorts to raise proﬁts in 2022 (the ﬅ and ﬆ too): 10 m² and ½.\n",
                    "utf-8")
    doc = read(path)
    assert doc.text == "The financial office flagged efforts to raise profits in 2022 (the st and st too): 10 m² and ½."
    assert clean("Sta\ufb00 \ufb04ow") == "Staff fflow"


def test_runs_of_spaces_in_justified_pdf_text_are_one_space_and_a_text_file_keeps_its_own(tmp_path):
    doc = read(make_pdf(tmp_path / "r.pdf", ["The  biggest  single  project  was  the  new  district  heating  plant",
                                             "in  Kragujevac,  which  cost  31  million  euros."]))
    assert doc.text == "The biggest single project was the new district heating plant in Kragujevac, which cost 31 " \
                       "million euros."
    columns = tmp_path / "r.txt"
    columns.write_text("Region    Schools    Teachers\nNorth    12    140\n", "utf-8")
    assert read(columns).text == "Region    Schools    Teachers\nNorth    12    140"


# --- HTML: figure captions and definition lists ---------------------------------------------------------------

_HEALTH_CENTRE = (
    "<html><head><title>Health Centre Annual Summary</title></head><body><main><article>"
    "<h1>Health Centre Annual Summary</h1>"
    "<p>The health centre in Smederevo reported the following results for 2022:</p>"
    "<ul><li>312,000 patient visits</li><li>48,000 vaccinations</li></ul>"
    "<dl><dt>Director</dt><dd>Dr. Vesna Ristić</dd><dt>Staff</dt><dd>412 employees</dd></dl>"
    "<figure><img src='chart.png'><figcaption>Figure 1: Waiting time fell from 14 to 6 days.</figcaption></figure>"
    "<p>The centre plans to open two more clinics in the villages around Smederevo next year.</p>"
    "</article></main></body></html>")


def test_html_figure_captions_are_read_and_a_definition_list_is_not_glued_to_the_list_before_it(tmp_path):
    # The caption was dropped with its <figure>, and the <dl> read as four more items of the list above it:
    # "Who is the director?" got "- Director [1] - Dr. Vesna Ristić [2] - Staff [3] - 412 employees [4]".
    path = tmp_path / "r.html"
    path.write_text(_HEALTH_CENTRE, "utf-8")
    assert read(path).text.split("\n\n") == [
        "# Health Centre Annual Summary", "The health centre in Smederevo reported the following results for 2022:",
        "- 312,000 patient visits\n- 48,000 vaccinations", "- Director\nDr. Vesna Ristić\n- Staff\n412 employees",
        "Figure 1: Waiting time fell from 14 to 6 days.",
        "The centre plans to open two more clinics in the villages around Smederevo next year."]


def test_the_fallback_html_reader_reads_figure_captions_and_definition_lists_alike():
    text = clean(_html_fallback(_HEALTH_CENTRE), navigation=False)
    assert "- 48,000 vaccinations\n\n- Director\nDr. Vesna Ristić\n- Staff\n412 employees\n\n" \
           "Figure 1: Waiting time fell from 14 to 6 days.\n\n" in text


def test_an_html_table_s_rows_are_read_as_a_word_table_s(tmp_path):
    # The extractor writes Markdown rows ("| Valjevo | 97 | December |") and a "|---|---|---|" rule under the
    # head, a paragraph of its own; a Word table's rows read "Valjevo | 97 | December".
    (tmp_path / "r.html").write_text(
        "<html><body><p>The agency measured PM10 at 28 stations in January, as every year since 2009.</p><table>"
        "<tr><th></th><th>Days over limit</th><th>Worst month</th></tr>"
        "<tr><td>Valjevo</td><td></td><td>December</td></tr><tr><td>Užice</td><td>58</td><td>November</td></tr>"
        "</table><p>Heating plants account for 41 percent of the particulate matter, the agency says.</p>"
        "</body></html>", "utf-8")
    assert read(tmp_path / "r.html").text.split("\n\n")[1:4] == [
        " | Days over limit | Worst month", "Valjevo |  | December", "Užice | 58 | November"]



def test_a_short_html_page_is_read_as_laid_out_not_a_paragraph_per_text_node(tmp_path):
    # On a page with little text the extractor's last resort gives each text node a line of its own, and each
    # line was a paragraph: "The summit was held in", "Belgrade", ", 2024, and", "its report", "is out.".
    path = tmp_path / "r.html"
    path.write_text("<html><body><header><a href='/'>Valley News</a><nav><a href='/a'>Archive</a></nav></header>"
                    "<p>The summit was held in <b>Belgrade</b>, 2024, and <a href='/s'>its report</a> is out.</p>"
                    "<footer>© 2025 Valley News</footer></body></html>", "utf-8")
    assert read(path).text == "Valley News\n\nThe summit was held in Belgrade, 2024, and its report is out."


def test_inline_elements_leave_no_space_before_punctuation_in_any_html_reader(tmp_path):
    article = ("<html><body><article><p>The agency measured PM10 at 28 stations in January, as every year since "
               "2009, across the country.</p><p>He said: <q>the air is better</q>. It was <em>cleaner</em>; "
               "see <a href='/r'>the report</a>.</p><p>The agency publishes its figures every month on its "
               "website, with a map of the stations.</p></article></body></html>")
    path = tmp_path / "r.html"
    path.write_text(article, "utf-8")
    assert "He said: the air is better. It was cleaner; see the report." in read(path).text.split("\n\n")
    assert clean(_html_fallback("<h2>Heading <b>bold</b>, yes</h2><p>In <span><b>Niš</b></span>, "
                                "<time>2024</time> (<i>est.</i>)</p>")) == "## Heading bold, yes\n\nIn Niš, 2024 (est.)"
    markdown = tmp_path / "r.md"
    markdown.write_text("Intro.\n\n<div>\nThe summit was held in <b>Belgrade</b>, 2024.\n</div>\n", "utf-8")
    assert read(markdown).text == "Intro.\n\nThe summit was held in Belgrade, 2024."


def test_a_table_without_a_header_row_reads_a_row_a_paragraph_as_one_with_a_header_does(tmp_path):
    # Rows with a header row read "Užice | 58 | November", a paragraph each. Without one, Markdown's rows (no
    # "|---|" line: no table to CommonMark) were one paragraph of source, pipes and all, and an HTML table the
    # extractor gave up on (or a Markdown file's HTML block) ran its cells together: "Užice 58 November".
    rows = ["Valjevo | 97 | December", "Užice | 58 | November"]
    markdown = tmp_path / "r.md"
    markdown.write_text("PM10 in 2023:\n\n| Valjevo | 97 | December |\n|Užice|**58**| November |\n\n"
                        "<table>\n<tr><td>Valjevo</td><td>97</td><td>December</td></tr>\n"
                        "<tr><td>Užice</td>\n<td> 58 </td><td>November</td></tr><tr><td></td></tr></table>\n", "utf-8")
    assert read(markdown).text.split("\n\n") == ["PM10 in 2023:", *rows, *rows]
    assert clean(_html_fallback("<table><tr><th>City</th><th>Days</th></tr><tr><td>Užice</td><td></td></tr>"
                                "</table>")) == "City | Days\n\nUžice |"
    page = tmp_path / "r.html"
    page.write_text("<html><body><article><p>The agency measured PM10 at 28 stations in January, as every year "
                    "since 2009.</p><table><tr><td>Valjevo</td><td>97</td><td>December</td></tr><tr><td>Užice</td>"
                    "<td>58</td><td>November</td></tr></table><p>Heating plants account for 41 percent of the "
                    "particulate matter, the agency says.</p></article></body></html>", "utf-8")
    assert read(page).text.split("\n\n")[1:3] == rows
    import docx

    d = docx.Document()
    table = d.add_table(rows=2, cols=3)
    for row, cells in zip(table.rows, [row.split(" | ") for row in rows], strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    d.save(str(tmp_path / "r.docx"))
    assert read(tmp_path / "r.docx").text.split("\n\n") == rows


def test_a_table_cell_s_paragraphs_keep_its_row_one_line_in_the_fallback_html_reader(tmp_path):
    # A <p>, <div> or blank line of <br>s in a cell was a paragraph break: the row fell apart ("Valjevo |", "97
    # days", "in December") and its first cell ran into the row before ("City | NoteUžice58 days").
    table = ("<table><tr><th>City</th><th>Note</th></tr><tr><td><p>Užice</p></td><td><p>58 days</p><p>worst in "
             "<b>November</b></p></td></tr><tr><td>Valjevo</td><td><div>97 days</div><br><br>in December</td></tr>"
             "</table><p>The agency measured PM10 at 28 stations.</p>")
    rows = ["City | Note", "Užice | 58 days worst in November", "Valjevo | 97 days in December"]
    assert clean(_html_fallback(table), navigation=False).split("\n\n") == [
        *rows, "The agency measured PM10 at 28 stations."]
    laid_out = "<table>\n<tr>\n  <td>\n    <p>Užice</p>\n\n    <p>town</p>\n  </td>\n\n  <td>58</td>\n</tr>\n</table>"
    assert clean(_html_fallback(laid_out), navigation=False) == "Užice town | 58"  # the source's blank lines too
    markdown = tmp_path / "r.md"  # a Markdown file's HTML block is read by the fallback reader
    markdown.write_text(f"PM10 in 2023:\n\n{table}\n", "utf-8")
    assert read(markdown).text.split("\n\n")[1:4] == rows


def test_an_html_pull_quote_that_repeats_the_article_is_read_once(tmp_path):
    # The lead repeated in large type beside the text was stored twice, and "How much did the bridge cost?" was
    # answered with the same sentence twice, [1] and [2]. A quotation found nowhere else is the page's own text.
    lead = "The new bridge over the Sava in Šabac cost 41 million euros and opened on 3 May 2024."
    works = ("<p>The contractor started the works in the spring of 2021, after two tenders had failed.</p>"
             "<p>High water delayed them in 2023, when the river stayed above the flood mark for six weeks.</p>")
    path = tmp_path / "r.html"
    path.write_text(f"<html><body><article><h1>Bridge opens</h1><p>{lead}</p>{works}<blockquote class='pull-quote'>"
                    f"“{lead}”</blockquote><figure class='pullquote'><blockquote><p>opened on 3 May 2024</p>"
                    "</blockquote></figure><blockquote><p>We waited ten years for this bridge, said a resident.</p>"
                    f"</blockquote>{works.replace('20', '19')}</article></body></html>", "utf-8")
    text = read(path).text
    assert text.count("opened on 3 May 2024") == 1
    assert "We waited ten years for this bridge, said a resident." in text.split("\n\n")

@pytest.mark.parametrize("long", [False, True])  # the main-text extractor's page, and the fallback's short one
def test_an_advertisement_set_inside_an_article_is_not_read(tmp_path, long):
    # "REKLAMA: Nagrada za kupce - 5 miliona dinara" answered how much a library's award was.
    more = "".join(f"<p>The reading room on floor {n} was repainted and given new lamps in the summer.</p>"
                   for n in range(1, 8)) if long else ""
    path = tmp_path / "r.html"
    path.write_text("<html><body><article><h1>Library wins an award</h1>"
                    "<p class='lead'>The city library in Čačak was named the library of the year.</p>"
                    "<div class='ad ad-slot'>REKLAMA: win 5 million dinars in our prize draw!</div>"
                    "<p>Its members grew by 22 percent.<ins class='adsbygoogle'>Buy a car today</ins> The award "
                    f"was given in Belgrade on 1 April.</p>{more}<p id='sponsored-links'>Cheap flights</p>"
                    "<p class='download-note'>The report can be downloaded as a PDF.</p></article></body></html>",
                    "utf-8")
    text = read(path).text
    for ad in ("REKLAMA", "Buy a car", "Cheap flights"):
        assert ad not in text
    for own in ("named the library of the year", "Its members grew by 22 percent.", "The award was given in",
                "downloaded as a PDF"):
        assert own in text


# --- HTML: a page its scripts write ---------------------------------------------------------------------------


def test_a_page_whose_only_text_is_its_noscript_notice_is_refused_and_one_with_text_of_its_own_is_read(tmp_path):
    # create-react-app's shell was indexed as a report titled "Dashboard" saying "You need to enable JavaScript".
    shell = ('<!doctype html><html><head><title>Dashboard</title><script src="app.js"></script></head><body>'
             '<div id="root"></div><script>window.__DATA__={"report":"Unemployment fell to 8.7 percent"};render()'
             "</script><noscript>You need to enable JavaScript to run this app.</noscript></body></html>")
    (tmp_path / "spa.html").write_text(shell, "utf-8")
    with pytest.raises(ReadError, match=r"^spa\.html has no text without JavaScript .*save it from there") as e:
        read(tmp_path / "spa.html")
    assert "\n" not in str(e.value)
    (tmp_path / "titled.html").write_text(shell.replace('<div id="root"></div>', "<h1>Dashboard</h1>"), "utf-8")
    with pytest.raises(ReadError, match="no text without JavaScript"):
        read(tmp_path / "titled.html")
    page = shell.replace('<div id="root"></div>', "<p>Unemployment in Niš fell to 8.7 percent in 2022, the "
                         "lowest rate the national employment service has recorded since 2008.</p>")
    (tmp_path / "page.html").write_text(page, "utf-8")
    assert "Unemployment in Niš fell to 8.7 percent" in read(tmp_path / "page.html").text


# --- text: a stray NUL byte -----------------------------------------------------------------------------------


def test_a_stray_nul_byte_is_dropped_wherever_it_is_and_a_file_of_many_is_binary(tmp_path):
    # One NUL in the first 4 KB refused the whole file as binary; one after them was silently dropped.
    early = tmp_path / "ferry.txt"
    early.write_bytes(b"Ferry timetable\n\nThe ferry to Golubac runs four times a day in summer.\x00\n"
                      b"Tickets cost 300 dinars.\n")
    assert read(early).text == "Ferry timetable\n\nThe ferry to Golubac runs four times a day in summer.\n" \
                               "Tickets cost 300 dinars."
    serbian = tmp_path / "sume.txt"  # a code page, not UTF-8: read as the code page still
    serbian.write_bytes("Izveštaj o šumama\n\nŠumovitost Srbije iznosi 29,1 odsto.\x00 Čačak je posadio 12.000 "
                        "sadnica, a Užice 4.000.\n".encode("cp1250"))
    assert read(serbian).text == "Izveštaj o šumama\n\nŠumovitost Srbije iznosi 29,1 odsto. Čačak je posadio " \
                                 "12.000 sadnica, a Užice 4.000."
    utf16 = tmp_path / "utf16.txt"  # half its bytes are NUL, and it is text
    utf16.write_bytes("Water report\n\nThe city lost 37 percent of its water.\n".encode("utf-16-le"))
    assert read(utf16).text == "Water report\n\nThe city lost 37 percent of its water."
    many = tmp_path / "many.txt"
    many.write_bytes(b"Police report\x00\x00\x00 with NUL bytes\x00 in it. " * 20)
    with pytest.raises(ReadError, match="binary"):
        read(many)


# --- messages for files that cannot be read -----------------------------------------------------------------------


def test_a_loop_of_links_and_a_broken_link_are_named_as_such(tmp_path):
    (tmp_path / "loop1").symlink_to("loop2")  # no extension: it had been told it "has no extension"
    (tmp_path / "loop2").symlink_to("loop1")
    with pytest.raises(ReadError, match=r"loop1 is a link that points back to itself \(a loop of links\), so it "
                                        "cannot be read"):
        read(tmp_path / "loop1")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    with pytest.raises(ReadError, match=r"gone\.txt is a broken link: what it points to \(.*nowhere\.txt\) does not "
                                        "exist, so it cannot be read"):
        read(tmp_path / "gone.txt")


def test_a_password_protected_word_file_or_an_old_doc_is_told_to_be_saved_as_docx(tmp_path):
    # Word writes an encrypted .docx, and a .doc, as an OLE compound file, which had been told "not a zip archive;
    # re-save it from Word" (Word opens it fine). Its directory names its streams in UTF-16.
    def compound(name: str, stream: str):
        path = tmp_path / name
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + stream.encode("utf-16-le") + bytes(3000))
        return path

    with pytest.raises(ReadError, match=r"^locked\.docx is a password-protected Word file; .*save it as \.docx$"):
        read(compound("locked.docx", "EncryptedPackage"))
    with pytest.raises(ReadError, match=r"^old\.docx is an old Word 97-2003 document \(\.doc\), not a \.docx; "):
        read(compound("old.docx", "WordDocument"))
    with pytest.raises(ReadError, match=r"^other\.docx is password-protected \(or an old Word 97-2003 \.doc\); open it "
                                        r"in Word and save it without a password as \.docx$"):
        read(compound("other.docx", "Root Entry"))
    (tmp_path / "text.docx").write_bytes(b"plain text pretending")
    with pytest.raises(ReadError, match="not a zip archive"):
        read(tmp_path / "text.docx")


def test_a_file_just_over_the_size_limit_is_told_a_size_that_differs_from_the_limit(tmp_path):
    from assistant.readers import MB

    path = tmp_path / "big.txt"
    for size, shown in ((MB + 74, r"1,048,650 bytes, over the 1 MB limit \(1,048,576 bytes\)"),
                        (MB + MB // 100, r"1\.01 MB, over the 1 MB limit"), (3 * MB // 2, r"1\.5 MB, over the 1 MB limit")):
        path.write_bytes(b"w" * size)
        with pytest.raises(ReadError, match=rf"big\.txt is {shown} \(raise ASSISTANT_MAX_FILE_MB"):
            read_document(path, "big", MB)


_ARTICLE_BODY = (
    "<html><head><title>Council news</title></head><body>"
    "<nav><a href='/'>Home</a> <a href='/politics'>Politics</a></nav>"
    "<main><article>"
    "<h1>Riverside library to reopen after two-year rebuild</h1>"
    "<p class='standfirst'>The town's oldest library will reopen with a children's wing and 40 study desks.</p>"
    "<p class='meta'>By Ana Petrović · 12 November 2025, 09:15</p>"
    "<div class='article-body'>"
    "<p>DALTON, 12 November 2025 — The Riverside library, closed since a fire in 2023, will reopen on 3 March 2026"
    " after a rebuild that cost 2.4 million euros, the council said on Wednesday.</p>"
    "<p>The new building has a children's wing on the ground floor and a reading room for 40 students.</p>"
    "<p>Head librarian Mira Jovanović, 51, said the library had lent 18,000 books a year before the fire.</p>"
    "</div></article></main>"
    "<footer><p>© 2026 Dalton Herald. All rights reserved.</p></footer></body></html>")


def test_an_article_s_headline_and_standfirst_above_its_body_are_read_and_its_byline_dates_it(tmp_path):
    # A page that marks its body apart (<div class="article-body">) had only that block read: the headline and
    # the standfirst, the report's summary, were lost, and with the byline gone the first date of the text (a
    # plan, "will reopen on 3 March 2026") dated the report.
    path = tmp_path / "library.html"
    path.write_text(_ARTICLE_BODY.replace("DALTON, 12 November 2025 — ", ""), "utf-8")
    document = read(path)
    paragraphs = document.text.split("\n\n")
    assert paragraphs[:2] == ["# Riverside library to reopen after two-year rebuild",
                              "The town's oldest library will reopen with a children's wing and 40 study desks."]
    assert "By Ana Petrović" not in document.text and "©" not in document.text  # bylines are not prose
    assert document.text.count("reading room for 40 students") == 1
    assert document.date == "2025-11-12"
