"""What a sentence (or a question) states, found once: dates, figures with their units, person names,
countries, and whether it is a dateline or title line, announces a list, or speaks of plans.

Month and country names come from CLDR (Babel) in English, Serbian (both scripts) and Russian, folded to
one Latin form, so "Albania", "Албанија", "Албания" and "Albaniji" are one country. Capitals and letters
are Unicode classes of the `regex` module, so a name in any script counts.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path

import regex

from . import text
from .text import detect_language, fold, has_cyrillic, is_stop_word

LOCALES = ("en", "sr", "sr_Latn", "ru")
_SAVED_NAMES: list[Path] = []  # where the data directory keeps the names (see use_saved_names)


def use_saved_names(path: Path) -> None:
    """Read month and country names from path, when it holds the ones this code makes from the installed
    Babel, instead of from Babel's CLDR data (a tenth of a second of a cold question); otherwise make them
    once and save them there."""
    _SAVED_NAMES[:] = [Path(path)]
    if _names.cache_info().currsize:  # made before this data directory was known: kept for the next process
        key = _names_key()
        if _saved_names(Path(path), key) is None:
            _save_names(Path(path), key, _names())


@lru_cache(maxsize=1)
def _names_key() -> str:
    """Return what the names, and every sentence's facts, are made from: Babel's and regex's versions and
    this code (facts, text)."""
    from importlib.metadata import version

    code = hashlib.sha1(Path(__file__).read_bytes() + Path(text.__file__).read_bytes()).hexdigest()
    return f"babel {version('babel')}, regex {version('regex')}, code {code}"


def _saved_names(path: Path, key: str) -> dict | None:
    """Return the names saved in path if they were made under key, else None."""
    try:
        saved = json.loads(path.read_text("utf-8"))
        if saved.get("key") == key:
            return {"months": list(saved["months"]), "month_forms": [tuple(f) for f in saved["month_forms"]],
                    "cities": dict(saved["cities"]), "countries": dict(saved["countries"]),
                    "country_names": dict(saved["country_names"])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # missing or damaged: made again
    return None


def _save_names(path: Path, key: str, names: dict) -> None:
    try:  # atomic: a reader in another process sees the old file or the new one
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": key, **names}, ensure_ascii=False), "utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only or not yet made data directory: the names are made again next time


@lru_cache(maxsize=1)
def _names() -> dict:
    """Return {"months": month stems, "countries": country stems → codes}: saved, or made from CLDR."""
    path = _SAVED_NAMES[0] if _SAVED_NAMES else None
    key = _names_key() if path else ""
    names = _saved_names(path, key) if path else None
    if names is None:
        names = {"months": _month_stems(), "month_forms": _cldr_month_forms(), "cities": _cldr_cities(),
                 "countries": _cldr_countries(), "country_names": _cldr_country_names(), "hours": _cldr_hour_words()}
        if path:
            _save_names(path, key, names)
    return names


def _cldr_hour_words() -> list[str]:
    """Return the words each language writes after a number of hours (CLDR's unit names, every length and
    plural form: "h", "hours", "sata", "часов") and its day periods' am and pm, folded."""
    from babel import Locale
    from babel.units import format_unit

    words: set[str] = set()
    for code in LOCALES:
        for count in (1, 2, 5, 21):
            for length in ("long", "short", "narrow"):
                said = format_unit(count, "duration-hour", length=length, locale=code)
                words.add(fold(said.replace(str(count), " "), code[:2]).strip())
        periods = Locale.parse(code).day_periods.get("format", {})
        for width in ("abbreviated", "wide", "narrow"):
            words |= {fold(periods.get(width, {}).get(p, ""), code[:2]).strip() for p in ("am", "pm")}
    # one letter reads as an hour only where it is "h" ("21 h"); Serbian's "č" folds to a letter too common
    return sorted((w for w in words if len(w) > 1 or w == "h"), key=lambda w: (-len(w), w))


def _month_stems() -> list[str]:
    """Return the stems of every month name (wide and abbreviated, both grammatical forms), folded, longest
    first."""
    # Inflected forms ("октобра" of "октобар", "марта", "maju") keep a name's first four letters.
    return sorted({form[:4] for form, _, _ in _cldr_month_forms()}, key=lambda stem: (-len(stem), stem))


@lru_cache(maxsize=1)
def _month_forms() -> tuple[tuple[str, int, bool], ...]:
    return tuple(tuple(f) for f in _names()["month_forms"])


def _cldr_month_forms() -> list[tuple[str, int, bool]]:
    """Return every month name (wide and abbreviated, both grammatical forms, each language), folded, with its
    month's number and whether it is the wide name."""
    from babel import Locale

    forms: set[tuple[str, int, bool]] = set()
    for code in LOCALES:
        months = Locale.parse(code).months
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                forms |= {(fold(name, code[:2]).rstrip("."), number, width == "wide")
                          for number, name in months[context][width].items()}
    return sorted(f for f in forms if len(f[0]) >= 3)


