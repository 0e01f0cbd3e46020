"""Settings: where the store's collections are named (Settings.collection)."""

from __future__ import annotations

import pytest

from assistant.config import SERVER_COLLECTION_FILE, Settings, keep_server_collection

URL = "http://127.0.0.1:8000"


def test_an_embedded_store_and_a_named_library_keep_their_names(tmp_path, monkeypatch):
    assert Settings(home=tmp_path / "a").collection == "reports"
    assert Settings(home=tmp_path / "a", chroma_url=URL, collection="shared").collection == "shared"
    monkeypatch.setenv("ASSISTANT_COLLECTION", "shared")
    assert Settings.from_env(home=tmp_path / "a", chroma_url=URL).collection == "shared"
    monkeypatch.delenv("ASSISTANT_COLLECTION")
    assert Settings.from_env(home=tmp_path / "a").collection == "reports"


def test_each_data_directory_has_its_own_library_on_a_server(tmp_path):
    """Named after the folder (and machine) until its first write records the name, which then stays when the
    folder is moved; the name is made without writing anything."""
    first = Settings.from_env(home=tmp_path / "first", chroma_url=URL)
    second = Settings(home=tmp_path / "second", chroma_url=URL)
    assert first.collection.startswith("reports-") and second.collection.startswith("reports-")
    assert first.collection != second.collection
    assert Settings(home=tmp_path / "first", chroma_url=URL).collection == first.collection
    assert not (tmp_path / "first").exists()
    keep_server_collection(first)
    assert (tmp_path / "first" / SERVER_COLLECTION_FILE).read_text("utf-8").strip() == first.collection
    (tmp_path / "first").rename(tmp_path / "moved")
    assert Settings(home=tmp_path / "moved", chroma_url=URL).collection == first.collection


@pytest.mark.parametrize("named", [False, True])
def test_a_data_directory_that_used_a_server_before_keeps_reports(tmp_path, named):
    """One holding a keyword index and no embedded store was filled on a server before data directories had
    names of their own: its store is `reports-*`, and its next write records that (not a name given by
    ASSISTANT_COLLECTION for that run)."""
    home = tmp_path / "home"
    (home / "keyword").mkdir(parents=True)
    settings = Settings(home=home, chroma_url=URL, collection="other" if named else "")
    assert settings.collection == ("other" if named else "reports")
    keep_server_collection(settings)
    assert (home / SERVER_COLLECTION_FILE).exists() is not named
    assert Settings(home=home, chroma_url=URL).collection == "reports"
    (home / "chroma").mkdir()  # an embedded store's folder: a data directory of this build's, not one from before
    if named:
        assert Settings(home=home, chroma_url=URL).collection.startswith("reports-")
