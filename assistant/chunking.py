"""Token-aware chunks of whole sentences that keep their character offsets into the document."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from .text import sentence_spans, split_long
from .types import Chunk, Document, Span

ENCODING = "o200k_base"


@lru_cache(maxsize=1)
def _encoding():
    from .config import setup_offline_env

    setup_offline_env()  # the bundled tiktoken cache, never a download
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    """Return the number of tiktoken (o200k_base) tokens in text."""
    return len(_encoding().encode(text, disallowed_special=()))


def sentences(doc: Document, max_tokens: int) -> list[Span]:
    """Return the document's sentences; one longer than max_tokens is cut at clause boundaries."""
    text = doc.text
    out: list[Span] = []
    for start, end in sentence_spans(text):
        n = count_tokens(text[start:end])
        if n <= max_tokens:
            out.append(Span(doc.doc_id, start, end, text[start:end]))
            continue
        # Characters per token of this sentence keep the cut proportional for any script.
        max_chars = max(40, int((end - start) * max_tokens / n * 0.9))
        for s, e in split_long(text, start, end, max_chars):
            out.append(Span(doc.doc_id, s, e, text[s:e]))
    return out


def chunk_id(doc: Document, index: int) -> str:
    """Return a chunk id that changes whenever the document's content does."""
    return f"{chunk_prefix(doc.doc_id, doc.content_hash)}:{index}"


def chunk_prefix(doc_id: str, content_hash: str) -> str:
    """Return what the ids of a document's chunks (and sentences) of this content begin with."""
    digest = hashlib.sha1(f"{doc_id}\0{content_hash}".encode()).hexdigest()[:12]
    return f"{doc_id}:{digest}"


def chunk_document(doc: Document, max_tokens: int = 160, overlap: int = 1) -> tuple[list[Chunk], list[Span]]:
    """Return the document's chunks (runs of whole sentences of at most max_tokens tokens, the last
    `overlap` sentences repeated at the start of the next chunk when they fit) and its sentences."""
    sents = sentences(doc, max_tokens)
    sizes = [count_tokens(s.text) for s in sents]
    groups: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i, size in enumerate(sizes):
        if current and used + size > max_tokens:
            groups.append(current)
            keep = [j for j in current[-overlap:] if overlap] if overlap else []
            # Overlap only while it leaves room for new text.
            while keep and sum(sizes[j] for j in keep) + size > max_tokens * 2 // 3:
                keep.pop(0)
            current, used = list(keep), sum(sizes[j] for j in keep)
        current.append(i)
        used += size
    if current:
        groups.append(current)
    chunks = []
    for index, group in enumerate(groups):
        start, end = sents[group[0]].start, sents[group[-1]].end
        chunks.append(Chunk(chunk_id(doc, index), doc.doc_id, index, start, end, doc.text[start:end]))
    return chunks, sents
