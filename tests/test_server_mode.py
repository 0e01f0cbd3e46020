"""Chroma as a server: a real `chroma run` on loopback, the assistant pointed at it through chroma_url, from
Python and from the CLI (ASSISTANT_CHROMA_URL)."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from conftest import SEEDS

from assistant.config import Settings
from assistant.core import Assistant
from assistant.store import Store

BIN = Path(sys.executable).parent / "assistant"
CHROMA = Path(sys.executable).parent / "chroma"
TWINS = ("000_7e6134a7318589bf", "001_23abd807676cf300")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ChromaServer:
    url: str
    port: int
    path: Path
    proc: subprocess.Popen

    def log(self) -> str:
        return (self.path.parent / "chroma.log").read_text("utf-8", "replace")[-3000:]


def heartbeat(port: int) -> int:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False))
    return client.heartbeat()


@pytest.fixture
def chroma(tmp_path):
    """A `chroma run` server on a free loopback port with its data in tmp_path, killed at teardown."""
    port, path = free_port(), tmp_path / "chroma-server"
    env = os.environ | {"ANONYMIZED_TELEMETRY": "False"}
    with (tmp_path / "chroma.log").open("wb") as log:
        proc = subprocess.Popen([str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT, env=env)
    server = ChromaServer(f"http://127.0.0.1:{port}", port, path, proc)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"chroma run exited with {proc.returncode}:\n{server.log()}"
            try:
                assert heartbeat(port) > 0
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield server
    finally:
        if server.proc.poll() is None:  # a test may have restarted it: stop the one running now
            server.proc.terminate()
            try:
                server.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.proc.kill()
                server.proc.wait(timeout=10)


def stop(server: ChromaServer) -> None:
    server.proc.terminate()
    server.proc.wait(timeout=10)


def start_again(server: ChromaServer) -> None:
    """Start the stopped server again on its path and port, and wait until it answers."""
    with (server.path.parent / "chroma.log").open("ab") as log:
        server.proc = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(server.path), "--host", "127.0.0.1", "--port", str(server.port)],
            stdout=log, stderr=subprocess.STDOUT, env=os.environ | {"ANONYMIZED_TELEMETRY": "False"})
    deadline = time.monotonic() + 60
    while True:
        try:
            heartbeat(server.port)
            break
        except Exception:
            assert server.proc.poll() is None and time.monotonic() < deadline, server.log()
            time.sleep(0.2)


def cli(*args: str, home: Path, url: str, code: int = 0, collection: str | None = None) -> subprocess.CompletedProcess:
    """Run the CLI on a data directory and server (and the library of that name there, when given)."""
    env = os.environ | {"ASSISTANT_HOME": str(home), "ASSISTANT_CHROMA_URL": url} | \
        ({"ASSISTANT_COLLECTION": collection} if collection else {})
    proc = subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == code, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return proc


def only_loopback(pid: int) -> list:
    """Return the internet connections of a process that involve anything but loopback."""
    outside = []
    for conn in psutil.Process(pid).net_connections(kind="inet"):
        for addr in (conn.laddr, conn.raddr):
            if addr and not ipaddress.ip_address(addr.ip).is_loopback:
                outside.append(conn)
    return outside


@pytest.mark.slow
def test_ingest_ask_and_reingest_against_a_chroma_server(chroma, tmp_path):
    settings = Settings(home=tmp_path / "home", seeds=SEEDS, chroma_url=chroma.url)
    assistant = Assistant(settings)
    assert assistant.store.client.get_settings().anonymized_telemetry is False
    report = assistant.ingest([SEEDS])
    assert (report.documents, report.new, report.skipped) == (5, 5, [])
    assert report.chunks_embedded == report.chunks > 0

    # The data went to the server, none to an embedded store under home.
    assert not settings.chroma_path.exists()
    assert (chroma.path / "chroma.sqlite3").exists()
    import chromadb

    remote = chromadb.HttpClient(host="127.0.0.1", port=chroma.port)
    assert sum(remote.get_collection(f"{settings.collection}-chunks-{lang}").count() for lang in ("en", "sr")) \
        == report.chunks
    assert remote.get_collection(f"{settings.collection}-documents").count() == 5

    answer = assistant.ask("what did DPNSEE say?")
    assert answer.found and answer.citations and "[1]" in answer.answer
    first = answer.citations[0]
    assert first.doc_id in TWINS and "DPNSEE" in first.text
    for c in answer.citations:
        assert assistant.document_text(c.doc_id)[c.start:c.end] == c.text
    assert first.twin is not None and {first.doc_id, first.twin.doc_id} == set(TWINS)

    again = assistant.ingest([SEEDS])
    assert (again.chunks_embedded, again.sentences_embedded, again.unchanged, again.new) == (0, 0, 5, 0)

    # Through the CLI, configured by ASSISTANT_CHROMA_URL and ASSISTANT_COLLECTION, with a data dir of its own
    # reading and writing the same library.
    home, shared = tmp_path / "cli-home", settings.collection
    rerun = json.loads(cli("ingest", str(SEEDS), "--json", home=home, url=chroma.url, collection=shared).stdout)
    assert (rerun["documents"], rerun["unchanged"], rerun["chunks_embedded"]) == (5, 5, 0)
    status = json.loads(cli("status", "--json", home=home, url=chroma.url, collection=shared).stdout)
    assert sorted(r["doc_id"] for r in status) == sorted(p.stem for p in SEEDS.glob("*.txt"))
    asked = json.loads(cli("ask", "--json", "what did DPNSEE say?", home=home, url=chroma.url, collection=shared).stdout)
    assert asked["found"] and asked["citations"][0]["doc_id"] in TWINS
    for c in asked["citations"]:
        assert assistant.document_text(c["doc_id"])[c["start"]:c["end"]] == c["text"]
    assert not (home / "chroma").exists()

    # Telemetry is off: the server has talked to nothing but loopback.
    assert only_loopback(chroma.proc.pid) == []

    # Stopped, the server is named in a message a person can act on, not a traceback.
    chroma.proc.terminate()
    chroma.proc.wait(timeout=10)
    down = cli("status", home=home, url=chroma.url, code=1)
    assert f"cannot reach the Chroma server at {chroma.url}" in down.stderr
    with pytest.raises(SystemExit, match="cannot reach the Chroma server"):
        Store(settings)


def test_a_crashed_server_keeps_what_was_written(chroma, tmp_path, corpus):
    """A server killed with SIGKILL and restarted on the same path still holds a complete index."""
    settings = Settings(home=tmp_path / "home", seeds=corpus, chroma_url=chroma.url)
    first = Assistant(settings).ingest([corpus])
    assert (first.documents, first.skipped) == (2, [])
    chroma.proc.kill()
    chroma.proc.wait(timeout=10)
    start_again(chroma)
    again = Assistant(settings).ingest([corpus])
    assert (again.unchanged, again.chunks_embedded, again.repaired, again.chunks) == (2, 0, 0, first.chunks)
    store = Store(settings)
    assert store.chunks.count() == first.chunks
    assert all(r.state == "complete" for r in store.records().values())


@pytest.mark.slow
def test_rebuild_on_a_server_replaces_only_its_own_store(chroma, tmp_path, corpus):
    """`ingest --rebuild` against a Chroma server indexes again every file its records name (a report added
    from elsewhere too), builds the new store under other collection names, swaps it in once complete, and
    never touches another store on the same server whose name begins the same way."""
    import chromadb

    home = tmp_path / "home"
    other = Settings(home=tmp_path / "other", seeds=SEEDS, collection="reports-archive", chroma_url=chroma.url)
    archived = Assistant(other).ingest([corpus])
    added = tmp_path / "added" / "harbour.md"
    added.parent.mkdir()
    added.write_text("# Harbour dues\n\nThe port authority raised harbour dues for cargo ships by four percent "
                     "in March, citing dredging costs.\n", "utf-8")
    cli("ingest", str(SEEDS), str(added), home=home, url=chroma.url)
    remote = chromadb.HttpClient(host="127.0.0.1", port=chroma.port)
    before = sorted(c.name for c in remote.list_collections())
    first = json.loads(cli("status", "--json", home=home, url=chroma.url).stdout)

    rebuilt = json.loads(cli("ingest", "--rebuild", str(SEEDS), "--json", home=home, url=chroma.url).stdout)
    assert (rebuilt["documents"], rebuilt["new"], rebuilt["skipped"]) == (6, 6, [])
    assert sorted(c.name for c in remote.list_collections()) == before  # no rebuild collections left behind
    assert json.loads(cli("status", "--json", home=home, url=chroma.url).stdout) == first
    asked = json.loads(cli("ask", "--json", "what did DPNSEE say?", home=home, url=chroma.url).stdout)
    assert asked["found"] and asked["citations"][0]["doc_id"] in TWINS
    assert "healthy: 6 documents" in cli("doctor", home=home, url=chroma.url).stdout
    again = Store(other)
    assert again.chunks.count() == archived.chunks and len(again.records()) == archived.documents == 2


# --- many assistants, one server --------------------------------------------------------------------------

LIMAN = ("Water Supply Upgrade in Liman\n\nThe city of Novi Sad renewed the water network of the Liman district in "
         "2022. The project cost 4.7 million euros and was funded by the European Investment Bank. Work took "
         "fourteen months and replaced 31 kilometres of pipes.\n")
FORUM = ("Regional Forum in Kazan\n\nDelegates from twelve countries attended the regional forum on river transport "
         "in Kazan in May 2023. The forum agreed on a shared timetable for passenger ships on the Volga.\n")


def two_reports(folder: Path) -> Path:
    folder.mkdir()
    (folder / "liman.txt").write_text(LIMAN, "utf-8")
    (folder / "forum.txt").write_text(FORUM, "utf-8")
    return folder


@pytest.mark.slow
def test_an_open_assistant_answers_from_what_another_data_directory_ingested(chroma, tmp_path):
    """Two data directories given one library (ASSISTANT_COLLECTION) on one server: an Assistant kept open on
    one answers from the text another one's ingest changed, and stops listing the report it removed (each
    home's own files never change for the other, so only the server's generation can tell it)."""
    reports = two_reports(tmp_path / "reports")
    writer, shared = tmp_path / "writer", "shared"

    cli("ingest", str(reports), home=writer, url=chroma.url, collection=shared)
    reader = Assistant(Settings(home=tmp_path / "reader", chroma_url=chroma.url, collection=shared))
    question = "How much did the project in Liman cost?"
    assert "4.7 million euros" in reader.ask(question).answer
    assert [d.doc_id for d in reader.documents()] == ["forum", "liman"]

    (reports / "liman.txt").write_text(LIMAN.replace("4.7 million", "5.9 million"), "utf-8")
    assert json.loads(cli("ingest", str(reports), "--json", home=writer, url=chroma.url, collection=shared).stdout)["changed"] == 1
    answer = reader.ask(question)
    assert "5.9 million euros" in answer.answer and "4.7" not in answer.answer
    for c in answer.citations:  # the cached texts were read again too
        assert reader.document_text(c.doc_id)[c.start:c.end] == c.text

    (reports / "forum.txt").unlink()
    assert json.loads(cli("ingest", str(reports), "--json", home=writer, url=chroma.url, collection=shared).stdout)["removed"] == 1
    assert [d.doc_id for d in reader.documents()] == ["liman"]
    gone = reader.ask("How many countries attended the forum in Kazan?")
    assert all(c.doc_id != "forum" for c in gone.citations + gone.related)
    assert reader.document_text("forum") is None

    # Nothing changed since: no question reads the store anew (the generation is one small request).
    loaded = reader.records
    reader.ask(question)
    assert reader.records is loaded
    assert json.loads(cli("ingest", str(reports), "--json", home=writer, url=chroma.url, collection=shared).stdout)["unchanged"] == 1
    reader.ask(question)
    assert reader.records is loaded  # an ingest that changed nothing leaves readers as they are


def test_the_generation_is_written_only_by_an_ingest_that_changes_something(chroma, tmp_path, corpus):
    settings = Settings(home=tmp_path / "home", chroma_url=chroma.url)
    store = Store(settings)
    assert store.generation() is None  # never touched: nothing written by this build yet
    Assistant(settings).ingest([corpus])
    first = store.generation()
    assert first
    Assistant(settings).ingest([corpus])
    assert store.generation() == first
    (corpus / "001_23abd807676cf300.txt").unlink()
    Assistant(settings).ingest([corpus])
    assert store.generation() not in (None, first)


# --- a rebuild's store left on the server -----------------------------------------------------------------


def _rebuild_collections(url: str) -> list[str]:
    import chromadb

    remote = chromadb.HttpClient(host="127.0.0.1", port=int(url.rsplit(":", 1)[1]))
    return sorted(c.name for c in remote.list_collections() if "-rebuilding-" in c.name)


def _stage_rebuild(chroma, home: Path, corpus: Path, pid: int | None) -> None:
    """Leave on the server the store of a rebuild of home's store that was made by process pid (None: by a
    build before rebuilds were marked), as a rebuild killed before its swap leaves it."""
    from assistant import staging
    from assistant.doctor import _server_client, _staged
    from assistant.ingest import ingest

    staged = _staged(Settings(home=home, chroma_url=chroma.url))
    client = _server_client(staged)
    if pid is not None:  # as repair() marks it, before anything of it is written
        staging.mark(client, staged.collection, home)
        if pid != os.getpid():
            maker = {"host": socket.gethostname(), "pid": pid, "home": str(home)}
            client.get_collection(f"{staged.collection}-documents").modify(
                metadata={staging.MAKER: json.dumps(maker)})
    ingest(staged, [corpus])


def _gone_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=30)
    return proc.pid


@pytest.mark.slow
@pytest.mark.parametrize("made_by", ["a killed rebuild", "an unmarked rebuild"])
def test_the_next_ingest_removes_a_stopped_rebuilds_collections(chroma, tmp_path, corpus, made_by):
    """A rebuild killed before its swap leaves its store on the server under other names: doctor names it (no
    rebuild needed), the next ingest removes it, and the store itself is untouched."""
    home = tmp_path / "home"
    cli("ingest", str(corpus), home=home, url=chroma.url)
    _stage_rebuild(chroma, home, corpus, _gone_pid() if made_by == "a killed rebuild" else None)
    left, name = _rebuild_collections(chroma.url), Settings(home=home, chroma_url=chroma.url).collection
    assert f"{name}-rebuilding-documents" in left and any(n.startswith(f"{name}-rebuilding-chunks-") for n in left)

    found = json.loads(cli("doctor", "--json", home=home, url=chroma.url, code=1).stdout)
    assert found["needs_rebuild"] is False and len(found["problems"]) == 1
    assert "a rebuild that was stopped left" in found["problems"][0] and "next `assistant ingest` removes" in \
        found["problems"][0]
    again = json.loads(cli("ingest", str(corpus), "--json", home=home, url=chroma.url).stdout)
    assert (again["unchanged"], again["chunks_embedded"]) == (2, 0)
    assert _rebuild_collections(chroma.url) == []
    assert "healthy: 2 documents" in cli("doctor", home=home, url=chroma.url).stdout


@pytest.mark.slow
def test_a_rebuild_under_way_is_left_alone(chroma, tmp_path, corpus):
    """The collections of a rebuild whose process is alive (here: this test's) are another process's work in
    progress, whatever data directory of its library it runs from: neither removed by an ingest nor called a
    problem."""
    home = tmp_path / "home"
    cli("ingest", str(corpus), home=home, url=chroma.url)
    _stage_rebuild(chroma, home, corpus, os.getpid())
    left = _rebuild_collections(chroma.url)
    shared = Settings(home=home, chroma_url=chroma.url).collection
    cli("ingest", str(corpus), home=tmp_path / "elsewhere", url=chroma.url, collection=shared)
    cli("ingest", str(corpus), home=home, url=chroma.url)
    assert _rebuild_collections(chroma.url) == left
    assert "healthy: 2 documents" in cli("doctor", home=home, url=chroma.url).stdout


# --- a server that is down, or stops part-way ---------------------------------------------------------------

# Loaded into the CLI through PYTHONPATH: stops the Chroma server (its pid in STOP_CHROMA_PID) just before the
# ingest writes its first document's record, so the server goes away in the middle of the run.
STOP_MID_INGEST = """
import os, signal, socket, time
import assistant.store as store

_mark = store.Store.mark

def mark(self, *args, **kwargs):
    pid = int(os.environ.pop("STOP_CHROMA_PID", "0"))
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until its port refuses (a stopped child stays a zombie of the test)
            try:
                socket.create_connection(("127.0.0.1", int(os.environ["STOP_CHROMA_PORT"])), timeout=1).close()
                time.sleep(0.05)
            except OSError:
                break
    return _mark(self, *args, **kwargs)

store.Store.mark = mark
"""


def _one_server_line(text: str, url: str) -> None:
    """Check a message names the server once, whole: not wrapped in another message nor cut."""
    assert text.count(f"the Chroma server at {url}") == 1, text
    assert f"cannot reach the Chroma server at {url} (" in text and text.rstrip().endswith("use the embedded store"), text
    assert "…" not in text, text


@pytest.mark.slow
@pytest.mark.parametrize("as_json", [False, True])
def test_a_server_that_stops_mid_ingest_is_named_in_one_line(chroma, tmp_path, corpus, as_json):
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "sitecustomize.py").write_text(STOP_MID_INGEST, "utf-8")
    env = os.environ | {"ASSISTANT_HOME": str(tmp_path / "home"), "ASSISTANT_CHROMA_URL": chroma.url,
                        "STOP_CHROMA_PID": str(chroma.proc.pid), "STOP_CHROMA_PORT": str(chroma.port),
                        "PYTHONPATH": os.pathsep.join([str(probe), os.environ["PYTHONPATH"]])}
    proc = subprocess.run([str(BIN), "ingest", str(corpus), *(["--json"] if as_json else [])], capture_output=True,
                          text=True, env=env, timeout=300)
    assert chroma.proc.wait(timeout=30) is not None  # stopped by the probe
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("error: ")
    _one_server_line(line, chroma.url)
    if as_json:
        assert json.loads(proc.stdout) == {"error": line.removeprefix("error: ")}
    else:
        assert proc.stdout == ""
    start_again(chroma)  # the next run indexes what this one did not
    done = json.loads(cli("ingest", str(corpus), "--json", home=tmp_path / "home", url=chroma.url).stdout)
    assert (done["documents"], done["new"], done["skipped"]) == (2, 2, [])


def test_a_server_that_is_down_is_named_not_taken_for_damage(chroma, tmp_path, corpus):
    """doctor, ingest --json and ask --json with the server down: the server named once, whole; no rebuild
    advised; one JSON object on stdout."""
    home = tmp_path / "home"
    cli("ingest", str(corpus), home=home, url=chroma.url)
    stop(chroma)
    doctor = cli("doctor", home=home, url=chroma.url, code=1)
    assert "--repair" not in doctor.stdout and "start" in doctor.stdout
    _one_server_line(doctor.stdout.splitlines()[0], chroma.url)
    found = json.loads(cli("doctor", "--json", home=home, url=chroma.url, code=1).stdout)
    assert (found["healthy"], found["needs_rebuild"], found["unreachable"]) == (False, False, True)
    repair = cli("doctor", "--repair", home=home, url=chroma.url, code=1)
    assert "rebuilding" not in repair.stderr and "found:" not in repair.stderr
    ingest = cli("ingest", str(corpus), "--json", home=home, url=chroma.url, code=1)
    _one_server_line(json.loads(ingest.stdout)["error"], chroma.url)
    asked = cli("ask", "--json", "What did DPNSEE say?", home=home, url=chroma.url, code=1)
    answer = json.loads(asked.stdout)
    assert answer["found"] is False and answer["question"] == "What did DPNSEE say?"
    _one_server_line(answer["error"], chroma.url)
    start_again(chroma)
    assert "healthy: 2 documents" in cli("doctor", home=home, url=chroma.url).stdout


def test_an_open_assistant_says_the_server_stopped_in_one_line(chroma, tmp_path, corpus):
    settings = Settings(home=tmp_path / "home", chroma_url=chroma.url)
    assistant = Assistant(settings)
    assistant.ingest([corpus])
    question = "What did DPNSEE say?"
    assert assistant.ask(question).found
    listed = assistant.documents()
    stop(chroma)
    from assistant.core import StoreError

    for call in (lambda: assistant.ask(question), lambda: assistant.retrieve(question),
                 lambda: assistant.as_retriever().nodes(), lambda: assistant.as_retriever().retrieve(question)):
        with pytest.raises(StoreError) as failed:
            call()
        _one_server_line(str(failed.value), chroma.url)
    assert assistant.documents() == listed  # the last list read, while the server cannot be asked
    start_again(chroma)
    assert assistant.ask(question).found and len(assistant.as_retriever().nodes()) > 0


# --- every command, the server down or frozen ---------------------------------------------------------------

DOWN_COMMANDS = [
    ["status"], ["status", "--json"], ["show", "liman"], ["show", "liman", "--json"], ["delete", "liman"],
    ["delete", "liman", "--json"], ["ask", "How much did it cost?"], ["ask", "--json", "How much did it cost?"],
    ["ingest", "{reports}"], ["ingest", "{reports}", "--json"], ["ingest", "--rebuild", "{reports}"],
    ["chat"], ["chat", "--json"], ["serve", "--no-ingest", "--port", "{port}"], ["serve", "--port", "{port}"],
    ["eval"], ["eval", "--json"],
]


def _says_down(proc: subprocess.CompletedProcess, args: list[str], url: str) -> None:
    """Check a command met a server it cannot reach as every command must: exit 1, one line on stderr naming
    the server, and under --json the one object on stdout holding that line; nothing else printed."""
    assert proc.returncode == 1, (args, proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("error: "), line
    _one_server_line(line, url)
    if "--json" in args:
        [printed] = proc.stdout.strip().splitlines()
        assert json.loads(printed)["error"] == line.removeprefix("error: "), printed
    else:
        assert proc.stdout == "", proc.stdout


@pytest.mark.parametrize("args", DOWN_COMMANDS, ids=" ".join)
def test_every_command_names_a_server_that_is_down(tmp_path, args):
    """Nothing listens at the configured URL: every command that reads or writes the store says so in one
    line (a script given --json reads it as the one object on stdout, as from ingest and ask)."""
    url = f"http://127.0.0.1:{free_port()}"
    reports = two_reports(tmp_path / "reports")
    args = [a.format(reports=reports, port=free_port()) for a in args]
    env = os.environ | {"ASSISTANT_HOME": str(tmp_path / "home"), "ASSISTANT_CHROMA_URL": url}
    proc = subprocess.run([str(BIN), *args], input="How much did it cost?\n", capture_output=True, text=True,
                          env=env, timeout=120)
    _says_down(proc, args, url)


@pytest.mark.slow
def test_a_frozen_server_is_named_not_waited_for(chroma, tmp_path, corpus):
    """A server that takes connections and never answers (stopped with SIGSTOP here; a host whose packets are
    dropped looks the same) is named once ASSISTANT_CHROMA_TIMEOUT has passed, instead of every command
    waiting for it silently for ever."""
    import signal

    from assistant.core import StoreError

    home = tmp_path / "home"
    cli("ingest", str(corpus), home=home, url=chroma.url)
    assistant = Assistant(Settings(home=home, chroma_url=chroma.url, chroma_timeout=2))
    question = "What did DPNSEE say?"
    assert assistant.ask(question).found
    env = os.environ | {"ASSISTANT_HOME": str(home), "ASSISTANT_CHROMA_URL": chroma.url, "ASSISTANT_CHROMA_TIMEOUT": "2"}
    os.kill(chroma.proc.pid, signal.SIGSTOP)
    try:
        for args in (["status", "--json"], ["ask", "--json", question]):
            started = time.monotonic()
            proc = subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env, timeout=60)
            assert time.monotonic() - started < 30
            _says_down(proc, args, chroma.url)
            assert "no answer within 2 s" in proc.stderr
        # An assistant that was answering when the server froze: its next question fails in one line, in time.
        started = time.monotonic()
        with pytest.raises(StoreError) as failed:
            assistant.ask(question)
        assert time.monotonic() - started < 30
        _one_server_line(str(failed.value), chroma.url)
    finally:
        os.kill(chroma.proc.pid, signal.SIGCONT)
    assert json.loads(cli("status", "--json", home=home, url=chroma.url).stdout)
    assert assistant.ask(question).found


# --- one server, several data directories -------------------------------------------------------------------

REPORT_A = "Bridge Repairs\n\nThe river bridge in Sremska Mitrovica was repaired in 2021 for 2.3 million euros.\n"
REPORT_B = "School Meals\n\nThe town of Kikinda served free school meals to 1,200 pupils in 2023.\n"


def _statuses(home: Path, url: str) -> dict[str, str]:
    return {r["doc_id"]: r["title"] for r in json.loads(cli("status", "--json", home=home, url=url).stdout)}


@pytest.mark.slow
def test_two_data_directories_on_one_server_keep_their_own_reports(chroma, tmp_path):
    """Two data directories given the same ASSISTANT_CHROMA_URL and nothing else are two libraries, as two
    embedded stores are: each lists and answers from the reports ingested into it, a report of the same file
    name in each is two reports, and one's rebuild (here while the other's files cannot be seen from it, as
    from another machine) leaves the other's reports as they were."""
    first, second = tmp_path / "first", tmp_path / "second"
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "liman.txt").write_text(LIMAN, "utf-8")
    (a / "report.txt").write_text(REPORT_A, "utf-8")
    (b / "forum.txt").write_text(FORUM, "utf-8")
    (b / "report.txt").write_text(REPORT_B, "utf-8")
    cli("ingest", str(a), home=first, url=chroma.url)
    cli("ingest", str(b), home=second, url=chroma.url)
    mine = {"liman": "Water Supply Upgrade in Liman", "report": "Bridge Repairs"}
    theirs = {"forum": "Regional Forum in Kazan", "report": "School Meals"}
    assert _statuses(first, chroma.url) == mine
    assert _statuses(second, chroma.url) == theirs

    a.rename(tmp_path / "a-elsewhere")  # the first one's files, seen from the second: not there
    rebuilt = json.loads(cli("ingest", "--rebuild", str(b), "--json", home=second, url=chroma.url).stdout)
    assert (rebuilt["documents"], rebuilt["skipped"]) == (2, [])
    (b / "report.txt").write_text(REPORT_B.replace("1,200", "1,300"), "utf-8")
    cli("ingest", str(b), home=second, url=chroma.url)
    (tmp_path / "a-elsewhere").rename(a)

    assert _statuses(first, chroma.url) == mine
    asked = json.loads(cli("ask", "--json", "How much did the bridge repairs cost?", home=first, url=chroma.url).stdout)
    assert "2.3 million euros" in asked["answer"] and asked["citations"][0]["doc_id"] == "report"
    assert _statuses(second, chroma.url) == theirs
    again = json.loads(cli("ingest", str(a), "--json", home=first, url=chroma.url).stdout)
    assert (again["unchanged"], again["new"], again["changed"], again["removed"]) == (2, 0, 0, 0)


