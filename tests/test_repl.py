"""The terminal chat as a person uses it: the real `assistant chat` in a pseudo-terminal (arrow keys edit and
recall, an empty line keeps the conversation, /new forgets it, Ctrl-D and Ctrl-C leave), and its parts."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from assistant.core import Assistant, QuestionError
from assistant.repl import HISTORY_FILE, Chat, LineEditor, help_text, run

BIN = Path(sys.executable).parent / "assistant"
LEFT, UP, CTRL_C, CTRL_D = b"\x1b[D", b"\x1b[A", b"\x03", b"\x04"
FIRST = "What did DPNSEE say?"
FOLLOW = "When was that session held?"
_ANSI = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|[=>]|\][^\x07]*\x07)")


class Terminal:
    """`assistant chat --json` on a pseudo-terminal 200 columns wide, read as a person would see it."""

    def __init__(self, home: Path):
        env = os.environ | {"ASSISTANT_HOME": str(home), "TERM": "xterm"}
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the chat, on the terminal's other end
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
                os.execve(str(BIN), [str(BIN), "chat", "--json"], env)
            finally:
                os._exit(127)
        self.raw, self.seen = b"", 0

    def text(self) -> str:
        """Return everything shown so far, without terminal control sequences."""
        return _ANSI.sub("", self.raw.decode("utf-8", "replace")).replace("\r", "")

    def read(self, timeout: float) -> bool:
        """Read what the chat printed within timeout seconds; return False at its end."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the chat has exited
            return False
        self.raw += data
        return bool(data)

    def wait_for(self, pattern: str, timeout: float = 300) -> re.Match:
        """Return the first match of pattern in what was shown since the last match."""
        end = time.monotonic() + timeout
        while True:
            m = re.compile(pattern, re.M).search(self.text(), self.seen)
            if m:
                self.seen = m.end()
                return m
            assert time.monotonic() < end and self.read(1), f"no {pattern!r} in:\n{self.text()[self.seen:]}"

    def prompt(self, timeout: float = 300) -> None:
        self.wait_for(r"^> \Z", timeout)

    def answer(self) -> dict:
        """Return the next JSON answer printed, once the prompt is back."""
        obj = json.loads(self.wait_for(r"^\{.*\}$").group(0))
        self.prompt()
        return obj

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)
        time.sleep(0.2)  # readline reads a key sequence as one only when it arrives together

    def exit_code(self, timeout: float = 60) -> int:
        """Return the chat's exit code once it has ended."""
        end = time.monotonic() + timeout
        while self.read(1) and time.monotonic() < end:
            pass
        _pid, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


def _answered(answer: dict, question: str) -> None:
    assert answer["question"] == question
    assert answer["found"] and answer["citations"] and "[1]" in answer["answer"]


