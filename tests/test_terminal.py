"""What a person sees in the terminal: ingest progress bars that move, `serve` refusing a taken port before
ingest with a --port hint, no Gradio share hint, pip's progress during `make run`."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import ROOT, SEEDS

BIN = Path(sys.executable).parent / "assistant"


def _env(home: Path, **more) -> dict:
    return os.environ | {"ASSISTANT_HOME": str(home)} | more


def _report(sentences: int) -> str:
    return "\n\n".join(f"In week {i} the customs office in Subotica recorded {17 * i + 3} kilograms of seized "
                       f"goods and {i % 7 + 2} trucks were inspected at the border." for i in range(sentences))


def test_ingest_progress_bars_move_per_file_and_per_batch(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text((SEEDS / "002_c41756f9194e43e0.txt").read_text("utf-8"), "utf-8")
    (corpus / "b.txt").write_text(_report(40), "utf-8")  # more texts than one embedding batch holds
    proc = subprocess.run([str(BIN), "ingest", str(corpus), "--progress"], capture_output=True, text=True,
                          env=_env(tmp_path / "home"), timeout=600)
    assert proc.returncode == 0, proc.stderr
    frames = re.split(r"[\r\n]", proc.stderr)
    files = {m.group(1) for f in frames if (m := re.search(r"files:.*?(\d)/2", f))}
    assert {"0", "1", "2"} <= files  # the file bar moves from 0 of 2 to 2 of 2
    batches = [int(m.group(1)) for f in frames if (m := re.search(r"b\.txt:.*?(\d+)/(\d+) ", f))]
    assert len(set(batches)) >= 3 and batches == sorted(batches) and batches[-1] > 16, batches


def test_serve_refuses_a_taken_port_quickly_and_before_ingest(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        proc = subprocess.run([str(BIN), "serve", "--port", str(port)], capture_output=True, text=True,
                              env=_env(tmp_path / "home", ASSISTANT_SEEDS=str(SEEDS)), timeout=300)
        took = time.monotonic() - started
    assert proc.returncode == 2, proc.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in proc.stderr and re.search(r"--port \d+", proc.stderr)
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "home" / "chroma").exists()  # nothing was ingested
    assert took < 60, took  # imports only; an ingest of seeds/ takes far longer on this machine


def test_serve_shows_ingest_progress_and_no_share_hint(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text((SEEDS / "002_c41756f9194e43e0.txt").read_text("utf-8"), "utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(BIN), "serve", "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=_env(tmp_path / "home", ASSISTANT_SEEDS=str(seeds)))
    seen: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            seen.append(line)
            if "Serving on" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(300), "".join(seen)
        time.sleep(1.0)  # anything Gradio would print after start-up
    finally:
        proc.terminate()
        proc.wait(30)
    out = "".join(seen)
    frames = re.split(r"[\r\n]", out)
    assert any(re.search(r"files:.*1/1", f) for f in frames) and any(re.search(r"a\.txt:.*\d+/\d+", f) for f in frames)
    assert f"Serving on http://127.0.0.1:{port}/" in out
    assert "share=True" not in out and "public link" not in out


def test_make_run_shows_pip_progress():
    makefile = (ROOT / "Makefile").read_text("utf-8")
    installs = [line for line in makefile.splitlines() if "pip install" in line and "-e " in line]
    assert installs and not any("--quiet" in line or " -q " in line for line in installs)
