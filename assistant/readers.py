"""Readers: a file of each supported format (txt, md, html, pdf, docx) to text and a title hint, with
encodings detected and hostile inputs (zip bombs, script-stuffed or deeply nested HTML) refused."""

from __future__ import annotations

import collections
import contextlib
import functools
import io
import itertools
import logging
import re
import unicodedata
import warnings
import zipfile
from pathlib import Path
from typing import NamedTuple

import regex

from .text import LIST_ITEM

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}
# Bump a format's version when what is read from its files changes (their text, or what ingest makes of
# their headings): the next ingest reads the files of that format again, and only those
# (corpus.PIPELINE_VERSION re-reads every file). html 2: headings marked as Markdown heading lines; docx 3:
# its List paragraphs as Markdown items; +1 for md, html and docx: sentences are placed as in a text file
# (text.body_positions), which the stored dateline facts depend on; html 4: the fallback reader writes a
# list item as a "- " line; html 5: the fallback reader drops <nav> blocks. html 6: figure captions are read, a
# list is a block of its own, and a definition list's terms are items with their definitions on the line after.
# html 7: a table's rows are read as a Word table's, without Markdown's pipes at their ends and "|---|" rule.
# html 8: a page whose only text is its <noscript> notice is refused. html 9: an inline element's tags are no gap in
# its text (the fallback reader; a <q>), a short page the extractor found no main text in is read by blocks, and the
# fallback reader's table cells are apart by " | ", and a pull quote is read once (in the article), not twice.
# html 10: the fallback reader keeps a table's row one line when its cells hold paragraphs or line breaks.
# md 3: a front matter block's title is the title, and its "---" never is.
# pdf 5: page numbers are dropped (without_page_furniture), and a short page's title line is not wrapped; pdf 6:
# running headers and footers are dropped. docx 6: text in tracked insertions, content controls, fields, smart tags,
# text boxes and nested tables is read. md 4: Markdown is read as the text it shows (markdown_text), not its source.
# pdf 7: a run of spaces in a line (justified text) is one space. md 5: a paragraph indented by four spaces is read,
# footnote markers are dropped and footnotes are paragraphs at the end, and "| a | b |" rows without a header row
# are table rows. md 6: a "> " block quote that repeats the text (a pull quote) is read once, as an HTML page's is.
# md 7: an HTML block's table row is one line when its cells hold paragraphs (html 10). pdf 8: a paragraph ends
# where the print leaves a wider gap than between its lines (paragraph_breaks). html 11: an article's headline and
# standfirst above a body the extractor took alone are read (_left_above). pdf 9: a line atop both pages of a
# two-page report is a running header when it cuts a sentence (_cuts_a_sentence). html 12: elements a page marks
# as advertisements are not read (_drop_ads).
READER_VERSIONS = {".md": "7", ".markdown": "7", ".html": "12", ".htm": "12", ".docx": "6", ".pdf": "9"}


class ReadError(Exception):
    """A file that cannot become a document; the message says why, for a person to act on."""


class Reading(NamedTuple):
    """What a reader makes of a file: its text, the title it names (None: the text's own is taken), a PDF's
    text page by page (citations name the page they are on), and a date it states apart from its text (a
    Markdown front matter's "date:"; None: the text's first date is the document's)."""

    text: str
    title: str | None
    pages: tuple[str, ...] | None = None
    date: str | None = None


def decode(data: bytes, name: str) -> str:
    """Return bytes as text in whatever common encoding they are in (UTF-8/16, Windows-1251, …)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", name)
    if b"\x00" in data[:4096]:
        sample = data[:4096]
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        # UTF-16 without a byte-order mark: one byte of every pair is mostly zero for Latin text,
        # and for Cyrillic (U+04xx) one byte is always 0x04.
        if odd > len(sample) // 4 or sample[1::2].count(4) > len(sample) // 4:
            return _strict(data, "utf-16-le", name, marked=False)
        if even > len(sample) // 4 or sample[0::2].count(4) > len(sample) // 4:
            return _strict(data, "utf-16-be", name, marked=False)
        if even + odd > max(1, len(sample) // 100):
            raise ReadError(f"{name} is binary (it has NUL bytes), not text")
        # A stray NUL or two (a bad copy, a truncated save) is no binary file: the text is read, and cleaning
        # drops the NUL, as it does one further on. One in the first 4 KB had refused the whole file.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # UTF-8 with a few stray bytes (a copy-paste, a truncated download) is still UTF-8: its letters beyond
    # ASCII decode as such, where a one-byte code page (Windows-1250/1251) gives almost none that do. Read
    # as a code page instead, every letter of it would be garbled ("IzveĹˇtaj").
    text = data.decode("utf-8", errors="replace")
    stray = text.count("\ufffd")
    if sum(1 for c in text if ord(c) > 127) - stray >= 2 * stray:
        return text
    from charset_normalizer import from_bytes

    # charset-normalizer's best() ranks code pages by sampled chaos and letter-frequency coherence, which
    # do not tell apart pages that differ in a few letters: ISO-8859-2 Serbian or Polish came out as
    # Windows-1250 ("Izveątaj", "®ivković") or ISO-8859-10 ("Žródģa"). Its shortcuts also leave the right
    # page out: a confident first guess, or a rejected one (Windows-1250 for Polish in ISO-8859-2), has
    # its near relatives skipped, ISO-8859-2 among them; a spurious Shift_JIS reading of short KOI8-R has
    # every one-byte page skipped. So it is asked twice: as it likes, and for each common page (threshold
    # 1 so that none is rejected, and none skipped as a relative; its usual bar, chaos under 0.2, is kept
    # here). The reading taken, in this order:
    # - has the fewest implausible characters (_IMPLAUSIBLE, counted in the lines with a byte beyond
    #   ASCII, where readings differ, up to 32 KB);
    # - is of a common page rather than a rare one (whose letters are as plausible as those of the common
    #   page it is mistaken for);
    # - has more of its letters in one language's alphabet: Spanish in Windows-1252 reads as letters in
    #   Windows-1250 too ("seńor"), and Hungarian in ISO-8859-2 in Windows-1252 ("határátkelõn"), but no
    #   language writes both ń and á, or õ and ö;
    # - is the most coherent, then of the page more text is written in.
    sample = b"\n".join(line for line in data.splitlines() if not line.isascii())[:_SAMPLE]
    found = {}
    every_common = from_bytes(data, cp_isolation=sorted(_COMMON_PAGES), threshold=1.0)
    for match in itertools.chain(from_bytes(data), every_common):
        if match.encoding not in found and match.chaos < 0.2:
            pages = [_COMMON_PAGES.index(page) for page in match.could_be_from_charset if page in _COMMON_PAGES]
            reading = sample.decode(match.encoding, errors="ignore")
            found[match.encoding] = [len(_IMPLAUSIBLE.findall(reading)), not pages, 0, -match.coherence,
                                     min(pages, default=0), reading, match]
    if not found:
        if b"\x00" in data[:4096]:  # a few NUL bytes, and no encoding reads the rest: a binary file after all
            raise ReadError(f"{name} is binary (it has NUL bytes), not text")
        raise ReadError(f"{name} is not text in any encoding we recognise")
    best = min(scored[:2] for scored in found.values())
    tied = [scored for scored in found.values() if scored[:2] == best]
    if len(tied) > 1:
        for scored in tied:
            scored[2] = -_in_one_alphabet(scored[5])
    return str(min(tied, key=lambda scored: scored[:5])[-1])


def _in_one_alphabet(text: str) -> int:
    """How many of the letters beyond ASCII in text are of the alphabet of one language, the best one."""
    letters = collections.Counter(c for c in text.lower() if c.isalpha() and not c.isascii())
    return max((sum(n for c, n in letters.items() if c in alphabet) for alphabet in _alphabets()), default=0)


@functools.cache
def _alphabets() -> list[frozenset[str]]:
    """The letters beyond ASCII that each language writes, from CLDR's words in that language (month, day
    and unit names, its own name), via Babel: CLDR's exemplar characters are not in Babel's data, and
    place and language names would bring in foreign letters ("Curaçao")."""
    from babel import Locale, localedata, parse_locale

    def strings(value):
        if isinstance(value, str):
            yield value
        elif hasattr(value, "values"):
            for item in value.values():
                yield from strings(item)

    alphabets = set()
    for identifier in localedata.locale_identifiers():
        if parse_locale(identifier)[1]:  # a country's variant: its language's letters
            continue
        locale = Locale.parse(identifier)
        words = [locale.months, locale.days, locale._data["unit_patterns"], locale.languages.get(identifier, "")]
        text = " ".join(text for part in words for text in strings(part)).lower()
        alphabets.add(frozenset(c for c in text if c.isalpha() and not c.isascii()))
    return list(alphabets)


# One-byte code pages that text files are commonly in, most used first (roughly as web surveys count
# them): Windows and ISO pages for Western, Cyrillic, Central European, Greek, Turkish, Hebrew, Arabic
# and Baltic text, KOI8 and DOS Cyrillic.
_COMMON_PAGES = ("cp1252", "latin_1", "cp1251", "cp1250", "iso8859_15", "iso8859_2", "cp1256", "cp1254",
                 "cp1253", "cp1255", "koi8_r", "iso8859_9", "iso8859_7", "iso8859_5", "cp1257", "iso8859_13",
                 "koi8_u", "cp866")
_SAMPLE = 1 << 15
# What a wrong code page makes of text in any language, where the right one makes letters: control
# characters (C1 controls are 0x80-0x9F of an ISO page) and unassigned code points; a symbol,
# superscript, fraction or odd punctuation between letters ("Izve¹taj", "s±siad") or a symbol opening a
# word ("®ivković", "¶ledztwo"; not «, which opens quotes); a capital after a small letter ("groĽba"); a
# combining mark with no letter under it (KOI8-R read as Hebrew); a Latin letter next to a letter of
# another script. Counted on every reading of the same bytes, what the readings share (a "©Reuters")
# weighs alike on each, and only where they differ decides.
_IMPLAUSIBLE = regex.compile(
    r"[\p{Cc}--[\t\n\r\f]]|[\p{Cn}\p{Co}]"
    r"|(?<=\p{L})[\p{S}\p{No}§¶¡¿«»](?=\p{L})|(?<![\p{L}\p{N}])[\p{S}\p{No}§¶](?=\p{L}\p{L})"
    r"|(?<=\p{Ll})\p{Lu}|(?<![\p{L}\p{M}])\p{M}"
    r"|(?<=\p{Latin})[\p{L}--\p{Latin}]|(?<=[\p{L}--\p{Latin}])\p{Latin}",
    regex.V1,
)


def _strict(data: bytes, encoding: str, name: str, marked: bool = True) -> str:
    """Decode UTF-16 that a byte-order mark announces (marked), or that the spacing of NUL bytes suggests;
    then what does not decode is a binary file, which is what the person is told."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        if not marked:
            raise ReadError(f"{name} is binary (it has NUL bytes and is not UTF-16 text), not text") from None
        raise ReadError(f"{name} looks like UTF-16 but does not decode: {e.reason}") from None


