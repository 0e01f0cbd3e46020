"""Reading files: formats, encodings, cleaning, metadata, and bad input named with a reason."""

from __future__ import annotations

import zipfile

import pytest
from conftest import SEEDS, make_docx, make_pdf

from assistant.corpus import ReadError, clean, find_date, read_document
from assistant.readers import _html_fallback, decode
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


# Reports in the one-byte code pages of their languages. ISO-8859-2 and Windows-1250 differ only in
# 0x80-0xBF, where ISO-8859-2 has š ž ś ź ą ľ ť and their capitals: read as the other page (or as one of the
# ISO pages that differ from it in letters only) they come out as other letters or symbols.
REPORTS = {
    "sr": "Izveštaj o radu Uprave kriminalističke policije za 2019. godinu\n\n"
          "Tokom prošle godine pripadnici Službe za borbu protiv organizovanog kriminala zaplenili su više "
          "od četiri stotine kilograma marihuane i oko dvadeset kilograma kokaina. Najveća pojedinačna "
          "zaplena izvršena je u luci Bar, gde je u kontejneru sa bananama pronađeno četrnaest kilograma "
          "kokaina.\n\n"
          "Načelnik uprave Đorđe Živković izjavio je da je saradnja sa susednim državama značajno "
          "poboljšana, naročito sa policijom Hrvatske i Crne Gore. Razmena podataka o kuririma odvija se "
          "svakodnevno, a zajednički timovi rade na praćenju novčanih tokova.\n\n"
          "U narednom periodu očekuje se jačanje kapaciteta za finansijske istrage. Ministarstvo će "
          "obezbediti obuku za sto pedeset inspektora, a deo sredstava obezbeđen je iz fondova Evropske "
          "unije. Građani koji imaju saznanja o preprodaji droge mogu se obratiti na besplatan telefon.\n",
    "pl": "Sprawozdanie z działalności Centralnego Biura Śledczego Policji\n\n"
          "W ubiegłym roku funkcjonariusze zabezpieczyli ponad dwie tony narkotyków, w tym znaczne ilości "
          "kokainy, amfetaminy i marihuany. Największą pojedynczą akcję przeprowadzono w porcie w Gdańsku, "
          "gdzie w kontenerze z owocami znaleziono czterysta kilogramów kokainy.\n\n"
          "Zastępca komendanta podkreślił, że współpraca z policją niemiecką i litewską układa się bardzo "
          "dobrze. Wspólne zespoły śledcze zatrzymały łącznie czterdziestu sześciu podejrzanych, a sąd "
          "zastosował wobec większości z nich areszt tymczasowy.\n\n"
          "Źródła finansowania grup przestępczych są coraz częściej ukrywane w kryptowalutach. Dlatego w "
          "przyszłym roku szkolenia z zakresu analizy transakcji przejdzie ponad stu pięćdziesięciu "
          "policjantów. Żaden z zatrzymanych nie przyznał się do winy.\n",
    "cs": "Výroční zpráva Národní protidrogové centrály\n\n"
          "V loňském roce policisté zajistili více než tři sta kilogramů pervitinu a přes dvě stě kilogramů "
          "marihuany. Největší záchyt kokainu se podařil na letišti v Praze, kde celníci u dvou cestujících z "
          "Brazílie našli celkem čtrnáct kilogramů drogy ukryté v kufrech.\n\n"
          "Ředitel centrály uvedl, že spolupráce se slovenskými a německými kolegy je velmi úzká. Společné "
          "vyšetřovací týmy rozkryly síť dealerů, která působila v několika krajích.\n\n"
          "Příští rok se policie zaměří na obchod s drogami přes internet. Žádný z obviněných se k činu "
          "nepřiznal.\n",
    "sk": "Slovenská polícia minulý rok zaistila viac ako dvesto kilogramov pervitínu. Riaditeľ uviedol, že "
          "spolupráca s českými kolegami je veľmi dobrá.\n\n"
          "Ťažké zločiny klesli a ľudia sa cítia bezpečnejšie. Vyšetrovanie sietí dílerov pokračuje a súd už "
          "vyniesol prvé rozsudky.\n",
    "hu": "Jelentés a Nemzeti Nyomozó Iroda kábítószer-ellenes tevékenységéről\n\n"
          "A múlt évben a rendőrök több mint háromszáz kilogramm kábítószert foglaltak le, köztük jelentős "
          "mennyiségű kokaint és amfetamint. A legnagyobb fogás a záhonyi határátkelőn történt, ahol egy "
          "kamion rakterében százhúsz kilogramm marihuánát találtak.\n\n"
          "Az iroda vezetője elmondta, hogy az együttműködés a szerb és az osztrák rendőrséggel kifejezetten "
          "jó. Győr és Szőny térségében új ellenőrzőpontokat állítanak fel.\n",
    "ru": "Отчёт о деятельности управления по контролю за оборотом наркотиков\n\n"
          "В прошлом году сотрудники управления изъяли из незаконного оборота более трёхсот килограммов "
          "наркотических средств, в том числе сорок два килограмма героина. Крупнейшая партия была "
          "обнаружена в морском порту Новороссийска.\n\n"
          "Начальник управления сообщил, что взаимодействие с коллегами из соседних государств значительно "
          "улучшилось. Объём финансирования программы увеличен на четверть.\n",
    "fr": "Rapport annuel de l'Office anti-stupéfiants\n\n"
          "L'année dernière, les enquêteurs ont saisi plus de trois cents kilogrammes de cocaïne et près "
          "d'une tonne de résine de cannabis. La plus importante saisie a été réalisée au port du Havre, où "
          "une équipe de douaniers a découvert cent douze kilogrammes de cocaïne dissimulés.\n\n"
          "Le directeur a souligné que la coopération avec les polices espagnole et belge s'était nettement "
          "améliorée, grâce à l'aide de l'Union européenne.\n",
    "de": "Jahresbericht des Landeskriminalamts über die Rauschgiftkriminalität\n\n"
          "Im vergangenen Jahr stellten die Ermittler mehr als dreihundert Kilogramm Kokain und knapp eine "
          "Tonne Marihuana sicher. Der größte Einzelfund gelang im Hamburger Hafen, wo Zollbeamte in einem "
          "Container mit Bananen hundertzwölf Kilogramm Kokain entdeckten.\n\n"
          "Der Präsident betonte, dass die Zusammenarbeit mit den niederländischen und österreichischen "
          "Behörden deutlich verbessert worden sei.\n",
    "tr": "Türk polisi geçen yıl İstanbul limanında iki tondan fazla kokain ele geçirdi. Müdür, komşu "
          "ülkelerle işbirliğinin çok iyi olduğunu söyledi. Soruşturma devam ediyor ve şüpheliler tutuklandı.\n",
}
# A sentence or two, where a code page is hardest to tell: few letters beyond ASCII to judge by.
SENTENCES = {
    "sr": "Načelnik Đorđe Živković izjavio je da je zaplenjeno četrnaest kilograma kokaina u luci Bar. "
          "Građani mogu prijaviti preprodaju droge.",
    "pl": "Żaden z zatrzymanych nie przyznał się do winy. Źródła finansowania grup przestępczych są ukrywane.",
    "cs": "Ředitel centrály uvedl, že spolupráce se slovenskými kolegy je úzká. Žádný z obviněných se k činu "
          "nepřiznal.",
    "sk": "Riaditeľ uviedol, že spolupráca s českými kolegami je veľmi dobrá.",
    "hu": "A legnagyobb fogás a záhonyi határátkelőn történt, ahol százhúsz kilogramm marihuánát találtak.",
    "ru": "Крупнейшая партия героина была обнаружена в морском порту Новороссийска.",
    "fr": "La plus importante saisie a été réalisée au port du Havre, grâce à l'équipe de douaniers.",
    "de": "Der größte Einzelfund gelang im Hamburger Hafen, wo Zollbeamte Kokain entdeckten.",
    # Letters either way in Windows-1250 too ("seńor", "ministčre", "oů"): only how common a page is decides.
    "es": "El señor Muñoz habló con la policía española sobre la cocaína hallada en el puerto.",
    "it": "Il perché del successo è più chiaro: la città ha più controlli.",
    "pt": "O ministério da saúde não comentou a operação; a ação continua.",
    "fr2": "Élève, garçon, où est la cocaïne saisie par le ministère?",
}
CODE_PAGES = [("sr", "iso-8859-2"), ("pl", "iso-8859-2"), ("cs", "iso-8859-2"), ("sk", "iso-8859-2"),
              ("hu", "iso-8859-2"), ("sr", "cp1250"), ("pl", "cp1250"), ("cs", "cp1250"), ("hu", "cp1250"),
              ("ru", "cp1251"), ("ru", "koi8-r"), ("fr", "latin-1"), ("de", "latin-1"), ("fr", "cp1252"),
              ("es", "latin-1"), ("it", "latin-1"), ("pt", "cp1252"), ("fr2", "latin-1"),
              ("tr", "cp1254"), ("pl", "utf-16"), ("sr", "utf-16-le")]


