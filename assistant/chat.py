"""Conversations: history kept within a token budget, and each new question read either on its own or
with the conversation, decided from what the question itself names.

A question that names its own subject (a body, person, place or rare term the conversation has not
mentioned yet) starts a new topic, and so does one that names what the conversation already named and asks
of it without pointing back ("When did DPNSEE speak?"); one that points back ("he", "there", "it", "those")
or names nothing ("when?", "who chaired it?", "what else?") is read with the conversation. An elliptical
"and the workshop?" that names a new subject keeps the previous question's ask ("When was the CND meeting?"
→ "When was the workshop?").
The decision reads the words the index knows, never how long the question is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import regex

from .chunking import count_tokens
from .everyday import zipf
from .facts import Facts, country_name, is_month, sentence_facts
from .grounding import clean_claim
from .query import ASKS, question_type, word_tokens
from .text import POINTER, PREFIX, detect_language, detect_script, fold, is_stop_word, keyword_tokens
from .text import content_words as content_words_of
from .types import Answer, Message

# An opening that continues the conversation with a new subject or an addition ("and the workshop?").
_LEADS = {
    "en": r"and|also|what about|how about|what else",
    "sr": r"а|и|а што|а шта|и шта|a|i|a sta|a šta|a što|i sta|i šta",
    "ru": r"а|и|а что|и что|а как",
}
LEAD = {lang: re.compile(rf"^\W*(?:{words})\b", re.IGNORECASE) for lang, words in _LEADS.items()}
# A word typed in lower case names something (a body, a person, an event) when it is in this few chunks.
RARE_DF = 3
# Words and marks that join two clauses: a pronoun after one may refer to a name before it in the same
# question ("who chaired the Council, and what did it decide?"; "the TAIEX workshop — who opened it?").
_JOIN = re.compile(r",|;|:|\s[—–-]\s|\b(?:and|but|then|и|а|али|па|i|a|ali|pa|но|затем)\b", re.IGNORECASE)
MAX_CHAIN = 3
# A yes/no question asks on its own, though it has no interrogative word: "а есть ли там…", "a da li su…",
# "and is there…".
_YES_NO = re.compile(r"\b(?:ли|li)\b|^\W*(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would)\b",
                     re.IGNORECASE)
_CAPITALISED = regex.compile(r"\b\p{Lu}[\p{L}\p{N}-]+")


def as_messages(history: Iterable) -> list[Message]:
    """Return history as Messages, from Message objects or {"role", "content"} dicts (content may be
    a list of blocks, as Gradio sends it)."""
    out = []
    for item in history or []:
        role, content = (item.role, item.content) if isinstance(item, Message) else (item.get("role"), item.get("content"))
        if isinstance(content, list):
            content = " ".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
        if role in ("user", "assistant") and isinstance(content, str) and content.strip():
            out.append(Message(role, content))
    return out


def trim(history: list[Message], budget: int) -> list[Message]:
    """Return the latest turns of history whose tiktoken count fits the budget."""
    kept: list[Message] = []
    for message in reversed(history):
        budget -= count_tokens(message.content)
        if budget < 0:
            break
        kept.append(message)
    return kept[::-1]


@dataclass(frozen=True)
class IndexView:
    """What the reading of a turn may ask of the index: in how many chunks a word occurs, and which
    reports a text retrieves on its own (translation twins included)."""

    document_frequency: Callable[[str], int] = lambda token: 0
    chunks: int = 0
    reports_of: Callable[[str], frozenset[str]] = lambda text: frozenset()

    def rare(self, token: str) -> bool:
        """Return whether a token is in the index and rare enough to name something."""
        df = self.document_frequency(token)
        return 0 < df <= RARE_DF

    def unknown(self, token: str) -> bool:
        return self.document_frequency(token) == 0

    def as_name(self, word: str, token: str, language: str) -> bool:
        """Return whether the reports write a word (of keyword token token) as a name, capitalised, in at least
        half the chunks that hold it: a word typed in lower case may name something ("taiex", "avangard")
        or be an ordinary word the reports happen to use rarely ("host", "officers"). A word too short for
        a name prefix cannot tell, and counts."""
        prefix = name_prefix(word, language)
        return not prefix or 2 * self.document_frequency(prefix) >= self.document_frequency(token)


def name_prefix(word: str, language: str) -> str:
    """Return the token by which the index counts a word written capitalised, as a name ("^" and its first
    PREFIX folded letters: text.keyword_tokens), or "" for a word too short to have one."""
    plain = fold(word.lower(), language)
    return "^" + plain[:PREFIX] if len(plain) >= PREFIX else ""


@dataclass(frozen=True)
class Turn:
    """How a question is read in its conversation, and what retrieval needs of it."""

    question: str
    search_text: str
    carried_docs: tuple[str, ...] = ()
    reading: str = "first"  # first | new_topic | follow_up | ellipsis
    language: str = ""  # the question's, read with its conversation (conversation_language)
    unresolved: str = ""  # a first question's pronoun that has nothing to point back to (unanchored)

    @property
    def follow_up(self) -> bool:
        """Return whether the conversation was carried into the search."""
        return self.search_text != self.question


def _tokens(text: str) -> set[str]:
    """Return the plain keyword tokens of text (no name prefixes), for comparing what two texts name."""
    return {t for t in keyword_tokens(clean_claim(text)) if t[0] not in "^~"}


def conversation_language(question: str, history: list[Message]) -> str:
    """Return the language of a question read with its conversation: each user turn's language stands for
    the next one's when that one's own evidence is weak ("a sednica saveta ODKB?" after Serbian turns is
    Serbian, though "a" is an English word too)."""
    language = None
    for m in history:
        if m.role == "user":
            language = detect_language(clean_claim(m.content), prior=language)
    return detect_language(question, prior=language)


# Words that open or pad a turn of a conversation ("ok, and…", "добро, а…", "а кто ещё?"): rare in reports,
# which are not written as talk, yet they name nothing. Those among text's stop words ("so", "još", "ну")
# are dropped before this is asked.
_FILLERS = re.compile(r"ok|okay|well|then|thanks|else|more|exactly|specifically|"
                      r"dobro|добро|pa|па|onda|онда|tek|тек|tačno|tacno|тачно|hvala|хвала|"
                      r"хорошо|ладно|тогда|ещё|спасибо|именно|конкретно", re.IGNORECASE)


@lru_cache(maxsize=1024)
def countries(text: str, language: str | None = None) -> tuple[str, ...]:
    """Return the countries a text names (CLDR codes). Cached: reading one turn asks it of the same
    conversation text several times (each earlier turn is read again), and facts of a long answer cost
    milliseconds; in a served app that was the largest part of answering a follow-up."""
    return sentence_facts(text, language).countries


# The Zipf frequency of a language's commonest words (about one in a thousand words of running text and
# more: "ima", "sve", "есть", "был"), which are never names typed in lower case.
COMMONEST = 6.0


def _ordinary(word: str, token: str, view: IndexView, language: str, short: bool = False) -> bool:
    """Return whether a word typed in lower case is an ordinary word rather than a name: one of everyday
    language (everyday.py: "host", "officers", "домаћин") that the reports do not write as a name either
    ("moscow" is everyday English, but the reports write it capitalised). A term the reports hold in a chunk
    or two ("nitazenes", "taiex") names a subject however it is typed. A word too short for a name prefix,
    which the index cannot tell (as_name), counts as a name, unless short: then everyday language decides
    ("say", "funds", "rekla" are ordinary), and so is one of the language's commonest words."""
    if word[:1].isupper() or zipf(word, language) <= 0:
        return False
    if zipf(word, language) >= COMMONEST:
        return True  # "ima", "есть", "sve": a word of every other sentence names nothing, however short
    if short and not name_prefix(word, language):
        return True
    return not view.as_name(word, token, language)


