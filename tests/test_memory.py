"""Memory given back to the system: freed heap pages really leave the process's resident set (glibc)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant import memory

GLIBC = memory._glibc() is not None
# A child process: the test's own heap (pytest, earlier tests) would blur what one trim gives back.
CHILD = """
import psutil
from assistant import memory
rss = lambda: psutil.Process().memory_info().rss / 2**20
memory.release_memory()
base = rss()
blocks = [bytes(2048) for _ in range(60_000)]  # ~120 MB of malloc'd (not pymalloc'd) blocks
kept = blocks[::100] + [blocks[-1]]  # live blocks all along the heap: it cannot shrink from its end
del blocks
held = rss()
released = memory.release_memory()
print(base, held, rss(), released)
"""


def _run() -> tuple[float, float, float, bool]:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1]), float(out[2]), out[3] == "True"


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's")
def test_release_memory_returns_freed_heap_pages():
    base, held, after, released = _run()
    assert released
    # Freed but scattered between live blocks, glibc keeps the memory resident until it is trimmed.
    assert held - base > 80, (base, held)
    assert held - after > 60, (held, after)


@pytest.mark.skipif(GLIBC, reason="on glibc it works")
def test_release_memory_is_a_no_op_without_glibc():
    assert memory.release_memory() is False
    assert memory.limit_arenas() is False


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_limit_arenas_is_taken_and_leaves_threads_working():
    from concurrent.futures import ThreadPoolExecutor

    assert memory.limit_arenas(2)
    # Threads beyond the limit share arenas: allocation still works from each of them.
    with ThreadPoolExecutor(6) as pool:
        sizes = list(pool.map(lambda n: len(bytearray(n * 100_000)), range(1, 13)))
    assert sizes == [n * 100_000 for n in range(1, 13)]