@pytest.mark.parametrize("text, encoding", [
    pytest.param(texts[language], encoding, id=f"{language}-{encoding}-{kind}")
    for kind, texts in (("report", REPORTS), ("sentence", SENTENCES))
    for language, encoding in CODE_PAGES if language in texts])
def test_a_code_page_is_read_as_that_code_page(text, encoding):
    assert decode(text.encode(encoding), "report.txt") == text


# Every byte the two code pages read differently is a small letter in both (ISO-8859-2 š ž are Windows-1250 ą ľ:
# "Izveątaj je zavrąen, moľe"; Windows-1254 ş ı are Windows-1250 ţ ý), and a sentence is too short for letter
# frequencies: only that no language writes both ą and č, or ţ and ü, tells them apart.
@pytest.mark.parametrize("text, encoding", [("Izveštaj je završen, može se čitati.", "iso-8859-2"),
                                            ("Soruşturma devam ediyor ve şüpheliler tutuklandı.", "cp1254")])
def test_a_sentence_whose_code_pages_differ_only_in_small_letters(text, encoding):
    assert decode(text.encode(encoding), "report.txt") == text


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


def test_titles_are_never_a_bare_delimiter_line():
    from assistant.corpus import make_title

    assert make_title("---\ntitle: x\n---", None, "only-front-matter.md") == "x"  # had been "---"
    assert make_title('---\ntitle: "Report: one"\ndate: 2020\n---\n\nBody text. More.', None) == "Report: one"
    assert make_title("---\nauthor: y\n---", None, "notes.md") == "notes.md"  # nothing else to name it by
    assert make_title("---\nauthor: y\n---\n\nThe council met in May. It agreed.", None) == \
        "The council met in May."
    assert make_title("***\n\n-----\nAnnual report\n\nText.", None) == "Annual report"  # a rule is no title


