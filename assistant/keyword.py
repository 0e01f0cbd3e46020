"""The keyword index: BM25 over script-folded, stemmed tokens, persisted in the data directory (bm25file)."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from pathlib import Path

import numpy as np

from .bm25file import BM25Writer, SavedBM25
from .text import TOKENS_VERSION, skeleton

# A token in a report or two (a report and its translation) names something a question is about however many
# of that report's chunks repeat it (a body a report is about is in most of them): scorer's rare tokens.
FEW_REPORTS = 2
FEW_SHARE = 0.1
FEW_REPORTS_CHUNKS = 1000  # two reports of 500 chunks each are past any report's length: a common word
SPELLED_MIN = 4  # the shortest stem looked up by its skeleton (spelled_alike)


def keyword_signature(records: dict) -> str:
    """Return a fingerprint of the indexed documents (store.DocRecord by id) and of how their tokens are made
    (text.TOKENS_VERSION); the keyword index is valid for exactly one."""
    parts = sorted(f"{r.doc_id}\0{r.content_hash}\0{r.chunks}" for r in records.values() if r.state == "complete")
    return hashlib.sha1("\n".join([f"tokens {TOKENS_VERSION}", *parts]).encode()).hexdigest()


class KeywordIndex:
    """BM25 over chunk tokens; built by ingest, loaded once per process, searched per question."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.ids: list[str] = []
        self.fields: dict[str, list] = {}
        self.signature = ""
        self._bm25 = None
        self._pos: dict[str, int] = {}
        self._rows: dict[str, list[int]] | None = None  # each document's chunk positions, made when first asked
        self._languages: np.ndarray | None = None
        self._reports: np.ndarray | None = None  # each chunk's report, as a number, made when first asked
        self._report_count = 0
        self._skeletons: dict[str, tuple[str, ...]] | None = None  # stems by skeleton, made when first asked
        self._load()

    def _load(self) -> None:
        meta = self.path / "chunks.json"
        if not meta.exists():
            return
        try:
            data = json.loads(meta.read_text("utf-8"))
            if not _well_formed(data):
                return  # an index of the wrong shape counts as none: the signature check rebuilds it
            # Read without bm25s, whose import of scipy is a tenth of a second of a cold question (bm25file).
            bm25 = SavedBM25(self.path / "bm25") if data["ids"] else None
            if bm25 is not None and bm25.num_docs != len(data["ids"]):
                return
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return  # a damaged index is rebuilt by the next ingest, which notices the signature
        self.ids, self.fields, self.signature = data["ids"], data["fields"], data["signature"]
        self._bm25 = bm25
        self._rows = self._languages = self._reports = self._skeletons = None
        self._pos = {i: n for n, i in enumerate(self.ids)}

    def build(self, ids: list[str], tokens: list[list[str]], fields: dict[str, list], signature: str) -> None:
        """Replace the index with one over the given chunks, written atomically."""
        writer = BM25Writer()
        writer.add(tokens)
        self.build_from(ids, writer, fields, signature)

    def build_from(self, ids: list[str], writer: BM25Writer, fields: dict[str, list], signature: str) -> None:
        """Replace the index with one over chunks whose tokens were given to writer, in the order of ids,
        written atomically."""
        if writer.num_docs != len(ids):
            raise ValueError(f"{len(ids)} chunk ids for {writer.num_docs} chunks of tokens")
        tmp = self.path.with_name(self.path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if ids:
            writer.save(tmp / "bm25")
        (tmp / "chunks.json").write_text(
            json.dumps({"ids": ids, "fields": fields, "signature": signature}, ensure_ascii=False), "utf-8"
        )
        old = self.path.with_name(self.path.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.path.exists():
            os.replace(self.path, old)
        os.replace(tmp, self.path)
        shutil.rmtree(old, ignore_errors=True)
        # Searched as a loaded index is (the same scores, one code path).
        self.ids, self.fields, self.signature = ids, fields, signature
        self._bm25 = SavedBM25(self.path / "bm25") if ids else None
        self._pos = {i: n for n, i in enumerate(ids)}
        self._rows = self._languages = self._reports = self._skeletons = None

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

    def holding(self, tokens: list[str], weights: np.ndarray | None = None) -> list[str]:
        """Return the chunks that hold every one of tokens (and a non-zero weight), from the tokens' postings:
        no scoring pass over the whole index."""
        if self._bm25 is None or not tokens:
            return []
        rows = self._bm25.documents(tokens[0])
        for token in tokens[1:]:
            rows = np.intersect1d(rows, self._bm25.documents(token), assume_unique=True)
        rows = rows[rows < len(self.ids)]
        if weights is not None:
            rows = rows[weights[rows] > 0]
        return [self.ids[n] for n in rows]

    def spelled_alike(self, bones: str) -> tuple[str, ...]:
        """Return the index's word stems whose consonant skeleton (text.skeleton) is bones: how a name typed in
        another script, or as another language spells it, is looked up ("причард" for "Pritchard"). The map is
        made when first asked, from the vocabulary."""
        if self._bm25 is None or not bones:
            return ()
        if self._skeletons is None:
            out: dict[str, list[str]] = {}
            for token in self._bm25.vocab_dict:
                if len(token) >= SPELLED_MIN and token.isalpha() and token.isascii():
                    key = skeleton(token)
                    if key:
                        out.setdefault(key, []).append(token)
            self._skeletons = {k: tuple(v) for k, v in out.items()}
        return self._skeletons.get(bones, ())

    def sentence_range(self, chunk_id: str) -> tuple[int, int] | None:
        """Return the first and last sentence index a chunk holds, None when the index does not know them."""
        n = self._pos.get(chunk_id)
        first, last = self.fields.get("first_sentence"), self.fields.get("last_sentence")
        if n is None or first is None or last is None or first[n] < 0:
            return None
        return first[n], last[n]

    def sentence_chunks(self, doc_id: str) -> dict[int, tuple[str, ...]] | None:
        """Return, for each sentence index of a document, the chunks that hold it, from the chunks' sentence
        ranges; None when the index has no ranges for that document (built from an older store)."""
        first, last = self.fields.get("first_sentence"), self.fields.get("last_sentence")
        if first is None or last is None:
            return None
        if self._rows is None:
            rows: dict[str, list[int]] = {}
            for n, d in enumerate(self.fields.get("doc_id", [])):
                rows.setdefault(d, []).append(n)
            self._rows = rows
        mine = self._rows.get(doc_id, [])
        if not mine or any(first[n] < 0 for n in mine):
            return None
        out: dict[int, list[str]] = {}
        for n in mine:
            for i in range(first[n], last[n] + 1):
                out.setdefault(i, []).append(self.ids[n])
        return {i: tuple(chunks) for i, chunks in out.items()}

    def document_frequency(self, token: str) -> int:
        """Return in how many chunks a token occurs (0 for an unknown token)."""
        return self._bm25.document_frequency(token) if self._bm25 is not None else 0

    def language_frequency(self, token: str, language: str) -> int:
        """Return in how many chunks in language a token occurs."""
        if self._bm25 is None:
            return 0
        if self._languages is None:  # each chunk's language as one array, made when first asked
            self._languages = np.asarray(self.fields.get("language", []), dtype=object)
        rows = self._bm25.documents(token)
        rows = rows[rows < len(self._languages)]
        return int(np.count_nonzero(self._languages[rows] == language))

    def report_frequency(self, token: str) -> int:
        """Return in how many reports a token occurs (a name one report repeats in every chunk is in one)."""
        if self._bm25 is None:
            return 0
        rows = self._bm25.documents(token)
        reports = self._report_rows()
        return int(np.unique(reports[rows[rows < len(reports)]]).size)

    def in_few_reports(self, token: str) -> bool:
        """Return whether a token is in few of the reports however many of their chunks hold it: in at most
        FEW_REPORTS of them (a report and its translation) and at most FEW_SHARE of all. In a library of five,
        two reports are no few."""
        if not 0 < self.document_frequency(token) <= FEW_REPORTS_CHUNKS:  # unknown, or not worth counting
            return False
        rf = self.report_frequency(token)
        return 0 < rf <= min(FEW_REPORTS, FEW_SHARE * self._report_count)

    def _report_rows(self) -> np.ndarray:
        """Return each chunk's report as a number (made when first asked, with the number of reports)."""
        if self._reports is None:
            names, self._reports = np.unique(np.asarray(self.fields.get("doc_id", []), dtype=object),
                                             return_inverse=True)
            self._report_count = len(names)
        return self._reports

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
