"""Saved conversations in the browser: a chat outlives a reload, earlier ones are listed newest first and
reopen with working citations and follow-ups, deleted ones stay gone, unreadable saved data is ignored."""

from __future__ import annotations

import time

import pytest
import test_web
from test_web import ask, open_app, shot

from assistant.saved import browser_keys, chats_key

browser, page, seeded_app = test_web.browser, test_web.page, test_web.seeded_app
BOT = "#chat [data-testid='bot']"
DPNSEE = "What did DPNSEE say?"
IVANOV = "What did Victor Ivanov say about heroin?"


def titles(page) -> list[str]:
    """Return the saved conversations' titles as listed, top first."""
    return [t.split(" (")[0] for t in page.locator("#saved-list label").all_inner_texts()]


def listed(page, *questions: str) -> None:
    """Wait until the saved list shows exactly these conversations, in this order."""
    page.wait_for_function("""want => JSON.stringify([...document.querySelectorAll('#saved-list label')]
        .map(l => l.innerText.split(' (')[0])) === JSON.stringify(want)""", arg=list(questions), timeout=30000)


def reload(page) -> None:
    page.reload(wait_until="load")
    page.wait_for_selector("#question textarea")


@pytest.mark.browser
def test_a_chat_survives_a_reload_and_earlier_ones_reopen_with_working_citations(seeded_app, page):
    url, _ = seeded_app
    open_app(page, url)
    first = ask(page, DPNSEE, 1).inner_text()
    listed(page, DPNSEE)
    reload(page)
    page.locator(BOT).first.wait_for()  # the open conversation is back, not just listed
    assert page.locator(BOT).count() == 1 and page.locator(BOT).first.inner_text() == first
    listed(page, DPNSEE)
    page.locator("#sources a.cite").first.wait_for()  # and its sources with it
    page.click("#new-conversation")
    ask(page, IVANOV, 1)
    listed(page, IVANOV, DPNSEE)  # the earlier one stays, the newest on top
    page.locator("#saved-list label", has_text=DPNSEE).click()
    page.wait_for_function(f"""() => document.querySelectorAll("{BOT}").length === 1
        && document.querySelector("{BOT}").innerText.includes('DPNSEE')""", timeout=30000)
    answer = page.locator(BOT).first
    assert answer.inner_text() == first
    answer.locator("a.cite").first.click()  # a citation of the reopened answer opens its passage
    mark = page.locator("#document mark")
    mark.wait_for()
    assert "DPNSEE" in mark.inner_text()
    # A follow-up in the reopened chat leans on its answer: the question alone names no report.
    follow = ask(page, "When was it held?", 2)
    assert page.locator("#chat [data-testid='user']").count() == 2
    follow.locator("a.cite").first.click()
    page.wait_for_function("() => /00[01]_/.test(document.querySelector('#document').innerText)", timeout=30000)
    listed(page, DPNSEE, IVANOV)  # asked in last, listed first
    reload(page)
    page.wait_for_function(f"() => document.querySelectorAll(\"{BOT}\").length === 2", timeout=30000)
    shot(page, "saved-conversations")


@pytest.mark.browser
def test_a_deleted_conversation_is_gone_after_a_reload(seeded_app, page):
    url, _ = seeded_app
    open_app(page, url)
    ask(page, DPNSEE, 1)
    page.click("#new-conversation")
    ask(page, IVANOV, 1)
    listed(page, IVANOV, DPNSEE)
    page.locator("#saved-list label", has_text=DPNSEE).click()
    page.wait_for_function(f"() => document.querySelector(\"{BOT}\").innerText.includes('DPNSEE')", timeout=30000)
    page.once("dialog", lambda d: d.dismiss())  # asked first; saying no keeps it, and is no error
    page.click("#delete-conversation")
    page.wait_for_timeout(500)
    assert titles(page) == [IVANOV, DPNSEE] and page.locator(".toast-body").count() == 0
    page.once("dialog", lambda d: d.accept())
    page.click("#delete-conversation")
    listed(page, IVANOV)
    page.wait_for_function(f"() => !document.querySelector(\"{BOT}\")")  # it was open: the chat starts anew
    reload(page)
    listed(page, IVANOV)
    page.wait_for_timeout(500)
    assert page.locator(BOT).count() == 0 and titles(page) == [IVANOV]