# The case endings a short month name takes ("мај": маја, мају; "май": мая, мае; "jun": juna).
_SHORT_MONTH_ENDINGS = frozenset(("", "a", "e", "i", "u", "y", "ja", "ya", "je", "ju", "yu", "om", "em"))


def month_of(word: str, language: str | None = None, abbreviated: bool = True) -> int | None:
    """Return the number of the month a word names, in any of the languages and any case ("May", "маја",
    "мае", "октября", "Sept"), or None. An abbreviation is read as written ("nov", not "nova"); a long name
    keeps its first four letters and grows by at most two ("septembar", "septembra"); a short one takes a case
    ending ("maja", not "majka" or "mayor"). abbreviated=False reads wide names only (in lower case, "nov" is
    Serbian for new)."""
    folded = fold(word, language).rstrip(".")
    for form, number, wide in _month_forms():
        if not wide:
            if abbreviated and folded == form:
                return number
        elif len(form) <= 4:
            stem = form[:-1] if form.endswith("j") else form
            if folded.startswith(stem) and folded[len(stem):] in _SHORT_MONTH_ENDINGS:
                return number
        elif folded.startswith(form[:4]) and len(folded) <= len(form) + 2:
            return number
    return None


def _cldr_cities() -> dict[str, str]:
    """Return the stem of each city CLDR names in each language (its time zones' exemplar cities: Belgrade,
    Београд, Beograd, Белград) with the time zone that stands for the city. Names of one word only: a
    first word alone ("New", "Novi") names no city."""
    from babel import Locale
    from babel.dates import get_timezone_location

    out: dict[str, str] = {}
    for zone in Locale.parse("sr").time_zones:
        for code in LOCALES:
            try:
                name = get_timezone_location(zone, locale=code, return_city=True)
            except (LookupError, ValueError):
                continue
            folded = fold(name, code[:2])
            if folded.isalpha() and len(folded) >= 4:
                out.setdefault(_stem(folded), zone)
    return out


def cities_in(text: str, language: str | None = None) -> set[str]:
    """Return the cities a text names in any of the languages and cases (as time zone ids: "Belgrade" and
    "у Београду" both give Europe/Belgrade)."""
    table = _names()["cities"]
    found = set()
    for word in _WORD.findall(fold(text, language)):
        for cut in range(len(word), max(3, len(word) - ENDING - 1), -1):
            if word[:cut] in table:
                found.add(table[word[:cut]])
                break
    return found


def months_in(text: str, language: str | None = None) -> set[int]:
    """Return the numbers of the months a text names, by name in any of the languages or in a numeric date
    (25.05.2016, 2016-05-25)."""
    found = {m for word in _WORD.findall(text) if (m := month_of(word, language)) is not None}
    found |= {int(m) for m in re.findall(r"\b\d{1,2}\.(\d{1,2})\.(?:19|20)?\d{2}\b", text) if 1 <= int(m) <= 12}
    found |= {int(m) for m in re.findall(r"\b(?:19|20)\d{2}-(\d{2})-\d{2}\b", text) if 1 <= int(m) <= 12}
    return found


@lru_cache(maxsize=1)
def _month_pattern() -> str:
    """Return an alternation of every month name's stem with room for its endings."""
    return r"(?:" + "|".join(re.escape(s) for s in _names()["months"]) + r")\w{0,6}"


_POSSESSIVE = re.compile(r"'s\b")


def name_words(folded: str) -> list[str]:
    """Return the words of a folded text as names are matched: an English possessive's "'s" goes, as the
    name written with a capital ends before it, and any other apostrophe ("O'Brien") joins its word rather
    than splitting it in two."""
    return _WORD.findall(_POSSESSIVE.sub("", folded).replace("'", ""))


def _stem(name: str, shortest: int = 4) -> str:
    """Return a name without its last one or two vowels, or its -j, so that case endings still match
    ("albania" and "albaniji" share "alban"; "kitaj" and "kitaya", Китай and Китая, share "kita"); a stem
    shorter than shortest would begin too many other words, so the name stays whole."""
    core = name[:-1] if name.endswith("j") and len(name) >= 5 else name
    stem = core[: len(core) - min(2, len(core) - len(core.rstrip("aeiouy")))]
    return stem if len(stem) >= shortest else core if len(core) >= shortest else name


# Serbian and Russian case endings of a short name in -a ("Кина": "у Кини", "из Кине"; "Crna Gora": "u Crnoj
# Gori"), whose stem is too short to be matched as a word's beginning.
_A_ENDINGS = ("e", "i", "u", "y", "om", "oj", "oy")


def _declined(word: str) -> tuple[str, ...]:
    """Return a word with the case forms of a short name in consonant + -a, else the word alone."""
    if _stem(word) == word and len(word) >= 4 and word.endswith("a") and word[-2] not in "aeiouy":
        return (word,) + tuple(word[:-1] + ending for ending in _A_ENDINGS)
    return (word,)


