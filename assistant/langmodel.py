"""py3langid's character n-gram model, restricted to the languages of the reports and kept, so restricted,
in the data directory: the package ships it LZMA-packed with 97 languages, and unpacking it costs ~0.7 s of
a cold question; the restricted copy (~2 MB) loads in a fifth of that."""

from __future__ import annotations

import os
from array import array
from functools import lru_cache
from pathlib import Path

# What the model may say a text is in, and the language here it stands for: Serbian written in Latin is,
# letter for letter, also Croatian or Bosnian.
MODEL_LANGUAGES = {"en": "en", "ru": "ru", "sr": "sr", "hr": "sr", "bs": "sr"}

_SAVED: list[Path] = []  # where the data directory keeps the restricted model (see use_saved_model)


def use_saved_model(path: Path) -> None:
    """Load the model from path when it was saved from the installed py3langid; otherwise, once it is
    loaded from the package, save it there."""
    _SAVED[:] = [Path(path)]
    if character_model.cache_info().currsize and character_model() is not None and not _is_current(Path(path)):
        _save(Path(path), character_model())  # loaded before this data directory was known


def _key() -> str:
    """Return what the saved model is made from: py3langid's version and the languages kept."""
    from importlib.metadata import version

    return f"py3langid {version('py3langid')}, languages {','.join(sorted(MODEL_LANGUAGES))}"


@lru_cache(maxsize=1)
def character_model():
    """Return py3langid's identifier restricted to MODEL_LANGUAGES, or None when it cannot be loaded (the
    package unpacks its model through a temporary file: a full or read-only temp directory)."""
    if _SAVED and (model := _read(_SAVED[0])) is not None:
        return model
    try:
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        model = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE)
        model.set_languages(list(MODEL_LANGUAGES))
    except (ImportError, OSError, ValueError):
        return None
    if _SAVED:
        _save(_SAVED[0], model)
    return model


def _unsigned(values) -> array:
    """Return values (a numpy array) as the stdlib array of the same width the identifier indexes per
    character."""
    import numpy as np

    out = array({2: "H", 4: "I", 8: "L"}[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out


def _is_current(path: Path) -> bool:
    """Return whether path holds a model saved under this _key() (reading the key alone)."""
    try:
        import numpy as np

        with np.load(path, allow_pickle=False) as saved:
            return str(saved["key"]) == _key()
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _read(path: Path):
    """Return the identifier saved in path if it was made under this _key(), else None."""
    try:
        import numpy as np
        from py3langid.langid import LanguageIdentifier

        with np.load(path, allow_pickle=False) as saved:
            if str(saved["key"]) != _key():
                return None
            return LanguageIdentifier(saved["ptc"], saved["pc"], saved["classes"].tolist(),
                                      _unsigned(saved["nextmove"]), saved["output"].tolist(),
                                      tk_row=_unsigned(saved["row"]))
    except (ImportError, OSError, ValueError, KeyError, TypeError):
        return None  # missing, damaged or another version's: loaded from the package and saved again


def _save(path: Path, model) -> None:
    import numpy as np

    try:  # atomic: a reader in another process sees the old file or the new one
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")
        np.savez_compressed(tmp, key=np.array(_key()), ptc=np.ascontiguousarray(model.nb_ptc),
                            pc=np.asarray(model.nb_pc), classes=np.array(model.nb_classes),
                            nextmove=np.asarray(model.tk_nextmove), row=np.asarray(model.tk_row),
                            output=np.asarray(model.tk_output, dtype=np.int32))
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass  # a read-only or not yet made data directory: loaded from the package again next time