def new_subject(question: str, said: str, view: IndexView, language: str | None = None,
                short: bool = False) -> list[str]:
    """Return the words by which a question names something the conversation (said) has not: names and
    acronyms as capitalised, countries in any language, and words so rare in the index that they name
    something even in lower case. Interrogatives and the words that pad a turn name nothing, however
    rare; with short, nor do short everyday words (_ordinary)."""
    before = _tokens(said)
    said_folded = fold(clean_claim(said))
    language = language or detect_language(question)
    named = []
    for word in regex.findall(r"\w+", question):
        if ASKS.fullmatch(word) or _FILLERS.fullmatch(word):
            continue
        tokens = keyword_tokens(word, language)
        named += [t for t in tokens if t[0] not in "^~" and t not in before and view.rare(t)
                  and not _ordinary(word, t, view, language, short)]
        # A word the index does not hold, whose first letters begin a name the reports write rarely: that
        # name in another script or case ("бреннике" for Brennick, "valjevu" for Valjevo), typed in lower case.
        prefix = name_prefix(word, language)
        if tokens and view.unknown(tokens[0]) and prefix and view.rare(prefix) and prefix[1:] not in said_folded:
            named.append(prefix)
    body = question.split(maxsplit=1)[1] if len(question.split()) > 1 else ""
    for word in _CAPITALISED.findall(body):
        stem = fold(word)[:5]
        if len(stem) >= 3 and stem not in said_folded and stem not in named:
            named.append(stem)
    codes_before = set(countries(said))
    named += [c for c in countries(question, language) if c not in codes_before]
    return list(dict.fromkeys(named))