def test_a_data_directory_made_before_keeps_its_library(chroma, tmp_path, corpus):
    """A data directory that used the server before data directories had libraries of their own (its store is
    the server's `reports-*` collections; it holds a keyword index and no name) still opens that store, and
    its next ingest records the name; a new data directory beside it is told the library is there."""
    from assistant.config import SERVER_COLLECTION_FILE

    old = tmp_path / "old"
    made = Assistant(Settings(home=old, chroma_url=chroma.url, collection="reports")).ingest([corpus])
    assert (made.new, (old / "keyword").is_dir(), (old / SERVER_COLLECTION_FILE).exists()) == (2, True, False)
    ids = sorted(p.stem for p in corpus.glob("*.txt"))
    assert sorted(_statuses(old, chroma.url)) == ids
    again = json.loads(cli("ingest", str(corpus), "--json", home=old, url=chroma.url).stdout)
    assert (again["unchanged"], again["new"], again["chunks_embedded"]) == (2, 0, 0)
    assert (old / SERVER_COLLECTION_FILE).read_text("utf-8").strip() == "reports"

    new = tmp_path / "new"
    told = cli("status", home=new, url=chroma.url).stdout
    assert "nothing is indexed yet" in told and "reports (2 documents)" in told and "ASSISTANT_COLLECTION" in told
    asked = json.loads(cli("ask", "--json", "What did DPNSEE say?", home=new, url=chroma.url, code=1).stdout)
    assert "reports (2 documents)" in asked["error"]
    assert sorted(_statuses(new, chroma.url)) == []
    assert sorted(r["doc_id"] for r in json.loads(
        cli("status", "--json", home=new, url=chroma.url, collection="reports").stdout)) == ids
    assert not new.exists()  # looking made no folder
