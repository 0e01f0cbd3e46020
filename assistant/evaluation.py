"""Eval metrics: retrieval, answers, citations (ALCE) and abstention, overall and per language form."""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .grounding import MARKER, clean_claim, lexical_support, number_fidelity
from .text import fold
from .types import Answer, Passage

# Lexical support (character 4-gram containment after transliteration and lower-casing) at or above
# this counts as "the cited passages support the sentence". Checked against the gold quotes of
# evals/qa.jsonl (tests/test_evaluation.py): every quote supports itself, and fewer than 2% of pairs of
# different quotes pass it.
SUPPORT_THRESHOLD = 0.6
METRICS = ("recall@5", "recall@10", "hit@5", "mrr@10", "ndcg@10", "key_fact_recall", "citation_validity",
           "citation_coverage", "citation_recall", "citation_precision", "number_fidelity", "name_fidelity",
           "no_answer_hallucination", "false_refusal", "language_match", "faithfulness", "on_topic")
# How a conversation turn relates to the one before it (evals/README.md): scored apart, per language form.
TURN_KINDS = ("first", "follow_up", "topic_switch", "unrelated")
_NAME = re.compile(r"\b[A-ZА-ЯЂЈЉЊЋЏ][\w-]{2,}(?:\s+[A-ZА-ЯЂЈЉЊЋЏ][\w-]{2,})*")


@dataclass(frozen=True)
class Item:
    """One question to evaluate, with what its answer must show."""

    id: str
    question: str
    form: str
    language: str
    type: str
    answerable: bool
    key_facts: tuple[str, ...]
    gold: tuple[tuple[str, str], ...]
    near_miss: bool = False
    conversation: str = ""
    turn: int = 0
    kind: str = ""  # a conversation turn's kind (TURN_KINDS); "" for a single question
    folder: str = ""  # the eval folder it came from (`assistant eval --evals`), when several are run together


@dataclass
class Result:
    """An item, what the assistant said, and the item's scores."""

    item: Item
    answer: Answer
    scores: dict[str, float | None] = field(default_factory=dict)
    passages: list[Passage] = field(default_factory=list)  # the ranked passages retrieval scored


def load_items(path: Path, folder: str = "") -> list[Item]:
    """Return the items of a qa.jsonl file."""
    return [_item(json.loads(line), folder=folder) for line in Path(path).read_text("utf-8").splitlines()
            if line.strip()]


def load_conversations(path: Path, folder: str = "") -> list[list[Item]]:
    """Return the conversations of a conversations.jsonl file as lists of items, one per turn."""
    out = []
    for line in Path(path).read_text("utf-8").splitlines():
        if not line.strip():
            continue
        conv = json.loads(line)
        out.append([_item(turn | {"id": f"{conv['id']}/{i}", "form": conv["form"]}, conv["id"], i, folder)
                    for i, turn in enumerate(conv["turns"])])
    return out


def _item(d: dict, conversation: str = "", turn: int = 0, folder: str = "") -> Item:
    form = d["form"]
    return Item(
        id=d["id"], question=d["question"], form=form, language=d.get("language", form.split("-")[0]),
        type=d.get("type", "what"), answerable=d["answerable"], key_facts=tuple(d.get("key_facts", ())),
        gold=tuple((g["doc"], g["quote"]) for g in d.get("gold", ())), near_miss=d.get("near_miss", False),
        conversation=conversation, turn=turn, kind=d.get("kind", "") if conversation else "", folder=folder,
    )


def normalise(text: str, language: str | None = None) -> str:
    """Return text folded for fact matching: Latin script (by the rules of language, else of the language
    detected), lower case, no diacritics, decimal points."""
    return re.sub(r"(?<=\d),(?=\d)", ".", " ".join(fold(text, language).split()))


def states(text: str, fact: str) -> bool:
    """Return whether text states fact, both folded by the same transliteration rules: Serbian's or
    Russian's. A short fact's language cannot be told from its letters ("Сочи", "5 апреля 2016" read as
    Serbian), and folded by other rules than the answer around it, it never matched."""
    return any(normalise(fact, lang) in normalise(text, lang) for lang in ("sr", "ru"))


