"""A keyword index in bm25s's saved format, written and read here without bm25s.

The format: for each vocabulary token, the BM25 score it adds to each chunk holding it (a CSC matrix: data,
indices, indptr, as .npy files), the vocabulary and the parameters as JSON. A question needs only these
arrays, and importing bm25s imports scipy.sparse (~0.1 s of a cold command-line question). Building them
with bm25s held every chunk's tokens as Python lists and then its own build arrays, the biggest part of a
large store's rebuild (~200 MB at 100,000 chunks); BM25Writer keeps each chunk's distinct tokens and counts
in flat arrays as pages of chunks come. tests/test_keyword.py checks both sides against bm25s bit for bit:
the arrays BM25Writer saves, and the scores SavedBM25 gives.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from itertools import chain
from pathlib import Path

import numpy as np

NEEDS_NONOCCURRENCE = ("bm25l", "bm25+")  # methods that add a score for each query token a chunk lacks


class SavedBM25:
    """The arrays and vocabulary of a saved bm25s index; scores a query as BM25.get_scores does."""

    def __init__(self, path: Path):
        path = Path(path)
        params = json.loads((path / "params.index.json").read_text("utf-8"))
        self.vocab_dict: dict[str, int] = json.loads((path / "vocab.index.json").read_text("utf-8"))
        self.dtype = np.dtype(params["dtype"])
        self.int_dtype = np.dtype(params["int_dtype"])
        self.num_docs = int(params["num_docs"])
        # Mapped, not read: a question touches only its tokens' postings, so a big index costs resident memory
        # for those alone (34 MB of postings at 100,000 chunks otherwise). The files never change under the map:
        # KeywordIndex.build_from writes a new directory and swaps it in whole.
        self.data, self.indices, self.indptr = (_load(path / f"{name}.csc.index.npy")
                                                for name in ("data", "indices", "indptr"))
        self.nonoccurrence = (np.load(path / "nonoccurrence_array.index.npy", allow_pickle=False)
                              if params.get("method") in NEEDS_NONOCCURRENCE else None)

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """Return each chunk's BM25 score for the tokens (repeats count again; unknown tokens add nothing)."""
        ids = np.asarray([self.vocab_dict[t] for t in tokens if t in self.vocab_dict], dtype=self.int_dtype)
        if ids.size and ids.max() >= len(self.indptr) - 1:  # bm25s's own vocabulary holds "", which has no column
            raise ValueError(f"token id {int(ids.max())} is not in the index's {len(self.indptr) - 1} columns")
        scores = np.zeros(self.num_docs, dtype=self.dtype)
        # Token by token in the query's order, each column's chunks in stored order: float32 sums depend on
        # the order of their additions, and this is the order bm25s adds them in.
        for token in ids:
            start, end = self.indptr[token], self.indptr[token + 1]
            np.add.at(scores, self.indices[start:end], self.data[start:end])
        if self.nonoccurrence is not None:
            scores += self.nonoccurrence[ids].sum()
        return scores

    def documents(self, token: str) -> np.ndarray:
        """Return the rows of the chunks a token occurs in (none for an unknown token)."""
        column = self.vocab_dict.get(token)
        if column is None or column + 1 >= len(self.indptr):
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self.indices[self.indptr[column] : self.indptr[column + 1]])

    def document_frequency(self, token: str) -> int:
        """Return in how many chunks a token occurs (0 for an unknown token)."""
        column = self.vocab_dict.get(token)
        if column is None or column + 1 >= len(self.indptr):  # bm25s keeps a column-less "" in its vocabulary
            return 0
        return int(self.indptr[column + 1] - self.indptr[column])


