"""The extractive answerer: picks the sentences of the retrieved passages that answer the question and
quotes them, each with its [n]; or abstains when none does."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from .grounding import lexical_support, support
from .messages import no_answer, original_label
from .text import content_words, fold
from .types import Answer, AnswerSentence, Citation, Passage, Twin

# Calibrated on evals/qa.jsonl (answerable and unanswerable items, all four language forms): a sentence
# answers when its meaning is this close to the question, or close enough and it shares the question's
# words. See `assistant eval` for the rates these give.
MIN_SIMILARITY = 0.84
MIN_SIMILARITY_WITH_WORDS = 0.80
MIN_WORD_OVERLAP = 0.1
# multilingual-e5 scores a question against a sentence in another language ~0.05 lower than against the
# same sentence in the question's language (measured on the 000/001 translation twins).
CROSS_LINGUAL_OFFSET = 0.05
MAX_SENTENCES = 3
MIN_SUPPORT = 0.5
SECOND_WITHIN = 0.03
# What a sentence stating the kind of fact the question asks for (see _FEATURES) gains. A person's name
# counts more for "who": a report's dateline names the meeting, the place and the hosts, and so resembles
# every question about it more than the sentence saying who came. For "who", 0.04 and 0.06 changed no item
# of the eval set (0.08 gained one, 0.10–0.15 lost one to three); 0.06 puts the sentence naming Milan
# Pekić above the workshop's dateline for "Ко је представљао Србију на радионици у Сарајеву?".
FEATURE_BONUS = {"who": 0.06, "when": 0.02, "how_much": 0.02, "where": 0.02}

QUESTION_TYPES = {
    "who": r"\b(who|whom|whose|which (organi[sz]ation|body|country|countries)|ko|koga|čiji|ciji|кo|ко|кога|чији|кто|кого|чей|чья)\b",
    "when": r"\b(when|what date|which day|kada|kad|када|кад|когда|какого числа)\b",
    "how_much": r"\b(how (much|many|large|big)|what (percent|share|number)|koliko|колико|сколько)\b",
    "where": r"\b(where|in which (city|country|place)|gde|gdje|где|гдје|gdje|откуда|odakle|одакле)\b",
}
_FEATURES = {
    # A person's name: two capitalised words ("Милан Пекић", "Victor Ivanov"); acronyms and lone capitals
    # do not count, as every dateline has them ("TAIEX", "Министарством").
    "who": re.compile(r"(?<!^)\b[A-ZА-ЯЂЈЉЊЋЏ][a-zа-яёђјљњћџčćšžđ]{2,}\s+[A-ZА-ЯЂЈЉЊЋЏ][a-zа-яёђјљњћџčćšžđ]{2,}"),
    "when": re.compile(r"\b\d{1,2}(?:\.|st|nd|rd|th)?\s*[-–]?\s*\w*\s+\w+\s+\d{4}|\b(?:19|20)\d{2}\b|\b\d{1,2}\.\s*\w+"),
    "how_much": re.compile(r"\d+(?:[.,]\d+)?\s*(?:%|percent|per cent|процен|посто|thousand|hectares|times|пута)|\d"),
    "where": re.compile(r"\b(?:in|at|from|у|из|в|во|u|iz)\s+[A-ZА-ЯЂЈЉЊЋЏ][\w-]+"),
}


_MONTH = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
          r"januar\w*|februar\w*|mart\w*|april\w*|maj\w*|jun\w*|jul\w*|avgust\w*|septemb\w*|oktob\w*|novemb\w*|"
          r"decemb\w*|yanvar\w*|fevral\w*|aprel\w*|iyun\w*|iyul\w*|sentyabr\w*|oktyabr\w*|noyabr\w*|dekabr\w*)")
_DATE = re.compile(r"\b(?:19|20)\d{2}\b|\b\d{1,2}(?:st|nd|rd|th)?\.?\s*(?:[-–]\s*\d{1,2}\.?\s*)?" + _MONTH + r"\b|\b"
                   + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?\b")
_NUMBER_WORDS = (
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|million|billion|twice|double|half|jedan|jedna|jedno|dva|dve|dvije|tri|cetiri|pet|sest|sedam|osam|"
    r"devet|deset|dvadeset|stotin\w*|hiljad\w*|milion\w*|odin|odna|chetyre|pyat|shest|sem|vosem|devyat|desyat|"
    r"dvadcat|tysyach\w*|million\w*)\b"
)
_NUMBER = re.compile(r"(?<![a-z])\d|" + _NUMBER_WORDS)
# A question of these types is answered only by a sentence that states such a fact: "how many" by a
# number, "when" by a date. None among the passing sentences means the reports do not say.
NEEDS = {"how_much": _NUMBER, "when": _DATE}

# Units a "how many/much" question can name (in folded, Latin-script form, any of the three languages):
# "Koliko kilograma …?" is answered by a mass, not by "80 percent", nor "three meetings" by "how many
# hectares". A question about a budget, a cost or a price asks for an amount of money.
_UNITS = {
    "mass": r"(?:kilogram\w*|kilo|kg|grams?|gram[ae]?|tons?|tonn\w*|ton[aeu])",
    "area": r"(?:hectares?|hektar\w*|gektar\w*|ha|km2|square)",
    "percent": r"(?:%|percent\w*|per cent|procen\w*|proczen\w*|protsen\w*|posto|odsto)",
    "times": r"(?:times|puta|raz|razy|fold)",
    "length": r"(?:kilomet\w*|km|met(?:er|ar|r)\w*|miles?)",
    "money": r"(?:€|\$|£|₽|eur\w*|evr\w*|euro\w*|dollar\w*|dolar\w*|usd|dinar\w*|rsd|rubl\w*|rub|maraka|marak|"
             r"franc\w*|funt\w*|pounds?)",
    # A count of people: "how many people were arrested?" is not answered by "over 100 countries". Not
    # "experts", which mostly qualifies another noun ("three thematic expert meetings").
    "people": r"(?:people|persons?|individuals|employees|staff|officers|officials|members|users|addicts|citizens|"
              r"inhabitants|residents|participants|representatives|delegates|patients|victims|deaths|arrests|"
              r"ljud\w*|osob\w*|lica|zaposlen\w*|radnik\w*|clan\w*|korisnik\w*|zavisnik\w*|gradj?an\w*|"
              r"stanovnik\w*|ucesnik\w*|predstavnik\w*|zrtv\w*|pacijent\w*|chelovek|celovek|lyud\w*|"
              r"sotrudnik\w*|ch?lenov|potrebitel\w*|narkoman\w*|grazh?dan\w*|zh?itel\w*|uchastnik\w*|"
              r"ucastnik\w*|predstavitel\w*|pacient\w*|zh?ertv\w*|pogib\w*)",
}
_ASKS_HOW_MANY = re.compile(r"\b(?:how (?:many|much)|what (?:percent(?:age)?|number)|koliko|skol'?k\w*)"
                            r"\s+(?:(?:more|of|je|su|bylo|vsego)\s+)?(?P<unit>%|\w+)")
_ASKS_MONEY = re.compile(r"\b(?:budget\w*|b\w{0,2}dzh?et\w*|cost(?:s|ed)?|price\w*|spen[dt]\w*|kosta\w*|"
                         r"kostao|kostala|cena|cene|cenu|czen\w*|stoimost\w*|stoit)\b")
# Ordinals name a place in a series, not a count: "64th session", "64. седнице", "64-й сессии".
_ORDINAL = re.compile(r"\b\d+(?:st|nd|rd|th)\b|\b\d+-(?:j|go|ya|e|m|om|aya|ogo|oj|ye|i|ja)\b|\b\d+\.\s+(?=[a-z])")


@lru_cache(maxsize=256)
def asked_unit(question: str) -> str | None:
    """Return the kind of quantity a question names (mass, area, percent, times, length, money,
    people), or None."""
    q = fold(question)
    if _ASKS_MONEY.search(q):
        return "money"
    m = _ASKS_HOW_MANY.search(q)
    if m is None:
        return None
    word = m.group("unit")
    if word in ("money", "novca", "novaca", "deneg", "para"):
        return "money"
    return next((unit for unit, pattern in _UNITS.items() if re.fullmatch(pattern, word)), None)


def _states_unit(unit: str, text: str) -> bool:
    """Return whether folded text gives a figure in that unit: a number at most two words before it."""
    return re.search(r"(?:\d[\d.,]*|" + _NUMBER_WORDS + r")\s*(?:[\w']+\s+){0,2}?" + _UNITS[unit] + r"(?!\w)",
                     text) is not None


# A "when" question about something's start or end ("When was the Office founded?", "Когда умер …?") is
# answered by a sentence that dates that event, not by the date of a meeting its subject attended. These are
# the events a report names when it dates them; for other events any date may answer.
_EVENTS = {
    "founding": r"(?:founded|founding|established|establishment|set up|created|creation|formed|launched|"
                r"osnovan\w*|osnova(?:o|la|li)|osnivanj\w*|uspostavljen\w*|formiran\w*|stvoren\w*|"
                r"uch?rezh?d[eё]n\w*|sozdan\w*|obrazovan\w*)",
    "birth": r"(?:born|birth|roden\w*|rodjen\w*|rodi[lo]\w*|rozhd\w*)",
    "death": r"(?:die[sd]?|deaths?|umro|umrla|umrl\w*|preminu\w*|smrt\w*|umer\w*|skonchal\w*|smert\w*)",
}


@lru_cache(maxsize=256)
def asked_event(question: str) -> str | None:
    """Return the event a question names whose date only a sentence naming it gives, or None."""
    q = fold(question)
    return next((event for event, words in _EVENTS.items() if re.search(r"\b" + words + r"(?!\w)", q)), None)


def states(kind: str, text: str, question: str = "") -> bool:
    """Return whether text states the kind of fact a question of this type asks for (True for other types),
    one the question does not state itself: "how many … in 2016?" is not answered by "in May 2016", nor by
    any date ("date 2021-01-01" counts nothing)."""
    pattern = NEEDS.get(kind)
    if pattern is None:
        return True
    text = fold(text)
    if kind == "how_much":
        text = _ORDINAL.sub(" ", _DATE.sub(" ", re.sub(r"\b\d{4}-\d{2}-\d{2}\b", " ", text)))
        unit = asked_unit(question) if question else None
        if unit is not None and not _states_unit(unit, text):
            return False
    if kind == "when" and question:
        event = asked_event(question)
        if event is not None and re.search(r"\b" + _EVENTS[event] + r"(?!\w)", text) is None:
            return False
    if question:
        asked = {m.group(0) for m in pattern.finditer(fold(question))}
        return any(m.group(0) not in asked for m in pattern.finditer(text))
    return bool(pattern.search(text))


# Sentences that speak of what is planned or expected ("the experts plan to devise recommendations which
# are expected to be adopted in Moscow") do not say what is or was: they do not answer "How many people
# were arrested?" or "Које одлуке је донео састанак?". They answer a question about plans, aims or
# expectations ("… are expected …", "планира", "what is the aim …"), and "when"/"where" questions, whose
# answer a plan gives ("will be held in Moscow on May 15th"). The answerer abstains only when every sentence
# it would quote speaks of plans: a fact often sits beside a "will" clause. Folded words, three languages.
_PLAN = re.compile(
    r"\b(?:will|shall|plan(?:s|ned|ning)?|expect\w*|intend\w*|aim(?:s|ed)?|going to|upcoming|scheduled|"
    r"ce|cemo|cete|bice|planir\w*|ocek\w*|namer\w*|budet|budut|ozh?id\w*|sobira\w*|predstoya\w*|"
    r"sostoit\w*)(?!\w)")
# What a question about plans, aims, duties or reasons names besides _PLAN: "What must Serbia do?" is
# answered by "Србија мораће да измени законодавство".
_ASKS_AIM = re.compile(r"\b(?:aims?|goals?|purposes?|objectives?|why|must|should|need\w*|have to|has to|"
                       r"cilj\w*|svrh\w*|namen\w*|zasto|zbog cega|mora\w*|treba\w*|"
                       r"cel[ь']?|celi|cely\w*|zada[cč]\w*|pochemu|zachem|dolzh\w*|nuzhn\w*)(?!\w)")


def plans(text: str) -> bool:
    """Return whether text speaks of plans or expectations (what will, or is to, happen)."""
    return _PLAN.search(fold(text)) is not None


def asks_fact(question: str, kind: str) -> bool:
    """Return whether a question asks what is or was, which a sentence stating a plan does not answer."""
    return kind not in ("when", "where") and not plans(question) and _ASKS_AIM.search(fold(question)) is None


# "What did X say about Y?" asks for what X said on Y: a sentence that names X but is about something else
# does not answer it. The topic is the words after "about" (o, о, об, про) that follow a verb of saying.
_SPEECH_TOPIC = re.compile(
    r"\b(?:say|said|says|stress\w*|spoke|speak\w*|decide\w*|give|gave|report\w*|tell|told|think|"
    r"rekao|rekla|rekli|reče|kaže|govori\w*|izjavi\w*|saopšti\w*|рекао|рекла|рекли|каже|говори\w*|изјави\w*|"
    r"саопшти\w*|сказал\w*|говорил\w*|заявил\w*|сообщил\w*|решил\w*)\b.*?\b(?:about|o|о|об|обо|про)\s+"
    r"(?P<topic>[^?!.]+)", re.IGNORECASE)
# A sentence addresses the topic when it is among this many retrieved sentences closest to the topic alone.
# Measured on evals: the sentences that answer such questions rank first or second; those quoted for the
# near misses ("What did Milan Pekić say about cannabis legalisation?") rank sixth or lower.
TOPIC_RANK = 2


def speech_topic(question: str) -> str | None:
    """Return what a "what did X say about Y?" question asks about (Y), or None for other questions."""
    m = _SPEECH_TOPIC.search(question)
    return m.group("topic").strip() if m else None


def on_topic(chosen: list[Scored], scored: list[Scored], topic_vec: np.ndarray) -> bool:
    """Return whether one of the chosen sentences is among the TOPIC_RANK sentences of all scored ones
    closest to the topic (topic_vec: its phrasings, one per row)."""
    closeness = {id(s.candidate): float(np.max(np.atleast_2d(topic_vec) @ s.candidate.vector)) for s in scored}
    ranked = sorted(closeness.values(), reverse=True)
    bar = ranked[min(TOPIC_RANK, len(ranked)) - 1] if ranked else 0.0
    return any(closeness.get(id(s.candidate), -1.0) >= bar for s in chosen)


def question_type(question: str) -> str:
    """Return who, when, how_much, where, or what (the default) for a question in any of the languages."""
    low = question.lower()
    for kind, pattern in QUESTION_TYPES.items():
        if re.search(pattern, low):
            return kind
    # "What was the budget …?" asks for an amount.
    return "how_much" if asked_unit(question) == "money" else "what"


@dataclass(frozen=True)
class Candidate(Passage):
    """A sentence of a retrieved chunk (a sentence-sized Passage) with its vector and its chunk's rank."""

    vector: np.ndarray | None = None
    chunk_rank: int = 0
    chunk_score: float = 0.0
    words: frozenset[str] | None = None  # its content words, when the caller has them already


