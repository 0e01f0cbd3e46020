"""chat: history kept within a token budget, follow-ups recognised and carried into the search."""

from __future__ import annotations

from assistant.chat import as_messages, contextualise, is_follow_up, topic, trim
from assistant.chunking import count_tokens
from assistant.types import Answer, Citation, Message


def conversation(n: int) -> list[Message]:
    out = []
    for i in range(n):
        out.append(Message("user", f"Question number {i} about the CND meeting in Vienna?"))
        out.append(Message("assistant", f"Answer number {i}: the meeting took place in October 2021 [1]."))
    return out


def test_trim_keeps_the_latest_messages_that_fit_the_budget():
    history = conversation(10)
    sizes = [count_tokens(m.content) for m in history]
    budget = sum(sizes[-5:]) + sizes[-6] // 2  # room for five messages and half of the sixth
    kept = trim(history, budget)
    assert kept == history[-5:]
    assert sum(count_tokens(m.content) for m in kept) <= budget


def test_trim_keeps_everything_that_fits_and_nothing_when_no_budget():
    history = conversation(3)
    total = sum(count_tokens(m.content) for m in history)
    assert trim(history, total) == history
    assert trim(history, total - 1) == history[1:]
    assert trim(history, 0) == []
    assert trim([], 100) == []


def test_trim_drops_older_turns_past_one_that_is_too_long():
    history = [Message("user", "short"), Message("assistant", "word " * 2000), Message("user", "last one")]
    assert trim(history, 50) == history[-1:]


def test_as_messages_reads_dicts_gradio_blocks_and_drops_the_rest():
    got = as_messages([
        {"role": "user", "content": "Who spoke?"},
        {"role": "assistant", "content": [{"type": "text", "text": "DPNSEE [1]."}]},
        {"role": "system", "content": "ignored"},
        {"role": "user", "content": "   "},
        Message("user", "And when?"),
    ])
    assert got == [Message("user", "Who spoke?"), Message("assistant", "DPNSEE [1]."), Message("user", "And when?")]


def test_follow_ups_need_a_conversation_and_lean_on_it():
    history = [Message("user", "What did DPNSEE say about money laundering?"), Message("assistant", "…")]
    assert not is_follow_up("When?", [])
    assert is_follow_up("When?", history)
    assert is_follow_up("Who represented them there at the conference in Vienna last autumn?", history)
    assert not is_follow_up("How much did coca cultivation increase in the Pacific region of Colombia?", history)


def test_contextualise_carries_the_topic_and_the_cited_reports():
    history = [Message("user", "What did DPNSEE say about money laundering?"), Message("assistant", "It said… [1]")]
    citation = Citation(n=1, doc_id="001_x", source="s", title="t", language="en", text="x", start=0, end=1,
                        score=1.0)
    last = Answer(question=history[0].content, answer="It said… [1]", found=True, citations=(citation,))
    turn = contextualise("When?", history, last)
    assert turn.follow_up and turn.search_text == "When? What did DPNSEE say about money laundering?"
    assert turn.carried_docs == ("001_x",)
    standalone = contextualise("How much did coca cultivation increase in Colombia's Pacific region?", history, last)
    assert not standalone.follow_up and standalone.carried_docs == ()


def test_topic_reaches_back_to_the_last_standalone_question():
    history = [
        Message("user", "What did DPNSEE say about money laundering?"), Message("assistant", "… [1]"),
        Message("user", "And Pakistan?"), Message("assistant", "… [2]"),
    ]
    assert topic(history) == "What did DPNSEE say about money laundering? And Pakistan?"
