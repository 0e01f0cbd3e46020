"""Sentence vectors kept beside an on-disk Chroma store, outside its vector index.

Chroma holds every vector of a collection in an in-memory HNSW index (~2.1 KB per 384-dim vector) and loads
it for any read of that collection, even a read of metadata only. Sentences are 2-3x as many as chunks, so at
100,000 chunks their index alone was ~500 MB of a server's memory. Sentences are never searched over a whole
large shard (see retrieval: the sentences of the nearest chunks are scored), so their vectors need no index:
a SQLite table of float32 blobs, read by id, costs what a question touches.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import numpy as np

# SQLite's default cap on bound parameters is 999 in older builds; stay under it.
_IDS_PER_QUERY = 900
# Connections a thread keeps for reading vectors by id (VectorFile.get), the most recently used files'.
KEPT_PER_THREAD = 2
_kept = threading.local()
_inherited: list = []  # a forked child's copies of its parent's connections: never used, never closed


class VectorFileError(Exception):
    """The vector file cannot be read or written (damaged, not SQLite, read-only)."""


class VectorFile:
    """Float32 vectors by record id, with the record's language shard and document (the id's start).

    A connection is opened for each call and closed after it: a process opens Stores by the hundred (each
    reopen, each test), Chroma's client objects keep a Store alive until the garbage collector runs, and a
    connection held per Store ran a long test session out of file descriptors. Opening costs ~0.1 ms.

    Except for get, which a question at scale makes once per language: a new connection starts with an empty
    page cache, and reading ~240 vectors by id through one took ~2.7 ms against ~0.5 ms through one kept open
    (the same ids). Each thread keeps the connections of the last KEPT_PER_THREAD files it read this way, keyed
    by the file's identity (a file replaced under the same name gets a connection of its own), so how many are
    open depends on the threads, not on how many Stores are alive."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._open()) as con:
                con.execute("PRAGMA journal_mode=WAL")  # an ingest beside a reading server; kept by the file
                con.execute("CREATE TABLE IF NOT EXISTS vectors (id TEXT PRIMARY KEY, shard TEXT NOT NULL,"
                            " doc TEXT NOT NULL, vec BLOB NOT NULL)")
                con.execute("CREATE INDEX IF NOT EXISTS vectors_shard ON vectors (shard)")
                con.execute("CREATE INDEX IF NOT EXISTS vectors_doc ON vectors (doc)")
        except sqlite3.Error as e:
            raise VectorFileError(f"the sentence vectors in {self.path} cannot be opened ({e})") from None

    def _open(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, isolation_level=None, timeout=60)

    def _run(self, sql: str, rows=()) -> list:
        try:
            with closing(self._open()) as con:
                return con.execute(sql, rows).fetchall()
        except sqlite3.Error as e:
            raise VectorFileError(f"the sentence vectors in {self.path} cannot be read ({e})") from None

    def put(self, ids: list[str], shard: str, vectors: np.ndarray) -> None:
        """Write (or replace) the vectors of ids, all of one shard."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        rows = [(i, shard, i.split(":", 1)[0], v.tobytes()) for i, v in zip(ids, vectors, strict=True)]
        try:
            with closing(self._open()) as con:
                con.execute("BEGIN")
                con.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)
                con.execute("COMMIT")  # on an error, closing the connection rolls back
        except sqlite3.Error as e:
            raise VectorFileError(f"the sentence vectors in {self.path} cannot be written ({e})") from None

    def _read(self, sql: str, rows=()) -> list:
        """Return the rows of a query run through this thread's kept connection to the file (see the class)."""
        try:
            st = os.stat(self.path)
        except OSError:  # gone: a connection of its own says so as before
            return self._run(sql, rows)
        kept: OrderedDict | None = getattr(_kept, "connections", None)
        if kept is None or _kept.pid != os.getpid():
            if kept:  # made before a fork: the parent's, not to be used or closed here
                _inherited.append(kept)
            kept = _kept.connections = OrderedDict()
            _kept.pid = os.getpid()
        key = (str(self.path), st.st_dev, st.st_ino)
        try:
            con = kept.get(key)
            if con is None:
                con = kept[key] = self._open()
                while len(kept) > KEPT_PER_THREAD:
                    kept.popitem(last=False)[1].close()
            kept.move_to_end(key)
            return con.execute(sql, rows).fetchall()
        except sqlite3.Error as e:
            dropped = kept.pop(key, None)
            if dropped is not None:
                dropped.close()
            raise VectorFileError(f"the sentence vectors in {self.path} cannot be read ({e})") from None

    def get(self, ids: list[str]) -> dict[str, np.ndarray]:
        """Return the vectors of the ids that have one."""
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(ids), _IDS_PER_QUERY):
            part = ids[i : i + _IDS_PER_QUERY]
            marks = ",".join("?" * len(part))
            for rid, blob in self._read(f"SELECT id, vec FROM vectors WHERE id IN ({marks})", part):
                out[rid] = np.frombuffer(blob, dtype=np.float32)
        return out

    def shard(self, shard: str) -> Iterator[tuple[list[str], np.ndarray]]:
        """Yield (ids, vectors) of a whole shard, a page at a time."""
        last = 0
        while True:  # in the order written, as Chroma lists a collection (equal distances keep that order)
            rows = self._run("SELECT rowid, id, vec FROM vectors WHERE shard = ? AND rowid > ? ORDER BY rowid "
                             "LIMIT 2000", (shard, last))
            if not rows:
                return
            yield [r[1] for r in rows], np.stack([np.frombuffer(r[2], dtype=np.float32) for r in rows])
            last = rows[-1][0]

    def delete(self, ids: list[str] | None = None, doc: str | None = None) -> None:
        """Remove the vectors of ids, or of one document."""
        if doc is not None:
            self._run("DELETE FROM vectors WHERE doc = ?", (doc,))
        for i in range(0, len(ids or []), _IDS_PER_QUERY):
            part = ids[i : i + _IDS_PER_QUERY]
            self._run(f"DELETE FROM vectors WHERE id IN ({','.join('?' * len(part))})", part)

    def documents(self) -> set[str]:
        """Return the documents that have vectors here."""
        return {r[0] for r in self._run("SELECT DISTINCT doc FROM vectors")}
