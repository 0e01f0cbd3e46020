"""Fuzz: hundreds of generated bad inputs (questions, histories, filters, settings, API payloads) thrown at
the CLI and at the /ask API of a served app. Whatever comes in, the answer is an answer or a message: no
traceback, no hang, no 500. Inputs come from a fixed seed, so a failure can be replayed."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import cli

BIN = Path(sys.executable).parent / "assistant"
SEED = 15
# Characters people and attackers send: punctuation, controls and escapes, bidi overrides, zero-width and
# combining marks, emoji, other scripts, quotes and template syntax.
ALPHABET = (list(".,;:!?¿¡…—-_*#@%&$^~`'\"()[]{}<>|\\/=+") + ["\x00", "\x07", "\x1b", "\x1b[2J", "\x1b]0;t\x07",
            "\x9b", "\u202e", "\u2066", "\u200b", "\ufeff", "\u0301", "\r", "\n", "\t"] +
            list("абвгдђжзијклљмнњопрстћуфхцчџшыэюя") + list("abcdefxyz0123456789") +
            ["🙂", "👍🏽", "中", "文", "ש", "ع", "ß", "ǅ", "{{", "}}", "${", "%s", "%n", "<script>", "'; DROP TABLE x; --"])
NASTY_QUESTIONS = [
    "", " ", "\n\t ", "...", "???", "!!!", "\x00", "\x1b[2J\x1b]0;pwned\x07", "\u202egnp.exe", "a" * 4001,
    "What " * 900, "Шта?" * 1200, "<script>alert(1)</script>", "{{7*7}} ${7*7}", "%s%s%s%n", "' OR 1=1 --",
    "\ufeffWhat did DPNSEE say?", "WHAT DID DPNSEE SAY???????", "What did D\u200bPNSEE say?", "🙂🙂🙂",
    "中文的问题是什么", "ما هو", "\u0301\u0301\u0301", "ǅ" * 50, "What did DPNSEE say?\x00\x00", "1", "0" * 300,
]
NO_TRACE = ("Traceback", "Exception in", "Error: Traceback")


def garbage(rng: random.Random, longest: int = 60) -> str:
    """Return a random string from ALPHABET, sometimes around a real question."""
    text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest)))
    if rng.random() < 0.3:
        text = text + " What did DPNSEE say? " + text[::-1]
    return text


def questions(rng: random.Random, n: int) -> list[str]:
    return NASTY_QUESTIONS + [garbage(rng) for _ in range(max(0, n - len(NASTY_QUESTIONS)))]


def histories(rng: random.Random) -> list[bytes]:
    """Return --history file contents: wrong JSON, wrong shapes, odd encodings, deep nesting, huge."""
    shapes = [b"", b"5", b"null", b"true", b'"text"', b"{}", b"[1, 2]", b"[[]]", b"[{}]", b'[{"role": 5}]',
              b'[{"role": "system", "content": "x"}]', b'[{"role": "user", "content": 5}]',
              b'[{"role": "user", "content": ["a", {"b": 1}]}]', b"[" * 50000 + b"]" * 50000,
              b'{"a":' * 30000 + b"1" + b"}" * 30000, b"[{]", b"\xff\xfe\x00\x00", bytes(range(256)),
              b"\x00" * 100, json.dumps([{"role": "user", "content": "x" * 200000}]).encode(),
              json.dumps([{"role": "user", "content": "Ко је?"}] * 500, ensure_ascii=False).encode("utf-16"),
              json.dumps([{"role": "assistant", "content": "Москва"}], ensure_ascii=False).encode("cp1251"),
              b"[{\"role\": \"user\", \"content\": \"\\ud800\"}]"]
    return shapes + [garbage(rng, 200).encode("utf-8", "surrogatepass") for _ in range(8)]


def filters(rng: random.Random) -> list[list[str]]:
    """Return ask option lists with bad dates, languages, documents and top-k values."""
    dates = ["yesterday", "2021/10/19", "2021-13", "2021-02-30", "0000", "9999-12-31", "-1", "20211019", "2021-10-19T10:00",
             "２０２１", "2021-1", " 2021 ", "", "\x1b[2J", "1e3"]
    out = [["--since", d] for d in dates] + [["--until", d] for d in dates]
    out += [["--since", "2022", "--until", "2021"], ["--since", "2021-10", "--until", "2021-09-30"]]
    out += [["--lang", v] for v in ("xx", "", "EN", "sr\x1b", "en,sr", "*")]
    out += [["--doc", v] for v in ("nosuch", "", "../../etc/passwd", "001_23abd807676cf300\x00", "%", "*")]
    out += [["--top-k", v] for v in ("0", "-1", "101", "abc", "1.5", "", "99999999999999999999", " 3 ")]
    out += [["--since", garbage(rng, 12)] for _ in range(6)]
    return out


ENV_VALUES = ["abc", "-1", "0", "nan", "inf", "-inf", "", " 5 ", "9" * 40, "0x10", "1e9", "\x1b", "5.5"]
ENV_NAMES = ["ASSISTANT_TOP_K", "ASSISTANT_MAX_FILE_MB", "ASSISTANT_CHUNK_TOKENS", "ASSISTANT_HISTORY_TOKENS",
             "ASSISTANT_MAX_QUESTION_CHARS", "ASSISTANT_CHUNK_OVERLAP", "ASSISTANT_LLM_TIMEOUT", "ASSISTANT_EMBEDDER",
             "ASSISTANT_LLM"]


def check_cli(result, what) -> None:
    """An in-process run ends with an exit code click or the command chose, never an escaped exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (what, repr(result.exception))
    assert result.exit_code in (0, 1, 2), (what, result.exit_code, result.output[-500:])
    assert not any(t in result.output for t in NO_TRACE), (what, result.output[-2000:])
    if result.exit_code:
        assert result.output.strip(), what  # a failure always says something