def points_back(question: str, said: str = "", view: IndexView | None = None,
                language: str | None = None) -> re.Match | None:
    """Return the first pronoun of a question that points back into the conversation: not one in a
    clause after a clause that names its own subject ("who chaired the Council, and what did it
    decide?" points nowhere)."""
    language = language or detect_language(question)
    matches = list(POINTER.get(language, POINTER["en"]).finditer(question))
    if not matches:
        return None
    m = next((p for p in matches if p.lastgroup != "then"), None)
    if m is None:  # only "then": it points back when the question names nothing new of its own
        if new_subject(question, said, view or IndexView(), language):
            return None
        m = matches[0]
    joins = [j for j in _JOIN.finditer(question, 0, m.start())]
    if joins and new_subject(question[:joins[-1].start()], said, view or IndexView(), language):
        return None
    return m


def _foreign(question: str, said: str, view: IndexView, language: str) -> bool:
    """Return whether most of a question's words, and at least two, are unknown to the index (as a stem,
    a name prefix or a consonant skeleton), or ordinary words it holds in a chunk or two, and unknown to the
    conversation: it is about something else altogether (an unrelated question mid-conversation)."""
    before = _tokens(said)
    words = [(word, tokens) for word, tokens in word_tokens(question, language) if not tokens[0].isdigit()]
    unknown = [word for word, tokens in words if not set(tokens) & before and (
        all(view.unknown(t) for t in tokens)
        # or an ordinary word the reports hardly use ("телефон" in "Ко је изумео телефон?")
        or view.rare(tokens[0]) and _ordinary(word, tokens[0], view, language))]
    return len(unknown) >= 2 and len(unknown) * 2 > len(words)


def _lead(question: str, language: str | None = None) -> re.Pattern:
    return LEAD.get(language or detect_language(question), LEAD["en"])


def elliptical(question: str, language: str | None = None) -> bool:
    """Return whether a question continues the last one without an interrogative of its own ("and the
    workshop?", "а последњег дана?")."""
    rest = _lead(question, language).sub("", question)
    return rest != question and not ASKS.search(rest) and not _YES_NO.search(rest)


# Content words (besides its pronoun) by which a first question using "they" says enough of its own subject
# to be answered.
OWN_WORDS = 3


def unanchored(question: str, view: IndexView, language: str | None = None) -> str:
    """Return the pronoun by which a conversation's first question leans on an earlier turn it does not
    have ("when was it held?", "шта је он рекао?", "кто их возглавлял?"), or "". A question that names its own subject,
    puts an antecedent before its pronoun (at least two content words: "what did the minister say about it?"),
    or says "they" with OWN_WORDS content words of its own anywhere ("when did they open line 2 in brennick?")
    leans on nothing; nor does a turn that asks nothing ("хвала, то је све")."""
    language = language or detect_language(question)
    if not ASKS.search(question) and not elliptical(question, language):
        return ""
    pointer = points_back(question, "", view, language)
    if pointer is None:
        return _continues(question, view, language)
    # A rare short word is a subject mid-conversation ("and nato?" may leave the topic), but the verb of
    # "what did he say?" is nothing a first question could be answered about.
    if new_subject(question, "", view, language, short=True):
        return ""
    # A demonstrative may be its own noun's determiner, and that noun says what it means ("what does this
    # report say about cocaine?", "шта каже овај извештај?"); only personal pronouns and "there" need an
    # earlier turn. English "it" and "its" are in the demonstratives' group but are never determiners.
    if pointer.lastgroup in ("what", "then") and pointer.group(0).lower() not in ("it", "its"):
        return ""
    before = [t for t in keyword_tokens(question[:pointer.start()], language) if t[0] not in "^~"]
    # "they" in a question that says this much of its own, wherever the pronoun stands, is said as people say
    # it of whoever runs a thing ("what plane do they use on the arkhangelsk route?"): it has a subject to
    # answer about. "he" and "she" stand for someone ("what did she say about heroin seizures?"), and
    # "шта су они рекли?" says too little.
    own = [t for t in keyword_tokens(question[:pointer.start()] + " " + question[pointer.end():], language)
           if t[0] not in "^~"]
    generic = pointer.lastgroup == "they" and len(own) >= OWN_WORDS
    return pointer.group(0) if len(before) < 2 and not generic else ""


