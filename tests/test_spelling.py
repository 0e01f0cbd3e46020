"""Typed slips and caps lock: a question word the index does not hold reads as the index's word one edit away;
a question in capitals throughout reads as one in lower case."""

from __future__ import annotations

from assistant.core import Assistant
from assistant.spelling import corrections, one_edit


def test_one_edit_covers_the_slips_of_typing():
    edits = one_edit("heroin")
    assert {"heoin", "hreoin", "herpin", "herroin"} <= edits  # a letter left out, swapped, changed, doubled
    assert "heroin" not in edits and "hero" not in edits


def test_an_unknown_stem_reads_as_its_most_frequent_neighbour_in_the_index():
    df = {"heroin": 5, "seiz": 3, "council": 2, "counsel": 2, "bridg": 4, "bride": 1}.get
    df0 = lambda token: df(token) or 0  # noqa: E731
    fixed = corrections(["heorin", "heroin", "councel", "^heorin", "~hrn", "siez", "brigd", "2o21x"], df0)
    assert fixed == {"heorin": "heroin", "brigd": "bridg"}
    # a known stem stays; "councel" is one edit from two stems as frequent; name prefixes, skeletons, short
    # stems and stems with digits are not read as typos


def test_a_slip_reads_as_a_word_of_the_questions_own_language():
    df = {"good": 40, "gorodk": 2}.get
    english = {"good": 40}.get
    russian = {"gorodk": 2}.get
    assert corrections(["gorod"], lambda t: df(t) or 0, lambda t: russian(t) or 0) == {"gorod": "gorodk"}
    assert corrections(["gorod"], lambda t: df(t) or 0, lambda t: english(t) or 0) == {"gorod": "good"}
    assert corrections(["gorod"], lambda t: df(t) or 0, lambda t: 0) == {}


def test_a_question_with_typos_is_read_as_the_one_without(seeded):
    assistant = Assistant(seeded)
    clean = assistant.parse("What did Victor Ivanov say about heroin production in Afghanistan?")
    typed = assistant.parse("What did Victor Ivanov say about heorin production in Afghanisatn?")
    assert typed.words == clean.words and typed.known == clean.known
    assert {"heroin", "afghanistan"} <= set(typed.tokens)
    a, b = assistant.ask(clean.text), assistant.ask(typed.text)
    assert a.found and b.found
    assert [(c.doc_id, c.start) for c in a.citations] == [(c.doc_id, c.start) for c in b.citations]


def test_a_question_typed_in_capitals_is_answered_as_typed_in_lower_case(seeded):
    assistant = Assistant(seeded)
    a = assistant.ask("Where was the G8 experts meeting held?")
    b = assistant.ask("WHERE WAS THE G8 EXPERTS MEETING HELD?")
    assert a.found and b.found
    assert [(c.doc_id, c.start) for c in a.citations] == [(c.doc_id, c.start) for c in b.citations]


def test_a_word_the_index_lacks_is_read_as_another_language_reads_it():
    from assistant.query import word_tokens
    from assistant.spelling import as_serbian, other_stems
    from assistant.text import keyword_tokens

    # The index holds the stem of the Serbian reports' "u Kraljevu", and Sarajevo's name prefix and skeleton.
    held = {keyword_tokens("Kraljevu", "sr")[0]: 4, "^saraje": 3, "~srjf": 3, "border": 5}
    df = lambda token: held.get(token, 0)  # noqa: E731
    english = other_stems(word_tokens("how far is kraljevo from the border", "en"), "en", df)
    assert english == {"kraljevo": keyword_tokens("Kraljevu", "sr")[0]}  # the Serbian stemmer's reading of the English question's word
    russian = other_stems(word_tokens("что было в Сараеве", "ru"), "ru", df)
    assert russian == {"^saraev": "^saraje", "~srf": "~srjf"}  # Сараеве, said "Сарајеве"
    assert as_serbian("Югославии") == "Југославии" and as_serbian("Мальта") == "Малта"
    # a word the index holds as it is is left alone, and so is one no reading finds
    assert other_stems(word_tokens("border unknownword", "en"), "en", df) == {}


def test_a_name_typed_in_another_script_reads_as_the_index_spells_it():
    from assistant.query import word_tokens
    from assistant.spelling import spelled_alike
    from assistant.text import skeleton

    held = {"pritchard": 2, "^pritch": 2, "gwen": 1, "given": 30, "ashworth": 1, "biskup": 3, "counsel": 40}
    df = lambda token: held.get(token, 0)  # noqa: E731
    alike = lambda bones: tuple(t for t in held if t.isalpha() and skeleton(t) == bones)  # noqa: E731
    # "pričard" and "gven" are what a Serbian or Russian writer makes of Pritchard and Gwen: no stemmer and
    # no single edit reaches them; the sound they spell does. Of Gwen and "given", the name.
    assert spelled_alike(word_tokens("ко је гвен причард", "sr"), "sr", df, alike) == {
        "gven": "gwen", "pricard": "pritchard", "^pricar": "^pritch"}
    assert "ashworth" in spelled_alike(word_tokens("что сказал мартин ешворт", "ru"), "ru", df, alike).values()
    # An everyday word is no name ("bioskopu" is not the index's "biskup"), a word the index holds stays, a
    # common word of the reports is nothing a name stands for, and a word nothing sounds like is left alone.
    assert spelled_alike(word_tokens("koliko kosta karta u bioskopu", "sr"), "sr", df, alike) == {}
    assert spelled_alike(word_tokens("what did gwen say", "en"), "en", df, alike) == {}
    assert spelled_alike(word_tokens("kaunsel", "sr"), "sr", df, alike) == {}
    assert spelled_alike(word_tokens("ко је зоран милић", "sr"), "sr", df, alike) == {}


def test_a_lower_case_name_in_another_script_finds_its_report(tmp_path):
    from assistant.config import Settings
    from assistant.ingest import ingest

    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "allotments.txt").write_text(
        "New allotments open in Brinford\n\n"
        "Brinford's first new allotment site in fifty years opened on Monday on a former council field. "
        "The site is run by the Brinford Allotment Society, whose chair, Gwen Pritchard, said a seed swap "
        "would be held in February. The council paid for the fencing and the water supply. "
        "Plots cost £48 a year, and the waiting list had 212 names on it.\n", "utf-8")
    (reports / "bridge.txt").write_text(
        "The old bridge in Elford will close for repairs in March. The council said the work would take "
        "six weeks and cost £1.2 million. Drivers will be sent through the town centre.\n", "utf-8")
    settings = Settings(home=tmp_path / "home")
    ingest(settings, [reports])
    assistant = Assistant(settings)
    for question in ("ко је гвен причард", "кто такая гвен причард"):
        answer = assistant.ask(question)
        assert answer.found, question
        assert "Gwen Pritchard" in answer.citations[0].text, (question, answer.answer)