@pytest.mark.slow
def test_cli_fuzz(seeded, tmp_path):
    rng = random.Random(SEED)
    runner = CliRunner()
    env = {"ASSISTANT_HOME": str(seeded.home)}
    cases: list[tuple[list[str], dict]] = []
    for q in questions(rng, 70):
        cases.append((["ask", q, "--json"] if rng.random() < 0.5 else ["ask", q], {}))
    for i, data in enumerate(histories(rng)):
        path = tmp_path / f"history-{i}.json"
        path.write_bytes(data)
        cases.append((["ask", "When was that?", "--history", str(path)], {}))
    for flags in filters(rng):
        cases.append((["ask", "What did DPNSEE say?", *flags], {}))
    for name in ENV_NAMES:
        for value in rng.sample(ENV_VALUES, 4):
            cases.append((["ask", "What did DPNSEE say?", "--json"], {name: value}))
    cases += [(["ingest", str(tmp_path / "nowhere")], {}), (["ingest", "\x1b[2J"], {}), (["status", "--json"], {}),
              (["ask"], {}), (["ask", "--top-k"], {}), (["nosuchcommand"], {}), (["serve", "--port", "-1"], {}),
              (["serve", "--port", "70000"], {}), (["serve", "--port", "http"], {}), (["doctor", "--nope"], {})]
    assert len(cases) >= 200
    started = time.monotonic()
    for args, extra in cases:
        t = time.monotonic()
        result = runner.invoke(cli, args, env=env | extra, catch_exceptions=True)
        check_cli(result, (args[:2], extra))
        assert time.monotonic() - t < 60, ("slow", args[:2], extra)
        if args[0] == "ask" and "--json" in args and result.exit_code in (0, 1):
            out = json.loads(result.output.splitlines()[-1] if result.exit_code == 0 else result.output)
            assert isinstance(out, dict) and ("answer" in out or "error" in out)
    assert time.monotonic() - started < 900