@dataclass(frozen=True)
class Scored:
    """A candidate with its score and the parts of it."""

    candidate: Candidate
    score: float
    similarity: float
    overlap: float


# A follow-up prefers sentences from the reports the conversation is about.
CONVERSATION_BONUS = 0.03


def score(question: str, language: str, qvec: np.ndarray, candidates: list[Candidate],
          prefer_docs: frozenset[str] = frozenset(), idf=None) -> list[Scored]:
    """Return candidates scored by meaning (the best of the question's phrasings in qvec's rows), shared
    words and the kind of fact the question asks for."""
    q_words = content_words(question, language)
    # Shared words count by how rare they are in the reports: "Semerikov" says more than "meeting".
    weight = idf or (lambda token: 1.0)
    q_total = sum(weight(w) for w in q_words)
    kind = question_type(question)
    feature = _FEATURES.get(kind)
    q_fold = fold(question)
    best_chunk = max((c.chunk_score for c in candidates), default=1.0) or 1.0
    out = []
    for c in candidates:
        sim = float(np.max(np.atleast_2d(qvec) @ c.vector)) + (0.0 if c.language == language else CROSS_LINGUAL_OFFSET)
        words = c.words if c.words is not None else content_words(c.text, c.language)
        overlap = sum(weight(w) for w in q_words & words) / q_total if q_total else 0.0
        bonus = FEATURE_BONUS[kind] if feature is not None and _new_feature(feature, c.text, q_fold) else 0.0
        # Retrieval rank (meaning and words over the whole chunk) breaks near-ties between sentences.
        total = sim + 0.12 * overlap + bonus + 0.02 * (c.chunk_score / best_chunk)
        total += CONVERSATION_BONUS if c.doc_id in prefer_docs else 0.0
        out.append(Scored(c, total, sim, overlap))
    return sorted(out, key=lambda s: -s.score)


