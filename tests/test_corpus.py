"""Reading files: formats, encodings, cleaning, metadata, and bad input named with a reason."""

from __future__ import annotations

import zipfile

import pytest
from conftest import SEEDS, make_docx, make_pdf

from assistant.corpus import ReadError, clean, find_date, read_document
from assistant.readers import _html_fallback
from assistant.text import is_heading, sentence_spans

MB = 1024 * 1024
CYRILLIC = "Републику Србију представљао је в. д. директора Канцеларије за борбу против дрога Милан Пекић."


def read(path, limit=20 * MB):
    return read_document(path, path.stem, limit)


@pytest.mark.parametrize(
    "name, language, script, date",
    [
        ("000_7e6134a7318589bf", "sr", "Cyrillic", None),
        ("001_23abd807676cf300", "en", "Latin", "2021-10-19"),
        ("002_c41756f9194e43e0", "en", "Latin", "2021-01-01"),
        ("003_9be4eadb76ad7108", "sr", "Cyrillic", "2016-05-25"),
        ("004_08540dc4f1130570", "en", "Latin", None),
    ],
)
def test_seed_metadata(name, language, script, date):
    doc = read(SEEDS / f"{name}.txt")
    assert (doc.language, doc.script, doc.date) == (language, script, date)
    assert doc.doc_id == name and len(doc.content_hash) == 64 and doc.title


def test_cleaning_drops_navigation_and_placeholders_but_keeps_report_text():
    nav = read(SEEDS / "004_08540dc4f1130570.txt").text
    assert "Главная страница" not in nav and "версия для печати" not in nav
    assert nav.startswith("G8 experts discussed the issues of police cooperation")
    assert "First experts meeting on the topic of Reducing the Drug Supply" in nav
    pictures = read(SEEDS / "003_9be4eadb76ad7108.txt").text
    assert "Picture11a" not in pictures and "Picture111a" not in pictures
    assert pictures.rstrip().endswith("у региону.")


def test_dates_in_three_languages():
    assert find_date("took place from 19-21 October 2021, attended") == "2021-10-19"
    assert find_date("У Сарајеву је од 25 – 26. маја 2016. године") == "2016-05-25"
    assert find_date(" date 2021-01-01 Today") == "2021-01-01"
    assert find_date("Встреча состоялась 3 марта 2015 года") == "2015-03-03"
    assert find_date("on February 25th, under the presidency") is None


@pytest.mark.parametrize("encoding", ["cp1251", "utf-16", "utf-16-le", "utf-8-sig"])
def test_text_encodings_decode_to_cyrillic(tmp_path, encoding):
    path = tmp_path / f"report-{encoding}.txt"
    path.write_bytes(CYRILLIC.encode(encoding))
    doc = read(path)
    assert doc.text == CYRILLIC
    assert (doc.language, doc.script) == ("sr", "Cyrillic")


LATIN_SR = ("Izveštaj o vodovodu u Nišu: direktor Milan Jović rekao je da će nova cev od 12 kilometara biti "
            "završena do jeseni, a građani će dobiti čistiju vodu.")


def test_utf8_with_a_few_stray_bytes_is_read_as_utf8_and_a_code_page_as_its_code_page(tmp_path):
    good = LATIN_SR.encode("utf-8")
    stray = tmp_path / "stray.txt"
    cut = good.index(b"direktor ") + len(b"direktor ")
    stray.write_bytes(good[:cut] + b"\xff\xfe\x80" + good[cut:] + b"\xc3")  # invalid bytes inside and at the end
    text = read(stray).text
    assert "Izveštaj" in text and "Milan Jović" in text and "građani" in text
    assert "Ĺ" not in text and "Ä‡" not in text  # not read as Windows-1250
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes(LATIN_SR.encode("cp1250"))
    assert read(legacy).text == LATIN_SR


def test_html_gives_main_text_not_markup_or_scripts(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Workshop report</title><script>window.PWNED=1</script>"
        "<style>p{color:red}</style></head><body><nav>Home | About | Contact</nav>"
        "<article><h1>Workshop report</h1><p>The regional workshop on drug-related cybercrime was held in "
        "Sarajevo on 25 May 2016. Experts from six EU member states shared their experience.</p>"
        "<p>Albania's cyber security policy document awaits government approval.</p></article></body></html>",
        "utf-8",
    )
    doc = read(path)
    assert "Sarajevo on 25 May 2016" in doc.text and "awaits government approval" in doc.text
    assert "PWNED" not in doc.text and "<p>" not in doc.text and "color:red" not in doc.text
    assert doc.title == "Workshop report" and doc.date == "2016-05-25"


