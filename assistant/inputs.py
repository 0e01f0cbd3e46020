"""What people type, checked once: date bounds, questions worth searching, text safe for a terminal."""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date

DATE_FORMS = "YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2021, 2021-10, 2021-10-19)"
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
# Bidirectional overrides and isolates reorder what a terminal shows ("Trojan source"); they carry no meaning
# in a title, a file name or an answer printed to a terminal.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# A question needs a run of two letters or digits to be searched; "...", "???" or "!" have none.
_SEARCHABLE = re.compile(r"[^\W_]{2}")


def date_bound(value: str | None, end: bool = False) -> str | None:
    """Return an ISO date for a --since (end=False: the first day the value covers) or an --until (end=True:
    the last day), or raise ValueError naming the accepted forms."""
    if value is None:
        return None
    m = _DATE.fullmatch(value.strip())
    if not m:
        raise ValueError(f"{value!r} is not a date: use {DATE_FORMS}")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        if month is None:
            return (date(year, 12, 31) if end else date(year, 1, 1)).isoformat()
        month_n = int(month)
        if day is None:
            last = calendar.monthrange(year, month_n)[1] if 1 <= month_n <= 12 else 0
            return date(year, month_n, last if end else 1).isoformat()
        return date(year, month_n, int(day)).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a real date: use {DATE_FORMS}") from None


def date_range(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """Return (from, to) ISO dates for --since/--until, or raise ValueError for a bad or inverted range."""
    start, stop = date_bound(since), date_bound(until, end=True)
    if start and stop and start > stop:
        raise ValueError(f"--since {since} is after --until {until}: no report can be in that range")
    return start, stop


def valid_text(text: str) -> str:
    """Return text with lone surrogates (valid in JSON, "\\ud800", but not Unicode text) replaced by "?"."""
    return text.encode("utf-8", "replace").decode("utf-8")


def worth_searching(question: str) -> bool:
    """Return whether a question has letters or digits to search with (two in a row, in any script)."""
    return bool(_SEARCHABLE.search(question))


def plain_name(text: str) -> str:
    """Return a title or name on one line with no control characters, bidi overrides or runs of spaces."""
    kept = "".join(" " if unicodedata.category(c) == "Cc" else c for c in valid_text(text) if c not in _BIDI)
    return " ".join(kept.split())


def for_terminal(text: str) -> str:
    """Return text that cannot drive a terminal: control characters (escape sequences, bell, C1 codes) and
    bidi overrides removed; newlines and tabs kept."""
    text = valid_text(str(text))
    return "".join(c for c in text if c in "\n\t" or (unicodedata.category(c) != "Cc" and c not in _BIDI))


def one_line(text: str) -> str:
    """Return text for a line of its own, safe for a terminal (for_terminal), with its line breaks shown as
    "\\n" and "\\r": a file named "evil\\nname.txt" broke a citation's line in two."""
    return for_terminal(str(text).replace("\r", "\\r").replace("\n", "\\n"))


def json_for_terminal(text: str) -> str:
    """Return JSON text with C1 control characters, bidi overrides and lone surrogates written as \\u escapes
    (json.dumps escapes only C0 ones); the value it encodes is unchanged."""
    return "".join(f"\\u{ord(c):04x}" if ("\x7f" <= c <= "\x9f" or c in _BIDI or "\ud800" <= c <= "\udfff") else c
                   for c in text)
