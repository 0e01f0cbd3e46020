"""Conversations: history kept within a token budget, and follow-up questions made standalone."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .chunking import count_tokens
from .grounding import MARKER
from .text import content_words, detect_language
from .types import Answer, Message

# Words that point back into the conversation ("they", "there", "and …?") in the three languages.
_ANAPHORA = re.compile(
    r"^(and|also|what about|how about|then|а|и|а что|и что|a|i)\b|"
    r"\b(they|them|their|it|its|there|that|this|those|he|she|his|her|the meeting|the event|"
    r"они|њих|их|њихов|тамо|там|он|она|оно|то|тај|та|он|его|её|этот|эта|этом|тој|"
    r"oni|njih|njihov|tamo|on|ona|ono|taj|ta|tom)\b",
    re.IGNORECASE,
)
FOLLOW_UP_MAX_WORDS = 4


def as_messages(history: Iterable) -> list[Message]:
    """Return history as Messages, from Message objects or {"role", "content"} dicts (content may be
    a list of blocks, as Gradio sends it)."""
    out = []
    for item in history or []:
        role, content = (item.role, item.content) if isinstance(item, Message) else (item.get("role"), item.get("content"))
        if isinstance(content, list):
            content = " ".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
        if role in ("user", "assistant") and isinstance(content, str) and content.strip():
            out.append(Message(role, content))
    return out


def trim(history: list[Message], budget: int) -> list[Message]:
    """Return the latest turns of history whose tiktoken count fits the budget."""
    kept: list[Message] = []
    for message in reversed(history):
        budget -= count_tokens(message.content)
        if budget < 0:
            break
        kept.append(message)
    return kept[::-1]


def is_follow_up(question: str, history: list[Message]) -> bool:
    """Return whether a question leans on the conversation: it is short or points back with a pronoun."""
    if not any(m.role == "user" for m in history):
        return False
    words = content_words(question, detect_language(question))
    return len(words) <= FOLLOW_UP_MAX_WORDS or bool(_ANAPHORA.search(question.strip()))


@dataclass(frozen=True)
class Turn:
    """What retrieval needs of a question in a conversation."""

    question: str
    search_text: str
    carried_docs: tuple[str, ...] = ()

    @property
    def follow_up(self) -> bool:
        """Return whether the conversation's topic was carried into the search."""
        return self.search_text != self.question


MAX_CHAIN = 3


def topic(history: list[Message]) -> str:
    """Return the conversation's topic: the latest user questions back to the last one that stands on
    its own ("what did DPNSEE say?" → "and Pakistan?" → "when was it held?" keeps DPNSEE)."""
    users = [i for i, m in enumerate(history) if m.role == "user"]
    chain: list[str] = []
    for i in reversed(users[-MAX_CHAIN:]):
        chain.append(MARKER.sub("", history[i].content))
        if not is_follow_up(history[i].content, history[:i]):
            break
    return " ".join(reversed(chain))


def contextualise(question: str, history: list[Message], last: Answer | None = None) -> Turn:
    """Return the question with the previous turn's topic carried in when it is a follow-up: the last
    user question joins the search text and the documents the last answer cited (when known) get a
    boost."""
    if not is_follow_up(question, history):
        return Turn(question, question)
    previous = topic(history)
    docs = tuple(dict.fromkeys(c.doc_id for c in last.citations)) if last and last.found else ()
    return Turn(question, f"{question} {previous}".strip(), docs)

