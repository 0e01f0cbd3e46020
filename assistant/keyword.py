"""The keyword index: BM25 (bm25s) over script-folded, stemmed tokens, persisted in the data directory."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import numpy as np


class KeywordIndex:
    """BM25 over chunk tokens; built by ingest, loaded once per process, searched per question."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.ids: list[str] = []
        self.fields: dict[str, list] = {}
        self.signature = ""
        self._bm25 = None
        self._pos: dict[str, int] = {}
        self._load()

    def _load(self) -> None:
        meta = self.path / "chunks.json"
        if not meta.exists():
            return
        try:
            data = json.loads(meta.read_text("utf-8"))
            if not _well_formed(data):
                return  # an index of the wrong shape counts as none: the signature check rebuilds it
            import bm25s

            bm25 = bm25s.BM25.load(str(self.path / "bm25")) if data["ids"] else None
            if bm25 is not None and int(bm25.scores["num_docs"]) != len(data["ids"]):
                return
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return  # a damaged index is rebuilt by the next ingest, which notices the signature
        self.ids, self.fields, self.signature = data["ids"], data["fields"], data["signature"]
        self._bm25 = bm25
        self._pos = {i: n for n, i in enumerate(self.ids)}

    def build(self, ids: list[str], tokens: list[list[str]], fields: dict[str, list], signature: str) -> None:
        """Replace the index with one over the given chunks, written atomically."""
        import bm25s

        tmp = self.path.with_name(self.path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        bm25 = None
        if ids:
            # An empty token list would make bm25s drop the row; keep positions aligned with ids.
            bm25 = bm25s.BM25()
            bm25.index([t or ["\u2205"] for t in tokens], show_progress=False)
            bm25.save(str(tmp / "bm25"), show_progress=False)
        (tmp / "chunks.json").write_text(
            json.dumps({"ids": ids, "fields": fields, "signature": signature}, ensure_ascii=False), "utf-8"
        )
        old = self.path.with_name(self.path.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.path.exists():
            os.replace(self.path, old)
        os.replace(tmp, self.path)
        shutil.rmtree(old, ignore_errors=True)
        self.ids, self.fields, self.signature, self._bm25 = ids, fields, signature, bm25
        self._pos = {i: n for n, i in enumerate(ids)}

    def mask(self, where: dict[str, set] | None) -> np.ndarray | None:
        """Return a 0/1 weight per chunk for field filters like {"language": {"sr"}}, None for no filter."""
        if not where:
            return None
        keep = np.ones(len(self.ids), dtype=np.float32)
        for name, allowed in where.items():
            values = self.fields.get(name, [])
            keep *= np.fromiter((v in allowed for v in values), dtype=np.float32, count=len(self.ids))
        return keep

    def search(self, tokens: list[str], k: int, weights: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Return up to k (chunk id, BM25 score) with a positive score, best first."""
        if self._bm25 is None or not tokens:
            return []
        vocab = self._bm25.vocab_dict
        known = [t for t in tokens if t in vocab]
        if not known:
            return []
        scores = self._bm25.get_scores(known)
        if weights is not None:
            scores = scores * weights
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def document_frequency(self, token: str) -> int:
        """Return in how many chunks a token occurs (0 for an unknown token)."""
        if self._bm25 is None:
            return 0
        column = self._bm25.vocab_dict.get(token)
        if column is None:
            return 0
        indptr = self._bm25.scores["indptr"]
        return int(indptr[column + 1] - indptr[column])

    def idf(self, token: str) -> float:
        """Return how rare a token is across chunks, log(1 + N/df); an unknown token counts as rarest."""
        n = len(self.ids)
        return math.log(1 + n / max(1, self.document_frequency(token)))

    def __len__(self) -> int:
        return len(self.ids)


def _well_formed(data) -> bool:
    """Return whether chunks.json holds what build() writes: ids, per-chunk fields, a signature."""
    if not (isinstance(data, dict) and isinstance(data.get("ids"), list) and isinstance(data.get("fields"), dict)
            and isinstance(data.get("signature"), str)):
        return False
    n = len(data["ids"])
    return all(isinstance(i, str) for i in data["ids"]) and all(
        isinstance(v, list) and len(v) == n for v in data["fields"].values())
