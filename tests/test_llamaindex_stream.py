"""Answers as llama-index streams: deltas of a growing answer, and responses that end on the checked one."""

from __future__ import annotations

import pytest

from assistant import llamaindex_stream as stream
from assistant.core import QuestionError
from assistant.types import Answer


def growing(*texts: str) -> list[Answer]:
    """Return the answers a stream yields as its text grows (the last one is the checked answer)."""
    return [Answer(question="q", answer=t, found=True) for t in texts]


# An LLM's words, then its checked answer: the invented marker [9] removed, so it no longer extends them.
WORDS = growing("The", "The session", "The session was held [1]", "The session was held [1] on Mars [9].",
                "The session was held [1]. On Mars.")


def test_deltas_stream_what_extends_the_text_and_hand_over_the_checked_answer():
    done = []
    parts = list(stream.deltas(iter(WORDS), done.append))
    assert parts == ["The", " session", " was held [1]", " on Mars [9]."]
    assert done == [WORDS[-1]]
    assert list(stream.deltas(iter(growing("Only one.")), done.append)) == ["Only one."] and done[-1].answer == "Only one."


def test_start_raises_at_the_call_and_keeps_every_answer():
    def refused():
        raise QuestionError("the question is empty")
        yield  # (a generator: it raises only when read)

    lazy = refused()
    with pytest.raises(QuestionError, match="the question is empty"):
        stream.start(lazy)
    assert list(stream.start(iter(WORDS))) == WORDS


async def test_astart_and_adeltas_are_the_same_stream_asynchronously():
    done = []
    answers = await stream.astart(iter(WORDS))
    assert [p async for p in stream.adeltas(answers, done.append)] == list(stream.deltas(iter(WORDS), lambda a: None))
    assert done == [WORDS[-1]]

    def refused():
        raise QuestionError("too long")
        yield

    with pytest.raises(QuestionError, match="too long"):
        await stream.astart(refused())


def finish(response):
    return lambda answer: setattr(response, "answer", answer)


@pytest.mark.parametrize("read", ["response_gen", "get_response", "str", "print"])
def test_streaming_response_ends_on_the_checked_answer_however_it_is_read(read, capsys):
    response = stream.CitedStreamingResponse(response_gen=iter(()))
    response.response_gen = stream.deltas(iter(WORDS), finish(response))
    if read == "response_gen":
        assert "".join(response.response_gen) == WORDS[-2].answer
    elif read == "print":
        response.print_response_stream()
        assert capsys.readouterr().out == WORDS[-2].answer
    text = str(response) if read == "str" else response.get_response().response
    assert text == WORDS[-1].answer == response.response_txt


async def test_async_streaming_response_ends_on_the_checked_answer():
    response = stream.CitedAsyncStreamingResponse(response_gen=None)
    response.response_gen = stream.adeltas(await stream.astart(iter(WORDS)), finish(response))
    assert "".join([p async for p in response.async_response_gen()]) == WORDS[-2].answer
    assert (await response.get_response()).response == WORDS[-1].answer


async def test_chat_stream_ends_on_the_checked_answer():
    chat = stream.CitedChatStream(is_writing_to_memory=False)
    chat.chat_stream = stream.chat_deltas(stream.deltas(iter(WORDS), finish(chat)))
    assert "".join(chat.response_gen) == WORDS[-2].answer and chat.response == WORDS[-1].answer
    achat = stream.CitedChatStream(is_writing_to_memory=False)
    achat.achat_stream = stream.achat_deltas(stream.adeltas(await stream.astart(iter(WORDS)), finish(achat)))
    assert "".join([p async for p in achat.async_response_gen()]) == WORDS[-2].answer
    assert achat.response == WORDS[-1].answer


def test_chat_deltas_carry_the_text_so_far():
    responses = list(stream.chat_deltas(iter(["The", " session"])))
    assert [r.delta for r in responses] == ["The", " session"]
    assert [r.message.content for r in responses] == ["The", "The session"]
    assert {r.message.role.value for r in responses} == {"assistant"}