def _check_text(text: str, name: str) -> str:
    controls = sum(1 for c in text[:20000] if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    if controls > max(8, len(text[:20000]) // 50):
        raise ReadError(f"{name} is binary, not text")
    return text


# --- readers ----------------------------------------------------------------------------------------


# YAML front matter: a "---" line, "key: value" lines, a closing "---" line, at the very start of a file.
# Requiring a key on its first line keeps a text that merely opens with a rule from being read as one.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(\s*[A-Za-z_][\w-]*:.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_TITLE = re.compile(r"^title:[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_FRONT_DATE = re.compile(r"^date:[ \t]*(.*?)[ \t]*$", re.MULTILINE)


def front_matter(text: str) -> tuple[str | None, int]:
    """Return the title a leading front matter block gives (None when it gives none) and the offset where the
    text after the block starts (0 when there is no block). The block names the report; its "---" lines do not."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return None, 0
    title = _FRONT_TITLE.search(m.group(1) or "")
    return (title.group(1).strip("\"'").strip() or None) if title else None, m.end()


def _read_text(path: Path) -> Reading:
    return Reading(_check_text(decode(path.read_bytes(), path.name), path.name), None)


def _read_markdown(path: Path) -> Reading:
    """Return a Markdown file's text as it reads (markdown_text), titled by its front matter or else its first
    heading, and dated by its front matter's "date:" if it has one. The front matter block itself is no text:
    quoted, its "title: … author: … date:" lines made one answer sentence. A file of nothing but front matter
    keeps it as written, a note with a title, as it always was."""
    source = _check_text(decode(path.read_bytes(), path.name), path.name)
    source = source.replace("\r\n", "\n").replace("\r", "\n")  # a Windows file's front matter is one too
    title, body = front_matter(source)
    text = markdown_text(source[body:])
    if not any(c.isalnum() for c in text):
        text = source[:body] or text
    heading = None if title else re.search(r"^#{1,3} (.+)$", text, re.MULTILINE)
    dated = _FRONT_DATE.search(source[:body])
    # "2023-04-02T10:00:00Z" is a date and a time (a static site's post); as one word it was no date.
    date = re.sub(r"(?<=\d)T(?=\d)", " ", dated.group(1).strip("\"'")) if dated else None
    return Reading(text, title or (heading.group(1).strip() if heading else None), date=date)


@functools.cache
def _markdown_parser():
    """CommonMark (its nesting capped, so hostile input is cheap) with GitHub's tables, strikethrough and
    footnotes, and without indented code blocks: text indented by four spaces is a paragraph like any other."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    # In a report, a paragraph indented by four spaces is a pasted email quote or a continuation paragraph its
    # writer indented, written to be read, emphasis and links and all; code is fenced (```), as GitHub's
    # Markdown has taught. Read as an indented code block it was dropped with the code, and its facts with it.
    # Footnotes as GitHub reads them: "[^1]" marks a footnote "[^1]: …" defines (one without a definition is text
    # as written), and the footnotes come after the text. Without the plugin the marker was indexed glued into
    # its word ("EU[^1]"), and a footnote of one word ("[^2]: Ibid.") was taken for a link reference and dropped.
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).disable("code").use(footnote_plugin)


def markdown_text(source: str) -> str:
    """Return Markdown as the text it reads, not its source, which was indexed and quoted as it was ("**Novi
    Pazar** lent … according to [the statistics](https://…)", a table's "|---:|" line, a code block).
    Headings are "#" lines (setext ones too: "Title" over "====" is "# Title"), as an HTML or Word file's are, so
    they are never quoted alone (text.is_heading); a list item keeps its bullet or number (text.is_list_item);
    a table row is a line of its cells apart by " | ", as a Word table's is; emphasis, link targets, images,
    fenced code blocks, rules, HTML comments and footnote markers are dropped (an indented paragraph is prose:
    _markdown_parser), each footnote is a paragraph after the text, and an HTML block is read as HTML is
    (_html_fallback). A block quote that repeats the text's own words (a pull quote) is left out (_unquoted).
    Blocks are paragraphs apart by a blank line, the items of one list on lines of their own (two lists, one
    after the other, stay apart), and a paragraph keeps its lines as written."""
    blocks: list[tuple[str, int]] = []  # each block's text, and the number of the list it is an item of (0: none)
    quoted: list[int] = []  # each block's block quote: the number of the outermost one it is in (0: none)
    lists = depth = 0  # how many lists have begun, and how deep in lists the block being read is
    quotes = nested = 0  # how many block quotes have begun, and how deep in them the block being read is
    marker = ""  # a list item's bullet or number, put before the item's first block
    level = 0  # the level of the heading being read
    row: list[str] | None = None  # the cells of the table row being read

    def add(text: str) -> None:
        nonlocal marker
        text = "\n".join(line.strip() for line in text.split("\n") if line.strip())
        if text:
            text = marker + text  # an item whose number does not read as one ("2009. godine") is a paragraph
            blocks.append((text, lists if depth and LIST_ITEM.match(text) else 0))
            quoted.append(quotes if nested else 0)
            marker = ""

    parser, env = _markdown_parser(), {}
    for token in parser.parse(source.replace("\0", "").replace("\x01", ""), env):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists, depth = lists + (depth == 0), depth + 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif kind == "list_item_open":
            marker = f"{token.info}{token.markup} "  # "- ", "* ", "2. " (info: the number as written)
        elif kind == "blockquote_open":
            quotes, nested = quotes + (nested == 0), nested + 1
        elif kind == "blockquote_close":
            nested -= 1
        elif kind == "heading_open":
            level = int(token.tag[1:])
        elif kind == "heading_close":
            level = 0
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            add(row_text(row or []))
            row = None
        elif kind == "inline" and row is not None:
            row.append(" ".join(_inline_text(token.children or []).split()))
        elif kind == "inline" and not level and (rows := _pipe_rows(token.content)):
            for cells in rows:  # each cell read as a table's is: its text, inline-parsed
                add(row_text([" ".join(_inline_text(parser.parseInline(cell, env)[0].children or []).split())
                              for cell in cells]))
        elif kind == "inline":
            text = _inline_text(token.children or [])
            add(_heading_line(text, level) if level and text.strip() else text)
        elif kind == "html_block":
            for block in _laid_out(token.content):
                add(block)
    return _joined(_unquoted(blocks, quoted))


def _unquoted(blocks: list[tuple[str, int]], quoted: list[int]) -> list[tuple[str, int]]:
    """Return Markdown's blocks without the block quotes (quoted: each block's, 0 for none) every block of which
    repeats words of the text outside block quotes: a pull quote, which had been stored, and quoted, twice."""
    rest = "\n".join(" ".join(text.split()) for (text, _), quote in zip(blocks, quoted, strict=True) if not quote)
    repeated = {quote for quote in set(quoted) - {0}
                if all(_repeats(text, rest) for (text, _), q in zip(blocks, quoted, strict=True) if q == quote)}
    return [block for block, quote in zip(blocks, quoted, strict=True) if quote not in repeated]


def row_text(cells: list[str]) -> str:
    """Return a table row as every reader writes it, whether or not its table has a header row: its cells apart
    by " | " (an empty one too, so that each keeps its column), "" for a row with no text."""
    return " | ".join(cells) if any(cell.strip() for cell in cells) else ""


def _pipe_rows(source: str) -> list[list[str]]:
    """Return the cells of each line of a Markdown paragraph's source whose every line is a table row ("| Užice |
    58 |"), split as GitHub's table rule splits a row; [] for any other paragraph. Such rows, with no header row
    and "|---|" line under it, are no table to CommonMark, but are one to their writer: read as a paragraph, they
    were one sentence of source, pipes and all."""
    from markdown_it.rules_block.table import escapedSplit

    lines = [line.strip() for line in source.split("\n")]
    if not all(len(line) > 1 and line[0] == line[-1] == "|" for line in lines):
        return []
    return [escapedSplit(line[1:-1]) for line in lines]


# What is left where an image or an inline HTML tag was: one space if there was one either side.
_MARKDOWN_GAP = re.compile(r" *\0[\0 ]*")
# Where a footnote's marker was: nothing before punctuation or a line's end ("the city [^2]." is "the city."),
# else one space if there was one either side ("the EU[^1] and" is "the EU and").
_FOOTNOTE_GAP = re.compile(r"[ \t]*\x01[\x01 \t]*(?=(.?))")


def _inline_text(children) -> str:
    """Return the text an inline Markdown run shows: its words and code spans, line breaks as line breaks,
    without the marks of emphasis, links (their text stays, the target goes), images, footnote markers and
    inline HTML tags (a <br> breaks the line)."""
    parts = []
    for child in children:
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak") or child.type == "html_inline" and re.match(
                r"(?i)<br\b", child.content):
            parts.append("\n")
        elif child.type in ("image", "html_inline"):
            parts.append("\0")
        elif child.type == "footnote_ref":
            parts.append("\x01")
    text = _FOOTNOTE_GAP.sub(lambda m: " " if " " in m.group() and m.group(1).isalnum() else "", "".join(parts))
    return _MARKDOWN_GAP.sub(lambda m: " " if " " in m.group() else "", text)


