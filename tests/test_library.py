"""The web app's library worker as a person meets it with a big upload: the upload can be stopped, a delete
does not wait behind uploads still to come, a confirmed delete survives the server stopping, and uploads the
server stopped before adding are added after the page is up, not before it."""

from __future__ import annotations

import json
import shutil
import time

import pytest
import test_web
from conftest import SEEDS
from test_web_app import _big_report

from assistant.config import Settings
from assistant.core import Assistant
from assistant.keyword import KeywordIndex
from assistant.library import Worker, library_dir
from assistant.store import Store
from assistant.writelock import write_lock

browser, page = test_web.browser, test_web.page


def _home(seeded, tmp_path) -> Settings:
    home = tmp_path / "home"
    shutil.copytree(seeded.home, home)
    return Settings(home=home, seeds=SEEDS)


def _upload(settings: Settings, name: str, text: str):
    """Place a file in the library the way an upload does; return (path, newly placed)."""
    path = library_dir(settings) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path, True


def _until(check, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _finished(worker: Worker, jobs: int, timeout: float = 600.0) -> list[tuple[str, ...]]:
    """Return each finished job's messages, in the order the jobs finished, until jobs have finished."""
    seen, out = worker.status().version, []
    deadline = time.monotonic() + timeout
    while len(out) < jobs:
        assert time.monotonic() < deadline, f"only {len(out)} of {jobs} jobs finished: {out}"
        status = worker.status()
        if status.version != seen:
            assert status.version == seen + 1, "a job finished unseen"
            seen = status.version
            out.append(tuple(line for line, _ in status.messages))
        time.sleep(0.01)
    return out


def _consistent(settings: Settings) -> None:
    store = Store(settings)
    assert sorted(KeywordIndex(settings.keyword_path).ids) == sorted(store.chunks.get(include=[])["ids"])
    assert all(r.state == "complete" for r in store.records().values())


def test_a_big_upload_can_be_stopped_and_a_delete_does_not_wait_behind_uploads_still_to_come(seeded, tmp_path):
    settings = _home(seeded, tmp_path)
    assistant = Assistant(settings)
    worker = Worker(assistant)
    big = _upload(settings, "customs.txt", _big_report(600))
    small = _upload(settings, "kotor.txt", "Police in Kotor seized 93 kilograms of heroin hidden in a yacht in 2022.\n")
    worker.add([big])
    _until(lambda: worker.status().label.startswith("embedding customs.txt"))
    worker.add([small])
    worker.delete("002_c41756f9194e43e0")  # asked for after the small upload, done before it
    assert worker.status().waiting == 2
    assert worker.stop()
    jobs = _finished(worker, 3)
    assert jobs[0] == ("Stopped: customs.txt was not added.",)
    assert jobs[1][0].startswith("Deleted ") and jobs[2][0].startswith("Added kotor.txt")
    records = assistant.records
    assert "customs" not in records and "kotor" in records and "002_c41756f9194e43e0" not in records
    assert not big[0].exists() and small[0].exists()  # a stopped upload does not stay in the library
    _consistent(settings)
    assert not worker.stop()  # nothing is being added now
    assert "Kotor" in assistant.ask("How much heroin was seized in Kotor?").answer


def test_an_upload_stopped_after_its_first_files_keeps_them(seeded, tmp_path):
    settings = _home(seeded, tmp_path)
    assistant = Assistant(settings)
    worker = Worker(assistant)
    first = _upload(settings, "a-kotor.txt", "Police in Kotor seized 93 kilograms of heroin hidden in a yacht in 2022.\n")
    second = _upload(settings, "b-customs.txt", _big_report(600))
    worker.add([first, second])
    _until(lambda: worker.status().label.startswith("embedding b-customs.txt"))
    worker.stop()
    (messages,) = _finished(worker, 1)
    assert messages[0].startswith("Added a-kotor.txt before the stop") and "b-customs.txt was not added" in messages[1]
    assert "a-kotor" in assistant.records and "b-customs" not in assistant.records
    assert first[0].exists() and not second[0].exists()
    _consistent(settings)


def test_a_confirmed_delete_is_done_even_when_the_server_stops_first(seeded, tmp_path):
    settings = _home(seeded, tmp_path)
    doc_id = "002_c41756f9194e43e0"
    with write_lock(settings.home):  # the worker cannot start it: an ingest, or a long upload, holds the store
        before = Worker(Assistant(settings))
        before.delete(doc_id)
        _until(lambda: "waiting for another ingest" in before.status().label)
        assert json.loads((settings.home / "pending-deletes.json").read_text("utf-8")) == [doc_id]
        # The server stops here; the next one finds the delete the person confirmed.
        after = Worker(Assistant(settings))
        assert after.status().waiting + after.status().busy >= 1
    after.wait()
    before.wait()
    assert doc_id not in Store(settings).records()
    assert not (settings.home / "pending-deletes.json").exists()
    _consistent(settings)


def test_uploads_the_server_stopped_before_adding_are_added_after_the_page_is_up(seeded, tmp_path):
    import httpx
    from test_faults import free_port

    from assistant.web import serve

    settings = _home(seeded, tmp_path)
    path, _ = _upload(settings, "customs.txt", _big_report(150))  # placed, never indexed: the server stopped
    port = free_port()
    app = serve(settings, port=port, ingest_first=True, block=False)
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200
        assert "customs" not in Store(settings).records()  # the page is up before the upload is in
        done = app.library_worker.wait()
        assert any(line.startswith("Added customs.txt") for line, _ in done.messages), done.messages
        assert "customs" in Store(settings).records() and path.exists()
    finally:
        app.close()


@pytest.mark.browser
def test_stop_adding_in_the_browser(seeded, page, tmp_path):
    from test_web import launch, open_app

    from assistant.web import build_app

    settings = _home(seeded, tmp_path)
    app = build_app(Assistant(settings))
    try:
        url = launch(app)
        open_app(page, url)
        page.get_by_role("tab", name="Library").click()
        page.click("#stop-upload")
        page.locator("#upload-status", has_text="No upload is being added").wait_for(timeout=30000)
        report = tmp_path / "up" / "customs.txt"
        report.parent.mkdir()
        report.write_text(_big_report(600), encoding="utf-8")
        page.set_input_files("#upload input[type=file]", [str(report)])
        page.wait_for_function("() => /embedding customs.txt \\d+\\/\\d+/.test("
                               "document.querySelector('#upload-status').innerText)", timeout=60000)
        page.click("#stop-upload")
        page.locator("#upload-status", has_text="Stopped: customs.txt was not added.").wait_for(timeout=120000)
        assert not (library_dir(settings) / "customs.txt").exists()
        assert page.locator("#library tr[data-doc='customs']").count() == 0
    finally:
        app.close()


def test_uploading_a_file_the_library_holds_already_says_so(seeded, tmp_path):
    settings = _home(seeded, tmp_path)
    worker = Worker(Assistant(settings))
    first = _upload(settings, "kotor.txt", "Police in Kotor seized 93 kilograms of heroin hidden in a yacht in 2022.\n")
    worker.add([first])
    assert worker.wait().messages[0][0].startswith("Added kotor.txt")
    worker.add([(first[0], False)])  # the same bytes again: place_upload found them there
    assert [line for line, _ in worker.wait().messages] == ["kotor.txt is in the library already, unchanged."]


def test_a_new_version_uploaded_under_a_name_the_library_has_replaces_it_and_a_broken_one_loses_nothing(seeded, tmp_path):
    from assistant.library import place_upload

    settings = _home(seeded, tmp_path)
    assistant = Assistant(settings)
    worker, folder = Worker(assistant), library_dir(settings)
    upload = tmp_path / "up" / "port.txt"
    upload.parent.mkdir()
    upload.write_text("The port of Bar handled 2.1 million tonnes of cargo in 2021.\n", "utf-8")
    worker.add([place_upload(upload, folder)])
    assert [line for line, _ in worker.wait().messages] == ["Added port.txt: you can ask about it now."]
    upload.write_text("The port of Bar handled 2.4 million tonnes of cargo in 2021.\n", "utf-8")
    worker.add([place_upload(upload, folder)])
    assert [line for line, _ in worker.wait().messages] == [
        "Replaced port.txt with the version just uploaded: answers now come from it."]
    assert sorted(p.name for p in folder.iterdir()) == ["port.txt"]  # one report, the earlier version gone
    assert [d.doc_id for d in assistant.documents() if d.doc_id.startswith("port")] == ["port"]
    answer = assistant.ask("How much cargo did the port of Bar handle in 2021?")
    assert "2.4 million" in answer.answer and "2.1 million" not in answer.answer
    # A new version that cannot be read is not added, and the version before it stays, answered from.
    upload.write_bytes(b"\x00\x01\x02" * 50)
    worker.add([place_upload(upload, folder)])
    (line, bad), = worker.wait().messages
    assert bad and line.startswith("port.txt was not added") and line.endswith("the earlier port.txt is kept")
    assert "2.4 million" in (folder / "port.txt").read_text("utf-8") and not (folder / ".port.txt.previous").exists()
    assert "2.4 million" in assistant.ask("How much cargo did the port of Bar handle in 2021?").answer


def test_an_upload_that_mostly_repeats_a_report_is_added_and_named_as_a_version_of_it(seeded, tmp_path):
    settings = _home(seeded, tmp_path)
    worker = Worker(Assistant(settings))
    text = (SEEDS / "002_c41756f9194e43e0.txt").read_text("utf-8").replace("2021-2025", "2021-2026")
    worker.add([_upload(settings, "csto-corrected.txt", text)])
    added, version = [line for line, _ in worker.wait().messages]
    assert added.startswith("Added csto-corrected.txt")
    assert version.startswith("csto-corrected.txt repeats") and "002_c41756f9194e43e0.txt" in version
    assert version.endswith("if one of them is an older version, delete it below.")


def test_a_single_upload_is_not_said_to_have_one_more_waiting(seeded, tmp_path, monkeypatch):
    settings = _home(seeded, tmp_path)
    monkeypatch.setattr(Worker, "_run", lambda self: None)  # jobs stay queued, as for a moment after asking
    worker = Worker(Assistant(settings))
    worker.add([_upload(settings, "one.txt", "One report.\n")])
    assert worker.status().waiting == 0
    worker.add([_upload(settings, "two.txt", "Another report.\n")])
    assert worker.status().waiting == 1


def test_a_refused_upload_s_reason_does_not_name_the_file_again():
    from assistant.library import plain_reason

    assert plain_reason("/tmp/u/empty.txt is empty", "/tmp/u/empty.txt") == "it is empty"
    assert plain_reason("/tmp/u/prices.csv: .csv is not supported", "/tmp/u/prices.csv") == ".csv is not supported"
    assert plain_reason("/tmp/u/a.pdf could not be read (ValueError: bad xref)", "/tmp/u/a.pdf").startswith(
        "it could not be read: the file may be damaged")
