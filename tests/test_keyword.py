"""keyword: BM25 over folded, stemmed tokens, saved in the data directory and loaded back."""

from __future__ import annotations

import subprocess
import sys

import bm25s
import numpy as np
import pytest
from conftest import ROOT

from assistant.bm25file import BM25Writer, SavedBM25
from assistant.keyword import KeywordIndex
from assistant.text import keyword_tokens

CHUNKS = {
    "a:0": ("The meeting discussed drug trafficking routes through the Balkans and their control.", "en"),
    "b:0": ("Milan Pekić from Belgrade spoke about drug trafficking and cannabis policy.", "en"),
    "c:0": ("Састанак о трговини дрогом одржан је у Сарајеву; говорили су представници полиције.", "sr"),
    "d:0": ("The drug control service reported on drug trafficking and the meeting schedule.", "en"),
}


def build(path) -> KeywordIndex:
    index = KeywordIndex(path)
    ids = list(CHUNKS)
    tokens = [keyword_tokens(text, lang) for text, lang in CHUNKS.values()]
    index.build(ids, tokens, {"language": [lang for _, lang in CHUNKS.values()], "doc_id": [i[0] for i in ids]},
                "sig-1")
    return index


def test_a_rare_name_ranks_its_chunk_first_in_any_script(tmp_path):
    index = build(tmp_path / "kw")
    for question, language in (("What did Pekić say?", "en"), ("Šta je rekao Pekic?", "sr"), ("Шта је рекао Пекић?", "sr")):
        hits = index.search(keyword_tokens(question, language, query=True), 3)
        assert hits and hits[0][0] == "b:0", (question, hits)
        assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
        assert all(s > 0 for _, s in hits)


def test_a_tokens_chunks_are_counted_per_language(tmp_path):
    index = build(tmp_path / "kw")
    [drug] = keyword_tokens("drug", "en")[:1]
    [sarajevo] = keyword_tokens("Сарајеву", "sr")[:1]
    assert index.language_frequency(drug, "en") == index.document_frequency(drug) == 3
    assert index.language_frequency(drug, "sr") == 0
    assert index.language_frequency(sarajevo, "sr") == index.document_frequency(sarajevo) == 1
    assert index.language_frequency("nosuchtoken", "en") == 0


def test_rare_tokens_are_rarer_than_common_ones(tmp_path):
    index = build(tmp_path / "kw")
    [pekic] = keyword_tokens("Pekić", "en")[:1]
    [drug] = keyword_tokens("drug", "en")
    assert index.document_frequency(pekic) == 1
    assert index.document_frequency(drug) == 3
    assert index.document_frequency("no-such-token") == 0
    assert index.document_frequency("") == 0
    assert index.idf(pekic) > index.idf(drug) > 0


def test_a_token_a_report_repeats_is_in_few_reports_however_many_of_its_chunks_hold_it(tmp_path):
    # Twenty reports, one of which names "Dubrava" in each of its six chunks: rare by reports, not by chunks.
    index = KeywordIndex(tmp_path / "kw")
    texts = {f"park:{n}": f"Dubrava park was rebuilt and section {n} has new paths." for n in range(6)}
    texts |= {f"r{n}:0": f"The town council met on day {n} and discussed the park budget." for n in range(19)}
    ids = list(texts)
    index.build(ids, [keyword_tokens(t, "en") for t in texts.values()],
                {"language": ["en"] * len(ids), "doc_id": [i.split(":")[0] for i in ids]}, "sig")
    [dubrava] = keyword_tokens("Dubrava", "en")[:1]
    [council] = keyword_tokens("council", "en")[:1]
    assert (index.document_frequency(dubrava), index.report_frequency(dubrava)) == (6, 1)
    assert index.in_few_reports(dubrava) and not index.in_few_reports(council)
    assert not index.in_few_reports("no-such-token")
    # In a library of four, one report is no few: the share of reports counts too.
    small = build(tmp_path / "small")
    [pekic] = keyword_tokens("Pekić", "en")[:1]
    assert small.report_frequency(pekic) == 1 and not small.in_few_reports(pekic)


