"""Chroma, embedded on disk or a server: chunks, sentences and the record of what is indexed."""

from __future__ import annotations

import bisect
import json
import re
import threading
import weakref
from dataclasses import dataclass
from urllib.parse import urlparse

import numpy as np

from .config import Settings
from .memory import limit_arenas
from .text import EMBEDDING_FORM
from .types import Document
from .vectorfile import VectorFile

# Chroma caps how many records one call may carry; stay well below it.
BATCH = 2000
# A shard of at most this many records is searched exactly, in memory (on-disk stores; see Store). Chroma's
# search costs ~0.9 ms however small the shard (most of it fixed cost in its core), and a question makes up
# to six (chunks and sentences per language); a dot product over 4,096 vectors takes ~0.2 ms, and their copy
# 6 MB. Larger shards, where HNSW pays for itself, are searched by Chroma.
EXACT_LIMIT = 4096
# A shard whose vectors are kept apart (below) has no index to fall back on: it is searched exactly up to this
# many records (a 48 MB copy, ~2 ms a search), and past it within the nearest chunks (retrieval.SENTENCE_POOL).
APART_EXACT_LIMIT = 32768
# Collection metadata marking a collection whose vectors are kept in the VectorFile (Shards.add).
APART = "assistant:vectors_apart"


def vector_layout(chunk_vectors: str, language: str) -> str:
    """Return how a document's vectors are made (DocRecord.vectors): Settings.chunk_vectors, and for
    Serbian the script the embedder read it in (text.EMBEDDING_FORM). A document whose record says otherwise
    is embedded again by the next ingest."""
    return f"{chunk_vectors}+{EMBEDDING_FORM}" if language == "sr" else chunk_vectors


@dataclass(frozen=True)
class DocRecord:
    """What the store knows of one indexed document."""

    doc_id: str
    source: str
    title: str
    language: str
    script: str
    date: str
    content_hash: str
    state: str
    chunks: int
    sentences: int
    twin: str = ""
    date_from: str = ""  # the twin whose date this undated document shows (see twins.dated_by_twins)
    vectors: str = "embed"  # how its vectors were made (vector_layout); stores before the setting: embed
    path: str = ""  # the file's absolute path (Document.path); stores before it: ""
    split: int = 1  # the text.SENTENCES_VERSION its sentences were split by; stores before it: 1
    pages: tuple[tuple[int, int], ...] = ()  # Document.pages: where each page begins (a PDF)
    # Files of the same bytes found elsewhere and not indexed twice (absolute paths): when this one's file
    # goes, one of them takes its place, whichever folder a later ingest is given.
    copies: tuple[str, ...] = ()
    facts: str = ""  # the facts.facts_stamp its sentences' stored facts were made by; stores before it: ""

    def page_at(self, offset: int) -> int | None:
        """Return the number of the page an offset of the document's text is on (None: not read by pages)."""
        at = bisect.bisect_right([start for start, _ in self.pages], offset) - 1
        return self.pages[max(at, 0)][1] if self.pages else None

    @property
    def location(self) -> str:
        """Return where the file is: its absolute path, or for a record written before paths were kept, its
        source as given (relative to where that ingest ran)."""
        return self.path or self.source

    def embedded_as(self, chunk_vectors: str) -> bool:
        """Return whether its vectors were made the way this build makes them with chunk_vectors (else the
        next ingest embeds it again, and it is found less well until then)."""
        return self.vectors == vector_layout(chunk_vectors, self.language)


def _client(settings: Settings):
    from .chroma_import import import_chromadb

    chromadb = import_chromadb()  # a cold question's biggest cost: see chroma_import
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    # Before Chroma starts its worker threads: one malloc arena each kept what big writes freed (see memory).
    limit_arenas()
    if settings.chroma_url:
        try:
            url = urlparse(settings.chroma_url if "://" in settings.chroma_url else f"http://{settings.chroma_url}")
            host, port, ssl = url.hostname or "127.0.0.1", url.port or (443 if url.scheme == "https" else 8000), \
                url.scheme == "https"
            _answers(host, port, ssl, min(settings.chroma_timeout, PROBE_TIMEOUT))
            client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings)
        except Exception as e:  # refused, unresolvable, bad port, TLS…: all fixed by the user, not by a traceback
            raise ServerUnreachable(settings.chroma_url, e) from None
        _time_limit(client, settings.chroma_timeout)
        return client
    from .doctor import precheck

    precheck(settings)  # Chroma's native code crashes on damaged files; they are checked before it reads them
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


