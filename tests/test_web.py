"""The web app, served for real on loopback and driven with Debian's Chromium through Playwright."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import ARTIFACTS, SEEDS

from assistant.config import Settings
from assistant.core import Assistant
from assistant.llm import LLMError
from assistant.types import Answer, AnswerSentence, Citation
from assistant.web import (
    STOPPED,
    Session,
    Turn,
    build_app,
    chat_text,
    place_upload,
    render_answer,
    serve,
    stopped,
)

CHROMIUM = Path("/usr/bin/chromium")
# Read at import: conftest's autouse fixture clears ASSISTANT_* variables before each test runs.
SCREENSHOT = os.environ.get("ASSISTANT_SCREENSHOT")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PAYLOAD = ('<script>window.PWNED=1</script> <img src=x onerror="window.PWNED=1"> '
           '[x](javascript:window.PWNED=1)')
PAYLOAD_REPORT = (
    "Belgrade police reported record heroin seizures in March 2023 " + PAYLOAD + " at the city's bus station.\n\n"
    "The seized heroin had come along the Balkan route from Turkey and Bulgaria, the Belgrade prosecutor said.\n"
)
GOOD_REPORT = ("Police in Novi Sad discovered a cannabis plantation with four thousand plants in August 2022.\n\n"
               "The plantation was hidden in greenhouses on the outskirts of the city.\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(app) -> str:
    """Serve app on a free loopback port in a background thread; return its URL."""
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False)
    return f"http://127.0.0.1:{port}/"


# --- fast tests of the rendering and upload helpers ---------------------------------------------------


def test_chat_text_leaves_no_markup():
    shown = chat_text(PAYLOAD)
    assert not set("<>[]()\"'") & set(shown)
    assert html.unescape(shown) == PAYLOAD


def test_render_answer_links_markers_and_marks_weak_sentences():
    cite = Citation(1, "d", "/x/d.txt", "T", "en", "Strong.", 0, 7, 0.9)
    weak_cite = Citation(2, "d", "/x/d.txt", "T", "en", "Weak.", 8, 13, 0.4)
    answer = Answer("q", "Strong. [1] Weak <b>. [2] [9]", True, (cite, weak_cite),
                    (AnswerSentence("Strong. [1]", (1,), 1.0), AnswerSentence("Weak <b>. [2] [9]", (2,), 0.3)))
    out = render_answer(answer, 3)
    assert out.count('class="cite"') == 2 and 'href="#cite-3-1"' in out and 'href="#cite-3-2"' in out
    assert out.count('class="weak"') == 1 and out.index('class="weak"') > out.index("#cite-3-1")
    assert "<b>" not in out and "&#91;9&#93;" in out  # [9] cites nothing: shown as text, not a link


def test_example_questions_are_offered_only_about_indexed_reports():
    from assistant.web import EXAMPLES, examples_shown

    seeds = {doc for _question, docs in EXAMPLES for doc in docs}
    assert examples_shown(seeds) == [True] * len(EXAMPLES)
    dpnsee = [question == "What did DPNSEE say?" for question, _docs in EXAMPLES]
    assert examples_shown({"001_23abd807676cf300", "my_report"}) == dpnsee  # either twin answers it
    assert examples_shown({"my_report"}) == [False] * len(EXAMPLES)


def test_place_upload_keeps_names_and_a_new_version_takes_the_earlier_ones_place(tmp_path):
    folder, up = tmp_path / "seeds", tmp_path / "up"
    folder.mkdir()
    up.mkdir()
    (folder / "r.txt").write_text("old")
    (up / "r.txt").write_text("old")
    assert place_upload(up / "r.txt", folder) == (folder / "r.txt", False, False)
    (up / "r.txt").write_text("new")
    # a new version takes the file's place; the earlier one is kept aside until the new one is indexed
    assert place_upload(up / "r.txt", folder) == (folder / "r.txt", True, True)
    assert (folder / "r.txt").read_text() == "new" and (folder / ".r.txt.previous").read_text() == "old"
    assert place_upload(up / "r.txt", folder) == (folder / "r.txt", False, False)
    (folder / "d.txt").mkdir()  # a folder of that name is never replaced
    assert place_upload(up / "r.txt", folder, "d.txt") == (folder / "d-1.txt", True, False)


def test_upload_names_are_kept_as_given_and_safe_on_disk(tmp_path):
    from assistant.library import NAME_BYTES, safe_name

    assert safe_name('it\'s "quoted" & <b>bold<b>.md') == 'it\'s "quoted" & <b>bold<b>.md'
    assert safe_name("../../etc/passwd") == "passwd" and safe_name("C:\\Users\\me\\r.txt") == "r.txt"
    assert safe_name(".hidden.txt") == "hidden.txt" and safe_name("..") == safe_name("") == "upload"
    assert safe_name("a\x00b\nc\x7f.txt") == "abc.txt"
    long = safe_name("Отчёт " * 100 + ".pdf")
    assert long.endswith(".pdf") and len(long.encode()) <= NAME_BYTES
    up = tmp_path / "up"
    up.write_text("x")
    assert place_upload(up, tmp_path / "library", 'a "b".txt') == (tmp_path / "library" / 'a "b".txt', True, False)


# --- the served app ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_app(seeded, tmp_path_factory):
    """The app over the shared seeded index (read-only), with a copy of seeds/ as its upload folder."""
    seeds = tmp_path_factory.mktemp("seeds-copy") / "seeds"
    shutil.copytree(SEEDS, seeds)
    assistant = Assistant(Settings(home=seeded.home, seeds=seeds))
    app = build_app(assistant)
    yield launch(app), assistant
    app.close()


@pytest.fixture
def fresh_app(tmp_path):
    """Start serve() on a new data dir whose seeds folder holds the given files; yield its URL."""
    apps = []

    def start(files: dict[str, str], **options) -> tuple[str, Settings]:
        seeds = tmp_path / "seeds"
        seeds.mkdir()
        for name, text in files.items():
            (seeds / name).write_text(text, encoding="utf-8")
        settings = Settings(home=tmp_path / "home", seeds=seeds, **options)
        port = free_port()
        apps.append(serve(settings, port=port, ingest_first=True, block=False))
        return f"http://127.0.0.1:{port}/", settings

    yield start
    for app in apps:
        app.close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: run `make browser`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh tab that refuses, and records, any request leaving loopback."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    outside: list[str] = []

    def guard(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    yield page
    page.close()
    assert not outside, f"the page tried to reach remote hosts: {outside}"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def open_app(page, url: str) -> None:
    page.goto(url, wait_until="load")
    page.wait_for_selector("#question textarea")
    page.wait_for_selector("#sources h4", state="attached")  # the sources panel (and its click handler) is mounted


def ask(page, question: str, replies: int):
    """Ask in the page; return the locator of the answer once the reply count reaches `replies`."""
    page.fill("#question textarea", question)
    page.click("#send")
    # Send is disabled while an answer streams and comes back when it is whole.
    page.wait_for_function("""n => document.querySelectorAll("#chat [data-testid='bot']").length >= n
        && !document.querySelector('#send').disabled""", arg=replies, timeout=60000)
    return page.locator("#chat [data-testid='bot']").nth(replies - 1)


@pytest.mark.browser
def test_answer_cites_and_opens_highlighted_source(seeded_app, page):
    url, _ = seeded_app
    open_app(page, url)
    assert "extractive" in page.inner_text("#header")
    answer = ask(page, "what did DPNSEE say?", 1)
    page.wait_for_selector("#sources a.cite")
    assert "DPNSEE" in answer.inner_text() and "[1]" in answer.inner_text()
    answer.locator("a.cite", has_text="[1]").click()
    mark = page.locator("#document mark")
    mark.wait_for()
    assert "DPNSEE" in mark.inner_text()
    assert mark.evaluate("""m => { const r = m.getBoundingClientRect(), c = m.closest('.doc-text')
        .getBoundingClientRect(); return r.bottom > c.top && r.top < c.bottom; }""")  # scrolled into view
    sources = page.inner_text("#sources")
    assert "001_23abd807676cf300.txt" in sources and "2021-10-19" in sources and "English" in sources
    assert "Мрежа за политике према дрогама" in page.inner_text("#document .twin")  # the Serbian twin
    # `make screenshot` points this at docs/screenshot.png (the README's); a plain test run leaves it alone.
    # Taken first: a full-page capture resizes the page, which redraws the document box at its top.
    target = Path(SCREENSHOT or ARTIFACTS / "screenshot.png")
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000
    shot(page, "answer-with-source")


@pytest.mark.browser
def test_follow_up_uses_the_conversation(seeded_app, page):
    url, _ = seeded_app
    open_app(page, url)
    ask(page, "what did DPNSEE say?", 1)
    follow = ask(page, "When was it held?", 2)
    text = follow.inner_text()
    assert "October" in text or "2021" in text
    follow.locator("a.cite").first.click()
    page.locator("#document mark").wait_for()
    assert any(d in page.inner_text("#document") for d in ("001_23abd807676cf300", "000_7e6134a7318589bf"))
    shot(page, "follow-up")
    page.click("#new-conversation")
    page.wait_for_function("() => !document.querySelector(\"#chat [data-testid='bot']\")")
    assert "appear here" in page.inner_text("#sources")
    again = ask(page, "When was it held?", 1)  # the same words without the conversation
    assert again.inner_text() != text


@pytest.mark.browser
def test_example_questions_and_document_filter(seeded_app, page):
    url, _ = seeded_app
    open_app(page, url)
    assert page.locator(".example:visible").count() == 3
    page.get_by_role("button", name="Колико држава чланица ЕУ је послало стручњаке на радионицу у Сарајеву?").click()
    page.wait_for_function("""() => document.querySelector("#chat [data-testid='bot'] a.cite")
        && !document.querySelector('#send').disabled""", timeout=60000)
    assert "003_9be4eadb76ad7108.txt" in page.inner_text("#sources")
    assert "шест држава" in page.locator("#chat [data-testid='bot']").last.inner_text()  # the answer, not the lead
    page.click("#new-conversation")
    page.click("#documents input")
    page.get_by_role("option", name="002_c41756f9194e43e0").click()
    page.keyboard.press("Escape")
    # Unfiltered, Victor Ivanov's words come from report 004; limited to report 002 there are none.
    answer = ask(page, "What did Victor Ivanov say?", 1)
    assert "cannot find" in answer.inner_text() and "004_" not in page.inner_text("#sources")


class StubAnswerer:
    """Stands in for an LLM: cites the top passage, and adds a sentence its sources do not support."""

    name = "stub-llm"

    def answer(self, question, passages, messages, language):
        p = passages[0]
        cite = Citation(1, p.doc_id, p.source, p.title, p.language, p.text, p.start, p.end, p.score, p.date)
        sentences = (AnswerSentence("The report names DPNSEE. [1]", (1,), 0.9),
                     AnswerSentence("It <b>also</b> praised the weather. [1]", (1,), 0.2, flagged=True))
        return Answer(question, " ".join(s.text for s in sentences), True, (cite,), sentences, answerer=self.name)


@pytest.mark.browser
def test_llm_answer_shows_its_name_and_marks_weak_sentences(seeded, page):
    app = build_app(Assistant(Settings(home=seeded.home, seeds=SEEDS), answerer=StubAnswerer()))
    try:
        open_app(page, launch(app))
        assert "stub-llm" in page.inner_text("#header")
        answer = ask(page, "what did DPNSEE say?", 1)
        weak = answer.locator(".weak")
        assert weak.count() == 1 and weak.inner_text().startswith("It <b>also</b> praised the weather.")
        assert "The report names DPNSEE." not in weak.inner_text()
        answer.locator("a.cite").first.click()
        page.locator("#document mark").wait_for()
        assert "weak support" in page.inner_text("#document") and "weak support" in page.inner_text("#sources")
        shot(page, "weak-support")
    finally:
        app.close()


class BrokenServerAnswerer(StubAnswerer):
    """Stands in for an LLM whose server stops after the first words of its answer."""

    name = "broken-llm"

    def stream(self, question, passages, messages, language):
        yield Answer(question, "The report", True, answerer=self.name, partial=True)
        raise LLMError("could not get an answer from the LLM at http://127.0.0.1:1/v1: peer closed connection "
                       "(is the server running, and are ASSISTANT_LLM_BASE_URL and ASSISTANT_LLM_MODEL right?)")


def _asked_with(answerer, seeded, page, question: str = "what did DPNSEE say?"):
    """Return the app answering with answerer, opened in page, question sent (the caller closes it)."""
    app = build_app(Assistant(Settings(home=seeded.home, seeds=SEEDS), answerer=answerer))
    open_app(page, launch(app))
    page.fill("#question textarea", question)
    page.click("#send")
    return app


@pytest.mark.browser
def test_an_llm_server_that_fails_mid_answer_says_so_and_gives_send_back(seeded, page):
    app = _asked_with(BrokenServerAnswerer(), seeded, page)
    try:
        page.locator("#chat", has_text="could not get an answer from the LLM").wait_for(timeout=60000)
        page.wait_for_function("() => !document.querySelector('#send').disabled", timeout=10000)
        assert page.locator("#stop").is_disabled()
        assert "peer closed connection" in page.inner_text("#chat")
        # the question is still there to send again once the server is back
        assert page.input_value("#question textarea") == "what did DPNSEE say?"
    finally:
        app.close()


def test_a_stopped_partial_answer_is_marked_once_and_left_out_of_the_history():
    done = Turn("first?", Answer("first?", "Checked. [1]", True))
    partial = Turn("second?", Answer("second?", "Half of it", True, partial=True), note="Only x was searched.")
    session = stopped(stopped(Session((done, partial))))
    assert session.turns[-1].note == f"Only x was searched. {STOPPED}"
    assert [m.content for m in session.history()] == ["first?", "Checked. [1]"]
    assert stopped(Session((done,))) == Session((done,))  # a whole answer is not marked


class SlowAnswerer(StubAnswerer):
    """Stands in for an LLM that writes its answer slowly: what it has written is not checked yet."""

    name = "slow-llm"

    def __init__(self):
        self.released = threading.Event()  # set when the test is over: the stream then ends, not 60 s later

    def stream(self, question, passages, messages, language):
        yield Answer(question, "The report names DPNSEE", True, answerer=self.name, partial=True)
        self.released.wait(60)
        yield self.answer(question, passages, messages, language)


@pytest.mark.browser
def test_an_answer_stopped_while_written_is_marked_unchecked_and_kept_out_of_follow_ups(seeded, page):
    slow = SlowAnswerer()
    app = _asked_with(slow, seeded, page)
    try:
        page.locator("#chat", has_text="The report names DPNSEE").wait_for(timeout=60000)
        page.click("#stop")
        page.locator("#chat", has_text="were not checked against their sources").wait_for(timeout=20000)
        page.wait_for_function("() => !document.querySelector('#send').disabled", timeout=10000)
        page.reload(wait_until="load")  # the saved copy keeps the mark
        page.locator("#chat", has_text="were not checked against their sources").wait_for(timeout=30000)
    finally:
        slow.released.set()
        app.close()


@pytest.mark.browser
def test_script_payloads_show_as_text_and_never_run(fresh_app, page):
    url, _ = fresh_app({"payload.txt": PAYLOAD_REPORT})
    open_app(page, url)
    assert page.locator(".example:visible").count() == 0  # the seed examples would only be refused here
    answer = ask(page, "What heroin seizures did Belgrade police report?", 1)
    assert "<script>window.PWNED=1</script>" in answer.inner_text()
    assert "[x](javascript:window.PWNED=1)" in answer.inner_text()
    answer.locator("a.cite").first.click()
    page.locator("#document mark").wait_for()
    shown = page.inner_text("#document")
    assert all(p in shown for p in ("<script>window.PWNED=1</script>", 'onerror="window.PWNED=1"',
                                    "[x](javascript:window.PWNED=1)"))
    page.wait_for_timeout(500)
    assert page.evaluate("() => typeof window.PWNED") == "undefined"
    assert page.locator("#chat img, #document img, #sources img, #chat script, #document script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    shot(page, "payload")


@pytest.mark.browser
def test_upload_adds_good_files_and_names_broken_ones(fresh_app, page, tmp_path):
    url, settings = fresh_app({"001.txt": (SEEDS / "001_23abd807676cf300.txt").read_text(encoding="utf-8")},
                              max_file_mb=0.05)
    up = tmp_path / "uploads"
    up.mkdir()
    (up / "novisad.txt").write_text(GOOD_REPORT, encoding="utf-8")
    (up / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf \x00\x01\x02" * 20)
    shutil.copy(SEEDS / "001_23abd807676cf300.txt", up / "copy.txt")  # the report already indexed, renamed
    (up / "big.txt").write_text(GOOD_REPORT * (80_000 // len(GOOD_REPORT) + 1), encoding="utf-8")  # over 0.05 MB
    open_app(page, url)
    page.get_by_role("tab", name="Library").click()
    page.set_input_files("#upload input[type=file]",
                         [str(up / n) for n in ("novisad.txt", "broken.pdf", "copy.txt", "big.txt")])
    status = page.locator("#upload-status")
    status.get_by_text("broken.pdf was not added").wait_for(timeout=120000)
    shown = status.inner_text()
    assert "broken.pdf was not added: it is not a readable PDF" in shown and "novisad.txt" in shown
    # a file over the limit gets its line under the box too, not only a passing notice
    assert "big.txt was not added" in shown and "ASSISTANT_MAX_FILE_MB" in shown, shown
    assert "copy.txt was not added: it is the same file as 001.txt, which is indexed already" in shown, shown
    assert not re.search(r"[A-Z][a-z]+(Error|Exception)", shown) and str(up) not in shown  # plain words
    # The result sits right under the upload box, not at the bottom of the page.
    upload_box, status_box = page.locator("#upload").bounding_box(), status.bounding_box()
    assert 0 <= status_box["y"] - (upload_box["y"] + upload_box["height"]) < 80
    library = settings.home / "library"
    assert (library / "novisad.txt").exists() and not (library / "broken.pdf").exists()
    assert not (library / "big.txt").exists()
    assert not (library / "copy.txt").exists()
    assert sorted(p.name for p in settings.seeds.iterdir()) == ["001.txt"]  # the repository's folder is left alone
    page.get_by_role("tab", name="Chat").click()
    page.click("#documents input")
    page.get_by_role("option", name="novisad").wait_for()
    page.keyboard.press("Escape")
    answer = ask(page, "Where was the cannabis plantation discovered?", 1)
    assert "Novi Sad" in answer.inner_text()
    assert "novisad.txt" in page.inner_text("#sources")
    shot(page, "upload")


def test_api_ask_returns_citations_that_point_into_the_documents(seeded_app):
    from gradio_client import Client

    url, assistant = seeded_app
    client = Client(url, verbose=False)
    result = client.predict("what did DPNSEE say?", "[]", api_name="/ask")
    assert result["found"] and result["citations"] and "[1]" in result["answer"]
    for c in result["citations"]:
        assert assistant.document_text(c["doc_id"])[c["start"]:c["end"]] == c["text"]
    history = json.dumps([{"role": "user", "content": "what did DPNSEE say?"},
                          {"role": "assistant", "content": result["answer"]}])
    follow = client.predict("When was it held?", history, api_name="/ask")
    assert follow["found"] and {c["doc_id"][:3] for c in follow["citations"]} & {"000", "001"}
    with pytest.raises(Exception, match="question is empty"):
        client.predict("   ", "[]", api_name="/ask")
    with pytest.raises(Exception, match="not valid JSON"):
        client.predict("what did DPNSEE say?", "[oops", api_name="/ask")


@pytest.mark.browser
def test_bad_questions_get_a_clear_message(seeded_app, page):
    url, _ = seeded_app
    open_app(page, url)
    page.click("#send")  # an empty question: a hint by the box, and no bubble
    page.locator("#question-hint", has_text="Type a question first").wait_for()
    assert page.locator("#chat [data-testid='user'], #chat [data-testid='bot']").count() == 0
    ask(page, "what did DPNSEE say?", 1)
    page.wait_for_selector("#sources a.cite")
    long = ask(page, "drugs " * 1000, 2)
    assert "the limit is 4,000" in long.inner_text()
    # the refused question has no sources: the panel does not go on showing the answer before it as its own
    page.wait_for_function("!document.querySelector('#sources a.cite')", timeout=30000)
    assert "appear here" in page.inner_text("#sources")
    assert "Traceback" not in page.content() and page.locator(".toast-body").count() == 0
    shot(page, "bad-questions")


TRAM_PAGE = ("<html><head><title>Novi Sad tram plan</title></head><body><article><h1>Novi Sad tram plan approved</h1>"
             "<p>Novi Sad, 3 March 2025 — The city assembly approved a plan for two tram lines connecting the "
             "railway station with the university campus.</p><h2>Financing</h2><p>The first line will cost 140 "
             "million euros, of which the European Investment Bank lends 90 million.</p><h2>Measures during "
             "construction</h2><ul><li>Bus lines 4 and 7 will be rerouted through Futoška street.</li><li>Parking "
             "on Bulevar oslobođenja will be closed for eighteen months.</li></ul></article></body></html>")


@pytest.mark.browser
def test_a_list_is_answered_as_a_list_and_a_heading_never_alone(fresh_app, page):
    # An HTML page's section heading is what "list the measures" resembles most: the answer is the list under
    # it, an item a line, each item's [n] opening it in the document.
    url, _ = fresh_app({"tram.html": TRAM_PAGE})
    open_app(page, url)
    answer = ask(page, "list the measures during construction", 1)
    page.wait_for_selector("#sources a.cite")
    lines = [line.strip() for line in answer.inner_text().splitlines() if line.strip()]
    assert any(line.startswith("- Bus lines 4 and 7") for line in lines), lines
    assert any(line.startswith("- Parking on Bulevar") for line in lines), lines
    assert not any("Measures during construction" in line for line in lines), lines
    answer.locator("a.cite", has_text="[2]").click()
    page.locator("#document mark").wait_for()
    assert "Parking on Bulevar" in page.locator("#document mark").inner_text()
    # the page's headings read as headings in the document, not as the '#' lines they are indexed as
    assert page.locator("#document .doc-heading", has_text="Measures during construction").count() == 1
    assert "#" not in page.locator("#document .doc-text").inner_text()
    shot(page, "list-answer")


def test_what_a_refusal_says_of_its_filters_is_in_the_questions_language_and_script():
    from assistant.text import detect_language, detect_script
    from assistant.web import filter_note

    english = filter_note(["en"], ["002_c41756f9194e43e0"], [], "en", "Who chaired it?")
    assert english == ("Only language English; document 002_c41756f9194e43e0 was searched: clear the filters to "
                       "search every report.")
    for question, language in [("Колико хектара шуме је изгорело на Тари?", "sr"),
                               ("Koliko hektara šume je izgorelo na Tari?", "sr"),
                               ("Сколько гектаров леса сгорело?", "ru")]:
        note = filter_note(["en"], ["b02"], ["b02"], language, question)
        assert detect_language(note) == language and detect_script(note) == detect_script(question), note
        assert "b02" in note and "Only" not in note