def _keys(name: str) -> tuple[str, ...]:
    """Return the keys a folded name is matched by as the beginning of a text's words: its stem, and for a
    short name in -a, which has none, each of its case forms (of its first word, for a name of several)."""
    first, _, rest = name.partition(" ")
    if not rest:
        return _declined(name) if _stem(name) == name else (_stem(name),)
    return tuple(f"{head} {_stem(rest, shortest=3)}" for head in _declined(first))  # the head says which name


# Words that qualify many places ("North Macedonia", "Central Asia") or are the common words a country's
# name is made of ("United States", "Сједињене Америчке Државе", "Sao Tome and Principe"): a name is never
# keyed on them alone, or "which states took part?", "Latin American", "principles" would each name a
# country. Prefixes of the folded words, in the four locales.
_QUALIFIERS = {"north", "south", "east", "west", "central", "united", "saint", "new", "democratic", "republic",
               "severna", "juzna", "istocni", "zapadna", "sjeverna", "centralna", "sedinjene", "sveti",
               "severnaya", "yuzhnaya", "tsentralno", "soedinennye", "novaya", "respublika", "republika",
               "czentral", "istocn", "vostochn", "zapadn", "yuzhn", "juzn", "state", "drzav", "shtat", "kingdom",
               "kraljevstv", "korolevstv", "federa", "america", "amerik", "africa", "afrik", "arab", "arap",
               "india", "indij", "ocean", "okean", "territor", "lands", "outlying", "udaljen", "vneshn", "british",
               "britansk", "french", "francusk", "franczuzsk", "caribbean", "karipsk", "island", "ostrv",
               "ostrov", "princip", "marin"}
# CLDR's alternative English names (its alt="variant" ones) that Babel's compiled data leaves out, though
# most English text still writes them: "Turkey" for "Türkiye", "Czech Republic" for "Czechia".
_ALT_NAMES = {"en": {"TR": "Turkey", "CZ": "Czech Republic", "SZ": "Swaziland", "CI": "Ivory Coast",
                     "CV": "Cape Verde", "TL": "East Timor", "PS": "Palestine"}}
# The short names CLDR gives some countries (its alt="short" ones, which Babel's compiled data leaves out),
# as each language writes them, in capitals or nearly: the text's own case is what tells "US" from "us".
_COUNTRY_ACRONYMS = {"US": ("US", "USA", "U.S.", "США", "САД", "SAD"), "GB": ("UK", "U.K."),
                     "BA": ("BiH", "БиХ"), "AE": ("UAE", "ОАЭ", "УАЕ"), "KP": ("КНДР", "DPRK"),
                     "CF": ("ЦАР", "CAR"), "CD": ("DRC", "ДРК", "DRK"), "RU": ("RF", "РФ"), "MK": ("РСМ", "RSM")}
_ACRONYM_CODES = {a.replace(".", ""): code for code, names in _COUNTRY_ACRONYMS.items() for a in names}


def acronym_countries(text: str) -> set[str]:
    """Return the territory codes of the countries a text names by a short name in capitals ("USA", "США",
    "БиХ"), as written: in lower case such a word is another ("us", "car")."""
    return {_ACRONYM_CODES[w] for w in _WORD.findall(text.replace(".", "")) if w in _ACRONYM_CODES}


# CLDR's pseudo-territories for testing translations ("Accents", "Bidi"): no country.
_NOT_COUNTRIES = ("ZZ", "EU", "EZ", "UN", "QO", "XA", "XB")


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Return folded country-name stems mapped to territory codes (see _cldr_countries)."""
    return _names()["countries"]


@lru_cache(maxsize=1)
def _longest_country_key() -> int:
    return max(map(len, _countries()), default=0)


def _cldr_countries() -> dict[str, str]:
    """Return folded country-name stems (CLDR territories, four locales) mapped to territory codes; a
    name of several words is also keyed on each word of it no other country's name uses."""
    from babel import Locale

    out: dict[str, str] = {}
    word_codes: dict[str, set[str]] = {}
    for code in LOCALES:
        names = list(Locale.parse(code).territories.items()) + list(_ALT_NAMES.get(code, {}).items())
        for territory, name in names:
            if not (len(territory) == 2 and territory.isalpha()) or territory in _NOT_COUNTRIES:
                continue
            words = name_words(fold(name, code[:2]))
            for key in _keys(" ".join(words)):
                out.setdefault(key, territory)
            for w in words:
                word_codes.setdefault(_stem(w), set()).add(territory)
    for stem, codes in word_codes.items():
        if len(codes) == 1 and len(stem) >= 5 and stem not in _QUALIFIERS and not any(
                stem.startswith(q) for q in _QUALIFIERS):
            out.setdefault(stem, next(iter(codes)))
    return out


