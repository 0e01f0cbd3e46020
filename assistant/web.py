"""The Gradio app: streamed answers whose [n] markers open the cited passage inside its document, and a
library of the indexed reports that uploads join and leave without holding up questions."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import gradio as gr

from .chat import as_messages
from .config import Settings, setup_offline_env
from .core import ASK_ERRORS, Assistant, EmptyIndexError, QuestionError, StoreError, history_from_json
from .corpus import find_files
from .library import Worker, library_dir, not_yet_indexed, place_upload, previous  # noqa: F401 (place_upload: part of this module's API)
from .llm import LLMError
from .messages import filtered
from .ports import PortInUse, check_port  # noqa: F401 (PortInUse: what serve raises)
from .render import (  # noqa: F401 (chat_text, render_answer: part of this module's API)
    DOC_PLACEHOLDER,
    EMPTY_LIBRARY,
    WEAK,
    chat_text,
    esc,
    render_answer,
    render_chips,
    render_deleted,
    render_document,
    render_gone,
    render_library,
    render_sources,
    render_status,
    shown_document,
)
from .retrieval import Filters
from .saved import (
    EMPTY,
    MAX_CONVERSATIONS,
    Shelf,
    browser_keys,
    chats_key,
    new_id,
    read,
    read_turn,
    turn_json,
)
from .types import Answer
from .writelock import write_lock

# An upload over the file limit is still taken in and refused by the reader, with the one-line reason every other
# refused upload gets under the upload box ("big.txt was not added: it is 31 MB, over the limit of 20 MB…"); only
# one this many times the limit is refused in transit, with Gradio's own passing notice, to spare the disk.
TRANSIT_FACTOR = 5

# Example questions, each with the seed reports that answer it: a library without those reports is not offered
# questions it can only refuse.
EXAMPLES = (
    ("What did DPNSEE say?", ("000_7e6134a7318589bf", "001_23abd807676cf300")),
    ("Колико држава чланица ЕУ је послало стручњаке на радионицу у Сарајеву?", ("003_9be4eadb76ad7108",)),
    ("Что сказал Виктор Иванов о производстве героина?", ("004_08540dc4f1130570",)),
)


def examples_shown(doc_ids: Iterable[str]) -> list[bool]:
    """Return, for each example question, whether a report that answers it is among doc_ids (the indexed
    documents)."""
    indexed = set(doc_ids)
    return [bool(indexed.intersection(docs)) for _question, docs in EXAMPLES]


_HERE = Path(__file__).parent
# Global styles and the click handler ride on the sources panel (gr.HTML `head` and `js_on_load`), so the
# app needs nothing passed to launch().
CSS = f"<style>{(_HERE / 'web.css').read_text('utf-8')}</style>"
CLICK_JS = (_HERE / "web.js").read_text("utf-8")
# The mark is centred in the document box when that box scrolls (desktop), without moving the page; in the
# phone drawer the box is full length and the drawer itself scrolls.
SCROLL_JS = """
const centre = () => {
  const mark = element.querySelector('mark');
  if (!mark) return;
  const box = mark.closest('.doc-text');
  if (box && box.scrollHeight > box.clientHeight + 1) {
    const m = mark.getBoundingClientRect(), b = box.getBoundingClientRect();
    box.scrollTop += m.top - b.top - (box.clientHeight - Math.min(m.height, box.clientHeight)) / 2;
  } else {
    mark.scrollIntoView({block: 'center'});
  }
};
watch('value', () => requestAnimationFrame(centre));  // after the new text is laid out
"""
BACK = "<button id='back-to-answer' class='phone-only phone-button'>← Back to the answer</button>"
OPEN_SIDE = "<button id='open-side' class='phone-only phone-button'>Sources ›</button>"
ASK_GROUP = {"concurrency_id": "ask", "concurrency_limit": 1}
# The question box is emptied in the page the moment a question is sent, not by the server's first reply: a
# reply can take seconds (a question queued behind another), and what was typed meanwhile was wiped with it.
SENT_JS = ("const box = document.querySelector('#question textarea');"
           " if (box && box.value === q) { box.value = ''; box.dispatchEvent(new Event('input', {bubbles: true})); }")
LIBRARY_GROUP = {"concurrency_id": "library", "concurrency_limit": 1}  # quick: the worker does the work


@dataclass(frozen=True)
class Turn:
    """One exchange: the question and its answer, or the message saying why there is none."""

    question: str
    answer: Answer | None = None
    error: str = ""
    note: str = ""  # what the reader should know about the answer (a filter that was on)


@dataclass(frozen=True)
class Session:
    """What a browser tab remembers: its turns; the last answer carries cited documents to follow-ups."""

    turns: tuple[Turn, ...] = field(default_factory=tuple)
    id: str = ""  # of its saved copy in the browser; given when it is first saved

    @property
    def last(self) -> Answer | None:
        """Return the latest answer, if any."""
        return next((t.answer for t in reversed(self.turns) if t.answer), None)

    def history(self) -> list:
        """Return the conversation as Messages (answers only: errors and answers stopped unchecked left out)."""
        pairs = [m for t in self.turns if t.answer and not t.answer.partial for m in
                 ({"role": "user", "content": t.question}, {"role": "assistant", "content": t.answer.answer})]
        return as_messages(pairs)


STOPPED = "Stopped while the answer was being written: its sentences were not checked against their sources."


def stopped(session: Session) -> Session:
    """Return the session with its last turn marked when Stop left its answer unchecked (a partial one)."""
    if not session.turns or not (last := session.turns[-1]).answer or not last.answer.partial:
        return session
    note = f"{last.note} {STOPPED}".strip() if STOPPED not in last.note else last.note
    return replace(session, turns=session.turns[:-1] + (replace(last, note=note),))


def render_chat(session: Session) -> list[dict]:
    """Return the Chatbot messages of a session."""
    out = []
    for i, t in enumerate(session.turns):
        out.append({"role": "user", "content": chat_text(t.question)})
        reply = render_answer(t.answer, i) if t.answer else f'<span class="notice">{chat_text(t.error)}</span>'
        if t.note:
            reply += f'<br><span class="notice filter-note">{chat_text(t.note)}</span>'
        out.append({"role": "assistant", "content": reply})
    return out


def reopened(shelf: Shelf, conversation_id: str) -> Session | None:
    """Return a saved conversation as a Session (its answers are `last` to a follow-up again), if saved."""
    saved = shelf.get(conversation_id)
    if saved is None:
        return None
    turns = [read_turn(t) for t in saved.turns]  # read() already checked each one
    return Session(tuple(Turn(q, answer, note=note) for q, answer, note in turns), saved.id)


def remember(session: Session, stored) -> tuple[Session, str, dict]:
    """Return the session (with its id), the browser's saved chats with it saved as the newest (as the text
    the page stores), and the list's update; a turn that ended in an error message is not saved."""
    turns = [turn_json(t.question, t.answer, t.note) for t in session.turns if t.answer]
    shelf = read(stored)
    saved = shelf.get(session.id) if session.id else None
    # Another tab open on the same conversation may have gone on with it: its turns are kept, and this tab's
    # are saved as a conversation of their own (an answer written again keeps its question, so stays).
    if saved is not None and [t["question"] for t in saved.turns] != [t["question"] for t in turns][:len(saved.turns)]:
        session = replace(session, id="")
    if turns and not session.id:
        session = replace(session, id=new_id())
    shelf = shelf.put(session.id, turns)
    return session, stored_text(shelf), listing(shelf)