def _continues(question: str, view: IndexView, language: str) -> str:
    """Return a first question that opens as a continuation ("and …", "а …", "a …") and says at most one word
    of its own, naming nothing ("a šta je rekla?", "and the budget?"): what it continues is a turn there is
    none of. Serbian and Russian drop the pronoun a follow-up would have ("рекла" is "she said"), so no
    pronoun is no anchor. Returned without its final marks, as the refusal quotes it; "" otherwise."""
    lead = _lead(question, language).match(question)
    if lead is None or new_subject(question, "", view, language, short=True):
        return ""
    own = [t for t in keyword_tokens(question[lead.end():], language) if t[0] not in "^~"]
    return question.strip().rstrip("?!.… ").strip() if len(own) <= 1 else ""


def read_turn(question: str, history: list[Message], view: IndexView,
              conversation_docs: frozenset[str] = frozenset(), language: str | None = None) -> str:
    """Return how a question is read after history: first, new_topic, follow_up or ellipsis.
    conversation_docs are the reports the conversation is about: a question whose new names retrieve
    another report has left them."""
    if not any(m.role == "user" for m in history):
        return "first"
    said = " ".join(clean_claim(m.content) for m in history[-4:])
    language = language or conversation_language(question, history)
    named = new_subject(question, said, view, language)
    if named and elliptical(question, language):
        return "ellipsis"
    pointer = points_back(question, said, view, language)
    if named and pointer is None and not (conversation_docs & view.reports_of(question)):
        return "new_topic"
    if pointer is None and _foreign(question, said, view, language):
        return "new_topic"
    if pointer is None and ASKS.search(question) and new_subject(question, "", view, language):
        # It names its subject and asks of it, leaning on nothing: read on its own, though the conversation
        # named that subject before. Carried in, the previous question pulls the sentence that answered it.
        return "new_topic"
    return "follow_up"


def topic(history: list[Message], view: IndexView | None = None, depth: int = MAX_CHAIN) -> str:
    """Return the conversation's topic: the last user question as it was searched — on its own, with
    the topic before it (a follow-up: "what did DPNSEE say?" → "when?" keeps DPNSEE), or as the ask of
    the question before it (an ellipsis) — reaching back at most depth questions."""
    return _topic(history, view or IndexView(), depth)[0]


def _topic(history: list[Message], view: IndexView, depth: int) -> tuple[str, str]:
    """Return the topic (see topic) and the ask of the last user question. An ellipsis asks what the
    question it continues asked, however far back that ask was stated: "When was the CND meeting?" →
    "and the workshop?" → "and the Council?" asks when the Council was, not "when was the workshop the
    Council"."""
    users = [i for i, m in enumerate(history) if m.role == "user"]
    if not users or depth <= 0:
        return "", ""
    i = users[-1]
    question = clean_claim(history[i].content)
    language = conversation_language(question, history[:i])
    reading = read_turn(question, history[:i], view, language=language)
    if reading in ("first", "new_topic"):
        return question, _ask_of(question.split("?", 1)[0], view)
    before, ask = _topic(history[:i], view, depth - 1)
    if reading == "ellipsis":
        return _elliptical_text(question, ask, language), ask
    return _glued(question, before), _ask_of(question.split("?", 1)[0], view)


def _glued(question: str, topic: str) -> str:
    """Return a follow-up with the conversation's topic after it, the question closed with "?" so that the
    latest question can be read off the front again (_elliptical_text)."""
    if not topic:
        return question
    return f"{question if question.rstrip().endswith(('?', '!', '.')) else question.rstrip() + '?'} {topic}"


