"""Saved conversations: the plain JSON a browser keeps of its chats (gr.BrowserState puts it in the page's
localStorage; nothing is stored on the server or leaves the machine). What comes back from a browser may be
old, hand-edited or cut short, so it is read entry by entry and a bad entry is dropped, never raised."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from .types import Answer

VERSION = 1
MAX_CONVERSATIONS = 50  # the most recent ones are kept; README and the page say so
# localStorage holds about 5 million characters per site and Gradio stores the JSON encrypted in base64 (a
# third larger), so the oldest conversations give way before the browser would refuse the write.
MAX_BYTES = 2_000_000
TITLE_CHARS = 80
EMPTY = {"version": VERSION, "current": "", "conversations": []}


def browser_keys(home: Path) -> tuple[str, str]:
    """Return the localStorage key and the BrowserState secret for the data directory at home. Both are
    fixed so chats outlive a server restart (Gradio's default is a new random key per launch); they differ
    per data directory so two apps served on one address keep apart. The secret is served to the page, so
    it keeps chats apart rather than hidden from whoever uses the browser."""
    digest = hashlib.sha256(str(Path(home).resolve()).encode("utf-8")).hexdigest()
    return f"assistant-chats-{digest[:12]}", digest[12:44]


def chats_key(home: Path) -> str:
    """Return the localStorage key the page keeps its saved chats under (plain JSON, per data directory)."""
    digest = hashlib.sha256(str(Path(home).resolve()).encode("utf-8")).hexdigest()
    return f"assistant-conversations-{digest[:12]}"


def new_id() -> str:
    """Return a fresh conversation id."""
    return uuid.uuid4().hex[:12]


def turn_json(question: str, answer: Answer, note: str = "") -> dict:
    """Return one answered turn as saved JSON (turns that ended in an error message are not saved)."""
    return {"question": question, "answer": answer.to_json(), "note": note}


def read_turn(data) -> tuple[str, Answer, str]:
    """Return the question, answer and note of a saved turn; raise ValueError when data is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("question"), str):
        raise ValueError("a turn needs its question")
    note = data.get("note", "")
    if not isinstance(note, str):
        raise ValueError("note is not text")
    return data["question"], Answer.from_json(data.get("answer")), note


def title_of(question: str) -> str:
    """Return a conversation's title: its first question on one line, cut at a word."""
    text = " ".join(question.split())
    return text if len(text) <= TITLE_CHARS else text[:TITLE_CHARS].rsplit(" ", 1)[0] + " …"


@dataclass(frozen=True)
class Conversation:
    """One saved chat: its turns as JSON (each read back once, when saved or loaded)."""

    id: str
    title: str
    updated: float
    turns: tuple[dict, ...]

    def to_json(self) -> dict:
        """Return the conversation as saved JSON."""
        return {"id": self.id, "title": self.title, "updated": self.updated, "turns": list(self.turns)}


@dataclass(frozen=True)
class Shelf:
    """Every saved chat of one browser, newest first, and which one is open."""

    conversations: tuple[Conversation, ...] = ()
    current: str = ""

    def to_json(self) -> dict:
        """Return what the browser stores."""
        return {"version": VERSION, "current": self.current,
                "conversations": [c.to_json() for c in self.conversations]}

    def get(self, conversation_id: str) -> Conversation | None:
        """Return the saved conversation with this id, if any."""
        return next((c for c in self.conversations if c.id == conversation_id), None)

    def put(self, conversation_id: str, turns: list[dict], now: float | None = None) -> Shelf:
        """Return the shelf with this conversation saved as the newest and open one; the oldest give way
        beyond MAX_CONVERSATIONS or MAX_BYTES. A conversation without turns is not saved."""
        if not turns:
            return replace(self, current="")
        title = title_of(turns[0]["question"])
        saved = Conversation(conversation_id, title, time.time() if now is None else now, tuple(turns))
        rest = [c for c in self.conversations if c.id != conversation_id]
        kept = [saved] + rest[: MAX_CONVERSATIONS - 1]
        while len(kept) > 1 and _size(kept) > MAX_BYTES:
            kept.pop()
        return Shelf(tuple(kept), conversation_id)

    def drop(self, conversation_id: str) -> Shelf:
        """Return the shelf without this conversation (nothing is open if it was)."""
        current = "" if self.current == conversation_id else self.current
        return Shelf(tuple(c for c in self.conversations if c.id != conversation_id), current)

    def opened(self, conversation_id: str) -> Shelf:
        """Return the shelf with this conversation open ("" for none)."""
        return replace(self, current=conversation_id if self.get(conversation_id) else "")

    def choices(self) -> list[tuple[str, str]]:
        """Return (label, id) of each saved conversation for the list on the page, newest first."""
        return [(f"{c.title} ({len(c.turns)} question{'s' if len(c.turns) != 1 else ''})", c.id)
                for c in self.conversations]


def _size(conversations: list[Conversation]) -> int:
    return len(json.dumps([c.to_json() for c in conversations], ensure_ascii=False).encode("utf-8"))


def read(value) -> Shelf:
    """Return the shelf a browser sent (its JSON, or the text of it): malformed conversations and turns are
    left out; anything that is no saved shelf at all (an older format, a stranger's value) reads as an empty
    one."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return Shelf()
    if not isinstance(value, dict) or value.get("version") != VERSION:
        return Shelf()
    if not isinstance(value.get("conversations"), list):
        return Shelf()
    conversations, seen = [], set()
    for data in value["conversations"]:
        if not isinstance(data, dict):
            continue
        cid, updated = data.get("id"), data.get("updated")
        if not isinstance(cid, str) or not cid or cid in seen or not isinstance(updated, (int, float)):
            continue
        turns = []
        for turn in data.get("turns") if isinstance(data.get("turns"), list) else ():
            try:
                question, answer, note = read_turn(turn)
            except ValueError:
                continue
            turns.append(turn_json(question, answer, note))  # re-made: only known fields are kept
        if turns:
            seen.add(cid)
            conversations.append(Conversation(cid, title_of(turns[0]["question"]), float(updated), tuple(turns)))
    conversations.sort(key=lambda c: -c.updated)
    current = value.get("current")
    current = current if isinstance(current, str) and current in seen else ""
    return Shelf(tuple(conversations[:MAX_CONVERSATIONS]), current)
