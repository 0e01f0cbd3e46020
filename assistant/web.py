"""The Gradio app: streamed answers whose [n] markers open the cited passage inside its document."""

from __future__ import annotations

import html
import json
import re
import shutil
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import gradio as gr

from .chat import as_messages
from .config import Settings, setup_offline_env
from .core import Assistant, EmptyIndexError, QuestionError, StoreError, history_from_json
from .retrieval import Filters
from .types import Answer, Citation

EXAMPLES = (
    "What did DPNSEE say?",
    "Колико држава чланица ЕУ је послало стручњаке на радионицу у Сарајеву?",
    "Что сказал Виктор Иванов о производстве героина?",
)
WEAK = 0.5  # a sentence whose support is below this is marked for the reader to check
CONTEXT_CHARS = 4000  # document text shown either side of a cited span
MARKER = re.compile(r"\[(\d+)\]")
# Everything Markdown, LaTeX or HTML could read as syntax becomes a numeric entity in chat messages.
_SPECIAL = frozenset("&<>\"'`\\*_{}[]()#+-.!|~$:/=%@^")

# Global styles and the click handler ride on the sources panel (gr.HTML `head` and `js_on_load`), so the
# app needs nothing passed to launch(). Clicks on any a.cite (chat or panel) become one 'cite' event; the
# turn and number travel in the href because the chat's sanitizer drops data-* attributes.
CSS = """<style>
#chat a.cite, a.cite { font-weight: 600; text-decoration: none; cursor: pointer; padding: 0 .15em; border-radius: 4px;
  background: var(--color-accent-soft); color: var(--color-accent); }
.weak { text-decoration: underline wavy #d97706; text-underline-offset: 3px; }
.src-list { list-style: none; padding: 0; margin: 0; }
.src-list li { margin: .3em 0; } .src-list li.active { font-weight: 600; }
.src-meta, .doc-meta { color: var(--body-text-color-subdued); font-size: .9em; }
.doc-text { white-space: pre-wrap; max-height: 420px; overflow-y: auto; border: 1px solid
  var(--border-color-primary); padding: .6em; border-radius: 6px; }
mark.cited { background: #fde68a; color: #111; padding: 0 .1em; }
.twin { border-left: 3px solid var(--color-accent); padding-left: .6em; margin-top: .6em; }
.notice { color: #b45309; }
</style>"""
CLICK_JS = r"""
window.__assistantCite = trigger;
if (!window.__assistantCiteBound) {
  window.__assistantCiteBound = true;
  document.addEventListener('click', (e) => {
    const a = e.target.closest ? e.target.closest('a.cite') : null;
    const m = a ? /^#cite-(\d+)-(\d+)$/.exec(a.getAttribute('href') || '') : null;
    if (!m) return;
    e.preventDefault();
    e.stopPropagation();
    window.__assistantCite('cite', {turn: Number(m[1]), n: Number(m[2])});
  }, true);
}
"""
SCROLL_JS = "watch('value', () => element.querySelector('mark')?.scrollIntoView({block: 'center'}));"
DOC_PLACEHOLDER = "<p class='doc-meta'>Click a [n] marker to see the cited passage in its document.</p>"


@dataclass(frozen=True)
class Turn:
    """One exchange: the question and its answer, or the message saying why there is none."""

    question: str
    answer: Answer | None = None
    error: str = ""


@dataclass(frozen=True)
class Session:
    """What a browser tab remembers: its turns; the last answer carries cited documents to follow-ups."""

    turns: tuple[Turn, ...] = field(default_factory=tuple)

    @property
    def last(self) -> Answer | None:
        """Return the latest answer, if any."""
        return next((t.answer for t in reversed(self.turns) if t.answer), None)

    def history(self) -> list:
        """Return the conversation as Messages (answers only, errors left out)."""
        pairs = [m for t in self.turns if t.answer for m in
                 ({"role": "user", "content": t.question}, {"role": "assistant", "content": t.answer.answer})]
        return as_messages(pairs)


# --- rendering: every piece of text goes through one of these two escapes -----------------------------


def esc(text: str) -> str:
    """Return text escaped for an HTML element."""
    return html.escape(str(text), quote=True)


