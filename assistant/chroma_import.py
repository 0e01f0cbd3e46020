"""Import Chroma for a command-line question: the same library, without two start-up costs it never uses.

`import chromadb` (1.5) is most of a cold `assistant ask` (see README "Performance"). Two parts of it do no
work for an embedded store opened with telemetry off:

- the `overrides` package's `@override` decorator, on ~200 Chroma methods, re-checks each method's signature
  against its base class as the class is made (a developer's check; it changes nothing the method does):
  ~0.25 s at import and ~0.1 s more when the client opens. While Chroma's modules load, `@override` only marks
  the method as an override (what `EnforceOverrides` classes look for); the real decorator is put back after.
- OpenTelemetry's gRPC span exporter (grpc and protobuf, ~0.15 s), which Chroma imports at start but only
  calls when an OTel collector endpoint is configured. Chroma gets a stand-in that imports the exporter the
  first time it is called; the module itself is left for anyone else to import.

Everything Chroma does at run time is unchanged. If the library is already imported, or a newer `overrides`
or Chroma no longer has these names, this is a plain `import chromadb`.
"""

from __future__ import annotations

import importlib
import sys
import types
from contextlib import ExitStack, contextmanager

OTLP_EXPORTER = "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"
# The modules an embedded client loads when it opens (chromadb.config's default implementations): their
# classes are made inside the window too.
LOCAL_CLIENT = ("chromadb.api.rust", "chromadb.telemetry.product.posthog")


def import_chromadb() -> types.ModuleType:
    """Return the chromadb module, importing it (and what an embedded client opens) the lighter way."""
    if "chromadb" in sys.modules:
        return sys.modules["chromadb"]
    with ExitStack() as stack:
        stack.enter_context(_override_marks_only())
        stack.enter_context(_exporter_on_first_use())
        import chromadb

        for name in LOCAL_CLIENT:
            try:
                importlib.import_module(name)
            except ImportError:  # another Chroma version: the client imports what it needs when it opens
                pass
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


class _DeferredExporter(types.ModuleType):
    """A stand-in for the OTLP exporter module: its OTLPSpanExporter imports the real one when called; any
    other name is the real module's."""

    def __getattr__(self, name: str):
        if name.startswith("__"):  # the import system probes __path__ and the like: not a reason to load
            raise AttributeError(name)
        return getattr(_real_exporter(), name)


def _real_exporter() -> types.ModuleType:
    if isinstance(sys.modules.get(OTLP_EXPORTER), _DeferredExporter):
        del sys.modules[OTLP_EXPORTER]
    return importlib.import_module(OTLP_EXPORTER)


def _otlp_span_exporter(*args, **kwargs):
    return _real_exporter().OTLPSpanExporter(*args, **kwargs)


@contextmanager
def _exporter_on_first_use():
    if OTLP_EXPORTER in sys.modules:
        yield
        return
    stand_in = _DeferredExporter(OTLP_EXPORTER)
    stand_in.OTLPSpanExporter = _otlp_span_exporter
    sys.modules[OTLP_EXPORTER] = stand_in
    try:
        yield
    finally:
        if sys.modules.get(OTLP_EXPORTER) is stand_in:  # later importers get the real module
            del sys.modules[OTLP_EXPORTER]