def _new_feature(feature: re.Pattern, text: str, q_fold: str) -> bool:
    """Return whether text has the feature a question's type asks for, in words the question does not use
    ("Who represented Serbia?" is not answered by "Republic of Serbia")."""
    return any(not all(fold(w)[:5] in q_fold for w in m.group(0).split()) for m in feature.finditer(text))


def answers(best: Scored) -> bool:
    """Return whether the best sentence is close enough to the question to be its answer."""
    return best.similarity >= MIN_SIMILARITY or (
        best.similarity >= MIN_SIMILARITY_WITH_WORDS and best.overlap >= MIN_WORD_OVERLAP
    )


def choose(scored: list[Scored], kind: str = "what", question: str = "", conversation: str = "") -> list[Scored]:
    """Return the best sentence, and up to MAX_SENTENCES - 1 more that are nearly as good and say something
    else: a near tie (common across languages, where scores bunch up) is shown rather than guessed.

    When no other sentence is nearly as good, the sentence right after the best one in its report is
    quoted with it if it passes too: reports often state a fact across two sentences ("… from 193
    thousand hectares to 209,000. And during the deployment of ISAF they have increased by 26 times."),
    and the second, which leans on the first, scores lower on its own.

    Nothing is returned when the question asks what is or was and every sentence chosen speaks of plans
    (see asks_fact). A follow-up is read with its conversation (the question with the topic carried into
    it): "And on which topics?" after "What does the service plan?" asks about the plans too."""
    chosen = _choose(scored, kind, question)
    asked = conversation or question
    if chosen and asked and asks_fact(asked, kind) and all(plans(s.candidate.text) for s in chosen):
        return []
    return chosen