def _read_html(path: Path) -> Reading:
    raw = decode(path.read_bytes(), path.name)
    import trafilatura
    from trafilatura.utils import load_html

    try:
        # One extraction gives the text (what trafilatura.extract returns), the tree that says which of its
        # blocks are headings and lists, and the page's metadata.
        page = load_html(raw)
        if page is not None:
            _as_rendered(page)
            _drop_ads(page)
        found = trafilatura.bare_extraction(raw if page is None else page, include_comments=False,
                                            include_tables=True, favor_recall=True, with_metadata=True)
    except (RecursionError, ValueError, TypeError):
        found = None
    text, body = getattr(found, "text", None), getattr(found, "body", None)
    dated = ""
    if not text:
        text = "\n\n".join(_laid_out(raw))
    elif body is None:
        text = _paragraphs([line for line in text.split("\n") if line.strip()])
    elif page is not None and _dumped(body):
        text = "\n\n".join(_laid_out(_visible_html(page)))
    else:
        text = _blocks(body)
        if page is not None:
            above, passed = _left_above(page, text)
            text = _joined([(line, 0) for line in above] + [(text, 0)])
            # A byline passed over still dates the page: without it, the first date in the text was taken,
            # which in a report of plans is a date to come.
            dated = " · ".join(passed)
    title = getattr(found, "title", None)
    if not title:
        m = re.search(r"<title[^<>]*>([^<]*)</title", raw, re.IGNORECASE)
        title = _html_fallback(m.group(1)).strip() if m else None
    if page is not None and _only_noscript(text, page, title):
        raise ReadError(f"{path.name} has no text without JavaScript (its scripts write the page); open it in a "
                        "browser and save it from there (Save Page As, or Print to PDF), then add that file")
    return Reading(text, title or None, date=_page_date(page) or dated or None)


def _page_date(page) -> str | None:
    """Return the publication date a page declares in its markup (meta tags, <time>, structured data) as
    YYYY-MM-DD, or None. Only declared dates: a search of the text too guessed "2025-01-01" from a footer's
    "© 2025" on a page whose byline said "2 июня 2025"."""
    if page is None:
        return None
    from htmldate import find_date

    with contextlib.suppress(ValueError, TypeError):
        return find_date(page, extensive_search=False, original_date=True)
    return None


def _only_noscript(text: str, page, title: str | None) -> bool:
    """Return whether all the text read from a page is what it shows a browser without JavaScript (its
    <noscript>: "You need to enable JavaScript to run this app."), with at most its title beside it: a page
    whose scripts write its text (a single-page app's shell), which was indexed as a report of that notice.
    A page that has a <noscript> notice and text of its own is read as ever."""
    notices = [" ".join("".join(element.itertext()).split()) for element in page.iter("noscript")]
    notices = [notice for notice in notices if any(c.isalnum() for c in notice)]
    if not notices:
        return False
    own = [" ".join(title.split())] if title else []
    lines = {_LINE_MARK.sub("", " ".join(line.split())) for line in text.split("\n")} - {""}
    return all(any(line in notice for notice in notices) or line in own for line in lines)


# A heading's "#" marks and a list item's "- ", which the reader writes before the text of the page.
_LINE_MARK = re.compile(r"^(?:#{1,6}|-)\s+")


def _headings(body) -> dict[str, int]:
    """Return the text of each heading of the extractor's tree with its level (h1 → 1; 2 when unknown)."""
    out = {}
    for head in body.iter("head"):
        text = " ".join("".join(head.itertext()).split())
        level = re.fullmatch(r"h([1-6])", head.get("rend") or "")
        if text:
            out.setdefault(text, int(level.group(1)) if level else 2)
    return out


def _heading_line(text: str, level: int) -> str:
    """Return a heading as the Markdown line it is indexed as ("## Financing"): a page's headings are then
    sentences of their own that are never quoted alone (text.is_heading), as a Markdown file's are."""
    return f"{'#' * level} {' '.join(text.split())}"


