"""Doctor: is the data directory whole (store files, records, vectors, keyword index), and rebuild it if not.

Chroma's native code trusts its files: garbage in a vector file crashes the process (SIGSEGV) and a
truncated database ends in a raw error. So the files are checked here, in Python, before Chroma opens
them (`precheck`, on every open; milliseconds), and the deep check that asks Chroma itself runs in a
child process (`diagnose`), where a crash is a finding instead of the end of the program.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import struct
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .config import Settings
from .store import REPLACED, STAGING

REPAIR_HINT = "run `assistant doctor --repair` to rebuild it from the report files"
_SQLITE_MAGIC = b"SQLite format 3\x00"
# hnswlib's header as Chroma persists it: version, offsetLevel0, max_elements, cur_element_count,
# size_data_per_element, label_offset, offsetData, maxlevel, enterpoint_node, maxM, maxM0, M, mult, ef_construction.
_HNSW_HEADER = struct.Struct("<IQQQQQQiIQQQdQ")


class StoreDamaged(RuntimeError):
    """The store's files are damaged; the message says what and how to rebuild."""


@dataclass
class Diagnosis:
    """What `assistant doctor` found: plain-words problems (none when healthy) and what it counted."""

    problems: list[str] = field(default_factory=list)
    documents: int = 0
    chunks: int = 0
    sentences: int = 0
    # How many of the problems are what an ingest that stopped part-way leaves (a document being written, a
    # keyword index not yet rebuilt): the next `assistant ingest` finishes those; only the rest need a rebuild.
    unfinished: int = 0
    # The Chroma server could not be reached, so nothing was checked: the one problem says to start it. Not
    # damage: a rebuild would re-embed every report for nothing once the server is back.
    unreachable: bool = False

    @property
    def needs_rebuild(self) -> bool:
        return not self.unreachable and len(self.problems) > self.unfinished

    def to_json(self) -> dict:
        """Return the diagnosis as the `doctor --json` object."""
        return {"healthy": not self.problems, "problems": self.problems, "documents": self.documents,
                "chunks": self.chunks, "sentences": self.sentences, "needs_rebuild": self.needs_rebuild,
                "unreachable": self.unreachable}


# --- the quick check, before Chroma opens anything ------------------------------------------------------


def precheck(settings: Settings) -> None:
    """Raise StoreDamaged when the embedded store's files would crash or confuse Chroma; a fresh or
    healthy store passes in milliseconds."""
    problems = file_problems(settings.chroma_path)
    if problems:
        raise StoreDamaged(f"the store in {settings.chroma_path} is damaged: {problems[0]}; {REPAIR_HINT}")


def file_problems(chroma_dir: Path) -> list[str]:
    """Return what is wrong with the files of an embedded Chroma store, in plain words."""
    db = Path(chroma_dir) / "chroma.sqlite3"
    if not db.exists():
        return []  # a new store
    problem = _roll_back_stopped_write(db)
    if problem:
        return [problem]
    # The sentence vectors kept beside Chroma (vectorfile): an empty file is one SQLite has not written yet.
    for path in [db, *sorted(Path(chroma_dir).glob("*-sentence-vectors.sqlite3"))]:
        problem = _sqlite_problem(path, logged=path != db) if path == db or path.stat().st_size else None
        if problem:
            return [problem]
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            segments = _vector_segments(con)
            apart = _collections_apart(con)
        finally:
            con.close()
    except sqlite3.Error as e:
        return [f"chroma.sqlite3 cannot be read ({e})"]
    problems = []
    for name in apart:  # e.g. "reports-sentences-en": its vectors are in the collection's vector file
        vectors = Path(chroma_dir) / f"{name.split('-sentences-')[0]}-sentence-vectors.sqlite3"
        if not vectors.exists():
            return [f"{vectors.name}, which holds the vectors of {name}, is missing"]
    for seg_id, name, records, logged in segments:
        if records <= logged:
            continue  # Chroma rebuilds this collection's vectors from its log; it never reads the files
        problem = hnsw_problem(Path(chroma_dir) / seg_id)
        if problem:
            problems.append(f"the vectors of {name} ({records} records) {problem}")
    return problems