def _cldr_country_names() -> dict[str, dict[str, str]]:
    """Return each locale's (LOCALES) name of every country, by territory code."""
    from babel import Locale

    return {code: {t: name for t, name in Locale.parse(code).territories.items() if len(t) == 2 and t.isalpha()}
            for code in LOCALES}


def country_name(code: str, language: str, script: str = "") -> str:
    """Return a country's name (territory code) as the language writes it, Serbian in the given script;
    "" when CLDR has none."""
    locale = "sr_Latn" if language == "sr" and script == "Latin" else language
    return _names()["country_names"].get(locale, {}).get(code, "")


# `regex` for what needs Unicode classes (capitals of any script, in the text as written); the standard
# library's `re` for patterns over folded text (Latin, lower case, no marks), which it compiles about three
# times as fast and searches twice as fast: a cold `assistant ask` compiles them all for its question.
_WORD = regex.compile(r"\w+")
_NAME = regex.compile(r"(?<![\p{L}\d])\p{Lu}\p{Ll}{2,}(?:[\s\u00a0]+\p{Lu}\p{Ll}{2,})+")
_ACRONYM = regex.compile(r"(?<![\p{L}\d])\p{Lu}{2,}(?![\p{L}\d])")
_CAPITAL = regex.compile(r"(?<![\p{L}\d])\p{Lu}[\p{L}-]{2,}")
_TITLE_CASE = regex.compile(r"(?<![\p{L}\d])\p{Lu}\p{Ll}")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_FIGURE = re.compile(r"(?<![\w.,])\d+(?:[.,\u00a0 ]\d{3})*(?:[.,]\d+)?(?![\w])")
_ORDINAL = re.compile(r"\b\d+(?:st|nd|rd|th)\b|\b\d+-(?:j|go|ya|e|m|om|aya|ogo|oj|ye|i|ja)\b|\b\d+\.\s+(?=[a-z])")
NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|million|billion|twice|double|half|dozen|jedan|jedna|jedno|dva|dve|dvije|tri|cetiri|pet|sest|"
    r"sedam|osam|devet|deset|dvadeset|stotin\w*|hiljad\w*|tisuc\w*|milion\w*|milijard\w*|odin|odna|chetyre|"
    r"pyat|shest|sem|vosem|devyat|desyat|dvadcat|tysyach\w*|million\w*|milliard\w*"
)
# Units a figure can be in, folded (three languages). Feature input, not a veto: a "how many kilograms"
# question favours a sentence giving kilograms.
UNITS = {
    "mass": r"kilogram\w*|kilo|kg|grams?|gram[ae]?|tons?|tonn\w*|ton[aeu]|kilogramm\w*",
    "volume": r"lit(?:er|re|ar|r)\w*|l|ml",
    "area": r"hectares?|hektar\w*|gektar\w*|ha|km2|square",
    "percent": r"%|percent\w*|per cent|procen\w*|proczen\w*|protsen\w*|posto|odsto",
    "times": r"times|puta|raza?|razy|fold",
    "length": r"kilomet\w*|km|met(?:er|ar|r)\w*|miles?",
    "money": r"€|\$|£|₽|eur\w*|evr\w*|euro\w*|dollar\w*|dolar\w*|usd|dinar\w*|rsd|rubl\w*|rub|maraka|marak|"
             r"franc\w*|funt\w*|pounds?",
    "people": r"people|persons?|individuals|employees|staff|officers|officials|members|users|addicts|citizens|"
              r"participants|representatives|delegates|patients|victims|deaths|suspects|"
              r"ljud\w*|osob\w*|lica|zaposlen\w*|clan\w*|korisnik\w*|zavisnik\w*|gradj?an\w*|ucesnik\w*|"
              r"predstavnik\w*|zrtv\w*|pacijent\w*|osumnjicen\w*|chelovek|celovek|lyud\w*|sotrudnik\w*|"
              r"ch?lenov|potrebitel\w*|narkoman\w*|uchastnik\w*|predstavitel\w*|pacient\w*|zh?ertv\w*|"
              r"pogib\w*|podozrevaem\w*|"
              # people by what they are: residents, children, pupils, workers, volunteers, visitors, voters…
              r"residents|inhabitants|locals|villagers|children|students|pupils|workers|volunteers|visitors|"
              r"passengers|voters|tourists|fans|spectators|soldiers|teachers|doctors|nurses|journalists|"
              r"customers|stanovni\w*|mestan\w*|dec[ae]|ucenik\w*|ucenic\w*|studen(?:t|at)\w*|radni[kc]\w*|"
              r"volonter\w*|posetil\w*|posetioc\w*|putni[kc]\w*|birac\w*|turist\w*|navijac\w*|gledal\w*|"
              r"gledaoc\w*|vojni[kc]\w*|nastavni[kc]\w*|lekar\w*|novinar\w*|kupac\w*|kupc\w*|zhitel\w*|"
              r"polzovatel\w*|passazhir\w*|detej|deti|rebenk\w*|shkolnik\w*|uchashh\w*|rabochi\w*|"
              r"rabotnik\w*|volont\w*|posetitel\w*|izbiratel\w*|bolelshhik\w*|zritel\w*|soldat\w*|"
              r"voennosluzh\w*|uchitel\w*|vrach\w*|zhurnalist\w*|pokupatel\w*|klient\w*",
    "doses": r"dos\w*|tablet\w*|pills?",
    "power": r"[kmgt]wh?|[kmgt]vt(?:ch)?|(?:kilo|mega|giga|tera)(?:watt|vat)\w*",
    "temperature": r"°[cf]?|degrees?|stepen\w*|gradus\w*|celsius|celzijus\w*",
    # a span of years or an age: "10 years", "42-year-old", "deset godina", "42-godišnji", "20 лет", "42-летний"
    "years": r"-?years?(?:-old)?|yrs|-?godin\w*|-?godisnj\w*|let|goda|godov|-?letn\w*",
}
_PLAN = re.compile(
    r"\b(?:will|shall|plan(?:s|ned|ning)?|expect\w*|intend\w*|going to|upcoming|scheduled|"
    r"ce|cemo|cete|bice|planir\w*|ocek\w*|namer\w*|budet|budut|ozh?id\w*|predstoya\w*)(?!\w)")


