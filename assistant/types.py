"""Types that cross module boundaries: documents, chunks, passages, answers."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Document:
    """One report as read from disk, cleaned, with the metadata citations point into."""

    doc_id: str
    source: str
    title: str
    text: str
    language: str
    script: str
    date: str | None
    content_hash: str
    # The file's absolute path: source is the path as it was given (shown to users), which may be relative
    # to wherever ingest ran; whether the file still exists is asked of this one.
    path: str = ""
    # Where each page begins, for a document read page by page (a PDF): (offset into text, page number)
    # pairs in order, the pages with no text left out.
    pages: tuple[tuple[int, int], ...] = ()

    def metadata(self) -> dict:
        """Return the document's metadata as flat Chroma-safe values (no text)."""
        return {
            "doc_id": self.doc_id,
            "source": self.source,
            "path": self.path,
            "title": self.title,
            "language": self.language,
            "script": self.script,
            "date": self.date or "",
            "content_hash": self.content_hash,
            "pages": json.dumps(self.pages, separators=(",", ":")) if self.pages else "",
        }


@dataclass(frozen=True)
class Span:
    """A character span of a document: document.text[start:end] == text."""

    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Chunk:
    """A token-bounded run of whole sentences, with its offsets into the document."""

    chunk_id: str
    doc_id: str
    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Twin:
    """The aligned passage of a document's translation twin."""

    doc_id: str
    language: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Passage:
    """A retrieved span (chunk or sentence) with the metadata of its document and its score."""

    chunk_id: str
    doc_id: str
    source: str
    title: str
    language: str
    date: str
    start: int
    end: int
    text: str
    score: float
    twin: Twin | None = None
    page: int | None = None  # the page it begins on, in a document read page by page (a PDF)


@dataclass(frozen=True)
class Citation:
    """What an inline [n] marker resolves to."""

    n: int
    doc_id: str
    source: str
    title: str
    language: str
    text: str
    start: int
    end: int
    score: float
    date: str = ""
    twin: Twin | None = None
    page: int | None = None  # the page the passage begins on, in a document read page by page (a PDF)

    def to_json(self) -> dict:
        """Return the citation as the JSON contract's object."""
        data = asdict(self)
        for optional in ("twin", "page"):
            if data[optional] is None:
                data.pop(optional)
        return data


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer, the citations it carries and how well they support it."""

    text: str
    citations: tuple[int, ...]
    support: float
    flagged: bool = False
    # The [n] of a cited sentence that this one, quoted from another version of its report (an edited copy),
    # states with other facts (versions.with_other_versions).
    other_version_of: int | None = None

    def to_json(self) -> dict:
        """Return the sentence as the JSON contract's object."""
        data = {
            "text": self.text,
            "citations": list(self.citations),
            "support": round(self.support, 4),
            "flagged": self.flagged,
        }
        if self.other_version_of is not None:
            data["other_version_of"] = self.other_version_of
        return data


@dataclass(frozen=True)
class Answer:
    """An answer made only of cited passages, or an abstention when found is False."""

    question: str
    answer: str
    found: bool
    citations: tuple[Citation, ...] = ()
    sentences: tuple[AnswerSentence, ...] = ()
    answerer: str = "extractive"
    standalone_question: str = ""
    language: str = "en"
    retrieved: tuple[Passage, ...] = field(default=(), repr=False)
    # Close passages offered apart from a "not found" answer, never as the answer.
    related: tuple[Passage, ...] = ()
    evidence: object = field(default=None, repr=False, compare=False)  # answer.Evidence, for evaluation
    ranking: object = field(default=None, repr=False, compare=False)  # ranking.Ranking, for evaluation
    # Written so far by an answerer that streams (an LLM): its sentences are not checked against their sources
    # yet, and an answer stopped here never will be.
    partial: bool = False

    def to_json(self) -> dict:
        """Return the answer as the CLI's --json object."""
        data = {
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "citations": [c.to_json() for c in self.citations],
            "sentences": [s.to_json() for s in self.sentences],
            "answerer": self.answerer,
            "language": self.language,
        }
        if self.related:
            data["related"] = [{"doc_id": p.doc_id, "source": p.source, "title": p.title, "language": p.language,
                                "text": p.text, "start": p.start, "end": p.end, "date": p.date or ""}
                               | ({"page": p.page} if p.page is not None else {}) for p in self.related]
        if self.partial:
            data["partial"] = True
        return data


    @classmethod
    def from_json(cls, data) -> Answer:
        """Return the answer a to_json object describes (a saved chat); raise ValueError when data is not one,
        so stored or hand-edited JSON never reaches the renderer half-typed."""
        d = _typed(data, question=str, answer=str, found=bool, answerer=str, language=str)
        cites = []
        for c in _list(data, "citations"):
            twin = c.get("twin") if isinstance(c, dict) else None
            page = c.get("page") if isinstance(c, dict) else None
            cites.append(Citation(**_typed(c, n=int, doc_id=str, source=str, title=str, language=str, text=str,
                                           start=int, end=int, score=float, date=str),
                                  twin=Twin(**_typed(twin, doc_id=str, language=str, start=int, end=int,
                                                     text=str)) if twin is not None else None,
                                  page=_typed(c, page=int)["page"] if page is not None else None))
        sentences = [AnswerSentence(**_typed(s, text=str, support=float, flagged=bool),
                                    citations=tuple(_ints(s.get("citations"))),
                                    other_version_of=_typed(s, other_version_of=int)["other_version_of"]
                                    if isinstance(s, dict) and s.get("other_version_of") is not None else None)
                     for s in _list(data, "sentences")]
        related = [Passage(chunk_id="", score=0.0, **_typed(p, doc_id=str, source=str, title=str, language=str,
                                                          text=str, start=int, end=int),
                           date=str(p.get("date") or ""),
                           page=_typed(p, page=int)["page"] if p.get("page") is not None else None)
                   for p in _list(data, "related")]
        return cls(**d, citations=tuple(cites), sentences=tuple(sentences), related=tuple(related),
                   partial=data.get("partial") is True)


def _typed(data, **kinds) -> dict:
    """Return data's fields named in kinds, or raise ValueError when data is no dict or one has another type."""
    if not isinstance(data, dict):
        raise ValueError(f"expected an object, not {type(data).__name__}")
    out = {}
    for name, kind in kinds.items():
        value = data.get(name)
        ok = isinstance(value, (int, float)) if kind is float else isinstance(value, kind)
        if not ok or (kind in (int, float) and isinstance(value, bool)):
            raise ValueError(f"{name} is not a {kind.__name__}")
        out[name] = float(value) if kind is float else value
    return out


def _list(data: dict, name: str) -> list:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise ValueError(f"{name} is not a list")
    return value


def _ints(value) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError("citations is not a list of numbers")
    return value


@dataclass(frozen=True)
class Message:
    """One turn of a conversation."""

    role: str
    content: str
