"""Chroma imported the lighter way (assistant/chroma_import.py) is the same Chroma: it stores and finds, its
deferred OTLP exporter and httpx command line are the real ones when used, and the `overrides` checks are
back for everyone else."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

SCRIPT = """
import json, sys, types
from assistant.chroma_import import OTLP_EXPORTER, import_chromadb

chromadb = import_chromadb()
from chromadb.config import Settings

out = {"grpc_at_import": "grpc" in sys.modules}
client = chromadb.PersistentClient(path=sys.argv[1], settings=Settings(anonymized_telemetry=False))
c = client.get_or_create_collection("things", embedding_function=None, metadata={"hnsw:space": "cosine"})
c.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]], documents=["first", "second"])
got = c.query(query_embeddings=[[0.1, 1.0]], n_results=1, include=["documents", "distances"])
out["nearest"] = [got["ids"][0][0], got["documents"][0][0]]
out["deferred_after_open"] = sorted(m for m in ("grpc", "rich", "pygments") if m in sys.modules)

from overrides import override  # the real decorator again: a wrong override is refused when its class is made

class Base:
    def f(self, x: int) -> int:
        return x

try:
    class Wrong(Base):
        @override
        def f(self, x: int, y: int) -> int:
            return x + y
    out["override_checked"] = False
except TypeError:
    out["override_checked"] = True

from chromadb.telemetry.opentelemetry import OTLPSpanExporter  # what Chroma calls with a collector set
exporter = OTLPSpanExporter(endpoint="localhost:4317", insecure=True)
real = sys.modules[OTLP_EXPORTER]
out["exporter_real"] = isinstance(exporter, real.OTLPSpanExporter) and type(real) is types.ModuleType
exporter.shutdown()
import httpx._main  # httpx's command line, imported for real by whoever asks for it
out["httpx_main_real"] = type(sys.modules["httpx._main"]) is types.ModuleType and hasattr(httpx._main, "print_help")
print(json.dumps(out))
"""


def test_lighter_import_is_the_same_chroma(tmp_path):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "chroma")], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["nearest"] == ["b", "second"]
    assert not out["grpc_at_import"] and out["deferred_after_open"] == []  # gRPC, rich, pygments waited
    assert out["override_checked"]
    assert out["exporter_real"] and out["httpx_main_real"]


def test_already_imported_chroma_is_returned_as_is():
    code = ("import chromadb, sys; from assistant.chroma_import import import_chromadb; "
            "print(import_chromadb() is chromadb, 'grpc' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True"]  # a plain import loads the exporter, as before


def test_a_chroma_the_lighter_import_does_not_fit_is_imported_plainly(tmp_path):
    # A stand-in for a package Chroma imports a submodule of fails the lighter import: it starts over plainly.
    code = ("import sys; from assistant import chroma_import as ci; "
            "ci.DEFERRED['chromadb.utils.embedding_functions.schemas'] = ('validate_config_schema',); "
            "chromadb = ci.import_chromadb(); "
            "from chromadb.config import Settings; "
            f"c = chromadb.PersistentClient(path={str(tmp_path / 'chroma')!r}, settings=Settings(anonymized_telemetry=False)); "
            "print(c.get_or_create_collection('things', embedding_function=None).count(), 'jsonschema' in sys.modules, "
            "type(sys.modules['chromadb.utils.embedding_functions.schemas']).__name__)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "True", "module"]
