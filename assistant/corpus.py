"""Read report files (txt, md, html, pdf, docx) into cleaned Documents with metadata."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .text import detect_language, detect_script, fold, sentence_spans
from .types import Document

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}
# Bump when reading or cleaning changes, so that an ingest re-reads every file.
PIPELINE_VERSION = "3"


class ReadError(Exception):
    """A file that cannot become a document; the message says why, for a person to act on."""


@dataclass(frozen=True)
class Candidate:
    """A file found under the paths given to ingest, before it is read."""

    path: Path
    root: Path | None


def find_files(paths: Iterable[Path]) -> tuple[list[Candidate], list[tuple[str, str]]]:
    """Return the files under paths (sorted, hidden ones skipped) and the paths that cannot be used."""
    found: list[Candidate] = []
    problems: list[tuple[str, str]] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
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
            return _strict(data, "utf-16-le", name)
        if even > len(sample) // 4 or sample[0::2].count(4) > len(sample) // 4:
            return _strict(data, "utf-16-be", name)
        raise ReadError(f"{name} is binary (it has NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=None).best()
    if best is None:
        raise ReadError(f"{name} is not text in any encoding we recognise")
    return str(best)


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise ReadError(f"{name} looks like UTF-16 but does not decode: {e.reason}") from None


def _check_text(text: str, name: str) -> str:
    controls = sum(1 for c in text[:20000] if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    if controls > max(8, len(text[:20000]) // 50):
        raise ReadError(f"{name} is binary, not text")
    return text


# --- readers ----------------------------------------------------------------------------------------


def _read_text(path: Path) -> tuple[str, str | None]:
    text = _check_text(decode(path.read_bytes(), path.name), path.name)
    title = None
    if path.suffix.lower() in (".md", ".markdown"):
        m = re.search(r"^#{1,3}\s+(.+)$", text, re.MULTILINE)
        title = m.group(1).strip() if m else None
    return text, title


def _read_html(path: Path) -> tuple[str, str | None]:
    raw = decode(path.read_bytes(), path.name)
    import trafilatura

    try:
        text = trafilatura.extract(raw, include_comments=False, include_tables=True, favor_recall=True)
        meta = trafilatura.extract_metadata(raw)
    except (RecursionError, ValueError, TypeError):
        text, meta = None, None
    if not text:
        text = _html_fallback(raw)
    title = getattr(meta, "title", None) if meta else None
    if not title:
        m = re.search(r"<title[^<>]*>([^<]*)</title", raw, re.IGNORECASE)
        title = _html_fallback(m.group(1)).strip() if m else None
    return text, title or None


# Every pattern here stops at the next "<", and an element or comment left open runs to the end (as in a
# browser): searching on for its end from every later opening is quadratic, minutes on a hostile 1 MB page.
_HIDDEN_OPEN = re.compile(r"(?i)<!--|<(script|style|noscript|template)\b[^<>]*>")


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
    raw = "".join(parts) + raw[pos:]
    raw = re.sub(r"(?i)<\s*(br|/p|/div|/h\d|/li|/tr)\b[^<>]*>", "\n", raw)
    raw = re.sub(r"<[^<>]+>", " ", raw)
    return html.unescape(raw)


def _read_pdf(path: Path) -> tuple[str, str | None]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise ReadError(f"{path.name} is an encrypted PDF; save an unlocked copy and add that")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    except ReadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AssertionError) as e:
        raise ReadError(f"{path.name} is not a readable PDF ({type(e).__name__}: {e})") from None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise ReadError(f"{path.name} has no text layer (a scanned PDF?); OCR it first")
    return text, str(title) if title else None


MB = 1024 * 1024
MAX_DOCX_UNCOMPRESSED = 100 * MB


def _read_docx(path: Path) -> tuple[str, str | None]:
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
        raise ReadError(f"{path.name} is not a .docx file (not a zip archive); re-save it from Word") from None
    import docx

    try:
        d = docx.Document(str(path))
    except Exception as e:  # python-docx raises many kinds on malformed parts
        raise ReadError(f"{path.name} is a damaged Word document ({type(e).__name__})") from None
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    title = d.core_properties.title or None
    return "\n\n".join(p for p in parts if p.strip()), title


READERS = {
    ".txt": _read_text,
    ".md": _read_text,
    ".markdown": _read_text,
    ".html": _read_html,
    ".htm": _read_html,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}


# --- cleaning ---------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\b(?:Picture|Image|Slika|Слика|Img|IMG)[_-]?\d+[a-z]?\b")
_PRINT_BOILERPLATE = re.compile(
    r"^\s*(?:версия для печати|print version|printer[- ]friendly version|верзија за штампу|verzija za štampu)\s*",
    re.IGNORECASE,
)
_BREADCRUMB_SEP = re.compile(r"(?:[\u00a0 ]{2,}|\s*[›»>|]\s+)")
# Menus are short; splitting a long line with _BREADCRUMB_SEP is quadratic in its runs of whitespace.
NAVIGATION_CHARS = 1000


def clean(text: str) -> str:
    """Return report text without what is not report text: site navigation, print links, image
    placeholders, control characters; paragraphs kept, spaces inside lines left as they are."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    lines = text.split("\n")
    body_lang = detect_language(text)
    out: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if i < 5 and len(stripped) <= NAVIGATION_CHARS and _is_navigation(stripped, body_lang):
            continue
        line = _PRINT_BOILERPLATE.sub("", line) if i < 5 else line
        if stripped and not _PLACEHOLDER.sub("", stripped).strip():
            continue  # a line of image placeholders only
        out.append(line.rstrip())
    cleaned = "\n".join(out)
    cleaned = re.sub(r"\n{3,}", "\n\n", cleaned)
    return cleaned.strip()