def test_a_word_tables_rows_stay_where_they_are_in_the_document(tmp_path):
    # A table read after every paragraph had its figures moved past the next section: an answer quoting a
    # row then sat under the wrong heading, and its sentence neighbours were another section's.
    import docx

    d = docx.Document()
    d.add_heading("Seizures in Pančevo", level=1)
    d.add_paragraph("The customs office listed what it seized in 2023.")
    table = d.add_table(rows=2, cols=3)
    for row, cells in zip(table.rows, [("Drug", "Amount", "Place"), ("Amphetamine", "31 kg", "Pančevo")], strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    merged = d.add_table(rows=1, cols=3)
    merged.rows[0].cells[0].merge(merged.rows[0].cells[2]).text = "Total: 31 kg"
    d.add_heading("Prevention", level=1)
    d.add_paragraph("Schools ran workshops for parents.")
    d.save(str(tmp_path / "r.docx"))
    text = read(tmp_path / "r.docx").text
    assert text.index("listed what it seized") < text.index("Amphetamine | 31 kg | Pančevo") < text.index("Prevention")
    assert "Total: 31 kg" in text and "Total: 31 kg | Total" not in text  # a merged cell once



def test_a_binary_file_whose_nul_bytes_are_spaced_like_utf16_is_called_binary(tmp_path):
    # It had been "looks like UTF-16 but does not decode: illegal encoding", which a person cannot act on.
    (tmp_path / "binary.txt").write_bytes((b"A\x00" * 500 + b"\x00\xd8A\x00") * 4)  # a lone surrogate
    with pytest.raises(ReadError, match="is binary .*not UTF-16 text"):
        read(tmp_path / "binary.txt")


def test_a_linked_folder_is_read_like_a_linked_file_and_a_loop_of_links_ends(tmp_path):
    from assistant.corpus import find_files

    elsewhere, top = tmp_path / "elsewhere", tmp_path / "top"
    (elsewhere / "deep").mkdir(parents=True)
    (elsewhere / "deep" / "report.txt").write_text("The plant opened in 2023.\n", "utf-8")
    (top / "inner").mkdir(parents=True)
    (top / "own.txt").write_text("The council met.\n", "utf-8")
    (top / "inner" / "docs").symlink_to(elsewhere, target_is_directory=True)
    (top / "inner" / "again").symlink_to(elsewhere, target_is_directory=True)  # the same folder by two links
    (elsewhere / "deep" / "up").symlink_to(tmp_path, target_is_directory=True)  # a loop back above both
    (tmp_path / "beside.txt").write_text("Not under the folder given.\n", "utf-8")
    found, problems = find_files([top])
    names = sorted(str(c.path.relative_to(top)) for c in found)
    assert names == ["inner/again/deep/report.txt", "own.txt"] and problems == []