def _elliptical_text(question: str, ask: str, language: str) -> str:
    """Return an elliptical question asked with the ask of the question it continues ("And the TAIEX
    workshop?" with "When was the" → "When was the TAIEX workshop?"). A subject that brings its own head
    noun replaces the one the ask ends with: Serbian and Russian put it before the name ("Када је одржан
    састанак CND?" → "А TAIEX радионица?" asks "Када је одржан TAIEX радионица?", not "…састанак TAIEX
    радионица?")."""
    subject = _lead(question, language).sub("", question).strip(" ?.!")
    words = ask.split()
    if words and _ARTICLE.fullmatch(words[-1]):
        words.pop()
    elif _has_head(subject):
        words = _without_head(words)
    # "what was said about Montenegro?" → "and about Bosnia?": the subject brings its own preposition.
    if words and subject and fold(words[-1]) == fold(subject.split()[0]):
        words.pop()
    return f"{' '.join(words)} {subject}?".strip()


_ARTICLE = re.compile(r"the|a|an", re.IGNORECASE)
_PLAIN = regex.compile(r"\p{Ll}+")


def _has_head(subject: str) -> bool:
    """Return whether an elliptical subject of two or more words has a common noun of its own (a word in
    lower case that is no common word: "TAIEX радионица", "the g8 experts meeting"; not "Олег Крылов",
    "у Црној Гори")."""
    words = subject.split()
    return len(words) > 1 and any(_PLAIN.fullmatch(w) and not is_stop_word(w) and not _FILLERS.fullmatch(w)
                                  for w in words)


def _without_head(words: list[str]) -> list[str]:
    """Return an ask's words without the run of plain words that ends it, past the first one after the
    interrogative (the verb: "Када је одржан састанак" → "Када је одржан"; "Ко је председавао седницом
    савета" → "Ко је председавао")."""
    first = next((i for i, w in enumerate(words) if i and not is_stop_word(w) and not ASKS.fullmatch(w)), None)
    if first is None:
        return words
    end = len(words)
    while end - 1 > first and _PLAIN.fullmatch(words[end - 1]) and not is_stop_word(words[end - 1]):
        end -= 1
    return words[:end]


# A name: a run of capitalised words, which may be joined by a preposition ("Commission on Narcotic Drugs",
# "Office for Combating Drugs"), or an acronym.
_NAME_RUN = regex.compile(r"\p{Lu}[\p{L}-]+(?:(?:\s+(?:of|on|for|za|po|protiv|за|по|против|для)\s+|\s+)"
                          r"\p{Lu}[\p{L}-]+)+|\b\p{Lu}{2,}\b")
_ROMAN = re.compile(r"[IVXLCDM]+")


# A sentence at least this much of whose content words the last reply holds was quoted there (whole, or the
# clause of it an answer quotes).
SAID_SHARE = 0.5


def last_reply(history: list[Message]) -> str:
    """Return the conversation's last reply ("" before the first)."""
    return next((m.content for m in reversed(history) if m.role == "assistant"), "")


def said(candidates: list, history: list[Message]) -> frozenset[tuple[str, int]]:
    """Return (doc_id, start) of the candidate sentences the conversation's last reply quoted: a follow-up
    asking for more ("what else?", "а кто ещё?") is not answered with them."""
    reply = last_reply(history)
    if not reply:
        return frozenset()
    seen: dict[str, set[str]] = {}

    def quoted(text: str, language: str) -> bool:
        words = content_words_of(text, language)
        if language not in seen:
            seen[language] = content_words_of(reply, language)
        return bool(words) and len(words & seen[language]) >= SAID_SHARE * len(words)

    # A sentence may have been shown as its translation twin, in the question's language.
    return frozenset((c.doc_id, c.start) for c in candidates if quoted(c.text, c.language)
                     or (c.twin and quoted(c.twin.text, c.twin.language)))


def told(history: list[Message], language: str) -> Facts:
    """Return what the conversation's last reply stated (its names, dates, figures): for a follow-up asking for
    more, facts that are not new (scorer.type_new)."""
    reply = last_reply(history)
    return sentence_facts(clean_claim(reply), language) if reply else Facts()


