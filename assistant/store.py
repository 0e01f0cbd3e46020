"""Chroma, embedded on disk or a server: chunks, sentences and the record of what is indexed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlparse

import numpy as np

from .config import Settings
from .types import Document

# Chroma caps how many records one call may carry; stay well below it.
BATCH = 2000


@dataclass(frozen=True)
class DocRecord:
    """What the store knows of one indexed document."""

    doc_id: str
    source: str
    title: str
    language: str
    script: str
    date: str
    content_hash: str
    state: str
    chunks: int
    sentences: int
    twin: str = ""


def _client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url if "://" in settings.chroma_url else f"http://{settings.chroma_url}")
        try:
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as e:  # refused, unresolvable, bad port, TLS…: all fixed by the user, not by a traceback
            raise SystemExit(
                f"error: cannot reach the Chroma server at {settings.chroma_url} ({e}); start it "
                "(chroma run --path DIR --port PORT) or unset ASSISTANT_CHROMA_URL to use the embedded store"
            ) from None
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


class Store:
    """Three Chroma collections: chunks (retrieval), sentences (answer extraction), documents (the
    manifest: one record per document with its full cleaned text, state and twin)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.client = _client(settings)
        space = {"hnsw:space": "cosine"}
        name = settings.collection
        # embedding_function=None: vectors always come from our embedder, never Chroma's default.
        self.chunks = self.client.get_or_create_collection(f"{name}-chunks", embedding_function=None, metadata=space)
        self.sentences = self.client.get_or_create_collection(
            f"{name}-sentences", embedding_function=None, metadata=space
        )
        self.documents = self.client.get_or_create_collection(
            f"{name}-documents", embedding_function=None, metadata=space
        )

    # --- documents ------------------------------------------------------------------------------

    def records(self) -> dict[str, DocRecord]:
        """Return every document record by doc_id."""
        got = self.documents.get(include=["metadatas"])
        return {i: _record(i, m) for i, m in zip(got["ids"], got["metadatas"] or [], strict=False)}

    def document_text(self, doc_id: str) -> str | None:
        """Return the cleaned text of a document, None if it is not indexed."""
        got = self.documents.get(ids=[doc_id], include=["documents"])
        return got["documents"][0] if got["ids"] else None

    def document_vectors(self) -> dict[str, np.ndarray]:
        """Return each document's vector (the normalised mean of its chunk vectors)."""
        got = self.documents.get(include=["embeddings"])
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"], strict=False)}

    def mark(self, doc: Document, state: str, vector: np.ndarray, chunks: int, sentences: int, twin: str = "") -> None:
        """Write a document's record: "pending" before its chunks change, "complete" after."""
        meta = doc.metadata() | {"state": state, "chunks": chunks, "sentences": sentences, "twin": twin}
        self.documents.upsert(ids=[doc.doc_id], embeddings=[vector], documents=[doc.text], metadatas=[meta])

    def set_twin(self, doc_id: str, twin: str) -> None:
        """Record the translation twin of a document ("" for none)."""
        got = self.documents.get(ids=[doc_id], include=["metadatas"])
        if got["ids"]:
            self.documents.update(ids=[doc_id], metadatas=[got["metadatas"][0] | {"twin": twin}])

    # --- chunks and sentences -------------------------------------------------------------------

    def add(self, collection, ids, vectors, texts, metadatas) -> None:
        """Add records to a collection in batches Chroma accepts."""
        for i in range(0, len(ids), BATCH):
            collection.add(
                ids=ids[i : i + BATCH],
                embeddings=np.asarray(vectors[i : i + BATCH], dtype=np.float32),
                documents=texts[i : i + BATCH],
                metadatas=metadatas[i : i + BATCH],
            )

    def delete_document(self, doc_id: str, keep_record: bool = False) -> None:
        """Remove a document's chunks and sentences, and its record unless keep_record."""
        self.chunks.delete(where={"doc_id": doc_id})
        self.sentences.delete(where={"doc_id": doc_id})
        if not keep_record:
            self.documents.delete(ids=[doc_id])

    def delete_orphans(self, known: list[str]) -> int:
        """Remove chunks and sentences of documents that have no record; return how many went."""
        removed = 0
        for collection in (self.chunks, self.sentences):
            where = {"doc_id": {"$nin": known}} if known else None
            ids = collection.get(where=where, include=[])["ids"]
            for i in range(0, len(ids), BATCH):
                collection.delete(ids=ids[i : i + BATCH])
            removed += len(ids)
        return removed

    def get_document_parts(self, collection, doc_id: str, embeddings: bool = True) -> dict:
        """Return ids, texts, metadatas (and vectors) of one document's records in a collection."""
        include = ["documents", "metadatas"] + (["embeddings"] if embeddings else [])
        return collection.get(where={"doc_id": doc_id}, include=include)

    def all_chunk_metadata(self) -> tuple[list[str], list[dict]]:
        """Return every chunk's id and metadata (for rebuilding the keyword index)."""
        ids: list[str] = []
        metas: list[dict] = []
        total = self.chunks.count()
        for offset in range(0, total, BATCH):
            got = self.chunks.get(include=["metadatas"], limit=BATCH, offset=offset)
            ids += got["ids"]
            metas += got["metadatas"]
        return ids, metas

    def query_chunks(self, vectors: np.ndarray, k: int, where: dict | None) -> list[tuple[str, float, str, dict]]:
        """Return the k nearest chunks to any of the query vectors as (id, best similarity, text, metadata)."""
        vectors = np.atleast_2d(vectors)
        got = self.chunks.query(
            query_embeddings=list(vectors), n_results=k, where=where,
            include=["documents", "metadatas", "distances"],
        )
        best: dict[str, tuple[str, float, str, dict]] = {}
        for q in range(len(vectors)):
            for i, d, t, m in zip(got["ids"][q], got["distances"][q], got["documents"][q], got["metadatas"][q],
                                  strict=False):
                if i not in best or 1.0 - float(d) > best[i][1]:
                    best[i] = (i, 1.0 - float(d), t, m)
        return sorted(best.values(), key=lambda r: -r[1])[:k]

    def query_sentences(self, vectors: np.ndarray, k: int, where: dict | None) -> list[tuple[str, int, int, float]]:
        """Return the k nearest sentences to any query vector as (doc_id, start, end, best similarity)."""
        vectors = np.atleast_2d(vectors)
        got = self.sentences.query(query_embeddings=list(vectors), n_results=k, where=where,
                                   include=["metadatas", "distances"])
        best: dict[str, tuple[str, int, int, float]] = {}
        for q in range(len(vectors)):
            for i, d, m in zip(got["ids"][q], got["distances"][q], got["metadatas"][q], strict=False):
                if i not in best or 1.0 - float(d) > best[i][3]:
                    best[i] = (m["doc_id"], m["start"], m["end"], 1.0 - float(d))
        return sorted(best.values(), key=lambda r: -r[3])[:k]

    def get_chunks(self, ids: list[str]) -> dict[str, tuple[str, dict]]:
        """Return text and metadata of the given chunk ids."""
        if not ids:
            return {}
        got = self.chunks.get(ids=ids, include=["documents", "metadatas"])
        return {i: (t, m) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"], strict=False)}


def _record(doc_id: str, m: dict) -> DocRecord:
    return DocRecord(
        doc_id=doc_id,
        source=m.get("source", ""),
        title=m.get("title", ""),
        language=m.get("language", ""),
        script=m.get("script", ""),
        date=m.get("date", ""),
        content_hash=m.get("content_hash", ""),
        state=m.get("state", ""),
        chunks=int(m.get("chunks", 0)),
        sentences=int(m.get("sentences", 0)),
        twin=m.get("twin", ""),
    )


def dumps(value) -> str:
    """Return compact JSON for metadata fields that hold lists."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
