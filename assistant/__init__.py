"""A conversational retrieval assistant whose answers cite the exact passages they came from."""

from .config import Settings
from .types import Answer, AnswerSentence, Citation, Document, Passage

__all__ = ["Answer", "AnswerSentence", "Citation", "Document", "Passage", "Settings"]