def _roll_back_stopped_write(db: Path) -> str | None:
    """Undo a write that a killed process left half done, as SQLite does when it next opens the file for
    writing (as Chroma does); return what stops that, or None. Chroma's database keeps a rollback journal:
    until the journal is played back the file may hold half a transaction (a size its header does not
    match), and a read-only connection cannot play it back ("attempt to write a readonly database"), so
    without this a killed ingest made the next command call a sound store damaged."""
    journal = db.with_name(db.name + "-journal")
    try:
        if not journal.exists() or not journal.stat().st_size:
            return None
        con = sqlite3.connect(f"file:{db}?mode=rw", uri=True)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the first read plays the journal back
        finally:
            con.close()
    except (sqlite3.Error, OSError) as e:
        if "locked" in str(e):
            return None  # another process is writing: its journal is not a stopped write
        return f"chroma.sqlite3 cannot be read ({e})"
    return None


def _sqlite_problem(db: Path, logged: bool = False) -> str | None:
    """Return what makes a SQLite file unusable (not SQLite, truncated), or None. logged: the file is written
    through a write-ahead log (vectorfile), so while its -wal file is there a file shorter than its header says
    is a checkpoint that stopped (a full disk), which SQLite finishes from the log on the next open."""
    size = db.stat().st_size
    with open(db, "rb") as f:
        header = f.read(100)
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        return f"{db.name} is not a SQLite database (empty or overwritten)"
    page = int.from_bytes(header[16:18], "big")
    page = 65536 if page == 1 else page
    pages, counter, valid_for = (int.from_bytes(header[a:a + 4], "big") for a in (28, 24, 92))
    if logged and db.with_name(db.name + "-wal").exists():
        return None
    if size % page or (pages and counter == valid_for and pages * page > size):
        return f"{db.name} is truncated ({size:,} bytes where its header says {pages * page:,})"
    return None


def _collections_apart(con: sqlite3.Connection) -> list[str]:
    """Return the collections whose vectors are kept in a vector file (store.APART)."""
    from .store import APART

    return [r[0] for r in con.execute(
        "SELECT c.name FROM collection_metadata m JOIN collections c ON c.id = m.collection_id WHERE m.key = ?",
        (APART,))]


def _vector_segments(con: sqlite3.Connection) -> list[tuple[str, str, int, int]]:
    """Return (vector segment id, collection name, records in its metadata, records still in its log)."""
    rows = con.execute(
        "SELECT v.id, c.name, c.id, m.id FROM segments v JOIN collections c ON v.collection = c.id "
        "JOIN segments m ON m.collection = c.id AND m.scope = 'METADATA' WHERE v.scope = 'VECTOR'").fetchall()
    out = []
    for seg_id, name, coll_id, meta_id in rows:
        records = con.execute("SELECT count(*) FROM embeddings WHERE segment_id = ?", (meta_id,)).fetchone()[0]
        logged = con.execute("SELECT count(*) FROM embeddings_queue WHERE topic LIKE ?",
                             (f"%/{coll_id}",)).fetchone()[0]
        out.append((seg_id, name, records, logged))
    return out