# Seconds a Chroma server has to answer the heartbeat made before its client (at most; see _answers).
PROBE_TIMEOUT = 10.0


class NoAnswer(ConnectionError):
    """A Chroma server that took the connection and did not answer in time (a stopped process, a host that
    drops packets)."""


def _answers(host: str, port: int, ssl: bool, timeout: float) -> None:
    """Return once something answers HTTP at the server's address; raise NoAnswer, or httpx's error, when
    nothing does within timeout seconds. Chroma's client waits for ever (httpx with no timeout), and makes
    requests as it is made, before a time limit can be set on it."""
    import httpx

    where = f"[{host}]" if ":" in host else host
    try:  # any HTTP answer will do: Chroma's client then says what is wrong with it, as before
        httpx.get(f"{'https' if ssl else 'http'}://{where}:{port}/api/v2/heartbeat", timeout=timeout)
    except httpx.TimeoutException:
        raise NoAnswer(f"no answer within {timeout:g} s") from None


def _time_limit(client, seconds: float) -> None:
    """Let no request of a Chroma server client wait longer than seconds for the server (ASSISTANT_CHROMA_TIMEOUT):
    a server that stops answering mid-command is then named (server_unreachable) instead of waited for."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)  # Chroma's FastAPI client's httpx.Client
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds, connect=min(seconds, PROBE_TIMEOUT))


NOTHING_INDEXED = "nothing is indexed yet: run `assistant ingest` (it reads seeds/ by default)"
# The collection whose metadata holds the store's generation on a Chroma server (Store.generation).
STAMP = "stamp"
# What a rebuild adds to the name of the store it builds (a folder in the data directory, collections on a
# server), and on a server to the names of the store it replaces (doctor.repair); one left behind is a rebuild
# that was stopped.
STAGING, REPLACED = "rebuilding", "replaced"
GENERATION = "assistant:generation"


def unreachable_message(url: str, e: BaseException) -> str:
    """Return the one line that says a Chroma server cannot be reached and what to do (every front end
    says it the same way: the CLI, an open Assistant, `serve`, doctor)."""
    detail = " ".join(str(e).split()) or type(e).__name__
    return (f"cannot reach the Chroma server at {url} ({detail}); start it (chroma run --path DIR --port PORT) "
            "or unset ASSISTANT_CHROMA_URL to use the embedded store")


class ServerUnreachable(SystemExit):
    """The Chroma server cannot be reached. A SystemExit, so that a command that meets it at its start ends
    with one line; `reason` is that line without the CLI's "error: "."""

    def __init__(self, url: str, e: BaseException):
        self.reason = unreachable_message(url, e)
        super().__init__(f"error: {self.reason}")


def server_unreachable(e: BaseException) -> bool:
    """Return whether an error is a Chroma server that cannot be reached (refused, gone mid-request, timed
    out): Chroma's HTTP client lets httpx's errors through, and says so itself only when a client is made."""
    if isinstance(e, ServerUnreachable | NoAnswer):
        return True
    try:
        import httpx
    except ImportError:  # no server client installed: nothing can have failed to reach one
        return False
    return isinstance(e, httpx.TransportError) or "Could not connect to a Chroma server" in str(e)


def store_exists(settings: Settings) -> bool:
    """Return whether there is a store to read: a Chroma server always; an embedded one once ingest made it
    (reading it with Chroma would make an empty one, folders and all)."""
    return bool(settings.chroma_url) or (settings.chroma_path / "chroma.sqlite3").exists()


def forget_client(settings: Settings) -> None:
    """Drop Chroma's per-path client cache for this store, so that the next open reads its files again.

    An embedded client keeps the vector index in memory: after another process wrote to the same store it
    answers with chunks that are gone. Chroma offers no reload, so a new client is made."""
    if settings.chroma_url:
        return
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(str(settings.chroma_path), None)


def shard_name(language: str) -> str:
    """Return the collection-name suffix for a document language ("und" when it is unknown)."""
    return re.sub(r"[^a-z0-9]", "", (language or "").lower())[:16] or "und"