def stored_text(shelf: Shelf) -> str:
    """Return the saved chats as the page keeps them in localStorage."""
    return json.dumps(shelf.to_json(), ensure_ascii=False)


def chats_js(key: str) -> tuple[str, str]:
    """Return the page's two functions for the saved chats under key: one that reads them as they are now in
    localStorage, with this tab's open conversation (kept in sessionStorage, which is per tab) as the current
    one, and one that writes them back. Every event that changes the saved chats reads them first: a tab's
    copy goes stale as soon as another tab saves, and writing it back would lose the other tab's chats."""
    k = json.dumps(key)
    read = (f"(() => {{ let v = null; try {{ v = JSON.parse(localStorage.getItem({k}) || 'null'); }} catch (e) {{}} "
            f"if (!v || typeof v !== 'object') return ''; const c = sessionStorage.getItem({k}); "
            "if (c !== null) v.current = c; return JSON.stringify(v); })()")
    write = (f"(v) => {{ if (!v) return; try {{ localStorage.setItem({k}, v); "
             f"sessionStorage.setItem({k}, JSON.parse(v).current || ''); }} catch (e) {{}} }}")
    return read, write


def listing(shelf: Shelf) -> dict:
    """Return the update of the saved-conversations list: newest first, the open one chosen."""
    return gr.update(choices=shelf.choices(), value=shelf.current or None)