# --- retrieval -------------------------------------------------------------------------------------


def gold_spans(item: Item, text_of: Callable[[str], str | None]) -> list[tuple[str, int, int]]:
    """Return the gold quotes as (doc_id, start, end) in the indexed documents' text."""
    spans = []
    for doc, quote in item.gold:
        text = text_of(doc) or ""
        start = text.find(quote)
        if start >= 0:
            spans.append((doc, start, start + len(quote)))
    return spans


def relevant(p: Passage, spans: list[tuple[str, int, int]]) -> set[int]:
    """Return the gold spans a passage covers, itself or through its aligned translation twin."""
    places = [(p.doc_id, p.start, p.end)] + ([(p.twin.doc_id, p.twin.start, p.twin.end)] if p.twin else [])
    return {i for i, (doc, s, e) in enumerate(spans) for d, ps, pe in places if d == doc and ps < e and s < pe}


def retrieval_scores(passages: list[Passage], spans: list[tuple[str, int, int]], depth: int = 10) -> dict[str, float]:
    """Return recall@5, hit@5 and, when `depth` (how many passages the system was asked for) reaches 10,
    recall@10, MRR@10 and nDCG@10 of ranked passages against gold spans: a cut-off deeper than what was
    asked for would only repeat the shallower one."""
    if not spans:
        return {}
    hits = [relevant(p, spans) for p in passages[:10]]

    def recall(k: int) -> float:
        return len(set().union(*hits[:k])) / len(spans)

    out = {"recall@5": recall(5), "hit@5": float(any(hits[:5]))}
    if depth < 10:
        return out
    first = next((r for r, h in enumerate(hits) if h), None)
    out["recall@10"] = recall(10)
    out["mrr@10"] = 0.0 if first is None else 1.0 / (first + 1)
    dcg = sum(1.0 / math.log2(r + 2) for r, h in enumerate(hits) if h)
    ideal = sum(1.0 / math.log2(r + 2) for r in range(min(10, len(spans))))
    out["ndcg@10"] = min(1.0, dcg / ideal) if ideal else 0.0
    return out


# --- answers and citations ---------------------------------------------------------------------------


def key_fact_recall(answer: Answer, facts: Iterable[str]) -> float | None:
    """Return the share of key facts the answer states (after folding scripts and decimal commas)."""
    facts = list(facts)
    if not facts:
        return None
    text = answer.answer + " " + " ".join(c.twin.text for c in answer.citations if c.twin)
    return sum(states(text, f) for f in facts) / len(facts)


def citation_scores(answer: Answer, threshold: float = SUPPORT_THRESHOLD) -> dict[str, float | None]:
    """Return ALCE citation validity, coverage, recall and precision, and number/name fidelity."""
    if not answer.found or not answer.sentences:
        return {}
    by_n = {c.n: c.text for c in answer.citations}
    # A report's own reference marks ("… in 1874.[1]") quoted with its text are the report's, not the
    # answer's: a bracketed number that resolves to no citation counts against validity only when no cited
    # passage holds it.
    quoted = Counter(int(n) for text in by_n.values() for n in MARKER.findall(text))
    markers = []
    for n in map(int, MARKER.findall(answer.answer)):
        if n not in by_n and quoted[n]:
            quoted[n] -= 1
            continue
        markers.append(n)
    validity = sum(n in by_n for n in markers) / len(markers) if markers else 0.0
    coverage = sum(bool(s.citations) for s in answer.sentences) / len(answer.sentences)
    supported, precise, total_cites, numbers, names = 0, 0, 0, [], []
    for s in answer.sentences:
        cited = [by_n[n] for n in s.citations if n in by_n]
        joint = bool(cited) and lexical_support(s.text, cited) >= threshold
        supported += joint
        for i, passage in enumerate(cited):
            total_cites += 1
            alone = lexical_support(s.text, [passage]) >= threshold
            rest = cited[:i] + cited[i + 1:]
            removable = bool(rest) and lexical_support(s.text, rest) >= threshold
            precise += joint and (alone or not removable)
        fid = number_fidelity(s.text, cited)
        if fid is not None:
            numbers.append(fid)
        claim_names = set(_NAME.findall(clean_claim(s.text)))
        if claim_names:
            pool = " ".join(cited)
            names.append(sum(states(pool, n) for n in claim_names) / len(claim_names))
    return {
        "citation_validity": validity,
        "citation_coverage": coverage,
        "citation_recall": supported / len(answer.sentences),
        "citation_precision": precise / total_cites if total_cites else 0.0,
        "number_fidelity": sum(numbers) / len(numbers) if numbers else None,
        "name_fidelity": sum(names) / len(names) if names else None,
    }