# Verbs of saying as news reports and questions write them, folded (Russian transliterated): each language's
# past and present forms, English's base form too ("what did she say?"), and "according to". One list serves
# the question ("what did X say?" asks for speech: query.QUESTION_TYPES) and the sentence (states_speech).
SPEECH_VERBS = (
    r"say|says|said|saying|tell|tells|told|stated|warn|warns|warned|noted|stress|stresses|stressed|"
    r"emphasi[sz](?:e|es|ed)|underlin(?:e|es|ed)|highlight(?:s|ed)?|added|announc(?:e|es|ed)|explain(?:s|ed)?|"
    r"pointed out|according to|urg(?:e|es|ed)|call(?:s|ed)? for|confirm(?:s|ed)?|argu(?:e|es|ed)|insist(?:s|ed)?|"
    r"recall(?:s|ed)|declar(?:e|es|ed)|assur(?:e|es|ed)|address(?:es|ed)|spoke|comment(?:s|ed)?|claim(?:s|ed)?|"
    r"rek(?:ao|la|li|lo)|kaz(?:e|u|ao|ala|ali)|izjav\w*|istak\w*|istic\w*|naglas\w*|upozor\w*|"
    r"poruc(?:io|ila|ili|uje)|nav(?:odi|eo|ela|eli)|doda(?:o|la|li|je)|objasn\w*|ocen(?:io|ila)|ocijen(?:io|ila)|"
    r"(?:prema|po) recima|obrat(?:io|ila|ili)|govor(?:i|io|ila|ili)|saopst\w*|potvrd(?:io|ila|ili)|"
    r"najav(?:io|ila|ili)|podset(?:io|ila)|pozva(?:o|la|li)|"
    r"skaza\w*|zayavi\w*|zayavl\w*|otmet(?:il|ila|ili)|otmecha\w*|podch?erk\w*|soobshh?\w*|po slovam|predupre\w*|"
    r"dobav(?:il|ila|ili)|poyasn\w*|prizv\w*|prizyva\w*|govor(?:it|il|ila|ili)|rasskaz\w*|obratil\w*")
# A statement in quotation marks reports speech too; a short quoted run is more often a title ("the session
# „Cybercrime“").
_SPEECH = re.compile(rf"\b(?:{SPEECH_VERBS})\b")
_QUOTED = re.compile(r"[„“«\"]([^„“”«»\"]+)[“”»\"]")
QUOTED_WORDS = 8  # a quoted run this long is a statement rather than a title


def states_speech(text: str, folded: str) -> bool:
    """Return whether a sentence reports what someone said (folded: its folded text)."""
    return _SPEECH.search(folded) is not None or any(
        len(m.group(1).split()) >= QUOTED_WORDS for m in _QUOTED.finditer(text))


_CLOSED = re.compile(r"[.!?…:;»\"”)]$")  # a line that ends as a sentence does, not as a title


def title_line(text: str) -> bool:
    """Return whether a line reads as a title, byline or dateline rather than a sentence: short, and not
    ending as a sentence does."""
    stripped = text.rstrip()
    return not _CLOSED.search(stripped) and len(_WORD.findall(stripped)) <= TITLE_WORDS


@lru_cache(maxsize=1)
def _number_word_regex() -> re.Pattern:
    return re.compile(rf"\b(?:{NUMBER_WORDS})\b")


@lru_cache(maxsize=1)
def _date_regex() -> re.Pattern:
    month = _month_pattern()
    day = r"\d{1,2}(?:st|nd|rd|th)?\.?"
    return re.compile(
        rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b\d{{1,2}}\.\d{{1,2}}\.(?:19|20)?\d{{2}}\b"
        rf"|\b{day}\s*(?:[-–]\s*{day}\s*)?{month}\b|\b{month}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b(?:19|20)\d{{2}}\b")