def _paragraphs(lines: list[str]) -> str:
    """Return blocks as paragraphs (a blank line between them), the items of one list together (one line
    break), as in a text file."""
    return _joined([(line, 0) for line in lines])


def _joined(blocks: list[tuple[str, int]]) -> str:
    """Return blocks, each with the number of the list it is in (0: none known), as paragraphs: a blank line
    between them, but one line break between the blocks of one list, and between list items ("- ", "1. ") in no
    known list, one after the other, as in a text file. Two lists, one after the other, stay apart."""
    out = [text for text, _ in blocks[:1]]
    for (before, one), (text, other) in itertools.pairwise(blocks):
        together = one == other and (one or LIST_ITEM.match(before) and LIST_ITEM.match(text))
        out.append(("\n" if together else "\n\n") + text)
    return "".join(out)


# The line the extractor writes under a table's head, as Markdown does ("|---|---|").
_TABLE_RULE = re.compile(r"\|(?:[ \t]*:?-+:?[ \t]*\|)+")


def _table_row(line: str) -> str:
    """Return a line of the extractor's table as a Word table's row is read: its cells apart by " | " ("City |
    Days over limit"), without the Markdown pipes at its ends ("| City | … |"), and the rule under its head as
    nothing. Left in, the rule was a paragraph of its own, and a row's pipes were quoted."""
    if _TABLE_RULE.fullmatch(line.strip()):
        return ""
    return line.strip().removeprefix("| ").removesuffix(" |").removeprefix("|").removesuffix("|")


def _as_rendered(page) -> None:
    """Make a page's figures plain blocks and their captions paragraphs, and its inline quotes (<q>) plain inline
    text, in place. The main-text extractor drops every <figure>, and with it a caption's text ("Figure 1: Waiting
    time fell from 14 to 6 days."; the image in it is dropped all the same); it takes a <q> for a block quote,
    which cut its sentence in two ("He said: the air is better" and "." apart)."""
    for figure in page.iter("figure"):
        figure.tag = "div"
    for caption in page.iter("figcaption"):
        caption.tag = "p"
    for quote in page.iter("q"):
        quote.tag = "span"


# The class or id words that mark an advertisement, the one kind of boilerplate a page may set inside its
# article: "REKLAMA: Nagrada za kupce - 5 miliona dinara" answered how much a library's award was. Whole
# words of a class ("ad-slot", "ads_top", "adsbygoogle"), so "lead", "header" or "download" are no ad.
_AD_WORDS = {"ad", "ads", "advert", "adverts", "advertisement", "advertising", "adsbygoogle", "sponsor",
             "sponsored", "promo", "promoted", "reklama", "commercial"}


def _drop_ads(page) -> None:
    """Remove the elements a page marks as advertisements (by a word of their class or id), in place."""
    marked = [element for element in page.iter()
              if isinstance(element.tag, str)
              and _AD_WORDS & set(re.split(r"[^a-z0-9]+", f"{element.get('class') or ''} {element.get('id') or ''}".lower()))]
    for element in marked:
        parent = element.getparent()
        if parent is None:
            continue
        if element.tail and element.tail.strip():  # the text after it is the page's, not the ad's
            previous = element.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + element.tail
            else:
                parent.text = (parent.text or "") + element.tail
        parent.remove(element)


# What an article's own parts above its body are set in, and what around them is not the article's.
_LEAD_IN = ("h1", "h2", "h3", "p")
_NOT_ARTICLE = {"nav", "aside", "footer", "form", "button", "script", "style", "noscript"}
_PROBE = 40  # characters of the body's first paragraph that find its element on the page
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)]*$")
_MIN_LEAD_WORDS = 5


def _left_above(page, text: str) -> tuple[list[str], list[str]]:
    """Return the headline and paragraphs (a standfirst, a caption) that a page's <article> or <main> sets
    above the block the extractor took for the whole text. A page that marks its body apart
    (<div class="article-body">) had only that block read: the headline and the standfirst, often the
    summary of the report, were lost. Parts the extractor kept are not added again, nor a paragraph that does
    not read as a sentence (a byline, a date, a caption's credit): those are returned apart, as passed over."""
    first = next((" ".join(line.split()) for line in text.split("\n")
                  if len(line.strip()) >= _PROBE and not line.startswith("#")), None)
    if first is None:
        return [], []
    probe, kept = first[:_PROBE], " ".join(text.split())
    for container in itertools.chain(page.iter("article"), page.iter("main")):
        above, passed = [], []
        for element in container.iter(*_LEAD_IN):
            words = " ".join("".join(element.itertext()).split())
            if probe in words:
                return above, passed
            if not words or words in kept or any(a.tag in _NOT_ARTICLE for a in element.iterancestors()):
                continue
            level = re.fullmatch(r"h([1-6])", element.tag)
            if level:
                above.append(_heading_line(words, int(level.group(1))))
            elif _SENTENCE_END.search(words) and len(words.split()) >= _MIN_LEAD_WORDS:
                above.append(words)
            else:
                passed.append(words)  # a byline, a date line, breadcrumbs ("Home › Politics")
    return [], []


def _dumped(body) -> bool:
    """Return whether the extractor's tree is its last resort on a page it found no main text in (a short page):
    one paragraph of the page's every text node, a line each. Read so, each line was a paragraph, an inline
    element's text among them ("The summit was held in", "Belgrade", ", 2024.")."""
    return len(body) == 1 and body[0].tag == "p" and not len(body[0]) and "\n" in (body[0].text or "")


def _visible_html(page) -> str:
    """Return a parsed page without what the extractor's last resort leaves out of it (asides, footers, cookie
    notices, scripts), as HTML: the same text, for the fallback reader to lay out as a browser does."""
    from copy import deepcopy

    from lxml.html import tostring
    from trafilatura.baseline import basic_cleaning

    return tostring(basic_cleaning(deepcopy(page)), encoding="unicode")


def _blocks(body) -> str:
    """Return the main-text extractor's tree as text: each of its blocks (a line each: heading, paragraph,
    table row) a paragraph, the headings (their texts and levels) marked as Markdown headings, and each list one
    block, an item a line. Joined by single line breaks, as the extractor's text gives them, a heading ran into
    the sentence after it ("Financing The money comes from…"), and a list into the list before it. A definition
    list (<dl>) is a list of its terms, each followed by its definition's line, not an item of its own: read as
    items, "Director" and "Dr. Vesna Ristić" were two answers, glued to the list above them. A block quote that
    repeats the page's own words (a pull quote) is left out (_pull_quotes)."""
    from trafilatura.xml import xmltotxt

    headings = _headings(body)
    for item in body.iter("item"):
        if (item.get("rend") or "").startswith("dd"):  # the extractor's <dd>: "dd-1"
            item.tag = "p"
    texts = [xmltotxt(child, False) for child in body]
    repeated = _pull_quotes(list(body), texts)
    blocks = []
    for n, (child, text) in enumerate(zip(body, texts, strict=True), 1):
        if n - 1 in repeated:
            continue
        for line in text.split("\n"):
            if child.tag == "table":
                line = _table_row(line)
            if line.strip():
                key = " ".join(line.split())
                blocks.append((_heading_line(line, headings[key]) if key in headings else line,
                               n if child.tag == "list" else 0))
    return _joined(blocks)


# Quotation marks a pull quote may be set in that the sentence it repeats is not.
_QUOTE_MARKS = "\"'“”„‟«»‘’‚‹› \t\n"


def _pull_quotes(children: list, texts: list[str]) -> set[int]:
    """Return the indexes of the extractor's block quotes whose words are all in the page's other blocks (in
    quotation marks or not): pull quotes, which repeat a sentence of the article in large type. Kept, the same
    sentence was stored twice, and an answer quoted it twice, once from each. A quotation of words found nowhere
    else on the page is the page's text, and stays."""
    quotes = [i for i, child in enumerate(children) if child.tag == "quote"]
    if not quotes:
        return set()
    rest = "\n".join(" ".join(text.split()) for child, text in zip(children, texts, strict=True) if child.tag != "quote")
    return {i for i in quotes if _repeats(texts[i], rest)}


