"""What the assistant says in each language: abstentions and the labels of quoted originals."""

from __future__ import annotations

from .text import LANGUAGE_NAMES, LATIN, detect_script, fold, has_cyrillic

# The one sentence every answerer abstains with, per language (Serbian in the question's script).
NO_ANSWER = {
    "en": "I cannot find the answer to this question in the reports.",
    "sr": "У извештајима нема одговора на ово питање.",
    "sr-Latn": "U izveštajima nema odgovora na ovo pitanje.",
    "ru": "В отчётах нет ответа на этот вопрос.",
}

# A turn that only thanks, greets or takes leave ("thanks!", "хвала", "привет"): said back in kind, not
# searched (the reports hold no answer to it, and "I cannot find the answer" reads as a failure). A phrase is
# matched whole, both folded to lower-case Latin without marks, so Serbian is written in one script here.
_COURTESY_PHRASES = {
    ("thanks", "en"): "thanks|thank you|thanks a lot|thank you very much|many thanks|thx|ok thanks|great thanks|"
                      "cheers|thanks thats all",
    ("thanks", "sr"): "hvala|hvala vam|hvala ti|hvala puno|puno hvala|hvala lepo|ok hvala|hvala to je sve",
    ("thanks", "ru"): "спасибо|большое спасибо|спасибо большое|ок спасибо|благодарю|спасибо это всё",
    ("hello", "en"): "hello|hi|hey|good morning|good afternoon|good evening",
    ("hello", "sr"): "zdravo|ćao|dobar dan|dobro jutro|dobro veče|pozdrav",
    ("hello", "ru"): "привет|здравствуйте|добрый день|доброе утро|добрый вечер",
    ("bye", "en"): "bye|goodbye|bye bye|see you",
    ("bye", "sr"): "doviđenja|do viđenja|vidimo se|laku noć",
    ("bye", "ru"): "пока|до свидания",
}
COURTESY_REPLY = {
    "thanks": {
        "en": "You're welcome. Ask me anything else about the reports.",
        "sr": "Нема на чему. Питајте ме још нешто о извештајима.",
        "sr-Latn": "Nema na čemu. Pitajte me još nešto o izveštajima.",
        "ru": "Пожалуйста. Спрашивайте ещё что-нибудь об отчётах.",
    },
    "hello": {
        "en": "Hello. Ask me a question about the reports, and I will answer from them with citations.",
        "sr": "Здраво. Поставите питање о извештајима и одговорићу из њих, са цитатима.",
        "sr-Latn": "Zdravo. Postavite pitanje o izveštajima i odgovoriću iz njih, sa citatima.",
        "ru": "Здравствуйте. Задайте вопрос об отчётах, и я отвечу по ним, со ссылками.",
    },
    "bye": {
        "en": "Goodbye.",
        "sr": "Довиђења.",
        "sr-Latn": "Doviđenja.",
        "ru": "До свидания.",
    },
}


_SERBIAN_LETTERS = frozenset("ђјљњћџЂЈЉЊЋЏ")
COURTESY_WORDS = 5  # no courtesy phrase is longer: a longer turn is not folded at all


def _said(text: str) -> str:
    """Return text folded to lower-case Latin, its words only, as courtesy phrases are compared. The script's
    letters choose the transliteration: detecting the language would load a language model into every
    cold `assistant ask` for a few words (~0.4 s)."""
    language = ("sr" if _SERBIAN_LETTERS & set(text) else "ru") if has_cyrillic(text) else "en"
    return " ".join("".join(c if c.isalnum() else " " for c in fold(text, language).replace("'", "")).split())


# folded phrase → (kind, language): a one-word turn's language is the phrase's, not a guess from one word
_COURTESY = {_said(p): key for key, words in _COURTESY_PHRASES.items() for p in words.split("|")}