# The clock's hour as news writes it besides CLDR's unit names: English "o'clock", "a.m." and Serbian "čas" (u 10
# časova: the word official Serbian uses for the hour of the day, where CLDR has only "sat").
CLOCK_WORDS = ("o'clock", "a.m.", "p.m.", "casova", "casa", "cas")


@lru_cache(maxsize=1)
def _time_regex() -> re.Pattern:
    words = "|".join(re.escape(w) for w in sorted({*_names().get("hours", ()), *CLOCK_WORDS}, key=lambda w: -len(w)))
    hour = r"(?:[01]?\d|2[0-4])"
    return re.compile(rf"\b{hour}:[0-5]\d\b|\b{hour}(?:[.:][0-5]\d)?\s?(?:{words})(?!\w)")


@lru_cache(maxsize=1)
def _unit_regex() -> dict[str, re.Pattern]:
    figure = rf"(?:\d[\d.,\u00a0]*|\b(?:{NUMBER_WORDS})\b)"
    return {u: re.compile(rf"{figure}\s*(?:[\w']+\s+){{0,2}}?(?:{p})(?!\w)") for u, p in UNITS.items()}


@dataclass(frozen=True)
class Facts:
    """What one sentence states, as folded strings (comparable across scripts)."""

    dates: tuple[str, ...] = ()
    times: tuple[str, ...] = ()  # times of day
    figures: tuple[str, ...] = ()  # numbers that are neither dates nor ordinals
    units: tuple[str, ...] = ()  # kinds of quantity a figure is given in
    names: tuple[str, ...] = ()  # runs of two or more capitalised words (people, bodies)
    entities: tuple[str, ...] = ()  # acronyms and capitalised words after the first word
    countries: tuple[str, ...] = ()  # CLDR territory codes
    plan: bool = False
    dateline: bool = False  # opens its report with a date or place, or is a title line
    announces: bool = False  # ends with a colon: the next sentence carries what it announces
    speech: bool = False  # reports what someone said: a verb of saying, or a quoted statement
    words: int = 0

    def to_json(self) -> str:
        """Return the facts as a compact JSON string (Chroma metadata holds flat values), stamped with what
        made them (see read_facts)."""
        data = {k: v for k, v in asdict(self).items() if v} | {"made_by": _facts_stamp()}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def merged(self, other: Facts) -> Facts:
        """Return these facts with other's dates, figures, names, entities and countries added (what a
        question states, with what the conversation already told)."""
        if other == Facts():
            return self
        return replace(self, **{k: getattr(self, k) + getattr(other, k)
                                for k in ("dates", "times", "figures", "names", "entities", "countries")})

    @classmethod
    def from_json(cls, text: str) -> Facts:
        """Return facts from to_json()'s string."""
        return cls.from_dict(json.loads(text) if text else {})

    @classmethod
    def from_dict(cls, data: dict) -> Facts:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in _FIELDS})


@lru_cache(maxsize=1)
def _facts_stamp() -> str:
    return hashlib.sha1(_names_key().encode()).hexdigest()[:12]


def read_facts(stored: str | None) -> Facts | None:
    """Return a sentence's facts as ingest stored them, or None when another build made them (or they are
    missing or damaged): the caller makes them again (sentence_facts), so a fix to how facts are read
    reaches an index made before it, without a new ingest."""
    if stored:
        try:
            data = json.loads(stored)
            if data.get("made_by") == _facts_stamp():
                return Facts.from_dict(data)
        except (ValueError, AttributeError, TypeError):
            pass  # damaged metadata: made again
    return None


def facts_stamp() -> str:
    """Return the stamp of the facts this build makes (stored facts of another stamp are made again)."""
    return _facts_stamp()


def facts_for(sentences: list[str], positions: list[int], stored: list[str | None], language: str | None,
              text: str) -> tuple[list[Facts], list[int]]:
    """Return the facts of a report's sentences (their positions in it, body_positions), read as stored where
    this build made them and made again where not, with the indices of those made again. The report's text
    (its casing: writes_capitals) is read only when some are made again."""
    facts = [read_facts(s) for s in stored]
    made = [i for i, f in enumerate(facts) if f is None]
    if made:
        cased = writes_capitals(text)
        for i in made:
            facts[i] = sentence_facts(sentences[i], language, positions[i], cased)
    return facts, made


_FIELDS = {"dates", "times", "figures", "units", "names", "entities", "countries", "plan", "dateline", "announces",
           "speech", "words"}


# A country's name in any of the languages takes at most this many letters of case ending after its key
# ("alban" in "albaniji", "rossi" in "rossii"): a longer word only begins like one ("children" is not Chile,
# "individuals" not India, "indikatori" not India, "chinovnik" not China) — unless it is the country's
# adjective, which Serbian and Russian make with -sk- ("albanskoj", "avganistanskog", "kolumbijskaya",
# "hrvatski") and write in lower case, and English with -an, -ese, -ish ("serbian").
ENDING = 3
_ADJECTIVE = re.compile(r"(?:sk|ck|chk|shk)[a-z]{0,4}$|(?:an|ese|ish)$")


