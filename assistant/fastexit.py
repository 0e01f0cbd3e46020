"""End a finished command-line question without Python's teardown of every loaded module.

After a cold `assistant ask` has printed its answer, the interpreter's normal exit frees ~2,000 modules
(most of them Chroma's and its libraries') one by one: 0.1 s of CPU and 0.1–0.3 s of wall time on a busy
machine, for nothing the user sees. mypy's `--fast-exit` skips the same work the same way. Output is
flushed, Chroma's store handles are closed as a normal exit closes them, and logging is shut down first.
"""

from __future__ import annotations

import logging
import os
import sys


def hard_exit(code: int = 0) -> None:
    """Flush stdout and stderr, close Chroma's clients and logging, then end the process with code."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (`| head`) or a closed stream: nothing to keep
            pass
    shared = sys.modules.get("chromadb.api.shared_system_client")
    if shared is not None:  # stops each Chroma system: its Rust store handle is dropped, as at a normal exit
        shared.SharedSystemClient.clear_system_cache()
    logging.shutdown()
    os._exit(code)
