"""Each report in a library of its own: what a user has after a first upload. The scorer's features are read
relative to the library (a chunk's retrieval score against the best chunk's, a sentence's centrality among
its report's candidates, the report's lead), so weights fitted only on libraries of many reports misjudge a
library of one. `assistant eval --alone` asks every report's own questions in a library holding that report
alone, with the unanswerable questions that look most like questions about it, and writes the fitting
examples for `--fit-with` to pool."""

from __future__ import annotations

import asyncio
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from .config import Settings
from .evaluation import Item, Result, run
from .fit import Example
from .heldout import examples, ranking_examples

OTHER_UNANSWERABLE = 2  # unanswerable questions about other things each library is asked as well


@dataclass
class Alone:
    """What asking each report alone gives: the results, and the ranker's and scorer's fitting examples."""

    results: list[Result]
    ranker_examples: list[Example]
    examples: list[Example]


def ask_alone(settings: Settings, files: list[Path], items: list[Item], library, concurrency: int = 4,
              progress: Callable[[str, int], None] | None = None) -> Alone:
    """Return each report file's items answered in a data directory holding that file alone. library is the
    assistant holding all of them: its translation links group a report with its twin (as held-out folds
    do), and its retrieval says which report an unanswerable question looks most like it is about."""
    def group_of(doc_id: str) -> str:
        rec = library.records.get(doc_id)
        return min(doc_id, rec.twin or doc_id) if rec else doc_id

    unanswerable = [i for i in items if not i.answerable]
    nearest = {}
    for item in unanswerable:
        found = library.retrieve(item.question)
        nearest[item.id] = group_of(found[0].doc_id) if found else ""
    out = Alone([], [], [])
    from .core import Assistant

    for path in files:
        with tempfile.TemporaryDirectory(prefix="assistant-alone-") as home:
            # always an embedded store: a library of one is this run's scratch, not the user's server
            one = Assistant(replace(settings, home=Path(home), chroma_url=None, collection=""))
            one.ingest([path])
            if len(one.records) != 1:  # a file ingest could not read: nothing to ask
                continue
            (doc_id,) = one.records
            group = group_of(doc_id)
            own = [i for i in items if i.answerable and any(d == doc_id for d, _quote in i.gold)]
            near = [i for i in unanswerable if nearest[i.id] == group]
            others = sorted((i for i in unanswerable if i not in near), key=lambda i: zlib.crc32(f"{doc_id} {i.id}".encode()))
            asked = own + near + others[:OTHER_UNANSWERABLE]
            results = asyncio.run(run(one, asked, [], concurrency))
            groups = {r.item.id: group for r in results}
            out.results += results
            out.ranker_examples += ranking_examples(results, one.document_text, one.passages, groups)
            out.examples += examples(results, one.document_text, groups)
            if progress:
                progress(path.name, len(own))
    return out
