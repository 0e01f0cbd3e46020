"""Saved conversations as the browser keeps them: plain JSON that reads back into the same answers, a cap,
and bad or old entries dropped instead of raised."""

from __future__ import annotations

import json

import pytest
from conftest import SEEDS

from assistant.config import Settings
from assistant.core import Assistant
from assistant.retrieval import Filters
from assistant.saved import EMPTY, MAX_BYTES, MAX_CONVERSATIONS, Shelf, read, turn_json
from assistant.types import Answer, Passage
from assistant.web import Session, Turn, remember, render_chat, reopened


@pytest.fixture(scope="module")
def assistant(seeded):
    return Assistant(Settings(home=seeded.home, seeds=SEEDS))


def test_answers_read_back_from_their_json(assistant):
    dpnsee = assistant.ask("what did DPNSEE say?", [])
    assert dpnsee.found and any(c.twin for c in dpnsee.citations)  # a twin passage rides along
    related = Answer("q", "No answer.", False, related=(
        Passage("c1", "d", "/x/d.txt", "Title", "sr", "2021-01-02", 3, 9, "Текст.", 0.4),))
    for answer in (dpnsee, assistant.ask("Who chaired the meeting of the Coordinating Council?", []), related):
        data = json.loads(json.dumps(answer.to_json()))  # through text, as the browser stores it
        back = Answer.from_json(data)
        assert back.to_json() == data
        assert back.citations == answer.citations and back.found == answer.found
    assert Answer.from_json(related.to_json()).related[0].text == "Текст."
    assert Answer.from_json(related.to_json()).related[0].date == "2021-01-02"  # shown beside it after a reload


@pytest.mark.parametrize("bad", [
    None, [], "answer", {"question": "q"},
    {"question": "q", "answer": "a", "found": "yes", "answerer": "x", "language": "en"},
    {"question": "q", "answer": "a", "found": True, "answerer": "x", "language": "en", "citations": [{"n": "1"}]},
    {"question": "q", "answer": "a", "found": True, "answerer": "x", "language": "en", "citations": {}},
    {"question": "q", "answer": "a", "found": True, "answerer": "x", "language": "en",
     "sentences": [{"text": "a", "citations": ["1"], "support": 1.0, "flagged": False}]},
])
def test_what_is_no_answer_is_refused_with_a_value_error(bad):
    with pytest.raises(ValueError):
        Answer.from_json(bad)


def _good(assistant) -> dict:
    answer = assistant.ask("what did DPNSEE say?", [])
    return {"id": "good", "title": "x", "updated": 5.0, "turns": [turn_json("what did DPNSEE say?", answer)]}


def test_bad_and_old_saved_data_is_dropped_not_raised(assistant):
    good = _good(assistant)
    broken_turn = {"question": "q", "answer": {**good["turns"][0]["answer"], "citations": [{"n": 1, "start": "0"}]}}
    value = {"version": 1, "current": "good", "conversations": [
        good, "junk", None, {"id": 7, "updated": 1.0, "turns": good["turns"]},
        {"id": "no-time", "turns": good["turns"]}, {"id": "no-turns", "updated": 1.0, "turns": "x"},
        {"id": "only-broken", "updated": 9.0, "turns": [broken_turn, 3, {"answer": None}]},
        {**good, "updated": 1.0},  # the same id twice: the first one read counts
        {"id": "mixed", "updated": 6.0, "turns": [broken_turn] + good["turns"], "stray": "field"},
    ]}
    shelf = read(json.loads(json.dumps(value)))
    assert [c.id for c in shelf.conversations] == ["mixed", "good"]  # newest first
    assert shelf.current == "good" and len(shelf.get("mixed").turns) == 1
    assert "stray" not in shelf.to_json()["conversations"][0]  # only known fields are kept
    for garbage in (None, "x", [], 3, {"version": 0, "conversations": []}, {"version": 1, "conversations": "x"},
                    {"version": 1, "current": ["x"], "conversations": []}, EMPTY):
        assert read(garbage) == Shelf()


def test_the_newest_conversations_are_kept_within_the_cap(assistant):
    turns = _good(assistant)["turns"]
    shelf = Shelf()
    for i in range(MAX_CONVERSATIONS + 5):
        shelf = shelf.put(f"c{i}", turns, now=float(i))
    assert len(shelf.conversations) == MAX_CONVERSATIONS and shelf.current == f"c{MAX_CONVERSATIONS + 4}"
    assert [c.id for c in shelf.conversations][:2] == [f"c{MAX_CONVERSATIONS + 4}", f"c{MAX_CONVERSATIONS + 3}"]
    assert shelf.get("c4") is None and shelf.get("c5") is not None
    big = [{**turns[0], "question": "q " + "x" * (MAX_BYTES // 3)}]
    for i in range(3):
        shelf = shelf.put(f"big{i}", big, now=100.0 + i)
    assert len(json.dumps(shelf.to_json(), ensure_ascii=False).encode()) <= MAX_BYTES
    assert shelf.conversations[0].id == "big2" and shelf.get("c5") is None  # the oldest gave way
    assert shelf.put("empty", []).get("empty") is None  # a conversation with no answer is not saved
    dropped = shelf.drop("big2")
    assert dropped.get("big2") is None and dropped.current == ""


def test_a_reopened_conversation_renders_and_answers_follow_ups_as_before(assistant):
    first = assistant.ask("what did DPNSEE say?", [])
    live = Session((Turn("what did DPNSEE say?", first),))
    live, stored, _ = remember(live, EMPTY)
    assert live.id and read(stored).current == live.id
    again = reopened(read(json.loads(json.dumps(stored))), live.id)  # through text, as after a reload
    assert again.id == live.id and render_chat(again) == render_chat(live)
    assert 'href="#cite-0-1"' in render_chat(again)[1]["content"]
    assert again.last.citations == first.citations
    follow = "When was it held?"
    want = assistant.ask(follow, live.history(), Filters(), None, live.last)
    got = assistant.ask(follow, again.history(), Filters(), None, again.last)
    assert got.to_json() == want.to_json() and got.citations
    alone = assistant.ask(follow, [], Filters(), None, None)
    assert alone.to_json() != got.to_json()  # the saved conversation is what carried the topic
