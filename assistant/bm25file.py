"""A keyword index as bm25s's BM25.save wrote it, read and scored without importing bm25s.

Importing bm25s imports scipy.sparse (~0.1 s of a cold command-line question), yet a question needs only the
saved arrays: for each vocabulary token, the BM25 score it adds to each chunk holding it (a CSC matrix:
data, indices, indptr). Ingest still builds and saves the index with bm25s; tests/test_keyword.py checks that
these scores are bm25s's own, bit for bit, so a new bm25s that saves or scores differently fails there.
"""

from __future__ import annotations

import json
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
        # KeywordIndex.build_ids writes a new directory and swaps it in whole.
        self.data, self.indices, self.indptr = (_load(path / f"{name}.csc.index.npy")
                                                for name in ("data", "indices", "indptr"))
        self.nonoccurrence = (np.load(path / "nonoccurrence_array.index.npy", allow_pickle=False)
                              if params.get("method") in NEEDS_NONOCCURRENCE else None)

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """Return each chunk's BM25 score for the tokens (repeats count again; unknown tokens add nothing)."""
        ids = np.asarray([self.vocab_dict[t] for t in tokens if t in self.vocab_dict], dtype=self.int_dtype)
        if ids.size and ids.max() >= len(self.indptr) - 1:  # bm25s's vocabulary holds "", which has no column
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

    def document_frequency(self, token: str) -> int:
        """Return in how many chunks a token occurs (0 for an unknown token)."""
        column = self.vocab_dict.get(token)
        if column is None or column + 1 >= len(self.indptr):  # bm25s keeps a column-less "" in its vocabulary
            return 0
        return int(self.indptr[column + 1] - self.indptr[column])


def _load(file: Path) -> np.ndarray:
    """Return a saved array memory-mapped read-only (read whole when it cannot be mapped: an empty array)."""
    try:
        return np.load(file, mmap_mode="r", allow_pickle=False)
    except ValueError:
        return np.load(file, allow_pickle=False)