def api_history(history_json) -> list:
    """Return the conversation an /ask call sends (a JSON string, or the list itself), or raise QuestionError
    saying what it must be."""
    if history_json is None or history_json == "":
        return []
    if isinstance(history_json, str):
        try:
            history_json = json.loads(history_json)
        except json.JSONDecodeError as e:
            raise QuestionError(f"history_json is not valid JSON ({e.msg}): send a JSON list of "
                                '{"role": "user"|"assistant", "content": "..."}') from None
        except RecursionError:
            raise QuestionError("history_json is nested too deeply: send a flat JSON list of "
                                '{"role": "user"|"assistant", "content": "..."}') from None
    return history_from_json(history_json)


def given_names(names_json, count: int) -> list[str]:
    """Return the names the page says its count uploaded files have (a JSON list of strings, in the files'
    order), or "" for each when it says nothing usable: the file's own name is used then."""
    try:
        names = json.loads(names_json or "[]")
    except json.JSONDecodeError:
        names = []
    if not isinstance(names, list) or len(names) != count:
        return [""] * count
    return [n if isinstance(n, str) else "" for n in names]


def filter_note(langs, doc_ids, gone, language: str = "en", question: str = "") -> str:
    """Return what a refusal says about the filters it was searched with, and which of the filtered documents
    the library no longer holds (another tab deleted them; the tab's filters are brought up to date after), in
    the question's language, as the refusal before it is."""
    return filtered(language, question, langs, doc_ids, gone)


def _choices(assistant: Assistant) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    docs = assistant.documents()
    from .render import language_name

    return ([(language_name(code), code) for code in sorted({d.language for d in docs})],
            [(f"{d.doc_id} — {d.title[:60]}", d.doc_id) for d in docs])


def _header(assistant: Assistant) -> str:
    n = len(assistant.documents())
    indexed = (f"{n} document{'s' if n != 1 else ''} indexed" if n else esc(EMPTY_LIBRARY))
    return (f"<h2>Ask the reports</h2><p class='src-meta'>Answers: <b>{esc(assistant.answerer_name)}</b> · "
            f"{indexed} · every sentence cites its source; click a [n] to read it.</p>")


def _filter_update(choices: list[tuple[str, str]], chosen) -> dict:
    """Return a filter's update to new choices, keeping what was chosen while it is still offered (None: the
    choice is left alone). Gradio refuses every event that sends a filter holding a value no longer among its
    choices: a tab that deleted the document it filtered on could not ask again."""
    if chosen is None:
        return gr.update(choices=choices)
    offered = {value for _, value in choices}
    return gr.update(choices=choices, value=[v for v in chosen if v in offered])


def _refresh(assistant: Assistant, folder: Path, langs=None, doc_ids=None) -> tuple:
    """Return what changes when the library does: header, filters (their choices, and what is chosen of those
    still offered), library table, delete choices, and which example questions are shown."""
    languages, docs = _choices(assistant)
    documents = assistant.documents()
    return (_header(assistant), _filter_update(languages, langs), _filter_update(docs, doc_ids),
            render_library(documents, folder), gr.update(choices=docs, value=None),
            *[gr.update(visible=v) for v in examples_shown(d.doc_id for d in documents)])


# --- the app -----------------------------------------------------------------------------------------