def referents(last: Answer | None, history: list[Message]) -> dict[str, str]:
    """Return what each pronoun group stands for after the last turn: who (he, she) a person's name, they a
    body's (an acronym or a name of three or more words) or else any name, where the country. A pronoun
    stands for what the last question asked about, unless it asked who or where: then for what the answer
    named that the question had not ("Who chaired the session?" "Igor Zubov chaired it." "What did he
    say?"). Each is written as the answer's reports write it, a country by its whole name in their
    language: the search that follows is for those reports."""
    answer = last.answer if last is not None and last.found else \
        last_reply(history)
    answer = clean_claim(answer)
    asked = clean_claim(next((m.content for m in reversed(history) if m.role == "user"), ""))
    folded = fold(asked)
    kind = question_type(folded)
    in_question, in_answer = _names(asked), _names(answer)
    new_in_answer = [n for n in in_answer if fold(n)[:5] not in folded]
    names = new_in_answer + in_question if kind == "who" else in_question + new_in_answer + in_answer
    out = {}
    people = [n for n in names if not n.isupper() and len(n.split()) <= 3]
    bodies = [n for n in names if n.isupper() or len(n.split()) >= 3]
    # A person group finds no one rather than a body or a topic ("what did Drug Supply Through Police
    # Cooperation say"): the pronoun left as asked costs nothing, the conversation being searched with it.
    for group, ranked in (("person", people), ("who", people + names), ("they", bodies + names)):
        if ranked:
            out[group] = ranked[0]
    places = list(countries(answer))
    asked_places = list(countries(asked))
    codes = places + asked_places if kind == "where" else asked_places + places
    if codes:
        written = answer if places else asked
        out["where"] = country_name(codes[0], detect_language(written), detect_script(written)) or codes[0]
    return out


def _names(text: str) -> list[str]:
    """Return the names a text states (see _NAME_RUN), in order, countries and Roman numerals left out."""
    found = []
    for m in _NAME_RUN.finditer(text):
        name = _name_of(m.group())
        if name and not _ROMAN.fullmatch(name) and not countries(name):
            found.append(name)
    return list(dict.fromkeys(found))


def _name_of(run: str) -> str:
    """Return a run of capitalised words without the ones that only start a sentence or give a date ("On
    October 21, Igor Zubov" is not a person "On October"); "" when no name is left (one word counts only as
    an acronym: "ODKB", not "Sessions")."""
    words = run.split()
    while words and (is_stop_word(words[0]) or is_month(words[0]) or ASKS.fullmatch(words[0])):
        words.pop(0)
    while words and (is_stop_word(words[-1]) or is_month(words[-1])):
        words.pop()
    if len(words) >= 2 or (words and words[0].isupper()):
        return " ".join(words)
    return ""


def _ask_of(previous: str, view: IndexView) -> str:
    """Return the part of a question that says what it asks, before its first specific word ("When was
    the CND meeting?" → "When was the")."""
    words = previous.split()
    for i, word in enumerate(words):
        if i and (view.rare(next(iter(keyword_tokens(word)), "")) or _CAPITALISED.match(word)):
            return " ".join(words[:i])
    m = ASKS.search(previous)
    return m.group() if m else ""


def contextualise(question: str, history: list[Message], last: Answer | None = None,
                  view: IndexView | None = None) -> Turn:
    """Return how a question is searched in its conversation: on its own (a first question or a new
    topic), with the conversation's topic and the reports it is about (a follow-up; pronouns replaced by
    what they stand for), or as the previous question's ask of a new subject (an ellipsis). The reports
    are those the last answer cited or, without one (a refusal, a CLI --history), those its topic retrieves."""
    view = view or IndexView()
    language = conversation_language(question, history)
    if not any(m.role == "user" for m in history):
        return Turn(question, question, (), "first", language, unanchored(question, view, language))
    previous, ask = _topic(history, view, MAX_CHAIN)
    cited = frozenset(c.doc_id for c in last.citations) if last is not None and last.found else frozenset()
    docs = cited or view.reports_of(previous)
    reading = read_turn(question, history, view, docs, language)
    if reading == "new_topic":
        return Turn(question, question, (), reading, language)
    if reading == "ellipsis":
        # The same report may hold the new subject too: keep its boost only then.
        kept = docs & view.reports_of(question)
        return Turn(question, _elliptical_text(question, ask, language), tuple(sorted(kept)), reading, language)
    resolved = question
    said = " ".join(clean_claim(m.content) for m in history[-4:])
    pointer = points_back(question, said, view, language)
    if pointer is not None:
        stands_for = referents(last, history).get(pointer.lastgroup or "")
        if stands_for:
            resolved = question[:pointer.start()] + stands_for + question[pointer.end():]
    return Turn(question, _glued(resolved, previous), tuple(sorted(docs)), reading, language)