def hnsw_problem(folder: Path) -> str | None:
    """Return what is wrong with a persisted HNSW index folder (missing, truncated, garbage), or None.

    Checks the header's own arithmetic, the file sizes it implies, and that every bottom-layer neighbour
    link points at an element that exists: a link past the end is what makes the native code read wild
    memory. (The upper layers, link_lists.bin, are few and their layout is Chroma's own: not checked.)"""
    if not folder.is_dir():
        return "are missing (their folder was deleted)"
    try:
        raw = (folder / "header.bin").read_bytes()
        if len(raw) != _HNSW_HEADER.size:
            return "have a damaged header"
        (version, offset0, max_elements, count, per_element, label_offset, offset_data, max_level, entry,
         max_m, max_m0, m, _mult, _ef) = _HNSW_HEADER.unpack(raw)
        dim_bytes = per_element - offset_data - 8
        if not (version == 1 and offset0 == 0 and 0 < m == max_m and max_m0 == 2 * m and offset_data == 4 + 4 * max_m0
                and label_offset == per_element - 8 and dim_bytes > 0 and dim_bytes % 4 == 0
                and count <= max_elements and -1 <= max_level < 64 and (count == 0 or entry < count)):
            return "have a damaged header"
        level0, norms = folder / "data_level0.bin", folder / "length.bin"  # length.bin: one float per vector
        if level0.stat().st_size < count * per_element or norms.stat().st_size < count * 4:
            return "are truncated"
        if count == 0:
            return None
        rows = np.memmap(level0, dtype=np.uint8, mode="r", shape=(count, per_element))
        if _bad_links(np.ascontiguousarray(rows[:, :offset_data]).view("<u4"), max_m0, count):
            return "hold garbage (links to elements that do not exist)"
    except (OSError, ValueError) as e:
        return f"cannot be read ({e})"
    return None


def _bad_links(lists: np.ndarray, most: int, count: int) -> bool:
    """Return whether any link list (count word, then ids) is longer than allowed or points past the end."""
    sizes = lists[:, 0] & 0xFFFF
    if (sizes > most).any():
        return True
    used = np.arange(most)[None, :] < sizes[:, None]
    return bool((lists[:, 1:][used] >= count).any())


# --- the deep check, in a child process ------------------------------------------------------------------


