"""Ingest: bring the store in line with the files, embedding only what changed."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .bm25file import BM25Writer
from .chunking import chunk_document, sentences
from .config import Settings, keep_server_collection
from .corpus import Candidate, ReadError, content_hash, find_files, read_document
from .doctor import discard_stopped_rebuild
from .embedding import embed_passages, get_embedder
from .facts import facts_for, facts_stamp, sentence_facts, use_saved_names, writes_capitals
from .keyword import KeywordIndex, keyword_signature
from .langmodel import use_saved_model
from .memory import release_memory
from .readers import same_format
from .store import DocRecord, Store, sentence_id, vector_layout
from .text import SENTENCES_VERSION, TOKENS_VERSION, body_positions, embedding_form, keyword_tokens
from .types import Document
from .versions import versions_of

Progress = Callable[[str, int, int], None]


def embedding_inputs(doc: Document, chunks, sents, chunk_vectors: str) -> dict[str, str]:
    """Return the distinct texts ingest embeds for a document (its sentences, and its chunks when chunk_vectors
    is "embed"), each with the form the embedder reads (text.embedding_form)."""
    whole = [c.text for c in chunks] if chunk_vectors == "embed" else []
    return {t: embedding_form(t, doc.language) for t in dict.fromkeys(whole + [s.text for s in sents])}


@dataclass
class IngestReport:
    """What one ingest run did; `to_json` is the CLI's --json object."""

    documents: int = 0
    new: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    renamed: int = 0
    chunks: int = 0
    chunks_embedded: int = 0  # chunks given new vectors (embedded whole, or the mean of their sentences)
    sentences_embedded: int = 0
    texts_embedded: int = 0  # what went through the embedder
    revectored: int = 0  # unchanged documents embedded again: their vectors were made another way
    repaired: int = 0
    skipped: list[dict] = field(default_factory=list)
    # Files whose bytes are those of a document already indexed from another path: {"path", "same_as"}.
    # Indexed twice they would be cited twice for every answer; the copy takes over if the first one goes.
    duplicates: list[dict] = field(default_factory=list)
    # Documents added or changed that mostly repeat another indexed one (versions.py): {"path", "doc_id",
    # "like", "like_path", "shared"}. Both stay indexed; the note says which one to delete if it is older.
    similar: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        """Return the report as the documented JSON object."""
        return {
            "documents": self.documents,
            "new": self.new,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "renamed": self.renamed,
            "chunks": self.chunks,
            "chunks_embedded": self.chunks_embedded,
            "sentences_embedded": self.sentences_embedded,
            "texts_embedded": self.texts_embedded,
            "revectored": self.revectored,
            "repaired": self.repaired,
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "similar": self.similar,
        }


def _real(path: str | Path) -> str:
    """Return the one name of a file however it was reached (relative, absolute, through a symlink)."""
    return os.path.realpath(path)


def _holds(path: str, data_hash: str) -> bool:
    """Return whether the file at path has the content whose hash is data_hash."""
    try:
        return content_hash(Path(path).read_bytes(), Path(path).suffix) == data_hash
    except OSError:
        return False


def _doc_id(path: Path, records: dict[str, DocRecord], taken: set[str], recorded_at: dict[str, str] | None = None) -> str:
    """Return a stable id: the id the file is recorded under (recorded_at: real path → id), else its stem,
    made unique by a short hash of the path on a clash."""
    real = _real(path)
    known = (recorded_at or {}).get(real)
    if known is not None and known not in taken:
        return known  # one file, one document, whatever stem another file has taken since
    # NFC first: macOS and many zip tools write "Č" as "C" and a combining caron, which came out "C_"; the id is
    # typed as the name reads.
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in unicodedata.normalize("NFC", path.stem))[:80] \
        or "document"
    rec = records.get(stem)
    clash = stem in taken or (rec is not None and _real(rec.location) != real and Path(rec.location).exists())
    if not clash:
        return stem
    return f"{stem}-{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"