@pytest.mark.browser
def test_unreadable_saved_data_is_ignored(seeded_app, page):
    url, assistant = seeded_app
    open_app(page, url)
    for key in (browser_keys(assistant.settings.home)[0], chats_key(assistant.settings.home)):
        page.evaluate("k => localStorage.setItem(k, 'not:what-the-app-wrote')", key)  # an old or foreign value
    reload(page)
    page.wait_for_timeout(500)
    assert titles(page) == [] and page.locator(BOT).count() == 0
    assert "Traceback" not in page.content() and page.locator(".toast-body").count() == 0
    ask(page, DPNSEE, 1)
    listed(page, DPNSEE)


def bots(page) -> int:
    return page.locator(BOT).count()


@pytest.mark.browser
def test_two_tabs_keep_each_others_conversations(seeded_app, browser):
    url, _ = seeded_app
    context = browser.new_context()  # one browser profile: both tabs share localStorage
    try:
        a, b = context.new_page(), context.new_page()
        open_app(a, url)
        open_app(b, url)
        ask(a, DPNSEE, 1)
        ask(b, IVANOV, 1)  # b's copy of the saved chats predates a's answer
        ask(a, "When was it held?", 2)
        for tab in (a, b):
            reload(tab)
            listed(tab, DPNSEE, IVANOV)  # neither tab's save dropped the other's conversation
        # and each tab reopens its own conversation, not the one saved last
        a.wait_for_function(f"() => document.querySelectorAll(\"{BOT}\").length === 2", timeout=30000)
        b.locator(BOT).first.wait_for()
        assert bots(b) == 1 and "Ivanov" in b.locator(BOT).first.inner_text()
        a.click("#new-conversation")
        ask(a, "Who chaired the meeting of the Coordinating Council?", 1)
        reload(b)
        # the list is filled after the page loads: wait for it before reading it
        b.wait_for_function("() => document.querySelectorAll('#saved-list label').length === 3", timeout=30000)
        assert set(titles(b)) == {DPNSEE, IVANOV, "Who chaired the meeting of the Coordinating Council?"}
    finally:
        context.close()


@pytest.mark.browser
def test_a_conversation_two_tabs_went_on_with_keeps_both_tabs_questions(seeded_app, browser):
    url, _ = seeded_app
    context = browser.new_context()
    try:
        a = context.new_page()
        open_app(a, url)
        ask(a, DPNSEE, 1)
        b = context.new_page()  # opened after: it shows the conversation a saved last
        open_app(b, url)
        b.locator(BOT).first.wait_for()
        ask(b, IVANOV, 2)
        ask(a, "When was it held?", 2)  # a goes on with its own copy of the same conversation
        reload(a)
        a.wait_for_function("() => document.querySelectorAll('#saved-list label').length === 2", timeout=30000)
        assert [t.split(" (")[1] for t in a.locator("#saved-list label").all_inner_texts()] == ["2 questions)"] * 2
        saved = a.evaluate(f"() => localStorage.getItem({chats_key(seeded_app[1].settings.home)!r})")
        assert IVANOV in saved and "When was it held?" in saved  # neither tab's question was lost
    finally:
        context.close()


@pytest.mark.browser
def test_a_tab_left_open_across_a_server_restart_goes_on_with_its_conversation(seeded, page):
    from test_web import free_port

    from assistant.config import Settings
    from assistant.core import Assistant
    from assistant.web import build_app

    port = free_port()
    url = f"http://127.0.0.1:{port}/"

    def start():
        app = build_app(Assistant(Settings(home=seeded.home, seeds=test_web.SEEDS)))
        app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False)
        return app

    app = start()
    try:
        open_app(page, url)
        first = ask(page, DPNSEE, 1).inner_text()
        app.close()
        app = start()  # the server restarts; the tab stays open and is not reloaded
        ask(page, "When was it held?", 2)
        assert page.locator("#chat [data-testid='user']").count() == 2 and page.locator(BOT).first.inner_text() == first
        listed(page, DPNSEE)
        assert "(2 questions)" in page.locator("#saved-list label").first.inner_text()
    finally:
        app.close()


