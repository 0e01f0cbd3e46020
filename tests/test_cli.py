"""The CLI through its real entry point (the installed `assistant` script), JSON shapes included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import SEEDS, seed_copies

BIN = Path(sys.executable).parent / "assistant"
INGEST_KEYS = {"documents": int, "new": int, "changed": int, "removed": int, "unchanged": int, "chunks": int,
               "chunks_embedded": int, "skipped": list, "duplicates": list, "similar": list}


def run(*args, home: Path, check_code: int | None = 0) -> subprocess.CompletedProcess:
    env = os.environ | {"ASSISTANT_HOME": str(home)}
    proc = subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env, timeout=600)
    if check_code is not None:
        assert proc.returncode == check_code, proc.stderr
    return proc


def test_ingest_json_twice_then_status(tmp_path, corpus):
    home = tmp_path / "h"
    first = json.loads(run("ingest", str(corpus), "--json", home=home).stdout)
    for key, kind in INGEST_KEYS.items():
        assert isinstance(first[key], kind), key
    assert (first["documents"], first["new"], first["skipped"]) == (2, 2, [])
    assert first["chunks_embedded"] == first["chunks"] > 0
    second = json.loads(run("ingest", str(corpus), "--json", home=home).stdout)
    assert (second["chunks_embedded"], second["unchanged"]) == (0, 2)
    status = run("status", home=home).stdout
    assert "002_c41756f9194e43e0" in status and "2021-01-01" in status and " en " in status


def test_ingest_names_an_edited_copy_and_how_to_remove_the_older_version(tmp_path, corpus):
    edited = tmp_path / "edited" / "csto-corrected.txt"
    edited.parent.mkdir()
    edited.write_text((corpus / "002_c41756f9194e43e0.txt").read_text("utf-8").replace("XXIII", "XXIV"), "utf-8")
    proc = run("ingest", str(corpus), str(edited.parent), home=tmp_path / "h")
    (line,) = [line for line in proc.stderr.splitlines() if line.startswith("note:")]
    assert str(edited) in line and "002_c41756f9194e43e0" in line and "assistant delete" in line


def test_ingest_exit_codes(tmp_path, corpus):
    home = tmp_path / "h"
    (corpus / "empty.txt").write_bytes(b"")
    proc = run("ingest", str(corpus), "--json", home=home, check_code=1)
    out = json.loads(proc.stdout)
    assert out["documents"] == 2 and [s["path"].endswith("empty.txt") for s in out["skipped"]] == [True]
    assert run("ingest", "--no-such-flag", home=home, check_code=2).stderr
    human = run("ingest", str(tmp_path / "nowhere"), home=home, check_code=2)  # a usage error (issue 15)
    assert "does not exist" in human.stderr
    scripted = run("ingest", str(tmp_path / "nowhere"), "--json", home=home, check_code=2)
    assert "does not exist" in json.loads(scripted.stdout)["error"]
    (tmp_path / "a-file").write_text("not a folder")
    wrong_home = run("status", home=tmp_path / "a-file", check_code=2)
    assert "is a file" in wrong_home.stderr and "Traceback" not in wrong_home.stderr


def test_default_path_is_seeds(tmp_path):
    home = tmp_path / "h"
    env_cwd = SEEDS.parent
    proc = subprocess.run([str(BIN), "status"], capture_output=True, text=True, cwd=env_cwd,
                          env=os.environ | {"ASSISTANT_HOME": str(home)}, timeout=60)
    assert proc.returncode == 0 and "assistant ingest" in proc.stdout


def test_module_entry_and_help():
    proc = subprocess.run([sys.executable, "-m", "assistant", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for command in ("ingest", "status"):
        assert command in proc.stdout


def test_status_shows_a_date_taken_from_the_twin(seeded):
    lines = {line[:3]: line for line in run("status", home=seeded.home).stdout.splitlines()}
    assert "2021-10-19" in lines["000"] and "date from it" in lines["000"]
    assert "2021-10-19" in lines["001"] and "date from it" not in lines["001"]
    records = {r["doc_id"][:3]: r for r in json.loads(run("status", "--json", home=seeded.home).stdout)}
    assert records["000"]["date_from"] == records["001"]["doc_id"] and records["004"]["date"] == ""


def test_status_and_ask_name_documents_embedded_another_way_and_an_ingest_of_any_folder_remakes_them(tmp_path, corpus):
    from assistant.config import Settings
    from assistant.store import Store

    home = tmp_path / "h"
    run("ingest", str(corpus), home=home)
    assert "embedded another way" not in run("status", home=home).stdout
    store = Store(Settings(home=home, seeds=SEEDS))
    ids = sorted(store.records())
    store.documents.update(ids=ids[:1], metadatas=[{"vectors": "mean"}])  # another Settings.chunk_vectors
    assert "1 of 2 documents was embedded another way" in run("status", home=home).stdout
    asked = run("ask", "--json", "What did DPNSEE say?", home=home)  # answered, with a note beside it
    assert json.loads(asked.stdout)["question"] and "note: 1 of 2 documents was embedded" in asked.stderr
    chatted = subprocess.run([str(BIN), "chat"], input="What did DPNSEE say?\n", capture_output=True, text=True,
                             env=os.environ | {"ASSISTANT_HOME": str(home)}, timeout=600)
    assert chatted.returncode == 0 and "note: 1 of 2 documents was embedded" in chatted.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "note.txt").write_text("A short note about nothing in the reports, long enough to index.\n")
    out = json.loads(run("ingest", str(elsewhere), "--json", home=home).stdout)
    assert (out["revectored"], out["new"], out["documents"]) == (1, 1, 3)
    assert "embedded another way" not in run("status", home=home).stdout
    assert "note:" not in run("ask", "What did DPNSEE say?", home=home).stderr


def test_show_prints_what_each_citation_points_to(seeded):
    answer = json.loads(run("ask", "Where was the G8 experts meeting held?", "--json", home=seeded.home).stdout)
    assert answer["citations"]
    for c in answer["citations"]:
        shown = json.loads(run("show", c["doc_id"], f"{c['start']}:{c['end']}", "--json", home=seeded.home).stdout)
        assert shown["text"] == c["text"] and (shown["start"], shown["end"]) == (c["start"], c["end"])
        assert run("show", c["doc_id"], f"[{c['start']}:{c['end']}]", home=seeded.home).stdout.strip() == c["text"].strip()
    whole = run("show", answer["citations"][0]["doc_id"], home=seeded.home).stdout
    assert answer["citations"][0]["text"] in whole
    assert "not indexed" in run("show", "nosuch", home=seeded.home, check_code=2).stderr
    assert "START:END" in run("show", answer["citations"][0]["doc_id"], "a:b", home=seeded.home, check_code=2).stderr
    assert "outside" in run("show", answer["citations"][0]["doc_id"], "0:99999999", home=seeded.home,
                            check_code=2).stderr


def test_a_question_of_dash_is_read_from_stdin(seeded):
    env = os.environ | {"ASSISTANT_HOME": str(seeded.home)}
    piped = subprocess.run([str(BIN), "ask", "-", "--json"], input="What did DPNSEE say?\n", capture_output=True,
                           text=True, env=env, timeout=300)
    assert piped.returncode == 0, piped.stderr
    answer = json.loads(piped.stdout)
    assert answer["question"].strip() == "What did DPNSEE say?" and answer["found"]
    both = subprocess.run([str(BIN), "ask", "-", "--history", "-"], input="[]", capture_output=True, text=True,
                          env=env, timeout=300)
    assert both.returncode == 2 and "cannot both be read from stdin" in both.stderr
    # Piped in another encoding (a Windows console's UTF-16 or code page), it is read as --history is.
    for encoding in ("utf-16", "cp1250"):
        other = subprocess.run([str(BIN), "ask", "-", "--json"], input="Šta je rekao DPNSEE?\n".encode(encoding),
                               capture_output=True, env=env, timeout=300)
        assert other.returncode == 0, other.stderr
        assert json.loads(other.stdout)["question"].strip() == "Šta je rekao DPNSEE?", encoding
    binary = subprocess.run([str(BIN), "ask", "-"], input=bytes(range(256)), capture_output=True, env=env,
                            timeout=300)
    assert binary.returncode == 2 and b"binary" in binary.stderr and b"Traceback" not in binary.stderr
    # A megabyte pasted by mistake is refused, and its error object names it without echoing it whole.
    huge = subprocess.run([str(BIN), "ask", "-", "--json"], input="why " * 250_000, capture_output=True, text=True,
                          env=env, timeout=300)
    refused = json.loads(huge.stdout)
    assert huge.returncode == 2 and "the limit is 4,000" in refused["error"] and not refused["found"]
    assert len(huge.stdout) < 1000 and refused["question"].startswith("why why")
    # the two say one length: the question as typed, without the space and line break it ends with
    assert "(999,999 characters)" in refused["question"] and "is 999,999 characters long" in refused["error"]


def test_counts_of_one_are_singular(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "note.txt").write_text("A short note about a meeting of experts, long enough to index.\n")
    home = tmp_path / "h"
    ingested = run("ingest", str(notes), home=home).stdout
    assert ingested.startswith("1 document indexed (1 chunk): 1 new,") and "; 1 chunk indexed," in ingested
    assert "documents" not in ingested and "chunks" not in ingested
    healthy = run("doctor", home=home).stdout
    assert healthy.startswith("healthy: 1 document, 1 chunk, 1 sentence;"), healthy


def test_status_marks_a_document_a_stopped_ingest_left_unfinished(tmp_path, corpus):
    from assistant.config import Settings
    from assistant.store import Store

    home = tmp_path / "h"
    run("ingest", str(corpus), home=home)
    assert "unfinished" not in run("status", home=home).stdout
    ids = sorted(Store(Settings(home=home, seeds=SEEDS)).records())
    Store(Settings(home=home, seeds=SEEDS)).documents.update(ids=ids[:1], metadatas=[{"state": "pending"}])
    lines = run("status", home=home).stdout.splitlines()
    row = next(line for line in lines if line.startswith(ids[0]))
    assert row.endswith("(unfinished)") and not any(line.startswith(ids[1]) and "unfinished" in line for line in lines)
    assert f"1 document ({ids[0]}) was left unfinished by a stopped ingest" in lines[-1]
    assert "run `assistant ingest` again" in lines[-1]
    assert [r["state"] for r in json.loads(run("status", "--json", home=home).stdout)] == ["pending", "complete"]


def test_status_prints_ids_in_full_that_show_and_ask_accept(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    name = "commission_on_narcotic_drugs_first_intersessional_meeting_2021"  # longer than the old 28 columns
    (reports / f"{name}.txt").write_bytes((SEEDS / "001_23abd807676cf300.txt").read_bytes())
    home = tmp_path / "h"
    run("ingest", str(reports), home=home)
    header, line = run("status", home=home).stdout.splitlines()
    doc_id = line.split()[0]
    assert doc_id == name and header.index("lang") == line.index(" en ") + 1  # the columns still line up
    title = line.split("  ")[-1]
    assert len(title) == 60 and title.endswith("…") and title.startswith("The first intersessional meeting")
    assert "Commission on Narcotic Drugs" in run("show", doc_id, home=home).stdout
    asked = json.loads(run("ask", "--json", "--doc", doc_id, "Who opened the meeting?", home=home).stdout)
    assert {c["doc_id"] for c in asked["citations"]} <= {doc_id}


def test_show_names_an_empty_or_inverted_span(seeded):
    doc_id = "004_08540dc4f1130570"
    empty = run("show", doc_id, "5:5", home=seeded.home, check_code=2)  # had printed nothing and exited 0
    assert "5:5 is empty" in empty.stderr and not empty.stdout
    inverted = run("show", doc_id, "10:0", home=seeded.home, check_code=2)  # had been called "outside"
    assert "10:0 ends before it starts" in inverted.stderr and "(0:10)" in inverted.stderr
    assert "outside" not in inverted.stderr
    assert "whose text has" in run("show", doc_id, "0:99999999", home=seeded.home, check_code=2).stderr
    assert run("show", doc_id, "0:2", home=seeded.home).stdout == "G8\n"


def test_top_k_is_shown_as_a_number_in_help(tmp_path):
    for command in ("ask", "chat"):
        assert "--top-k INTEGER" in run(command, "--help", home=tmp_path / "h").stdout  # it had said TEXT


def test_a_file_with_no_extension_is_named_as_such(tmp_path):
    readme = tmp_path / "README"
    readme.write_text("Notes about the reports, long enough to be read as text.\n")
    for path in ("/dev/null", str(readme)):
        skipped = run("ingest", path, home=tmp_path / "h", check_code=1).stderr
        assert f"skipped: {path} has no extension, so it is not read: only files ending in" in skipped
        assert ".md, .pdf, .txt are" in skipped and "no extension is not supported" not in skipped


def test_a_markdown_file_of_front_matter_only_is_titled_from_it(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "titled.md").write_text("---\ntitle: Council minutes\n---\n")  # had been titled "---"
    (notes / "untitled.md").write_text("---\nauthor: The council secretary\n---\n")
    home = tmp_path / "h"
    run("ingest", str(notes), home=home)
    titles = {r["doc_id"]: r["title"] for r in json.loads(run("status", "--json", home=home).stdout)}
    assert titles == {"titled": "Council minutes", "untitled": "untitled.md"}
    assert "---" not in run("status", home=home).stdout


def test_asking_or_showing_at_a_mistyped_home_says_nothing_is_indexed_and_makes_no_folders(tmp_path):
    home = tmp_path / "typo" / "home"
    asked = run("ask", "--json", "What did DPNSEE say?", home=home, check_code=1)
    assert json.loads(asked.stdout)["error"].startswith("nothing is indexed yet")
    assert "nothing is indexed yet" in run("ask", "What did DPNSEE say?", home=home, check_code=1).stderr
    assert run("ask", "", home=home, check_code=2).stderr.count("the question is empty") == 1  # checked first
    for args in (("show", "seeds_000"), ("show", "seeds_000", "0:5")):
        assert "nothing is indexed yet" in run(*args, home=home, check_code=2).stderr
    assert not (tmp_path / "typo").exists()


def test_delete_removes_reports_by_id_and_leaves_their_files(tmp_path):
    folder = seed_copies(tmp_path / "reports", *(p.name for p in sorted(SEEDS.iterdir()) if p.name[:3] in ("000", "001", "004")))
    home = tmp_path / "h"
    run("ingest", str(folder), home=home)
    listed = {r["doc_id"]: r for r in json.loads(run("status", "--json", home=home).stdout)}
    serbian, english = (d for d in sorted(listed) if d[:3] in ("000", "001"))
    assert listed[serbian]["twin"] == english
    # An unknown id among known ones: nothing is removed, and the id is named.
    refused = run("delete", english, "nosuch", home=home, check_code=2)
    assert "nosuch is not indexed (nothing was deleted)" in refused.stderr and "Traceback" not in refused.stderr
    assert len(json.loads(run("status", "--json", home=home).stdout)) == 3
    done = json.loads(run("delete", english, "--json", home=home).stdout)
    assert done["deleted"] == [english] and "adds it back" in done["messages"][0]
    left = {r["doc_id"]: r for r in json.loads(run("status", "--json", home=home).stdout)}
    assert english not in left and left[serbian]["twin"] == ""  # its twin no longer points at it
    assert (folder / Path(listed[english]["source"]).name).exists()  # the file is the user's
    answer = json.loads(run("ask", "What did DPNSEE say?", "--json", home=home).stdout)
    assert answer["citations"] and all(c["doc_id"] != english for c in answer["citations"])
    assert english not in run("ask", "Where was the G8 experts meeting held?", home=home).stdout
    # The next ingest of the folder adds it back, linked again.
    run("ingest", str(folder), home=home)
    again = {r["doc_id"]: r for r in json.loads(run("status", "--json", home=home).stdout)}
    assert again[english]["twin"] == serbian
    assert "nothing is indexed yet" in run("delete", "x", home=tmp_path / "empty", check_code=2).stderr
    assert not (tmp_path / "empty").exists()


def test_delete_removes_an_uploads_copy_in_the_library_too(tmp_path):
    # The web app indexes its library folder's files at start: a deleted upload left there would come back.
    home = tmp_path / "h"
    home.mkdir()
    library = seed_copies(home / "library", "002_c41756f9194e43e0.txt")
    run("ingest", str(library), home=home)
    doc_id = json.loads(run("status", "--json", home=home).stdout)[0]["doc_id"]
    assert "and its file" in run("delete", doc_id, home=home).stdout
    assert not list(library.iterdir()) and json.loads(run("status", "--json", home=home).stdout) == []


def test_a_file_name_holding_a_line_break_is_shown_on_the_citation_s_line(capsys):
    # "names/evil\nname.txt" broke the citation's line in two ("— names/evil" / "name.txt [11:66]").
    from assistant.cli import _print_answer
    from assistant.types import Answer, Citation

    quote = "The ferry to Golubac runs four times a day."
    citation = Citation(1, "evil_name", "names/evil\nname.txt", "Ferry\ntimetable", "en", quote, 11, 54, 1.0)
    _print_answer(Answer("When does the ferry run?", f"{quote} [1]", True, (citation,)), as_json=False)
    assert capsys.readouterr().out.splitlines()[1:] == [
        "  [1] Ferry\\ntimetable — names/evil\\nname.txt [11:54] (en)"]
