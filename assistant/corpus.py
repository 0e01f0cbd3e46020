"""Read report files (txt, md, html, pdf, docx) into cleaned Documents with metadata."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import regex

from .inputs import plain_name
from .readers import MB, READER_VERSIONS, READERS, SUPPORTED, ReadError, front_matter, sniffed_suffix
from .text import detect_language, detect_script, fold, sentence_spans
from .types import Document
from .writelock import LOCK_NAME

# Bump when reading or cleaning changes, so that an ingest re-reads every file.
PIPELINE_VERSION = "7"


@dataclass(frozen=True)
class Candidate:
    """A file found under the paths given to ingest, before it is read."""

    path: Path
    root: Path | None


def find_files(paths: Iterable[Path], home: Path | None = None) -> tuple[list[Candidate], list[tuple[str, str]]]:
    """Return the files under paths (sorted, hidden ones skipped) and the paths that cannot be used. A data
    directory (home, and any folder with a writer's lock file) is never walked into: `ingest .` run beside
    one must not read the store as reports."""
    found: list[Candidate] = []
    problems: list[tuple[str, str]] = []
    own = os.path.realpath(home) if home is not None else None

    def unreadable(e: OSError) -> None:
        problems.append((str(e.filename), f"{e.filename}: the folder cannot be read ({e.strerror or e}); "
                                          "the files beside it were indexed"))

    for path in paths:
        path = Path(path)
        if path.is_dir():
            # A linked folder is read as a linked file is. One reached before (two links to one folder) is not
            # read again, nor one that holds the folder given (a link back up, which would read all of it), so a
            # loop of links ends.
            walked: set[str] = set()
            root = Path(os.path.realpath(path))
            for dirpath, dirnames, filenames in os.walk(path, followlinks=True, onerror=unreadable):
                real = os.path.realpath(dirpath)
                if real in walked or (walked and root.is_relative_to(real)):
                    dirnames[:] = []
                    continue
                walked.add(real)
                dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not _data_directory(
                    os.path.join(dirpath, d), own))
                for name in sorted(filenames):
                    if not name.startswith("."):
                        found.append(Candidate(Path(dirpath) / name, path))
        elif path.exists() or path.is_symlink():
            found.append(Candidate(path, None))
        else:
            problems.append((str(path), "no such file or directory"))
    # A name that is not UTF-8 cannot be stored, printed or sent as JSON: name it instead of failing on it.
    problems += [(str(c.path), "its name is not valid UTF-8; rename the file") for c in found if not _utf8(str(c.path))]
    return [c for c in found if _utf8(str(c.path))], [(_printable(p), reason) for p, reason in problems]


def _data_directory(folder: str, home: str | None) -> bool:
    return os.path.exists(os.path.join(folder, LOCK_NAME)) or os.path.realpath(folder) == home


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(text: str) -> str:
    """Return a path with the bytes that are not UTF-8 shown as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# --- decoding ----------------------------------------------------------------------------------------


# --- cleaning ---------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\b(?:Picture|Image|Slika|Слика|Img|IMG)[_-]?\d+[a-z]?\b")
_PRINT_BOILERPLATE = re.compile(
    r"^\s*(?:версия для печати|print version|printer[- ]friendly version|верзија за штампу|verzija za štampu)\s*",
    re.IGNORECASE,
)
_BREADCRUMB_SEP = re.compile(r"(?:[\u00a0 ]{2,}|\s*[›»>|]\s+)")
# Menus are short; splitting a long line with _BREADCRUMB_SEP is quadratic in its runs of whitespace.
NAVIGATION_CHARS = 1000
# A figure ("41,200", "8.7%", "4", "2023-04-04"), and a year, the one number a menu item may hold ("… - 2014").
_FIGURE = regex.compile(r"(?<!\w)\d+(?:[.,:/-]\d+)*%?")
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
# A menu item is a few words; the breadcrumb's last item, the page's own title, may be longer.
MENU_ITEM_WORDS = 4


# Characters that print as nothing but split a word for search: a soft hyphen (where a word may break: PDFs
# and pasted text keep it, "Agri\u00adcultural" gave the keywords "agri" and "cultur"), zero-width spaces and
# joiners, the word joiner, and a byte-order mark inside the text. Cleaning drops them, so what is stored,
# indexed and quoted is the word as read.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
# Latin ligatures (ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ), one character each where a PDF's font draws two or three letters as one:
# "ﬁnancial" was stored and quoted with it, and a search for "financial" or "profit" missed the word. Each is
# replaced by its letters (its NFKC form); the rest of the text keeps its own forms (NFKC of all of it would also
# turn "²" into "2" and "½" into "1⁄2").
_LIGATURES = {c: unicodedata.normalize("NFKC", chr(c)) for c in range(0xFB00, 0xFB07)}


def clean(text: str, navigation: bool = True) -> str:
    """Return report text without what is not report text: site navigation (looked for only when navigation:
    flat text, whose reader knows nothing of its layout), print links, image placeholders, control and
    invisible characters; ligatures as their letters; paragraphs kept, spaces inside lines left as they are."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.translate(_INVISIBLE).translate(_LIGATURES)
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    lines = text.split("\n")
    body_lang = detect_language(text) if navigation else ""
    out: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if (navigation and i < 5 and len(stripped) <= NAVIGATION_CHARS
                and _is_navigation(stripped, body_lang, _neighbours(lines, i))):
            continue
        line = _PRINT_BOILERPLATE.sub("", line) if i < 5 else line
        if stripped and not _PLACEHOLDER.sub("", stripped).strip():
            continue  # a line of image placeholders only
        out.append(line.rstrip())
    cleaned = "\n".join(out)
    cleaned = re.sub(r"\n{3,}", "\n\n", cleaned)
    return cleaned.strip()


def _neighbours(lines: list[str], i: int) -> list[str]:
    """Return the lines with text just before and just after line i (blank lines skipped)."""
    before = next((line.strip() for line in reversed(lines[max(0, i - 3):i]) if line.strip()), "")
    after = next((line.strip() for line in lines[i + 1:i + 4] if line.strip()), "")
    return [line for line in (before, after) if line and len(line) <= NAVIGATION_CHARS]


def _items(line: str) -> tuple[list[str], frozenset[str]]:
    """Return a line's parts split at menu marks, and the marks that split it ("" for a run of spaces)."""
    parts = [p for p in _BREADCRUMB_SEP.split(line) if p.strip()]
    return parts, frozenset(m.strip() for m in _BREADCRUMB_SEP.findall(line))


def _is_navigation(line: str, body_lang: str, neighbours: Iterable[str] = ()) -> bool:
    """Return whether a line near the top is a breadcrumb or menu of short items ("Home > News > Reports >
    Title"). What else splits at the same marks is not: a table row (a cell without words, a figure, or a row
    beside it split into as many cells by the same marks: a table's head), a title quoting «…» (» closes the
    quote), a dateline or letterhead (a date, a reference number; aligned columns, which a menu of four items
    or more, or one in another language than the text, is told from)."""
    if "«" in line:
        return False
    parts, marks = _items(line)
    if len(parts) < 3 or not all(any(c.isalpha() for c in p) for p in parts):
        return False
    if not all(_YEAR.fullmatch(figure) for figure in _FIGURE.findall(line)):
        return False
    if any(sum(any(c.isalpha() for c in w) for w in p.split()) > MENU_ITEM_WORDS for p in parts[:-1]):
        return False
    if any(_items(other)[1] == marks and len(_items(other)[0]) == len(parts) for other in neighbours):
        return False
    foreign = detect_language(" ".join(parts[:-1])) != body_lang
    if marks == {""} and len(parts) < 4 and not foreign:
        return False
    return foreign or not re.search(r"[.!?]$", line)


# --- metadata -----------------------------------------------------------------------------------------

_MONTHS = {
    "jan": 1, "yanv": 1, "feb": 2, "fev": 2, "mar": 3, "apr": 4, "may": 5, "maj": 5, "jun": 6, "iyun": 6,
    "jul": 7, "iyul": 7, "aug": 8, "avg": 8, "sep": 9, "sen": 9, "okt": 10, "oct": 10, "nov": 11,
    "noy": 11, "dec": 12, "dek": 12,
}
_MONTH_RE = r"(jan\w*|yanv\w*|feb\w*|fev\w*|mar\w*|apr\w*|ma[yj]\w*|jun\w*|iyun\w*|jul\w*|iyul\w*|aug\w*|avg\w*|sep\w*|sen\w*|okt\w*|oct\w*|nov\w*|noy\w*|dec\w*|dek\w*)"
_DAY_FIRST = re.compile(
    r"\b(\d{1,2})(?:\.|st|nd|rd|th)?(?:\s*[-–—]\s*\d{1,2}(?:\.|st|nd|rd|th)?)?\s+" + _MONTH_RE + r"\.?,?\s+(\d{4})\b"
)
_MONTH_FIRST = re.compile(r"\b" + _MONTH_RE + r"\s+(\d{1,2})(?:st|nd|rd|th)?(?:\s*[-–—]\s*\d{1,2})?,?\s+(\d{4})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def find_date(text: str) -> str | None:
    """Return the first full date (day, month and year) the text states, as YYYY-MM-DD."""
    folded = fold(text[:20000])
    hits: list[tuple[int, str]] = []
    for m in _ISO.finditer(folded):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if 1 <= mo <= 12 and 1 <= d <= 31:
            hits.append((m.start(), f"{y:04d}-{mo:02d}-{d:02d}"))
    for pattern, order in ((_DAY_FIRST, "dmy"), (_MONTH_FIRST, "mdy")):
        for m in pattern.finditer(folded):
            day, month, year = (m.group(1), m.group(2), m.group(3)) if order == "dmy" else (
                m.group(2), m.group(1), m.group(3))
            number = next((v for k, v in _MONTHS.items() if month.startswith(k)), None)
            if number and 1 <= int(day) <= 31:
                hits.append((m.start(), f"{int(year):04d}-{number:02d}-{int(day):02d}"))
    return min(hits)[1] if hits else None


_HEADING = re.compile(r"^\s{0,3}#{1,6}[ \t]+(\S.*?)[ \t#]*$", re.MULTILINE)
_WORD_DATE = r"\d{1,2}\.?\s+\w+\.?,?\s+\d{4}\.?|\w+\.?\s+\d{1,2},?\s+\d{4}"
_NUMBER_DATE = r"\d{4}-\d{2}-\d{2}|\d{1,2}[./]\s?\d{1,2}[./]\s?\d{2,4}\.?"
_SEPARATOR = r"\s*[-–—:|]\s*"
# A dateline opens many reports ("date 2021-01-01 Today, …", "Moscow, 12 May 2014 – …"); it names no report.
_DATELINE = re.compile(
    rf"^\s*(?:(?:date|dated|datum|датум|дата)\s*:?\s*(?:{_NUMBER_DATE}|{_WORD_DATE})(?:{_SEPARATOR}|\s+)"
    rf"|[^\W\d][\w .-]{{1,30}},\s*(?:{_NUMBER_DATE}|{_WORD_DATE}){_SEPARATOR}"
    rf"|(?:{_NUMBER_DATE})(?:{_SEPARATOR}|\s+)|(?:{_WORD_DATE}){_SEPARATOR})",
    re.IGNORECASE,
)


def make_title(text: str, hint: str | None, name: str = "") -> str:
    """Return a short title: the file's own title, its front matter's, its first heading, a short first line,
    or the first sentence's first words; never the dateline a report opens with, nor a line of no words (a
    front matter's or a rule's "---"), and never a control character (a title may hold escape sequences meant
    for whoever prints it). With no words to take a title from, the file's name."""
    hint = plain_name(hint or "")
    if hint:
        return _shorten(" ".join(hint.split()))
    front_title, body = front_matter(text)
    if front_title and plain_name(front_title):
        return _shorten(plain_name(front_title))
    head = _past_wordless_lines(text[body:body + 4000])  # the whole text may be megabytes of one sentence
    heading = _HEADING.search(head)
    if heading and heading.start() < 1000:
        return _shorten(plain_name(heading.group(1)))
    for _ in range(3):  # "date 2021-01-01" may stand on its own line, before another dateline
        stripped = _DATELINE.sub("", head, count=1).lstrip()
        if stripped == head.lstrip() or not stripped:
            break
        head = stripped
    head = _past_wordless_lines(head)
    if not head:
        return _shorten(plain_name(name)) or "untitled"
    first = plain_name(head.split("\n", 1)[0].strip())
    if 0 < len(first) <= 120 and not first.endswith("."):
        return first
    spans = sentence_spans(head, 0, len(head))
    sentence = head[spans[0][0] : spans[0][1]] if spans else first
    words = plain_name(sentence).split()
    return _shorten(" ".join(words[:12]) + ("…" if len(words) > 12 else ""))


def _past_wordless_lines(text: str) -> str:
    """Return text from its first line holding a letter or digit: a "---" or "***" line is no title."""
    lines = text.lstrip().split("\n")
    while lines and not any(c.isalnum() for c in lines[0]):
        lines.pop(0)
    return "\n".join(lines).lstrip()


def _shorten(title: str) -> str:
    return title if len(title) <= 160 else title[:159] + "…"  # every chunk's metadata carries it


def content_hash(data: bytes, suffix: str = "") -> str:
    """Return the hash that identifies a file's content and the version of the pipeline that reads it: the
    reading pipeline's, and that of the reader of its format when that reader has one (the format its bytes
    are in: suffix, the file's extension, unless a PDF or Word file is named as text; see sniffed_suffix)."""
    version = PIPELINE_VERSION + (f"+{v}" if (v := READER_VERSIONS.get(sniffed_suffix(data, suffix))) else "")
    return hashlib.sha256(version.encode() + b"\0" + data).hexdigest()


# Formats whose reader knows the document's layout, where no line is guessed to be site navigation: a Word
# file's tables are its own (their rows read "a | b | c", which the guess took for menus), and the HTML
# extractor drops a page's menus by its markup (<nav>, link-dense blocks) itself.
_LAID_OUT = {".docx", ".html", ".htm"}


def read_document(path: Path, doc_id: str, max_bytes: int) -> Document:
    """Return the cleaned Document of a file, or raise ReadError saying why it cannot be used."""
    name = str(path)
    _check_link(path, name)
    suffix = path.suffix.lower()
    if suffix not in READERS:
        read = ", ".join(sorted(SUPPORTED))
        if not suffix:  # "no extension is not supported" read as if "no extension" were a format
            raise ReadError(f"{name} has no extension, so it is not read: only files ending in {read} are")
        raise ReadError(f"{name}: {suffix} is not supported (use {read})")
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ReadError(f"{name} is not a regular file")
        if size == 0:
            raise ReadError(f"{name} is empty")
        if size > max_bytes:
            raise ReadError(f"{name} is {_over_limit(size, max_bytes)} (raise ASSISTANT_MAX_FILE_MB or split the file)")
        data = path.read_bytes()
        suffix = sniffed_suffix(data, suffix)  # a PDF or Word file named .txt is read as what it is
        reading = READERS[suffix](path)
    except PermissionError:
        raise ReadError(f"{name} cannot be read (permission denied)") from None
    except OSError as e:
        raise ReadError(f"{name} cannot be read ({e.strerror or e})") from None
    text, pages = (paginated(reading.pages) if reading.pages is not None
                   else (clean(reading.text, navigation=suffix not in _LAID_OUT), ()))
    if not text.strip():
        raise ReadError(f"{name} has no text after cleaning")
    if not any(c.isalpha() for c in text):
        # a chart saved as a PDF has its axes' figures for text: nothing a question could be answered from
        raise ReadError(f"{name} has no words, only markup, figures or punctuation")
    return Document(
        doc_id=doc_id,
        source=name,
        title=make_title(text, reading.title, path.name),
        text=text,
        language=detect_language(text),
        script=detect_script(text),
        date=find_date(reading.date or "") or find_date(text),
        content_hash=content_hash(data, suffix),
        path=os.path.abspath(path),
        pages=pages,
    )


def _check_link(path: Path, name: str) -> None:
    """Raise ReadError for a link that leads to no file: one that points back to itself (a loop of links, which
    had been told it "has no extension" when its name had none) or to nothing that exists (a broken link)."""
    if not path.is_symlink():
        return
    try:
        path.stat()
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise ReadError(f"{name} is a link that points back to itself (a loop of links), so it cannot be read"
                            ) from None
        if e.errno == errno.ENOENT:
            raise ReadError(f"{name} is a broken link: what it points to ({os.readlink(path)}) does not exist, so it "
                            "cannot be read") from None


def _over_limit(size: int, limit: int) -> str:
    """Return a file's size over the size limit, with as many decimals as tell the two apart ("20.01 MB"), or in
    bytes when none of three do: a file 74 bytes over was "20.0 MB, over the 20 MB limit"."""
    for decimals in (1, 2, 3):
        shown = f"{size / MB:.{decimals}f}"
        if float(shown) > limit / MB:
            return f"{shown} MB, over the {limit / MB:g} MB limit"
    return f"{size:,} bytes, over the {limit / MB:g} MB limit ({limit:,} bytes)"


# A line of its own before each page's text, put in before cleaning and taken out after: where it ends up is
# where the page begins in the cleaned text (cleaning drops lines and blank runs, so offsets cannot be counted
# before). A private-use character, which no report's text means anything by (any the pages hold are dropped),
# alone on a line, which no rule of clean() removes.
_PAGE_MARK = "\ue000"


# A page whose text ends without closing its sentence, before one that opens in lower case, breaks a sentence
# that the next page ends ("…was designed by" / "the architect…"): the two are joined, as a wrapped line is.
_OPEN_END = regex.compile(r"[\p{L}\p{N},]$")
_LOWER_OPENING = regex.compile(r"\p{Ll}")


def paginated(pages: tuple[str, ...]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Return the cleaned text of a document read page by page, and where each page with text begins in it:
    (offset, page number) pairs, in order. A sentence a page break cut goes on across it."""
    kept = [(n, page.replace(_PAGE_MARK, "").strip()) for n, page in enumerate(pages, 1) if page.strip()]
    numbers = [n for n, _ in kept]
    running = [i > 0 and bool(_OPEN_END.search(kept[i - 1][1]) and _LOWER_OPENING.match(page))
               for i, (_, page) in enumerate(kept)]
    # The mark of a page that opens a block stands on a line of its own; that of one going on a sentence, in it.
    marked = ""
    for (_, page), runs in zip(kept, running, strict=True):
        marked += (f" {_PAGE_MARK}" if runs else f"\n\n{_PAGE_MARK}\n" if marked else f"{_PAGE_MARK}\n") + page
    pieces = clean(marked).split(_PAGE_MARK)
    if len(pieces) != len(numbers) + 1:  # cleaning took a mark after all: the text without pages, not a guess
        return clean("\n\n".join(page for page in pages if page.strip())), ()
    text, starts, length = [pieces[0]], [], len(pieces[0])
    for n, piece, runs in zip(numbers, pieces[1:], running, strict=True):
        piece = piece if runs else piece.removeprefix("\n")  # the rest of the mark's line
        starts.append((length + len(piece) - len(piece.lstrip()), n))
        text.append(piece)
        length += len(piece)
    joined = "".join(text)
    end = len(joined.rstrip())
    return joined, tuple((start, n) for start, n in starts if start < end)