def language_match(answer: Answer, language: str) -> float:
    """Return 1 when every answer sentence is in the question's language or labelled as an original (the
    label of a run of quotes from one report, before its first, counting for all of them)."""
    from .grounding import LABEL
    from .text import LIST_ITEM, detect_language

    if not answer.found:
        return float(detect_language(answer.answer) == language)
    doc_of = {c.n: c.doc_id for c in answer.citations}
    ok, labelled = [], None
    for s in answer.sentences:
        doc = doc_of.get(s.citations[0]) if s.citations else None
        item = LIST_ITEM.match(s.text)  # a list item's label comes after its bullet ("- (Serbian original) …")
        if LABEL.match(s.text, item.end() if item else 0):
            labelled = doc
        elif doc != labelled:
            labelled = None
        ok.append(detect_language(clean_claim(s.text)) == language or (labelled is not None and doc == labelled))
    return sum(ok) / len(ok) if ok else 0.0


def on_topic(answer: Answer, item: Item) -> float:
    """Return 1 when the answer cites a report the item's gold passages are in (a translation counts
    through its aligned span), else 0: after a topic switch, was the new topic answered?"""
    gold = {doc for doc, _quote in item.gold}
    cited = {c.doc_id for c in answer.citations} | {c.twin.doc_id for c in answer.citations if c.twin}
    return float(answer.found and bool(gold & cited))


def score_result(result: Result, passages: list[Passage], text_of: Callable[[str], str | None],
                 depth: int = 10) -> None:
    """Fill result.scores with every metric that applies to its item (retrieval over `depth` passages)."""
    item, answer = result.item, result.answer
    s: dict[str, float | None] = {"language_match": language_match(answer, item.language)}
    if item.answerable:
        s |= retrieval_scores(passages, gold_spans(item, text_of), depth)
        s["key_fact_recall"] = key_fact_recall(answer, item.key_facts)
        s["false_refusal"] = float(not answer.found)
        s |= citation_scores(answer)
        if item.conversation and item.gold:
            s["on_topic"] = on_topic(answer, item)
    else:
        s["no_answer_hallucination"] = float(answer.found)
    result.scores = s


def aggregate(results: list[Result], key: Callable[[Result], str] | None = None) -> dict:
    """Return the mean of each metric over results, or per group when key is given."""
    if key is not None:
        groups: dict[str, list[Result]] = defaultdict(list)
        for r in results:
            groups[key(r)].append(r)
        return {g: aggregate(rs) for g, rs in sorted(groups.items())}
    out: dict[str, float | int] = {"n": len(results)}
    for metric in METRICS:
        values = [r.scores[metric] for r in results if r.scores.get(metric) is not None]
        if values:
            out[metric] = round(sum(values) / len(values), 4)
    return out


# --- running -----------------------------------------------------------------------------------------