def _repeats(quote: str, rest: str) -> bool:
    """Return whether a block quote's words, in quotation marks or not, are all in rest (the text's other blocks,
    each on a line, its spaces as one), in the same order."""
    words = " ".join(quote.split()).strip(_QUOTE_MARKS)
    return bool(words) and words in rest


# Every pattern here stops at the next "<", and an element or comment left open runs to the end (as in a
# browser): searching on for its end from every later opening is quadratic, minutes on a hostile 1 MB page.
_HEADING_ELEMENT = re.compile(r"(?i)<h([1-6])\b[^<>]*>((?:[^<]|<(?!/?h[1-6]\b)){0,2000})</h\1\s*>")
# A <nav> block is the page's menus, hidden as a script is: the extractor drops it too, and clean() does not
# guess at an HTML page's menus (corpus._LAID_OUT).
_HIDDEN_OPEN = re.compile(r"(?i)<!--|<(script|style|noscript|template|nav)\b[^<>]*>")
# The tags of HTML's inline text elements (phrasing content that is neither an image, a control nor a line break).
_INLINE_TAG = re.compile(r"(?i)<\s*/?\s*(?:a|abbr|b|bdi|bdo|big|cite|code|data|del|dfn|em|font|i|ins|kbd|mark|nobr|q|s"
                         r"|samp|small|span|strike|strong|sub|sup|time|tt|u|var|wbr)\b[^<>]*>")


def _laid_out(raw: str) -> list[str]:
    """Return the blocks of HTML's visible text (_html_fallback), their lines' runs of spaces as one: the layout
    of the source (its indentation, the spaces around a tag) is no part of the page's text."""
    blocks = ("\n".join(" ".join(line.split()) for line in block.split("\n") if line.strip())
              for block in re.split(r"\n\s*\n", _html_fallback(raw)))
    return [block for block in blocks if block]


def _html_fallback(raw: str) -> str:
    """Return the visible text of HTML that the main-text extractor gave up on."""
    import html

    parts, pos = [], 0
    while m := _HIDDEN_OPEN.search(raw, pos):
        parts.append(raw[pos : m.start()])
        end = re.compile(rf"(?i)</{m.group(1)}\s*>" if m.group(1) else "-->").search(raw, m.end())
        if end is None:
            pos = len(raw)
            break
        parts.append(" ")
        pos = end.end()
    raw = "".join(parts).replace("\x1f", " ") + raw[pos:].replace("\x1f", " ")
    # An inline element's tags are no gap in its text, as a browser shows it: "<b>Belgrade</b>, 2024" is
    # "Belgrade, 2024", not "Belgrade , 2024". Any other tag may part words ("<td>97</td><td>58</td>").
    raw = _INLINE_TAG.sub("", raw)
    raw = _rows_whole(raw)
    # A heading is a Markdown heading line (_heading_line); its inner tags are dropped first. The scan for its
    # end is bounded, so unclosed headings cost a bounded search each.
    raw = _HEADING_ELEMENT.sub(
        lambda m: f"\n\n{_heading_line(html.unescape(re.sub(r'<[^<>]*>', ' ', m.group(2))), int(m.group(1)))}\n\n"
        if m.group(2).strip() else "\n\n", raw)
    # A block element is a paragraph, as the extractor's blocks are (_blocks), a figure's caption too; a line
    # break only ends a line, and a list item is a "- " line, as the extractor writes one (text.is_list_item),
    # a definition list's term too, its definition the line after it (_blocks).
    raw = re.sub(r"(?i)<\s*/?\s*(p|div|h\d|tr|table|ul|ol|dl|blockquote|section|article|header|footer|figure"
                 r"|figcaption)\b[^<>]*>", "\n\n", raw)
    raw = re.sub(r"(?i)<\s*(br|dd)\b[^<>]*>", "\n", raw)
    raw = re.sub(r"(?i)<\s*(li|dt)\b[^<>]*>", "\n- ", raw)
    raw = re.sub(r"(?i)<\s*t[dh]\b[^<>]*>", "\x1f", raw)  # where each cell of a row (a paragraph) begins
    raw = re.sub(r"<[^<>]+>", " ", raw)
    # A row is a paragraph (<tr>); its cells are read as every reader reads a row's (row_text), where they ran
    # together ("Užice 58 November"). The spaces and line breaks between and in them are the source's layout.
    paragraphs = re.split(r"(\n\s*\n)", html.unescape(raw))
    return "".join(_cells_line(*p.split("\x1f")) if "\x1f" in p else p for p in paragraphs)


# A tag that begins or ends a table's row (a row ends where the next begins, or its table does), a cell's, and
# one that would break a line or a paragraph in it; and a line break of the source. A cell holds no "<" but the
# tags', so each search stops at the next one.
_ROW_BOUNDARY = {"tr", "table", "thead", "tbody", "tfoot", "caption"}
_IN_ROW = re.compile(r"(?i)<\s*(/?)\s*(t[dh]|tr|table|thead|tbody|tfoot|caption|p|div|h[1-6]|ul|ol|dl|li|dt|dd"
                     r"|blockquote|section|article|header|footer|figure|figcaption|br)\b[^<>]*>|\n\s*")


def _rows_whole(raw: str) -> str:
    """Return HTML with what would break a line in a table's row (a cell's paragraphs, line breaks, list items,
    the source's blank lines) as a space: a row is one line (_cells_line), its cells' paragraphs joined by a
    space. Each had been a paragraph break, and the row fell apart ("Valjevo |", "97 days", "in December")."""
    in_row = False

    def flat(m: re.Match) -> str:
        nonlocal in_row
        name = (m.group(2) or "").lower()
        if name in _ROW_BOUNDARY:
            in_row = name == "tr" and not m.group(1)
            return m.group()
        if name in ("td", "th"):
            in_row = True
            return m.group()
        return " " if in_row else m.group()

    return _IN_ROW.sub(flat, raw)


def _cells_line(before: str, *cells: str) -> str:
    """Return a table row of the fallback reader's text, the text before its first cell (not in one) first."""
    return " ".join([" ".join(before.split()), row_text([" ".join(cell.split()) for cell in cells])]).strip()


def _read_pdf(path: Path) -> Reading:
    """Return a PDF's text, its title, and the text of each page (citations name the page they are on)."""
    with _quiet_pypdf():
        return _read_pdf_text(path)


