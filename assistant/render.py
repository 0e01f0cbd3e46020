"""HTML of the web app: chat messages, sources, the document view, the library. Every piece of text goes
through one of two escapes (esc, chat_text), so report text and questions are always shown as text."""

from __future__ import annotations

import html
import re
import time
from dataclasses import replace
from pathlib import Path

from .answer import joined, opens_line
from .text import heading_lines
from .types import Answer, Citation, Passage

WEAK = 0.5  # a sentence whose support is below this is marked for the reader to check
CONTEXT_CHARS = 4000  # document text shown either side of a cited span
SNIPPET_CHARS = 220  # of each citation's own passage, in the sources panel
MARKER = re.compile(r"\[(\d+)\]")
QUOTE_CONTEXT = 24  # characters before a marker that show it is part of quoted report text
# Everything Markdown, LaTeX or HTML could read as syntax becomes a numeric entity in chat messages.
_SPECIAL = frozenset("&<>\"'`\\*_{}[]()#+-.!|~$:/=%@^")
LANGUAGES = {"en": "English", "sr": "Serbian", "ru": "Russian"}
RANK_HELP = ("Sources are ranked by how well each passage matched the question, 1 being the best. The "
             "underlying scores mix meaning and keyword matches and have no fixed scale, so ranks are shown.")
EMPTY_LIBRARY = "Nothing is indexed yet: upload a report or run `assistant ingest`."
_SHOWN = re.compile(r"<h4 data-doc='([^']*)'>")  # render_document's heading: which report it shows
DOC_PLACEHOLDER = "<p class='doc-meta'>Click a [n] marker to see the cited passage in its document.</p>"


def esc(text: str) -> str:
    """Return text escaped for an HTML element."""
    return html.escape(str(text), quote=True)


def chat_text(text: str) -> str:
    """Return text that a Markdown+HTML chat message shows literally (no links, tags, emphasis, maths)."""
    return "".join(f"&#{ord(c)};" if c in _SPECIAL else c for c in str(text))


def language_name(code: str) -> str:
    """Return a language's name for people ("English"), or the code when it has none here."""
    return LANGUAGES.get(code, code or "unknown")


# --- chat --------------------------------------------------------------------------------------------


def cite_link(turn: int, n: int) -> str:
    """Return the link of marker [n] in a turn; the click handler reads turn and n from its href."""
    return f'<a class="cite" href="#cite-{turn}-{n}">&#91;{n}&#93;</a>'


def _quoted(text: str, start: int, end: int, quotes: list[str]) -> bool:
    """Return whether the marker at text[start:end] is part of report text the sentence quotes."""
    context = text[max(0, start - QUOTE_CONTEXT) : end]
    return any(context in q for q in quotes)


def with_links(text: str, turn: int, known: set[int], quotes: list[str] = ()) -> str:
    """Return text for the chat with the answerer's markers of known citations as links; a bracketed
    number that belongs to quoted report text ("(annex [2])") stays text."""
    parts, pos = [], 0
    for m in MARKER.finditer(text):
        n = int(m.group(1))
        link = n in known and not _quoted(text, m.start(), m.end(), list(quotes))
        parts += [chat_text(text[pos:m.start()]), cite_link(turn, n) if link else chat_text(m.group())]
        pos = m.end()
    return "".join(parts + [chat_text(text[pos:])])


def render_answer(answer: Answer, turn: int) -> str:
    """Return the chat message of an answer: [n] as links, weakly supported sentences marked."""
    known = {c.n for c in answer.citations}
    by_n = {c.n: c for c in answer.citations}
    rest, parts = answer.answer, []
    for s in answer.sentences:  # partial answers are a prefix of the sentences
        if not rest.startswith(s.text):
            break
        rest = rest[len(s.text):].lstrip()
        quotes = [t for n in s.citations if n in by_n for t in _texts(by_n[n])]
        body = with_links(s.text, turn, known, quotes)
        if s.flagged or s.support < WEAK:
            body = f'<span class="weak" title="weak support ({s.support:.2f}): check the source">{body}</span>'
        parts.append(body)
    all_quotes = [t for c in answer.citations for t in _texts(c)]
    body = joined(parts, [opens_line(s, by_n) for s in answer.sentences[:len(parts)]], "<br>")
    return " ".join(([body] if body else []) + ([with_links(rest, turn, known, all_quotes)] if rest else []))


def _texts(c: Citation) -> list[str]:
    return [c.text] + ([c.twin.text] if c.twin else [])


def render_chips(langs, doc_ids) -> str:
    """Return the active filters as chips shown by the question box."""
    chips = [f'<span class="chip" title="Only reports in this language are searched">{esc(language_name(c))}</span>'
             for c in langs or ()]
    chips += [f'<span class="chip" title="Only this document is searched">{esc(d)}</span>' for d in doc_ids or ()]
    if not chips:
        return "<span class='chips-none'>Searching every report.</span>"
    return f"<span class='chips-label'>Searching only:</span> {' '.join(chips)}"