def chat_text(text: str) -> str:
    """Return text that a Markdown+HTML chat message shows literally (no links, tags, emphasis, maths)."""
    return "".join(f"&#{ord(c)};" if c in _SPECIAL else c for c in str(text))


def _cite_link(turn: int, n: int) -> str:
    return f'<a class="cite" href="#cite-{turn}-{n}">&#91;{n}&#93;</a>'


def _with_links(text: str, turn: int, known: set[int]) -> str:
    parts, pos = [], 0
    for m in MARKER.finditer(text):
        n = int(m.group(1))
        parts += [chat_text(text[pos:m.start()]), _cite_link(turn, n) if n in known else chat_text(m.group())]
        pos = m.end()
    return "".join(parts + [chat_text(text[pos:])])


def render_answer(answer: Answer, turn: int) -> str:
    """Return the chat message of an answer: [n] as links, weakly supported sentences marked."""
    known = {c.n for c in answer.citations}
    rest, parts = answer.answer, []
    for s in answer.sentences:  # partial answers are a prefix of the sentences
        if not rest.startswith(s.text):
            break
        rest = rest[len(s.text):].lstrip()
        body = _with_links(s.text, turn, known)
        if s.flagged or s.support < WEAK:
            body = f'<span class="weak" title="weak support ({s.support:.2f}): check the source">{body}</span>'
        parts.append(body)
    return " ".join(parts + ([_with_links(rest, turn, known)] if rest else []))


def render_chat(session: Session) -> list[dict]:
    """Return the Chatbot messages of a session."""
    out = []
    for i, t in enumerate(session.turns):
        out.append({"role": "user", "content": chat_text(t.question)})
        reply = render_answer(t.answer, i) if t.answer else f'<span class="notice">{chat_text(t.error)}</span>'
        out.append({"role": "assistant", "content": reply})
    return out


def render_sources(answer: Answer | None, turn: int, active: int | None = None) -> str:
    """Return the sources panel: per citation its [n], title, language, date, file name and score."""
    if answer is None or not answer.citations:
        return "<h4>Sources</h4><p class='src-meta'>The sources of an answer appear here.</p>"
    weak = {n for s in answer.sentences if s.flagged or s.support < WEAK for n in s.citations}
    items = [
        f'<li class="{"active" if c.n == active else ""}">{_cite_link(turn, c.n)} {esc(c.title)}'
        f'<div class="src-meta">{esc(c.language)} · {esc(c.date or "no date")} · {esc(Path(c.source).name)}'
        f' · score {c.score:.3f}{" · <span class=notice>weak support</span>" if c.n in weak else ""}</div></li>'
        for c in answer.citations
    ]
    return f"<h4>Sources</h4><ul class='src-list'>{''.join(items)}</ul>"


def render_document(text: str, c: Citation, weak: bool) -> str:
    """Return the cited document around the citation, the cited span in <mark>, and its twin sentence."""
    lo, hi = max(0, c.start - CONTEXT_CHARS), min(len(text), c.end + CONTEXT_CHARS)
    body = (("…" if lo else "") + esc(text[lo:c.start]) + f'<mark class="cited" id="cite-mark">'
            f'{esc(text[c.start:c.end])}</mark>' + esc(text[c.end:hi]) + ("…" if hi < len(text) else ""))
    notice = ('<p class="notice">The answer sentence citing this passage has weak support: read the passage '
              'before relying on it.</p>') if weak else ""
    twin = (f'<div class="twin"><div class="doc-meta">Aligned sentence in {esc(c.twin.language)} '
            f'({esc(c.twin.doc_id)})</div>{esc(c.twin.text)}</div>') if c.twin else ""
    return (f'<h4>[{c.n}] {esc(c.title)}</h4><div class="doc-meta">{esc(Path(c.source).name)} · '
            f'{esc(c.language)} · {esc(c.date or "no date")} · characters {c.start}–{c.end}</div>'
            f'{notice}<div class="doc-text">{body}</div>{twin}')


# --- uploads -----------------------------------------------------------------------------------------