def countries_in(folded: str, capitalised: frozenset[str] | None = None, typed: bool = False) -> tuple[str, ...]:
    """Return the territory codes of the countries a folded text names (any language, any case ending).
    capitalised, for a text that writes names with capitals (capitals_of), holds its folded words written
    with one: there a country is named by a capitalised word or its adjective, as English, Serbian and
    Russian all write them — a report's "кроме того" is not Togo, nor "мали" (small) Mali, nor "living"
    Libya. In a typed text (a question), whose capitals are only a hint, a word in lower case with a case
    ending still names its country ("в сербии"); the bare word ("roman", "того") is the ordinary one."""
    table = _countries()
    longest = _longest_country_key()
    words = name_words(folded)
    found: list[str] = []
    i = 0
    while i < len(words):
        step = 1
        for span in (3, 2, 1):  # longest name first: "bosnia and herzegovina", "north macedonia"
            if i + span > len(words):
                continue
            phrase = " ".join(words[i:i + span])
            key = next((phrase[:cut] for cut in range(min(len(phrase), longest), 3, -1) if phrase[:cut] in table),
                       None)
            if key is None:
                continue
            rest = phrase[len(key):]
            if " " in rest:  # the name is shorter than the span: a shorter span reads it
                continue
            adjective = bool(rest) and _ADJECTIVE.search(phrase) is not None
            if len(rest) > ENDING and not adjective:
                continue
            if capitalised is not None and words[i] not in capitalised and not adjective and not (typed and rest):
                continue
            found.append(table[key])
            step = len(key.split())  # a name's words name nothing more ("Central African Republic")
            break
        i += step
    return tuple(dict.fromkeys(found))


def capitals_of(text: str, language: str | None = None, cased: bool | None = None) -> frozenset[str] | None:
    """Return the folded words a text writes with a capital, when it writes names with capitals; None for a
    text typed without them, where any word may name a country. cased says which (a report's sentence is
    read as its report is written: writes_capitals); by default it is read off the text itself, which writes
    names with capitals when a word past its first is in title case ("who represented serbia?" does not, nor
    does "what did DPNSEE say about albania?": acronyms are typed in capitals by people who type the rest in
    lower case)."""
    if cased is None:
        cased = any(m.start() > 0 for m in _TITLE_CASE.finditer(text.lstrip()))
    if not cased:
        return None
    # each part of a hyphenated word, as the folded text's words are read ("Восточно-Казахстанской")
    return frozenset(part for word in _CAPITAL.findall(text) for part in name_words(fold(word, language)))


# Searched from the first space after a lower-case letter only, so that a long run of letters or of spaces
# (a broken file) is read once, not once from each of its characters.
_MID_SENTENCE_CAPITAL = regex.compile(r"(?<=\p{Ll}[,;]?)[\s\u00a0]++\p{Lu}\p{Ll}")


def writes_capitals(text: str) -> bool:
    """Return whether a document writes names with capitals: a word in title case right after a word that
    ends in a lower-case letter ("…the delegation of Serbia…"), as edited reports in any of the languages
    do."""
    return _MID_SENTENCE_CAPITAL.search(text) is not None


def figures_in(folded: str) -> tuple[str, ...]:
    """Return the figures of a folded text that are not dates or ordinals, separators unified."""
    rest = _ORDINAL.sub(" ", _date_regex().sub(" ", _ISO_DATE.sub(" ", folded)))
    out = [m.replace("\u00a0", "").replace(" ", "").replace(",", ".").rstrip(".") for m in _FIGURE.findall(rest)]
    out += _number_word_regex().findall(rest)
    return tuple(dict.fromkeys(out))


def is_month(word: str) -> bool:
    """Return whether a word is a month's name in any of the languages (any case, inflected)."""
    return re.fullmatch(_month_pattern(), fold(word)) is not None


def times_in(folded: str) -> tuple[str, ...]:
    """Return the times of day a folded text gives ("21:00", "do 21 cas", "9 p.m.", "v 7 ch"): what answers
    "when?" or "until when?" as a date does. A number of hours under 25 reads as one too ("3 hours")."""
    return tuple(dict.fromkeys(" ".join(m.split()) for m in _time_regex().findall(folded)))


def dates_in(folded: str) -> tuple[str, ...]:
    """Return the date expressions of a folded text (a day and month, a month and day, a year, ISO)."""
    return tuple(dict.fromkeys(" ".join(m.split()) for m in _date_regex().findall(folded)))


# A currency sign stands before its figure on an English (and many another) price: "£4.2 million", "$12",
# "€10". Any sign of Unicode's currency class, not a list of currencies.
_SIGN_BEFORE = regex.compile(r"\p{Sc}\s?\d")