def _choose(scored: list[Scored], kind: str, question: str) -> list[Scored]:
    """Return the sentences choose() quotes, before the check for plans."""
    passing = [s for s in scored if answers(s) and states(kind, s.candidate.text, question)]
    if not passing:
        return _stated_next(scored, kind, question)
    chosen = [passing[0]]
    for s in passing[1:]:
        if len(chosen) >= MAX_SENTENCES or s.score < passing[0].score - SECOND_WITHIN:
            break
        if any(_same_fact(s.candidate, c.candidate) for c in chosen):
            continue
        chosen.append(s)
    if len(chosen) == 1:
        follower = next((s for s in passing[1:] if _continues(s.candidate, chosen[0].candidate)), None)
        if follower is not None:
            chosen.append(follower)
    # Read in document order when quoting one document.
    return sorted(chosen, key=lambda s: (s.candidate.doc_id, s.candidate.start)) if len(
        {c.candidate.doc_id for c in chosen}) == 1 else chosen


def _stated_next(scored: list[Scored], kind: str, question: str) -> list[Scored]:
    """Return the closest sentence and the one right after it when only that next one gives the figure in
    the unit the question names ("… increased from 193 thousand hectares to 209,000. And during ISAF they
    have increased by 26 times." for "how many times?"); else nothing. A figure with no unit named is too
    common to vouch for a sentence that is not itself close to the question."""
    best = next((s for s in scored if answers(s)), None)
    if best is None or kind != "how_much" or asked_unit(question) is None:
        return []
    follower = next((s for s in scored if _continues(s.candidate, best.candidate)), None)
    return [best, follower] if follower is not None and states(kind, follower.candidate.text, question) else []


