"""A conversational retrieval assistant whose answers cite the exact passages they came from."""

from .config import Settings
from .types import Answer, AnswerSentence, Citation, Document, Passage

__all__ = ["Answer", "AnswerSentence", "Assistant", "Citation", "Document", "Passage", "Settings"]


def __getattr__(name: str):
    # Assistant pulls in the embedder and Chroma; import it only when asked for.
    if name == "Assistant":
        from .core import Assistant

        return Assistant
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
