"""Integrity checks for the evaluation question sets (standard library + pytest only).

The checks are about the data, not the assistant: every gold quote is a verbatim substring of its
report, every key fact is literally present in the gold passage (after the same script and diacritic
folding the scorer applies), and the sets cover every seed report in every question form.

Each property is one test over all items that names every offender, so a broken line shows up once with
all its neighbours in the same state, and no test passes by having nothing to look at. Items live in
evals/qa.jsonl and evals/conversations.jsonl, and, for the larger corpus, in evals/corpus/qa.jsonl and
evals/corpus/conversations.jsonl (and the blind sets: evals/blind/conversations.jsonl, evals/blind/qa.jsonl and
evals/blind/corpus/qa.jsonl); a gold `doc` names a report in seeds/, evals/corpus/ or evals/blind/corpus/reports/.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).parent.parent
SEEDS = ROOT / "seeds"
EVALS = ROOT / "evals"
CORPUS = EVALS / "corpus"
BLIND_CORPUS = EVALS / "blind" / "corpus"
QA_FILES = (EVALS / "qa.jsonl", CORPUS / "qa.jsonl", EVALS / "blind" / "qa.jsonl", BLIND_CORPUS / "qa.jsonl")
CONV_FILES = (EVALS / "conversations.jsonl", CORPUS / "conversations.jsonl", EVALS / "blind" / "conversations.jsonl")
REPORT_DIRS = (SEEDS, CORPUS / "reports", CORPUS, BLIND_CORPUS / "reports")
TEXT_SUFFIXES = {".txt", ".md"}

SEED_DOCS = (
    "000_7e6134a7318589bf",
    "001_23abd807676cf300",
    "002_c41756f9194e43e0",
    "003_9be4eadb76ad7108",
    "004_08540dc4f1130570",
)
CND_SR, CND_EN = SEED_DOCS[0], SEED_DOCS[1]
FORMS = {"en": ("en", "Latin"), "sr-Cyrl": ("sr", "Cyrillic"), "sr-Latn": ("sr", "Latin"), "ru": ("ru", "Cyrillic")}
TYPES = {"who", "when", "where", "how_much", "what", "why"}
KINDS = {"first", "follow_up", "topic_switch", "unrelated"}
QA_ID = re.compile(r"qa-[bcs]?\d{3,4}")
CONV_ID = re.compile(r"conv-[bc]?\d{2,3}")
QA_FIELDS = {"id", "question", "form", "language", "script", "type", "answerable", "answer", "key_facts", "gold"}
TURN_FIELDS = {"question", "answerable", "type", "answer", "key_facts", "gold"}
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


def _load(paths: tuple[Path, ...]) -> tuple[list[dict], list[str]]:
    """Return the rows of the JSONL files that exist (each tagged with where it came from) and the lines
    that are not JSON objects."""
    rows, broken = [], []
    for path in paths:
        if not path.is_file():
            continue
        name = path.relative_to(ROOT).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                broken.append(f"{name}:{n} is not JSON: {e}")
                continue
            if not isinstance(row, dict):
                broken.append(f"{name}:{n} is not a JSON object")
                continue
            rows.append(row | {"_file": name})
    return rows, broken


def _report_files(folders: tuple[Path, ...] = REPORT_DIRS) -> dict[str, Path]:
    """Return every report a gold quote may cite, by file stem."""
    found: dict[str, Path] = {}
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file() and path.suffix != ".jsonl" and path.name != "README.md":
                    found.setdefault(path.stem, path)
    return found


QA, QA_BROKEN = _load(QA_FILES)
CONVS, CONV_BROKEN = _load(CONV_FILES)
REPORTS = _report_files()
_TEXT: dict[str, str] = {}


def report_text(doc: str) -> str:
    """Return the text gold quotes of doc point into: the file itself for plain text, else what ingest reads."""
    if doc not in _TEXT:
        path = REPORTS[doc]
        if path.suffix in TEXT_SUFFIXES:
            _TEXT[doc] = path.read_text(encoding="utf-8")
        else:
            from assistant.corpus import read_document

            _TEXT[doc] = read_document(path, doc, 50 * 2**20).text
    return _TEXT[doc]


def _label(item: dict) -> str:
    return f"{item.get('_file', '?')}:{item.get('id', '?')}"


ANSWERABLE = [q for q in QA if q.get("answerable") is True]
UNANSWERABLE = [q for q in QA if q.get("answerable") is False]
# (label, form, turn index, turn) for every turn of every conversation
TURNS = [
    (f"{_label(c)}#{i}", c.get("form"), i, t)
    for c in CONVS
    for i, t in enumerate(c.get("turns") or [])
    if isinstance(t, dict)
]
# every answerable unit: (label, form, record)
UNITS = [(_label(q), q.get("form"), q) for q in ANSWERABLE] + [
    (label, form, t) for label, form, _, t in TURNS if t.get("answerable") is True
]
# every question, answerable or not: (label, form, record)
QUESTIONS = [(_label(q), q.get("form"), q) for q in QA] + [(label, form, t) for label, form, _, t in TURNS]


def _docs(item: dict) -> set[str]:
    return {g["doc"] for g in item.get("gold", []) if isinstance(g, dict) and "doc" in g}


def _gold(units) -> list[tuple[str, dict, dict]]:
    """Return (label, item, gold entry) for every well-formed gold entry of units whose report exists."""
    return [
        (label, item, g)
        for label, _, item in units
        for g in item.get("gold") or []
        if isinstance(g, dict) and g.get("doc") in REPORTS and isinstance(g.get("quote"), str)
    ]


# --- the files themselves ------------------------------------------------------------------------


def test_seed_files_present():
    missing = [d for d in SEED_DOCS if not (SEEDS / f"{d}.txt").is_file()]
    assert not missing, f"seed reports missing: {missing}"


def test_loading_finds_the_corpus_files_and_names_broken_lines(tmp_path, monkeypatch):
    """What the checks below read: every file that exists (a missing one is fine), every report in seeds/ or
    evals/corpus/, and a line that is not a JSON object named with its file and line number."""
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    seeds, corpus = tmp_path / "seeds", tmp_path / "evals" / "corpus"
    corpus.mkdir(parents=True)
    seeds.mkdir()
    (seeds / "000_a.txt").write_text("x", "utf-8")
    (corpus / "c01_b.txt").write_text("y", "utf-8")
    (corpus / "qa.jsonl").write_text('{"id": "qa-c001"}\n\n[1, 2]\n{broken\n', "utf-8")
    assert set(_report_files((seeds, corpus))) == {"000_a", "c01_b"}
    rows, broken = _load((tmp_path / "evals" / "qa.jsonl", corpus / "qa.jsonl"))
    assert rows == [{"id": "qa-c001", "_file": "evals/corpus/qa.jsonl"}]
    assert [b.split(" ")[0] for b in broken] == ["evals/corpus/qa.jsonl:3", "evals/corpus/qa.jsonl:4"]


def test_every_line_is_a_json_object():
    assert QA and CONVS, "evals/qa.jsonl and evals/conversations.jsonl must hold items"
    bad = QA_BROKEN + CONV_BROKEN
    assert not bad, "\n".join(bad)


# --- fields, types, values -----------------------------------------------------------------------


def _answer_field_problems(label: str, item: dict) -> list[str]:
    """Return what is wrong with the question/answer/gold fields shared by qa items and turns."""
    bad = []
    if not (isinstance(item.get("question"), str) and item["question"].strip()):
        bad.append(f"{label}: no question")
    if item.get("type") not in TYPES:
        bad.append(f"{label}: type {item.get('type')!r} not in {sorted(TYPES)}")
    if not isinstance(item.get("answerable"), bool):
        bad.append(f"{label}: answerable is not a bool")
    if not isinstance(item.get("answer"), str):
        bad.append(f"{label}: answer is not a string")
    kf = item.get("key_facts")
    if not (isinstance(kf, list) and all(isinstance(k, str) and k.strip() for k in kf)):
        bad.append(f"{label}: key_facts is not a list of non-empty strings")
        kf = []
    gold = item.get("gold")
    if not isinstance(gold, list):
        bad.append(f"{label}: gold is not a list")
        gold = []
    for g in gold:
        if not (isinstance(g, dict) and set(g) == {"doc", "quote"}):
            bad.append(f"{label}: gold entry is not {{doc, quote}}: {g!r}")
        elif g["doc"] not in REPORTS:
            bad.append(f"{label}: gold doc {g['doc']!r} is not a report in seeds/, evals/corpus/ or evals/blind/corpus/")
        elif not (isinstance(g["quote"], str) and g["quote"].strip()):
            bad.append(f"{label}: empty gold quote")
    if item.get("answerable") is True:
        if not (item.get("answer") or "").strip():
            bad.append(f"{label}: answerable item without an answer")
        if not 1 <= len(kf) <= 3:
            bad.append(f"{label}: needs 1-3 key facts, has {len(kf)}")
        if not gold:
            bad.append(f"{label}: answerable item without gold")
        bad += [f"{label}: key fact too long: {k!r}" for k in kf if len(k) > 60 or len(k.split()) > 6]
    elif item.get("answerable") is False and (item.get("answer") != "" or kf or gold):
        bad.append(f"{label}: unanswerable item with an answer, key facts or gold")
    return bad


def test_qa_item_fields():
    bad = []
    for item in QA:
        label = _label(item)
        missing = QA_FIELDS - set(item)
        if missing:
            bad.append(f"{label}: missing {sorted(missing)}")
            continue
        if item["form"] not in FORMS:
            bad.append(f"{label}: form {item['form']!r} not in {sorted(FORMS)}")
        elif (item["language"], item["script"]) != FORMS[item["form"]]:
            bad.append(f"{label}: language/script {item['language']}/{item['script']} do not fit form {item['form']}")
        if item["answerable"] is True and "near_miss" in item:
            bad.append(f"{label}: near_miss is for unanswerable items only")
        if item["answerable"] is False and not isinstance(item.get("near_miss"), bool):
            bad.append(f"{label}: unanswerable item needs near_miss")
        bad += _answer_field_problems(label, item)
    assert QA
    assert not bad, "\n".join(bad)


def test_conversation_fields():
    bad = []
    for conv in CONVS:
        label = _label(conv)
        if not {"id", "form", "turns"} <= set(conv):
            bad.append(f"{label}: needs id, form and turns")
            continue
        if conv["form"] not in FORMS:
            bad.append(f"{label}: form {conv['form']!r} not in {sorted(FORMS)}")
        turns = conv["turns"]
        if not (isinstance(turns, list) and 2 <= len(turns) <= 12):
            bad.append(f"{label}: needs a list of 2-12 turns")
            continue
        for i, turn in enumerate(turns):
            if not isinstance(turn, dict) or not TURN_FIELDS <= set(turn):
                bad.append(f"{label}#{i}: a turn needs {sorted(TURN_FIELDS)}")
                continue
            bad += _answer_field_problems(f"{label}#{i}", turn)
    assert CONVS
    assert not bad, "\n".join(bad)


def kind_problems(turns) -> list[str]:
    """Return what is wrong with the optional `kind` of (label, form, index, turn) turns: it must be a known
    kind, and "first" is exactly the opening turn."""
    bad = []
    for label, _, i, turn in turns:
        if "kind" not in turn:
            continue
        kind = turn["kind"]
        if kind not in KINDS:
            bad.append(f"{label}: kind {kind!r} not in {sorted(KINDS)}")
        elif (kind == "first") != (i == 0):
            bad.append(f"{label}: kind {kind!r} on turn {i} (only turn 0 is 'first', and it always is)")
    return bad


def test_turn_kinds():
    bad = kind_problems(TURNS)
    assert not bad, "\n".join(bad)


def test_turn_kind_check_catches_bad_kinds():
    """The data may hold no `kind` yet: show the check above rejects what it must."""
    turns = [("c#0", "en", 0, {"kind": "first"}), ("c#1", "en", 1, {"kind": "follow_up"}),
             ("c#2", "en", 2, {}), ("d#0", "en", 0, {"kind": "follow_up"}), ("d#1", "en", 1, {"kind": "first"}),
             ("d#2", "en", 2, {"kind": "sideways"})]
    assert [line.split(":")[0] for line in kind_problems(turns)] == ["d#0", "d#1", "d#2"]


def test_ids_well_formed_and_unique():
    bad = [f"{_label(q)}: id is not qa-NNN, qa-bNNN, qa-cNNN or qa-sNNN" for q in QA if not QA_ID.fullmatch(str(q.get("id")))]
    bad += [f"{_label(c)}: id is not conv-NN, conv-bNN or conv-cNN" for c in CONVS if not CONV_ID.fullmatch(str(c.get("id")))]
    ids = Counter(str(r.get("id")) for r in QA + CONVS)
    bad += [f"id {i} used {n} times" for i, n in ids.items() if n > 1]
    assert not bad, "\n".join(bad)


def test_questions_unique():
    qs = Counter(normalize(q["question"]) for q in QA if isinstance(q.get("question"), str))
    dup = [q for q, n in qs.items() if n > 1]
    assert not dup, "duplicate questions:\n" + "\n".join(dup)


def test_question_and_answer_scripts_fit_the_form():
    bad = []
    for label, form, item in QUESTIONS:
        if form not in FORMS:
            continue  # reported by the field tests
        script = FORMS[form][1]
        for field in ("question", "answer"):
            text = item.get(field)
            if not isinstance(text, str) or not text or not (_cyr(text) or _lat(text)):
                continue  # unanswerable items have no answer, "..." no script; a missing question is a field error
            if script == "Latin" and _cyr(text):
                bad.append(f"{label}: Cyrillic in a {form} {field}: {text!r}")
            if script == "Cyrillic" and _cyr(text) <= _lat(text):
                bad.append(f"{label}: {form} {field} is not mainly Cyrillic: {text!r}")
            if form == "ru" and set(text) & _SERBIAN_ONLY:
                bad.append(f"{label}: Serbian letters in a Russian {field}: {text!r}")
            if form == "sr-Cyrl" and set(text) & _RUSSIAN_ONLY:
                bad.append(f"{label}: Russian letters in a Serbian {field}: {text!r}")
    assert QUESTIONS
    assert not bad, "\n".join(bad)


# --- gold quotes and key facts -------------------------------------------------------------------


def test_gold_quotes_verbatim():
    gold = _gold(UNITS)
    assert gold, "no gold quotes to check"
    bad = []
    for label, _, g in gold:
        quote, doc = g["quote"], g["doc"]
        if quote not in report_text(doc):
            bad.append(f"{label}: quote not verbatim in {doc}: {quote[:80]!r}")
        if quote != quote.strip():
            bad.append(f"{label}: quote has surrounding whitespace: {quote[:80]!r}")
        bad += [f"{label}: quote points into boilerplate ({b})" for b in BOILERPLATE if b in quote]
    assert not bad, "\n".join(bad)


def test_key_facts_in_gold():
    bad = []
    for label, _, item in UNITS:
        quotes = normalize(" ".join(g["quote"] for g in item.get("gold", []) if isinstance(g, dict)
                                    and isinstance(g.get("quote"), str)))
        bad += [f"{label}: key fact {k!r} not in its gold quotes" for k in item.get("key_facts", [])
                if isinstance(k, str) and normalize(k) not in quotes]
    assert UNITS
    assert not bad, "\n".join(bad)


def test_cnd_twins_share_key_facts():
    """000 is the Serbian translation of 001: an item cited from both must use facts present in both."""
    both = [(label, item) for label, _, item in UNITS if {CND_SR, CND_EN} <= _docs(item)]
    assert len(both) >= 10, f"only {len(both)} items cite both 000 and 001"
    bad = []
    for label, item in both:
        for doc in (CND_SR, CND_EN):
            quotes = normalize(" ".join(g["quote"] for g in item["gold"] if g["doc"] == doc))
            bad += [f"{label}: key fact {k!r} missing from the {doc} quotes" for k in item["key_facts"]
                    if normalize(k) not in quotes]
    assert not bad, "\n".join(bad)


def test_normalize_examples():
    assert normalize("Пекић") == "pekic"
    assert normalize("97,4 %") == normalize("97.4 %")
    assert normalize("Ђорђе Џајић") == "djordje dzajic"
    assert normalize("Щука объём, Юля") == "scuka obem, julja"
    assert normalize("Đorđe\u00a0Čolić") == "djordje colic"
    assert normalize("209,000 and 1, 2") == "209.000 and 1, 2"


# --- coverage (of the seed reports; the larger corpus brings its own items) ----------------------


def test_answerable_count_and_coverage():
    assert len(ANSWERABLE) >= 80, len(ANSWERABLE)
    missing = [(f, d) for f in FORMS for d in SEED_DOCS
               if not any(q["form"] == f and d in _docs(q) for q in ANSWERABLE)]
    assert not missing, f"form/report pairs without an answerable item: {missing}"


def test_items_per_form():
    counts = Counter(q.get("form") for q in QA)
    low = {f: counts.get(f, 0) for f in FORMS if counts.get(f, 0) < 18}
    assert not low, f"fewer than 18 items: {low}"


def test_question_types_mixed():
    counts = Counter(q.get("type") for q in ANSWERABLE)
    assert set(counts) == TYPES, counts


def test_unanswerable():
    assert len(UNANSWERABLE) >= 10, len(UNANSWERABLE)
    near = sum(q.get("near_miss") is True for q in UNANSWERABLE)
    assert 2 * near >= len(UNANSWERABLE), f"only {near} near misses of {len(UNANSWERABLE)}"
    assert {q.get("form") for q in UNANSWERABLE} == set(FORMS)


def test_conversations():
    assert len(CONVS) >= 10, len(CONVS)
    assert {c.get("form") for c in CONVS} == set(FORMS)
    docs = set().union(*(_docs(t) for *_, t in TURNS))
    assert len(docs & set(SEED_DOCS)) >= 4, docs


def test_sr_latn_with_and_without_diacritics():
    qs = [q["question"] for q in QA if q.get("form") == "sr-Latn"]
    with_d = [q for q in qs if set(q) & _SR_DIACRITICS]
    assert len(with_d) >= 3, "need sr-Latn questions typed with diacritics"
    assert len(qs) - len(with_d) >= 3, "need sr-Latn questions typed without diacritics"


def test_cross_lingual_items():
    def has(form, pred):
        return any(q.get("form") == form and pred(_docs(q)) for q in ANSWERABLE)

    only_003 = lambda ds: ds == {SEED_DOCS[3]}  # noqa: E731
    missing = []
    if not has("en", only_003):
        missing.append("no English question answered only by the Serbian report 003")
    if not has("ru", only_003):
        missing.append("no Russian question answered only by the Serbian report 003")
    missing += [f"no Russian question answered by {d}" for d in (SEED_DOCS[1], SEED_DOCS[2], SEED_DOCS[4])
                if not has("ru", lambda ds, d=d: d in ds)]
    missing += [f"no Serbian-Latin question answered by {d}" for d in (SEED_DOCS[2], SEED_DOCS[3], SEED_DOCS[4])
                if not has("sr-Latn", lambda ds, d=d: d in ds)]
    assert not missing, "\n".join(missing)


def test_dpnsee_item():
    items = [q for q in ANSWERABLE if q.get("question") == "What did DPNSEE say?"]
    assert len(items) == 1, "the item 'What did DPNSEE say?' is required"
    assert items[0]["form"] == "en"
    assert {CND_SR, CND_EN} <= _docs(items[0])


# --- the blind corpus (evals/blind/corpus/: new reports and single questions written without running the assistant)


def _blind_report_forms() -> dict[str, str]:
    """Return each blind report's form, from the table in evals/blind/corpus/SOURCES.md (a report may be plain text,
    Markdown or a web page: an HTML report's gold quotes point into the text ingest reads from it)."""
    table = re.findall(r"^\| `([^`]+)\.(?:txt|md|html|docx|pdf)` \| (en|sr-Cyrl|sr-Latn|ru) \|", (BLIND_CORPUS / "SOURCES.md")
                       .read_text(encoding="utf-8"), re.M)
    return dict(table)