# The most characters between a sentence and the next one of the same paragraph (a space, a line break,
# or a space and a non-breaking space).
ADJACENT_GAP = 2


def _continues(b: Candidate, a: Candidate) -> bool:
    """Return whether b is the sentence right after a in the same report."""
    return b.doc_id == a.doc_id and 0 <= b.start - a.end <= ADJACENT_GAP


def _same_fact(a: Candidate, b: Candidate) -> bool:
    """Return whether two sentences overlap, or one is the other's translation."""
    if a.doc_id == b.doc_id:
        return a.start < b.end and b.start < a.end
    for x, y in ((a, b), (b, a)):
        if x.twin and x.twin.doc_id == y.doc_id and x.twin.start < y.end and y.start < x.twin.end:
            return True
    return lexical_support(a.text, [b.text]) > 0.8


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


def compose(question: str, language: str, chosen: list[Scored], answerer: str = "extractive",
            standalone: str = "") -> Answer:
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
        label = "" if c.language == language else original_label(language, question, c.language) + " "
        text = f"{label}{c.text} [{n}]"
        sentences.append(AnswerSentence(text=text, citations=(n,), support=support(text, [c.text])))
    # A quote is its own support; the check still runs so that a bug in span handling cannot pass silently.
    sentences = [s for s in sentences if s.support >= MIN_SUPPORT]
    cited = {n for s in sentences for n in s.citations}
    citations = [c for c in citations if c.n in cited]
    if not sentences:
        return compose(question, language, [], answerer, standalone)
    return Answer(
        question=question,
        answer=" ".join(s.text for s in sentences),
        found=True,
        citations=tuple(citations),
        sentences=tuple(sentences),
        answerer=answerer,
        standalone_question=standalone,
        language=language,
    )