class BM25Writer:
    """Builds and saves the arrays SavedBM25 reads, as bm25s's default BM25 (Lucene's idf and term frequency
    part, k1 1.5, b 0.75) makes them, from chunks given a page at a time.

    Each chunk is kept as its distinct token ids with their counts (12 bytes a pair) rather than as a list of
    tokens; the scores need the mean chunk length, so they are made at save, page by page, each page's pairs
    placed straight into the column-ordered arrays and then dropped."""

    K1, B, DELTA = 1.5, 0.75, 0.5  # bm25s's defaults (delta is saved but unused by this method)

    def __init__(self):
        self.vocab: dict[str, int] = {}
        self.num_docs = 0
        self._pages: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # chunk, token id, count of each pair
        self._lengths: list[np.ndarray] = []

    def add(self, chunks: Iterable[list[str]]) -> None:
        """Add chunks, each as its list of tokens (repeats count; an empty list is a chunk with no tokens)."""
        vocab = self.vocab
        ids = [[vocab.setdefault(t, len(vocab)) for t in tokens] for tokens in chunks]
        if not ids:
            return
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
        rows = np.repeat(np.arange(len(ids), dtype=np.int64), lengths)
        pairs, counts = np.unique((rows << 32) | flat, return_counts=True)  # sorted: chunk first, then token
        self._pages.append(((pairs >> 32).astype(np.int32) + np.int32(self.num_docs),
                            (pairs & 0xFFFFFFFF).astype(np.int32), counts.astype(np.int32)))
        self._lengths.append(lengths.astype(np.int32))
        self.num_docs += len(ids)

    def save(self, dest: Path) -> None:
        """Write the index to dest (a new directory); the writer is empty afterwards."""
        n, v = self.num_docs, len(self.vocab)
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, dtype=np.int32)
        df = np.zeros(v, dtype=np.int64)
        for _, terms, _ in self._pages:
            df += np.bincount(terms, minlength=v)
        # Each idf is computed in double precision and stored as float32, as bm25s does (math.log, not
        # numpy's: the two may differ in the last bit, which float32 rounding can carry).
        idf = np.zeros(v, dtype=np.float32)
        for value in np.unique(df):
            if value:
                idf[df == value] = math.log(1 + (n - int(value) + 0.5) / (int(value) + 0.5))
        avg = lengths.mean() if n else np.float64(0.0)  # float64, as bm25s's
        nnz = int(df.sum())
        indptr = np.zeros(v + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        indices = np.empty(nnz, dtype=np.int32)
        data = np.empty(nnz, dtype=np.float32)
        cursor = indptr[:-1].copy()  # where each token's column takes its next chunk
        self._pages.reverse()
        while self._pages:
            docs, terms, counts = self._pages.pop()
            tf = counts.astype(np.float64)
            l_d = lengths[docs].astype(np.float64)
            # bm25s's expression, in its order of operations: float64 throughout, float32 at the end.
            score = (idf[terms] * (tf / (self.K1 * ((1 - self.B) + self.B * l_d / avg) + tf))).astype(np.float32)
            # A column lists its chunks in ascending order; pages come in chunk order, so a page's pairs go
            # after the earlier pages' in each column, in the page's own chunk order (a stable sort by token).
            order = np.argsort(terms, kind="stable")
            sorted_terms = terms[order]
            rank = np.arange(len(order)) - np.searchsorted(sorted_terms, sorted_terms, side="left")
            at = cursor[sorted_terms] + rank
            indices[at] = docs[order]
            data[at] = score[order]
            cursor += np.bincount(terms, minlength=v)
        self._lengths = []
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        for name, array in (("data", data), ("indices", indices), ("indptr", indptr)):
            np.save(dest / f"{name}.csc.index.npy", array, allow_pickle=False)
        (dest / "vocab.index.json").write_text(json.dumps(self.vocab, ensure_ascii=False), "utf-8")
        params = {"k1": self.K1, "b": self.B, "delta": self.DELTA, "method": "lucene", "idf_method": "lucene",
                  "dtype": "float32", "int_dtype": "int32", "num_docs": n, "backend": "numpy"}
        (dest / "params.index.json").write_text(json.dumps(params, indent=4), "utf-8")


def _load(file: Path) -> np.ndarray:
    """Return a saved array memory-mapped read-only (read whole when it cannot be mapped: an empty array).

    The map is returned as a plain ndarray over the same pages (it keeps the map open): every index or slice
    of an np.memmap makes another memmap object through Python-level code, ~80 of them a question (a
    token's postings, its document frequency), where a plain array's are made in C."""
    try:
        return np.asarray(np.load(file, mmap_mode="r", allow_pickle=False))
    except ValueError:
        return np.load(file, allow_pickle=False)
