"""Giving memory back to the system after a big write or read, and fewer malloc arenas for Chroma's threads.

glibc's malloc keeps what a process freed inside its heaps for reuse: writing 100,000 chunks to Chroma, or
reading every chunk's metadata back to build the keyword index, frees hundreds of MB that the process then
keeps resident, scattered between live blocks so that the heap cannot shrink from its end. malloc_trim(0)
hands those free pages back. Each thread that allocates may also get an arena of its own (up to 8 per
core), each keeping its own free memory; Chroma's Rust core runs its writes and searches on worker threads.
Both are glibc's; on other C libraries (macOS, musl) these calls do nothing.
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache

M_ARENA_MAX = -8  # mallopt parameter number (glibc's malloc.h)
ARENAS = 2  # enough for the main thread and Chroma's workers to allocate without waiting on one another


@cache
def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    # musl also answers to libc.so.6 on some systems but has neither function
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def release_memory() -> bool:
    """Return the free pages of every malloc heap to the system; True when glibc did so (nothing else can)."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Let threads share at most this many malloc arenas from now on (threads that already have one keep
    it); True when glibc took the setting."""
    libc = _glibc()
    return bool(libc is not None and libc.mallopt(M_ARENA_MAX, int(arenas)) == 1)