def _is_navigation(line: str, body_lang: str) -> bool:
    """Return whether a line near the top is a breadcrumb of short menu items."""
    parts = [p for p in _BREADCRUMB_SEP.split(line) if p.strip()]
    if len(parts) < 3:
        return False
    short = sum(len(p.split()) <= 6 for p in parts)
    foreign = detect_language(" ".join(parts[:-1])) != body_lang
    return short >= len(parts) - 1 and (foreign or not re.search(r"[.!?]$", line))


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
    for regex, order in ((_DAY_FIRST, "dmy"), (_MONTH_FIRST, "mdy")):
        for m in regex.finditer(folded):
            day, month, year = (m.group(1), m.group(2), m.group(3)) if order == "dmy" else (
                m.group(2), m.group(1), m.group(3))
            number = next((v for k, v in _MONTHS.items() if month.startswith(k)), None)
            if number and 1 <= int(day) <= 31:
                hits.append((m.start(), f"{int(year):04d}-{number:02d}-{int(day):02d}"))
    return min(hits)[1] if hits else None


def make_title(text: str, hint: str | None) -> str:
    """Return a short title: the file's own title, a short first line, or the first words."""
    if hint and hint.strip():
        return " ".join(hint.split())[:160]
    first = text.strip().split("\n", 1)[0].strip()
    if 0 < len(first) <= 120 and not first.endswith("."):
        return first
    # Only the start is needed; the whole text may be megabytes of one sentence, or one word.
    spans = sentence_spans(text, 0, min(len(text), 4000))
    sentence = text[spans[0][0] : spans[0][1]] if spans else first
    words = sentence.split()
    title = " ".join(words[:12]) + ("…" if len(words) > 12 else "")
    return title if len(title) <= 160 else title[:159] + "…"  # every chunk's metadata carries it


def content_hash(data: bytes) -> str:
    """Return the hash that identifies a file's content (and the reading pipeline's version)."""
    return hashlib.sha256(PIPELINE_VERSION.encode() + b"\0" + data).hexdigest()


def read_document(path: Path, doc_id: str, max_bytes: int) -> Document:
    """Return the cleaned Document of a file, or raise ReadError saying why it cannot be used."""
    name = str(path)
    suffix = path.suffix.lower()
    if suffix not in READERS:
        raise ReadError(f"{name}: {suffix or 'no extension'} is not supported (use {', '.join(sorted(SUPPORTED))})")
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ReadError(f"{name} is not a regular file")
        if size == 0:
            raise ReadError(f"{name} is empty")
        if size > max_bytes:
            raise ReadError(
                f"{name} is {size / MB:.1f} MB, over the {max_bytes / MB:g} MB limit "
                "(raise ASSISTANT_MAX_FILE_MB or split the file)"
            )
        data = path.read_bytes()
        raw_text, title_hint = READERS[suffix](path)
    except PermissionError:
        raise ReadError(f"{name} cannot be read (permission denied)") from None
    except OSError as e:
        raise ReadError(f"{name} cannot be read ({e.strerror or e})") from None
    text = clean(raw_text)
    if not text.strip():
        raise ReadError(f"{name} has no text after cleaning")
    if not any(c.isalnum() for c in text):
        raise ReadError(f"{name} has no words, only markup or punctuation")
    return Document(
        doc_id=doc_id,
        source=name,
        title=make_title(text, title_hint),
        text=text,
        language=detect_language(text),
        script=detect_script(text),
        date=find_date(text),
        content_hash=content_hash(data),
    )