def place_upload(upload: Path, folder: Path) -> tuple[Path, bool]:
    """Return where an upload now lives in folder (same name, or a suffixed one if that name holds other
    content) and whether it is a new file there."""
    name = Path(upload.name).name.lstrip(".") or "upload"
    target, data = folder / name, upload.read_bytes()
    stem, suffix, i = Path(name).stem, Path(name).suffix, 1
    while target.exists():
        if target.is_file() and target.read_bytes() == data:
            return target, False
        target, i = folder / f"{stem}-{i}{suffix}", i + 1
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(upload, target)
    return target, True


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


def _choices(assistant: Assistant) -> tuple[list[str], list[tuple[str, str]]]:
    docs = assistant.documents()
    return (sorted({d.language for d in docs}),
            [(f"{d.doc_id} — {d.title[:60]}", d.doc_id) for d in docs])


def _header(assistant: Assistant) -> str:
    n = len(assistant.documents())
    return (f"<h2>Ask the reports</h2><p class='src-meta'>Answers: <b>{esc(assistant.answerer_name)}</b> · "
            f"{n} document{'s' if n != 1 else ''} indexed · every sentence cites its source; click a [n] to "
            "read it.</p>")


def _refresh(assistant: Assistant) -> tuple:
    langs, docs = _choices(assistant)
    return _header(assistant), gr.update(choices=langs), gr.update(choices=docs)


# --- the app -----------------------------------------------------------------------------------------


