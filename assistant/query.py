"""A question parsed once into what every later step reads of it: retrieval, the answerer and the LLM
path take a Query and never re-detect, re-fold or re-classify the question."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from .everyday import everyday_idf, zipf
from .facts import SPEECH_VERBS, UNITS, Facts, sentence_facts
from .inputs import worth_searching
from .spelling import corrections, other_stems, spelled_alike
from .text import (
    cognate,
    content_words,
    detect_language,
    detect_script,
    fold,
    is_interrogative,
    is_stop_word,
    keyword_tokens,
    ordinary_case,
)

# Interrogatives of the three languages (folded, Latin script). The first that matches names the kind of
# fact asked for; "what" is the default.
QUESTION_TYPES = {
    # "how much" first: "skol'ko" typed in Latin holds "ko" (Serbian "who") after its apostrophe (Cyrillic
    # "сколько" folds without one).
    "how_much": r"\b(?:how (?:much|many|large|big|long|old)|what (?:percent\w*|share|number|amount)|kolik\w*|"
                r"skol'?ko)\b",
    "who": r"\b(?:who|whos|whom|whose|which (?:organi[sz]ations?|body|bodies|country|countries|agency|person)|"
           r"ko|koga|kome|ciji|cija|cije|kto|kogo|komu|ch?ei|ch?ej|ch?ya)\b",
    # "when", or an interrogative of any language before a word for a date, day, month, year or time
    # ("which year", "kog datuma", "u koje vreme", "которого числа", "с какого года").
    "when": r"\b(?:when|whens|kada|kad|kogda|"
            r"(?:what|which|koj\w*|kog|kom|kakog?\w*|kotor\w*)\s+(?:date|day|month|year|time|datum\w*|dan|dana|"
            r"danu|mesec\w*|godin\w*|vrem\w*|sat|satu|ch?isl\w*|god|goda|godu|den'?|dnya|mesyacz\w*|"
            r"ch?as|ch?asu))\b",
    "where": r"\b(?:where|wheres|in which (?:city|country|place)|gde|gdje|odakle|otkuda|kuda)\b",
    "why": r"\b(?:why|for what reason|zasto|zbog cega|poch?emu|zach?em)\b",
    # what someone said: a sentence reporting speech (facts.states_speech) states it
    "said": rf"\b(?:what|whats|sta|sto|ch?to)\b(?=.*\b(?:{SPEECH_VERBS})\b)",
}
# Any interrogative, as typed (either script): a question without one ("and the workshop?") keeps the
# ask of the question it continues.
# "whats", "wheres": contractions typed without their apostrophe.
ASKS = re.compile(r"\b(?:who|whom|whose|what|which|when|where|why|how|whos|whats|whens|wheres|hows|list|name|"
                  r"ко|кога|ког|коме|ком|шта|што|чега|чему|чиме|кој\w*|када|кад|где|зашто|како|какв\w*|кол\w*|"
                  r"чиј\w*|одакле|куда|докле|"
                  r"ko|koga|kog|kome|kom|sta|šta|sto|što|cega|čega|cemu|čemu|cime|čime|koj\w*|kada|kad|gde|gdje|"
                  r"zasto|zašto|kako|kakav|kakv\w*|kol\w*|cij\w*|čij\w*|odakle|kuda|dokle|"
                  r"кто|кого|кому|что|чего|чему|чем|как\w*|когда|где|почему|зачем|скольк\w*|сколько|чей|чья|чьи|"
                  r"котор\w*|куда|откуда)\b", re.IGNORECASE)
# A question about plans, aims or duties is answered by a sentence stating one; other questions ask what
# is or was, which a plan alone does not say. Feature input for the scorer, not a veto.
_ASKS_PLAN = re.compile(
    r"\b(?:will|shall|plan\w*|expect\w*|intend\w*|upcoming|going to|aims?|goals?|purposes?|objectives?|must|"
    r"should|need\w*|have to|has to|ce|cemo|cete|planir\w*|ocek\w*|cilj\w*|svrh\w*|namen\w*|mora\w*|treba\w*|"
    r"budet|budut|plan\w*|ozhid\w*|cel[ьi']?|zadach\w*|dolzh\w*|nuzhn\w*)\b")
# A question about what happened, in the past tense: "what did…", "was it…", a verb in -ed or an irregular past
# ("who won", "how much was spent"); Serbian "je/su" with
# an l-participle ("koliko je koštala", "šta su rekli"); a Russian past in -л ("сколько стоил", "что сказала").
# A sentence stating a plan does not answer it; a question in the present ("koliko košta karta?") may ask what
# a report says will be ("karta će koštati 80 dinara").
_ASKS_PAST = re.compile(
    r"\b(?:did|was|were|had|said|told|spoke|took|gave|made|won|lost|led|held|met|began|became|came|went|paid|sold|"
    r"bought|built|brought|sent|spent|found|got|saw|knew|rose|fell|grew|chose|wrote|ran|"
    r"drew|threw|caught|fought|taught|thought|meant|kept|felt|stood|struck)\b|\b[a-z]{3,}ed\b"
    r"|\b(?:je|su|sam|smo|ste)\b(?=.*\b(?:bio|bila|bilo|bili|bile|\w{3,}(?:[aeiu]o|[aeiu]l[aeio]))\b)"
    r"|\b\w{2,}[aeiuy]l(?:[aoi]|sya|as'?|os'?|is'?)?\b")
# A question asks for a list when it says so, or asks which of a plural: "which countries", "које земље су"
# (the plural verb after the noun), "какие страны".
_LIST = re.compile(r"\b(?:list|which (?:\w+ )?(?:were|are)|what (?:\w+ )?(?:were|are) the|name the|enumerate|"
                   r"(?:which|what) (?!(?:does|this|thus)\b)\w{2,}[^s']s|"
                   r"navedi\w*|nabroj\w*|koje su|koji su|(?:koje|koji) \w+ su|kakie|perechisl\w*|nazovi\w*)\b")
_ASKS_HOW_MANY = re.compile(r"\b(?:how (?:many|much)|what (?:percent(?:age)?|number|amount)|koliko|skol'?k\w*)"
                            r"\s+(?:(?:more|of|je|su|bylo|vsego)\s+)?(?P<unit>%|\w+)")
# "Who is X?" asks what the reports say X is: the question is an interrogative, a copula (or Russian "такой",
# "это") and nothing but a name it states, so a sentence naming X states the kind of fact asked, though the
# name is not new (scorer.type_new).
_IDENTITY = re.compile(r"^(?:(?:and|a|i)\s+)?(?:who|whos|ko|kto)\s+(?:(?:is|was|are|were|je|su|bio|bila|bili|"
                       r"takoj|takaya|takie|eto)\s+)*(?P<rest>.+?)[\s?!.]*$")
# "Which countries…?" asks for countries (typed "who" with bodies and people): a sentence naming a country
# the question does not states the kind of fact asked.
_ASKS_COUNTRY = re.compile(r"\b(?:which|what)\s+(?:\w+\s+)?(?:countr(?:y|ies)|states|nations?)\b")
# A follow-up that asks for what the conversation has not said yet ("what else?", "who else was there?",
# "а кто ещё?", "šta još?", "other countries?"): the sentences the last reply quoted are not an answer to it.
# Folded, per language ("drug…" is Serbian and Russian "other", English "drug").
_ASKS_MORE = {
    "en": re.compile(r"\b(?:else|besides|apart from|except|other|others|another|more(?!\s+than)|further|"
                     r"in addition)\b"),
    "sr": re.compile(r"\b(?:jos|josh|osim|drug[aeiou]|drugih|drugim|ostal\w*|pored toga|sem toga)\b"),
    "ru": re.compile(r"\b(?:eshh\w*|krome|pomimo|drug\w*|ostaln\w*)\b"),
}
# A money word asks for money when it is what the question asks: a verb wherever it stands ("what does a ticket
# cost?", "what was it worth?"), a noun when no content word comes before it but interrogatives ("what was the
# budget?", "по какой цене…?"). Otherwise money is only the subject of what is asked ("what did she say about
# the price cut?", "почему снизили цену на молоко?"), and a sentence without a sum may answer it. A "how much"
# question asks for money when it names money anywhere ("колико је коштала обнова?", "how much was the price
# cut?"). "czen" is Russian цена (price) folded; not "czentr" (центр, a centre).
_MONEY_VERB = re.compile(r"\b(?:cost(?:s|ed)?|spen[dt]\w*|kosta\w*|stoit|worth)\b")
# Sums paid or earned have names of their own: a salary, a fee, a fine, a fare, a subsidy.
_MONEY_NOUN = re.compile(r"\b(?:budget\w*|b\w{0,2}dzh?et\w*|price\w*|cena|cene|cenu|czen(?!t)\w*|stoimost\w*|"
                         r"vrednost\w*|stoim\w*|salar\w*|wages?|fees?|fines?|fares?|rent|subsid\w*|compensation|"
                         r"plat[aeiu]|zarad\w*|naknad\w*|kazn\w*|subvencij\w*|zarplat\w*|oklad\w*|shtraf\w*|"
                         r"kompensac\w*|subsidi\w*|posobi\w*)\b")


@dataclass(frozen=True)
class Query:
    """A question as every step reads it."""

    text: str  # as asked, whitespace collapsed
    standalone: str  # what is searched: the question, or a follow-up with its conversation carried in
    language: str  # en | sr | ru
    script: str  # Latin | Cyrillic
    kind: str  # who | when | where | how_much | why | said | what
    unit: str | None  # the kind of quantity a "how much/many" question names (mass, money, people…)
    asks_plan: bool  # about plans, aims or duties: a sentence stating a plan answers it
    asks_past: bool  # about what happened: a sentence stating a plan does not answer it (_ASKS_PAST)
    identity: bool  # "who is X?": asks what a name it states is (a sentence naming X answers it)
    asks_country: bool  # "which countries…?": a country is the fact asked
    wants_list: bool
    tokens: tuple[str, ...]  # keyword tokens of the standalone text (folded, stemmed, name prefixes)
    words: frozenset[str]  # content words of the standalone text, for overlap
    rare: frozenset[str]  # its tokens that name something: in few chunks of the index
    facts: Facts  # the dates, figures, names and countries the question states itself
    searchable: bool
    known: float = 1.0  # share of the question's own words the index holds (any script, as stem or name)
    carried_docs: tuple[str, ...] = ()  # the reports the conversation is about (follow-ups)
    asks_more: bool = False  # asks for what the conversation has not said yet ("what else?"): _ASKS_MORE
    # (doc_id, start) of the sentences the last reply quoted, when it asks for more: not an answer to it
    said: frozenset[tuple[str, int]] = frozenset()
    # What the last reply stated (names, dates, figures), when it asks for more: "Who chaired it?" "Igor Zubov."
    # "Who else attended?" is not answered by another sentence naming Zubov, as the question states none itself.
    told: Facts = field(default_factory=Facts)
    unresolved: str = ""  # a pronoun that points back to an earlier turn there is none of (chat.unanchored):
    #                       what it stands for is not known, so the question is not answered
    weights: dict[str, float] = field(default_factory=dict, compare=False, repr=False)  # idf of its words
    cognates: dict[str, str] = field(default_factory=dict, compare=False, repr=False)  # its words' skeletons
    vectors: np.ndarray | None = field(default=None, compare=False, repr=False)  # one row per phrasing

    @property
    def follow_up(self) -> bool:
        """Return whether the conversation was carried into the search."""
        return self.standalone != self.text


def question_type(folded: str) -> str:
    """Return who, when, how_much, where, why, said or what for a folded question in any of the languages."""
    for kind, pattern in QUESTION_TYPES.items():
        if re.search(pattern, folded):
            return kind
    return "how_much" if asks_money(folded) else "what"


def asks_identity(text: str, folded: str, facts: Facts, named: Callable[[str], bool] | None = None) -> str:
    """Return the name a question asks who it is, and nothing more about ("ko je Oleg Krilov?", "кто такой
    Игорь Зубов", "who was Pekić?"), or "": after the interrogative and copula come only capitalised words,
    and it states a name; or, typed in lower case ("who is oleg krylov"), at most three words that are no
    common words and each of which named says the reports write as a name."""
    m = _IDENTITY.match(folded)
    if m is None:
        return ""
    rest = len(re.findall(r"\w+", m.group("rest").replace("'", "")))
    words = re.findall(r"\w+", text.replace("'", ""))
    if not 0 < rest < len(words):
        return ""
    tail = words[-rest:]
    if (facts.names or facts.entities) and all(w[:1].isupper() for w in tail) or named is not None and \
            rest <= 3 and all(not is_stop_word(w) and named(w) for w in tail):
        return " ".join(tail)
    return ""


def ask_words(folded: str, language: str) -> set[str]:
    """Return the content words of a folded question's interrogative phrases ("how many", "which country"):
    they say what kind of fact is asked for, which the answer states without repeating the words."""
    phrases = [m.group(0) for pattern in QUESTION_TYPES.values() for m in re.finditer(pattern, folded)]
    return content_words(" ".join(phrases), language) if phrases else set()


def asks_money(folded: str, how_much: bool = False) -> bool:
    """Return whether a folded question asks for a sum of money (see _MONEY_VERB)."""
    noun = _MONEY_NOUN.search(folded)
    if how_much:
        return bool(noun or _MONEY_VERB.search(folded))
    return bool(_MONEY_VERB.search(folded)) or noun is not None and not any(
        not is_stop_word(w) and not is_interrogative(w) and not ASKS.fullmatch(w)
        for w in re.findall(r"[\w']+", folded[:noun.start()]))


def _named(word: str, language: str, document_frequency: Callable[[str], int]) -> bool:
    """Return whether the reports write a word as a name: the index holds its name prefix (a capitalised word's
    first letters: text.keyword_tokens), or, for a word too short to have one, holds it in a chunk or two, or
    at all when it is no word of everyday language ("oleg")."""
    tokens = keyword_tokens(word, language, query=True)
    prefix = next((t for t in tokens if t[0] == "^"), None)
    if prefix is not None:
        return document_frequency(prefix) > 0
    df = document_frequency(tokens[0]) if tokens else 0
    return 0 < df and (df <= 2 or zipf(word, language) <= 0)


# Serbian and Russian count in the genitive plural after "koliko"/"сколько" ("koliko studenata", "сколько
# студентов"); a noun there in the nominative plural is the subject of the verb ("koliko su studenti plaćali
# kartu": how much did students pay), not what is counted. Folded endings; "ljudi" is both cases.
_NOMINATIVE_PLURAL = {"sr": re.compile(r"\w{3,}i"), "ru": re.compile(r"\w{3,}[yi]")}
_COUNTED_ALWAYS = {"ljudi", "lyudi"}
_MONEY_WORDS = {"money", "novca", "novaca", "deneg", "para"}  # counted after "how much": a sum is asked


def asked_unit(folded: str, kind: str | None = None, language: str | None = None) -> str | None:
    """Return the kind of quantity a folded question names, or None (kind: its question_type, if read;
    language: its language, whose grammar may say the word after the interrogative is not what is counted)."""
    m = _ASKS_HOW_MANY.search(folded)
    counted = m is not None and _counts(m, language)
    if counted and not _MONEY_VERB.search(folded):
        # "how many councillors voted for the budget" counts councillors: a sum of money named further on is
        # what they voted for, not what is asked.
        return _unit_of(m.group("unit"))
    if asks_money(folded, (kind or question_type(folded)) == "how_much"):
        return "money"
    if re.search(r"\bhow old\b", folded):
        return "years"
    if m is None:
        return None
    word = m.group("unit")
    if word in _MONEY_WORDS:
        return "money"
    return None if _subject(word, language) else _unit_of(word)


def _subject(word: str, language: str | None) -> bool:
    """Return whether the word after the interrogative is a noun in the nominative plural: the verb's subject
    ("koliko su studenti plaćali"), so what is asked is another quantity."""
    nominative = _NOMINATIVE_PLURAL.get(language or "")
    return nominative is not None and bool(nominative.fullmatch(word)) and word not in _COUNTED_ALWAYS


def _unit_of(word: str) -> str | None:
    return next((unit for unit, pattern in UNITS.items() if re.fullmatch(f"(?:{pattern})", word)), None)


# The noun a Serbian or Russian interrogative counts is in the genitive plural (folded endings): "koliko
# odbornika", "сколько депутатов", "сколько людей"; a verb there ("koliko iznosi", "сколько составляет")
# names no counted thing.
_GENITIVE_PLURAL = {"sr": re.compile(r"\w{4,}a"), "ru": re.compile(r"\w{3,}(?:ov|ev|ej)")}
_PARTICIPLE = re.compile(r"\w{2,}[aeiuy]l[aeio]?")  # "koliko je poskupela karta": a verb, as _ASKS_PAST reads it


def _counts(m: re.Match, language: str | None) -> bool:
    """Return whether the word after "how many"/"koliko"/"сколько" is the noun it counts (not a money word:
    "how much money", "koliko dinara" still ask for a sum)."""
    word = m.group("unit")
    if is_stop_word(word) or word in _MONEY_WORDS or _unit_of(word) == "money" or _MONEY_NOUN.fullmatch(word) \
            or _subject(word, language):
        return False
    if _unit_of(word) is not None:
        return True
    if language == "en" or language is None:
        return m.group(0).startswith("how many")
    genitive = _GENITIVE_PLURAL.get(language)
    if genitive is None or not genitive.fullmatch(word) or _PARTICIPLE.fullmatch(word):
        return False
    # "koliko je smanjena subvencija": a participle in -a before the sum it says changed
    after = re.match(r"\s+([\w']+)", m.string[m.end():])
    return not (after and _MONEY_NOUN.fullmatch(after.group(1)))


def word_tokens(text: str, language: str) -> list[tuple[str, tuple[str, ...]]]:
    """Return each content word of text with its search tokens (stem, and for a long word its name prefix
    and consonant skeleton); stop words are left out."""
    return [(w, tokens) for w in re.findall(r"\w+", text)
            if (tokens := tuple(keyword_tokens(w, language, query=True)))]


def word_weights(text: str, language: str, document_frequency: Callable[[str], int],
                 idf: Callable[[str], float] | None) -> dict[str, float]:
    """Return the weight of each token of text's content words: its idf in the index or, for a word the
    index never saw, its idf in everyday text when that is lower (everyday.py). The index's idf counts an
    unseen word as the rarest, which has "could you tell me" outweigh what a question asks."""
    weights: dict[str, float] = {}
    for word, tokens in word_tokens(text, language):
        unseen = not any(document_frequency(t) > 0 for t in tokens)
        everyday = everyday_idf(word, language) if unseen else math.inf
        for t in tokens:
            weights[t] = min(weights.get(t, math.inf), idf(t) if idf else 1.0, everyday)
    return weights


def known_share(text: str, language: str, document_frequency: Callable[[str], int],
                weights: dict[str, float]) -> float:
    """Return the share of a text's content words the index holds, as a stem or, for a name written in
    another script or case ending, as its prefix or consonant skeleton; each word counted by its weight
    (its tokens' largest, word_weights), so that "could you tell me" counts little beside a word the reports
    never use."""
    words = [(max(weights.get(t, 1.0) for t in tokens), tokens) for _, tokens in word_tokens(text, language)]
    total = sum(w for w, _ in words)
    if not total:
        return 1.0
    return sum(w for w, tokens in words if any(document_frequency(t) > 0 for t in tokens)) / total


def parse(text: str, standalone: str | None = None, carried_docs: tuple[str, ...] = (),
          document_frequency: Callable[[str], int] | None = None,
          idf: Callable[[str], float] | None = None, rare_df: int = 2, language: str | None = None,
          language_frequency: Callable[[str, str], int] | None = None,
          in_few_reports: Callable[[str], bool] | None = None,
          alike: Callable[[str], tuple[str, ...]] | None = None) -> Query:
    """Return the Query of a question; standalone is the search text of a follow-up (default: text), language
    its language read with the conversation (default: read from text alone). document_frequency and idf (of
    the keyword index) mark the words that name something, as does in_few_reports (a token in few of the
    reports, however many of their chunks hold it); language_frequency (a token's chunks in a language) reads a
    typed slip as a word of the question's own language; alike (the index's stems of a consonant skeleton) reads a
    name spelled as another script spells it."""
    text = ordinary_case(" ".join(text.split()))
    standalone = ordinary_case(" ".join((standalone or text).split()))
    language = language or detect_language(text)
    folded_standalone = fold(standalone, language)
    folded = own_folded = fold(text, language)
    if standalone != text and not ASKS.search(text):
        # An elliptical follow-up ("and the workshop?") asks what the question it continues asked.
        folded = folded_standalone
    tokens = tuple(keyword_tokens(standalone, language, query=True))
    df = document_frequency or (lambda token: 0)
    words = frozenset(content_words(standalone, language, query=True) - ask_words(folded_standalone, language))
    fixed: dict[str, str] = {}
    if document_frequency:  # a typed slip reads as the index's word one edit away (spelling.py)
        in_language = (lambda t: language_frequency(t, language)) if language_frequency else df
        fixed = other_stems(word_tokens(standalone, language), language, df)
        fixed |= {t: f for t, f in corrections(tokens, df, in_language).items() if t not in fixed}
        if alike is not None:
            fixed |= {t: f for t, f in spelled_alike(word_tokens(standalone, language), language, df, alike).items()
                      if t not in fixed}
        tokens = tuple(fixed.get(t, t) for t in tokens)
        words = frozenset(fixed.get(w, w) for w in words)
    weights = {w: (idf(w) if idf else 1.0) for w in words}
    known = 1.0
    if document_frequency:
        seen = lambda t: df(fixed.get(t, t))  # noqa: E731 - the index as the slips were read
        weigh = (lambda t: idf(fixed.get(t, t))) if idf else None  # noqa: E731
        own = word_weights(text, language, seen, weigh)
        searched = own if standalone == text else word_weights(standalone, language, seen, weigh)
        searched = {fixed.get(t, t): v for t, v in searched.items()}
        weights = {w: searched.get(w, weight) for w, weight in weights.items()}
        known = known_share(text, language, seen, own)
    facts = sentence_facts(standalone, language)
    kind = question_type(folded)
    who = asks_identity(standalone, folded_standalone, facts, lambda w: _named(w, language, df))
    if who and not (facts.names or facts.entities):  # typed in lower case: the name is what it states
        name = (fold(who, language),)
        facts = replace(facts, names=name) if " " in who else replace(facts, entities=name)
    return Query(
        text=text,
        standalone=standalone,
        language=language,
        script=detect_script(text),
        kind=kind,
        unit=asked_unit(folded, kind, language),
        asks_plan=_ASKS_PLAN.search(folded) is not None,
        asks_past=_ASKS_PAST.search(folded) is not None,
        identity=bool(who),
        asks_country=_ASKS_COUNTRY.search(folded) is not None,
        wants_list=_LIST.search(folded) is not None,
        tokens=tokens,
        words=words,
        rare=frozenset(t for t in tokens if 0 < df(t) <= rare_df or in_few_reports is not None and in_few_reports(t)),
        facts=facts,
        searchable=worth_searching(text),
        known=known,
        carried_docs=tuple(carried_docs),
        asks_more=language in _ASKS_MORE and _ASKS_MORE[language].search(own_folded) is not None,
        weights=weights,
        cognates={w: k for w in words if (k := cognate(w)) and w[:1] not in "^~"},
    )