def test_cli_fuzz_through_the_real_binary(seeded, tmp_path):
    """A few of the same through the installed entry point, where a stray exception would print a traceback."""
    rng = random.Random(SEED + 1)
    env = os.environ | {"ASSISTANT_HOME": str(seeded.home)}
    bad_history = tmp_path / "h.json"
    bad_history.write_bytes(b"[" * 50000)
    runs = [
        (["ask", "\x1b]0;pwned\x07What did DPNSEE say?\x1b[2J", "--json"], {}),
        (["ask", garbage(rng).replace("\x00", ""), "--since", "yesterday"], {}),  # argv holds no NUL
        (["ask", "What?", "--history", str(bad_history)], {}),
        (["ask", "What?"], {"ASSISTANT_TOP_K": "many"}),
        (["ingest", str(tmp_path / "nowhere")], {"ASSISTANT_MAX_FILE_MB": "-5"}),
        (["status"], {"ASSISTANT_CHROMA_URL": "http://127.0.0.1:9"}),
    ]
    for args, extra in runs:
        proc = subprocess.run([str(BIN), *args], capture_output=True, env=env | extra, timeout=300)
        err = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode in (0, 1, 2), (args, proc.returncode, err[-1000:])
        assert not any(t in err for t in NO_TRACE), err[-2000:]
        assert b"\x1b" not in proc.stdout and b"\x1b" not in proc.stderr


# --- the /ask API of a served app -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(seeded):
    import socket

    from assistant.core import Assistant
    from assistant.web import build_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = build_app(Assistant(seeded))
    app.queue(default_concurrency_limit=1)
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False,
               show_error=False)
    yield f"http://127.0.0.1:{port}/"
    app.close()


def payloads(rng: random.Random) -> list[tuple[object, object]]:
    """Return (question, history) pairs of every JSON type, nesting and size."""
    odd = [None, 5, -1, 3.5, True, [], {}, ["What?"], {"question": "What?"}, "x" * 100000, [[[[[]]]]]]
    out: list[tuple[object, object]] = [(q, "[]") for q in NASTY_QUESTIONS]
    out += [("What did DPNSEE say?", h) for h in odd + ["", "null", "5", "[1]", "{}", "[{]", "[" * 100000,
                                                      '{"a":' * 20000 + "1" + "}" * 20000,
                                                      '[{"role": "user", "content": {"x": 1}}]',
                                                      json.dumps([{"role": "user", "content": "What did DPNSEE say?"},
                                                                  {"role": "assistant", "content": "x"}])]]
    out += [(q, "[]") for q in odd]
    out += [(garbage(rng), rng.choice(["[]", garbage(rng, 30), "[" * rng.randint(1, 5000)])) for _ in range(40)]
    return out


@pytest.mark.slow
def test_api_fuzz(served):
    import httpx
    from gradio_client import Client

    rng = random.Random(SEED + 2)
    client = Client(served, verbose=False)
    cases = payloads(rng)
    generic = "has not enabled verbose error reporting"  # what Gradio says for an exception the app did not handle
    answered = refused = 0
    for question, history in cases:
        t = time.monotonic()
        try:
            out = client.predict(question, history, api_name="/ask")
        except Exception as e:
            message = str(e)
            assert generic not in message and "Traceback" not in message, (question, str(history)[:80], message)
            assert message.strip(), (question, str(history)[:80])
            refused += 1
        else:
            assert isinstance(out, dict) and isinstance(out.get("answer"), str) and "found" in out, out
            answered += 1
        assert time.monotonic() - t < 60, ("slow", repr(question)[:80])
    assert answered and refused
    # Raw HTTP, bodies no client would send: the server answers each with a status below 500.
    bodies = [b"", b"{", b"[]", b"null", b'{"data": 5}', b'{"data": []}', b'{"data": [1, 2, 3, 4]}',
              b'{"data": [' + b"[" * 50000 + b"]" * 50000 + b', "[]"]}', b'{"data": ["\xff\xfe", "[]"]}',
              json.dumps({"data": ["What?", "[]"], "session_hash": {"x": 1}}).encode(),
              json.dumps({"data": [{"path": "/etc/passwd"}, "[]"]}).encode()]
    bodies += [json.dumps({"data": [garbage(rng), garbage(rng)]}).encode() for _ in range(10)]
    with httpx.Client(timeout=60) as http:
        for body in bodies:
            r = http.post(f"{served}gradio_api/call/ask", content=body, headers={"Content-Type": "application/json"})
            assert r.status_code < 500, (body[:80], r.status_code, r.text[:300])
            if r.status_code == 200 and "event_id" in r.text:
                events = http.get(f"{served}gradio_api/call/ask/{r.json()['event_id']}")
                assert events.status_code < 500 and ("event: complete" in events.text or "event: error" in events.text)
    assert len(cases) + len(bodies) >= 100
