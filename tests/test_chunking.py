"""Chunking: token counts come from tiktoken's bundled encoding, never a download."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import SEEDS

from assistant.chunking import chunk_document, count_tokens
from assistant.corpus import read_document


def test_tiktoken_loads_offline():
    # Any download would go through this dead proxy and fail; the bundled cache must be enough.
    env = {k: v for k, v in os.environ.items() if k != "TIKTOKEN_CACHE_DIR"} | {
        "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    code = "from assistant.chunking import count_tokens; print(count_tokens('Пекић у Сарајеву'))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) == count_tokens("Пекић у Сарајеву") > 0


def test_chunks_are_whole_sentences_within_the_budget():
    doc = read_document(SEEDS / "004_08540dc4f1130570.txt", "004", 10**8)
    chunks, sentences = chunk_document(doc, max_tokens=120, overlap=1)
    assert len(chunks) > 3
    starts = {s.start for s in sentences}
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text and c.start in starts
        assert count_tokens(c.text) <= 120
    # together they cover the document: no text falls between one chunk and the next
    assert chunks[0].start == sentences[0].start and chunks[-1].end == sentences[-1].end
    assert all(not doc.text[a.end : b.start].strip() for a, b in zip(chunks, chunks[1:], strict=False))
    assert any(b.start < a.end for a, b in zip(chunks, chunks[1:], strict=False))  # some share a sentence
