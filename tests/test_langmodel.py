"""The character model that tells languages apart is kept, restricted, in the data directory: a later process
reads it from there and decides every text as the package's own model does."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Texts with no common word or one-alphabet letter either way: the character model decides each.
TEXTS = ["Какую роль играет Интерпол?", "nabroj glavne zakljucke konferencije", "Sednica saveta",
         "Kakva je uloga Interpola u regionu", "heroin seizures in the balkans", "Какая роль у комиссии",
         "Регионална сарадња и размена података", "otvaranje radionice u Sarajevu"]

SCRIPT = """
import json, sys
import py3langid.langid as langid
from assistant import langmodel
if sys.argv[2] == "without-package-model":  # the package's own file cannot be read: only the saved one can serve
    def refuse(*args, **kwargs):
        raise OSError("package model not read")
    langid.LanguageIdentifier.from_modelpath = classmethod(refuse)
langmodel.use_saved_model(sys.argv[1])
model = langmodel.character_model()
texts = json.loads(sys.argv[3])
print(json.dumps(None if model is None else [model.classify(t)[0] for t in texts]))
"""


def _classify(path, mode="normal"):
    """Return, from a new process with the saved model at path, the language the model gives each of TEXTS."""
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(path), mode, json.dumps(TEXTS)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _package_model_says():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    from assistant.langmodel import MODEL_LANGUAGES

    model = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE)
    model.set_languages(list(MODEL_LANGUAGES))
    return [model.classify(t)[0] for t in TEXTS]


def test_the_saved_model_decides_as_the_packages_and_is_read_without_it(tmp_path):
    path = tmp_path / "language_model.npz"
    assert _classify(tmp_path / "elsewhere.npz", "without-package-model") is None  # nothing saved: no model
    expected = _package_model_says()
    assert _classify(path) == expected and path.exists()  # loaded from the package, then saved
    assert path.stat().st_size < 5_000_000  # the restricted model, not the 97 languages'
    assert _classify(path, "without-package-model") == expected  # read from the data directory alone


def test_a_damaged_or_other_versions_file_is_replaced(tmp_path):
    import numpy as np

    path = tmp_path / "language_model.npz"
    path.write_bytes(b"not a model")
    expected = _package_model_says()
    assert _classify(path) == expected
    assert _classify(path, "without-package-model") == expected  # saved over the damaged file
    with np.load(path) as saved:
        arrays = {k: saved[k] for k in saved.files}
    np.savez_compressed(path, **{**arrays, "key": np.array("py3langid 0.0.1, languages en")})
    assert _classify(path, "without-package-model") is None  # another version's: not read
    assert _classify(path) == expected
    assert _classify(path, "without-package-model") == expected


def test_a_data_directory_that_cannot_be_written_does_not_stop_it(tmp_path):
    path = tmp_path / "not-made-yet" / "language_model.npz"
    assert _classify(path) == _package_model_says()
    assert not path.exists()


def test_an_assistant_keeps_the_model_in_its_data_directory(tmp_path, monkeypatch):
    from assistant import langmodel
    from assistant.config import Settings
    from assistant.core import Assistant

    monkeypatch.setattr(langmodel, "_SAVED", [])
    langmodel.character_model.cache_clear()
    try:
        home = tmp_path / "home"
        home.mkdir()
        settings = Settings(home=home)
        Assistant(settings).warm_up()  # the model is loaded by the warm-up, in the data directory's process
        assert settings.language_model_path.exists()
        assert langmodel._is_current(settings.language_model_path)
    finally:
        langmodel.character_model.cache_clear()
