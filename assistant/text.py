"""Script and language detection, Cyrillic↔Latin folding, sentence splitting and stemming."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import cyrtranslit
import regex

from .langmodel import MODEL_LANGUAGES, character_model

CYRILLIC = "Cyrillic"
LATIN = "Latin"

_CYR = re.compile(r"[\u0400-\u04FF]")
_LAT = re.compile(r"[A-Za-z\u00C0-\u024F]")
_WORD = re.compile(r"\w+", re.UNICODE)

# Letters only one of the two Cyrillic languages uses.
_SR_CYR = set("ђјљњћџЂЈЉЊЋЏ")
_RU_CYR = set("ыэъщёйЫЭЪЩЁЙ")
_SR_LAT = set("čćđšžČĆĐŠŽ")

_STOP = {
    "en": set(
        "the of and to in a is that for on was with as by at from it this be are were which has have an "
        "or not but their its been also who what when where how did does do said about".split()
    ),
    "sr": set(
        "a je i u na da se za od su sa kao koji koja koje iz o ili ali sto što bi biti bio bila ce će "
        "ko šta sta kada gde gdje kako koliko li ne to taj ta te tih jos još".split()
    ),
    "ru": set(
        "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне "
        "было вот от меня еще нет о из ему теперь когда даже ну ли если уже или быть был него до вас "
        "кто что где когда как сколько какой какие это этот".split()
    ),
}

# The interrogative pronouns in every case and gender ("колики је буџет", "kojih zemalja", "каких стран",
# "whose"): in a question they ask, and name nothing; as content words an unseen one weighed like the
# rarest name (a question's unseen word gets the highest idf). Read out of questions only (query tokens):
# in a report the same words are relative pronouns, which the index has always held.
_INTERROGATIVE_WORDS = (
    "whose whom "
    "koga kome čega cega čemu cemu čime cime "
    "koliki kolika kolike kolikog koliku kolikoj kolikom kolikih kolikim kolikima "
    "kakav kakva kakvo kakve kakvi kakvog kakvoj kakvom kakvih kakvim kakvima kakvu "
    "kojeg kojega kojoj kojem kojim kojih kojima koju "
    "čiji čija čije čijeg čijoj čijem čijim čijih čiju ciji cija cije "
    "кого кому кем чего чему чем какая какое какого какому каким каком какую каких какими каков какова каково каковы "
    "который которая которое которые которого которой которому которым котором которую которых которыми "
    "чей чья чьё чье чьи чьего чьей чьему чьим чьём чью чьих скольких скольким"
).split()

# Serbian's common words as written in Cyrillic (none has a digraph such as lj, so the spelling is one).
_SR_STOP_CYRILLIC = {cyrtranslit.to_cyrillic(w, "sr") for w in _STOP["sr"]}

LANGUAGE_NAMES = {"en": "English", "sr": "Serbian", "ru": "Russian"}

# Pronouns and demonstratives that point back (at the last turn of a conversation, or
# at the sentence before in a report), per language (Serbian in both scripts),
# grouped by what they stand for: a person or body, a place, or the event or thing last talked about.
# Per language because the lists clash across them: Serbian "on" (he) is English "on".
_POINTERS = {
    # English "there" after or before a form of "be" says only that something exists ("are there any…?",
    # "there were…"), unless it ends the question ("who was there?"); "that" points back as a determiner or
    # pronoun closing the question ("who gave that figure?", "when was that?"), not as a conjunction ("who
    # said that prices rose?").
    "en": (r"he|she|him|her|his|hers", r"they|them|their",
           r"there(?=\s*[?.!]*\s*$)|"
           r"(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )there(?!\s+(?:is|are|was|were|will|has|have|had)\b)",
           r"it|its|this|these|those|that(?=(?:\s+[\w-]+)?\s*[?.!]*\s*$)"),
    # Demonstratives in every case (Serbian taj/ovaj/onaj, Russian тот/этот).
    "sr": (r"он|она|оно|њега|ње|његов\w*|њен\w*|му|га|ју|јој|њему|њим|њиме|њом|њоме|њој|њу|"
           r"on|ona|ono|njega|nje|njegov\w*|njen\w*|mu|ga|ju|joj|njemu|njim|njime|njom|njome|njoj|nju",
           r"они|оне|њих|њихов\w*|их|им|њима|oni|one|njih|njihov\w*|ih|im|njima", r"тамо|tamo",
           r"то|тај|тог|тога|том|томе|тој|ту|та|те|тих|тим|тима|ово|овај|ова|ови|ове|овог|овога|овом|овој|ову|"
           r"овим|ових|онај|оног|оном|оној|ону|"
           r"to|taj|tog|toga|tom|tome|toj|tu|ta|te|tih|tim|tima|ovo|ovaj|ova|ovi|ove|ovog|ovoga|ovom|ovoj|ovu|"
           r"ovim|ovih|onaj|onog|onom|onoj|onu"),
    "ru": (r"он|она|оно|его|её|ее|ему|ей|нём|нем|ней|нему|него|неё|нее|ним|нею", r"они|их|им|них|ними",
           r"там|туда",
           r"этот|этом|этого|этому|этим|эта|это|эти|этих|этой|эту|этими|тот|того|тому|том|та|той|ту|те|тех|тем|"
           r"теми"),
}
# What the first group stands for (referents): English he/she a person only ("person"); Serbian and Russian
# он/она/га/нём a thing of that grammatical gender as often ("ко га финансира?", it: a project), so any name.
_PERSONAL = {"en": "person", "sr": "who", "ru": "who"}
# The adverb of the time just talked about ("then", "tada", "тогда"): a weaker pointer, which a question that
# names a new subject of its own does not lean on ("ко је тада говорио у име удружења Превент?").
_THEN = {"en": r"then", "sr": r"тада|tada", "ru": r"тогда"}
POINTER = {lang: re.compile(rf"\b(?:(?P<{_PERSONAL[lang]}>{who})|(?P<they>{they})|(?P<where>{where})|"
                            rf"(?P<what>{what})|(?P<then>{_THEN[lang]}))\b", re.IGNORECASE)
           for lang, (who, they, where, what) in _POINTERS.items()}

# A sentence that opens with one of them ("Its main stage ran…", "This data indicates…", "Её задачами были…")
# leans on the sentence before it for its subject: it says what that one began.
LEAN_WORDS = 3


def leans_back(text: str, language: str | None) -> bool:
    """Return whether a sentence opens (within its first LEAN_WORDS words) with a pronoun or demonstrative
    pointing back at the sentence before it."""
    opening = " ".join(_WORD.findall(text)[:LEAN_WORDS])
    return bool(POINTER.get(language or "en", POINTER["en"]).search(opening))


# Quotation marks. «…» and „…“ are unambiguous; “ opens in English and closes „ in Serbian, and the straight "
# does both, so these two are read by where they stand: one that follows a space (or opens the text) and comes
# before a letter opens, any other closes. Marks of either style may close a quotation of the other (typed
# text mixes them: “…," said Ivanov).
_OPENS = frozenset("«„")
_CLOSES = frozenset("»”")
_EITHER = frozenset("“\"")
_BEFORE_OPENING = frozenset(" \t\n\u00a0([{—–-/")


def _quotes(text: str, depth: int = 0) -> tuple[int, int]:
    """Return how many quotations are still open at the end of text, when depth were open at its start, and
    how many closing marks came with none open (the ends of quotations begun before text)."""
    unopened = 0
    for i, ch in enumerate(text):
        if ch in _EITHER:
            opening = (i == 0 or text[i - 1] in _BEFORE_OPENING) and i + 1 < len(text) and \
                not text[i + 1].isspace()
        else:
            opening = ch in _OPENS
        if opening:
            depth += 1
        elif ch in _CLOSES or ch in _EITHER:
            unopened += depth == 0
            depth = max(depth - 1, 0)
    return depth, unopened


def quote_depth(text: str, depth: int = 0) -> int:
    """Return how many quotations are still open at the end of text, when depth were open at its start (a
    closing mark with none open is the end of a quotation begun before text, and is passed over)."""
    return _quotes(text, depth)[0]


def quotes_closed(text: str) -> int:
    """Return how many quotations text closes that it did not open: begun in a sentence before it."""
    return _quotes(text)[1]


def letters(text: str) -> tuple[int, int]:
    """Return the counts of Cyrillic and Latin letters in text."""
    return len(_CYR.findall(text)), len(_LAT.findall(text))


def ordinary_case(text: str) -> str:
    """Return a question typed in capitals throughout (caps lock on) in lower case, else as it is: in
    capitals every word reads as a name or an acronym."""
    words = [w for w in _WORD.findall(text) if len(w) >= 3 and not w.isdigit()]
    if len(words) >= 2 and not any(c.islower() for c in text):
        return text.lower()
    return text


def has_cyrillic(text: str) -> bool:
    """Return whether text has a Cyrillic letter."""
    return _CYR.search(text) is not None


def detect_script(text: str) -> str:
    """Return "Cyrillic" or "Latin", whichever script most letters of text are in."""
    cyr, lat = letters(text)
    return CYRILLIC if cyr > lat else LATIN


def language_evidence(text: str) -> dict[str, int]:
    """Return, for each language text's script allows (sr or ru in Cyrillic, en or sr in Latin), its points:
    one for each of its common words and each letter only its alphabet has."""
    cyr, lat = letters(text)
    written = _WORD.findall(text)
    words = [w.lower() for w in written]
    # A name keeps its own letters in any language's text ("How old is Nikola Đurović?", "Кто такой Ђорђевић?"):
    # only the letters of words in lower case, or of the first word, say what language the text is in.
    plain = "".join(w for i, w in enumerate(written) if i == 0 or not w[:1].isupper())
    if cyr > lat:
        return {"sr": sum(ch in _SR_CYR for ch in plain) + sum(w in _STOP["sr"] or w in _SR_STOP_CYRILLIC for w in words),
                "ru": sum(ch in _RU_CYR for ch in plain) + sum(w in _STOP["ru"] for w in words)}
    return {"en": sum(w in _STOP["en"] for w in words),
            "sr": sum(w in _STOP["sr"] for w in words) + sum(ch in _SR_LAT for ch in plain)}


_EN_INTERROGATIVES = {"who", "whom", "whose", "what", "which", "when", "where", "why", "how",
                      "whos", "whats", "whens", "wheres", "hows"}


def detect_language(text: str, prior: str | None = None) -> str:
    """Return "sr", "ru" or "en" (the languages the reports are in) for text of any length: the language its
    common words and letters point to. When they point nowhere ("a sednica saveta?", "Какую долю героина
    производит Афганистан?"), prior — the language of the conversation text is part of — decides if its
    script allows, else a character model (given two words or more)."""
    points = language_evidence(text)
    first, second = sorted(points, key=points.get, reverse=True)
    if points[first] > points[second]:
        return first
    # A question that opens with an English interrogative is English, however many letters of a name typed
    # in lower case say Serbian ("how old is dr snežana milutinović" was answered in Serbian).
    opening = _WORD.match(text.lstrip(" \t\n¿¡\"'«„“(-"))
    if "en" in points and opening is not None and opening.group().lower() in _EN_INTERROGATIVES:
        return "en"
    if prior in points:
        return prior
    default = "sr" if "ru" in points else "en"
    if sum(any(ch.isalpha() for ch in w) for w in text.split()) < 2:  # too little for letter statistics
        return default
    model = character_model()
    guess = MODEL_LANGUAGES.get(model.classify(text)[0]) if model is not None else None
    return guess if guess in points else default


# Russian letters written in Latin as people type them, not as the transliteration standard marks them:
# ы and э as plain y and e, the soft and hard signs as nothing ("Кыргызстан" is "kyrgyzstan", as English
# writes it, not "ky'rgy'zstan"; "Каныбек" matches "kanybek" typed in a question).
_RU_PLAIN = str.maketrans({"ы": "y", "Ы": "Y", "э": "e", "Э": "E", "ь": "", "Ь": "", "ъ": "", "Ъ": ""})


def to_latin(text: str, language: str | None = None) -> str:
    """Return text with Cyrillic transliterated to Latin by the rules of its language (sr or ru)."""
    if not has_cyrillic(text):
        return text
    language = language if language in ("sr", "ru") else detect_language(text)
    if language == "ru":
        return cyrtranslit.to_latin(text.translate(_RU_PLAIN), "ru")
    return cyrtranslit.to_latin(text, "sr")


# What the embedder reads of Serbian, which is written in two scripts: Latin, whichever script a text was
# written in (Cyrillic to Latin is one-to-one; the other way is not: Latin acronyms and foreign names have
# no single Cyrillic spelling). Questions and reports then meet in one script, and a question is embedded
# once rather than once per script. Stored with each document's vectors, so a change re-embeds it.
EMBEDDING_FORM = "sr-latin"


def embedding_form(text: str, language: str) -> str:
    """Return the form of text the embedder reads (see EMBEDDING_FORM)."""
    return to_latin(text, "sr") if language == "sr" else text


@lru_cache(maxsize=16384)
def embedding_script(text: str, language: str) -> str:
    """Return the script the embedder reads text in (its embedding_form's). Cached: the scorer asks it of every
    candidate sentence of every question, and the same sentences come up question after question."""
    return LATIN if language == "sr" else detect_script(text)


def strip_accents(text: str) -> str:
    """Return text without diacritics (č→c, đ→dj), as people type Serbian Latin on any keyboard."""
    if text.isascii():
        return text
    text = text.replace("đ", "dj").replace("Đ", "Dj")
    return _DIACRITICS.sub("", unicodedata.normalize("NFKD", text))


# The combining diacritical marks of Latin, Cyrillic and Greek letters (and their supplements): what NFKD
# splits off "č" or "й". A short class keeps this a fast regex pass rather than a per-character loop.
_DIACRITICS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str, language: str | None = None) -> str:
    """Return text in one comparable form: Latin script, lower case, no diacritics, unified quotes."""
    text = unicodedata.normalize("NFKC", text)
    return strip_accents(to_latin(text, language)).lower()


@lru_cache(maxsize=8)
def _stemmer(language: str):
    import Stemmer

    return Stemmer.Stemmer({"sr": "serbian", "ru": "russian", "en": "english"}.get(language, "english"))


_STOP_FOLDED = {lang: {fold(w, lang) for w in words} for lang, words in _STOP.items()}
_ALL_STOP = set().union(*_STOP_FOLDED.values())
_INTERROGATIVE = {fold(w, "ru" if has_cyrillic(w) else "sr") for w in _INTERROGATIVE_WORDS}


def is_interrogative(folded: str) -> bool:
    """Return whether a folded word is an inflected interrogative ("kolika", "kakoj", "whose")."""
    return folded in _INTERROGATIVE


def is_stop_word(word: str) -> bool:
    """Return whether a word is a common word of one of the languages ("On", "the", "је", "и")."""
    return fold(word) in _ALL_STOP


PREFIX = 6
# Digraphs first: an English or Russian transliteration writes one Serbian letter as two ("Katnich",
# "Катнича" folded to "katnica" against "Katnić"; "sh"/"zh" for š/ž), so both spell one skeleton. English
# spells the sounds of ч and дж in more ways than one ("Pritchard" / "Причард", "budget" / "бюджет").
_SKELETON_RULES = [("tch", "ch"), ("dg", "j"), ("shh", "s"), ("sh", "s"), ("ch", "c"), ("zh", "z"),
                   ("ph", "f"), ("th", "t"), ("kh", "h"), ("gh", "g"), ("ck", "k"), ("qu", "kv"), ("x", "ks"),
                   ("w", "v"), ("y", "i"), ("dz", "j"), ("dj", "j"), ("c", "k"), ("h", "g"), ("v", "f")]
# English "w" sounds as a consonant only before a vowel; after one it is part of the vowel ("Wenlow" / "Венлоу"
# / "Venlou", "Bowman" / "Боумен"), and "wh" is "w" ("Whitcombe" / "Vitkomb").
_VOWEL_W = re.compile(r"w(?![aeiouy])")

# The version of what keyword_tokens gives for a text. Chunks store their tokens (ingest) and the keyword index
# is built from them; a change here bumps it, so stored tokens are made again from the chunk texts (no
# embedding) and the index rebuilt, instead of old chunks being searched with tokens questions no longer give.
TOKENS_VERSION = 5


def sounded(word: str) -> str:
    """Return a word folded to Latin with the spellings of one sound made one ("Pritchard" and "Причард" both
    give "prikard", "Ashworth" "asfort" and "Ешворт" "esfort"), doubled letters single: what tells two
    transliterations of a name apart is left to a vowel or two."""
    w = _VOWEL_W.sub("", fold(word).replace("wh", "w"))
    for a, b in _SKELETON_RULES:
        w = w.replace(a, b)
    return re.sub(r"(.)\1+", r"\1", w)


def skeleton(word: str) -> str:
    """Return the consonant skeleton of a word's start, the same for a name or an international word in
    any script: "Coordinating", "Координационог" and "Koordinacionog" all give "krdn"."""
    consonants = re.sub(r"[^a-z]|[aeiou]", "", sounded(word))
    consonants = re.sub(r"(.)\1+", r"\1", consonants)
    return consonants[:4] if len(consonants) >= 3 else ""


def cognate(token: str) -> str:
    """Return the consonant skeleton of a content word's stem ("" for a name prefix, a number or a word too
    short): Russian "представлял", Serbian "представљао" and "predstavljao" all give "prds", as do
    "seminar" and "семинару" ("smnr"); a word and its translation that share a root share it."""
    if token[:1] == "~":
        return token[1:]
    if token[:1] == "^" or token.isdigit():
        return ""
    return skeleton(token)


def cognate_keys(words: Iterable[str]) -> frozenset[str]:
    """Return what cognate_in looks a question word's skeleton up in: each word's skeleton ("=prds") and,
    for a full four-letter one, its first three letters ("3srb"), since inflection can add a consonant
    ("Serbia" gives "srb", "Србију" "srbj")."""
    keys = set()
    for w in words:
        k = cognate(w)
        if k:
            keys.add("=" + k)
            if len(k) == 4:
                keys.add("3" + k[:3])
    return frozenset(keys)


def cognate_in(key: str, keys: frozenset[str]) -> bool:
    """Return whether a skeleton (cognate) matches one of keys (cognate_keys), one letter's inflection apart."""
    return bool(key) and ("=" + key in keys or (len(key) == 3 and "3" + key in keys)
                          or (len(key) == 4 and "=" + key[:3] in keys))


def keyword_tokens(text: str, language: str | None = None, query: bool = False) -> list[str]:
    """Return search tokens: words folded to Latin, stop words dropped, stemmed per language.

    Russian is stemmed in Cyrillic (its stemmer expects it) and Serbian in Latin with diacritics
    (likewise); both end folded, so "Пекић", "Pekić" and "Pekic" give the same token. Names also give
    a language-free prefix token ("^saraje" for Sarajevo, Сарајеву and Сараево), since each language
    inflects them differently; a query gives one for every long word, as people type names in lower case.
    """
    language = language or detect_language(text)
    text = unicodedata.normalize("NFKC", text)
    out: list[str] = []
    for word in _WORD.findall(text):
        out += _word_tokens(word, language, query)
    return out


@lru_cache(maxsize=1 << 15)
def _word_tokens(word: str, language: str, query: bool) -> tuple[str, ...]:
    """Return keyword_tokens of one word. Cached: a question's words and its candidate sentences' are
    mostly words seen before, and stemming and folding each again was ~2 ms of every question."""
    low = word.lower()
    if low.isdigit():
        return (low,)
    if has_cyrillic(low):
        if language == "ru":
            stem = _stemmer("ru").stemWord(low)
            token = fold(stem, "ru")
        else:
            token = fold(_stemmer("sr").stemWord(cyrtranslit.to_latin(low, "sr")), "sr")
    else:
        stemmer = _stemmer("sr" if language == "sr" else "en")
        token = strip_accents(stemmer.stemWord(low))
    plain = fold(low, language)
    if plain in _ALL_STOP or (query and plain in _INTERROGATIVE) or len(token) < 2 and not token.isdigit():
        return ()
    if len(plain) >= PREFIX and (query or word[0].isupper()):
        bones = skeleton(word)
        return (token, "^" + plain[:PREFIX]) + (("~" + bones,) if bones else ())
    return (token,)


def content_words(text: str, language: str | None = None, query: bool = False) -> set[str]:
    """Return the folded, stemmed content words of text, for overlap scores (of a question: without its
    interrogative pronouns)."""
    language = language or detect_language(text)
    return {t for w in _WORD.findall(unicodedata.normalize("NFKC", text))
            if not (query and fold(w.lower(), language) in _INTERROGATIVE) for t in _word_tokens(w, language, False)}


# --- sentences -----------------------------------------------------------------------------------

# A period after these does not end a sentence: titles, "в. д." (acting), initials, ordinals before
# a month name ("19. октобра"), and numbers ("2019. године").
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "e.g", "i.e", "no", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "inc", "ltd", "co", "u.s", "u.k", "gen",
    "в", "д", "г", "гг", "др", "тзв", "нпр", "бр", "стр", "ул", "сл", "т", "тј", "итд", "v", "d", "npr",
    "br", "tzv", "tj", "itd", "им", "проф", "мр",
}
_BOUNDARY = re.compile(r"([.!?…]+[\"'”“»)\]]*)(\s+)")
_LOWER_START = re.compile(r"[a-zа-яђјљњћџ]")