class Shards:
    """One kind of record (chunks or sentences) in one Chroma collection per document language.

    Retrieval ranks each language apart (cross-lingual cosine runs lower), and a `where` on language makes
    Chroma filter before its HNSW search: 132 ms a query at 100k chunks against 5.5 ms unfiltered. A
    collection per language makes each of those searches unfiltered. Records are routed by their
    metadata's "language"; reads fan out over every language unless told which one.
    """

    def __init__(self, client, prefix: str, exact_limit: int | None = None, vectors: VectorFile | None = None):
        self.client = client
        self.prefix = prefix
        self.exact_limit = EXACT_LIMIT if exact_limit is None else exact_limit
        # Where new collections keep their vectors (see vectorfile): apart from Chroma's index when given. A
        # collection made before keeps them in Chroma; each collection's metadata says which.
        self.vectors = vectors
        self.apart_limit = APART_EXACT_LIMIT
        self._collections: dict[str, object] = {}
        self._exact: dict[str, _Exact | None] = {}  # per language: its vectors, or None for a Chroma search
        self._exact_lock = threading.Lock()
        for c in client.list_collections():
            name = getattr(c, "name", c)
            if name.startswith(prefix):
                self._collections[name[len(prefix):]] = client.get_collection(name, embedding_function=None)

    def languages(self) -> list[str]:
        """Return the languages that have a collection."""
        return sorted(self._collections)

    def collection(self, language: str, create: bool = False):
        """Return the collection of a language (None if it has none and create is False)."""
        key = shard_name(language)
        if key not in self._collections:
            name = self.prefix + key
            if create:
                meta = {"hnsw:space": "cosine"} | ({APART: True} if self.vectors is not None else {})
                self._collections[key] = self.client.get_or_create_collection(
                    name, embedding_function=None, metadata=meta
                )
            else:  # another process (an ingest beside a running server) may have made it since
                try:
                    self._collections[key] = self.client.get_collection(name, embedding_function=None)
                except Exception:
                    return None
        return self._collections[key]

    def _scope(self, language: str | None) -> list:
        if language is None:
            return list(self._collections.values())
        c = self.collection(language)
        return [c] if c is not None else []

    @staticmethod
    def _batches(metadatas: list[dict]):
        """Yield (language, row numbers) for the records of each language, in batches Chroma accepts."""
        groups: dict[str, list[int]] = {}
        for n, m in enumerate(metadatas):
            groups.setdefault(shard_name(m.get("language", "")), []).append(n)
        for key, rows in groups.items():
            for i in range(0, len(rows), BATCH):
                yield key, rows[i : i + BATCH]

    def add(self, ids: list[str], vectors, texts: list[str], metadatas: list[dict], upsert: bool = False) -> None:
        """Add records, each to its language's collection."""
        vectors = np.asarray(vectors, dtype=np.float32)
        for key, part in self._batches(metadatas):
            collection = self.collection(key, create=True)
            write = collection.upsert if upsert else collection.add
            embeddings = vectors[part]
            if self.kept_apart(collection):  # vectors first: a record never lacks its vector once Chroma has it
                self.vectors.put([ids[n] for n in part], key, embeddings)
                embeddings = np.ones((len(part), 1), dtype=np.float32)  # Chroma wants one; nothing searches it
            write(ids=[ids[n] for n in part], embeddings=embeddings, documents=[texts[n] for n in part],
                  metadatas=[metadatas[n] for n in part])
            self._exact.pop(key, None)

    def kept_apart(self, collection) -> bool:
        """Return whether a collection's vectors are kept in the vector file, not in Chroma."""
        return self.vectors is not None and bool((collection.metadata or {}).get(APART))

    def searchable(self, language: str) -> bool:
        """Return whether a whole shard can be searched by meaning (query): its vectors are in Chroma's
        index, or few enough to search exactly. A large shard kept apart is scored only on given records."""
        collection = self.collection(language)
        return collection is None or not self.kept_apart(collection) or \
            self._exact_shard(language, collection) is not None

    def held(self, language: str, limit: int = EXACT_LIMIT) -> bool:
        """Return whether a language's shard is already held in memory with at most limit records: a search of
        it is one small dot product, done in less time than handing it to another thread takes."""
        exact = self._exact.get(shard_name(language))
        return exact is not None and len(exact.ids) <= limit

    def vectors_of(self, ids: list[str], language: str) -> dict[str, np.ndarray]:
        """Return the vectors of records of one language, by id (those it still holds)."""
        collection = self.collection(language)
        if collection is None:
            return {}
        if self.kept_apart(collection):
            return self.vectors.get(ids)
        got = collection.get(ids=ids, include=["embeddings"])
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"], strict=True)}

    def get(self, where: dict | None = None, ids: list[str] | None = None,
            include: tuple[str, ...] | list[str] = ("documents", "metadatas"), language: str | None = None) -> dict:
        """Return matching records of every language (or of one) as Chroma's get does, lists merged."""
        out: dict[str, list] = {"ids": [], **{k: [] for k in include}}
        for got in self.pages(where, ids, include, language):
            out["ids"] += got["ids"]
            for k in include:
                out[k] += list(got[k]) if got[k] is not None else []
        return out

    def pages(self, where: dict | None = None, ids: list[str] | None = None,
              include: tuple[str, ...] | list[str] = ("documents", "metadatas"), language: str | None = None):
        """Yield matching records page by page (Chroma's get results), so a caller need not hold them all."""
        for collection in self._scope(language):
            apart = self.kept_apart(collection) and "embeddings" in include
            asked = [k for k in include if not (apart and k == "embeddings")]
            offset = 0
            while True:  # in pages: Chroma caps how many records one call returns
                page = {"limit": BATCH, "offset": offset} if ids is None else {}
                got = dict(collection.get(where=where, ids=ids, include=asked, **page))
                if apart:
                    # A record whose vector is missing (a crash between the two writes leaves its document
                    # "pending", so the next ingest embeds it again) reads as a zero vector, which matches nothing.
                    found = self.vectors.get(list(got["ids"]))
                    width = len(next(iter(found.values()))) if found else 0
                    got["embeddings"] = [found.get(i, np.zeros(width, dtype=np.float32)) for i in got["ids"]]
                yield got
                if ids is not None or len(got["ids"]) < BATCH:
                    break
                offset += BATCH

    def delete(self, where: dict | None = None, ids: list[str] | None = None, language: str | None = None) -> None:
        """Delete matching records in every language's collection (or in one)."""
        for collection in self._scope(language):
            if self.kept_apart(collection):
                if ids is not None:
                    self.vectors.delete(ids=ids)
                elif where is not None and isinstance(where.get("doc_id"), str) and len(where) == 1:
                    self.vectors.delete(doc=where["doc_id"])
                else:
                    self.vectors.delete(ids=collection.get(where=where, include=[])["ids"])
            collection.delete(where=where, ids=ids)
        self._exact.clear()

    def update(self, ids: list[str], metadatas: list[dict]) -> None:
        """Replace the metadata of records, found by their metadata's language."""
        for key, part in self._batches(metadatas):
            self.collection(key).update(ids=[ids[n] for n in part], metadatas=[metadatas[n] for n in part])
            self._exact.pop(key, None)

    def count(self) -> int:
        """Return how many records all languages hold."""
        return sum(c.count() for c in self._collections.values())

    def query(self, language: str, vectors: np.ndarray, k: int, where: dict | None, include: list[str]) -> dict | None:
        """Return Chroma's query result for the nearest records of one language, None if it has none (a small
        shard answers from memory, the same ids and distances, when only distances are asked for)."""
        collection = self.collection(language)
        if collection is None:
            return None
        apart = self.kept_apart(collection)
        exact = self._exact_shard(language, collection) if include == ["distances"] or apart else None
        if exact is not None:
            found = exact.query(np.atleast_2d(vectors), k, where)
            if found is None and apart:  # a filter the memory copy does not apply: Chroma says what it leaves
                found = exact.query(np.atleast_2d(vectors), k, None,
                                    allowed=set(collection.get(where=where, include=[])["ids"]))
            if found is not None:
                return found
        if apart:
            raise ValueError(f"the {language} shard is too large to search whole; see Shards.searchable")
        return collection.query(query_embeddings=list(np.atleast_2d(vectors)), n_results=k, where=where,
                                include=include)

    def _exact_shard(self, language: str, collection) -> _Exact | None:
        """Return a small shard's vectors, read once (None for a shard Chroma should search)."""
        key = shard_name(language)
        if key not in self._exact:
            with self._exact_lock:
                if key not in self._exact:
                    apart = self.kept_apart(collection)
                    small = collection.count() <= (self.apart_limit if apart else self.exact_limit)
                    pages = self.vectors.shard(key) if apart else (
                        (got["ids"], got["embeddings"]) for got in self.pages(include=("embeddings",), language=language))
                    self._exact[key] = _Exact.read(pages) if small else None
        return self._exact[key]


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Return rows scaled to length one (cosine distance, as the collections are made with)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