def _covers(source: str, roots: list[Path], files: set[str]) -> bool:
    """Return whether a recorded source lies under what this run was asked to ingest."""
    if source in files or _real(source) in files:
        return True
    # under a root as the walk reached it (through a linked folder) or as it really is
    path, named = Path(_real(source)), Path(os.path.abspath(source))
    return any(Path(_real(root)) in path.parents or Path(os.path.abspath(root)) in named.parents for root in roots)


class Ingestor:
    """Runs ingest against one store, embedder and keyword index."""

    def __init__(self, settings: Settings, store: Store | None = None, progress: Progress | None = None):
        settings.check()
        self.settings = settings
        self.store = store or Store(settings)
        keep_server_collection(settings)
        use_saved_names(settings.names_path)  # the data directory exists now
        use_saved_model(settings.language_model_path)
        self.embedder = get_embedder(settings)
        self.keyword = KeywordIndex(settings.keyword_path)
        self.progress = progress or (lambda label, done, total: None)

    def run(self, paths: Iterable[Path]) -> IngestReport:
        """Ingest the files under paths; return what was done. Safe to re-run at any point."""
        report = IngestReport()
        paths = [Path(p) for p in paths]
        discard_stopped_rebuild(self.settings, self.store.client if self.settings.chroma_url else None)
        records = self.store.records()
        before = records
        report.repaired = self._repair(records)
        records = self.store.records()
        candidates, problems = find_files(paths, home=self.settings.home)
        report.skipped += [{"path": p, "reason": r} for p, r in problems]
        roots = [p for p in paths if p.is_dir()]
        seen_sources: set[str] = set()  # real paths: a folder named two ways is one set of documents
        by_hash = {r.content_hash: r for r in records.values() if r.state == "complete"}
        # content hash → (doc id, source) of the document it is indexed as, while its file is still there; the
        # lowest id where a store made before this check holds two. Kept up to date with what this run indexes.
        first_at: dict[str, tuple[str, str]] = {}
        for r in sorted(records.values(), key=lambda r: r.doc_id, reverse=True):
            if r.state == "complete" and Path(r.location).exists():
                first_at[r.content_hash] = (r.doc_id, r.location)
        taken: set[str] = set()
        recorded_at = {_real(r.path): r.doc_id for r in records.values() if r.path}  # once: realpath is a syscall
        # real path of a file an earlier run found to be a copy → the document it is a copy of. The content hash
        # holds the build's version: after a new reader the copy's hash is not its document's stored one.
        copy_of = {_real(c): r.doc_id for r in records.values() if r.state == "complete" for c in r.copies}
        max_bytes = int(self.settings.max_file_mb * 1024 * 1024)
        written: list[str] = []  # documents this run added or changed
        for n, cand in enumerate(candidates, 1):
            self.progress(f"reading {cand.path.name}", n - 1, len(candidates))
            source = str(cand.path)
            if _real(source) in seen_sources:
                continue  # the same file reached a second way in this run (seeds and $PWD/seeds)
            seen_sources.add(_real(source))
            doc_id = _doc_id(cand.path, records, taken, recorded_at)
            taken.add(doc_id)
            try:
                data_hash = self._hash(cand, max_bytes)
                rec = records.get(doc_id)
                first = first_at.get(data_hash) if data_hash else None
                # A recorded copy of a document whose stored reading is not of these bytes (another build's
                # reader of their format, or its file since edited as this one was): still its copy, the
                # document read again from its own file, under its own id (its vectors are kept).
                stale = None
                if first is None and data_hash and (owner := records.get(copy_of.get(_real(source), ""))) \
                        and _real(owner.location) not in seen_sources:
                    first, stale = (owner.doc_id, owner.location), owner
                # The same bytes under another format's name are read another way (a .txt named .pdf is refused)
                if first is not None and first[0] != doc_id and _real(first[1]) != _real(source) \
                        and same_format(Path(first[1]), cand.path) \
                        and _holds(first[1], data_hash):  # not since changed (a later file in this run)
                    if stale is not None:
                        self._count(report, self._replace(read_document(Path(first[1]), first[0], max_bytes),
                                                          previous=stale))
                        report.changed += 1
                        seen_sources.add(_real(first[1]))
                        taken.add(first[0])
                        first_at[data_hash] = first
                    if rec is not None:  # what this path held is gone, or is itself the copy
                        self.store.delete_document(doc_id)
                        report.removed += 1
                    report.duplicates.append({"path": source, "same_as": first[1]})
                    kept = self.store.records().get(first[0])
                    if kept is not None and os.path.abspath(source) not in kept.copies:
                        self.store.set_copies(first[0], [*kept.copies, os.path.abspath(source)])
                    continue
                same = (rec and rec.state == "complete" and rec.content_hash == data_hash
                        and _real(rec.location) == _real(source))
                if same and self._current(rec):
                    if not rec.path:  # recorded before paths were kept: its file is known now
                        self.store.set_path(doc_id, os.path.abspath(source))
                    report.unchanged += 1
                    continue
                old = by_hash.get(data_hash)
                if old and old.doc_id != doc_id and not Path(old.location).exists() and \
                        old.embedded_as(self.settings.chunk_vectors):
                    self._rename(old, doc_id, source)
                    if old.copies:
                        self.store.set_copies(doc_id, [c for c in old.copies if _real(c) != _real(source)])
                    first_at[data_hash] = (doc_id, source)
                    report.renamed += 1
                    continue
                doc = read_document(cand.path, doc_id, max_bytes)
            except ReadError as e:
                report.skipped.append({"path": source, "reason": str(e)})
                continue
            except Exception as e:  # a parser's own failure on a hostile file costs that file, not the run
                report.skipped.append({"path": source, "reason": f"{source} could not be read ({type(e).__name__})"})
                continue
            self._count(report, self._replace(doc, existed=rec is not None, previous=rec))
            first_at[data_hash] = (doc_id, source)
            if same:  # vectors made another way (Settings.chunk_vectors, the embedding form): embedded again
                report.revectored += 1
                continue
            written.append(doc_id)
            if rec is None:
                report.new += 1
            else:
                report.changed += 1
        files = {_real(c.path) for c in candidates} | {_real(p) for p in paths if not p.is_dir()}
        for rec in self.store.records().values():
            if _real(rec.location) not in seen_sources and _covers(rec.location, roots, files) \
                    and not Path(rec.location).exists():
                if self._inherited(rec, seen_sources, records, taken, recorded_at):
                    report.renamed += 1
                    continue
                self.store.delete_document(rec.doc_id)
                report.removed += 1
        self._revector_stored(seen_sources, report)
        # Like vectors, stored facts are brought to this build's whatever folder the run was given.
        for rec in self.store.records().values():
            if rec.state == "complete" and rec.facts != facts_stamp():
                self.refresh_facts(rec)
        final = self.store.records()
        self.store.delete_orphans(list(final))
        self.refresh_keyword_index(final)
        # A document embedded again was written afresh, its translation links with it: they are made again.
        changed = (report.new or report.changed or report.removed or report.renamed or report.repaired
                   or report.revectored)
        # Twins are linked after every document is in; a run killed before that finished left no trace in the
        # records, so a file marks the set of documents the twins were last linked for.
        signature = keyword_signature(final)
        relinked = changed or self._twins_linked_for() != signature
        if relinked:
            from .twins import link_twins

            link_twins(self.store)
            self._record_twins_linked(signature)
            final = self.store.records()
        if relinked or final != before:
            # Last, as the keyword index and twins.sig are rewritten last: a reader on another data directory
            # of the same Chroma server sees nothing of this home's files, only this (Assistant._fresh).
            self.store.touched()
        if written:
            report.similar = [{"path": final[v.doc_id].location, "doc_id": v.doc_id, "like": v.like,
                               "like_path": final[v.like].location, "shared": v.shared}
                              for v in versions_of(self.store, written)]
        report.documents = len(final)
        report.chunks = sum(r.chunks for r in final.values())
        self.progress("done", len(candidates), len(candidates))
        return report

    def _revector_stored(self, seen_sources: set[str], report: IngestReport) -> None:
        """Embed again, from the text the store keeps, every document this run did not read whose vectors were
        made another way than questions are now read (an older build, another Settings.chunk_vectors) or whose
        sentences another splitter cut (see _current). Its file may be anywhere or gone: one `ingest` of any
        folder brings the whole store to one way."""
        for rec in self.store.records().values():
            if rec.state != "complete" or _real(rec.location) in seen_sources or self._current(rec):
                continue
            doc = self._stored_document(rec)
            if doc is None:
                continue  # nothing to embed from: `assistant doctor` names a record without its text
            self._count(report, self._replace(doc, previous=rec))
            report.revectored += 1

    @staticmethod
    def _count(report: IngestReport, embedded: tuple[int, int, int]) -> None:
        """Add what _replace embedded for one document (chunks, sentences, texts) to the report."""
        chunks, sents, texts = embedded
        report.chunks_embedded += chunks
        report.sentences_embedded += sents
        report.texts_embedded += texts

    def refresh_facts(self, rec: DocRecord) -> None:
        """Store again the facts of a report's sentences that another build made (facts.py or text.py changed
        since): read back stale, they are made again by every process a question touches the report in
        (~0.2 s for the seeds), until the report is embedded again. Nothing is embedded."""
        text = self.store.document_text(rec.doc_id)
        if not text:
            return
        got = self.store.get_document_parts(self.store.sentences, rec.doc_id, embeddings=False, language=rec.language)
        order = sorted(range(len(got["ids"])), key=lambda n: got["metadatas"][n]["start"])
        metas = [got["metadatas"][n] for n in order]
        sentences = [text[m["start"]:m["end"]] for m in metas]
        facts, made = facts_for(sentences, body_positions(sentences), [m.get("facts") for m in metas], rec.language,
                                text)
        self.store.set_facts(rec.doc_id, [got["ids"][order[i]] for i in made],
                             [metas[i] | {"facts": facts[i].to_json()} for i in made], facts_stamp())

    def _stored_document(self, rec: DocRecord) -> Document | None:
        """Return a document as the store keeps it (its cleaned text and record), None without its text."""
        text = self.store.document_text(rec.doc_id)
        if not text:
            return None
        return Document(doc_id=rec.doc_id, source=rec.source, title=rec.title, text=text, language=rec.language,
                        script=rec.script, date=rec.date or None, content_hash=rec.content_hash, path=rec.path,
                        pages=rec.pages)

    def _current(self, rec: DocRecord) -> bool:
        """Return whether a document's stored parts are what this build makes of its text: vectors made the
        way questions are now read, and sentences cut by this splitter (text.SENTENCES_VERSION). A record of
        an older splitter is split again from its stored text; when its sentences come out the same (most
        reports) only the record is updated, so a splitter change embeds again just the reports it changes."""
        if not rec.embedded_as(self.settings.chunk_vectors):
            return False
        if rec.split == SENTENCES_VERSION:
            return True
        doc = self._stored_document(rec)
        if doc is None:
            return False
        now = [(s.start, s.end) for s in sentences(doc, self.settings.chunk_tokens)]
        got = self.store.get_document_parts(self.store.sentences, rec.doc_id, embeddings=False, language=rec.language)
        stored = [(m["start"], m["end"]) for m in sorted(got["metadatas"], key=lambda m: m["index"])]
        if now != stored:
            return False
        self.store.set_split(rec.doc_id, SENTENCES_VERSION)
        return True

    def _twins_linked_for(self) -> str:
        """Return the signature of the documents twins were last linked for ("" if never)."""
        try:
            return (self.settings.home / "twins.sig").read_text("utf-8")
        except OSError:
            return ""

    def _record_twins_linked(self, signature: str) -> None:
        path = self.settings.home / "twins.sig"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(signature, "utf-8")
        os.replace(tmp, path)

    def _hash(self, cand: Candidate, max_bytes: int) -> str:
        path = cand.path
        try:
            if path.is_file() and path.stat().st_size <= max_bytes:
                return content_hash(path.read_bytes(), path.suffix)
        except OSError:
            pass
        return ""  # unreadable or too large: read_document names the reason

    def _repair(self, records: dict[str, DocRecord]) -> int:
        """Drop what an interrupted run left half-written; the loop then re-ingests those files."""
        broken = [r for r in records.values() if r.state != "complete"]
        for rec in broken:
            self.store.delete_document(rec.doc_id)
        return len(broken)

    def _replace(self, doc: Document, existed: bool = True, previous: DocRecord | None = None) -> tuple[int, int, int]:
        """Embed a document and swap it in; the record says "pending" until every part is written. Return
        how many chunks and sentences got vectors, and how many texts the embedder embedded. previous is the
        record it replaces: texts it already holds, embedded the way this build embeds, keep their vectors."""
        chunks, sents = chunk_document(doc, self.settings.chunk_tokens, self.settings.chunk_overlap)
        whole = self.settings.chunk_vectors == "embed"
        inputs = embedding_inputs(doc, chunks, sents, self.settings.chunk_vectors)
        vectors = self._kept_vectors(previous, doc, set(inputs))
        texts = [t for t in inputs if t not in vectors]
        self.progress(f"embedding {Path(doc.source).name}", 0, len(texts))
        step = 16
        for i in range(0, len(texts), step):
            batch = texts[i : i + step]
            for text, vec in zip(batch, embed_passages(self.embedder, [inputs[t] for t in batch]), strict=True):
                vectors[text] = vec
            self.progress(f"embedding {Path(doc.source).name}", min(i + step, len(texts)), len(texts))
        sent_vecs = np.stack([vectors[s.text] for s in sents])
        ranges = sentence_ranges(chunks, sents)
        chunk_vecs = np.stack([vectors[c.text] for c in chunks]) if whole else mean_vectors(ranges, sent_vecs)
        doc_vec = chunk_vecs.mean(axis=0)
        doc_vec = doc_vec / (np.linalg.norm(doc_vec) or 1.0)
        layout = vector_layout(self.settings.chunk_vectors, doc.language)
        self.store.mark(doc, "pending", doc_vec, len(chunks), len(sents), vectors=layout, split=SENTENCES_VERSION)
        if existed:
            # A document with no record has no chunks: records are written ("pending") before any chunk
            # and removed after all of them, and a run's end removes orphans. Skipping saves two deletes.
            self.store.delete_document(doc.doc_id, keep_record=True)
        base = doc.metadata()
        base.pop("content_hash")
        base.pop("path")  # the record keeps it; a chunk's source is what citations show
        self.store.chunks.add(
            [c.chunk_id for c in chunks],
            chunk_vecs,
            [c.text for c in chunks],
            [base | {"index": c.index, "start": c.start, "end": c.end, "first_sentence": first, "last_sentence": last,
                     "kw": " ".join(keyword_tokens(c.text, doc.language)), "kwv": TOKENS_VERSION}
             for c, (first, last) in zip(chunks, ranges, strict=True)],
        )
        prefix = chunks[0].chunk_id.rsplit(":", 1)[0]
        cased = writes_capitals(doc.text)
        positions = body_positions([s.text for s in sents])
        self.store.sentences.add(
            [sentence_id(prefix, i) for i in range(len(sents))],
            sent_vecs,
            [s.text for s in sents],
            [{"doc_id": doc.doc_id, "language": doc.language, "index": i, "start": s.start, "end": s.end, "twin": "",
              "facts": sentence_facts(s.text, doc.language, positions[i], cased).to_json()}
             for i, s in enumerate(sents)],
        )
        self.store.mark(doc, "complete", doc_vec, len(chunks), len(sents), vectors=layout,
                        split=SENTENCES_VERSION, facts=facts_stamp())
        return len(chunks), len({s.text for s in sents}), len(texts)  # texts are deduplicated

    def _kept_vectors(self, previous: DocRecord | None, doc: Document, wanted: set[str]) -> dict[str, np.ndarray]:
        """Return the vectors the store already holds for texts of doc, by text: the embedder is ~95% of
        ingest, and an edited report, or one whose reader changed, is mostly the sentences it had. Only from
        a complete record in the same language embedded the way this build embeds (the embedding form
        depends on the text and its language alone)."""
        if previous is None or previous.state != "complete" or previous.language != doc.language \
                or not previous.embedded_as(self.settings.chunk_vectors):
            return {}
        kept = {}
        kinds = [self.store.sentences] + ([self.store.chunks] if self.settings.chunk_vectors == "embed" else [])
        for shards in kinds:
            got = self.store.get_document_parts(shards, previous.doc_id, language=previous.language)
            for text, vector in zip(got["documents"], got["embeddings"], strict=True):
                if text in wanted:
                    kept[text] = np.asarray(vector, dtype=np.float32)
        return kept

    def _inherited(self, rec: DocRecord, seen: set[str], records: dict[str, DocRecord], taken: set[str],
                   recorded_at: dict[str, str]) -> bool:
        """Move a document whose file is gone to a copy of it found by an earlier run (DocRecord.copies) that
        still holds its bytes, reusing its vectors; return whether one took its place. A copy this run read
        was dealt with as it was read."""
        if not rec.embedded_as(self.settings.chunk_vectors):
            return False
        heir = next((c for c in rec.copies if _real(c) not in seen and _holds(c, rec.content_hash)), None)
        if heir is None:
            return False
        doc_id = _doc_id(Path(heir), records, taken, recorded_at)
        taken.add(doc_id)
        self._rename(rec, doc_id, heir)
        self.store.set_copies(doc_id, [c for c in rec.copies if c != heir])
        return True

    def _rename(self, old: DocRecord, doc_id: str, source: str) -> None:
        """Move a document whose file was renamed to its new id and path, reusing its vectors."""
        text = self.store.document_text(old.doc_id) or ""
        doc = Document(doc_id, source, old.title, text, old.language, old.script, old.date or None, old.content_hash,
                       os.path.abspath(source), old.pages)
        vec = self.store.document_vectors()[old.doc_id]
        parts = {
            name: self.store.get_document_parts(col, old.doc_id, language=old.language)
            for name, col in (("chunks", self.store.chunks), ("sentences", self.store.sentences))
        }
        self.store.mark(doc, "pending", vec, old.chunks, old.sentences, vectors=old.vectors, split=old.split,
                        facts=old.facts)
        self.store.delete_document(doc_id, keep_record=True)
        from .chunking import chunk_id

        for name, got in parts.items():
            metas = [m | {"doc_id": doc_id} | ({"source": source} if name == "chunks" else {}) for m in got["metadatas"]]
            if name == "chunks":
                ids = [chunk_id(doc, m["index"]) for m in metas]
            else:
                prefix = chunk_id(doc, 0).rsplit(":", 1)[0]
                ids = [sentence_id(prefix, m["index"]) for m in metas]
            getattr(self.store, name).add(ids, got["embeddings"], got["documents"], metas)
        self.store.mark(doc, "complete", vec, old.chunks, old.sentences, vectors=old.vectors, split=old.split,
                        facts=old.facts)
        self.store.delete_document(old.doc_id)

    def refresh_keyword_index(self, records: dict[str, DocRecord] | None = None, write_back: bool = True) -> None:
        """Rebuild the keyword index when it no longer matches the store's documents. Chunks whose stored
        tokens were made by another text.TOKENS_VERSION are tokenized again from their text, and with write_back
        (the caller holds the write lock) stored so, which makes a new build's tokens a one-off cost."""
        records = records if records is not None else self.store.records()
        signature = keyword_signature(records)
        if self.keyword.signature == signature:
            return
        # What writing the chunks loaded and freed, before reading them all back (see Store.let_go, memory).
        self.store.let_go()
        release_memory()
        # Page by page, each page's tokens counted as it comes: holding every chunk's metadata and tokens at
        # once was most of the memory of a big store's rebuild.
        ids: list[str] = []
        writer = BM25Writer()
        fields: dict[str, list] = {"doc_id": [], "language": [], "first_sentence": [], "last_sentence": []}
        for page_ids, metas in self.store.chunk_metadata_pages():
            ids += page_ids
            self._retokenize(page_ids, metas, write_back)
            writer.add(m.get("kw", "").split() for m in metas)
            for m in metas:
                fields["doc_id"].append(m["doc_id"])
                fields["language"].append(m.get("language", ""))
                # -1: a chunk written before chunks knew their sentences (retrieval then asks the store)
                fields["first_sentence"].append(m.get("first_sentence", -1))
                fields["last_sentence"].append(m.get("last_sentence", -1))
        self.keyword.build_from(ids, writer, fields, signature)
        del ids, writer, fields
        release_memory()  # the pages read and the writer's arrays

    def _retokenize(self, ids: list[str], metas: list[dict], write_back: bool) -> None:
        """Give the chunks of a page whose tokens another TOKENS_VERSION made (in metas, in place) the tokens
        keyword_tokens gives now, read from their stored texts."""
        stale = [n for n, m in enumerate(metas) if m.get("kwv") != TOKENS_VERSION]
        by_language: dict[str, list[int]] = {}
        for n in stale:
            by_language.setdefault(metas[n].get("language", ""), []).append(n)
        for language, rows in by_language.items():
            texts = self.store.get_chunks([ids[n] for n in rows], language=language or None)
            for n in rows:
                if ids[n] in texts:
                    metas[n] = metas[n] | {"kw": " ".join(keyword_tokens(texts[ids[n]][0], language or None)),
                                           "kwv": TOKENS_VERSION}
            if write_back:
                fresh = [n for n in rows if metas[n].get("kwv") == TOKENS_VERSION]
                self.store.chunks.update([ids[n] for n in fresh], [metas[n] for n in fresh])


def sentence_ranges(chunks: list, sents: list) -> list[tuple[int, int]]:
    """Return, for each chunk, the index of its first and of its last sentence (chunks are runs of them)."""
    starts = np.array([s.start for s in sents])
    ends = np.array([s.end for s in sents])
    out = []
    for c in chunks:
        inside = np.nonzero((starts >= c.start) & (ends <= c.end))[0]
        out.append((int(inside[0]), int(inside[-1])))
    return out


def mean_vectors(ranges: list[tuple[int, int]], sent_vecs: np.ndarray) -> np.ndarray:
    """Return each chunk's vector: the L2-normalised mean of the vectors of its sentences (first to last)."""
    out = np.empty((len(ranges), sent_vecs.shape[1]), dtype=np.float32)
    for n, (first, last) in enumerate(ranges):
        v = sent_vecs[first : last + 1].mean(axis=0)
        out[n] = v / (np.linalg.norm(v) or 1.0)
    return out


def ingest(settings: Settings, paths: Iterable[Path], progress: Progress | None = None) -> IngestReport:
    """Ingest paths with the given settings; return the report."""
    return Ingestor(settings, progress=progress).run(paths)