# A paragraph: lines up to a blank line (a single line break only wraps a line), except that a Markdown
# heading is a paragraph of its own: it has no full stop, and run into the line after it ("# Report on
# trams" + "Niš, 3 March 2025.") it made one sentence of a title and a dateline, quoted as a finding.
_HEADING_MARKS = r"[ \t]{0,3}#{1,6}[ \t]"
_HEADING = rf"{_HEADING_MARKS}[^\n]*"
_PARAGRAPH = re.compile(rf"{_HEADING}|[^\n]+(?:\n(?!{_HEADING})(?!\s*\n)[^\n]+)*")
_HEADING_LINE = re.compile(rf"{_HEADING}$")


# A list item's opening: a bullet ("- ", "* ", "• ") or a number ("2) ", "2. Train…"). A number and a full
# stop open an item only before a word that is not in lower case: "20. октобра" and "2019. године" open
# Serbian sentences with a date.
LIST_ITEM = regex.compile(r"[ \t]*(?:[-*•][ \t]|\d{1,3}\)[ \t]|\d{1,3}\.[ \t]+(?!\p{Ll}))")
_ENUMERATOR = regex.compile(r"[ \t]*\d{1,3}[.)]")


def is_list_item(sentence: str) -> bool:
    """Return whether a sentence opens with a list item's bullet or number."""
    return LIST_ITEM.match(sentence.lstrip("\n")) is not None


