"""Saved conversations in the browser: a chat outlives a reload, earlier ones are listed newest first and
reopen with working citations and follow-ups, deleted ones stay gone, unreadable saved data is ignored."""

from __future__ import annotations

import pytest
import test_web
from test_web import ask, open_app, shot

from assistant.saved import browser_keys

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
    page.once("dialog", lambda d: d.dismiss())  # asked first; saying no keeps it
    page.click("#delete-conversation")
    page.wait_for_timeout(500)
    assert titles(page) == [IVANOV, DPNSEE]
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
    key, _ = browser_keys(assistant.settings.home)
    page.evaluate("k => localStorage.setItem(k, 'not:what-the-app-wrote')", key)  # an old or foreign value
    reload(page)
    page.wait_for_timeout(500)
    assert titles(page) == [] and page.locator(BOT).count() == 0
    assert "Traceback" not in page.content() and page.locator(".toast-body").count() == 0
    ask(page, DPNSEE, 1)
    listed(page, DPNSEE)