@dataclass(frozen=True)
class _Exact:
    """A small shard's ids, documents and unit vectors, searched with one dot product."""

    ids: np.ndarray
    doc_ids: np.ndarray
    vectors: np.ndarray

    @classmethod
    def read(cls, pages) -> _Exact:
        """Return the shard read from pages of (ids, vectors). Vectors only: a record's document is
        the start of its id (doc ids have no colon; see sentence_key), and reading every metadata too tripled
        the cost of this read at a cold start."""
        ids, vectors = [], []
        for page_ids, page_vectors in pages:
            ids += page_ids
            vectors += list(page_vectors) if page_vectors is not None else []
        matrix = _unit(np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1)) if ids else np.zeros((0, 0))
        return cls(np.asarray(ids, dtype=object), np.asarray([i.split(":", 1)[0] for i in ids], dtype=object), matrix)

    def query(self, vectors: np.ndarray, k: int, where: dict | None, allowed: set[str] | None = None) -> dict | None:
        """Return the k nearest as Chroma's query does (cosine distance, nearest first), None for a filter
        other than the one retrieval uses (documents in a list), which Chroma is left to apply; allowed: the
        only ids that may be returned."""
        rows = np.arange(len(self.ids))
        if allowed is not None:
            rows = rows[np.isin(self.ids, list(allowed))]
        if where is not None:
            condition = where.get("doc_id") if len(where) == 1 else None
            if not (isinstance(condition, dict) and list(condition) == ["$in"]):
                return None
            rows = rows[np.isin(self.doc_ids, list(condition["$in"]))]
        out = {"ids": [], "distances": []}
        if not len(rows):  # an emptied shard, or no record of the listed documents
            return {"ids": [[] for _ in vectors], "distances": [[] for _ in vectors]}
        distances = 1.0 - _unit(np.asarray(vectors, dtype=np.float32)) @ self.vectors[rows].T
        for d in distances:
            if len(d) > k:  # the k nearest and every record tied with the last, then in order: a full stable sort's k
                near = np.nonzero(d <= np.partition(d, k - 1)[k - 1])[0]
                top = near[np.argsort(d[near], kind="stable")][:k]
            else:
                top = np.argsort(d, kind="stable")
            out["ids"].append([str(i) for i in self.ids[rows[top]]])
            out["distances"].append([float(x) for x in d[top]])
        return out