@pytest.mark.browser
def test_typing_while_an_answer_is_written_and_starting_over_lose_nothing(seeded, page):
    from test_web_app import SlowStub

    from assistant.config import Settings
    from assistant.core import Assistant
    from assistant.web import build_app

    class Slow(SlowStub):
        def condense(self, question, messages):  # a follow-up is searched as asked
            return question

    app = build_app(Assistant(Settings(home=seeded.home, seeds=test_web.SEEDS), answerer=Slow()))
    try:
        open_app(page, test_web.launch(app))
        page.fill("#question textarea", DPNSEE)
        page.click("#send")
        page.locator(BOT, has_text="three").wait_for(timeout=60000)
        page.fill("#question textarea", "and what else?")  # typed while the answer is still being written
        page.wait_for_function("() => !document.querySelector('#send').disabled", timeout=60000)
        assert page.input_value("#question textarea") == "and what else?"
        page.click("#send")
        page.locator(BOT).nth(1).filter(has_text="three").wait_for(timeout=60000)
        page.click("#new-conversation")  # while the second answer is being written
        page.wait_for_timeout(2500)
        assert bots(page) == 0  # the cancelled answer does not come back into the new conversation
        listed(page, DPNSEE)
        assert "(2 questions)" in page.locator("#saved-list label").first.inner_text()  # kept as far as it got
        reload(page)
        listed(page, DPNSEE)
        assert bots(page) == 0
    finally:
        app.close()


@pytest.mark.browser
def test_a_question_sent_before_the_answer_is_whole_stays_in_the_box_to_send_after(seeded, page):
    # A second question typed and sent with Enter before the first answer's first words: it is not answered
    # inside the first one's turn, nor wiped from the box by that answer's first reply (as it was); it waits in
    # the box, and Enter sends it once Send is back.
    from test_web_app import SlowStub

    from assistant.config import Settings
    from assistant.core import Assistant
    from assistant.web import build_app

    class LateStub(SlowStub):
        def stream(self, question, passages, messages, language):
            time.sleep(3)  # the first words come late: the second question is typed before them
            yield from super().stream(question, passages, messages, language)

    app = build_app(Assistant(Settings(home=seeded.home, seeds=test_web.SEEDS), answerer=LateStub()))
    second = "and what about Albania?"
    try:
        open_app(page, test_web.launch(app))
        page.fill("#question textarea", DPNSEE)
        with page.expect_request(lambda r: "queue/join" in r.url):  # the question has left the page
            page.press("#question textarea", "Enter")
        page.fill("#question textarea", second)
        page.press("#question textarea", "Enter")
        page.locator(BOT, has_text="three").wait_for(timeout=60000)
        page.wait_for_function("() => !document.querySelector('#send').disabled", timeout=90000)
        users = "#chat [data-testid='user']"
        assert page.locator(users).all_inner_texts() == [DPNSEE]
        assert page.input_value("#question textarea") == second
        page.press("#question textarea", "Enter")
        page.locator(users).nth(1).wait_for(timeout=60000)
        assert page.input_value("#question textarea") == ""  # emptied by the page as it was sent
        page.wait_for_function("() => !document.querySelector('#send').disabled", timeout=90000)
        assert page.locator(users).all_inner_texts() == [DPNSEE, second]
        assert bots(page) == 2
    finally:
        app.close()


@pytest.mark.browser
def test_chats_an_earlier_version_kept_in_browser_state_are_moved_over(seeded, page):
    import gradio as gr
    from test_web import free_port

    from assistant.config import Settings
    from assistant.core import Assistant
    from assistant.saved import Shelf, turn_json
    from assistant.web import build_app

    settings = Settings(home=seeded.home, seeds=test_web.SEEDS)
    assistant = Assistant(settings)
    kept = Shelf().put("older1", [turn_json(DPNSEE, assistant.ask(DPNSEE))]).to_json()
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    key, secret = browser_keys(settings.home)
    with gr.Blocks() as before:  # what an earlier version left: its chats, encrypted by gr.BrowserState
        state = gr.BrowserState(None, storage_key=key, secret=secret)
        gr.Button("save", elem_id="save").click(lambda: kept, None, state)
    before.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False)
    try:
        page.goto(url, wait_until="load")
        page.click("#save")
        page.wait_for_function("k => (localStorage.getItem(k) || '').includes(':')", arg=key, timeout=30000)
    finally:
        before.close()
    app = build_app(assistant)
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False)
    try:
        open_app(page, url)
        listed(page, DPNSEE)
        page.locator(BOT).first.wait_for()  # it was the open one, and opens again
        moved = page.evaluate("k => JSON.parse(localStorage.getItem(k))", chats_key(settings.home))
        assert [c["id"] for c in moved["conversations"]] == ["older1"]
        page.click("#new-conversation")
        ask(page, IVANOV, 1)
        reload(page)
        listed(page, IVANOV, DPNSEE)  # moved once: the old copy is not read again over the new one
    finally:
        app.close()