def test_search_respects_field_filters(tmp_path):
    index = build(tmp_path / "kw")
    tokens = keyword_tokens("drug trafficking meeting", "en", query=True)
    everything = {cid for cid, _ in index.search(tokens, 10)}
    only_c = {cid for cid, _ in index.search(tokens, 10, index.mask({"doc_id": {"c"}}))}
    assert {"a:0", "b:0", "d:0"} <= everything
    assert only_c <= {"c:0"}
    assert index.mask(None) is None
    assert list(index.mask({"language": {"sr"}})) == [0, 0, 1, 0]


def test_the_index_survives_a_restart(tmp_path):
    built = build(tmp_path / "kw")
    loaded = KeywordIndex(tmp_path / "kw")
    tokens = keyword_tokens("Pekić drug", "en", query=True)
    assert loaded.signature == "sig-1" and len(loaded) == 4
    assert loaded.search(tokens, 4) == built.search(tokens, 4)


def test_postings_are_mapped_and_a_rebuild_leaves_a_loaded_index_answering(tmp_path):
    build(tmp_path / "kw")
    server = KeywordIndex(tmp_path / "kw")  # a running server's copy, as ingest rebuilds beside it
    # Mapped from the files, not read into memory: a question touches only its tokens' postings. (Plain arrays
    # over the map's pages: an np.memmap's slices are slow to make.)
    arrays = (server._bm25.data, server._bm25.indices, server._bm25.indptr)
    assert all(type(a) is np.ndarray and isinstance(a.base, np.memmap) and not a.flags.writeable for a in arrays)
    tokens = keyword_tokens("Pekić drug", "en", query=True)
    before = server.search(tokens, 4)
    assert before and before[0][0] == "b:0"
    rebuilt = KeywordIndex(tmp_path / "kw")
    rebuilt.build(["e:0", "f:0"], [keyword_tokens("Pekić again in Belgrade", "en"), keyword_tokens("Nothing", "en")],
                  {"language": ["en", "en"], "doc_id": ["e", "f"]}, "sig-2")
    # The swapped-in directory is new files: the old mapping still reads the index it was loaded from.
    assert server.search(tokens, 4) == before
    assert KeywordIndex(tmp_path / "kw").search(tokens, 4)[0][0] == "e:0" == rebuilt.search(tokens, 4)[0][0]


def test_nothing_to_find_gives_nothing(tmp_path):
    empty = KeywordIndex(tmp_path / "none")
    assert len(empty) == 0 and empty.search(["drug"], 5) == []
    index = build(tmp_path / "kw")
    assert index.search([], 5) == [] and index.search(["zzzz"], 5) == []


def test_a_damaged_index_loads_empty_instead_of_failing(tmp_path):
    build(tmp_path / "kw")
    (tmp_path / "kw" / "chunks.json").write_text("{not json", "utf-8")
    damaged = KeywordIndex(tmp_path / "kw")
    assert len(damaged) == 0 and damaged.signature == "" and damaged.search(["drug"], 5) == []


@pytest.mark.parametrize("method", ["lucene", "bm25l"])
def test_saved_index_scores_are_bm25s_own_bit_for_bit(tmp_path, method):
    rng = np.random.default_rng(11)
    corpus = [[f"t{int(x)}" for x in rng.zipf(1.3, size=rng.integers(1, 40)) if x < 800] or ["t1"]
              for _ in range(400)]
    model = bm25s.BM25(method=method)
    model.index(corpus, show_progress=False)
    model.save(str(tmp_path / "bm25"), show_progress=False)
    theirs = bm25s.BM25.load(str(tmp_path / "bm25"))
    ours = SavedBM25(tmp_path / "bm25")
    vocab = list(theirs.vocab_dict)
    assert ours.vocab_dict == theirs.vocab_dict and ours.num_docs == len(corpus)
    for _ in range(200):
        query = list(rng.choice(vocab, size=rng.integers(1, 12)))  # repeats included, as questions have them
        if "" in query:  # bm25s's vocabulary holds "" without a column: both refuse it
            with pytest.raises(ValueError):
                theirs.get_scores(query)
            with pytest.raises(ValueError):
                ours.get_scores(query)
            continue
        assert np.array_equal(ours.get_scores(query), theirs.get_scores(query))
    indptr = theirs.scores["indptr"]
    assert all(ours.document_frequency(t) == indptr[c + 1] - indptr[c] for t, c in theirs.vocab_dict.items() if t)
    assert ours.document_frequency("no-such-token") == 0