async def run(assistant, items: list[Item], conversations: list[list[Item]], concurrency: int = 4,
              progress: Callable[[int, int], None] | None = None, judge=None,
              ranker_of: Callable[[str], object] | None = None) -> list[Result]:
    """Ask every item once (conversations turn by turn, with their history) and score the answers, the
    retrieval metrics on the passages each answer read (Answer.retrieved: the assistant's top_k, so the
    @10 cut-offs only when top_k ≥ 10); with a judge (judge.Judge), also the LLM-judged faithfulness of
    each answer's claims. ranker_of(item id), when given, is the chunk ranker's weights to ask it with
    (held-out evaluation: weights fitted without the item's report)."""
    depth = assistant.settings.top_k
    semaphore = asyncio.Semaphore(concurrency)
    total = len(items) + sum(len(c) for c in conversations)
    done = 0
    results: list[Result] = []

    def tick():
        nonlocal done
        done += 1
        if progress:
            progress(done, total)

    async def one(item: Item, history=(), last=None) -> Result:
        async with semaphore:
            asker = assistant.ranked_by(ranker_of(item.id)) if ranker_of is not None else assistant
            answer = await asker.aask(item.question, list(history), last=last)
            faithful = await judge.afaithfulness(answer) if judge is not None else None
        result = Result(item, answer, passages=list(answer.retrieved))
        score_result(result, list(answer.retrieved), assistant.document_text, depth)
        if faithful is not None:
            result.scores["faithfulness"] = faithful
        tick()
        return result

    async def conversation(turns: list[Item]) -> list[Result]:
        history: list[dict] = []
        last = None
        out = []
        for item in turns:
            r = await one(item, history, last)
            out.append(r)
            last = r.answer
            history += [{"role": "user", "content": item.question}, {"role": "assistant", "content": r.answer.answer}]
        return out

    singles = await asyncio.gather(*(one(i) for i in items))
    convs = await asyncio.gather(*(conversation(c) for c in conversations))
    results.extend(singles)
    for c in convs:
        results.extend(c)
    return results


def item_rows(results: list[Result]) -> list[dict]:
    """Return one plain record per result (item, answer, cited spans, scores), for reading failures; with the
    extractive answerer, how close its gate was ("gate": confidence and threshold)."""
    rows = []
    for r in results:
        row = {
            "id": r.item.id, "form": r.item.form, "type": r.item.type, "answerable": r.item.answerable,
            "near_miss": r.item.near_miss, "kind": r.item.kind, "folder": r.item.folder, "question": r.item.question,
            "standalone": r.answer.standalone_question, "key_facts": list(r.item.key_facts), "found": r.answer.found,
            "answer": r.answer.answer,
            "citations": [{"doc": c.doc_id, "start": c.start, "end": c.end, "score": c.score}
                          for c in r.answer.citations],
            "scores": r.scores,
        }
        ev = r.answer.evidence
        if ev is not None and len(ev.features):
            row["gate"] = {"confidence": round(ev.confidence, 4), "threshold": round(ev.threshold, 4)}
        rows.append(row)
    return rows


def summary(results: list[Result]) -> dict:
    """Return the report object: metrics overall, per language form, per question type, per set (and per eval
    folder when items came from several)."""
    folders = {r.item.folder for r in results}
    return ({"by_folder": aggregate(results, key=lambda r: r.item.folder)} if len(folders) > 1 else {}) | {
        "n": len(results),
        "metrics": {k: v for k, v in aggregate(results).items() if k != "n"},
        "by_language": aggregate(results, key=lambda r: r.item.form),
        "by_type": aggregate(results, key=lambda r: r.item.type if r.item.answerable else "unanswerable"),
        "by_set": aggregate(results, key=lambda r: "conversations" if r.item.conversation else "qa"),
        "by_turn": by_turn(results),
    }


def by_turn(results: list[Result]) -> dict:
    """Return the conversation turns' metrics per turn kind, overall and per language form."""
    turns = [r for r in results if r.item.conversation and r.item.kind in TURN_KINDS]
    out = aggregate(turns, key=lambda r: r.item.kind)
    for kind, forms in aggregate(turns, key=lambda r: f"{r.item.kind}/{r.item.form}").items():
        name, form = kind.split("/")
        out[name].setdefault("by_language", {})[form] = forms
    return out
