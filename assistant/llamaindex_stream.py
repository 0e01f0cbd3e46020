"""Answers as llama-index streams: the answerer's words as they come, the checked answer at the end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole
from llama_index.core.base.response.schema import AsyncStreamingResponse, Response, StreamingResponse
from llama_index.core.chat_engine.types import StreamingAgentChatResponse

from .types import Answer


def deltas(answers: Iterator[Answer], done: Callable[[Answer], None]) -> Iterator[str]:
    """Yield the new text of each growing answer; call done with the last (complete, checked) one.

    An LLM's raw words can change when its answer is checked (markers renumbered or removed), so text that
    no longer extends what was shown is not streamed; the response's final text is the checked answer.
    """
    shown, last = "", None
    for last in answers:
        if last.answer.startswith(shown) and len(last.answer) > len(shown):
            yield last.answer[len(shown):]
            shown = last.answer
    if last is not None:
        done(last)


def start(answers: Iterator[Answer]) -> Iterator[Answer]:
    """Return the stream with its first answer already taken, so a bad question or an empty index raises
    at the call, not at the first read of the stream."""
    first = next(answers)

    def rest() -> Iterator[Answer]:
        yield first
        yield from answers

    return rest()


async def astart(answers: Iterator[Answer]) -> AsyncIterator[Answer]:
    """Return the same as start() as an async stream, each step in a thread."""
    first = await asyncio.to_thread(next, answers)

    async def rest() -> AsyncIterator[Answer]:
        item = first
        while item is not None:
            yield item
            item = await asyncio.to_thread(next, answers, None)

    return rest()


async def adeltas(answers: AsyncIterator[Answer], done: Callable[[Answer], None]) -> AsyncIterator[str]:
    """Return the same as deltas() for an async stream."""
    shown, last = "", None
    async for last in answers:
        if last.answer.startswith(shown) and len(last.answer) > len(shown):
            yield last.answer[len(shown):]
            shown = last.answer
    if last is not None:
        done(last)


@dataclass
class CitedStreamingResponse(StreamingResponse):
    """A StreamingResponse whose text, once the stream is read, is the checked, cited answer."""

    answer: Answer | None = None

    def get_response(self) -> Response:
        """Return the complete Response (reading the rest of the stream)."""
        super().get_response()
        if self.answer is not None:
            self.response_txt = self.answer.answer
        return Response(self.response_txt, self.source_nodes, self.metadata)

    def __str__(self) -> str:
        return self.get_response().response or "None"

    def print_response_stream(self) -> None:
        """Print the answer as it streams in."""
        super().print_response_stream()
        self.get_response()


@dataclass
class CitedAsyncStreamingResponse(AsyncStreamingResponse):
    """An AsyncStreamingResponse whose text, once the stream is read, is the checked, cited answer."""

    answer: Answer | None = None

    async def _yield_response(self):
        async for text in super()._yield_response():
            yield text
        if self.answer is not None:
            self.response_txt = self.answer.answer


@dataclass
class CitedChatStream(StreamingAgentChatResponse):
    """A StreamingAgentChatResponse whose response, once the stream is read, is the checked, cited answer."""

    answer: Answer | None = None
    metadata: dict | None = None

    @property
    def response_gen(self) -> Iterator[str]:
        """Yield the answer as it streams in."""
        yield from super().response_gen
        if self.answer is not None:
            self.response = self.answer.answer

    async def async_response_gen(self) -> AsyncIterator[str]:
        """Yield the answer as it streams in, without blocking the event loop."""
        async for text in super().async_response_gen():
            yield text
        if self.answer is not None:
            self.response = self.answer.answer


def chat_deltas(texts: Iterator[str]) -> Iterator[ChatResponse]:
    """Return text deltas as the ChatResponses a llama-index chat stream reads."""
    so_far = ""
    for delta in texts:
        so_far += delta
        yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=so_far), delta=delta)


async def achat_deltas(texts: AsyncIterator[str]) -> AsyncIterator[ChatResponse]:
    """Return the same as chat_deltas() for an async stream."""
    so_far = ""
    async for delta in texts:
        so_far += delta
        yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=so_far), delta=delta)