def units_in(folded: str, text: str = "") -> tuple[str, ...]:
    """Return the kinds of quantity a folded text gives a figure in (text: the same as written, where an age
    after a name is read)."""
    return tuple(u for u, pattern in _unit_regex().items()
                 if pattern.search(folded) or (u == "money" and _SIGN_BEFORE.search(folded))
                 or (u == "years" and any(int(m.group("age")) <= MAX_AGE for m in _AGE.finditer(text))))


# News gives a person's age right after the name, in brackets or between commas, with no unit: "Bojan
# Milosavljević (52)", "Petar Lakić, 47, a fisherman from Virpazar". Read off the text as written: the name's
# capital is what tells an age from a figure in a list.
_AGE = regex.compile(r"\p{Lu}\p{Ll}+[\s\u00a0]*(?:\((?P<age>\d{1,3})\)|,[\s\u00a0]*(?P<age>\d{1,3}),)")
MAX_AGE = 120


def names_in(text: str) -> tuple[str, ...]:
    """Return the folded runs of two or more capitalised words a text writes (people, bodies). A run that
    opens the text loses the words a sentence capitalises only for opening it ("The Head of…"; a question's
    interrogative, "Zašto Rusija…?"), and keeps a name that opens it ("Nebojša Đurasović iz Udruženja…")."""
    first = _WORD.search(text)
    question = text.rstrip().endswith("?")
    out = []
    for m in _NAME.finditer(text):
        words = m.group().split()
        if first is not None and m.start() == first.start():
            if question:
                words.pop(0)
            while words and is_stop_word(words[0]):
                words.pop(0)
        if len(words) >= 2:
            out.append(fold(" ".join(words)))
    return tuple(dict.fromkeys(out))


# A dateline opens a news report before its first sentence proper: "Podgorica — …", "Душанбе, 29 июля
# 2024 г. — …", "2 октября 2025 г. — …", or a web page's date field run into the text ("date 2021-01-01 …").
_DATE_FIELD = regex.compile(r"^\W*(?:\p{L}+\s*:?\s*)?\d{4}-\d{2}-\d{2}\s+(?=\p{Lu})")
_DASHED_HEAD = regex.compile(r"^(?P<head>[^\n—–]{1,80}?)\s+[—–-]\s+(?=[\p{Lu}\d«„\"])")
DATELINE_WORDS = 6  # the most words a dateline's place and date take
TITLE_WORDS = 25  # the most words of a line read as a title
_OPEN_QUOTE = {"«": "»", "„": "“", "\"": "\""}


def dateline_end(text: str, language: str | None = None) -> int:
    """Return where the dateline a report's opening sentence starts with ends (0 for none): a date field,
    or a place and/or date of at most DATELINE_WORDS words before a dash."""
    m = _DATE_FIELD.match(text)
    if m:
        return m.end()
    m = _DASHED_HEAD.match(text)
    if not m:
        return 0
    head = m.group("head")
    words = _WORD.findall(head)
    if not words or len(words) > DATELINE_WORDS:
        return 0
    if any(head.count(a) > head.count(b) if a != b else head.count(a) % 2 for a, b in _OPEN_QUOTE.items()):
        return 0  # a dash inside a quoted name (Операция «Канал – Западная Двина»)
    named = all(w[0].isupper() for w in regex.findall(r"\p{L}+", head))
    return m.end() if named or dates_in(fold(head, language)) else 0


def sentence_facts(text: str, language: str | None = None, position: int = 1, cased: bool | None = None) -> Facts:
    """Return what a sentence states; position is its index in its report (0 = first); cased, whether its
    report writes names with capitals (writes_capitals; by default read off the sentence)."""
    if language not in ("sr", "ru") and has_cyrillic(text):
        language = detect_language(text)  # one transliteration for the sentence and its words
    folded = fold(text, language)
    words = _WORD.findall(text)
    body = text[len(words[0]):] if words else text
    entities = {fold(m) for m in _ACRONYM.findall(text)} | {fold(m) for m in _CAPITAL.findall(body)}
    stripped = text.rstrip()
    dates = dates_in(folded)
    opens_with_date = bool(dates) and folded.find(dates[0]) < 40
    title = title_line(text)
    return Facts(
        dates=dates,
        times=times_in(folded),
        figures=figures_in(folded),
        units=units_in(folded, text),
        names=names_in(text),
        entities=tuple(sorted(entities)),
        countries=countries_in(folded, capitals_of(text, language, cased), typed=cased is None),
        plan=_PLAN.search(folded) is not None,
        # A place and date alone are a dateline after a title line too (the title is sentence 0).
        dateline=title or (position == 0 and opens_with_date) or (position <= 1 and folded.startswith("date "))
        or (position <= 1 and opens_with_date and len(words) <= DATELINE_WORDS),
        announces=stripped.endswith(":"),
        speech=states_speech(text, folded),
        words=len(words),
    )