def _item_starts(text: str, start: int, end: int) -> list[int]:
    """Return where the lines of a paragraph (text[start:end]) that open a list item begin, after its first
    line: each item is a sentence of its own even when it ends without a full stop. A bullet always opens
    one; a number only after a line that ends a sentence or clause, or opens an item itself, since a wrapped
    line may begin with a sentence's last figure."""
    out = []
    line_start = text.find("\n", start, end)
    previous = text[start:line_start] if line_start >= 0 else ""
    while line_start >= 0:
        line_start += 1
        line_end = text.find("\n", line_start, end)
        line = text[line_start : line_end if line_end >= 0 else end]
        if LIST_ITEM.match(line) and (not _ENUMERATOR.match(line) or previous.rstrip()[-1:] in tuple(".:;!?")
                                      or LIST_ITEM.match(previous)):
            out.append(line_start)
        previous, line_start = line, line_end
    return out


def is_heading(sentence: str) -> bool:
    """Return whether a sentence is a Markdown heading line ("## Measures"; not a "#hashtag" opening)."""
    return _HEADING_LINE.match(sentence.strip("\n")) is not None


_HEADING_IN_TEXT = re.compile(rf"(?m)^{_HEADING_MARKS}[ \t]*([^\n]*)")


def heading_lines(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, int]]:
    """Return the Markdown heading lines of text[start:end] (as HTML and Word headings are indexed too) as
    (line start, line end, start of the heading's words after its '#' marks); a line counts only where it
    really starts in text, not where start happens to cut it."""
    found = _HEADING_IN_TEXT.finditer(text, start, len(text) if end is None else end)
    return [(m.start(), m.end(), m.start(1)) for m in found]