def build_app(assistant: Assistant, worker: Worker | None = None) -> gr.Blocks:
    """Return the Gradio app serving assistant: chat, sources, document view, filters, library, /ask."""
    worker = worker or Worker(assistant)
    folder = library_dir(assistant.settings)
    languages, docs = _choices(assistant)
    private = {"api_visibility": "private"}
    busy = (gr.update(interactive=False), gr.update(interactive=True))  # Send, Stop while an answer streams
    idle = (gr.update(interactive=True), gr.update(interactive=False))

    def answer_turns(question, session: Session, langs, doc_ids):
        if not isinstance(question, str) or not question.strip():  # nothing to ask: no bubble, a hint
            yield (gr.skip(), gr.skip(), gr.skip(), gr.skip(), *idle,
                   "<p class='notice'>Type a question first.</p>")
            return
        filters = Filters(languages=tuple(langs or ()), doc_ids=tuple(doc_ids or ()))
        indexed = {d.doc_id for d in assistant.documents()} if doc_ids else set()
        gone = [d for d in doc_ids or () if d not in indexed]  # deleted in another tab since it was chosen
        turn = len(session.turns)
        try:
            with worker.question():
                for answer in assistant.stream(question, session.history(), filters, None, session.last):
                    note = filter_note(langs, doc_ids, gone, answer.language, str(question)) \
                        if not answer.found and (langs or doc_ids) else ""
                    now = replace(session, turns=session.turns + (Turn(answer.question, answer, note=note),))
                    # the page emptied the box when the question was sent (SENT_JS): what is typed since stays
                    yield render_chat(now), gr.skip(), render_sources(answer, turn), now, *busy, ""
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), *idle, ""  # Send comes back when the answer is whole
        except ASK_ERRORS as e:
            message = EMPTY_LIBRARY if isinstance(e, EmptyIndexError) else str(e)
            now = replace(session, turns=session.turns + (Turn(str(question), error=f"⚠ {message}"),))
            # The panel showed the last answer's sources as if they were this turn's; an earlier answer's [n]
            # still brings its own back.
            yield render_chat(now), question, render_sources(None, turn), now, *idle, ""

    def saving(steps, session: Session, stored):
        """Yield the steps of an answer; the step that gives Send back (the answer is whole, or refused) also
        saves the conversation in the browser, so a reload once Send is back finds it, and tells the page
        which version of the library it was answered from (the page catches up when that is news to it)."""
        now = session
        for step in steps:
            now = step[3] if isinstance(step[3], Session) else now
            if step[4] is idle[0] and now is not session:
                now, saved, shown = remember(now, stored)
                yield *step[:3], now, *step[4:], saved, shown, worker.status().version
            else:
                yield *step, gr.skip(), gr.skip(), gr.skip()

    def held(session: Session, stored) -> Session:
        """Return the tab's conversation: when the server holds none but the tab has one open, the server
        restarted while the tab stayed open, and the tab's conversation goes on, as the page shows it."""
        if session.turns:
            return session
        shelf = read(stored)
        return reopened(shelf, shelf.current) or session

    def respond(question, session: Session, langs, doc_ids, stored):
        session = held(session, stored)
        yield from saving(answer_turns(question, session, langs, doc_ids), session, stored)

    def regenerate(session: Session, langs, doc_ids, stored):
        session = held(session, stored)
        if not session.turns:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), *idle, "", gr.skip(), gr.skip(), gr.skip()
            return
        last = session.turns[-1]
        yield from saving(answer_turns(last.question, replace(session, turns=session.turns[:-1]), langs, doc_ids),
                          session, stored)

    def restore(stored, legacy, session: Session):
        if session.turns:  # a question asked before the page finished loading started a new conversation
            return (gr.skip(),) * 6
        shelf, moved = read(stored), gr.skip()
        if not stored and read(legacy).conversations:  # chats an earlier version kept through gr.BrowserState
            shelf, moved = read(legacy), EMPTY
        session = reopened(shelf, shelf.current) or Session()
        last = len(session.turns) - 1
        return (render_chat(session), render_sources(session.last, last, gone=deleted(session.last)), session,
                stored_text(shelf), listing(shelf), moved)

    def reopen(conversation_id, stored):
        shelf = read(stored)
        session = reopened(shelf, conversation_id)
        if session is None:
            return (*[gr.skip()] * 4, stored_text(shelf), listing(shelf),
                    "<p class='notice'>That conversation is no longer saved.</p>")
        shelf = shelf.opened(session.id)
        return (render_chat(session), render_sources(session.last, len(session.turns) - 1, gone=deleted(session.last)),
                DOC_PLACEHOLDER, session, stored_text(shelf), listing(shelf), "")

    def forget(conversation_id, stored, session: Session, yes: bool):
        if conversation_id and not yes:  # the person said no when asked to confirm
            return (*[gr.skip()] * 6, "")
        if not conversation_id:
            return (*[gr.skip()] * 6, "<p class='notice'>Choose a saved conversation to delete first.</p>")
        shelf = read(stored).drop(conversation_id)
        if session.id != conversation_id:
            return (*[gr.skip()] * 4, stored_text(shelf), listing(shelf), "")
        # The open conversation goes with it: a question after this starts a new one.
        return [], render_sources(None, 0), DOC_PLACEHOLDER, Session(), stored_text(shelf), listing(shelf), ""

    def start_over(stored, session: Session):
        # What the conversation holds is saved first: an answer still being written when New conversation
        # was clicked is cancelled, and kept as far as it got (as Stop keeps it).
        _, saved, _ = remember(session, stored)
        return [], render_sources(None, 0), DOC_PLACEHOLDER, Session(), *remember(Session(), saved)[1:], *idle

    def deleted(answer) -> frozenset:
        """Return the reports an answer cites that the library no longer holds (a saved chat outlives them)."""
        if answer is None or not answer.citations:
            return frozenset()
        indexed = {d.doc_id for d in assistant.documents()}
        return frozenset(c.doc_id for c in answer.citations if c.doc_id not in indexed)

    def show(session: Session, evt: gr.EventData):
        data = evt._data if isinstance(evt._data, dict) else {}
        try:
            turn, n = int(data.get("turn")), int(data.get("n"))
            answer = session.turns[turn].answer
            c = next(c for c in answer.citations if c.n == n)
        except (TypeError, ValueError, IndexError, AttributeError, StopIteration, KeyError):
            return gr.skip(), "<p class='notice'>That citation is no longer available.</p>"
        text, gone = assistant.document_text(c.doc_id), deleted(answer)
        if text is None:  # its report was deleted since the answer (a saved chat outlives it)
            return render_sources(answer, turn, n, gone), render_deleted(c)
        weak = any(n in s.citations and (s.flagged or s.support < WEAK) for s in answer.sentences)
        record = assistant.records.get(c.doc_id)
        return render_sources(answer, turn, n, gone), render_document(text, c, weak, record.pages if record else ())

    def add(files, names):
        files = files or []
        try:
            placed = [place_upload(Path(f), folder, name) for f, name in zip(files, given_names(names, len(files)),
                                                                           strict=True)]
        finally:  # the copy in the library is what counts; Gradio's temporary one would stay until shutdown
            for f in files:
                Path(f).unlink(missing_ok=True)
        if not placed:
            return gr.skip(), None, gr.skip()
        worker.add(placed)
        return render_status(worker.status()), None, gr.Timer(active=True)

    def delete(doc_id, yes: bool):
        if doc_id and not yes:  # the person said no when asked to confirm
            return gr.skip(), gr.skip()
        if not doc_id:
            return "<p class='notice'>Choose a document to delete first.</p>", gr.skip()
        worker.delete(doc_id)
        return render_status(worker.status()), gr.Timer(active=True)

    def stop_adding():
        if not worker.stop():
            return "<p class='notice'>No upload is being added.</p>", gr.skip()
        return render_status(worker.status()) + "<p class='notice'>Stopping at the next batch…</p>", \
            gr.Timer(active=True)

    def still_shown(view: str):
        """Return the document view's update: a notice in place of a report deleted while it was shown (its
        text stayed as if it were still there), else nothing (what the reader looks at stays put)."""
        doc_id = shown_document(view)
        if not doc_id or doc_id in {d.doc_id for d in assistant.documents()}:
            return gr.skip()
        return render_gone(doc_id)

    def caught_up(version: int, seen: int, chosen_langs, chosen_docs, view: str) -> tuple:
        """Return the library version the tab has now seen and what changes in the tab with it: nothing when
        it saw this version already."""
        if version == seen:
            return seen, *[gr.skip()] * (len(refreshed) + 1)
        return version, *_refresh(assistant, folder, chosen_langs, chosen_docs), still_shown(view)

    def poll(seen: int, chosen_langs, chosen_docs, view: str):
        status = worker.status()
        running = status.busy or status.waiting
        return (render_status(status), gr.Timer(active=bool(running)),
                *caught_up(status.version, seen, chosen_langs, chosen_docs, view))

    def sync(seen: int, chosen_langs, chosen_docs, view: str):
        """Bring a tab up to date with the library another tab changed (its timer only runs in the tab that
        uploads or deletes)."""
        return caught_up(worker.status().version, seen, chosen_langs, chosen_docs, view)

    def loaded():
        version = worker.status().version  # before the refresh: a job finishing between is caught up later
        return version, *_refresh(assistant, folder)

    def api_ask(question: str, history_json: str = "[]") -> dict:
        """Return the cited answer to question as the CLI's --json object; history_json is a JSON list of
        {"role", "content"} turns."""
        try:
            history = api_history(history_json)
            with worker.question():
                return assistant.ask(question, history).to_json()
        except ASK_ERRORS as e:
            if isinstance(e, StoreError | LLMError):  # the operator's to fix: one line here, not a traceback
                print(f"error: /ask: {e}", file=sys.stderr, flush=True)
            raise gr.Error(str(e), print_exception=False) from None

    # delete_cache: whatever Gradio keeps of uploads is removed when the server stops.
    with gr.Blocks(title="Reports assistant", analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        header = gr.HTML(_header(assistant), elem_id="header")
        session = gr.State(Session())
        # Saved chats live in the page's localStorage as plain JSON, read fresh by each event that changes them
        # (chats_js). Earlier versions kept them through gr.BrowserState, whose copy is read once per page
        # load, so two tabs overwrote each other's chats; its value is read once, to move it over.
        storage_key, secret = browser_keys(assistant.settings.home)
        legacy = gr.BrowserState(EMPTY, storage_key=storage_key, secret=secret)
        stored = gr.Textbox(visible=False, elem_id="saved-chats")
        fresh, write = chats_js(chats_key(assistant.settings.home))
        # The library version this tab shows, and the one its last answer came from: numbers in the page, so
        # the page can tell whether to catch up without asking the server.
        seen = gr.Number(0, visible=False, precision=0, elem_id="library-seen")
        latest = gr.Number(0, visible=False, precision=0, elem_id="library-latest")
        # Whether the person said yes when a delete asked them to confirm (the page's confirm() sets it): a
        # "no" leaves the list's choice as it was, which the list must accept as its value.
        confirmed = gr.Checkbox(False, visible=False, elem_id="confirmed")
        tick = gr.Timer(1.0, active=False)
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Chat", id="chat-tab", elem_id="chat-tab"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, elem_id="main"):
                        chat = gr.Chatbot(elem_id="chat", height=460, sanitize_html=True, latex_delimiters=[],
                                          feedback_options=None, buttons=["copy"], label="Conversation")
                        with gr.Row():
                            chips = gr.HTML(render_chips((), ()), elem_id="filter-chips")
                            gr.HTML(OPEN_SIDE)
                        with gr.Row():
                            question = gr.Textbox(placeholder="Ask about the reports (English, српски, srpski, "
                                                  "русский)", show_label=False, scale=5, elem_id="question",
                                                  max_lines=4)
                            send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
                            stop = gr.Button("Stop", variant="stop", scale=1, elem_id="stop", interactive=False)
                        hint = gr.HTML("", elem_id="question-hint")
                        with gr.Row():
                            shown = examples_shown(d.doc_id for d in assistant.documents())
                            examples = [gr.Button(q, size="sm", elem_classes="example", visible=v)
                                        for (q, _docs), v in zip(EXAMPLES, shown, strict=True)]
                        with gr.Row():
                            again = gr.Button("Regenerate", size="sm", elem_id="regenerate")
                            clear = gr.Button("New conversation", size="sm", elem_id="new-conversation")
                        with gr.Accordion("Saved conversations", open=True, elem_id="saved"):
                            past = gr.Radio([], label="Saved conversations", show_label=False, container=False,
                                            elem_id="saved-list")
                            with gr.Row():
                                gr.HTML(f"<p class='src-meta'>Kept in this browser only (the {MAX_CONVERSATIONS} "
                                        "most recent); choose one to open it.</p>")
                                forget_button = gr.Button("Delete conversation", size="sm", scale=0,
                                                          elem_id="delete-conversation")
                        with gr.Accordion("Filters", open=True):
                            langs = gr.CheckboxGroup(languages, label="Languages", elem_id="languages")
                            doc_ids = gr.Dropdown(docs, multiselect=True, label="Documents", elem_id="documents")
                    with gr.Column(scale=2, elem_id="side"):
                        gr.HTML(BACK, elem_id="back-bar")
                        sources = gr.HTML(render_sources(None, 0), label="Sources", elem_id="sources",
                                          head=CSS, js_on_load=CLICK_JS)
                        document = gr.HTML(DOC_PLACEHOLDER, elem_id="document", js_on_load=SCROLL_JS)
            with gr.Tab("Library", id="library-tab", elem_id="library-tab"):
                files = gr.File(file_count="multiple", label="Add reports: txt, md, html, pdf, docx",
                                elem_id="upload")
                names = gr.Textbox(visible=False, elem_id="upload-names")
                with gr.Row():
                    added = gr.HTML("", elem_id="upload-status")
                    halt = gr.Button("Stop adding", size="sm", scale=0, elem_id="stop-upload")
                library = gr.HTML(render_library(assistant.documents(), folder), elem_id="library")
                with gr.Row():
                    to_delete = gr.Dropdown(docs, label="Delete a report from the library", elem_id="delete-doc",
                                            scale=4)
                    remove = gr.Button("Delete", variant="stop", elem_id="delete", scale=1)

        outputs = [chat, question, sources, session, send, stop, hint, stored, past, latest]
        ask = {"fn": respond, "inputs": [question, session, langs, doc_ids, stored], "outputs": outputs, **private,
               **ASK_GROUP, "js": f"(q, s, l, d, _) => {{ {SENT_JS} return [q, s, l, d, {fresh}]; }}"}
        asks = [question.submit(**ask), send.click(**ask)]
        for button in examples:
            asks.append(button.click(lambda q: q, button, question, **private).then(**ask))
        retry = {"fn": regenerate, "inputs": [session, langs, doc_ids, stored], "outputs": outputs, **private,
                 **ASK_GROUP, "js": f"(s, l, d, _) => [s, l, d, {fresh}]"}
        asks += [again.click(**retry), chat.retry(**retry)]
        for event in asks:
            event.then(None, stored, None, js=write)
        # A stopped answer is saved as far as it got. That step runs once the answer has let go of the ask
        # group, after its last step, so it also gives Send back for good: a step written just before the
        # cancel could otherwise leave Stop lit.
        def halted(now, saved):
            now = stopped(now)
            return render_chat(now), *remember(now, saved), *idle

        stop.click(lambda: idle, None, [send, stop], cancels=asks, **private).then(
            halted, [session, stored], [chat, session, stored, past, send, stop],
            js=f"(s, _) => [s, {fresh}]", **private, **ASK_GROUP).then(None, stored, None, js=write)
        # New conversation empties the page in the browser at the click, so nothing typed after it is wiped by
        # a late reply; the server cancels an answer still being written, saves the conversation as far as it
        # got and starts a new one in the ask group, so a question sent right after the click is answered after
        # the reset, never inside the old conversation.
        blank = json.dumps([[], "", render_sources(None, 0), DOC_PLACEHOLDER, ""])
        for event in (clear.click, chat.clear):  # the chat's own trash button must forget the conversation too
            event(None, None, [chat, question, sources, document, hint], js=f"() => {blank}")
            # The cancel is an event of its own, outside the ask group, so it does not queue behind the answer
            # it cancels; the reset is queued in the ask group at the click, before any question sent after it.
            event(None, None, None, cancels=asks, **private)
            event(start_over, [stored, session], [chat, sources, document, session, stored, past, send, stop],
                  js=f"(_, s) => [{fresh}, s]", **private, **ASK_GROUP).then(None, stored, None, js=write)
        saved_outputs = [chat, sources, document, session, stored, past, hint]
        past.input(reopen, [past, stored], saved_outputs, js=f"(c, _) => [c, {fresh}]", **private,
                   **ASK_GROUP).then(None, stored, None, js=write)
        forget_button.click(forget, [past, stored, session, confirmed], saved_outputs,
                            js=f"(c, _, t, __) => [c, {fresh}, t, !!c && confirm('Delete this saved conversation?')]",
                            **private, **ASK_GROUP).then(None, stored, None, js=write)
        sources.cite(show, session, [sources, document], **private)
        for box in (langs, doc_ids):
            box.change(render_chips, [langs, doc_ids], chips, **private)
        # Gradio keeps an upload under a name cleaned for any file system (quotes and <> dropped, and the
        # browser sends a quote as %22): the names the person's files have are passed along from the page.
        files.upload(add, [files, names], [added, files, tick], **private, **LIBRARY_GROUP,
                     js="(f, _) => [f, JSON.stringify([].concat(f || []).map(x => (x && x.orig_name) || ''))]")
        remove.click(delete, [to_delete, confirmed], [added, tick],
                     js="(d, _) => [d, !!d && confirm('Delete ' + d + ' from the library?')]", **private, **LIBRARY_GROUP)
        halt.click(stop_adding, None, [added, tick], **private, **LIBRARY_GROUP)
        refreshed = [header, langs, doc_ids, library, to_delete, *examples]
        tick.tick(poll, [seen, langs, doc_ids, document], [added, tick, seen, *refreshed, document], **private,
                  concurrency_limit=None)
        # A tab another tab changed the library under catches up when it is looked at again, and after a
        # question answered from a library it has not seen (the page triggers 'sync', web.js); at once, outside
        # the ask group. Each sync stands alone ("multiple"), so one cut off by a server restart cannot keep
        # the later ones waiting. A question that brings no news sends nothing more: a request still in flight
        # when the server restarts makes Gradio reload the page, losing a question typed meanwhile.
        sources.sync(sync, [seen, langs, doc_ids, document], [seen, *refreshed, document], show_progress="hidden",
                     concurrency_limit=None, trigger_mode="multiple", **private)
        for event in asks:
            event.then(None, [latest, seen], None,
                       js="(v, s) => { if (v !== s && window.__assistantSync) window.__assistantSync(true); }")
        app.load(loaded, None, [seen, *refreshed], **private)
        app.load(restore, [stored, legacy, session], [chat, sources, session, stored, past, legacy],
                 js=f"(_, l, s) => [{fresh}, l, s]", **private, **ASK_GROUP).then(None, stored, None, js=write)
        gr.api(api_ask, api_name="ask", **ASK_GROUP)
    app.library_worker = worker  # for tests and tools that wait for uploads to finish
    return app


# --- serving -------------------------------------------------------------------------------------------


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, ingest_first: bool = True,
          block: bool = True) -> gr.Blocks:
    """Bring the index up to date with settings.seeds and the library (when ingest_first), then serve the app
    on host:port; return the running app (block=False returns at once)."""
    setup_offline_env()
    check_port(host, port)  # before ingest: a taken port should cost seconds, not an ingest
    assistant = Assistant(settings)
    later = []
    if ingest_first:
        from .progress import IngestBars

        # Served from outside the repository there is no seeds/ folder: the library and the index are what
        # there is to serve, and "skipped: seeds: no such file" would read as a fault.
        seeds = [settings.seeds] if settings.seeds.exists() else []
        if not seeds:
            print(f"no {settings.seeds} folder here: serving the reports already indexed and those added in the "
                  "Library tab (or with `assistant ingest PATH`)", file=sys.stderr)
        paths = seeds + [d for d in (library_dir(settings),) if d.is_dir()]
        later = not_yet_indexed(settings, assistant.records)
        if later:  # the page comes up first; the worker adds them while questions are answered
            waiting = {os.path.realpath(p) for p in later}
            paths = seeds + [c.path for c in find_files(paths[len(seeds):])[0]
                             if os.path.realpath(c.path) not in waiting]
        bars = IngestBars()
        with write_lock(settings.home, waiting=lambda: print("waiting: another ingest is writing to "
                                                             f"{settings.home}", file=sys.stderr, flush=True)):
            report = assistant.ingest(paths, progress=bars)
        bars.close()
        again = f", {report.revectored} embedded again" if report.revectored else ""
        print(f"{report.documents} documents indexed ({report.new} new, {report.changed} changed{again})",
              file=sys.stderr)
        for s in report.skipped:
            print(f"skipped: {s['path']}: {s['reason']}", file=sys.stderr)
    app = build_app(assistant)
    if later:
        # an upload replacing an earlier version when the server stopped still has that version kept aside
        app.library_worker.add([(path, True, previous(path).exists()) for path in later])
        print(f"adding in the background, after the page is up: {', '.join(p.name for p in later)}",
              file=sys.stderr)
    threading.Thread(target=assistant.warm_up, name="warm-up", daemon=True).start()
    app.queue(default_concurrency_limit=1)
    # quiet: Gradio's own banner suggests share=True, which this app never uses (nothing leaves the machine).
    app.launch(server_name=host, server_port=port, share=False, ssr_mode=False, show_error=False,
               prevent_thread_lock=True, quiet=True,
               max_file_size=int(TRANSIT_FACTOR * settings.max_file_mb * 1024 * 1024))
    print(f"Serving on http://{host}:{port}/ (Ctrl-C stops)", file=sys.stderr, flush=True)
    if block:
        try:
            app.block_thread()
        except KeyboardInterrupt:
            pass
    return app