def test_blind_corpus_set():
    """The blind set covers every blind report in all four question forms, mostly across languages, with enough
    unanswerable questions (half of them near misses); an item cited from several reports (a translation pair, or a
    blind report and a corpus report stating the same fact) uses key facts found in each."""
    items = [q for q in QA if q["_file"] == "evals/blind/corpus/qa.jsonl"]
    forms = _blind_report_forms()
    reports = set(_report_files((BLIND_CORPUS / "reports",)))  # every file a gold doc may name, whatever its format
    assert len(items) >= 90 and set(forms) == reports, (len(items), sorted(set(forms) ^ reports))
    assert {q["form"] for q in items} == set(FORMS)
    answerable = [q for q in items if q["answerable"] is True]
    assert reports <= {d for q in answerable for d in _docs(q)}, "a blind report without an answerable item"
    cross = [q for q in answerable if q["form"] not in {forms.get(d) for d in _docs(q)}]
    assert 2 * len(cross) >= len(items), f"only {len(cross)} cross-lingual items of {len(items)}"
    unanswerable = [q for q in items if q["answerable"] is False]
    near = [q for q in unanswerable if q.get("near_miss") is True]
    assert len(unanswerable) >= 22 and 2 * len(near) >= len(unanswerable), (len(unanswerable), len(near))
    bad = []
    for q in answerable:
        if len(_docs(q)) < 2:
            continue
        for doc in _docs(q):
            quotes = normalize(" ".join(g["quote"] for g in q["gold"] if g["doc"] == doc))
            bad += [f"{_label(q)}: key fact {k!r} missing from the {doc} quotes" for k in q["key_facts"]
                    if normalize(k) not in quotes]
    assert not bad, "\n".join(bad)
