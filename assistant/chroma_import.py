"""Import Chroma for a command-line question: the same library, without start-up costs it never uses here.

`import chromadb` (1.5) is most of a cold `assistant ask` (see README "Performance"). Two kinds of its work do
nothing for an embedded store opened with telemetry off:

- the `overrides` package's `@override` decorator, on ~200 Chroma methods, re-checks each method's signature
  against its base class as the class is made (a developer's check; it changes nothing the method does):
  ~0.25 s at import and ~0.1 s more when the client opens. While Chroma's modules load, `@override` only marks
  the method as an override (what `EnforceOverrides` classes look for); the real decorator is put back after.
- modules Chroma imports a name from but calls only in modes it is not in here: OpenTelemetry's gRPC span
  exporter (grpc and protobuf, ~0.15 s; called only when an OTel collector endpoint is set) and httpx's
  command-line entry point (rich and pygments, ~0.07 s; httpx imports it only to offer `httpx.main`).
  Chroma gets a stand-in whose function imports the real module the first time it is called; the module
  itself is left for anyone else to import.

Everything Chroma does at run time is unchanged. If the library is already imported, or a newer `overrides`
or Chroma no longer has these names, or the lighter import fails, this is a plain `import chromadb`.
"""

from __future__ import annotations

import importlib
import sys
import types
from contextlib import ExitStack, contextmanager

OTLP_EXPORTER = "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"
# Modules Chroma imports a name from at start and calls only in a mode an embedded store does not use: an
# OTel collector (the exporter's gRPC stack), and httpx's command line (`httpx.main`: rich, pygments, click).
DEFERRED = {OTLP_EXPORTER: ("OTLPSpanExporter",), "httpx._main": ("main",)}
# The modules an embedded client loads when it opens (chromadb.config's default implementations): their
# classes are made inside the window too.
LOCAL_CLIENT = ("chromadb.api.rust", "chromadb.telemetry.product.posthog")


def import_chromadb() -> types.ModuleType:
    """Return the chromadb module, importing it (and what an embedded client opens) the lighter way."""
    if "chromadb" in sys.modules:
        return sys.modules["chromadb"]
    before = set(sys.modules)
    try:
        with ExitStack() as stack:
            stack.enter_context(_override_marks_only())
            for module, calls in DEFERRED.items():
                stack.enter_context(_deferred(module, calls))
            import chromadb

            for name in LOCAL_CLIENT:
                importlib.import_module(name)
    except ImportError:  # another Chroma imports a stand-in's submodule, or has moved its client: start over
        # Chroma's own modules only: the libraries it imported are whole (and numpy cannot load twice).
        for name in [n for n in sys.modules if n not in before and (n == "chromadb" or n.startswith("chromadb."))]:
            del sys.modules[name]
        import chromadb
    return chromadb


def _mark(method=None, **_options):
    """Stand in for overrides.override: mark the method as an override, check nothing."""

    def marked(m):
        m.__override__ = True
        return m

    return marked(method) if method is not None else marked


@contextmanager
def _override_marks_only():
    try:
        import overrides
    except ImportError:  # Chroma without overrides: nothing to skip
        yield
        return
    module = sys.modules.get("overrides.overrides")
    saved = [(m, name, getattr(m, name)) for m in (overrides, module) if m is not None
             for name in ("override", "overrides") if callable(getattr(m, name, None))]
    for m, name, _value in saved:
        setattr(m, name, _mark)
    try:
        yield
    finally:
        for m, name, value in saved:
            setattr(m, name, value)


class _Deferred(types.ModuleType):
    """A stand-in for a module Chroma imports names from but seldom uses: each name in `calls` is a function
    that imports the real module when called; any other name is the real module's."""

    def __getattr__(self, name: str):
        if name.startswith("__"):  # the import system probes __path__ and the like: not a reason to load
            raise AttributeError(name)
        return getattr(_real(self.__name__), name)


def _real(name: str) -> types.ModuleType:
    if isinstance(sys.modules.get(name), _Deferred):
        del sys.modules[name]
    return importlib.import_module(name)


def _deferred_call(module: str, name: str):
    def call(*args, **kwargs):
        return getattr(_real(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


@contextmanager
def _deferred(module: str, calls: tuple[str, ...]):
    """While Chroma imports, let `module` be a stand-in whose `calls` import it when first called."""
    if module in sys.modules:
        yield
        return
    stand_in = _Deferred(module)
    for name in calls:
        setattr(stand_in, name, _deferred_call(module, name))
    sys.modules[module] = stand_in
    try:
        yield
    finally:
        if sys.modules.get(module) is stand_in:  # later importers get the real module
            del sys.modules[module]
