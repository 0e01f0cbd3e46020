"""The faults of issue 15, each reproduced the way it was found: a server beside another process's ingest,
one folder named two ways, date filters, escape sequences in titles and names, and the bad inputs that used
to end in a traceback or a silent wrong answer."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SEEDS, make_pdf

from assistant.cli import cli
from assistant.config import Settings
from assistant.core import Assistant, StoreError
from assistant.ingest import ingest
from assistant.inputs import date_bound, date_range, for_terminal, worth_searching
from assistant.store import Store

BIN = Path(sys.executable).parent / "assistant"
NO_ANSWER = "I cannot find the answer to this question in the reports."
ESCAPES = ("\x1b", "\x07", "\x9b", "\u202e")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args, home: Path, code: int | None = None, env: dict | None = None, cwd=None,
        stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """Run the installed `assistant` on home; check the exit code and that no traceback reached stderr."""
    full = os.environ | {"ASSISTANT_HOME": str(home)} | (env or {})
    proc = subprocess.run([str(BIN), *args], capture_output=True, env=full, timeout=600, cwd=cwd, input=stdin)
    out, err = proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err[-3000:]
    if code is not None:
        assert proc.returncode == code, (proc.returncode, out[-2000:], err[-2000:])
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def invoke(*args, home: Path, env: dict | None = None):
    """Run the CLI in this process (click's CliRunner); no exception may escape it."""
    result = CliRunner().invoke(cli, list(args), env={"ASSISTANT_HOME": str(home)} | (env or {}),
                                catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


# --- 1. a running server and another process's ingest -------------------------------------------------


@pytest.mark.slow
def test_served_app_answers_after_another_process_changes_a_report(tmp_path, corpus):
    from gradio_client import Client

    home, port = tmp_path / "home", free_port()
    env = os.environ | {"ASSISTANT_HOME": str(home), "ASSISTANT_SEEDS": str(corpus)}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(BIN), "serve", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, log.read_text("utf-8", "replace")[-3000:]
            try:
                with urllib.request.urlopen(url + "config", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the app did not come up"
            time.sleep(0.5)
        client = Client(url, verbose=False)
        question = "What did DPNSEE say?"
        before = client.predict(question, "[]", api_name="/ask")
        assert before["found"] and before["citations"][0]["doc_id"].startswith("001")
        # Another process changes the cited report: a new first paragraph shifts every chunk.
        report = corpus / "001_23abd807676cf300.txt"
        added = ("The Balkan observatory reported that the seizure of 412 kilograms of cocaine in the port of Bar "
                 "was the largest in Montenegro.")
        report.write_text(added + "\n\n" + report.read_text("utf-8"), "utf-8")
        changed = json.loads(run("ingest", str(corpus), "--json", home=home, code=0).stdout)
        assert changed["changed"] == 1
        after = client.predict(question, "[]", api_name="/ask")
        assert after["found"] and after["citations"]
        text = Store(Settings(home=home)).document_text(after["citations"][0]["doc_id"])
        for c in after["citations"]:  # every citation points into the text as it is now
            assert text is not None and text[c["start"]:c["end"]] == c["text"]
        # The new sentence is read from the index as it is now: quoted as the answer, or (when the scorer's
        # gate is not sure enough, which is the scorer's business and measured by `assistant eval`) offered
        # as related reading with its offsets into the current text.
        new = client.predict("How many kilograms of cocaine were seized in the port of Bar?", "[]", api_name="/ask")
        found = [c for c in new["citations"] + new.get("related", []) if "412 kilograms" in c["text"]]
        assert found, new
        now = Store(Settings(home=home)).document_text(found[0]["doc_id"])
        assert now is not None and now[found[0]["start"]:found[0]["end"]] == found[0]["text"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    assert "Traceback" not in log.read_text("utf-8", "replace")


def test_assistant_sees_a_document_another_process_removed(tmp_path, corpus):
    settings = Settings(home=tmp_path / "home", seeds=corpus)
    assistant = Assistant(settings)
    assistant.ingest([corpus])
    assert assistant.ask("What did DPNSEE say?").found
    (corpus / "001_23abd807676cf300.txt").unlink()
    run("ingest", str(corpus), home=settings.home, code=0)
    answer = assistant.ask("What did DPNSEE say?")  # the chunks it remembered are gone
    assert all(c.doc_id != "001_23abd807676cf300" for c in answer.citations)
    assert [d.doc_id for d in assistant.documents()] == ["002_c41756f9194e43e0"]


# --- 3. one document per file, however the folder is named -------------------------------------------


def test_same_folder_named_two_ways_is_one_set_of_documents(tmp_path, corpus, monkeypatch):
    settings = Settings(home=tmp_path / "home", seeds=corpus)
    monkeypatch.chdir(tmp_path)
    first = ingest(settings, [Path("corpus")])
    second = ingest(settings, [tmp_path / "corpus"])
    (tmp_path / "link").symlink_to(corpus, target_is_directory=True)
    third = ingest(settings, [Path("link"), Path("./corpus/")])
    assert (first.documents, first.new) == (2, 2)
    assert (second.documents, second.new, second.unchanged, second.chunks_embedded) == (2, 0, 2, 0)
    assert (third.documents, third.new, third.removed) == (2, 0, 0)
    answer = Assistant(settings).ask("What did DPNSEE say?")
    spans = [(c.doc_id, c.start, c.end) for c in answer.citations]
    assert len(spans) == len(set(spans))


# --- 4. date filters ------------------------------------------------------------------------------------


def test_date_bounds_accept_year_month_day():
    assert date_bound("2022") == "2022-01-01" and date_bound("2022", end=True) == "2022-12-31"
    assert date_bound("2024-02") == "2024-02-01" and date_bound("2024-02", end=True) == "2024-02-29"
    assert date_bound("2021-10-19") == date_bound("2021-10-19", end=True) == "2021-10-19"
    for bad in ("yesterday", "2021/10/19", "2021-13", "2021-02-30", "21", "2021-1-1-1", "", " "):
        with pytest.raises(ValueError, match="YYYY, YYYY-MM or YYYY-MM-DD"):
            date_bound(bad)
    with pytest.raises(ValueError, match="after"):
        date_range("2022", "2021-12")
    assert date_range("2021", "2021") == ("2021-01-01", "2021-12-31")


def test_since_a_year_cites_nothing_older(seeded):
    home = seeded.home
    dated = {r.doc_id: r.date for r in Assistant(seeded).documents()}
    assert any(d.startswith("2021") for d in dated.values())
    assert not any(d >= "2022" for d in dated.values())  # so --since 2022 leaves no report: it says so
    for since in ("2022", "2022-01", "2022-01-01"):
        out = invoke("ask", "What did DPNSEE say?", "--json", "--since", since, home=home)
        assert out.exit_code == 2 and "no indexed report passes --since 2022-01-01" in out.output, out.output
    older = json.loads(invoke("ask", "What did DPNSEE say?", "--json", "--since", "2021-06", home=home).output)
    assert all(c["date"] >= "2021-06-01" for c in older["citations"]), older
    year = json.loads(invoke("ask", "What did DPNSEE say?", "--json", "--since", "2021", "--until", "2021",
                             home=home).output)
    assert year["found"] and all(c["date"].startswith("2021") for c in year["citations"])


@pytest.mark.parametrize("flags", [["--since", "yesterday"], ["--since", "2021/10/19"], ["--until", "2021-02-30"],
                                   ["--since", "2022", "--until", "2021"], ["--since", "2021-10-20", "--until", "2021-09"]])
def test_bad_or_inverted_dates_are_usage_errors(seeded, flags):
    result = invoke("ask", "What did DPNSEE say?", *flags, home=seeded.home)
    assert result.exit_code == 2
    assert "YYYY, YYYY-MM or YYYY-MM-DD" in result.output or "is after" in result.output


# --- 5. escape sequences in titles and names ---------------------------------------------------------


def test_escape_sequences_in_titles_and_names_never_reach_the_terminal(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    title = "Seizures\x1b]0;PWNED\x07 report\x1b[2J\u202e"
    (folder / "evil\x1b[2Jname.html").write_text(
        f"<html><head><title>{title}</title></head><body><p>Police in Kotor seized 93 kilograms of heroin "
        "hidden in a yacht in the summer of 2022, the Montenegrin police said.</p></body></html>", "utf-8")
    home = tmp_path / "home"
    run("ingest", str(folder), home=home, code=0)
    record = next(iter(Store(Settings(home=home)).records().values()))
    assert "Seizures" in record.title and not any(e in record.title for e in ESCAPES), repr(record.title)
    status = run("status", home=home, code=0).stdout
    answer = run("ask", "How much heroin was seized in Kotor?", home=home, code=0).stdout
    as_json = run("ask", "How much heroin was seized in Kotor?", "--json", home=home, code=0).stdout
    assert "93 kilograms" in answer and "evil" in answer and "Seizures" in status
    for out in (status, answer, as_json):
        assert not any(e in out for e in ESCAPES), repr(out)
    assert json.loads(as_json)["citations"][0]["source"].endswith("evil\x1b[2Jname.html")  # the data stays exact
    assert for_terminal("a\x1b[2Jb\x9b\u202ec\nd\te") == "a[2Jbc\nd\te"


# --- 6. bad input: one line that says what to do, and the right exit code ------------------------------


def test_bad_settings_and_options_are_usage_errors(tmp_path):
    home = tmp_path / "home"
    for env, args, words in [
        ({"ASSISTANT_MAX_FILE_MB": "abc"}, ["ingest", str(SEEDS)], "ASSISTANT_MAX_FILE_MB"),
        ({"ASSISTANT_TOP_K": "-3"}, ["ask", "What?"], "ASSISTANT_TOP_K"),
        ({"ASSISTANT_CHUNK_TOKENS": "0"}, ["status"], "ASSISTANT_CHUNK_TOKENS"),
        ({}, ["serve", "--port", "70000"], "70000"),
        ({}, ["ask", "What did DPNSEE say?", "--top-k", "0"], "--top-k"),
        ({}, ["ask", "What did DPNSEE say?", "--top-k", "-1"], "--top-k"),
        ({}, ["ingest", str(tmp_path / "nowhere")], "does not exist"),
        # Read by Chroma as a damaged store (and `doctor` then advised a rebuild) before they were checked here.
        ({"ASSISTANT_COLLECTION": "a/b"}, ["status"], "ASSISTANT_COLLECTION"),
        ({"ASSISTANT_COLLECTION": "a/b"}, ["doctor"], "ASSISTANT_COLLECTION"),
        ({"ASSISTANT_CHUNK_VECTORS": "foo"}, ["ingest", str(SEEDS)], "ASSISTANT_CHUNK_VECTORS"),
        ({"ASSISTANT_CHUNK_VECTORS": "foo"}, ["ask", "What?"], "ASSISTANT_CHUNK_VECTORS"),
        ({}, ["--home", "", "status"], "--home"),  # not the current folder
    ]:
        proc = run(*args, home=home, code=2, env=env)
        assert words in proc.stderr, (args, proc.stderr)
        # One line, not click's usage block: the error, and where the options are listed if it does not say.
        (line,) = proc.stderr.strip().splitlines()
        assert line.startswith("Error: ") and "`assistant" in line, line
    for args in (["nosuch"], ["status", "--bogus"], ["ask"], ["ask", "x", "--top-k"], ["show"]):
        proc = run(*args, home=home, code=2)
        (line,) = proc.stderr.strip().splitlines()
        assert line.startswith("Error: ") and "--help` lists what it takes" in line, (args, line)


def test_unknown_language_or_document_is_named(seeded):
    lang = invoke("ask", "What did DPNSEE say?", "--lang", "xx", home=seeded.home)
    assert lang.exit_code == 2 and "--lang xx" in lang.output and "en" in lang.output
    doc = invoke("ask", "What did DPNSEE say?", "--doc", "nosuch", "--json", home=seeded.home)
    assert doc.exit_code == 2 and "--doc nosuch" in doc.output
    good = invoke("ask", "What did DPNSEE say?", "--lang", "EN", "--doc", "001_23abd807676cf300", home=seeded.home)
    assert good.exit_code == 0 and "001_23abd807676cf300" in good.output
    # each matches a report, but none passes them together; nor a date range alone
    for args in (["--lang", "sr", "--doc", "001_23abd807676cf300"], ["--doc", "001_23abd807676cf300", "--since", "2022"],
                 ["--until", "1999"]):
        both = invoke("ask", "What did DPNSEE say?", *args, home=seeded.home)
        assert both.exit_code == 2 and "no indexed report passes" in both.output and args[-1] in both.output, args
    dated = invoke("ask", "What did DPNSEE say?", "--doc", "001_23abd807676cf300", "--until", "2021-10", home=seeded.home)
    assert dated.exit_code == 0 and "001_23abd807676cf300" in dated.output


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "cp1251", "utf-8-sig"])
def test_history_file_in_other_encodings(seeded, tmp_path, encoding):
    history = [{"role": "user", "content": "Шта је рекао DPNSEE?"},
               {"role": "assistant", "content": "Представник мреже DPNSEE говорио је о сарадњи."}]
    path = tmp_path / "history.json"
    path.write_bytes(json.dumps(history, ensure_ascii=False).encode(encoding))
    result = invoke("ask", "When was that session held?", "--history", str(path), "--json", home=seeded.home)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["question"] == "When was that session held?"


def test_history_that_is_not_a_conversation(seeded, tmp_path):
    for name, data in [("binary", bytes(range(256)) * 4), ("deep", b"[" * 100000 + b"]" * 100000),
                       ("number", b"5"), ("dicts", b'{"role": "user"}'), ("bad", b"[{]")]:
        path = tmp_path / f"{name}.json"
        path.write_bytes(data)
        result = invoke("ask", "What did DPNSEE say?", "--history", str(path), home=seeded.home)
        assert result.exit_code == 2, (name, result.output)
        assert "--history" in result.output and "Traceback" not in result.output


def test_ask_json_on_an_empty_index_prints_an_error_object(tmp_path):
    proc = run("ask", "What did DPNSEE say?", "--json", home=tmp_path / "empty", code=1)
    out = json.loads(proc.stdout)
    assert out["found"] is False and "assistant ingest" in out["error"]
    assert "assistant ingest" in proc.stderr


def test_keyword_index_of_the_wrong_shape_is_rebuilt(seeded, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(seeded.home, home)
    meta = home / "keyword" / "chunks.json"
    good = json.loads(meta.read_text("utf-8"))
    for bad in ([], {"ids": 5, "fields": {}, "signature": good["signature"]},
                {"ids": good["ids"], "fields": {"doc_id": ["x"]}, "signature": good["signature"]},
                {"ids": good["ids"][:3], "fields": {}, "signature": good["signature"]}):
        meta.write_text(json.dumps(bad), "utf-8")
        answer = json.loads(invoke("ask", "What did DPNSEE say?", "--json", home=home).output)
        assert answer["found"], bad
    meta.write_text(json.dumps({"ids": {"a": 1}, "fields": [], "signature": 3}), "utf-8")
    run("ingest", str(SEEDS), home=home, code=0)
    assert json.loads(meta.read_text("utf-8"))["signature"] == good["signature"]


def test_pypdf_repair_notes_stay_off_stderr(tmp_path):
    folder = tmp_path / "pdfs"
    folder.mkdir()
    pdf = make_pdf(folder / "w.pdf", ["Police in Tivat found 40 kilograms of cocaine in a container in 2022."])
    pdf.write_bytes(pdf.read_bytes().replace(b"startxref\n", b"startxref\n1"))  # pypdf repairs it, noisily
    proc = run("ingest", str(folder), home=tmp_path / "home", code=0)
    assert proc.stderr.strip() == "", proc.stderr


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


def test_full_disk_is_one_line_and_loses_nothing(tmp_path, corpus):
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "1200k"):
        pytest.skip("needs root to mount a small tmpfs that fills up")
    try:
        home = disk / "home"
        proc = run("ingest", str(SEEDS), home=home)
        assert proc.returncode == 1, proc.stdout
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "full" in lines[0] and "free some space" in lines[0], proc.stderr
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        again = json.loads(run("ingest", str(SEEDS), "--json", home=home, code=0).stdout)
        assert again["documents"] == 5
        assert json.loads(run("ask", "What did DPNSEE say?", "--json", home=home, code=0).stdout)["found"]
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


# --- 7. non-questions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["...", "???", "!", "—?", "¿¡", "* * *", "a", "\u200b\u200b"])
def test_non_questions_are_refused_like_unrelated_ones(seeded, question):
    assert not worth_searching(question)
    out = json.loads(invoke("ask", question, "--json", home=seeded.home).output)
    assert out["found"] is False and out["citations"] == [] and out["answer"] == NO_ANSWER
    unrelated = Assistant(seeded).ask("What is the capital of Australia?")
    assert not unrelated.found and unrelated.answer == NO_ANSWER


@pytest.mark.parametrize("turn, reply", [("thanks!", "You're welcome."), ("Хвала, то је све.", "Нема на чему."),
                                         ("Спасибо", "Пожалуйста."), ("zdravo", "Zdravo."), ("bye", "Goodbye.")])
def test_thanks_greetings_and_goodbyes_are_said_back_in_their_language_not_searched(seeded, turn, reply):
    out = json.loads(invoke("ask", turn, "--json", home=seeded.home).output)
    assert out["found"] is False and out["citations"] == [] and out["answer"].startswith(reply)
    # said with a question, it is a question
    asked = Assistant(seeded).ask(f"{turn} What did DPNSEE say?")
    assert asked.found and asked.citations


def test_short_real_questions_are_still_searched():
    for question in ("UN?", "ОДКБ", "2021?", "Ko?"):
        assert worth_searching(question)


# --- 6. a Chroma server that stops mid-session ---------------------------------------------------------


@pytest.mark.slow
def test_stopped_chroma_server_is_named_and_recovered_from(tmp_path, corpus):
    from test_server_mode import CHROMA, heartbeat

    port, path = free_port(), tmp_path / "chroma-server"

    def start():
        log = (tmp_path / "chroma.log").open("ab")
        proc = subprocess.Popen([str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT, env=os.environ | {"ANONYMIZED_TELEMETRY": "False"})
        deadline = time.monotonic() + 60
        while True:
            try:
                heartbeat(port)
                return proc
            except Exception:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.2)

    server = start()
    try:
        settings = Settings(home=tmp_path / "home", chroma_url=f"http://127.0.0.1:{port}")
        assistant = Assistant(settings)
        assistant.ingest([corpus])
        assert assistant.ask("What did DPNSEE say?").found
        server.terminate()
        server.wait(timeout=20)
        with pytest.raises(StoreError, match=r"^cannot reach the Chroma server at http://127\.0\.0\.1:\d+ \(.*\); start it"):
            list(assistant.stream("What did DPNSEE say?"))  # what the browser's chat runs
        server = start()
        assert assistant.ask("What did DPNSEE say?").found
    finally:
        server.terminate()
        server.wait(timeout=20)


# --- 8. uploads ---------------------------------------------------------------------------------------


def _in_gradio_cache(name: str) -> list[Path]:
    from gradio.utils import get_upload_folder

    root = Path(get_upload_folder())
    return [p for p in root.rglob(name)] if root.exists() else []


def test_uploads_far_over_the_size_limit_are_refused_in_transit(tmp_path, corpus):
    import uuid

    import httpx

    from assistant.web import TRANSIT_FACTOR, serve

    # One over the limit is taken in and refused by the reader with its line under the upload box
    # (tests/test_web.py); one TRANSIT_FACTOR times over never reaches the disk.
    settings = Settings(home=tmp_path / "home", seeds=corpus, max_file_mb=0.2)
    port = free_port()
    app = serve(settings, port=port, ingest_first=False, block=False)
    try:
        name = f"big-{uuid.uuid4().hex}.txt"
        big = ("Police seized heroin in Bar. " * 40000).encode()  # 1.1 MB
        assert len(big) > TRANSIT_FACTOR * 0.2 * 1024 * 1024
        r = httpx.post(f"http://127.0.0.1:{port}/gradio_api/upload", files={"files": (name, big)}, timeout=60)
        assert r.status_code == 413, r.text[:300]
        assert _in_gradio_cache(name) == []
        small = httpx.post(f"http://127.0.0.1:{port}/gradio_api/upload",
                           files={"files": ("small.txt", b"Police seized heroin in Bar.")}, timeout=60)
        assert small.status_code == 200
    finally:
        app.close()


@pytest.mark.browser
def test_an_uploaded_file_leaves_no_temporary_copy(tmp_path, corpus):
    import uuid

    from playwright.sync_api import sync_playwright
    from test_web import CHROMIUM, CHROMIUM_ARGS

    from assistant.library import library_dir
    from assistant.web import serve

    settings = Settings(home=tmp_path / "home", seeds=corpus)
    port = free_port()
    app = serve(settings, port=port, ingest_first=True, block=False)
    name = f"kotor-{uuid.uuid4().hex[:8]}.txt"
    (tmp_path / name).write_text("Police in Kotor seized 93 kilograms of heroin hidden in a yacht in 2022.\n", "utf-8")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
            page.get_by_role("tab", name="Library").click()
            page.wait_for_selector("#upload input[type=file]", state="attached")
            page.set_input_files("#upload input[type=file]", [str(tmp_path / name)])
            page.locator("#upload-status", has_text=f"Added {name}").wait_for(timeout=120000)
            browser.close()
        assert (library_dir(settings) / name).exists() and _in_gradio_cache(name) == []
    finally:
        app.close()


def test_ask_api_history_of_any_shape_gets_a_message():
    from assistant.core import QuestionError
    from assistant.web import api_history

    turns = [{"role": "user", "content": "What did DPNSEE say?"}, {"role": "assistant", "content": "They spoke."}]
    assert [m.content for m in api_history(json.dumps(turns))] == [t["content"] for t in turns]
    assert [m.content for m in api_history(turns)] == [t["content"] for t in turns]  # the list itself is fine
    assert api_history("") == [] and api_history(None) == []
    for bad, words in [(5, "history must be a JSON list"), ("5", "history must be a JSON list"),
                       ([1, 2], "history must be a JSON list"), ("[" * 100000, "nested too deeply"),
                       ("[{]", "not valid JSON"), ({"role": "user"}, "history must be a JSON list")]:
        with pytest.raises(QuestionError, match=words):
            api_history(bad)


def test_serving_where_there_is_no_seeds_folder_serves_what_is_indexed(tmp_path, corpus, capsys):
    """`assistant serve` run outside the repository: no "skipped: seeds: no such file" (a fault it is not),
    one line saying what is served, and every report indexed before is still there."""
    from assistant.ingest import ingest
    from assistant.web import serve

    settings = Settings(home=tmp_path / "home", seeds=tmp_path / "seeds")
    assert ingest(settings, [corpus]).documents == 2
    capsys.readouterr()
    app = serve(settings, port=free_port(), ingest_first=True, block=False)
    try:
        err = capsys.readouterr().err
        assert "no such file" not in err and "skipped" not in err
        assert f"no {settings.seeds} folder here" in err and "2 documents indexed (0 new" in err
    finally:
        app.close()