# --- sources and the document view -------------------------------------------------------------------


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """Return the start of a passage, cut at a word, for the sources list."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def render_sources(answer: Answer | None, turn: int, active: int | None = None, gone: frozenset = frozenset()) -> str:
    """Return the sources panel: per citation its [n], its report's title, language, date, file, rank by
    match (explained on hover) and its own passage; a citation of a report in gone (deleted from the library
    since the answer) says so."""
    if answer is not None and not answer.found and answer.related:
        return render_related(answer)
    if answer is None or not answer.citations:
        return "<h4>Sources</h4><p class='src-meta'>The sources of an answer appear here.</p>"
    weak = {n for s in answer.sentences if s.flagged or s.support < WEAK for n in s.citations}
    order = sorted(answer.citations, key=lambda c: -c.score)
    rank = {c.n: i for i, c in enumerate(order, 1)}
    total = len(order)
    items = [
        f'<li class="{"active" if c.n == active else ""}">{cite_link(turn, c.n)} '
        f'<span class="src-title">{esc(c.title)}</span>'
        f'<div class="src-meta">{esc(language_name(c.language))} · {esc(c.date or "no date")} · '
        f'{esc(Path(c.source).name)}{_page(c)} · <span class="rank" title="{esc(RANK_HELP)}">match {rank[c.n]} of {total}'
        f'</span>{" · <span class=notice>weak support</span>" if c.n in weak else ""}'
        f'{" · <span class=notice>deleted from the library</span>" if c.doc_id in gone else ""}</div>'
        f'<div class="snippet">{esc(snippet(c.text))}</div></li>'
        for c in answer.citations
    ]
    return f"<h4>Sources</h4><ul class='src-list'>{''.join(items)}</ul>"


def _page(c: Citation | Passage) -> str:
    """Return " · p. 3" for a citation or passage of a document read page by page (a PDF), else ""."""
    return f" · p. {c.page}" if c.page is not None else ""


def render_related(answer: Answer) -> str:
    """Return the passages closest to a question the reports do not answer, apart from the answer: reading
    that may help, never presented as the answer."""
    items = [f'<li><span class="src-title">{esc(p.title)}</span>'
             f'<div class="src-meta">{esc(language_name(p.language))} · {esc(p.date or "no date")} · '
             f'{esc(Path(p.source).name)}{_page(p)}</div><div class="snippet">{esc(snippet(p.text))}</div></li>'
             for p in answer.related]
    return ("<h4>Related reading</h4><p class='src-meta'>No passage answers the question; these come closest. "
            f"They are not an answer.</p><ul class='src-list related'>{''.join(items)}</ul>")


def _shown(text: str, start: int, end: int, pages: tuple[tuple[int, int], ...] = ()) -> str:
    """Return text[start:end] escaped, its heading lines shown as headings rather than as '#' marks, and a
    label where each page of a document read page by page begins, as a printed copy would be looked up (a
    page beginning at end is labelled here: the cited passage that follows may open it)."""
    starts = [(at, page) for at, page in pages if start < at <= end]
    if starts:
        bounds = [start] + [at for at, _ in starts] + [end]
        return "".join((f'<span class="page-start">p. {starts[i - 1][1]}</span>' if i else "") +
                       _shown(text, bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1))
    out, at = [], start
    for line_start, line_end, words in heading_lines(text, start, end):
        out += [esc(text[at:line_start]), f'<strong class="doc-heading">{esc(text[words:line_end])}</strong>']
        at = line_end
    return "".join(out) + esc(text[at:end])


def located(text: str, c: Citation) -> tuple[int, int] | None:
    """Return where the citation's passage is in the document's text now: its own span while that still holds
    it, else the occurrence nearest to it (the report was edited around it), else None (the passage is gone).
    A saved conversation outlives the text it cited: a report edited and ingested again keeps its id."""
    if text[c.start:c.end] == c.text:
        return c.start, c.end
    found = [m.start() for m in re.finditer(re.escape(c.text), text)] if c.text else []
    if not found:
        return None
    start = min(found, key=lambda i: abs(i - c.start))
    return start, start + len(c.text)


def shown_document(view: str) -> str:
    """Return the doc_id of the report a document view (render_document's HTML) shows, or "" for none."""
    found = _SHOWN.search(view or "")
    return html.unescape(found.group(1)) if found else ""


def render_gone(doc_id: str) -> str:
    """Return the document view of a report deleted while it was shown."""
    return (f"<p class='notice'>{esc(doc_id)} is no longer in the library: it was deleted, so its text is not "
            "shown.</p>")


def render_deleted(c: Citation) -> str:
    """Return the document view of a citation whose report was deleted from the library since the answer:
    what was cited, as the answer quoted it (a saved chat outlives its reports)."""
    return (f"<h4 data-doc='{esc(c.doc_id)}'>[{c.n}] {esc(c.title)}</h4><div class=\"doc-meta\">"
            f"{esc(Path(c.source).name)}{_page(c)}</div><p class='notice'>{esc(c.doc_id)} is no longer in the "
            "library: it was deleted after this answer. The passage it cited was:</p>"
            f'<div class="doc-text"><mark class="cited gone">{esc(c.text)}</mark></div>')


def render_document(text: str, c: Citation, weak: bool, pages: tuple[tuple[int, int], ...] = ()) -> str:
    """Return the cited document around the citation, the cited span in <mark>, and its twin sentence; when
    the document no longer holds the passage, the passage as the answer quoted it, and no mark. pages
    (DocRecord.pages) labels where each page begins outside the mark."""
    span = located(text, c)
    heading = f"<h4 data-doc='{esc(c.doc_id)}'>[{c.n}] {esc(c.title)}</h4>"
    if span is None:
        return (f'{heading}<div class="doc-meta">{esc(Path(c.source).name)}</div>'
                '<p class="notice">This report has changed since the answer: the passage it cited is no longer '
                'in it. Ask again to get an answer from the report as it is now. The passage cited was:</p>'
                f'<div class="doc-text"><mark class="cited gone">{esc(c.text)}</mark></div>')
    moved = span != (c.start, c.end)
    c = replace(c, start=span[0], end=span[1])
    lo, hi = max(0, c.start - CONTEXT_CHARS), min(len(text), c.end + CONTEXT_CHARS)
    body = (("…" if lo else "") + _shown(text, lo, c.start, pages) + f'<mark class="cited" id="cite-mark">'
            f'{esc(text[c.start:c.end])}</mark>' + _shown(text, c.end, hi, pages) + ("…" if hi < len(text) else ""))
    notice = ('<p class="notice">The answer sentence citing this passage has weak support: read the passage '
              'before relying on it.</p>') if weak else ""
    twin = (f'<div class="twin"><div class="doc-meta">Aligned sentence in {esc(language_name(c.twin.language))} '
            f'({esc(c.twin.doc_id)})</div>{esc(c.twin.text)}</div>') if c.twin else ""
    return (f'{heading}<div class="doc-meta">{esc(Path(c.source).name)}{_page(c)} · '
            f'{esc(language_name(c.language))} · {esc(c.date or "no date")} · characters {c.start}–{c.end}'
            f'{" (moved: the report was edited since the answer)" if moved else ""}</div>'
            f'{notice}<div class="doc-text">{body}</div>{twin}')


# --- the library ---------------------------------------------------------------------------------------


def render_library(records, library: Path) -> str:
    """Return the table of indexed reports: title, language, script, date, chunks and source file."""
    if not records:
        return f"<p class='empty-library'>{esc(EMPTY_LIBRARY)}</p>"
    rows = []
    for r in records:
        source = Path(r.source)
        where = "library" if library.resolve() in Path(r.location).resolve().parents else str(source.parent)
        date = r.date + (f" (from {r.date_from})" if r.date_from else "") if r.date else "no date"
        rows.append(f"<tr data-doc='{esc(r.doc_id)}'><td class='lib-title'>{esc(r.title)}<div class='doc-meta'>"
                    f"{esc(r.doc_id)}</div></td><td>{esc(language_name(r.language))}</td><td>{esc(r.script)}</td>"
                    f"<td>{esc(date)}</td><td class='num'>{r.chunks}</td>"
                    f"<td>{esc(source.name)}<div class='doc-meta'>{esc(where)}</div></td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("Title", "Language", "Script", "Date", "Chunks", "Source"))
    # In a box of its own that scrolls sideways: on a phone the page itself does not, and the columns past the
    # title (date, source) would be cut off.
    return (f"<div class='library-scroll'><table class='library'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


# Seconds of a step, and a share of it done, before its pace says how long the rest will take.
ETA_AFTER_SECONDS = 5.0


def time_left(done: int, total: int, since: float, now: float) -> str:
    """Return how long the rest of a step will take at the pace it has kept ("about 3 min left"), or "" when it
    is too early to tell."""
    elapsed = now - since
    if not since or done <= 0 or total <= done or elapsed < ETA_AFTER_SECONDS:
        return ""
    left = elapsed / done * (total - done)
    if left < 60:
        return f"about {max(5, round(left / 5) * 5)} s left"
    if left < 3600:
        return f"about {round(left / 60)} min left"
    return f"about {left / 3600:.1f} h left"


def render_status(status, now: float | None = None) -> str:
    """Return the library worker's progress, or once it is idle the results of its last job, in plain words."""
    parts = []
    if status.busy:
        eta = time_left(status.done, status.total, status.since, time.monotonic() if now is None else now)
        share = (f"{status.done}/{status.total}" if status.total else "") + (f", {eta}" if eta else "")
        bar = (f"<progress max='{status.total}' value='{status.done}'></progress>" if status.total
               else "<progress></progress>")
        queued = f" ({status.waiting} more waiting)" if status.waiting else ""
        parts.append(f"<div class='working'>{bar} <span>{esc(status.label)} {share}{queued} — questions are "
                     "still answered meanwhile from what is already indexed.</span></div>")
    # The results are the last finished job's: while another runs they would read as its own (an upload's
    # progress bar under "✓ Added census_b.txt" of an upload days before).
    parts += [f"<p class='{'notice' if bad else 'ok'}'>{'✗' if bad else '✓'} {esc(line)}</p>"
              for line, bad in (() if status.busy else status.messages)]
    return "".join(parts)