def diagnose(settings: Settings, timeout: float = 900) -> Diagnosis:
    """Return what is wrong with the data directory: files, records, chunks, sentences, vectors, keyword index.
    Chroma is asked in a child process, so a damaged file that crashes it is reported, not fatal."""
    from .store import store_exists

    if not store_exists(settings):
        return Diagnosis()  # nothing indexed yet: nothing to check, and nothing made by looking
    if not settings.chroma_url:
        problems = file_problems(settings.chroma_path)
        if problems:
            return Diagnosis(problems)
    env = os.environ | {"ASSISTANT_HOME": str(settings.home), "ASSISTANT_COLLECTION": settings.collection,
                        "ASSISTANT_CHROMA_URL": settings.chroma_url or ""}
    try:
        proc = subprocess.run([sys.executable, "-m", "assistant.doctor"], capture_output=True, text=True,
                              env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Diagnosis([f"reading the store took over {timeout:.0f} s; it may be damaged or locked"])
    if proc.returncode < 0:
        return Diagnosis([f"Chroma crashed reading the store (signal {-proc.returncode}): its files are damaged"])
    try:
        found = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return Diagnosis([f"the store cannot be read ({last[:300]})"])
    if "server_down" in found:
        return Diagnosis([found["server_down"]], unreachable=True)
    return Diagnosis(found["problems"], found["documents"], found["chunks"], found["sentences"], found["unfinished"])


def _probe(settings: Settings) -> Diagnosis:
    """Ask Chroma about every record, chunk, sentence and vector; run in the child process."""
    from .keyword import KeywordIndex, keyword_signature
    from .store import Store

    store = Store(settings)
    records = store.records()
    found = Diagnosis(documents=len(records))
    pending = {rec.doc_id for rec in records.values() if rec.state != "complete"}
    for doc_id in sorted(pending):
        found.problems.append(f"{doc_id} was being written when an ingest stopped")
        found.unfinished += 1
    for shards, kind in ((store.chunks, "chunks"), (store.sentences, "sentences")):
        metas = shards.get(include=["metadatas"])["metadatas"]
        have = Counter(m.get("doc_id") for m in metas)
        setattr(found, kind, len(metas))
        for rec in records.values():
            want = getattr(rec, kind)
            if have[rec.doc_id] != want and rec.doc_id not in pending:  # a pending one's parts are being replaced
                found.problems.append(f"{rec.doc_id} ({rec.source}) should have {want} {kind}; the store holds "
                                      f"{have[rec.doc_id]}")
        strays = sorted(set(have) - set(records))
        if strays:
            found.problems.append(f"{sum(have[d] for d in strays)} {kind} belong to no indexed document "
                                  f"({', '.join(map(str, strays[:3]))})")
        for language in shards.languages():
            collection = shards.collection(language)
            if shards.kept_apart(collection):  # the vectors are in the vector file, Chroma's are stand-ins
                ids = collection.get(include=[])["ids"]
                lacking = len(ids) - len(shards.vectors.get(ids))
                if lacking:
                    found.problems.append(f"{lacking} of {len(ids)} {kind} in {language} have no vector in "
                                          f"{shards.vectors.path.name}")
            else:
                found.problems += _collection_problems(collection, f"{kind} in {language}")
    if settings.chroma_url:  # a rebuild's store left on the server (staging): the next ingest removes it
        from .staging import leftover

        staged = leftover(store.client, _staged(settings).collection)
        if staged is not None and not staged.running_here:
            found.problems.append(staged.describe())
            found.unfinished += 1
    keyword = KeywordIndex(settings.keyword_path)
    chunk_ids = set(store.chunks.get(include=[])["ids"])
    if (records or chunk_ids) and (keyword.signature != keyword_signature(records) or set(keyword.ids) != chunk_ids):
        # Ingest rebuilds the keyword index last, and from the store: one that disagrees is one not yet rebuilt.
        found.problems.append("the keyword index does not match the store's chunks")
        found.unfinished += 1
    return found


def _collection_problems(collection, what: str) -> list[str]:
    """Return problems of one collection: records without a vector, or vectors that cannot be searched."""
    ids = collection.get(include=[])["ids"]
    if not ids:
        return []
    try:
        vectors = 0
        first = None
        for i in range(0, len(ids), 1000):
            got = collection.get(ids=ids[i:i + 1000], include=["embeddings"])
            vectors += sum(v is not None for v in got["embeddings"])
            first = got["embeddings"][0] if first is None else first
        if vectors != len(ids):
            return [f"{len(ids) - vectors} of {len(ids)} {what} have no vector"]
        hits = collection.query(query_embeddings=[first], n_results=min(10, len(ids)), include=["distances"])
        if len(hits["ids"][0]) != min(10, len(ids)):
            return [f"a search of the {what} finds {len(hits['ids'][0])} of {min(10, len(ids))} records"]
    except Exception as e:  # Chroma's own error on a damaged segment is the finding
        return [f"the {what} cannot be searched ({type(e).__name__}: {str(e)[:200]})"]
    return []


# --- repair --------------------------------------------------------------------------------------------


class NothingToRebuild(RuntimeError):
    """The store's records name files none of which can be found: rebuilding would empty it."""


class NoRoomToRebuild(RuntimeError):
    """The disk has no room for the new store a rebuild makes beside the old one."""


def recorded_sources(settings: Settings) -> list[str]:
    """Return the files the store's records name, read with plain SQLite (the store may be too damaged for
    Chroma); [] when even that fails. Each is the path as it was given to ingest when that still reaches
    the file from here, else the absolute path recorded beside it (DocRecord.location)."""
    if settings.chroma_url:
        return _server_sources(settings)
    db = settings.chroma_path / "chroma.sqlite3"
    if not db.exists() or _sqlite_problem(db):
        return []
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            rows = con.execute(
                "SELECT m.id, m.key, m.string_value FROM embedding_metadata m JOIN embeddings e ON m.id = e.id "
                "JOIN segments s ON e.segment_id = s.id JOIN collections c ON s.collection = c.id "
                "WHERE c.name = ? AND m.key IN ('source', 'path')", (f"{settings.collection}-documents",)).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return []
    by_record: dict[int, dict[str, str]] = {}
    for rid, key, value in rows:
        if value:
            by_record.setdefault(rid, {})[key] = value
    return _reachable(by_record.values())


def _server_sources(settings: Settings) -> list[str]:
    """Return the files a Chroma server's store was built from, read through the server; [] when it cannot
    be read."""
    from .store import Store

    try:
        records = Store(settings).records().values()
    except Exception:  # the store is what is broken: the seeds folder is indexed instead
        return []
    return _reachable({"source": r.source, "path": r.path} for r in records)


def _reachable(records) -> list[str]:
    """Return each record's file as it was given to ingest when that still reaches it, else its absolute path."""
    found = set()
    for named in records:
        source, path = named.get("source", ""), named.get("path", "")
        same = source and path and Path(source).exists() and os.path.realpath(source) == os.path.realpath(path)
        found.add(source if same or not path else path)
    return sorted(p for p in found if p)


# What ingest makes in the data directory from the report files, and so what a rebuild replaces. Everything
# else there (uploads in library/, saved chats, caches keyed on library versions) is kept as it is.
DERIVED = ("chroma", "keyword", "twins.sig")


def finish(settings: Settings, log: Callable[[str], None] = lambda line: None):
    """Ingest every recorded source file again, which completes what an ingest that stopped left (a document
    half-written, the keyword index, translation twins) and embeds nothing already complete; return the
    IngestReport."""
    from .ingest import ingest

    present = [Path(s) for s in recorded_sources(settings) if Path(s).exists()]
    log(f"doctor: finishing the stopped ingest from {len(present)} recorded file(s)")
    return ingest(settings, present)


def repair(settings: Settings, log: Callable[[str], None] = lambda line: None, also: Iterable[Path] = (),
           progress=None):
    """Index every recorded source file (or the seeds folder when the records cannot be read), and the paths
    in also, into a new store beside the old one, then put it in the old one's place; return the IngestReport.

    The old store stays where it is, whole, until the new one is complete: a rebuild that is interrupted
    (Ctrl-C, a full disk, a kill) leaves the data directory as it was, and the next one starts afresh."""
    from .ingest import ingest

    sources = recorded_sources(settings)
    present = [Path(s) for s in sources if Path(s).exists()]
    if sources and not present:
        raise NothingToRebuild(
            f"none of the {len(sources)} files the store was built from can be found (e.g. {sources[0]}); "
            "nothing was rebuilt and the store is as it was — ingest the reports again where they are now")
    if len(present) < len(sources):
        log(f"doctor: {len(sources) - len(present)} recorded file(s) no longer exist and are left out")
    if not present:
        log(f"doctor: the store's records cannot be read; re-indexing {settings.seeds}")
        present = [settings.seeds] if settings.seeds.exists() else []
    staged = _staged(settings)
    _discard(staged)
    _check_room(settings)
    if settings.chroma_url:  # who makes it, so that a later ingest can tell a stopped rebuild from one under way
        from .staging import mark

        mark(_server_client(settings), staged.collection, settings.home)
    log(f"doctor: rebuilding from {len(present)} path(s)")
    try:
        report = ingest(staged, [*present, *also], progress=progress)
    except BaseException:
        _discard(staged)
        raise
    _swap_in(staged, settings)
    return report


def _check_room(settings: Settings) -> None:
    """Raise NoRoomToRebuild when the disk cannot hold a second store as big as the one being replaced (the
    rebuild would fail part-way after minutes of embedding, and fill the disk for everything else)."""
    if settings.chroma_url:
        return  # the server holds the vectors; here only the keyword index is made again
    size = sum(f.stat().st_size for name in DERIVED for f in _files(settings.home / name))
    free = shutil.disk_usage(settings.home).free
    if size > free:
        raise NoRoomToRebuild(
            f"a rebuild makes the new store beside the old one, which needs about {size / 2**20:,.0f} MB; the disk "
            f"holding {settings.home} has {free / 2**20:,.0f} MB free: free some space, then run it again (nothing "
            "was changed)")


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return [f for f in path.rglob("*") if f.is_file()] if path.is_dir() else []


def discard_stopped_rebuild(settings: Settings, client=None) -> None:
    """Remove what a rebuild that was killed part-way left beside the store (its store stayed as it was). On a
    Chroma server its collections go only when the process that made them is gone (staging.Leftover): another
    data directory's rebuild may be under way there, and this directory's lock does not cover it. client: the
    caller's Chroma client of that server, if it has one."""
    staged = _staged(settings)
    if settings.chroma_url:
        from .staging import drop, leftover

        client = client or _server_client(settings)
        found = leftover(client, staged.collection)
        if found is not None and found.stopped:
            drop(client, found.names)
        shutil.rmtree(staged.home, ignore_errors=True)  # its keyword index: a rebuild holds this directory's lock
    elif (settings.home / STAGING).exists():
        _discard(staged)


def _staged(settings: Settings) -> Settings:
    """Return the settings of the store a rebuild of settings' store is built in: a folder in the data
    directory, and on a Chroma server collections under another name."""
    return replace(settings, home=settings.home / STAGING,
                   collection=f"{settings.collection}-{STAGING}" if settings.chroma_url else settings.collection)


def _discard(staged: Settings) -> None:
    """Remove a rebuild's unfinished store."""
    _forget_client(staged)
    if staged.chroma_url:
        _drop_server_collections(staged)
    shutil.rmtree(staged.home, ignore_errors=True)


def _swap_in(staged: Settings, settings: Settings) -> None:
    """Put the complete store built under staged in the place of settings' store, then delete the old one."""
    import gc

    gc.collect()  # the rebuild's Chroma client, held in cycles, lets go of its files
    _forget_client(staged)
    _forget_client(settings)
    if settings.chroma_url:  # renamed aside, then in, then the old dropped: never a moment with neither
        client = _server_client(settings)
        aside = f"{settings.collection}-{REPLACED}"
        for source, target in ((settings.collection, aside), (staged.collection, settings.collection)):
            for name in _server_collections(client, source):
                client.get_collection(name).modify(name=target + name[len(source):])
        for name in _server_collections(client, aside):
            client.delete_collection(name)
    old = settings.home / f"replaced-{time.strftime('%Y%m%d-%H%M%S')}"
    old.mkdir(parents=True, exist_ok=True)
    # Renames within one directory: the store is missing only between two of them, never half-written.
    for name in DERIVED:
        if (settings.home / name).exists():
            os.replace(settings.home / name, old / name)
        if (staged.home / name).exists():
            os.replace(staged.home / name, settings.home / name)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(staged.home, ignore_errors=True)


def _server_client(settings: Settings):
    from .store import _client

    return _client(settings)


def _server_collections(client, collection: str) -> list[str]:
    from .staging import server_collections

    return server_collections(client, collection)


def _drop_server_collections(settings: Settings) -> None:
    from .staging import drop

    client = _server_client(settings)
    drop(client, _server_collections(client, settings.collection))


def _forget_client(settings: Settings) -> None:
    """Drop Chroma's cached client of this path, so that the next open reads the files anew."""
    from .store import forget_client

    forget_client(settings)


if __name__ == "__main__":  # the child process of diagnose()
    from .config import setup_offline_env

    setup_offline_env()
    settings = Settings.from_env()
    try:
        found = _probe(settings)
    except BaseException as e:
        from .store import ServerUnreachable, server_unreachable, unreachable_message

        if not (settings.chroma_url and server_unreachable(e)):
            raise
        reason = e.reason if isinstance(e, ServerUnreachable) else unreachable_message(settings.chroma_url, e)
        print(json.dumps({"server_down": reason}))
        sys.exit(0)
    print(json.dumps(found.to_json() | {"unfinished": found.unfinished}))