# Every Store of this process: Chroma shares one client per directory, so a Store may let its client go only
# when no other Store holds the same one (Store.let_go).
_OPEN: weakref.WeakSet = weakref.WeakSet()


class Store:
    """Chunks (retrieval) and sentences (answer extraction), each sharded by language (see Shards), and
    documents: the manifest, one record per document with its full cleaned text, state and twin."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.client = _client(settings)
        name = settings.collection
        # embedding_function=None: vectors always come from our embedder, never Chroma's default.
        self.documents = self.client.get_or_create_collection(
            f"{name}-documents", embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
        # A Chroma server is the store's one source of truth: other clients may write to it, and a server that
        # stops must be named, not answered around from a copy. Only an on-disk store is searched in memory.
        exact = 0 if settings.chroma_url else None
        self.chunks = Shards(self.client, f"{name}-chunks-", exact)
        # An on-disk store keeps sentence vectors out of Chroma's index (vectorfile); a server keeps them all,
        # since other clients read it.
        apart = None if settings.chroma_url else VectorFile(settings.chroma_path / f"{name}-sentence-vectors.sqlite3")
        self.sentences = Shards(self.client, f"{name}-sentences-", exact, apart)
        self._move_unsharded()
        _OPEN.add(self)

    def let_go(self) -> bool:
        """Open a new Chroma client in place of this one and let the old one go with what it loaded, when no
        other Store of this process is on the same directory; return whether it did.

        After a big write the writing client holds the index and buffers of every collection it wrote to
        (at 100,000 chunks, ~400 MB beyond the chunk indexes a search loads again). Chroma frees a client
        only when nothing holds it: another Store on the directory (a server's, a test's) would keep the old
        one alive with its open files, so then this one keeps it too."""
        if self.settings.chroma_url:
            return False  # a server keeps its memory in its own process
        import gc

        gc.collect()  # Stores and Chroma's clients hold themselves in cycles: the dead ones go first
        if any(other is not self and other.settings.chroma_path == self.settings.chroma_path for other in list(_OPEN)):
            return False
        forget_client(self.settings)
        fresh = Store(self.settings)
        _OPEN.discard(fresh)
        # Swapped whole, never emptied: a reader of this Store sees the old client or the new one.
        self.client, self.documents, self.chunks, self.sentences = (fresh.client, fresh.documents, fresh.chunks,
                                                                    fresh.sentences)
        del fresh
        gc.collect()
        return True

    # --- the generation: how clients of one Chroma server learn that another one wrote -----------------

    def generation(self) -> str | None:
        """Return the store's generation on a Chroma server: a token every ingest that changed something
        writes last (touched), so that an assistant on another data directory knows to read the store anew.
        One small request (~1 ms on loopback), made before each question. None for an embedded store (its
        own files say when it changed) and for a server store no ingest of this build has touched."""
        if not self.settings.chroma_url:
            return None
        try:
            stamp = self.client.get_collection(f"{self.settings.collection}-{STAMP}", embedding_function=None)
        except Exception as e:
            if server_unreachable(e):
                raise
            return None  # not made yet: the first ingest that changes something makes it
        return str((stamp.metadata or {}).get(GENERATION, ""))

    def nothing_indexed(self) -> str:
        """Return what to say when this store holds no document: on a Chroma server that holds other libraries
        (another data directory's, or one made before data directories had their own), which ones, and how
        to read one of them."""
        if not self.settings.chroma_url:
            return NOTHING_INDEXED
        own = f"{self.settings.collection}-documents"
        others = []
        try:
            for c in self.client.list_collections():
                name = getattr(c, "name", c)
                library = name.removesuffix("-documents")
                if name == own or library == name or library.endswith((f"-{STAGING}", f"-{REPLACED}")):
                    continue
                count = self.client.get_collection(name, embedding_function=None).count()
                if count:
                    others.append(f"{library} ({count:,} document{'' if count == 1 else 's'})")
        except Exception:  # a hint only: a server that fails here is named by what the caller does next
            return NOTHING_INDEXED
        if not others:
            return NOTHING_INDEXED
        return (f"{NOTHING_INDEXED}; the Chroma server at {self.settings.chroma_url} holds other libraries than this "
                f"data directory's ({self.settings.collection}): {', '.join(sorted(others)[:3])}"
                f"{', …' if len(others) > 3 else ''}; set ASSISTANT_COLLECTION to one of those names to read it")

    def touched(self) -> None:
        """Write a new generation (a Chroma server only): readers compare it with the one they loaded."""
        if not self.settings.chroma_url:
            return
        import uuid

        # Its own collection: modify() replaces a collection's whole metadata, which the stores' hold settings in.
        stamp = self.client.get_or_create_collection(f"{self.settings.collection}-{STAMP}", embedding_function=None)
        stamp.modify(metadata={GENERATION: uuid.uuid4().hex})

    def _move_unsharded(self) -> None:
        """Move chunks and sentences out of the single collections of stores made before sharding (their
        vectors are kept: nothing is embedded again), then drop those collections."""
        existing = {getattr(c, "name", c) for c in self.client.list_collections()}
        for shards, kind in ((self.chunks, "chunks"), (self.sentences, "sentences")):
            name = f"{self.settings.collection}-{kind}"
            if name not in existing:
                continue
            old = self.client.get_collection(name, embedding_function=None)
            while True:  # upsert, then delete: a crash in between leaves records to move again, never lost
                got = old.get(include=["embeddings", "documents", "metadatas"], limit=BATCH)
                if not got["ids"]:
                    break
                shards.add(got["ids"], got["embeddings"], got["documents"], got["metadatas"], upsert=True)
                old.delete(ids=got["ids"])
            self.client.delete_collection(name)

    # --- documents ------------------------------------------------------------------------------

    def records(self) -> dict[str, DocRecord]:
        """Return every document record by doc_id."""
        got = self.documents.get(include=["metadatas"])
        return {i: _record(i, m) for i, m in zip(got["ids"], got["metadatas"] or [], strict=False)}

    def document_text(self, doc_id: str) -> str | None:
        """Return the cleaned text of a document, None if it is not indexed."""
        got = self.documents.get(ids=[doc_id], include=["documents"])
        return got["documents"][0] if got["ids"] else None

    def document_vectors(self) -> dict[str, np.ndarray]:
        """Return each document's vector (the normalised mean of its chunk vectors)."""
        got = self.documents.get(include=["embeddings"])
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"], strict=False)}

    def mark(self, doc: Document, state: str, vector: np.ndarray, chunks: int, sentences: int, twin: str = "",
             vectors: str = "embed", split: int = 1, facts: str = "") -> None:
        """Write a document's record: "pending" before its chunks change, "complete" after; vectors says how
        its chunk vectors were made, split which sentence splitter cut its sentences, facts which build made
        their stored facts."""
        meta = doc.metadata() | {"state": state, "chunks": chunks, "sentences": sentences, "twin": twin,
                                 "vectors": vectors, "split": split, "facts_by": facts}
        self.documents.upsert(ids=[doc.doc_id], embeddings=[vector], documents=[doc.text], metadatas=[meta])

    def set_twin(self, doc_id: str, twin: str) -> None:
        """Record the translation twin of a document ("" for none)."""
        self._update_record(doc_id, {"twin": twin})

    def set_split(self, doc_id: str, split: int) -> None:
        """Record that a document's stored sentences are those the given splitter version cuts."""
        self._update_record(doc_id, {"split": split})

    def set_copies(self, doc_id: str, paths) -> None:
        """Record the files that are copies of a document (DocRecord.copies)."""
        self._update_record(doc_id, {"copies": dumps(list(dict.fromkeys(paths)))})

    def set_facts(self, doc_id: str, ids: list[str], metadatas: list[dict], stamp: str) -> None:
        """Store sentences' facts made again (their whole metadata) and the stamp of the build that made them."""
        if ids:
            self.sentences.update(ids, metadatas)
        self._update_record(doc_id, {"facts_by": stamp})

    def set_path(self, doc_id: str, path: str) -> None:
        """Record the absolute path of a document's file (a record written before paths were kept)."""
        self._update_record(doc_id, {"path": path})

    def _update_record(self, doc_id: str, fields: dict) -> None:
        got = self.documents.get(ids=[doc_id], include=["metadatas"])
        if got["ids"]:
            self.documents.update(ids=[doc_id], metadatas=[got["metadatas"][0] | fields])

    # --- chunks and sentences -------------------------------------------------------------------

    def delete_document(self, doc_id: str, keep_record: bool = False) -> None:
        """Remove a document's chunks and sentences (in every language), and its record unless keep_record."""
        self.chunks.delete(where={"doc_id": doc_id})
        self.sentences.delete(where={"doc_id": doc_id})
        if not keep_record:
            self.documents.delete(ids=[doc_id])

    def delete_orphans(self, known: list[str]) -> int:
        """Remove chunks and sentences of documents that have no record; return how many went."""
        removed = 0
        for shards in (self.chunks, self.sentences):
            where = {"doc_id": {"$nin": known}} if known else None
            ids = shards.get(where=where, include=[])["ids"]
            for i in range(0, len(ids), BATCH):
                shards.delete(ids=ids[i : i + BATCH])
            removed += len(ids)
        if self.sentences.vectors is not None:  # vectors written just before a crash, their records never
            for doc in self.sentences.vectors.documents() - set(known):
                self.sentences.vectors.delete(doc=doc)
        return removed

    def get_document_parts(self, shards: Shards, doc_id: str, embeddings: bool = True,
                           language: str | None = None) -> dict:
        """Return ids, texts, metadatas (and vectors) of one document's chunks or sentences; language (the
        document's) saves asking every collection."""
        include = ["documents", "metadatas"] + (["embeddings"] if embeddings else [])
        return shards.get(where={"doc_id": doc_id}, include=include, language=language)

    def chunk_metadata_pages(self):
        """Yield (ids, metadatas) of every chunk, a page at a time (for rebuilding the keyword index)."""
        for got in self.chunks.pages(include=["metadatas"]):
            yield got["ids"], got["metadatas"]

    def query_chunks(self, vectors: np.ndarray, k: int, where: dict | None, language: str) -> list[tuple[str, float]]:
        """Return the k chunks of a language nearest to any of the query vectors as (id, best similarity).
        Their texts are fetched (get_chunks) for the few a search keeps: fetching every candidate's text and
        metadata from SQLite doubled the cost of each Chroma search (3.0 against 1.4 ms at 100,000 chunks)."""
        got = self.chunks.query(language, vectors, k, where, ["distances"])
        best: dict[str, float] = {}
        for q in range(len(got["ids"]) if got else 0):
            for i, d in zip(got["ids"][q], got["distances"][q], strict=False):
                best[i] = max(best.get(i, -1.0), 1.0 - float(d))
        return sorted(best.items(), key=lambda r: -r[1])[:k]

    def query_sentences(self, vectors: np.ndarray, k: int, where: dict | None,
                        language: str) -> list[tuple[str, int, float]]:
        """Return the k sentences of a language nearest to any query vector as (doc_id, sentence index, best
        similarity); both come from the sentence's id, so Chroma fetches no metadata."""
        got = self.sentences.query(language, vectors, k, where, ["distances"])
        best: dict[str, float] = {}
        for q in range(len(got["ids"]) if got else 0):
            for i, d in zip(got["ids"][q], got["distances"][q], strict=False):
                best[i] = max(best.get(i, -1.0), 1.0 - float(d))
        ranked = sorted(best.items(), key=lambda r: -r[1])[:k]
        return [(*sentence_key(i), sim) for i, sim in ranked]

    def score_sentences(self, vectors: np.ndarray, ids: list[str], k: int,
                        language: str) -> list[tuple[str, int, float]]:
        """Return the k of the given sentences nearest to any query vector, as query_sentences does."""
        found = self.sentences.vectors_of(sorted(set(ids)), language)
        if not found:
            return []
        keys = list(found)
        sims = (_unit(np.atleast_2d(vectors).astype(np.float32)) @ _unit(np.stack([found[i] for i in keys])).T).max(axis=0)
        return [(*sentence_key(keys[t]), float(sims[t])) for t in np.argsort(-sims, kind="stable")[:k]]

    def get_chunks(self, ids: list[str], language: str | None = None) -> dict[str, tuple[str, dict]]:
        """Return text and metadata of the given chunk ids (of one language, when it is known)."""
        if not ids:
            return {}
        got = self.chunks.get(ids=ids, include=["documents", "metadatas"], language=language)
        return {i: (t, m) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"], strict=False)}


def sentence_id(chunk_prefix: str, index: int) -> str:
    """Return the id of a document's sentence: its chunks' id prefix (doc_id:digest) and its index."""
    return f"{chunk_prefix}:s{index}"


def sentence_key(sid: str) -> tuple[str, int]:
    """Return the doc_id and index a sentence id holds (doc ids have no colon; see ingest._doc_id)."""
    return sid.split(":", 1)[0], int(sid.rsplit(":s", 1)[1])


def _record(doc_id: str, m: dict) -> DocRecord:
    return DocRecord(
        doc_id=doc_id,
        source=m.get("source", ""),
        title=m.get("title", ""),
        language=m.get("language", ""),
        script=m.get("script", ""),
        date=m.get("date", ""),
        content_hash=m.get("content_hash", ""),
        state=m.get("state", ""),
        chunks=int(m.get("chunks", 0)),
        sentences=int(m.get("sentences", 0)),
        twin=m.get("twin", ""),
        vectors=m.get("vectors", "embed"),
        path=m.get("path", ""),
        split=int(m.get("split", 1)),
        pages=_pages(m.get("pages")),
        copies=_copies(m.get("copies")),
        facts=m.get("facts_by", ""),
    )


def _listed(value, item) -> tuple:
    """Return the items of a metadata field holding a JSON list, each made by item; none from a store before the
    field, or from a value that is no such list."""
    try:
        values = json.loads(value) if value else []
        return tuple(item(v) for v in values) if isinstance(values, list) else ()
    except (ValueError, TypeError):
        return ()


def _copies(value) -> tuple[str, ...]:
    """Return a record's copies (DocRecord.copies) from their metadata: a JSON list of paths."""
    return _listed(value, lambda path: path if isinstance(path, str) else str(path))


def _pages(value) -> tuple[tuple[int, int], ...]:
    """Return a record's page starts (DocRecord.pages) from their metadata: JSON (offset, page) pairs."""
    return _listed(value, lambda pair: (int(pair[0]), int(pair[1])))


def dumps(value) -> str:
    """Return compact JSON for metadata fields that hold lists."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
