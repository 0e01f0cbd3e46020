"""One writer at a time on a data directory: ingest, uploads and deletes hold a lock file while they write."""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "write.lock"


@contextmanager
def write_lock(home: Path, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the data directory's writer lock until the block ends; call waiting() once if another writer (in
    this or another process) holds it, then wait for it."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    # flock belongs to the open file, so two opens in one process exclude each other too, and the lock dies
    # with its process: a killed ingest never leaves the directory locked.
    with open(home / LOCK_NAME, "a+b") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting()
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@contextmanager
def write_lock_if_free(home: Path) -> Iterator[bool]:
    """Hold the data directory's writer lock for the block if no one holds it now, never waiting; yield
    whether it is held (a reader that may tidy the store does so only then; a read-only directory: never)."""
    try:
        f = open(Path(home) / LOCK_NAME, "a+b")
    except OSError:
        yield False
        return
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