def body_positions(sentences: list[str]) -> list[int]:
    """Return each sentence's position in its report as a plain text file would have it: a heading after the
    first sentence (a section's name) takes the place of the sentence after it rather than one of its own, so
    that "# Title", "## Summary", "Belgrade, 12 May — …" has the same lead (title and first sentence) and the
    same dateline as the title line and first paragraph of a .txt report."""
    out, position = [], 0
    for i, sentence in enumerate(sentences):
        out.append(position)
        if i == 0 or not is_heading(sentence):
            position += 1
    return out


# The version of what sentence_spans cuts. Sentences are stored with their vectors (ingest); a change here
# bumps it, and the next ingest splits each stored report again, embedding again only those it cuts otherwise.
SENTENCES_VERSION = 2


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Return (start, end) offsets of the sentences of text[start:end], whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for para in _PARAGRAPH.finditer(text[start:end]):
        p_start, p_end = start + para.start(), start + para.end()
        items = _item_starts(text, p_start, p_end)
        for i_start, i_end in zip([p_start, *items], [*items, p_end], strict=True):
            spans += _item_sentences(text, i_start, i_end)
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def _item_sentences(text: str, p_start: int, p_end: int) -> list[tuple[int, int]]:
    """Return the sentence spans of a paragraph or list item, untrimmed (a numbered item's own "2." is not
    a sentence's end)."""
    spans: list[tuple[int, int]] = []
    seg_start = p_start
    number = _ENUMERATOR.match(text, p_start, p_end) if LIST_ITEM.match(text, p_start, p_end) else None
    for m in _BOUNDARY.finditer(text, number.end() if number else p_start, p_end):
        cut = m.start(2)
        before = text[seg_start : m.start(1)]
        last = re.findall(r"[\w.]+$", before[-64:])  # the word before the stop; a bounded look keeps it linear
        token = last[0].lower() if last else ""
        after = text[m.end(2) : m.end(2) + 1]
        if token in _ABBREV or (len(token) == 1 and token.isalpha()):
            continue
        if token.isdigit() and len(token) <= 4 and not after.isupper():
            continue  # "19. октобра", "2019. године", "25 – 26. маја"
        if token.isdigit() and (after.islower() or _LOWER_START.match(after)):
            continue
        if after and _LOWER_START.match(after):
            continue
        spans.append((seg_start, cut))
        seg_start = m.end(2)
    spans.append((seg_start, p_end))
    return spans


def split_long(text: str, start: int, end: int, max_len: int) -> list[tuple[int, int]]:
    """Return spans that cut text[start:end] at clause boundaries (; , then spaces) into pieces of at
    most max_len characters, for sentences too long to embed whole."""
    pieces: list[tuple[int, int]] = []
    s = start
    while end - s > max_len:
        window = text[s : s + max_len]
        cut = -1
        for pattern in (r"[;:]\s", r",\s", r"\s"):
            found = [m.end() for m in re.finditer(pattern, window) if m.end() > max_len // 3]
            if found:
                cut = found[-1]
                break
        cut = s + (cut if cut > 0 else max_len)
        e = cut
        while e > s and text[e - 1].isspace():
            e -= 1
        pieces.append((s, e))
        s = cut
        while s < end and text[s].isspace():
            s += 1
    if end > s:
        pieces.append((s, end))
    return pieces
