"""The web app's document library: uploads kept under the data directory, ingested and deleted by one
background worker, so that questions are answered from what is indexed while it works."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

from .writelock import write_lock

# How long the worker holds back its next embedding batch while questions are being answered; a bound, so
# that a steady stream of questions cannot starve an upload.
YIELD_SECONDS = 5.0
# A name's longest UTF-8 length in the library: the file system allows 255 bytes, and a clash adds "-1".
NAME_BYTES = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CLASS_NAME = re.compile(r"\s*\((?:[A-Z][A-Za-z]*(?:Error|Exception|Warning)\w*)(?::[^)]*)?\)")


def library_dir(settings) -> Path:
    """Return the folder uploads are kept in: inside the data directory, never the repository."""
    return Path(settings.home) / "library"


def indexed_files(records) -> set[str]:
    """Return the real paths of the files the complete records hold."""
    return {os.path.realpath(r.location) for r in records.values() if r.state == "complete"}


def not_yet_indexed(settings, records) -> list[Path]:
    """Return the files in the library that no complete record holds: uploads the server stopped before it
    had added them (a big one takes an hour), to be added in the background rather than before serving."""
    from .corpus import find_files

    folder = library_dir(settings)
    if not folder.is_dir():
        return []
    indexed = indexed_files(records)
    found, _ = find_files([folder])
    return [c.path for c in found if os.path.realpath(c.path) not in indexed]


def safe_name(name: str) -> str:
    """Return a file's name as the person gave it, made safe to keep in the library: quotes, brackets and
    ampersands stay (the name is shown as text everywhere); what follows the last slash or backslash, without
    control characters, a leading dot (a hidden file) or spaces at either end, cut to NAME_BYTES."""
    name = _CONTROL.sub("", re.split(r"[/\\]", name)[-1]).strip().lstrip(".").strip()
    stem, suffix = os.path.splitext(name)
    if len(suffix.encode()) > 16:  # not a file type, just a dot in a long name
        stem, suffix = name, ""
    stem = stem.encode()[: NAME_BYTES - len(suffix.encode())].decode("utf-8", "ignore").rstrip()
    return (stem or "upload") + suffix


class Placed(NamedTuple):
    """Where an upload now lives in the library, whether it is a new file there, and whether it took the place
    of a library file of the same name (kept aside until the new version is indexed: previous())."""

    path: Path
    new: bool
    replaced: bool = False


def previous(path: Path) -> Path:
    """Return where a library file's earlier version waits while its replacement is indexed (hidden: a
    dot-file is never ingested)."""
    return path.with_name(f".{path.name}.previous")


def place_upload(upload: Path, folder: Path, name: str = "") -> Placed:
    """Return where an upload (named name, or as its file is) now lives in folder. A file of that name with
    other bytes is its earlier version: the upload takes its place, as a changed file at the same path does for
    `assistant ingest` (same report, same id), and the earlier bytes are kept aside until the new ones are in."""
    name = safe_name(name or upload.name)
    target, data = folder / name, upload.read_bytes()
    stem, suffix, i = Path(name).stem, Path(name).suffix, 1
    while target.exists() and not target.is_file():  # a folder of that name: the upload goes beside it
        target, i = folder / f"{stem}-{i}{suffix}", i + 1
    if target.is_file() and target.read_bytes() == data:
        return Placed(target, False)
    replaced = target.is_file()
    if replaced:
        os.replace(target, previous(target))
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(upload, target)
    return Placed(target, True, replaced)


def _settle(p: Placed, kept: bool) -> None:
    """Drop the earlier version an upload replaced once the upload is indexed (kept), else put it back: a
    new version that cannot be read loses nothing."""
    if not p.replaced:
        return
    earlier = previous(p.path)
    if kept:
        earlier.unlink(missing_ok=True)
    elif earlier.exists():
        os.replace(earlier, p.path)


def plain_reason(reason: str, path: str) -> str:
    """Return a skip reason in plain words: the file's name instead of its path, no exception class names."""
    name = Path(path).name
    text = _CLASS_NAME.sub("", reason.replace(path, name)).strip()
    # The line already names the file ("empty.txt was not added: …"): the reason goes on with "it".
    if text.startswith(name + " "):
        text = "it " + text[len(name) + 1:]
    elif text.startswith(name + ": "):
        text = text[len(name) + 2:]
    if text.endswith("could not be read"):
        text += ": the file may be damaged, or not the format its name says"
    return text