def _page_text(page) -> str:
    """Return a page's text layer, with a blank line where the print leaves a paragraph's gap."""
    lines: list[tuple[float, float]] = []  # each printed line's height on the page and its font size
    placed = [True]  # whether every piece of text came with a place the layout can be read from

    def visit(text, cm, tm, _font, size):
        if not text.strip() or not placed[0]:
            return
        try:  # the text matrix places the text in the page's coordinates (cm); a line's pieces share its height
            y = float(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
            size = abs(float(size) * tm[3] * cm[3]) or abs(float(size)) or 1.0
        except (TypeError, ValueError, IndexError):
            placed[0] = False  # an odd PDF: its text is still read, its paragraphs by line lengths alone
            return
        if lines and abs(lines[-1][0] - y) < 0.5 * max(size, lines[-1][1]):
            return
        lines.append((y, size))

    text = page.extract_text(visitor_text=visit) or ""
    return paragraph_breaks(text, lines) if placed[0] else text


# Print leaves more room between paragraphs than between a paragraph's lines, for the size of their type. A gap this
# many times a page's usual spacing ends a paragraph whatever the length of its last line, which the unwrapper alone
# goes by; so does a change of type size (a heading, a title wrapped over two lines above the text).
PARAGRAPH_GAP = 1.3
SIZE_CHANGE = 1.2


def paragraph_breaks(text: str, lines: list[tuple[float, float]]) -> str:
    """Return a page's text with a blank line before each line printed a paragraph's gap below the one before, or
    in another size of type (lines: where each line with text is on the page and its type size, in the text's
    order). A page whose lines the text layer does not give one for one (columns, tables, pieces set apart) is left
    as it is, and so is a line printed higher up the page than the one before it."""
    rows = text.split("\n")
    printed = [i for i, line in enumerate(rows) if line.strip()]
    if len(printed) != len(lines) or len(lines) < 3:
        return text
    # each gap in units of the larger type size of the two lines, so a heading's own line spacing is not a gap
    spacing = [(above - below) / max(high, low, 1e-6)
               for (above, high), (below, low) in zip(lines, lines[1:], strict=False)]
    down = sorted(g for g in spacing if g > 0)
    if not down:
        return text
    usual = down[len(down) // 4]  # most gaps are between a paragraph's own lines
    for i, gap, (_, high), (_, low) in zip(printed[1:], spacing, lines[:-1], lines[1:], strict=True):
        resized = max(high, low) > SIZE_CHANGE * min(high, low)
        if rows[i - 1].strip() and gap > 0 and (gap > PARAGRAPH_GAP * usual or resized):
            rows[i] = "\n" + rows[i]
    return "\n".join(rows)


@contextlib.contextmanager
def _quiet_pypdf():
    """Keep pypdf's repair notes ("incorrect startxref pointer") off stderr: a PDF it can read is fine, and
    one it cannot gets the skip message ingest prints."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _read_pdf_text(path: Path) -> Reading:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not _opens_without_password(reader):
            raise ReadError(f"{path.name} is an encrypted PDF; save an unlocked copy and add that")
        pages = [_page_text(page) for page in reader.pages]
        title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    except ReadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AssertionError) as e:
        with path.open("rb") as fh:
            head = fh.read(1024)
        if not _starts_as_pdf(head):
            # pypdf's own word for bytes that are no PDF at all ("Stream has ended unexpectedly") sent people
            # looking for a damaged download
            raise ReadError(f"{path.name} is not a PDF (its content does not start as a PDF's does); "
                            "if it is text, rename it .txt") from None
        raise ReadError(f"{path.name} is not a readable PDF ({type(e).__name__}: {e})") from None
    if not any(p.strip() for p in pages):
        raise ReadError(f"{path.name} has no text layer (a scanned PDF?); OCR it first")
    pages = without_page_furniture(pages)
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    title = str(title) if title and not generated_title(str(title), path.stem) else None
    words = vocabulary(text)
    return Reading(text, title, tuple(unwrapped(p, words) for p in pages))


# A page's printed number on a line of its own: "Page 7", "Page 7 of 12", "- 7 -", "7 of 12", "7/12", "Strana 7".
# Alone, a bare "7" could be a table's figure; it is taken for a page number only as _bare_page_numbers says.
_PAGE_WORD = r"(?:page|pg\.?|p\.|seite|pagina|página|strana|str\.|stranica|strona|страна|страница|стр\.)"
_PAGE_LABEL = regex.compile(
    rf"(?i){_PAGE_WORD}\s*(\d{{1,4}})(?:\s*(?:of|/|od|из|von|de|di|z|sur)\s*(\d{{1,4}}))?"
    r"|[-–—]\s*(\d{1,4})\s*[-–—]|(\d{1,4})\s*(?:of|/|od|из|von|de|di|z|sur)\s*(\d{1,4})")
_BARE_NUMBER = regex.compile(r"\d{1,4}")
# How many lines at a page's top and at its bottom may be furniture (a page number, a running header).
_EDGE_LINES = 3


def _page_label(line: str) -> bool:
    """Return whether a line is a page number that says it is one ("Page 7 of 12", "- 7 -", "7/12")."""
    m = _PAGE_LABEL.fullmatch(line)
    if not m:
        return False
    number, total = (int(g) if g else None for g in (m.group(4) or m.group(1) or m.group(3), m.group(5) or m.group(2)))
    return total is None or 0 < number <= total


def _edges(lines: list[str]) -> tuple[list[int], list[int]]:
    """Return the indexes of a page's first few lines with text, and of its last few from the last one up: where
    its furniture is, from the page's edge inwards."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return filled[:_EDGE_LINES], filled[::-1][:_EDGE_LINES]


def _bare_page_numbers(pages: list[list[str]]) -> set[tuple[int, int]]:
    """Return the (page index, line index) of lone numbers at pages' tops or bottoms that are page numbers: a
    page's own number (its place in the file), or one of numbers that go up with the pages (a report printed
    from page 7 on: "7", "8"). A lone figure the two rules miss stays: a page number in a sentence is the smaller
    harm than a table's figure lost."""
    found = [(n, i, int(lines[i].strip())) for n, lines in enumerate(pages) for i in set(sum(_edges(lines), []))
             if _BARE_NUMBER.fullmatch(lines[i].strip())]
    shifts = collections.Counter(shift for _, shift in {(n, value - (n + 1)) for n, _, value in found})  # pages
    return {(n, i) for n, i, value in found if value == n + 1 or shifts[value - (n + 1)] >= 2}


_DIGITS = regex.compile(r"\d+")


def _running_lines(pages: list[list[str]]) -> set[tuple[int, int]]:
    """Return the (page index, line index) of running headers and footers: a line at the top or bottom of at
    least half the pages with text, the same on each but for a page number it may hold ("Page 2 of 3    www…",
    "Annual Report 2022 — 2"). Its first occurrence goes too: a running header is not the report's content.
    The same line on only two pages may be the report's (a title, a table's head), so it needs three pages,
    unless it also holds the page number, which no line of content does."""
    filled = sum(1 for lines in pages if any(line.strip() for line in lines))
    groups: dict[str, list[tuple[int, int, tuple[int, ...]]]] = collections.defaultdict(list)
    for n, lines in enumerate(pages):
        for i in set(sum(_edges(lines), [])):
            line = " ".join(lines[i].split())
            groups[_DIGITS.sub("#", line).casefold()].append((n, i, tuple(map(int, _DIGITS.findall(line)))))
    running, twice = set(), []
    for found in groups.values():
        on = len({n for n, _, _ in found})
        if 2 * on < filled:
            continue
        if len({numbers for _, _, numbers in found}) == 1 and on >= 3 or on >= 2 and _holds_page_number(found):
            running |= {(n, i) for n, i, _ in found}
        elif len({numbers for _, _, numbers in found}) == 1 and on == 2:
            twice.append(found)
    for found in twice:
        if _cuts_a_sentence(pages, found, running):
            running |= {(n, i) for n, i, _ in found}
    return running


_UNFINISHED = regex.compile(r"[\p{L},\-–]$")  # a line a sentence goes on from


def _cuts_a_sentence(pages: list[list[str]], found: list[tuple[int, int, tuple[int, ...]]],
                     furniture: set[tuple[int, int]]) -> bool:
    """Return whether a line found on two pages in a row stands between the halves of a sentence: the page
    before it ends mid-sentence and the text after it goes on in lower case. Content repeated on two pages
    (a title, a table's head) does not; a running header on a two-page report, where the three-page rule
    cannot see it, does. Lines already known as furniture (a page number) are not the text either side ("…выиграла грант Российского" | header | "научного фонда на 18 миллионов…")."""
    places = sorted((n, i) for n, i, _ in found)
    if len(places) != 2 or places[1][0] != places[0][0] + 1:
        return False
    (first, top), (second, below) = places
    def text(n: int, j: int, line: str) -> bool:
        return bool(line.strip()) and (n, j) not in furniture and not _BARE_NUMBER.fullmatch(line.strip()) \
            and not _page_label(line.strip())

    ending = [line for j, line in enumerate(pages[first]) if j != top and text(first, j, line)]
    going_on = [line for j, line in enumerate(pages[second]) if j > below and text(second, j, line)]
    return bool(ending and going_on) and bool(_UNFINISHED.search(ending[-1].rstrip())) \
        and going_on[0].lstrip()[:1].islower()


def _holds_page_number(found: list[tuple[int, int, tuple[int, ...]]]) -> bool:
    """Return whether lines alike but for their numbers hold a page number: one of their numbers goes up with
    the pages (it less the page's place in the file is the same on each), and the others do not change. A
    caption's numbers ("Table 1", "Table 4") do not keep step with the pages."""
    count = len(found[0][2])
    return any(len({numbers[k] - n for n, _, numbers in found}) == 1
               and all(len({numbers[j] for _, _, numbers in found}) == 1 for j in range(count) if j != k)
               for k in range(count))


def without_page_furniture(pages: list[str]) -> list[str]:
    """Return a PDF's pages without the lines at their tops and bottoms that are print furniture, not text: page
    numbers, running headers and footers. Left in, the unwrapper glued them into the sentence a page break cut
    ("a further 7 thousand people", "Commission | Annual Report 2022 started operating in April"), which an
    answer then quoted; taken out, that sentence is joined again across the break (corpus.paginated), and a
    running header is neither the document's title nor indexed once a page. Lines are taken from a page's edge
    inwards, and only while they are furniture."""
    split = [page.split("\n") for page in pages]
    bare, running = _bare_page_numbers(split), _running_lines(split)

    def furniture(n: int, i: int) -> bool:
        return (n, i) in bare or (n, i) in running or _page_label(split[n][i].strip())

    out = []
    for n, lines in enumerate(split):
        drop = set()
        for side in _edges(lines):
            for i in side:
                if not furniture(n, i):
                    break
                drop.add(i)
        out.append("\n".join(line for i, line in enumerate(lines) if i not in drop))
    return out


def _opens_without_password(reader) -> bool:
    """Return whether an encrypted PDF opens with the empty password, decrypting it if so. Many official PDFs
    have only an owner password, which restricts printing or copying: any viewer opens them, and so is their
    text read. Only one that asks its reader for a password is refused."""
    from pypdf.errors import DependencyError

    try:
        return bool(reader.decrypt(""))
    except (DependencyError, NotImplementedError):  # a cipher this install cannot undo (AES without cryptography)
        return False


# What programs that write PDFs put in the title field when the author gave none: the source file's name
# ("Microsoft Word - report_v2.docx", "scan0001.tif") or a placeholder ("Untitled"; ReportLab's "(anonymous)").
# The text's own heading says more.
_GENERATED_TITLE = regex.compile(
    r"(?i)(?:microsoft\s+\w+\s+-\s+.*|.*\.\w{2,4}|untitled(?:\s+document)?|\(anonymous\)|\P{L}*)")


def generated_title(title: str, stem: str = "") -> bool:
    """Return whether a PDF's title field holds no title of the author's, only what the program put there
    (stem: the file's name without its extension, which some put there as it is)."""
    return _GENERATED_TITLE.fullmatch(title.strip()) is not None or (bool(stem) and title.strip() == stem)


# A PDF's text comes out a line of print at a time. A line at least this share of the page's full width was
# wrapped (its paragraph goes on on the next line); a shorter one ended its paragraph, title or dateline,
# unless the next line goes on in lower case (ragged text).
WRAPPED_SHARE = 0.7
_LOWER_START = regex.compile(r"\p{Ll}")
# Justified print widens the gaps between a line's words, and the PDF's text then has runs of spaces ("The  biggest
# single  project"), which quotes carried. Only a PDF's lines are set so; a text file's runs of spaces may be
# its layout (aligned columns), and stay.
_SPACES = re.compile(r" {2,}")
_HYPHENATED = regex.compile(r"(\p{L}+)-$")
_FIRST_WORD = regex.compile(r"\p{L}+")


def vocabulary(text: str) -> frozenset[str]:
    """Return the words of a document in lower case, its hyphenated compounds among them ("cold-storage"):
    what tells a word broken at a line's end from a compound whose hyphen fell there."""
    return frozenset(w.lower() for w in regex.findall(r"\p{L}+(?:-\p{L}+)*", text))


def _broken_word(before: str, line: str, words: frozenset[str]) -> bool:
    """Return whether a line ending in a hyphen broke a word the next line ends (the document writes it whole
    elsewhere: "profes-" "sor"), rather than a compound whose hyphen fell at the line's end ("cold-"
    "storage", "Природно-" "математичког"), which keeps it. Without the word written whole, the hyphen stays,
    as printed."""
    head, tail = _HYPHENATED.search(before), _FIRST_WORD.match(line)
    return bool(head and tail) and (head.group(1) + tail.group()).lower() in words


def unwrapped(page: str, words: frozenset[str] = frozenset()) -> str:
    """Return a PDF page's text with its paragraphs' lines joined, words broken at a line's end made whole
    (words: the document's vocabulary), runs of spaces in a line as one, and a blank line after each paragraph,
    title or dateline line, so that none runs into the next sentence."""
    lines = [_SPACES.sub(" ", line.strip()) for line in page.split("\n")]
    lengths = sorted(len(line) for line in lines if line)
    if not lengths:
        return ""
    # A full line: the widest but a few, rounded up, so that on a page of two lines it is the longer one (rounded
    # down it was the shorter, and a title line counted as wrapped: "Fisheries Report The Danube sterlet…").
    width = lengths[round(0.9 * (len(lengths) - 1))]
    blocks: list[str] = []
    joined = True  # whether the line before ended nothing (a blank line: the next one starts a block)
    before = ""
    for line in lines:
        if not line:
            joined, before = False, ""
            continue
        if not blocks or not joined and not before:
            blocks.append(line)
        elif LIST_ITEM.match(line):
            blocks[-1] += "\n" + line
        elif _LOWER_START.match(line) and (before.endswith("\u00ad") or _broken_word(before, line, words)):
            blocks[-1] = blocks[-1][:-1] + line  # a soft hyphen marks a word broken at the line's end, always
        elif _HYPHENATED.search(before) and _LOWER_START.match(line):
            blocks[-1] += line  # a compound: its hyphen stays, with no space after it
        elif len(before) >= WRAPPED_SHARE * width or _LOWER_START.match(line):
            blocks[-1] += " " + line
        else:
            blocks.append(line)
        joined, before = True, line
    return "\n\n".join(blocks)


MB = 1024 * 1024
MAX_DOCX_UNCOMPRESSED = 100 * MB


def _read_docx(path: Path) -> Reading:
    try:
        with zipfile.ZipFile(path) as z:
            total = sum(i.file_size for i in z.infolist())
            packed = sum(i.compress_size for i in z.infolist()) or 1
            if total > MAX_DOCX_UNCOMPRESSED or total / packed > 200:
                raise ReadError(
                    f"{path.name} expands to {total / MB:.0f} MB ({total // packed}× its size); "
                    "refusing a possible zip bomb"
                )
            if "word/document.xml" not in z.namelist():
                raise ReadError(f"{path.name} is a zip file but not a Word document")
    except zipfile.BadZipFile:
        raise ReadError(_not_a_zip(path)) from None
    import docx

    try:
        d = docx.Document(str(path))
    except Exception as e:  # python-docx raises many kinds on malformed parts
        raise ReadError(f"{path.name} is a damaged Word document ({type(e).__name__})") from None
    parts = list(_docx_blocks(d.element.body, d._body))  # paragraphs and table rows in the order they are on the page
    title = d.core_properties.title or None
    return Reading(_paragraphs([p for p in parts if p.strip()]), title)


# An OLE compound file's signature: what Word writes for a .docx it encrypts with a password (its directory holds
# "EncryptionInfo" and "EncryptedPackage" streams) and for a Word 97-2003 .doc (a "WordDocument" stream). Their
# names are written in UTF-16.
_COMPOUND_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_WORD_97_STREAM = "WordDocument".encode("utf-16-le")


def _not_a_zip(path: Path) -> str:
    """Return why a .docx that is no zip archive cannot be read: a password-protected Word file or an old .doc
    (an OLE compound file) had been told to be re-saved from Word, which it opens fine; it must be saved
    without a password, as .docx."""
    data = path.read_bytes()
    if not data.startswith(_COMPOUND_FILE):
        return f"{path.name} is not a .docx file (not a zip archive); re-save it from Word"
    if _ENCRYPTED_STREAM in data:
        return (f"{path.name} is a password-protected Word file; open it in Word, remove the password (File > Info > "
                "Protect Document) and save it as .docx")
    if _WORD_97_STREAM in data:
        return f"{path.name} is an old Word 97-2003 document (.doc), not a .docx; open it in Word and save it as .docx"
    return (f"{path.name} is password-protected (or an old Word 97-2003 .doc); open it in Word and save it without "
            "a password as .docx")


# Word's XML. python-docx's Paragraph.text reads only a paragraph's own runs and hyperlinks, and
# iter_inner_content only the body's own paragraphs and tables: the text of a tracked insertion (w:ins), a
# content control (w:sdt), a smart tag, custom XML, a field's result (w:fldSimple) or a text box was dropped,
# and answers came out with holes ("signed by director  on 3 February"). So the XML is walked here.
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
# What a run shows of each element in it (python-docx's reading, CT_R.text); a page or column break shows nothing.
_RUN_TEXT = {_W + "tab": "\t", _W + "ptab": "\t", _W + "cr": "\n", _W + "noBreakHyphen": "-"}
# What holds no visible text: properties, deleted runs and the place text moved away from (a tracked change
# not yet accepted; a deletion's text is in w:delText, which is never read, nor a field's code, w:instrText).
_NOT_SHOWN = {_W + tag for tag in ("pPr", "rPr", "sdtPr", "sdtEndPr", "del", "moveFrom")}
# What wraps paragraphs and tables (or rows, or cells) without being one: their content is read in place.
_WRAPPERS = {_W + "customXml", _W + "ins", _W + "moveTo", _W + "smartTag"}


def _docx_blocks(container, parent, marked: bool = True):
    """Yield the blocks of a body, a table cell, a content control or a text box, in document order: each
    paragraph's text (Markdown-marked when marked: headings and list items, not in a table's cells), each
    table row as a line, and after a paragraph the blocks of the text boxes anchored in it."""
    from docx.text.paragraph import Paragraph

    for child in _unwrapped(container, {_W + "p", _W + "tbl"}):
        if child.tag == _W + "tbl":
            yield from _docx_rows(child, parent)
            continue
        boxes: list = []
        text = _docx_text(child, boxes)
        yield _docx_paragraph(Paragraph(child, parent), text) if marked else text
        for box in boxes:
            yield from _docx_blocks(box, parent, marked)


def _unwrapped(element, tags: set[str]):
    """Yield the children of element with one of tags, and those inside the content controls, custom XML and
    tracked insertions that wrap them (a content control may hold paragraphs, a table's rows or a row's
    cells), in document order."""
    for child in element:
        if child.tag in tags:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _unwrapped(child, tags)
        elif child.tag == _W + "sdt" and (content := _sdt_content(child)) is not None:
            yield from _unwrapped(content, tags)
        elif child.tag == _MC + "AlternateContent" and (branch := _alternative(child)) is not None:
            yield from _unwrapped(branch, tags)


def _sdt_content(sdt):
    """Return a content control's content, or None while it shows its placeholder ("Click or tap here to
    enter text."), which is Word's prompt, not the author's text."""
    properties = sdt.find(_W + "sdtPr")
    if properties is not None and properties.find(_W + "showingPlcHdr") is not None:
        return None
    return sdt.find(_W + "sdtContent")


def _alternative(element):
    """Return the one branch of an mc:AlternateContent to read: its first (mc:Choice, a DrawingML text box)
    that holds text, else none. Its other branches (mc:Fallback, the same text box in VML) repeat it."""
    return next((branch for branch in element if branch.find(f".//{_W}t") is not None), None)


def _docx_text(paragraph, boxes: list) -> str:
    """Return the visible text of a paragraph: every run's text in document order, wherever the run is (a
    hyperlink, a tracked insertion, a content control, a smart tag, a field's result), without deleted text
    and field codes. The text boxes anchored in it are appended to boxes: they are paragraphs of their own."""
    out: list[str] = []

    def walk(element) -> None:
        for child in element:
            tag = child.tag
            if tag == _W + "t":
                out.append(child.text or "")
            elif tag == _W + "br":
                out.append("\n" if child.get(_W + "type", "textWrapping") == "textWrapping" else "")
            elif tag in _RUN_TEXT:
                out.append(_RUN_TEXT[tag] if element.tag == _W + "r" else "")
            elif tag == _W + "txbxContent":
                boxes.append(child)
            elif tag == _W + "sdt":
                if (content := _sdt_content(child)) is not None:
                    walk(content)
            elif tag == _MC + "AlternateContent":
                if (branch := _alternative(child)) is not None:
                    walk(branch)
            elif tag not in _NOT_SHOWN and isinstance(tag, str):
                walk(child)

    walk(paragraph)
    return "".join(out)


def _docx_rows(table, parent):
    """Yield a table's rows, each as one line, its cells apart by " | ": a cell merged across columns once, one
    merged down rows with its text on each row (as python-docx gives it), a cell's paragraphs and nested
    tables' rows on lines of their own. A row with no text in any cell is left out."""
    above: dict[int, str] = {}  # the text of each grid column's cell in the row before: a merge down repeats it
    for row in _unwrapped(table, {_W + "tr"}):
        cells = []
        column = _grid_count(row.find(f"{_W}trPr/{_W}gridBefore"), 0)
        for cell in _unwrapped(row, {_W + "tc"}):
            merge = cell.find(f"{_W}tcPr/{_W}vMerge")
            if merge is not None and merge.get(_W + "val", "continue") == "continue":
                text = above.get(column, "")
            else:
                text = "\n".join(block for block in _docx_blocks(cell, parent, marked=False) if block.strip())
            above[column] = text
            cells.append(text)
            column += _grid_count(cell.find(f"{_W}tcPr/{_W}gridSpan"), 1)
        if line := row_text(cells):
            yield line


def _grid_count(element, default: int) -> int:
    """Return the number of grid columns a w:gridSpan or w:gridBefore says (default without one, or with a
    value that is no number: a damaged file's table is still read)."""
    value = element.get(_W + "val", "") if element is not None else ""
    return int(value) if value.isdigit() else default


def _docx_paragraph(paragraph, text: str) -> str:
    """Return a Word paragraph's text, a Title or Heading N paragraph as a Markdown heading line and a List
    paragraph as a Markdown list item."""
    style = getattr(paragraph.style, "name", "") or ""
    level = 1 if style == "Title" else int(m.group(1)) if (m := re.fullmatch(r"Heading ([1-6])", style)) else 0
    if not text.strip():
        return text
    if level:
        return _heading_line(text, level)
    # Word draws a list's bullets and numbers itself: the paragraph's text has none, so it is marked as a
    # Markdown item, which keeps the list together and lets an answer quote it (text.is_list_item).
    return f"- {text}" if style.startswith("List") else text


# Formats whose files are text, which a PDF or Word file is not, whatever its name says.
_TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}


def _starts_as_pdf(data: bytes) -> bool:
    """Return whether bytes open as a PDF does: its header ("%PDF-") first in the first 1 KB, after blanks."""
    return data[:1024].lstrip(b"\t\n\r\f ").startswith(b"%PDF-")


def same_format(one: Path, other: Path) -> bool:
    """Return whether two files' names say one format, read by one reader (".htm" and ".HTML" are ".html")."""
    reader = READERS.get(one.suffix.lower())
    return reader is not None and reader is READERS.get(other.suffix.lower())


def sniffed_suffix(data: bytes, suffix: str) -> str:
    """Return the extension of the format a file's bytes are in: its own, unless that names a text format and
    the bytes open as a PDF does ("%PDF-") or are a zip holding a Word document's word/document.xml. A PDF
    saved as .txt (a renamed download) was indexed as its raw syntax, titled "%PDF-1.3"; it is read as the
    PDF it is. A zip of anything else, like any other binary file, stays refused as not text."""
    suffix = suffix.lower()
    if suffix not in _TEXT_SUFFIXES:
        return suffix
    if _starts_as_pdf(data):
        return ".pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "word/document.xml" in z.namelist():
                    return ".docx"
        except (zipfile.BadZipFile, OSError, ValueError):
            pass
    return suffix


READERS = {
    ".txt": _read_text,
    ".md": _read_markdown,
    ".markdown": _read_markdown,
    ".html": _read_html,
    ".htm": _read_html,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}
