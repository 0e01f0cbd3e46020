"""Integrity checks for the evaluation question sets in evals/ (standard library + pytest only).

The checks are about the data, not the assistant: every gold quote is a verbatim substring of its
seed report, every key fact is literally present in the gold passage (after the same script and
diacritic folding the scorer applies), and the sets cover every report in every question form.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SEEDS = ROOT / "seeds"
EVALS = ROOT / "evals"

DOCS = (
    "000_7e6134a7318589bf",
    "001_23abd807676cf300",
    "002_c41756f9194e43e0",
    "003_9be4eadb76ad7108",
    "004_08540dc4f1130570",
)
CND_SR, CND_EN = DOCS[0], DOCS[1]
FORMS = {"en": ("en", "Latin"), "sr-Cyrl": ("sr", "Cyrillic"), "sr-Latn": ("sr", "Latin"), "ru": ("ru", "Cyrillic")}
TYPES = {"who", "when", "where", "how_much", "what", "why"}
# lines the ingestion strips as site boilerplate; a gold quote must never point into them
BOILERPLATE = ("Главная страница", "версия для печати", "Picture11a", "Picture111a")

# --- normalisation -------------------------------------------------------------------------------

_CYR2LAT = {
    # Serbian
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "dj", "е": "e", "ж": "z", "з": "z", "и": "i",
    "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "ћ": "c", "у": "u", "ф": "f", "х": "h", "ц": "c", "ч": "c", "џ": "dz", "ш": "s",
    # Russian extras
    "ё": "e", "й": "j", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "ju", "я": "ja", "щ": "sc",
}
_SERBIAN_ONLY = set("ђјљњћџЂЈЉЊЋЏ")
_RUSSIAN_ONLY = set("ёйъыьэюящЁЙЪЫЬЭЮЯЩ")
_SR_DIACRITICS = set("čćšžđČĆŠŽĐ")


def normalize(text: str) -> str:
    """Cyrillic→Latin, lowercase, no diacritics, decimal comma→point, single spaces."""
    text = "".join(_CYR2LAT.get(c, c) for c in text.lower())
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.replace("đ", "dj")  # NFKD does not decompose đ
    text = re.sub(r"(?<=\d),(?=\d)", ".", text)
    return re.sub(r"\s+", " ", text).strip()


def _cyr(s: str) -> int:
    return sum(1 for c in s if "\u0400" <= c <= "\u04ff")


def _lat(s: str) -> int:
    return sum(1 for c in s if c.isalpha() and not ("\u0400" <= c <= "\u04ff"))


# --- loading --------------------------------------------------------------------------------------


def _load(name: str) -> list[dict]:
    path = EVALS / name
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:  # pragma: no cover - message only
                pytest.fail(f"{name}:{n} is not JSON: {e}")
    return rows


QA = _load("qa.jsonl")
CONVS = _load("conversations.jsonl")
SEED_TEXT = {d: (SEEDS / f"{d}.txt").read_text(encoding="utf-8") for d in DOCS}
ANSWERABLE = [q for q in QA if q.get("answerable") is True]
UNANSWERABLE = [q for q in QA if q.get("answerable") is False]
TURNS = [(c["id"], i, c["form"], t) for c in CONVS for i, t in enumerate(c.get("turns", []))]
# every answerable unit: (label, form, record)
UNITS = [(q["id"], q["form"], q) for q in ANSWERABLE] + [
    (f"{cid}#{i}", form, t) for cid, i, form, t in TURNS if t.get("answerable") is True
]


def _docs(item: dict) -> set[str]:
    return {g["doc"] for g in item.get("gold", [])}


# --- the seeds themselves ------------------------------------------------------------------------


def test_seed_files_present():
    for d in DOCS:
        assert (SEEDS / f"{d}.txt").is_file(), d


# --- fields, types, values -----------------------------------------------------------------------


def _check_answer_fields(label: str, item: dict, form: str):
    assert isinstance(item.get("question"), str) and item["question"].strip(), label
    assert item.get("type") in TYPES, (label, item.get("type"))
    assert isinstance(item.get("answerable"), bool), label
    assert isinstance(item.get("answer"), str), label
    kf = item.get("key_facts")
    assert isinstance(kf, list) and all(isinstance(k, str) and k.strip() for k in kf), label
    gold = item.get("gold")
    assert isinstance(gold, list), label
    for g in gold:
        assert isinstance(g, dict) and set(g) == {"doc", "quote"}, (label, g)
        assert g["doc"] in DOCS, (label, g["doc"])
        assert isinstance(g["quote"], str) and g["quote"].strip(), label
    if item["answerable"]:
        assert item["answer"].strip(), f"{label}: answerable item without an answer"
        assert 1 <= len(kf) <= 3, f"{label}: needs 1-3 key facts, has {len(kf)}"
        assert gold, f"{label}: answerable item without gold"
        for k in kf:
            assert len(k) <= 60 and len(k.split()) <= 6, f"{label}: key fact too long: {k!r}"
    else:
        assert item["answer"] == "" and kf == [] and gold == [], f"{label}: unanswerable item with an answer"
    _check_script(label, item["question"], form)
    if item["answer"]:
        _check_script(label, item["answer"], form)


def _check_script(label: str, text: str, form: str):
    script = FORMS[form][1]
    if script == "Latin":
        assert _cyr(text) == 0, f"{label}: Cyrillic in a {form} text: {text!r}"
    else:
        assert _cyr(text) > _lat(text), f"{label}: {form} text is not mainly Cyrillic: {text!r}"
    if form == "ru":
        assert not set(text) & _SERBIAN_ONLY, f"{label}: Serbian letters in a Russian text: {text!r}"
    if form == "sr-Cyrl":
        assert not set(text) & _RUSSIAN_ONLY, f"{label}: Russian letters in a Serbian text: {text!r}"


@pytest.mark.parametrize("item", QA, ids=[q.get("id", "?") for q in QA])
def test_qa_item_fields(item):
    required = {"id", "question", "form", "language", "script", "type", "answerable", "answer", "key_facts", "gold"}
    missing = required - set(item)
    assert not missing, f"{item.get('id')}: missing {missing}"
    assert isinstance(item["id"], str) and item["id"], item
    assert item["form"] in FORMS, item["id"]
    assert (item["language"], item["script"]) == FORMS[item["form"]], item["id"]
    if item["answerable"]:
        assert "near_miss" not in item, f"{item['id']}: near_miss is for unanswerable items only"
    else:
        assert isinstance(item.get("near_miss"), bool), f"{item['id']}: unanswerable item needs near_miss"
    _check_answer_fields(item["id"], item, item["form"])


@pytest.mark.parametrize("conv", CONVS, ids=[c.get("id", "?") for c in CONVS])
def test_conversation_fields(conv):
    assert set(conv) >= {"id", "form", "turns"}, conv.get("id")
    assert isinstance(conv["id"], str) and conv["id"]
    assert conv["form"] in FORMS, conv["id"]
    assert isinstance(conv["turns"], list) and 2 <= len(conv["turns"]) <= 3, f"{conv['id']}: needs 2-3 turns"
    for i, turn in enumerate(conv["turns"]):
        assert set(turn) >= {"question", "answerable", "type", "answer", "key_facts", "gold"}, (conv["id"], i)
        _check_answer_fields(f"{conv['id']}#{i}", turn, conv["form"])


def test_ids_unique():
    ids = [q["id"] for q in QA] + [c["id"] for c in CONVS]
    dup = [i for i, n in Counter(ids).items() if n > 1]
    assert not dup, f"duplicate ids: {dup}"


def test_questions_unique():
    qs = Counter(normalize(q["question"]) for q in QA)
    dup = [q for q, n in qs.items() if n > 1]
    assert not dup, f"duplicate questions: {dup}"


# --- gold quotes and key facts -------------------------------------------------------------------


@pytest.mark.parametrize("label,form,item", UNITS, ids=[u[0] for u in UNITS])
def test_gold_quotes_verbatim(label, form, item):
    for g in item["gold"]:
        text = SEED_TEXT[g["doc"]]
        assert g["quote"] in text, f"{label}: quote not verbatim in {g['doc']}: {g['quote'][:80]!r}"
        assert g["quote"] == g["quote"].strip(), f"{label}: quote has surrounding whitespace"
        for b in BOILERPLATE:
            assert b not in g["quote"], f"{label}: quote points into boilerplate ({b})"


@pytest.mark.parametrize("label,form,item", UNITS, ids=[u[0] for u in UNITS])
def test_key_facts_in_gold(label, form, item):
    quotes = normalize(" ".join(g["quote"] for g in item["gold"]))
    for k in item["key_facts"]:
        assert normalize(k) in quotes, f"{label}: key fact {k!r} not in its gold quotes"


@pytest.mark.parametrize("label,form,item", UNITS, ids=[u[0] for u in UNITS])
def test_cnd_twins_share_key_facts(label, form, item):
    """000 is the Serbian translation of 001: an item cited from both must use facts present in both."""
    if not {CND_SR, CND_EN} <= _docs(item):
        return
    for doc in (CND_SR, CND_EN):
        quotes = normalize(" ".join(g["quote"] for g in item["gold"] if g["doc"] == doc))
        for k in item["key_facts"]:
            assert normalize(k) in quotes, f"{label}: key fact {k!r} missing from the {doc} quotes"


def test_normalize_examples():
    assert normalize("Пекић") == "pekic"
    assert normalize("97,4 %") == normalize("97.4 %")
    assert normalize("Ђорђе Џајић") == "djordje dzajic"
    assert normalize("Щука объём, Юля") == "scuka obem, julja"
    assert normalize("Đorđe\u00a0Čolić") == "djordje colic"
    assert normalize("209,000 and 1, 2") == "209.000 and 1, 2"


# --- coverage ------------------------------------------------------------------------------------


def test_answerable_count_and_coverage():
    assert len(ANSWERABLE) >= 80, len(ANSWERABLE)
    missing = [(f, d) for f in FORMS for d in DOCS if not any(q["form"] == f and d in _docs(q) for q in ANSWERABLE)]
    assert not missing, f"form/report pairs without an answerable item: {missing}"


def test_items_per_form():
    counts = Counter(q["form"] for q in QA)
    low = {f: counts.get(f, 0) for f in FORMS if counts.get(f, 0) < 18}
    assert not low, f"fewer than 18 items: {low}"


def test_question_types_mixed():
    counts = Counter(q["type"] for q in ANSWERABLE)
    assert set(counts) == TYPES, counts


def test_unanswerable():
    assert len(UNANSWERABLE) >= 10, len(UNANSWERABLE)
    near = sum(q["near_miss"] for q in UNANSWERABLE)
    assert 2 * near >= len(UNANSWERABLE), f"only {near} near misses of {len(UNANSWERABLE)}"
    assert {q["form"] for q in UNANSWERABLE} == set(FORMS)


def test_conversations():
    assert len(CONVS) >= 10, len(CONVS)
    assert all(len(c["turns"]) >= 2 for c in CONVS)
    assert {c["form"] for c in CONVS} == set(FORMS)
    docs = set().union(*(_docs(t) for _, _, _, t in TURNS))
    assert len(docs) >= 4, docs


def test_sr_latn_with_and_without_diacritics():
    qs = [q["question"] for q in QA if q["form"] == "sr-Latn"]
    with_d = [q for q in qs if set(q) & _SR_DIACRITICS]
    assert len(with_d) >= 3, "need sr-Latn questions typed with diacritics"
    assert len(qs) - len(with_d) >= 3, "need sr-Latn questions typed without diacritics"


def test_cross_lingual_items():
    def has(form, pred):
        return any(q["form"] == form and pred(_docs(q)) for q in ANSWERABLE)

    only_003 = lambda ds: ds == {DOCS[3]}  # noqa: E731
    assert has("en", only_003), "no English question answered only by the Serbian report 003"
    assert has("ru", only_003), "no Russian question answered only by the Serbian report 003"
    for d in (DOCS[1], DOCS[2], DOCS[4]):
        assert has("ru", lambda ds, d=d: d in ds), f"no Russian question answered by {d}"
    for d in (DOCS[2], DOCS[3], DOCS[4]):
        assert has("sr-Latn", lambda ds, d=d: d in ds), f"no Serbian-Latin question answered by {d}"


def test_dpnsee_item():
    items = [q for q in ANSWERABLE if q["question"] == "What did DPNSEE say?"]
    assert len(items) == 1, "the item 'What did DPNSEE say?' is required"
    assert items[0]["form"] == "en"
    assert {CND_SR, CND_EN} <= _docs(items[0])
