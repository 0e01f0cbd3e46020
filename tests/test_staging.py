"""Who made a rebuild's store on a Chroma server, and whether it stopped (the server itself: test_server_mode)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from assistant.staging import Leftover

NAMES = ("reports-rebuilding-chunks-en", "reports-rebuilding-documents")


def gone_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=30)
    return proc.pid


def test_an_unmarked_store_is_taken_as_stopped():
    left = Leftover(NAMES)
    assert left.stopped and not left.running_here
    assert left.describe().startswith("a rebuild that was stopped left 2 collection(s) on the Chroma server")


def test_a_store_of_a_process_of_this_machine_is_stopped_once_it_is_gone():
    here = socket.gethostname()
    assert Leftover(NAMES, here, gone_pid(), "/data").stopped
    alive = Leftover(NAMES, here, os.getpid(), "/data")
    assert alive.running_here and not alive.stopped


def test_a_store_of_another_machine_is_never_taken_as_stopped_from_here():
    other = Leftover(NAMES, "not-" + socket.gethostname(), gone_pid(), "/srv/data")
    assert not other.stopped and not other.running_here
    said = other.describe()
    assert "a rebuild on not-" in said and "/srv/data" in said and "`assistant ingest` on not-" in said