@pytest.mark.slow
def test_chat_in_a_terminal_edits_recalls_keeps_and_resets_the_conversation(seeded, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(seeded.home, home)
    term = Terminal(home)
    term.wait_for(r"/help lists the commands")
    term.prompt()
    # Type with a typo, go back two characters with the Left arrow and insert the missing letter.
    term.send(b"What did DPNSEE sy?" + LEFT + LEFT + b"a")
    term.send(b"\r")
    first = term.answer()
    _answered(first, FIRST)  # the edited text was asked, not "sy?a" or escape bytes
    assert any("DPNSEE" in c["text"] for c in first["citations"])
    term.send(b"\r")  # an empty line: nothing happens, the chat stays
    term.prompt()
    term.send(FOLLOW.encode() + b"\r")
    followed = term.answer()
    _answered(followed, FOLLOW)
    term.send(b"/new\r")
    term.wait_for(r"^New conversation")
    term.prompt()
    term.send(UP + UP + b"\r")  # Up once is /new, twice the follow-up question
    fresh = term.answer()
    _answered(fresh, FOLLOW)
    term.send(b"/help\r")
    assert "/new" in term.wait_for(r"(?s)/new .*?/quit .*?\n").group(0)
    term.prompt()
    term.send(b"/frobnicate\r")
    term.wait_for(r"^unknown command /frobnicate: /help lists the commands")
    term.prompt()
    term.send(CTRL_D)
    assert term.exit_code() == 0
    shown = term.text()
    assert "Traceback" not in shown
    assert len(re.findall(r"^\{", shown, re.M)) == 3  # /help, /frobnicate, /new and the empty line asked nothing
    # After /new the question is read on its own, as `ask` without history reads it; before, the conversation
    # about DPNSEE was carried in and gave another answer.
    alone = Assistant(seeded).ask(FOLLOW)
    assert fresh["answer"] == alone.answer
    assert followed["answer"] != alone.answer

    # The questions and commands typed are kept (the edited text, no empty line); a new session recalls them
    # with the Up arrow. Ctrl-C drops a half-typed line and, on an empty line, leaves.
    kept = (home / HISTORY_FILE).read_text("utf-8").splitlines()
    assert kept == [FIRST, FOLLOW, "/new", FOLLOW, "/help", "/frobnicate"]
    term = Terminal(home)
    term.prompt()
    term.send(b"half a question")
    term.wait_for("half a question", timeout=30)  # typed before Ctrl-C (the terminal drops unread keys on it)
    term.send(CTRL_C)
    term.prompt()
    term.send(UP * 6 + b"\r")
    _answered(term.answer(), FIRST)
    term.send(b"/he")
    term.send(b"\t")  # Tab completes the command
    term.send(b"\r")
    term.wait_for(r"^  /new ")
    term.prompt(timeout=30)
    term.send(CTRL_C)
    assert term.exit_code() == 0 and "Traceback" not in term.text()
    assert (home / HISTORY_FILE).read_text("utf-8").splitlines() == kept + [FIRST, "/help"]


@pytest.mark.slow
def test_piped_chat_prints_one_json_answer_per_question_and_an_empty_line_does_not_end_it(seeded):
    too_long = "x" * 5000
    lines = ["/help", FIRST, "", "/nonsense", too_long, FOLLOW, "/new", FOLLOW, "/quit", "never asked"]
    proc = subprocess.run([str(BIN), "chat", "--json"], input="\n".join(lines) + "\n", capture_output=True,
                          text=True, env=os.environ | {"ASSISTANT_HOME": str(seeded.home)}, timeout=600)
    assert proc.returncode == 0, proc.stderr
    printed = [json.loads(line) for line in proc.stdout.splitlines()]  # no prompt or banner among them
    # one object per question, a refused one too (as `ask --json` prints it), so a script stays in step
    # a refused question is echoed by its opening and length (cli.echoed), not a megabyte pasted by mistake
    assert [a["question"] for a in printed] == [FIRST, "x" * 200 + "… (5,000 characters)", FOLLOW, FOLLOW]
    assert "limit" in printed[1]["error"] and printed[1]["found"] is False
    answers = [a for a in printed if "error" not in a]
    assert answers[1]["answer"] != answers[2]["answer"]  # /new: the second FOLLOW is not read with FIRST
    assert "/new" in proc.stderr and "unknown command /nonsense" in proc.stderr  # /help and hints: on stderr
    assert "Traceback" not in proc.stderr
    assert not (seeded.home / HISTORY_FILE).exists()  # piped lines are no one's typed history


def _chat(assistant, shown, said):
    return Chat(lambda q, history, last: assistant.ask(q, history, None, None, last), shown.append, said.append,
                said.append, (QuestionError,))


def test_chat_core_runs_commands_keeps_the_conversation_and_survives_bad_questions(seeded):
    assistant, shown, said = Assistant(seeded), [], []
    chat = _chat(assistant, shown, said)
    lines = iter(["", "   ", "/HELP", "x" * 5000, FIRST, "/what", FOLLOW, "/quit", "never read"])
    run(chat, read=lambda prompt: next(lines), prompt="")
    assert next(lines) == "never read"  # /quit left; nothing after it was read
    assert [a.question for a in shown] == [FIRST, FOLLOW] and all(a.found for a in shown)
    assert said[0] == help_text() and "limit" in said[1] and said[2].startswith("unknown command /what")
    assert len(said) == 3  # the empty and blank lines said nothing
    assert [m["content"] for m in chat.conversation.history[::2]] == [FIRST, FOLLOW]
    assert chat.conversation.last is shown[-1]
    # The follow-up was read with the conversation; after /new the same question stands alone.
    assert shown[1].standalone_question != FOLLOW
    chat.handle("/new")
    assert chat.conversation.history == [] and chat.conversation.last is None and said[-1].startswith("New conv")
    chat.handle(FOLLOW)
    assert shown[-1].standalone_question == FOLLOW and shown[-1].answer == assistant.ask(FOLLOW).answer


def test_end_of_input_leaves_and_ctrl_c_drops_a_typed_line_first(seeded):
    said = []
    chat = _chat(Assistant(seeded), [], said)
    keys = iter([KeyboardInterrupt, UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "/help",
                 EOFError])
    typed = iter(["half a question"])

    def read(prompt):
        key = next(keys)
        if isinstance(key, type | BaseException):
            raise key
        return key

    run(chat, read=read, prompt="> ", typed=lambda: next(typed, ""))
    # Ctrl-C with text on the line and a line that is not UTF-8 went on to the next line; EOF left.
    assert said[0].startswith("that line is not UTF-8 text") and said[1:] == [help_text()]
    said.clear()
    keys = iter([KeyboardInterrupt, "/help"])
    run(chat, read=read, prompt="> ", typed=lambda: "")
    assert said == [] and next(keys) == "/help"  # Ctrl-C on an empty line left at once


def test_question_history_survives_sessions_and_never_crashes_on_a_bad_file(tmp_path):
    import readline

    warned = []
    path = tmp_path / "home" / HISTORY_FILE
    readline.clear_history()
    editor = LineEditor(path, warned.append, readline)
    editor.start()
    for line in [FIRST, "", "   ", FIRST + " ", "/new", "x" * 5000, FOLLOW]:
        editor.remember(line)
    editor.stop()
    assert path.read_text("utf-8").splitlines() == [FIRST, "/new", FOLLOW] and not warned
    assert path.stat().st_mode & 0o077 == 0  # only its owner may read the questions
    readline.clear_history()
    editor = LineEditor(path, warned.append, readline)
    editor.start()
    assert [readline.get_history_item(i) for i in (1, 2, 3)] == [FIRST, "/new", FOLLOW]
    editor.remember("Who chaired the meeting?")
    editor.stop()
    assert path.read_text("utf-8").splitlines()[-1] == "Who chaired the meeting?" and not warned

    for bad in (tmp_path / "a-folder", tmp_path / "a-file" / HISTORY_FILE):
        (tmp_path / "a-folder").mkdir(exist_ok=True)
        (tmp_path / "a-file").write_text("not a folder", "utf-8")
        readline.clear_history()
        editor = LineEditor(bad, warned.append, readline)
        editor.start()
        editor.remember(FIRST)
        editor.stop()  # no exception: one line saying the questions were not saved
    assert len(warned) == 2 and all(w.startswith("note: questions of this session not saved") for w in warned)
    readline.clear_history()