def _columns(path) -> dict[str, tuple[list[int], bytes]]:
    """Return a saved index's columns by token: the chunks holding it and the exact bytes of their scores."""
    saved = SavedBM25(path)
    out = {}
    for token, column in saved.vocab_dict.items():
        if column + 1 < len(saved.indptr):  # bm25s's "" has no column
            start, end = saved.indptr[column], saved.indptr[column + 1]
            out[token] = (saved.indices[start:end].tolist(), saved.data[start:end].tobytes())
    return out


@pytest.mark.parametrize("page", [1, 37, 5000])
def test_the_writer_saves_bm25s_own_index_bit_for_bit(tmp_path, page):
    rng = np.random.default_rng(page)
    corpus = [[f"t{int(x)}" for x in rng.zipf(1.3, size=rng.integers(1, 60)) if x < 900] or ["t1"]
              for _ in range(700)]
    model = bm25s.BM25()  # the method and parameters KeywordIndex has always used
    model.index(corpus, show_progress=False)
    model.save(str(tmp_path / "theirs"), show_progress=False)
    writer = BM25Writer()
    for lo in range(0, len(corpus), page):  # given a page at a time, as ingest reads the store
        writer.add(corpus[lo : lo + page])
    writer.save(tmp_path / "ours")
    theirs, ours = _columns(tmp_path / "theirs"), _columns(tmp_path / "ours")
    assert set(ours) == {t for doc in corpus for t in doc} == set(theirs)
    different = [t for t in theirs if ours[t] != theirs[t]]
    assert not different, different[:5]
    assert SavedBM25(tmp_path / "ours").num_docs == len(corpus)


def test_a_chunk_without_tokens_keeps_its_place(tmp_path):
    index = KeywordIndex(tmp_path / "kw")
    index.build(["a:0", "b:0", "c:0"], [["drug"], [], ["pekic", "drug"]], {"doc_id": ["a", "b", "c"]}, "sig")
    assert [cid for cid, _ in index.search(["pekic"], 3)] == ["c:0"]
    assert {cid for cid, _ in index.search(["drug"], 3)} == {"a:0", "c:0"}
    with pytest.raises(ValueError):
        index.build(["a:0"], [["drug"], ["more"]], {"doc_id": ["a"]}, "sig")


def test_keyword_index_loads_without_bm25s(seeded):
    code = ("import sys; from assistant.keyword import KeywordIndex; "
            f"index = KeywordIndex({str(seeded.keyword_path)!r}); "
            "print(len(index), index.search(['drog'], 1) != [], 'bm25s' in sys.modules, 'scipy' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["28", "True", "False", "False"]


def test_holding_gives_the_chunks_with_every_token_within_the_filter(tmp_path):
    index = build(tmp_path / "kw")
    drug, trafficking, meeting = (keyword_tokens(w, "en", query=True)[0] for w in ("drug", "trafficking", "meeting"))
    assert set(index.holding([drug, trafficking])) == {"a:0", "b:0", "d:0"}
    assert set(index.holding([drug, trafficking, meeting])) == {"a:0", "d:0"}
    assert index.holding([drug, meeting], index.mask({"doc_id": {"d"}})) == ["d:0"]
    assert index.holding([drug, "nosuchtoken"]) == []
    assert index.holding([]) == []


def test_stems_are_found_by_how_they_sound(tmp_path):
    from assistant.text import skeleton

    index = build(tmp_path / "kw")
    # Belgrade, as a Russian writer spells it, sounds as the index's "belgrad" does
    assert "belgrad" in index.spelled_alike(skeleton("Белграда"))
    assert index.spelled_alike("") == () and index.spelled_alike("zzzz") == ()
