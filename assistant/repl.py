"""The terminal chat: one conversation at a time, slash commands, and line editing with a question history."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .types import Answer

HISTORY_FILE = "chat_history"
HISTORY_LENGTH = 1000
MAX_REMEMBERED = 4000  # characters; the default question limit: a longer paste is refused, so not worth recalling
COMMANDS = {
    "/new": "start a new conversation (follow-up questions no longer read the earlier ones)",
    "/help": "list these commands",
    "/quit": "leave the chat (so do /exit, Ctrl-D and Ctrl-C on an empty line)",
}
ALIASES = {"/exit": "/quit"}


@dataclass
class Conversation:
    """What follow-up questions read: the turns so far and the last Answer (whose reports they lean on)."""

    history: list[dict] = field(default_factory=list)
    last: Answer | None = None

    def add(self, question: str, answer: Answer) -> None:
        """Remember one question and its answer."""
        self.history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]
        self.last = answer


class Chat:
    """Takes each line typed: runs a /command, asks a question, or (an empty line) does nothing."""

    def __init__(self, ask: Callable[[str, list[dict], Answer | None], Answer], show: Callable[[Answer], None],
                 say: Callable[[str], None], warn: Callable[[str], None], errors: tuple[type[Exception], ...] = (),
                 refused: Callable[[str, str], None] | None = None):
        """refused(question, message), when given, is told of each question that got an error instead of
        an answer (chat --json prints it as an object, so a script reads one line per question)."""
        self.ask, self.show, self.say, self.warn, self.errors = ask, show, say, warn, errors
        self.refused = refused
        self.conversation = Conversation()

    def handle(self, line: str) -> bool:
        """Act on one line; return False when the person asked to leave."""
        text = line.strip()
        if not text:
            return True  # an empty line is a slip of the Enter key, not a wish to lose the conversation
        if text.startswith("/"):
            return self.command(text)
        try:
            answer = self.ask(text, self.conversation.history, self.conversation.last)
        except self.errors as e:
            self.warn(f"error: {e}")
            if self.refused is not None:
                self.refused(text, str(e))
            return True
        except KeyboardInterrupt:  # Ctrl-C while an answer is being found stops that answer, not the chat
            self.warn("(stopped; the question was not added to the conversation)")
            return True
        self.show(answer)
        self.conversation.add(text, answer)
        return True

    def command(self, text: str) -> bool:
        """Run a /command; return False for /quit."""
        name = text.split()[0].lower()
        name = ALIASES.get(name, name)
        if name == "/quit":
            return False
        if name == "/new":
            self.conversation = Conversation()
            self.say("New conversation: the earlier questions are forgotten.")
        elif name == "/help":
            self.say(help_text())
        else:
            self.warn(f"unknown command {name[:40]}: /help lists the commands (a question cannot start with /)")
        return True


def help_text() -> str:
    """Return the commands and keys, one per line."""
    lines = [f"  {name:<7} {what}" for name, what in COMMANDS.items()]
    lines.append("  Up/Down recall earlier questions (also from earlier sessions), Left/Right edit the line, Tab "
                 "completes a command.")
    return "\n".join(lines)


def run(chat: Chat, read: Callable[[str], str] = input, prompt: str = "> ",
        typed: Callable[[], str] = lambda: "") -> None:
    """Read lines until /quit, end of input (Ctrl-D) or Ctrl-C on an empty line; Ctrl-C after typing drops
    the line (typed() returns what was on it)."""
    while True:
        try:
            line = read(prompt)
        except EOFError:
            if prompt:
                print(flush=True)  # the shell's prompt starts on its own line
            return
        except KeyboardInterrupt:
            print(flush=True)
            if typed():
                continue
            return
        except UnicodeDecodeError:  # a terminal not set to UTF-8 (or a stray byte) must not end the conversation
            chat.warn("that line is not UTF-8 text: set the terminal to UTF-8 and type it again")
            continue
        if not chat.handle(line):
            return


class LineEditor:
    """readline for the chat: editing keys, Up/Down through the questions kept in a file, Tab completing
    the commands. Without readline (not on every system) input() still reads plain lines."""

    def __init__(self, path: Path | None, warn: Callable[[str], None], readline=None):
        self.path, self.warn = path, warn
        self.readline = readline or _readline()
        self.loaded = 0

    def start(self) -> None:
        """Load the question history and set up the keys."""
        rl = self.readline
        if rl is None:
            return
        rl.set_auto_history(False)  # remember() skips blank lines and repeats
        rl.set_history_length(HISTORY_LENGTH)
        rl.set_completer(_complete)
        rl.set_completer_delims(" \t\n")
        rl.parse_and_bind("bind ^I rl_complete" if _libedit(rl) else "tab: complete")
        if self.path is not None and self.path.is_file():
            try:
                rl.read_history_file(str(self.path))
            except (OSError, UnicodeError, ValueError) as e:
                self.warn(f"note: earlier questions not loaded: {self.path} cannot be read ({_why(e)})")
        self.loaded = rl.get_current_history_length()

    def remember(self, line: str) -> None:
        """Add a line (stripped) to the history unless it is blank, a paste too long to be a question, or
        repeats the one before."""
        rl, text = self.readline, line.strip()
        if rl is None or not text or len(text) > MAX_REMEMBERED:
            return
        length = rl.get_current_history_length()
        if length and rl.get_history_item(length) == text:
            return
        rl.add_history(text)

    def typed(self) -> str:
        """Return what is on the line being edited (after Ctrl-C)."""
        return self.readline.get_line_buffer() if self.readline is not None else ""

    def stop(self) -> None:
        """Append this session's questions to the history file (kept to HISTORY_LENGTH lines)."""
        rl = self.readline
        if rl is None or self.path is None:
            return
        new = rl.get_current_history_length() - self.loaded
        if new <= 0:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():  # questions can be private: only the user may read them
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            rl.append_history_file(new, str(self.path))
        except OSError as e:
            self.warn(f"note: questions of this session not saved: {self.path} cannot be written ({_why(e)})")

    def read(self, prompt: str) -> str:
        """Return the next line typed, remembered for Up-arrow."""
        line = input(prompt)
        self.remember(line)
        return line


def _readline():
    """Return the readline module when both ends are a terminal and it exists, else None."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return None  # importing it off a terminal can write escape codes into piped output
    try:
        import readline
    except ImportError:
        return None
    return readline


def _libedit(rl) -> bool:
    return getattr(rl, "backend", "") == "editline" or "libedit" in (rl.__doc__ or "")


def _complete(text: str, state: int) -> str | None:
    names = [n + " " for n in COMMANDS if n.startswith(text)] if text.startswith("/") else []
    return names[state] if state < len(names) else None


def _why(e: Exception) -> str:
    return getattr(e, "strerror", None) or str(e) or type(e).__name__
