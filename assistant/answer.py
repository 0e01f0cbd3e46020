"""The extractive answerer: scores the sentences of the retrieved passages with the fitted scorer
(assistant/scorer.py), quotes the best one, verbatim with its [n], or abstains when no sentence is likely
enough to answer; close passages are then offered apart, as related reading."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from .facts import Facts, dateline_end, sentence_facts, title_line
from .grounding import lexical_support, support
from .messages import no_answer, original_label, unresolved
from .query import Query
from .scorer import Weights, features, load_weights, question_inputs, type_new
from .text import (
    LATIN,
    LIST_ITEM,
    content_words,
    is_heading,
    is_list_item,
    leans_back,
    quote_depth,
    quotes_closed,
    to_latin,
)
from .types import Answer, AnswerSentence, Citation, Passage, Twin

# A second sentence is quoted beside the best only when it is nearly as likely (a near tie, common across
# languages) and says something else: short answers put the fact first. (The sentences a quote carries along,
# its list or the rest of its quotation, are not counted.)
MAX_SENTENCES = 2
# A sentence quoted beside the best must be more likely than not to answer on its own: a near tie, or the
# sentence right after the best that leans on it ("This data indicates…").
LIKELY = 0.5
# A quote that is a list, or announces one, goes on through the list's items, at most this many sentences.
# A question asking for a date or a figure is answered by the item holding it, not by the rest of its list.
ONE_FACT = ("when", "how_much")
LIST_ITEMS = 8
# A quote that opens a quotation goes on to the sentence that closes it, at most this many sentences on: news
# names the speaker at the end ("…», — заявил Казакевич"), and a quotation's first sentence alone says neither
# whose words they are nor how they end.
QUOTATION_SENTENCES = 3
SECOND_WITHIN = 0.1
MIN_SUPPORT = 0.5
# A quoted sentence longer than this many words is cut to the clause that holds what was asked, a verbatim
# span of it with its own offsets: the fact comes first, not at word 60.
LONG_SENTENCE = 30
CLAUSE_MIN_WORDS = 6
INSERTION_WORDS = 8
ITEM_WORDS = 3
# Passages offered as related reading when the answer is "not found": the closest ones, at most this many,
# whose ranking probability is at least RELATED_FLOOR.
RELATED = 3
RELATED_FLOOR = 0.25


@dataclass(frozen=True)
class Candidate(Passage):
    """A sentence of a retrieved chunk (a sentence-sized Passage) with what the scorer reads of it."""

    vector: np.ndarray | None = None
    chunk_rank: int = 0
    chunk_score: float = 0.0  # its chunk's retrieval score (ranker probability) relative to the best chunk's
    words: frozenset[str] = frozenset()
    cognates: frozenset[str] = frozenset()  # text.cognate_keys of its words
    facts: Facts = field(default_factory=Facts)
    report_words: frozenset[str] = frozenset()
    report_countries: frozenset[str] = frozenset()
    report_lead: frozenset[str] = frozenset()  # content words of its report's first two sentences
    centrality: float = 0.0  # closeness of its vector to its report's mean sentence vector
    position: int = 0  # its index among its report's sentences


@dataclass(frozen=True)
class Scored:
    """A candidate with its probability of answering the question."""

    candidate: Candidate
    score: float


@dataclass(frozen=True)
class Evidence:
    """What the answerer weighed for one question: its candidates and their feature rows. decide() makes
    the answer again under other weights (held-out evaluation re-decides with each fold's model)."""

    query: Query
    candidates: tuple[Candidate, ...]
    features: np.ndarray
    twin_meta: dict
    confidence: float = 0.0  # the gate's confidence in the best sentence
    threshold: float = 0.0  # under which it was "not found"

    def decide(self, weights: Weights) -> Answer:
        """Return the answer these candidates give under weights."""
        return answer(self.query, list(self.candidates), self.twin_meta, weights, self.features)


def choose(scored: list[Scored], confident: bool = True, one_fact: bool = False) -> list[Scored]:
    """Return the sentences to quote when the gate is confident: the best, and a near-tied second that says
    something else, each with the list it announces (it ends with a colon) or, unless the question asks for
    one fact (a date, a figure: one_fact), the rest of the list it is an item of, or the rest of the quotation
    it opens."""
    if not scored or not confident:
        return []
    scored = _under_headings(scored)
    if not scored:
        return []
    best = scored[0]
    chosen = _quotation_before(best.candidate, scored) + [best] + \
        (_carried(best.candidate, scored, one_fact) or _leaning_after(best.candidate, scored, one_fact))
    picks = 1  # what a quote carries along (its list, the rest of its quotation) is not a pick of its own
    for s in scored[1:]:
        if picks >= MAX_SENTENCES or s.score < max(LIKELY, best.score - SECOND_WITHIN):
            break
        if not any(_same_fact(s.candidate, c.candidate) for c in chosen):
            # an announcement quoted without what it announces says nothing
            chosen += [f for f in _quotation_before(s.candidate, scored) if f not in chosen] + [s] + \
                [f for f in _carried(s.candidate, scored, one_fact) if f not in chosen]
            picks += 1
    # Read in document order when quoting one document.
    if len({s.candidate.doc_id for s in chosen}) == 1:
        chosen.sort(key=lambda s: s.candidate.start)
    return chosen


def answer(query: Query, candidates: list[Candidate], twin_meta: dict, weights: Weights | None = None,
           x: np.ndarray | None = None) -> Answer:
    """Return the extractive answer to query from candidates (twin_meta: the documents a twin may stand in
    from), with the Evidence behind it."""
    weights = weights or load_weights()
    x = features(query, candidates) if x is None else x
    evidence = Evidence(query, tuple(candidates), x, twin_meta)
    if query.said:  # "what else?": the sentences the last reply quoted are left out, before the gate reads
        keep = [i for i, c in enumerate(candidates) if (c.doc_id, c.start) not in query.said]
        candidates, x = [candidates[i] for i in keep], x[keep]
    probs = weights.probabilities(x)
    scored = sorted((Scored(c, float(p)) for c, p in zip(candidates, probs, strict=True)), key=lambda s: -s.score)
    confidence = weights.confidence(x, probs, question_inputs(query))
    confident = query.searchable and not query.unresolved and confidence >= weights.threshold
    chosen = choose(scored, confident, one_fact=query.kind in ONE_FACT)
    quoted = [focus(undated(in_question_language(s, query.language, twin_meta), query), query) for s in chosen]
    result = compose(query.text, query.language, quoted, standalone=query.standalone, script=query.script)
    if query.unresolved:
        result = replace(result, answer=unresolved(query.language, query.text, query.unresolved))
    if not result.found:
        # A heading names a section and says nothing: as related reading, the sentence under it stands in.
        related = [s.candidate for s in _under_headings(scored)[:RELATED] if s.score >= RELATED_FLOOR]
        result = replace(result, related=tuple(_as_passage(c) for c in related))
    return replace(result, evidence=replace(evidence, confidence=confidence, threshold=weights.threshold))


# Only a report's first sentences can open with its dateline.
DATELINE_POSITIONS = 2


def undated(s: Scored, query: Query) -> Scored:
    """Return the sentence without the dateline it opens with ("Podgorica, januar 2022. — "): the place and
    date of a report are not what it found. Kept for a question asking when or where."""
    c = s.candidate
    if c.position >= DATELINE_POSITIONS or query.kind in ("when", "where"):
        return s
    cut = dateline_end(c.text, c.language)
    if not cut or not c.text[cut:].strip():
        return s
    return replace(s, candidate=replace(c, start=c.start + cut, text=c.text[cut:]))


_CLAUSE_END = re.compile(r"[;:]\s+|,\s+|\s+[–—-]\s+")
# A relative or subordinate clause says something of the noun or the clause before it and cannot be quoted
# without it ("…a Chinese firm, which offered to build the bridge for 2.08 billion kuna"; "…Smirnova said, that
# visitors rose by 35 per cent"): a clause chosen that opens with a relative pronoun or a subordinating
# conjunction is quoted from the clause before it, and a sentence's first clause that opens with one
# ("Although the council had planned…, the baths…") with the clause after it.
_DEPENDENT = re.compile(r"(?:which|who|whom|whose|where|кој\w*|koj\w*|чиј\w*|čij\w*|cij\w*|котор\w*|чей|чья|чьё|чьи"
                       r"|gde|gdje|где|гдје|kuda|куда"
                       r"|that|although|though|because|whereas|unless|while"
                       r"|da|što|sto|jer|iako|mada|pošto|posto|zbog čega|zbog cega"
                       r"|да|што|јер|иако|мада|пошто|због чега"
                       r"|что|чтобы|хотя|потому что|поскольку|так как|ибо|из-за чего)\b", re.IGNORECASE)
# Nor can a clause that ends on a word announcing what follows (a conjunction that opens a clause, a
# preposition, an article): "Katnić said that, “on reasonable suspicion”, he believed…" cut before its first
# comma quotes "Katnić said that" and none of what he said. Such a clause is quoted with what follows it.
_LEADS_ON = re.compile(
    r"(?:^|\s)(?:that|whether|because|if|than|as|and|or|but|of|to|in|on|at|by|for|with|from|into|about|the|an?"
    r"|da|što|sto|jer|kako|ako|nego|i|ili|ali|u|na|za|od|do|sa|s|iz|o|po|pri|kod|prema"
    r"|да|што|јер|како|ако|него|и|или|а|али|у|на|за|од|до|са|с|из|о|по|при|код|према"
    r"|что|чтобы|как|если|чем|но|в|во|от|со|об|к|для)$", re.IGNORECASE)


def clauses(text: str) -> list[tuple[int, int]]:
    """Return the spans of text's clauses (cut at ; : , and dashes), each at least CLAUSE_MIN_WORDS words
    (a shorter one joins the clause before it)."""
    # A comma beside a list item (at most ITEM_WORDS words to the mark before or after it: "Austria, Croatia,
    # Ireland and Finland") ends no clause: a list is quoted whole, never cut into its items.
    marks = list(_CLAUSE_END.finditer(text))
    starts = [0] + [m.end() for m in marks]  # where each piece between marks starts
    stops = [m.start() for m in marks] + [len(text)]  # and where it stops
    pieces = [len(text[a:b].split()) for a, b in zip(starts, stops, strict=True)]
    cuts = [0] + [m.end() for i, m in enumerate(marks)
                  if not (m.group().startswith(",") and min(pieces[i], pieces[i + 1]) <= ITEM_WORDS)] + [len(text)]
    spans: list[list[int]] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if spans and len(text[spans[-1][0]:spans[-1][1]].split()) < CLAUSE_MIN_WORDS:
            spans[-1][1] = b
        else:
            spans.append([a, b])
    if len(spans) > 1 and len(text[spans[-1][0]:spans[-1][1]].split()) < CLAUSE_MIN_WORDS:
        last = spans.pop()
        spans[-1][1] = last[1]
    out = []
    for a, b in spans:
        piece = text[a:b]
        a += len(piece) - len(piece.lstrip())
        b -= len(piece) - len(piece.rstrip(" ,;:–—-"))
        out.append((a, b))
    return out


def focus(s: Scored, query: Query) -> Scored:
    """Return the sentence cut to the clause that holds most of what the question asks (its words that do not
    just name the report, its rare words, the kind of fact asked for), or whole when it is short or no
    clause stands out."""
    c = s.candidate
    # A list of longer items is still cut at its commas (clauses keeps only short items together): a question
    # that asks for a list gets the sentence whole.
    if len(c.text.split()) <= LONG_SENTENCE or query.wants_list:
        return s
    pieces = clauses(c.text)
    if len(pieces) < 2:
        return s
    # Plain words only: a name also gives prefix and skeleton tokens, which would make a clause full of the
    # question's names outweigh the one holding the fact.
    asked = {w for w in (query.words - c.report_lead or query.words) if w[:1] not in "^~"}

    # The names the question states say whom or what it asks about, not what it asks of them: like its rare
    # words, they only tip the balance between clauses ("Ivanov" opens "Ivanov, the head of…, said that…").
    stated = {e[:5] for e in query.facts.entities + query.facts.names}
    rare = {w for w in query.rare if w[:1] not in "^~"} | {w for w in asked if w[:5] in stated}

    # Across languages the question's words are not the sentence's: a clause is chosen there only for the
    # kind of fact or unit asked for, which read the same in every language.
    lexical = c.language == query.language

    def worth(span: tuple[int, int]) -> tuple[bool, float, float]:
        """Return whether a clause states the kind of fact asked for (a name for "who", a date for "when"…),
        what it holds of the question beyond the names it gives (its own words, that kind of fact, the unit
        asked for), and that plus its rare words: a clause that only names the question's subject ("from
        the Republic of Serbia (DPNSEE)", "the XXIII meeting of the Council was held") does not say what
        was asked about it, however many of the question's words it repeats."""
        words, facts = _clause_reading(c.text[span[0]:span[1]], c.language)
        value = sum(query.weights.get(w, 1.0) for w in (asked - rare) & words) if lexical else 0.0
        typed = query.kind in ("who", "when", "where", "how_much") and type_new(query, facts)
        if typed:
            value += 3.0
        if query.unit and query.unit in facts.units:
            value += 3.0
        return typed, value, value + 0.5 * len(rare & words)

    values = [worth(p) for p in pieces]
    ranks = [(v[0], v[2]) for v in values]
    best = max(range(len(pieces)), key=lambda i: ranks[i])
    if values[best][1] <= 0 or sorted(ranks)[-2] == ranks[best]:
        return s
    a, b = pieces[best]
    last = best  # the quote runs from pieces[best] to pieces[last]
    while best and _DEPENDENT.match(c.text, a):
        best -= 1
        a = pieces[best][0]
    if best == last == 0 and len(pieces) > 1 and _DEPENDENT.match(c.text, a):
        last = 1
        b = pieces[1][1]
    while last + 1 < len(pieces) and _LEADS_ON.search(c.text, a, b):
        inserted = c.text.startswith(",", b)
        last += 1
        b = pieces[last][1]
        # "said that, according to the evidence so far, the case…": a short clause right after "that," is an
        # insertion, and what was said comes after it.
        if inserted and last + 1 < len(pieces) and len(c.text[pieces[last][0]:b].split()) <= INSERTION_WORDS:
            last += 1
            b = pieces[last][1]
    # A clause ending on a colon, or on a short dependent clause that does ("…will work in places, where many
    # young people gather: at factories, in colleges…"), announces the rest of its sentence: a list, what was said.
    colon = c.text.find(":", b)
    if last + 1 < len(pieces) and colon != -1:
        between = c.text[b:colon].strip(" ,")
        if not between or _DEPENDENT.match(between) and len(between.split()) <= INSERTION_WORDS:
            b = pieces[-1][1]
    narrowed = replace(c, start=c.start + a, end=c.start + b, text=c.text[a:b])
    return replace(s, candidate=narrowed)


@lru_cache(maxsize=4096)
def _clause_reading(text: str, language: str) -> tuple[frozenset[str], Facts]:
    """Return a clause's plain content words and its facts. Cached: they depend on the clause alone, and the
    same long sentences of a report come up question after question."""
    return frozenset(w for w in content_words(text, language) if w[:1] not in "^~"), sentence_facts(text, language)


def _as_passage(c: Candidate) -> Passage:
    return Passage(chunk_id=c.chunk_id, doc_id=c.doc_id, source=c.source, title=c.title, language=c.language,
                   date=c.date, start=c.start, end=c.end, text=c.text, score=c.score, twin=c.twin)


# The most characters between a sentence and the next one of the same paragraph (a space, a line break,
# or a space and a non-breaking space).
ADJACENT_GAP = 2


def _under_headings(scored: list[Scored]) -> list[Scored]:
    """Return the scored sentences with each Markdown heading (which names what the text under it says and
    states nothing itself) replaced by the sentence under it, with the heading's score (the question matched
    the section's name), or left out when that sentence is no candidate or is a line that says no more than the
    heading (a byline, "Autor: Redakcija | Privreda", a date alone: a title line)."""
    out: list[Scored] = []
    for s in scored:
        if is_heading(s.candidate.text):
            under = next((f for f in scored if _continues(f.candidate, s.candidate) and not is_heading(f.candidate.text)),
                         None)
            if under is None or title_line(under.candidate.text):
                continue
            s = Scored(under.candidate, s.score)
        if not any(o.candidate is s.candidate for o in out):
            out.append(s)
    return out


def _list_after(c: Candidate, scored: list[Scored], one_fact: bool = False) -> list[Scored]:
    """Return the sentences that carry on what c begins: the one after a sentence that announces it (ends
    with a colon), and the next items of a list while the quote is in one (at most LIST_ITEMS), so that
    "list the measures" is answered with the list, not its first item. With one_fact, an item the question
    was answered by does not bring the items after it (but an announced list is still given whole)."""
    out: list[Scored] = []
    last = c
    while len(out) < LIST_ITEMS:
        follower = _after(last, scored)
        if follower is None or is_heading(follower.candidate.text):
            break
        announced = last is c and c.facts.announces
        listed = (c.facts.announces or not one_fact) and is_list_item(last.text) and \
            is_list_item(follower.candidate.text)
        if not (announced or listed):
            break
        out.append(follower)
        last = follower.candidate
    return out


def _carried(c: Candidate, scored: list[Scored], one_fact: bool = False) -> list[Scored]:
    """Return the sentences a quote of c cannot stop before: the list it announces or is in (_list_after),
    or the rest of the quotation it opens (_quotation_after)."""
    return _list_after(c, scored, one_fact) or _quotation_after(c, scored)


def _quotation_after(c: Candidate, scored: list[Scored]) -> list[Scored]:
    """Return the sentences from the one after c to the one that closes the quotation c opens, or none when
    c opens none, or it is not closed within QUOTATION_SENTENCES candidate sentences."""
    depth = quote_depth(c.text)
    out: list[Scored] = []
    while depth:
        follower = _after(out[-1].candidate if out else c, scored)
        if follower is None or len(out) == QUOTATION_SENTENCES or is_heading(follower.candidate.text):
            return []
        depth = quote_depth(follower.candidate.text, depth)
        out.append(follower)
    return out


def _quotation_before(c: Candidate, scored: list[Scored]) -> list[Scored]:
    """Return the sentences, in order, from the one that opens the quotation c closes to the one before c
    (news names the speaker after the quotation: "…on mud. The first step will be a new pitch", said the
    president); none when c closes none, or its opening is not a candidate within QUOTATION_SENTENCES."""
    open_, out, at = quotes_closed(c.text), [], c
    while open_ > 0:
        before = _before(at, scored)
        if before is None or len(out) == QUOTATION_SENTENCES or is_heading(before.candidate.text):
            return []
        depth, unopened = quote_depth(before.candidate.text), quotes_closed(before.candidate.text)
        open_ += unopened - depth
        out.insert(0, before)
        at = before.candidate
    return out


def _leaning_after(c: Candidate, scored: list[Scored], one_fact: bool = False) -> list[Scored]:
    """Return the sentence after c when it leans on c for its subject ("Its main stage ran from 22 to 26
    September" after the sentence naming the operation): what c began, it carries on, often with the fact
    asked for; it is quoted when it is likely to answer too, with what it carries in turn (the list it
    announces: "Its main items are:" is nothing without them, and is left out when they are no candidates)."""
    follower = _after(c, scored)
    if follower is None or follower.score < LIKELY or is_heading(follower.candidate.text) or \
            not leans_back(follower.candidate.text, follower.candidate.language):
        return []
    carried = _carried(follower.candidate, scored, one_fact)
    if follower.candidate.facts.announces and not carried:
        return []
    return [follower] + carried


def _after(c: Candidate, scored: list[Scored]) -> Scored | None:
    """Return the scored sentence right after c in its report, if it is a candidate."""
    return next((s for s in scored if _continues(s.candidate, c)), None)


def _before(c: Candidate, scored: list[Scored]) -> Scored | None:
    """Return the scored sentence right before c in its report, if it is a candidate."""
    return next((s for s in scored if _continues(c, s.candidate)), None)


def _continues(b: Candidate, a: Candidate) -> bool:
    """Return whether b is the sentence right after a in the same report."""
    return b.doc_id == a.doc_id and 0 <= b.start - a.end <= ADJACENT_GAP


def _same_fact(a: Candidate, b: Candidate) -> bool:
    """Return whether two sentences overlap, one states the other's words, or one is the other's translation."""
    # A report may say a sentence twice (its lede again at the end, a pull quote): told apart by place alone,
    # both were quoted, the same words as [1] and [2]. So sentences of one report are compared by their words
    # too, as sentences of two reports are.
    if a.doc_id == b.doc_id and (a.start < b.end and b.start < a.end or _restates(a.text, b.text)):
        return True
    for x, y in ((a, b), (b, a)):
        if x.twin and x.twin.doc_id == y.doc_id and x.twin.start < y.end and y.start < x.twin.end:
            return True
    return lexical_support(a.text, [b.text]) > 0.8


# What a repeated sentence may have around it that the first does not: quotation marks, its end's punctuation.
_AROUND = "\"'“”„‟«»‘’‚‹›.!?…:;,–— "


def _restates(a: str, b: str) -> bool:
    """Return whether one text holds the other's words, whole words in the same order, whatever their case and
    spacing (a pull quote in capitals, a sentence repeated in part)."""
    x, y = (" ".join(t.casefold().split()).strip(_AROUND) for t in (a, b))
    short, long = sorted((x, y), key=len)
    return bool(short) and re.search(rf"(?<!\w){re.escape(short)}(?!\w)", long) is not None


def in_question_language(s: Scored, language: str, twin_meta: dict[str, dict]) -> Scored:
    """Return the sentence's aligned twin when the question's language is the twin's and twin_meta (the
    documents allowed) has it; else the sentence."""
    c = s.candidate
    if c.language == language or c.twin is None or c.twin.language != language:
        return s
    meta = twin_meta.get(c.twin.doc_id)
    if meta is None:
        return s
    twin = Twin(c.doc_id, c.language, c.start, c.end, c.text)
    swapped = replace(
        c, doc_id=c.twin.doc_id, source=meta["source"], title=meta["title"], language=c.twin.language,
        date=meta.get("date", ""), start=c.twin.start, end=c.twin.end, text=c.twin.text, twin=twin,
    )
    return replace(s, candidate=swapped)


def opens_line(sentence: AnswerSentence, citations: dict[int, Citation]) -> bool:
    """Return whether a quoted sentence of an answer starts a line of its own: it quotes a list's item, or
    another version of a cited report (versions.with_other_versions)."""
    return sentence.other_version_of is not None or bool(sentence.citations) and \
        sentence.citations[0] in citations and is_list_item(citations[sentence.citations[0]].text)


def joined(texts: list[str], opens: list[bool], line_break: str = "\n") -> str:
    """Return an answer's sentences (or their rendering) as one text, those that open a line (opens_line)
    after a line break, the others after a space."""
    return "".join(((line_break if o else " ") if i else "") + t
                   for i, (t, o) in enumerate(zip(texts, opens, strict=True)))


def shown(quote: str, quote_language: str, language: str, script: str) -> str:
    """Return a quote as the answer shows it. Serbian is written in both scripts, and Cyrillic to Latin is one
    to one: a Serbian Cyrillic quote answering a question asked in Latin letters is shown in them, the same
    words; its citation keeps the report's own text and offsets."""
    if quote_language == language == "sr" and script == LATIN:
        return to_latin(quote, "sr")
    return quote


def compose(question: str, language: str, chosen: list[Scored], answerer: str = "extractive",
            standalone: str = "", script: str = "") -> Answer:
    """Return the answer that quotes the chosen sentences, each with its [n], or an abstention."""
    if not chosen:
        return Answer(question=question, answer=no_answer(language, question), found=False,
                      answerer=answerer, standalone_question=standalone, language=language)
    citations: list[Citation] = []
    sentences: list[AnswerSentence] = []
    for n, s in enumerate(chosen, 1):
        c = s.candidate
        citations.append(Citation(n=n, doc_id=c.doc_id, source=c.source, title=c.title, language=c.language,
                                  text=c.text, start=c.start, end=c.end, score=round(s.score, 4), date=c.date,
                                  twin=c.twin))
        # Labelled once for a run of quotes from one report (a list's items), not on every line.
        before = chosen[n - 2].candidate if n > 1 else None
        same_run = before is not None and (before.doc_id, before.language) == (c.doc_id, c.language)
        label = "" if c.language == language or same_run else \
            original_label(language, question, c.language, translation=c.twin is not None) + " "
        quote = shown(c.text, c.language, language, script)
        # A list item keeps its bullet first ("- (Serbian original) …"), as the line it is.
        bullet = LIST_ITEM.match(quote) if label else None
        text = f"{quote[:bullet.end()]}{label}{quote[bullet.end():]} [{n}]" if bullet else f"{label}{quote} [{n}]"
        sentences.append(AnswerSentence(text=text, citations=(n,), support=support(text, [c.text])))
    # A quote is its own support; the check still runs so that a bug in span handling cannot pass silently.
    sentences = [s for s in sentences if s.support >= MIN_SUPPORT]
    cited = {n for s in sentences for n in s.citations}
    citations = [c for c in citations if c.n in cited]
    if not sentences:
        return compose(question, language, [], answerer, standalone)
    return Answer(
        question=question,
        answer=joined([s.text for s in sentences], [opens_line(s, {c.n: c for c in citations}) for s in sentences]),
        found=True,
        citations=tuple(citations),
        sentences=tuple(sentences),
        answerer=answerer,
        standalone_question=standalone,
        language=language,
    )
