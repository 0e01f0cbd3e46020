"""An LLM judge of claim-level faithfulness: the share of an answer's claims its cited passages state."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from .config import Settings
from .grounding import clean_claim
from .prompts import render
from .types import Answer

_JSON = re.compile(r"\{.*\}", re.S)


class Judge:
    """Asks an LLM (any backend of the registry in llm.py) whether each answer sentence is supported."""

    def __init__(self, settings: Settings, backend: str, llm=None):
        from .llm import get_llm

        self.llm = llm if llm is not None else get_llm(replace(settings, answerer=backend))

    def _messages(self, answer: Answer):
        from llama_index.core.llms import ChatMessage

        claims = [{"text": clean_claim(s.text), "citations": list(s.citations)} for s in answer.sentences]
        passages = [{"n": c.n, "text": c.text} for c in answer.citations]
        prompt = render("judge.md", question=answer.question, passages=passages, claims=claims)
        return [ChatMessage(role="user", content=prompt)]

    def faithfulness(self, answer: Answer) -> float | None:
        """Return supported claims ÷ claims, None for an abstention or a reply that is not the JSON asked."""
        if not answer.found or not answer.sentences:
            return None
        return verdict(self.llm.chat(self._messages(answer)).message.content or "", len(answer.sentences))

    async def afaithfulness(self, answer: Answer) -> float | None:
        """Return the same as faithfulness(), without blocking the event loop."""
        if not answer.found or not answer.sentences:
            return None
        reply = await self.llm.achat(self._messages(answer))
        return verdict(reply.message.content or "", len(answer.sentences))


def verdict(reply: str, claims: int) -> float | None:
    """Return the share of claims the judge's JSON reply marks supported, None when it is unreadable."""
    match = _JSON.search(reply)
    try:
        judged = json.loads(match.group(0))["claims"] if match else None
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(judged, list) or len(judged) != claims:
        return None
    return sum(bool(isinstance(c, dict) and c.get("supported") is True) for c in judged) / claims