@dataclass(frozen=True)
class Status:
    """What the worker is doing and has done, for the page to show."""

    busy: bool = False
    label: str = ""  # the current step in words
    done: int = 0
    total: int = 0
    waiting: int = 0  # jobs queued behind the current one
    adding: bool = False  # the current job adds uploads (it can be stopped)
    version: int = 0  # counts finished jobs: the library changed when it moves
    messages: tuple[tuple[str, bool], ...] = ()  # (plain-words line, is a problem) of the last finished job
    since: float = 0.0  # time.monotonic() when the current step's count began (for the time it has left)


class Stopped(Exception):
    """Raised between embedding batches when the person stopped the upload being added."""


class Worker:
    """Runs uploads and deletes one at a time in a background thread, at low CPU priority, pausing between
    embedding batches while questions are answered. Deletes go before uploads that are still waiting (a
    delete takes a second, an upload may take an hour), and are written down until done, so that a confirmed
    delete is not lost when the server stops first. An upload being added can be stopped."""

    def __init__(self, assistant):
        self.assistant = assistant
        self.folder = library_dir(assistant.settings)
        self._deletes_path = Path(assistant.settings.home) / "pending-deletes.json"
        self._jobs: deque = deque()
        self._status = Status()
        self._lock = threading.Lock()
        self._has_jobs = threading.Condition(self._lock)
        self._running = False  # the worker has taken a job off the queue and runs it
        self._stop = threading.Event()
        self._questions = 0
        self._idle = threading.Condition()
        for doc_id in self._pending_deletes():  # confirmed by a person before the server last stopped
            self._submit(("delete", doc_id), f"waiting to delete {doc_id}")
        threading.Thread(target=self._run, name="library-worker", daemon=True).start()

    # --- what the app calls ------------------------------------------------------------------------

    def add(self, placed: list[Placed | tuple[Path, bool]]) -> None:
        """Queue uploaded files (Placed, or (path, newly placed)) for ingest."""
        placed = [Placed(*item) for item in placed]
        self._submit(("add", placed), f"waiting to add {', '.join(p.path.name for p in placed)}")

    def delete(self, doc_id: str) -> None:
        """Queue a document's removal from the index (and its file, when it is in the library)."""
        with self._lock:
            pending = self._pending_deletes()
            if doc_id not in pending:
                self._write_deletes(pending + [doc_id])
        self._submit(("delete", doc_id), f"waiting to delete {doc_id}")

    def stop(self) -> bool:
        """Stop the upload being added, at its next embedding batch; return whether one was being added."""
        with self._lock:
            adding = self._status.busy and self._status.adding
            if adding:
                self._stop.set()
            return adding

    def status(self) -> Status:
        """Return the worker's current status."""
        with self._lock:
            # A job just asked for is the one the status names until the worker takes it: not one more waiting.
            return replace(self._status, waiting=len(self._jobs) - (not self._running and bool(self._jobs)))

    @contextmanager
    def question(self) -> Iterator[None]:
        """Mark a question as being answered: the worker starts no new embedding batch meanwhile."""
        with self._idle:
            self._questions += 1
        try:
            yield
        finally:
            with self._idle:
                self._questions -= 1
                self._idle.notify_all()

    def wait(self, timeout: float = 600.0) -> Status:
        """Return the status once no job is running or queued (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if not status.busy and not status.waiting:
                return status
            time.sleep(0.05)
        raise TimeoutError("the library worker is still busy")

    # --- the worker thread ---------------------------------------------------------------------------

    def _submit(self, job, label: str) -> None:
        with self._lock:
            if not self._status.busy:
                self._status = replace(self._status, busy=True, label=label, done=0, total=0)
            if job[0] == "delete":  # before the uploads still waiting, after the deletes asked for earlier
                at = next((i for i, (kind, _) in enumerate(self._jobs) if kind != "delete"), len(self._jobs))
                self._jobs.insert(at, job)
            else:
                self._jobs.append(job)
            self._has_jobs.notify()

    def _pending_deletes(self) -> list[str]:
        try:
            got = json.loads(self._deletes_path.read_text("utf-8"))
        except (OSError, ValueError):
            return []
        return [d for d in got if isinstance(d, str)] if isinstance(got, list) else []

    def _write_deletes(self, doc_ids: list[str]) -> None:
        if not doc_ids:
            self._deletes_path.unlink(missing_ok=True)
            return
        tmp = self._deletes_path.with_name(self._deletes_path.name + ".tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(doc_ids), "utf-8")
        os.replace(tmp, self._deletes_path)

    def _done_deleting(self, doc_id: str) -> None:
        with self._lock:
            self._write_deletes([d for d in self._pending_deletes() if d != doc_id])

    def _set(self, **changes) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)

    def _progress(self, label: str, done: int, total: int) -> None:
        if self._stop.is_set() and self._status.adding:
            raise Stopped
        with self._lock:
            # A new step (another file, or one counted from zero again) restarts the clock its time left is read on
            fresh = label != self._status.label or done == 0 or done < self._status.done
            self._status = replace(self._status, label=label, done=done, total=total,
                                   since=time.monotonic() if fresh else self._status.since)
        deadline = time.monotonic() + YIELD_SECONDS
        with self._idle:  # between batches: let questions in flight have the CPU
            while self._questions and time.monotonic() < deadline:
                self._idle.wait(0.05)

    def _run(self) -> None:
        if sys.platform.startswith("linux"):  # on Linux a thread has its own niceness (and passes it on)
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
            except OSError:
                pass
        while True:
            with self._has_jobs:
                while not self._jobs:
                    self._has_jobs.wait()
                kind, arg = self._jobs.popleft()
                self._running = True
                self._stop.clear()  # a stop asked for between jobs is for no upload
                self._status = replace(self._status, busy=True, adding=kind == "add", label="starting", done=0,
                                       total=0)
            try:
                messages = self._add(arg) if kind == "add" else self._delete(arg)
            except Exception as e:  # the worker must outlive any one job; the message says what failed
                messages = [(f"Something went wrong: {_CLASS_NAME.sub('', str(e)) or 'unknown error'}. "
                             "What was indexed before is kept.", True)]
            if kind == "delete":
                self._done_deleting(arg)
            with self._lock:
                idle = not self._jobs
                self._running = False
                self._status = replace(self._status, busy=not idle, adding=False,
                                       label="" if idle else self._status.label,
                                       version=self._status.version + 1, messages=tuple(messages))

    def _locked(self):
        return write_lock(self.assistant.settings.home,
                          waiting=lambda: self._set(label="waiting for another ingest of this data directory"))

    def _add(self, placed: list[Placed]) -> list[tuple[str, bool]]:
        indexed = indexed_files(self.assistant.records)
        # An upload of the very bytes of a file the library holds and has indexed is that file: nothing to add.
        there = [p.path for p in placed if not p.new and os.path.realpath(p.path) in indexed]
        placed = [p for p in placed if p.path not in there]
        lines = [(f"{p.name} is in the library already, unchanged.", False) for p in there]
        if not placed:
            return lines
        try:
            with self._locked():
                report = self.assistant.ingest([p.path for p in placed], progress=self._progress)
        except Stopped:
            return self._stopped(placed) + lines
        bad = {Path(s["path"]).name: plain_reason(s["reason"], s["path"]) for s in report.skipped}
        bad |= {Path(d["path"]).name: f"it is the same file as {Path(d['same_as']).name}, which is indexed "
                "already" for d in report.duplicates}
        for p in placed:  # an unreadable upload does not stay in the library; the version it replaced does
            if p.new and p.path.name in bad:
                p.path.unlink(missing_ok=True)
            _settle(p, kept=p.path.name not in bad)
        good = [p.path.name for p in placed if p.path.name not in bad and not p.replaced]
        newer = [p.path.name for p in placed if p.path.name not in bad and p.replaced]
        added = [(f"Added {', '.join(good)}: you can ask about {'it' if len(good) == 1 else 'them'} now.", False)]
        replaced = [(f"Replaced {name} with the version just uploaded: answers now come from it.", False)
                    for name in newer]
        kept = {p.path.name for p in placed if p.replaced}
        # An edited copy is a document of its own: both are answered from until the older one is deleted.
        versions = [(f"{Path(v['path']).name} repeats {v['shared']:.0%} of the sentences of "
                     f"{Path(v['like_path']).name}: if one of them is an older version, delete it below.", False)
                    for v in report.similar]
        return ((added if good else []) + replaced + versions + lines +
                [(f"{name} was not added: {why}" + (f"; the earlier {name} is kept" if name in kept else ""), True)
                 for name, why in bad.items()])

    def _stopped(self, placed: list[Placed]) -> list[tuple[str, bool]]:
        """Finish an upload stopped part-way: what went in stays; a file not indexed leaves the library."""
        self._stop.clear()
        with self._locked():
            # An ingest of nothing finishes what the stopped one began for the files it had indexed (their
            # keyword entries, twin links) and makes them what is served.
            self.assistant.ingest([])
        indexed = indexed_files(self.assistant.records)
        kept = [p.path.name for p in placed if os.path.realpath(p.path) in indexed]
        dropped = [p.path for p in placed if os.path.realpath(p.path) not in indexed]
        for p in placed:
            if p.new and p.path in dropped:  # placed by this upload; one that was there before stays
                p.path.unlink(missing_ok=True)
            _settle(p, kept=p.path not in dropped)
        lines = [(f"Stopped: {', '.join(p.name for p in dropped)} {'was' if len(dropped) == 1 else 'were'} not "
                  "added.", True)] if dropped else []
        if kept:
            lines.insert(0, (f"Added {', '.join(kept)} before the stop: you can ask about "
                             f"{'it' if len(kept) == 1 else 'them'} now.", False))
        return lines

    def _delete(self, doc_id: str) -> list[tuple[str, bool]]:
        record = self.assistant.records.get(doc_id)
        if record is None:
            return [(f"{doc_id} is not in the library (already deleted?).", True)]
        with self._locked():
            self._set(label=f"deleting {doc_id}", done=0, total=0)
            message = delete_report(self.assistant.store, self.folder, doc_id, record)
            # An ingest of nothing brings the keyword index, twin links and what is served in line.
            self.assistant.ingest([], progress=self._progress)
        return [(message, False)]


def delete_report(store, folder: Path, doc_id: str, record) -> str:
    """Remove a report from the index: its chunks, sentences and record, and its translation twin's links to
    it; its file too when that is the library's own copy of an upload (which the app would otherwise index
    again on its next start). Return what was done, for a person. The caller holds the write lock and then
    ingests nothing, which brings the keyword index and twin links in line (the web app's Delete and
    `assistant delete` both come here)."""
    source = Path(record.location)
    in_library = folder.resolve() in source.resolve().parents
    if in_library:
        source.unlink(missing_ok=True)
    store.delete_document(doc_id)
    for partner, rec in store.records().items():
        if rec.twin == doc_id:
            unlink_twin(store, partner, doc_id)
    if in_library:
        return f"Deleted {record.title or doc_id} ({source.name}) and its file."
    return (f"Deleted {record.title or doc_id} from the index. Its file stays in {source.parent.name}/, "
            "outside the library: the next `assistant ingest` of that folder adds it back.")


def unlink_twin(store, doc_id: str, gone: str) -> None:
    """Forget that doc_id's record and sentences point at gone (its deleted translation twin)."""
    store.set_twin(doc_id, "")
    got = store.get_document_parts(store.sentences, doc_id, embeddings=False)
    stale = [(i, m) for i, m in zip(got["ids"], got["metadatas"], strict=True)
             if m.get("twin") and json.loads(m["twin"])[0] == gone]
    if stale:
        store.sentences.update(ids=[i for i, _ in stale], metadatas=[m | {"twin": ""} for _, m in stale])