def build_app(assistant: Assistant) -> gr.Blocks:
    """Return the Gradio app serving assistant: chat, sources, document view, filters, uploads, /ask."""
    languages, docs = _choices(assistant)
    private = {"api_visibility": "private"}
    shared = {"concurrency_id": "assistant", "concurrency_limit": 1}  # asks never race an ingest

    def respond(question, session: Session, langs, doc_ids):
        filters = Filters(languages=tuple(langs or ()), doc_ids=tuple(doc_ids or ()))
        turn, busy, idle = len(session.turns), gr.update(interactive=False), gr.update(interactive=True)
        try:
            for answer in assistant.stream(question, session.history(), filters, None, session.last):
                now = replace(session, turns=session.turns + (Turn(answer.question, answer),))
                yield render_chat(now), "", render_sources(answer, turn), now, busy
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), idle  # Send comes back when the answer is whole
        except (QuestionError, EmptyIndexError, StoreError) as e:
            now = replace(session, turns=session.turns + (Turn(str(question or ""), error=f"⚠ {e}"),))
            yield render_chat(now), question, gr.skip(), now, idle

    def show(session: Session, evt: gr.EventData):
        data = evt._data if isinstance(evt._data, dict) else {}
        try:
            turn, n = int(data.get("turn")), int(data.get("n"))
            answer = session.turns[turn].answer
            c = next(c for c in answer.citations if c.n == n)
            text = assistant.document_text(c.doc_id)
            if text is None:
                raise KeyError(c.doc_id)
        except (TypeError, ValueError, IndexError, AttributeError, StopIteration, KeyError):
            return gr.skip(), "<p class='notice'>That citation is no longer available.</p>"
        weak = any(n in s.citations and (s.flagged or s.support < WEAK) for s in answer.sentences)
        return render_sources(answer, turn, n), render_document(text, c, weak)

    def add(files, progress=gr.Progress()):  # noqa: B008 (how Gradio asks for a progress bar)
        try:
            placed = [place_upload(Path(f), assistant.settings.seeds) for f in files or []]
        finally:  # the copy in seeds/ is what counts; Gradio's temporary one would stay until shutdown
            for f in files or []:
                Path(f).unlink(missing_ok=True)
        if not placed:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), None
        report = assistant.ingest([p for p, _ in placed], progress=lambda label, done, total: progress(
            (done, total) if total else None, desc=label))
        bad = {Path(s["path"]).name: s["reason"].replace(s["path"], Path(s["path"]).name) for s in report.skipped}
        for path, new in placed:  # an unreadable upload does not stay in the seeds folder
            if new and path.name in bad:
                path.unlink(missing_ok=True)
        good = [p.name for p, _ in placed if p.name not in bad]
        lines = ([f"<p>Added {len(good)} file(s): {esc(', '.join(good))}.</p>"] if good else []) + [
            f'<p class="notice">✗ {esc(k)} was not added: {esc(v)}</p>' for k, v in bad.items()]
        return "".join(lines), *_refresh(assistant), None

    def api_ask(question: str, history_json: str = "[]") -> dict:
        """Return the cited answer to question as the CLI's --json object; history_json is a JSON list of
        {"role", "content"} turns."""
        try:
            return assistant.ask(question, api_history(history_json)).to_json()
        except (QuestionError, EmptyIndexError, StoreError) as e:
            raise gr.Error(str(e)) from None

    # delete_cache: whatever Gradio keeps of uploads is removed when the server stops.
    with gr.Blocks(title="Reports assistant", analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        header = gr.HTML(_header(assistant), elem_id="header")
        session = gr.State(Session())
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(elem_id="chat", height=460, sanitize_html=True, latex_delimiters=[],
                                  feedback_options=None, buttons=[], label="Conversation")
                with gr.Row():
                    question = gr.Textbox(placeholder="Ask about the reports (English, српски, srpski, русский)",
                                          show_label=False, scale=5, elem_id="question", max_lines=4)
                    send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
                with gr.Row():
                    examples = [gr.Button(q, size="sm", elem_classes="example") for q in EXAMPLES]
                clear = gr.Button("New conversation", size="sm", elem_id="new-conversation")
                with gr.Accordion("Filters", open=True):
                    langs = gr.CheckboxGroup(languages, label="Languages", elem_id="languages")
                    doc_ids = gr.Dropdown(docs, multiselect=True, label="Documents", elem_id="documents")
                with gr.Accordion("Add documents", open=True):
                    files = gr.File(file_count="multiple", label="txt, md, html, pdf, docx", elem_id="upload")
                    added = gr.HTML("", elem_id="upload-status")
            with gr.Column(scale=2):
                sources = gr.HTML(render_sources(None, 0), label="Sources", elem_id="sources",
                                  head=CSS, js_on_load=CLICK_JS)
                document = gr.HTML(DOC_PLACEHOLDER, elem_id="document", js_on_load=SCROLL_JS)

        ask = {"fn": respond, "inputs": [question, session, langs, doc_ids],
               "outputs": [chat, question, sources, session, send], **private, **shared}
        question.submit(**ask)
        send.click(**ask)
        for button in examples:
            button.click(lambda q: q, button, question, **private).then(**ask)
        reset = {"fn": lambda: ([], "", render_sources(None, 0), DOC_PLACEHOLDER, Session()),
                 "outputs": [chat, question, sources, document, session], **private}
        clear.click(**reset)
        chat.clear(**reset)  # the chat's own trash button must forget the conversation too
        sources.cite(show, session, [sources, document], **private)
        files.upload(add, files, [added, header, langs, doc_ids, files], **private, **shared)
        app.load(lambda: _refresh(assistant), None, [header, langs, doc_ids], **private)
        gr.api(api_ask, api_name="ask", **shared)
    return app


def _print_progress():
    seen = {"label": None}

    def update(label: str, done: int, total: int) -> None:
        if label != seen["label"]:
            seen["label"] = label
            print(f"ingest: {label} ({done}/{total})", file=sys.stderr, flush=True)

    return update


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, ingest_first: bool = True,
          block: bool = True) -> gr.Blocks:
    """Bring the index up to date with settings.seeds (when ingest_first), then serve the app on host:port;
    return the running app (block=False returns at once)."""
    setup_offline_env()
    assistant = Assistant(settings)
    if ingest_first:
        report = assistant.ingest([settings.seeds], progress=_print_progress())
        print(f"{report.documents} documents indexed ({report.new} new, {report.changed} changed)", file=sys.stderr)
        for s in report.skipped:
            print(f"skipped: {s['path']}: {s['reason']}", file=sys.stderr)
    app = build_app(assistant)
    app.queue(default_concurrency_limit=1)
    app.launch(server_name=host, server_port=port, share=False, ssr_mode=False, show_error=False,
               prevent_thread_lock=not block, quiet=not block,
               max_file_size=int(settings.max_file_mb * 1024 * 1024))  # larger uploads are refused in transit
    return app
