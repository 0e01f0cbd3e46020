"""Hostile inputs next to good files: `assistant ingest --json` (the real CLI, a subprocess) names every bad
file with its reason, indexes every good one, never crashes or hangs, and keeps its memory bounded."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from conftest import ARTIFACTS, make_docx, make_pdf, pdf_bytes

from assistant.config import Settings
from assistant.corpus import clean
from assistant.readers import _html_fallback
from assistant.store import Store

BIN = Path(sys.executable).parent / "assistant"
MB = 1024 * 1024
RSS_LIMIT_MB = 2500
TIMEOUT = 480  # seconds; a hang fails the test instead of blocking the suite

# Loaded into the CLI process through PYTHONPATH: an audit hook that logs every open() of the watched paths,
# so the test can tell whether a file over the size limit was ever read.
PROBE = '''
import os, sys
_watch = {os.path.realpath(p) for p in os.environ.get("HOSTILE_WATCH", "").split(os.pathsep) if p}
_fd = os.open(os.environ["HOSTILE_OPEN_LOG"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

def _hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.realpath(os.fsdecode(args[0]))
        if path in _watch:
            os.write(_fd, (path + "\\n").encode("utf-8", "surrogateescape"))

sys.addaudithook(_hook)
'''

GOOD_EN = ("The border police in Subotica seized twelve kilograms of heroin hidden in a lorry on 3 May 2022. "
           "The prosecutor in Novi Sad opened an investigation against two drivers from Bulgaria.\n")
GOOD_SR = ("Полиција у Београду запленила је педесет килограма хероина на граници са Бугарском. "
           "Тужилац је покренуо истрагу против три курира.\n")
GOOD_RU = ("Полиция Белграда изъяла пятьдесят килограммов героина на границе с Болгарией. "
           "Прокурор возбудил уголовное дело против трёх курьеров.\n")
SCRIPT_SECRET = "var trackingSecret = 'do-not-index-me';"


def _docx_with(path: Path, template: Path, document_xml: bytes) -> None:
    """Write a copy of a real .docx whose word/document.xml is replaced."""
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name in src.namelist():
            out.writestr(name, document_xml if name == "word/document.xml" else src.read(name))


def build_corpus(root: Path) -> tuple[dict[str, str], dict[str, str], Path, list[Path]]:
    """Write good files and bad ones side by side under root.

    Returns good (relative path → a phrase its indexed text must hold), bad (relative path → a regex its skip
    reason must match), the over-the-limit file (which must never be opened) and the extra paths to pass."""
    root.mkdir()
    rng = random.Random(7)
    good: dict[str, str] = {}
    bad: dict[str, str] = {}

    def put(name: str, data: bytes | str) -> Path:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    # --- good files, several of them in awkward encodings, names or shapes ---------------------------
    put("report-en.txt", GOOD_EN)
    good["report-en.txt"] = "twelve kilograms of heroin"
    put("Извештај о заплени (копија).md", "# Извештај о заплени\n\n" + GOOD_SR)
    good["Извештај о заплени (копија).md"] = "педесет килограма хероина"
    put("report with spaces 📄.txt", "Customs officers at Batrovci found cocaine in a shipment of bananas.\n")
    good["report with spaces 📄.txt"] = "cocaine in a shipment of bananas"
    put("report_with_spaces_.md", "The Batrovci crossing reported a second cocaine shipment in June.\n")
    good["report_with_spaces_.md"] = "second cocaine shipment"  # the same id once sanitised: must not clash
    put("UPPER.TXT", "Police in Kragujevac dismantled a cannabis laboratory.\n")
    good["UPPER.TXT"] = "cannabis laboratory"
    put("windows-1251-ru.txt", GOOD_RU.encode("cp1251"))
    good["windows-1251-ru.txt"] = "пятьдесят килограммов героина"
    put("windows-1251-sr.txt", GOOD_SR.encode("cp1251"))
    good["windows-1251-sr.txt"] = "педесет килограма хероина"
    put("utf16le-no-bom.txt", GOOD_SR.encode("utf-16-le"))
    good["utf16le-no-bom.txt"] = "педесет килограма хероина"
    put("utf16be-no-bom.txt", GOOD_EN.encode("utf-16-be"))
    good["utf16be-no-bom.txt"] = "twelve kilograms of heroin"
    put("utf8-bom.txt", b"\xef\xbb\xbf" + GOOD_EN.replace("Subotica", "Sombor").encode())
    good["utf8-bom.txt"] = "Sombor"
    make_pdf(root / "good.pdf", ["The customs office in Horgos seized 40 kilograms of cannabis in March 2023."])
    good["good.pdf"] = "40 kilograms of cannabis"
    make_docx(root / "good.docx", ["Police in Nis arrested two couriers carrying amphetamine tablets."])
    good["good.docx"] = "amphetamine tablets"
    put("article.html", "<html><head><title>Seizure at Preševo</title></head><body><nav>Home | News | About</nav>"
        "<article><h1>Seizure at Preševo</h1><p>Officers at the Preševo crossing found 30 kilograms of heroin "
        "in the fuel tank of a bus travelling from Skopje to Belgrade.</p><p>Two passengers were detained and "
        "the investigation continues under the supervision of the prosecutor.</p></article></body></html>")
    good["article.html"] = "fuel tank of a bus"
    put("scripts.html", "<html><head>" + f"<script>{SCRIPT_SECRET}</script>" * 2000 + "<style>p{color:red}</style>"
        "</head><body>" + "<script>document.write('ad');</script>" * 2000 +
        "<p>The harbour police in Bar intercepted a yacht carrying two tonnes of cocaine from Ecuador, and the "
        "crew of five was handed over to the special prosecutor for organised crime.</p>"
        + "<script>track();</script>" * 2000 + "</body></html>")
    good["scripts.html"] = "two tonnes of cocaine"
    put("nested.html", "<html><body>" + "<div>" * 100_000 + "The nested page says the river police seized "
        "a boat with heroin on the Danube near Smederevo." + "</div>" * 100_000 + "</body></html>")
    good["nested.html"] = "boat with heroin on the Danube"
    put("x.txt/inside.md", "# Inside a directory named like a file\n\nThe Zrenjanin police seized ecstasy pills.\n")
    good["x.txt/inside.md"] = "ecstasy pills"
    phrase = "the border police of Serbia seized heroin on the Balkan route and the prosecutor opened a case "
    put("one-line-5mb.txt", (phrase * (5 * MB // len(phrase) + 1))[: 5 * MB])  # one line, no sentence end
    good["one-line-5mb.txt"] = "seized heroin on the Balkan route"
    put("huge-word.txt", "Supercalifragilisticexpialidocious" * 30_000)  # one 1 MB word, no spaces at all
    good["huge-word.txt"] = "Supercalifragilistic"
    put("nul-after-4k.txt", GOOD_EN * 60 + "\x00\x00" + "The tail mentions Vranje.\n")  # NULs past the sniffing window
    good["nul-after-4k.txt"] = "The tail mentions Vranje."
    unreadable = put("unreadable.txt", "The Pirot police report on synthetic drugs.\n")
    unreadable.chmod(0)
    if os.access(unreadable, os.R_OK):  # root reads it anyway: then it must simply be indexed
        good["unreadable.txt"] = "synthetic drugs"
    else:
        bad["unreadable.txt"] = "permission denied"

    # --- bad files: each must be skipped with a reason a person can act on ----------------------------
    put("empty.txt", b"")
    bad["empty.txt"] = r"is empty"
    put("whitespace.txt", " \n\t\n   \r\n" * 1000)
    bad["whitespace.txt"] = r"no text"
    put("bom-only.txt", b"\xef\xbb\xbf")
    bad["bom-only.txt"] = r"no text"
    put("markup-only.md", "# \n\n---\n\n***\n\n| | |\n|-|-|\n\n<!-- -->\n\n> \n\n* * *\n")
    bad["markup-only.md"] = r"no (text|words)"
    put("binary.txt", bytes(rng.randrange(256) for _ in range(64 * 1024)))
    bad["binary.txt"] = r"binary|not text"
    put("nul-bytes.txt", b"Police report\x00\x00\x00 with NUL bytes\x00 in it. " * 200)
    bad["nul-bytes.txt"] = r"binary"
    put("control-chars.txt", "".join(chr(rng.choice([1, 2, 3, 5, 6, 7, 8, 14, 15, 16, 27])) + "ab"
                                     for _ in range(20_000)))
    bad["control-chars.txt"] = r"binary"
    put("bad-utf16-odd.txt", b"\xff\xfe" + "Police report".encode("utf-16-le") + b"\x00")
    bad["bad-utf16-odd.txt"] = r"UTF-16"
    put("bad-utf16-surrogate.txt", b"\xff\xfe" + "Police".encode("utf-16-le") + b"\x00\xd8" + "x".encode("utf-16-le"))
    bad["bad-utf16-surrogate.txt"] = r"UTF-16"
    big = root / "huge-50mb.txt"
    with big.open("wb") as f:
        line = (GOOD_EN * 10).encode()
        for _ in range(50 * MB // len(line) + 1):
            f.write(line)
    bad["huge-50mb.txt"] = r"MB limit"
    put("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nbroken beyond repair")
    bad["broken.pdf"] = r"not a readable PDF"
    whole = make_pdf(root / "tmp.pdf", ["The Kraljevo police found heroin in a car."]).read_bytes()
    (root / "tmp.pdf").unlink()
    put("truncated.pdf", whole[: len(whole) // 2])
    bad["truncated.pdf"] = r"not a readable PDF"
    put("cyclic-pages.pdf", whole.replace(b"/Kids [3 0 R]", b"/Kids [2 0 R 3 0 R]"))
    bad["cyclic-pages.pdf"] = r"not a readable PDF"
    stream = zlib.compress(b" " * (200 * MB), 9)  # 200 MB of spaces in a 200 KB content stream
    put("flate-bomb.pdf", pdf_bytes([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n" + stream + b"\nendstream",
    ]))
    bad["flate-bomb.pdf"] = r"no text layer|not a readable PDF"
    chart = make_pdf(root / "tmp.pdf", ["0.00 0.25 0.50 0.75 1.00", "2019 2020 2021 2022"]).read_bytes()
    (root / "tmp.pdf").unlink()
    put("chart-only.pdf", chart)  # a chart's axes: figures, no words
    bad["chart-only.pdf"] = r"has no words, only markup, figures or punctuation"
    put("text-posing-as.pdf", GOOD_EN)
    bad["text-posing-as.pdf"] = r"is not a PDF \(its content does not start as a PDF.s does\); if it is text, rename it \.txt"
    put("not-a-zip.docx", "This is plain text with a .docx name.\n")
    bad["not-a-zip.docx"] = r"not a \.docx file"
    with zipfile.ZipFile(root / "zip-bomb.docx", "w", zipfile.ZIP_DEFLATED) as z, \
            z.open("word/document.xml", "w") as member:
        for _ in range(150):  # 150 MB of zeros, about 150 KB packed
            member.write(bytes(MB))
    bad["zip-bomb.docx"] = r"zip bomb"
    with zipfile.ZipFile(root / "other-zip.docx", "w") as z:
        z.writestr("hello.txt", "a zip file, but not a Word document")
    bad["other-zip.docx"] = r"not a Word document"
    template = make_docx(root / "tmp.docx", ["template"])
    _docx_with(root / "damaged.docx", template, b"<w:document><w:body><unclosed")
    bad["damaged.docx"] = r"damaged Word document"
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                         for i in range(1, 10))
              + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>")
    _docx_with(root / "billion-laughs.docx", template, laughs)
    template.unlink()
    bad["billion-laughs.docx"] = r"damaged Word document"
    put("only-scripts.html", "<html><head>" + f"<script>{SCRIPT_SECRET}</script>" * 500 + "</head><body>"
        + "<script>x()</script><style>p{}</style>" * 500 + "</body></html>")
    bad["only-scripts.html"] = r"no text"
    put("binary.html", bytes(rng.randrange(256) for _ in range(32 * 1024)))
    bad["binary.html"] = r"binary|not text"
    put("notes.xyz", "unsupported extension")
    bad["notes.xyz"] = r"not supported"
    put("README", "no extension at all")
    bad["README"] = r"has no extension, so it is not read: only files ending in .docx"
    (root / "loop.txt").symlink_to("loop.txt")  # a symlink loop
    bad["loop.txt"] = r"cannot be read|not a regular file"
    (root / "dangling.txt").symlink_to(root / "gone.txt")
    bad["dangling.txt"] = r"cannot be read|no such file"
    (root / "dev-zero.txt").symlink_to("/dev/zero")  # endless: must never be read
    bad["dev-zero.txt"] = r"not a regular file"
    os.mkfifo(root / "pipe.txt")  # reading it would block forever
    bad["pipe.txt"] = r"not a regular file"
    (root / "sub").mkdir()
    (root / "sub" / "back").symlink_to("..", target_is_directory=True)  # a directory loop: walked once
    with open(os.fsencode(root) + b"/bad-\xff-name.txt", "wb") as f:  # a file name that is not UTF-8
        f.write(GOOD_EN.encode())
    bad["bad-\ufffd-name.txt"] = r"not valid UTF-8"
    missing = root.parent / "no-such-folder"
    bad[str(missing)] = r"no such file"
    return good, bad, big, [missing]


def _key(path: str, root: Path) -> str:
    p = Path(path)
    return str(p.relative_to(root)) if p.is_relative_to(root) else path


@pytest.mark.slow
def test_hostile_corpus_is_indexed_or_skipped_with_reasons(tmp_path):
    root = tmp_path / "corpus"
    good, bad, big, extra = build_corpus(root)
    assert len(bad) >= 20
    home = tmp_path / "home"
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "sitecustomize.py").write_text(PROBE)
    opened = tmp_path / "opened.log"
    control = root / "report-en.txt"  # read like any good file: shows the probe sees opens at all
    env = os.environ | {"ASSISTANT_HOME": str(home), "PYTHONPATH": os.pathsep.join(filter(None, [str(probe), os.environ.get("PYTHONPATH")])), "HOSTILE_OPEN_LOG": str(opened),
                        "HOSTILE_WATCH": os.pathsep.join([str(big), str(control)])}
    out, err = (tmp_path / "stdout").open("wb"), (tmp_path / "stderr").open("wb")
    started = time.monotonic()
    proc = subprocess.Popen([str(BIN), "ingest", str(root), *map(str, extra), "--json"], stdout=out, stderr=err,
                            env=env)
    watchdog = threading.Timer(TIMEOUT, proc.kill)
    watchdog.start()
    try:
        # wait4 reports this child's own peak RSS, not that of every child the test run has had.
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        watchdog.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    out.close()
    err.close()
    stderr = (tmp_path / "stderr").read_text("utf-8", "replace")
    peak_mb = usage.ru_maxrss / 1024
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "hostile.json").write_text(json.dumps(
        {"files": len(good) + len(bad), "bad": len(bad), "seconds": round(elapsed, 1), "peak_rss_mb": round(peak_mb)}))
    print(f"hostile ingest: {len(good)} good + {len(bad)} bad files in {elapsed:.1f}s, peak RSS {peak_mb:.0f} MB")

    assert proc.returncode != -9, f"ingest did not finish within {TIMEOUT}s (a hang)"
    assert "Traceback" not in stderr, stderr[-3000:]
    assert proc.returncode == 1, stderr[-3000:]
    report = json.loads((tmp_path / "stdout").read_text("utf-8"))
    skipped = {_key(s["path"], root): s["reason"] for s in report["skipped"]}
    assert set(skipped) == set(bad), f"unexpected: {set(skipped) - set(bad)}; missing: {set(bad) - set(skipped)}"
    for name, pattern in bad.items():
        assert re.search(pattern, skipped[name], re.I), (name, skipped[name])
        assert "Traceback" not in skipped[name] and len(skipped[name]) < 300

    store = Store(Settings(home=home))
    records = store.records()
    by_source = {_key(r.source, root): r for r in records.values()}
    assert set(by_source) == set(good)
    assert report["documents"] == len(good) and report["new"] == len(good)
    assert report["chunks_embedded"] == report["chunks"] == sum(r.chunks for r in records.values())
    assert report["sentences_embedded"] >= 0
    assert len({r.doc_id for r in records.values()}) == len(good)
    assert all(0 < len(r.title) <= 160 for r in records.values())  # every chunk's metadata carries the title
    for name, phrase in good.items():
        rec = by_source[name]
        assert rec.state == "complete" and rec.chunks > 0, name
        text = store.document_text(rec.doc_id)
        assert phrase in text, (name, text[:200])
    assert SCRIPT_SECRET not in store.document_text(by_source["scripts.html"].doc_id)
    assert "\x00" not in store.document_text(by_source["nul-after-4k.txt"].doc_id)

    # The 5 MB line went through chunking whole: every chunk sits at its offsets and none is oversized.
    line = by_source["one-line-5mb.txt"]
    text = store.document_text(line.doc_id)
    got = store.get_document_parts(store.chunks, line.doc_id, embeddings=False)
    assert len(got["ids"]) == line.chunks > 5 * MB // 2000
    spans = sorted((m["start"], m["end"]) for m in got["metadatas"])
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(not text[a[1]:b[0]].strip() for a, b in zip(spans, spans[1:], strict=False))  # nothing left out
    for chunk, meta in zip(got["documents"], got["metadatas"], strict=True):
        assert text[meta["start"]:meta["end"]] == chunk and len(chunk) < 3000

    seen = opened.read_text("utf-8", "replace").splitlines()
    assert os.path.realpath(control) in seen
    assert os.path.realpath(big) not in seen, "the file over the limit was opened: its size must be checked first"
    assert peak_mb < RSS_LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"
    big.unlink()  # 50 MB that pytest would otherwise keep with the last few temp dirs


# --- inputs that were quadratic: each must take time in proportion to its size -----------------------------


def _seconds(fn, text: str) -> float:
    started = time.perf_counter()
    fn(text)
    return time.perf_counter() - started


@pytest.mark.parametrize(
    ("name", "fn", "make"),
    [
        ("html without a single '>'", _html_fallback, lambda n: "Police seized heroin. " + "<" * n),
        ("unclosed comments", _html_fallback, lambda n: "Police seized heroin. " + "<!--" * (n // 4)),
        ("unclosed scripts", _html_fallback, lambda n: "Police seized heroin. " + "<script>" * (n // 8)),
        ("unclosed <br", _html_fallback, lambda n: "Police seized heroin. " + "<br" * (n // 3)),
        ("a line of tabs at the top", clean, lambda n: "a" + "\t" * n + "b\nPolice seized heroin.\n"),
    ],
)
def test_cleaning_is_linear_on_hostile_markup(name, fn, make):
    small, large = _seconds(fn, make(25_000)), _seconds(fn, make(200_000))
    # Linear: 8x the input takes about 8x the time; quadratic would take 64x (and minutes at 1 MB).
    assert large < max(1.0, 20 * small), f"{name}: {small:.3f}s for 25k chars, {large:.3f}s for 200k"


def test_sentence_splitting_is_linear_in_a_long_word():
    from assistant.text import sentence_spans

    def make(n: int) -> str:
        return "Intro sentence. " + "x" * n + " and more. Next sentence."

    small, large = _seconds(sentence_spans, make(2_000)), _seconds(sentence_spans, make(16_000))
    assert large < max(0.05, 20 * small), f"{small:.4f}s for 2k chars, {large:.4f}s for 16k"
