"""Offline fixtures: a data directory per test, the real bundled embedder, on-disk Chroma in tmp."""

from __future__ import annotations

import gc
import os
import shutil
import sys
from pathlib import Path

import pytest

from assistant.config import Settings, setup_offline_env

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
ARTIFACTS = ROOT / "test-artifacts"

# The `assistant` a test runs in a subprocess (the venv's console script, `python -m assistant`, doctor's child)
# imports the package of this checkout, not the one the venv was installed from: an editable install points at
# one checkout, and a git worktree beside it would otherwise test that one's code through the CLI.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))

setup_offline_env()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own data directory, so nothing touches the user's ./.assistant."""
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    for name in list(os.environ):
        if name.startswith("ASSISTANT_") and name != "ASSISTANT_HOME":
            monkeypatch.delenv(name)
    yield
    _forget_stores_under(tmp_path)


def _forget_stores_under(folder: Path) -> None:
    """Drop Chroma's cached clients for stores in a finished test's folder. Chroma keeps one per directory
    for the life of the process, each with ~30 files open (its SQLite and index files, its runtime's
    handles); over a whole session they passed select()'s limit of 1024 descriptors in a late test."""
    if "chromadb" not in sys.modules:
        return
    from chromadb.api.client import SharedSystemClient

    cached = SharedSystemClient._identifier_to_system
    done = [key for key in cached if key == str(folder) or key.startswith(str(folder) + os.sep)]
    for key in done:
        cached.pop(key, None)
    if done:
        gc.collect()  # Chroma's client objects hold each other in cycles


@pytest.fixture(scope="session")
def seeded(tmp_path_factory) -> Settings:
    """Settings of a data directory with the five seed reports ingested (shared, read-only)."""
    from assistant.ingest import ingest

    home = tmp_path_factory.mktemp("seeded")
    settings = Settings(home=home / "home", seeds=SEEDS)
    report = ingest(settings, [SEEDS])
    assert report.documents == 5 and not report.skipped
    return settings


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A writable folder holding copies of two small seed reports (001 English, 002 English)."""
    return seed_copies(tmp_path / "corpus", "001_23abd807676cf300.txt", "002_c41756f9194e43e0.txt")


def seed_copies(folder: Path, *names: str) -> Path:
    """Return folder, made to hold copies of the named seed reports."""
    folder.mkdir()
    for name in names:
        shutil.copy(SEEDS / name, folder / name)
    return folder


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings of an empty data directory for this test."""
    return Settings(home=tmp_path / "home", seeds=SEEDS)


def make_pdf(path: Path, lines: list[str], *more_pages: list[str]) -> Path:
    """Write a minimal valid PDF whose text layer holds the given ASCII lines, a page for lines and one for each
    of more_pages; a None among the lines leaves a paragraph's gap (half a line more) before the next."""
    pages = [lines, *more_pages]
    font = 3 + 2 * len(pages)  # the object number of the one font, after the pages and their contents
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages))).encode()
        + b"] /Count " + str(len(pages)).encode() + b" >>",
    ]
    for i, page in enumerate(pages):
        ops = ["BT /F1 12 Tf 72 720 Td 14 TL"]
        for line in page:
            if line is None:
                ops.append("0 -7 Td")
                continue
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects += [
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode(),
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        ]
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    path.write_bytes(pdf_bytes(objects))
    return path


def pdf_bytes(objects: list[bytes]) -> bytes:
    """Return a PDF file made of the given object bodies (numbered from 1), with its xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def make_docx(path: Path, paragraphs: list[str], title: str | None = None) -> Path:
    """Write a real .docx with python-docx."""
    import docx

    d = docx.Document()
    if title:
        d.core_properties.title = title
    for p in paragraphs:
        d.add_paragraph(p)
    d.save(str(path))
    return path