def courtesy(question: str) -> str | None:
    """Return the reply to a turn that only thanks, greets or takes leave, None for anything else."""
    if len(question.split()) > COURTESY_WORDS:
        return None
    found = _COURTESY.get(_said(question))
    if found is None:
        return None
    kind, language = found
    return COURTESY_REPLY[kind][variant(language, question)]


# A conversation's first question that leans on an earlier turn ("when was it held?"): {word} is its pronoun.
UNRESOLVED = {
    "en": "Nothing was asked before this, so I cannot tell what “{word}” refers to: say what you are asking about.",
    "sr": "Ово је прво питање разговора, па не знам на шта се „{word}“ односи: наведите о чему питате.",
    "sr-Latn": "Ovo je prvo pitanje razgovora, pa ne znam na šta se „{word}“ odnosi: navedite o čemu pitate.",
    "ru": "Это первый вопрос разговора, поэтому неясно, к чему относится «{word}»: уточните, о чём вы спрашиваете.",
}

# "(Serbian original)": a quoted sentence is in another language than the question.
ORIGINAL = {
    "en": {"sr": "(Serbian original)", "ru": "(Russian original)", "en": "(English original)"},
    "sr": {"en": "(оригинал на енглеском)", "ru": "(оригинал на руском)", "sr": "(оригинал на српском)"},
    "sr-Latn": {"en": "(original na engleskom)", "ru": "(original na ruskom)", "sr": "(original na srpskom)"},
    "ru": {"en": "(оригинал на английском)", "sr": "(оригинал на сербском)", "ru": "(оригинал на русском)"},
}

# A quote from one side of a translation pair, in another language than the question: which side is the
# original is not known (either may be the translation), so the label names the language only.
IN_LANGUAGE = {
    "en": {"sr": "(in Serbian)", "ru": "(in Russian)", "en": "(in English)"},
    "sr": {"en": "(на енглеском)", "ru": "(на руском)", "sr": "(на српском)"},
    "sr-Latn": {"en": "(na engleskom)", "ru": "(na ruskom)", "sr": "(na srpskom)"},
    "ru": {"en": "(на английском)", "sr": "(на сербском)", "ru": "(на русском)"},
}


# Before a quote from another version of a cited report (an edited copy) that states other facts in the same
# sentence: {title} names that version.
OTHER_VERSION = {
    "en": "Another version of this report ({title}) says otherwise:",
    "sr": "Друга верзија овог извештаја ({title}) наводи другачије:",
    "sr-Latn": "Druga verzija ovog izveštaja ({title}) navodi drugačije:",
    "ru": "В другой версии этого отчёта ({title}) сказано иначе:",
}

# An LLM's answer still in another language than the question after it was asked once to rewrite it.
ANSWERED_IN = {
    "en": {"sr": "(the model answered in Serbian)", "ru": "(the model answered in Russian)",
           "en": "(the model answered in English)"},
    "sr": {"en": "(модел је одговорио на енглеском)", "ru": "(модел је одговорио на руском)",
           "sr": "(модел је одговорио на српском)"},
    "sr-Latn": {"en": "(model je odgovorio na engleskom)", "ru": "(model je odgovorio na ruskom)",
                "sr": "(model je odgovorio na srpskom)"},
    "ru": {"en": "(модель ответила на английском)", "sr": "(модель ответила на сербском)",
           "ru": "(модель ответила на русском)"},
}


