"""twins: reports that translate each other are linked, their sentences aligned, dates shared."""

from __future__ import annotations

import json

import numpy as np

from assistant.store import DocRecord, Store
from assistant.twins import align, anchor_overlap, anchors, dated_by_twins, find_pairs

SR, EN = "000_7e6134a7318589bf", "001_23abd807676cf300"


def test_anchors_are_the_facts_a_translation_keeps():
    assert anchors("In 2021 the CND and UNODC said 97,4% of 87 ISAF") == {"2021", "CND", "UNODC", "97.4", "87", "ISAF"}
    assert anchor_overlap("CND 2021 UNODC", "Комисија CND, 2021, UNODC") == 1.0
    assert anchor_overlap("CND 2021", "CSTO 2016") == 0.0
    assert anchor_overlap("no anchors here", "CND") == 0.0


def test_the_cnd_reports_are_linked_and_nothing_else(seeded):
    store = Store(seeded)
    assert find_pairs(store) == {SR: EN, EN: SR}
    records = store.records()
    assert records[SR].twin == EN and records[EN].twin == SR
    assert all(r.twin == "" for d, r in records.items() if d not in (SR, EN))


def test_aligned_sentences_point_at_their_translation(seeded):
    store = Store(seeded)
    sr_text, en_text = store.document_text(SR), store.document_text(EN)
    got = store.sentences.get(where={"doc_id": SR}, include=["documents", "metadatas"])
    linked = [(t, json.loads(m["twin"])) for t, m in zip(got["documents"], got["metadatas"], strict=True)
              if m.get("twin")]
    assert len(linked) >= len(got["ids"]) // 2, "most sentences of 000 have an English twin"
    for _, (doc, start, end) in linked:
        assert doc == EN and 0 <= start < end <= len(en_text)
    coca = [en_text[s:e] for t, (_, s, e) in linked if "97,4" in t]
    assert coca and all("97.4" in c for c in coca), coca
    assert sr_text  # the Serbian text is stored whole


def test_align_follows_meaning_and_skips_what_has_no_counterpart():
    a = np.eye(4, dtype=np.float32)[[0, 1, 2]]
    b = np.eye(4, dtype=np.float32)[[0, 3, 1, 2]]  # b has an extra sentence (3) with no counterpart in a
    beads = align(a, b, ["x"] * 3, ["x"] * 4)
    assert beads == [([0], [0]), ([1], [2]), ([2], [3])]


def test_an_undated_twin_takes_its_partners_date():
    def rec(doc_id, date, twin):
        return DocRecord(doc_id, f"{doc_id}.txt", "t", "sr", "Cyrillic", date, "h", "complete", 1, 1, twin)

    records = {"a": rec("a", "", "b"), "b": rec("b", "2021-10-19", "a"), "c": rec("c", "", "")}
    dated = dated_by_twins(records)
    assert (dated["a"].date, dated["a"].date_from) == ("2021-10-19", "b")
    assert dated["b"] == records["b"] and dated["c"].date == ""
