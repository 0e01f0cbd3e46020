"""Bench at scale: a real-shaped synthetic store (chunks and their sentences) written through the project's
own Store and keyword index, then searched; run in a process of its own by bench.run."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from .bench import Progress, _rss_mb, _timed, peak_rss_mb, percentile
from .config import Settings, setup_offline_env
from .memory import release_memory

DIM = 384  # multilingual-e5-small
CHUNKS_PER_DOC = 50
TOKENS_PER_CHUNK = 60
VOCABULARY = 30_000


def bench_scale(settings: Settings, n: int, work: Path, ratio: float = 2.5, queries: int = 50, seed: int = 0,
                progress: Progress | None = None) -> dict:
    """Return write time and Retriever.search latency over a real-shaped synthetic store: n chunks (Zipf-
    distributed tokens, 50 chunks per document, three languages), `ratio` sentences per chunk on average,
    random unit vectors for the sentences and their mean for each chunk (as ingest makes them), the keyword
    index rebuilt the way ingest rebuilds it. Written a batch at a time: nothing holds the whole store."""
    from .ingest import Ingestor
    from .keyword import KeywordIndex
    from .retrieval import Retriever
    from .store import BATCH, DocRecord, Store, sentence_id
    from .text import TOKENS_VERSION

    say = progress or (lambda message: None)
    rng = np.random.default_rng(seed)
    home = replace(settings, home=work / "scale", chroma_url=None)
    store = Store(home)
    ranks = np.arange(1, VOCABULARY + 1)
    weights = 1.0 / ranks**1.1
    weights /= weights.sum()
    vocab = np.array([f"w{r}" for r in ranks])
    languages = ("en", "sr", "ru")

    def unit(rows: int) -> np.ndarray:
        v = rng.standard_normal((rows, DIM)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def tokens(rows: int, count: int) -> list[list[str]]:
        return vocab[rng.choice(VOCABULARY, size=(rows, count), p=weights)].tolist()

    # Sentences per chunk: floor or ceil of the ratio, mixed so the mean is the ratio, at most one per 4 tokens.
    low = max(1, int(ratio))
    sentences_per_chunk = np.minimum(low + (rng.random(n) < ratio - low), TOKENS_PER_CHUNK // 4)
    start = time.perf_counter()
    sentences = 0
    for lo in range(0, n, BATCH):
        rows = range(lo, min(n, lo + BATCH))
        chunk_rows: list[tuple[str, str, dict]] = []
        sent_rows: list[tuple[str, str, dict]] = []
        chunk_vecs = []
        texts = tokens(len(rows), TOKENS_PER_CHUNK)
        for i, words in zip(rows, texts, strict=True):
            d, index = divmod(i, CHUNKS_PER_DOC)
            if index == 0:
                offset, sent_index = 0, 0
            prefix, language = f"doc{d}:synthetic", languages[d % 3]
            cuts = np.linspace(0, len(words), sentences_per_chunk[i] + 1).astype(int)
            chunk_start, first = offset, sent_index
            for a, b in zip(cuts[:-1], cuts[1:], strict=True):
                text = " ".join(words[a:b])
                sent_rows.append((sentence_id(prefix, sent_index), text,
                                  {"doc_id": f"doc{d}", "language": language, "index": sent_index,
                                   "start": offset, "end": offset + len(text), "twin": ""}))
                offset += len(text) + 1
                sent_index += 1
            text = " ".join(words)
            chunk_rows.append((f"{prefix}:{index}", text,
                               {"doc_id": f"doc{d}", "source": f"synthetic/doc{d}.txt", "title": f"Synthetic report {d}",
                                "language": language, "script": "Latin", "date": "2021-01-01", "index": index,
                                "start": chunk_start, "end": chunk_start + len(text), "first_sentence": first,
                                "last_sentence": sent_index - 1, "kw": text, "kwv": TOKENS_VERSION}))
        sent_vecs = unit(len(sent_rows))
        at = 0
        for i in rows:
            v = sent_vecs[at : at + sentences_per_chunk[i]].mean(axis=0)
            chunk_vecs.append(v / np.linalg.norm(v))
            at += sentences_per_chunk[i]
        store.chunks.add([r[0] for r in chunk_rows], np.stack(chunk_vecs), [r[1] for r in chunk_rows],
                         [r[2] for r in chunk_rows])
        store.sentences.add([r[0] for r in sent_rows], sent_vecs, [r[1] for r in sent_rows], [r[2] for r in sent_rows])
        sentences += len(sent_rows)
        if (lo // BATCH) % 5 == 4:
            say(f"scale: {rows.stop:,} of {n:,} chunks and {sentences:,} sentences written "
                f"({time.perf_counter() - start:.0f} s)")
    write_s = time.perf_counter() - start
    release_memory()  # as ingest does once its writes are done, before the keyword index is rebuilt
    rss = {"scale_rss_after_write_mb": _rss_mb()}
    # The real path: ingest rebuilds the keyword index from the chunk metadata in Chroma.
    keyword_s, _ = _timed(lambda: Ingestor(home, store=store).refresh_keyword_index({}))
    rss["scale_rss_after_keyword_mb"] = _rss_mb()
    records = {f"doc{d}": DocRecord(f"doc{d}", "", "", languages[d % 3], "Latin", "2021-01-01", "", "complete", 0, 0)
               for d in range(-(-n // CHUNKS_PER_DOC))}
    retriever = Retriever(store, KeywordIndex(home.keyword_path), records)
    asks = [(unit(1), toks) for toks in tokens(queries + 3, 6)]
    for vec, toks in asks[:3]:
        retriever.search(vec, toks, home.top_k)
    ms = [_timed(lambda v=vec, t=toks: retriever.search(v, t, home.top_k))[0] * 1000 for vec, toks in asks[3:]]
    rss["scale_rss_after_search_mb"] = _rss_mb()
    return rss | {"scale_chunks": store.chunks.count(), "scale_sentences": store.sentences.count(),
            "scale_write_s": round(write_s, 1), "scale_keyword_s": round(keyword_s, 1),
            "scale_p50_ms": round(percentile(ms, 50), 2), "scale_p95_ms": round(percentile(ms, 95), 2)}


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def scale_process(settings: Settings, n: int, work: Path, ratio: float) -> dict:
    """Return bench_scale's numbers and the peak RSS of the process that ran it; run in a process of its own,
    holding what a server of that store holds (the embedder, Chroma, the keyword index) and nothing of the
    rest of the bench (two fresh ingests, the plain llama-index pipeline)."""
    from .embedding import get_embedder

    setup_offline_env()
    get_embedder(settings)
    out = bench_scale(settings, n, work, ratio=ratio, progress=_stderr)
    return out | {"scale_peak_rss_mb": peak_rss_mb()}