# What a refusal under filters adds (the web app): {what} names the filters, {gone} the filtered documents
# another tab deleted since.
FILTERED = {
    "en": ("Only {what} was searched: clear the filters to search every report.",
           "Only {what} was searched, but {gone} {is_are} no longer in the library: the filters are brought up to "
           "date, ask again."),
    "sr": ("Претражено је само по филтерима ({what}): уклоните их да бисте претражили све извештаје.",
           "Претражено је само по филтерима ({what}), али {gone} више није у библиотеци: филтери су ажурирани, "
           "питајте поново."),
    "sr-Latn": ("Pretraženo je samo po filterima ({what}): uklonite ih da biste pretražili sve izveštaje.",
                "Pretraženo je samo po filterima ({what}), ali {gone} više nije u biblioteci: filteri su ažurirani, "
                "pitajte ponovo."),
    "ru": ("Поиск шёл только по фильтрам ({what}): снимите их, чтобы искать во всех отчётах.",
           "Поиск шёл только по фильтрам ({what}), но {gone} больше нет в библиотеке: фильтры обновлены, "
           "спросите снова."),
}
# The words of a filter's name per language: "language", "document", "documents", and the language names.
FILTER_WORDS = {
    "en": ("language", "document", "documents", {"en": "English", "sr": "Serbian", "ru": "Russian"}),
    "sr": ("језик", "документ", "документи", {"en": "енглески", "sr": "српски", "ru": "руски"}),
    "sr-Latn": ("jezik", "dokument", "dokumenti", {"en": "engleski", "sr": "srpski", "ru": "ruski"}),
    "ru": ("язык", "документ", "документы", {"en": "английский", "sr": "сербский", "ru": "русский"}),
}


def filtered(language: str, question: str, langs, doc_ids, gone=()) -> str:
    """Return what a refusal under filters adds, in the question's language: which filters were searched
    with, and which filtered documents are gone (the English form is "Only language English; document x was
    searched: clear the filters to search every report.")."""
    key = variant(language, question)
    language_word, one, many, names = FILTER_WORDS[key]
    parts = []
    if langs:
        parts.append(f"{language_word} " + ", ".join(names.get(code, LANGUAGE_NAMES.get(code, code)) for code in langs))
    if doc_ids:
        parts.append(f"{one if len(doc_ids) == 1 else many} " + ", ".join(doc_ids))
    plain, with_gone = FILTERED[key]
    if not gone:
        return plain.format(what="; ".join(parts))
    return with_gone.format(what="; ".join(parts), gone=", ".join(gone), is_are="is" if len(gone) == 1 else "are")


def variant(language: str, question: str = "") -> str:
    """Return the key for the question's language, telling Serbian Latin from Serbian Cyrillic."""
    if language == "sr" and question and detect_script(question) == LATIN:
        return "sr-Latn"
    return language if language in NO_ANSWER else "en"


def no_answer(language: str, question: str = "") -> str:
    """Return the abstention sentence in the question's language (and, for Serbian, its script)."""
    return NO_ANSWER[variant(language, question)]


def unresolved(language: str, question: str, word: str) -> str:
    """Return the refusal of a first question whose pronoun points back to nothing, in its language."""
    return UNRESOLVED[variant(language, question)].format(word=word)


def original_label(question_language: str, question: str, source_language: str, translation: bool = False) -> str:
    """Return the label put before a quote in another language, e.g. "(Serbian original)"; for a quote from
    a report that has a translation (translation), its language alone, e.g. "(in Serbian)"."""
    labels = (IN_LANGUAGE if translation else ORIGINAL)[variant(question_language, question)]
    name = LANGUAGE_NAMES.get(source_language, source_language)
    return labels.get(source_language, f"(in {name})" if translation else f"({name} original)")


def answered_in(question_language: str, question: str, reply_language: str) -> str:
    """Return the label put before an LLM answer written in another language than the question's."""
    return ANSWERED_IN[variant(question_language, question)].get(reply_language, f"({reply_language})")


def language_name(language: str, question: str = "") -> str:
    """Return the language to answer in as prompts name it, e.g. "Serbian (Latin script)"."""
    name = LANGUAGE_NAMES.get(language, "the language of the question")
    if language == "sr" and question:
        name += f" ({detect_script(question)} script)"
    return name


def other_version(language: str, question: str, title: str) -> str:
    """Return what is put before a quote from another version of a cited report that states other facts."""
    return OTHER_VERSION[variant(language, question)].format(title=title)