def test_html_headings_and_lists_stay_apart_from_the_sentences_after_them(tmp_path):
    # The main-text extractor gives a block a line; joined by single line breaks, a heading ran into the
    # sentence after it ("Financing The money comes…") and a list into the paragraph after it. The same when
    # the fallback reads the markup of a page too small for the extractor.
    article = ("<html><body><article><h1>Report on trams</h1><p>Niš, 3 March 2025. The city ordered 12 trams "
               "from Škoda for 40 million euros, the mayor said on Monday in a statement to the press.</p>"
               "<h2>Financing</h2><p>The money comes from a loan by the EBRD and from the city budget, which "
               "covers one third of the price.</p><ul><li>Three trams arrive in 2026</li><li>Nine trams arrive "
               "in 2027</li></ul><p>The depot is to be rebuilt first, at a cost the city has not yet published, "
               "the transport office said.</p></article></body></html>")
    path = tmp_path / "article.html"
    path.write_text(article, "utf-8")
    text = read(path).text
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    # Headings are marked as Markdown headings (by level), so that they are never quoted alone (is_heading).
    for sentence in ("# Report on trams", "Niš, 3 March 2025.", "## Financing", "- Three trams arrive in 2026",
                     "- Nine trams arrive in 2027"):
        assert sentence in sentences, sentences
    assert [s for s in sentences if is_heading(s)] == ["# Report on trams", "## Financing"]

    text = clean(_html_fallback("<div><h2 class='x'>\n  Financing <b>plan</b>\n</h2><p>A loan.</p><ul><li>One</li>"
                                "<li>Two</li></ul><h3> </h3><p>Paid<br>in full.</p><h1>Left open"))
    assert [text[s:e] for s, e in sentence_spans(text)] == ["## Financing plan", "A loan.", "- One", "- Two",
                                                           "Paid\nin full.", "Left open"]


def test_word_headings_and_lists_are_marked_as_in_markdown(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("Flood report", 0)
    d.add_heading("Measures", 2)
    d.add_paragraph("Roads along the river were closed.")
    d.add_heading("", 1)  # an empty heading paragraph stays empty
    d.add_paragraph("Shelters opened.", style="List Bullet")  # Word draws the bullet: the text has none
    d.add_paragraph("Buses ran free.", style="List Bullet")
    d.save(str(tmp_path / "r.docx"))
    text = read(tmp_path / "r.docx").text
    assert [text[s:e] for s, e in sentence_spans(text)] == ["# Flood report", "## Measures",
                                                           "Roads along the river were closed.",
                                                           "- Shelters opened.", "- Buses ran free."]
    assert "- Shelters opened.\n- Buses ran free." in text  # one list: its items together


def test_pdf_and_docx(tmp_path):
    pdf = read(make_pdf(tmp_path / "r.pdf", ["The council met in Moscow on 15 May 2014.", "Heroin seizures rose."]))
    assert "The council met in Moscow on 15 May 2014." in pdf.text and pdf.date == "2014-05-15"
    docx = read(make_docx(tmp_path / "r.docx", ["Первый абзац о наркотиках.", "Второй абзац."], title="Отчёт"))
    assert "Первый абзац о наркотиках." in docx.text and docx.title == "Отчёт" and docx.language == "ru"


def test_markdown_title(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Field notes\n\nThe meeting was held in Belgrade.\n", "utf-8")
    doc = read(path)
    assert doc.title == "Field notes" and "held in Belgrade" in doc.text


def _bomb(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", "<w:document>" + "A" * (120 * MB) + "</w:document>")
    return path


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda d: _write(d / "empty.txt", b""), "is empty"),
        (lambda d: _write(d / "binary.txt", bytes(range(256)) * 40), "binary"),
        (lambda d: _write(d / "broken.pdf", b"%PDF-1.4\nthis is not really a pdf"), "not a readable PDF"),
        (lambda d: _write(d / "fake.docx", b"plain text pretending"), "not a zip archive"),
        (lambda d: _bomb(d / "bomb.docx"), "zip bomb"),
        (lambda d: _write(d / "sheet.xlsx", b"PK\x03\x04"), "not supported"),
        (lambda d: _write(d / "big.txt", b"word " * (21 * MB // 5)), "over the 20 MB limit"),
        (lambda d: _write(d / "blank.txt", b"   \n\n\t  \n"), "no text"),
    ],
)
def test_bad_input_raises_a_reason(tmp_path, make, reason):
    path = make(tmp_path)
    with pytest.raises(ReadError, match=reason):
        read(path)


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_clean_keeps_paragraphs_and_removes_controls():
    assert clean("First para.\r\n\r\n\r\n\x07Second\x00 para.") == "First para.\n\nSecond para."


def test_titles_are_headings_or_first_sentences_never_datelines():
    from assistant.corpus import make_title

    assert make_title("date 2021-01-01 Today, the council met in Moscow. It agreed.", None) == \
        "Today, the council met in Moscow."
    assert make_title("Moscow, 12 May 2014 – Experts met on police cooperation.\n\nMore.", None) == \
        "Experts met on police cooperation."
    assert make_title("Дата: 12.05.2014\nСостоялось заседание совета по наркотикам. Далее.", None) == \
        "Состоялось заседание совета по наркотикам."
    assert make_title("Intro line that is long enough to be a sentence.\n\n# Annual report\n\nText.", None) == \
        "Annual report"
    assert make_title("In Sarajevo, the workshop met for two days. Then more.", None) == \
        "In Sarajevo, the workshop met for two days."
    assert make_title("date 2021-01-01 x", "Report of the council") == "Report of the council"
