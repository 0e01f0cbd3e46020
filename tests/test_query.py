"""A question parsed once: language, script, type, unit, plans, lists, its own facts, what it searches."""

from __future__ import annotations

import pytest

from assistant.query import parse


@pytest.mark.parametrize("question, kind", [
    ("Who chaired the meeting?", "who"), ("Ко је представљао Србију?", "who"), ("Кто председательствовал?", "who"),
    ("When was it held?", "when"), ("Kada je održana sesija?", "when"), ("Когда прошло заседание?", "when"),
    ("How many states took part?", "how_much"), ("Колико држава?", "how_much"), ("Сколько лет Иванову?", "how_much"),
    ("Where was the workshop?", "where"), ("Gde je održana radionica?", "where"), ("Где прошла встреча?", "where"),
    ("Why did the fight fail?", "why"), ("Зашто?", "why"), ("Почему?", "why"),
    ("What did DPNSEE say?", "said"), ("What was the budget of the office?", "how_much"),
    # what someone said; asked with another interrogative, that one's kind
    ("šta je Pekić rekao o kanabisu", "said"), ("Что заявил министр?", "said"), ("Шта је поручила?", "said"),
    ("Who said it?", "who"), ("Когда он это сказал?", "when"), ("Šta je reka Drina?", "what"),
    ("whos the head of the agency", "who"), ("wheres the office", "where"), ("whens the next session", "when"),
    # an interrogative before a word for a date, day, month, year or time asks when
    ("On which date was it signed?", "when"), ("what year did it start", "when"), ("Kog datuma je održana?", "when"),
    ("u koje vreme počinje?", "when"), ("Которого числа прошла встреча?", "when"), ("С какого года работает?", "when"),
    ("В каком месяце?", "when"), ("В какой части страны?", "what"), ("Kakav je bio sastanak?", "what"),
])
def test_question_types_in_three_languages(question, kind):
    assert parse(question).kind == kind


@pytest.mark.parametrize("question, unit", [
    ("How many kilograms of heroin were seized?", "mass"), ("Koliko kilograma kokaina?", "mass"),
    ("Сколько тонн героина изъято?", "mass"), ("How many people were arrested?", "people"),
    ("Колико људи је ухапшено?", "people"), ("What was the budget?", "money"),
    ("How many litres of precursors?", "volume"), ("How many meetings were held?", None),
    ("По какой цене продавали кокаин?", "money"), ("Сколько мест в центре?", None),  # центр is not цена
    ("How old is the new director?", "years"), ("Koliko godina ima direktorka?", "years"),
    ("Сколько лет проработал завод?", "years"),
    # people by what they are
    ("How many residents were evacuated?", "people"), ("Колико путника је превезено?", "people"),
    ("Сколько жителей осталось без воды?", "people"), ("koliko volontera je pomagalo?", "people"),
    ("koliko studenata je upisano?", "people"), ("сколько студентов учится?", "people"),
    # a noun in the nominative after the interrogative is the verb's subject, not what is counted
    ("koliko su studenti plaćali kartu?", None), ("сколько студенты платили за билет?", None),
    # what "how many" counts decides, not a sum of money named further on (what they voted for)
    ("how many councillors voted for the budget?", None), ("koliko je odbornika glasalo za budžet?", None),
    ("сколько депутатов проголосовало за бюджет?", None), ("how many people voted for the budget?", "people"),
    ("how much is the budget?", "money"), ("koliko iznosi budžet?", "money"), ("сколько составляет бюджет?", "money"),
    ("koliko novca je potrošeno?", "money"), ("how much did the tickets cost?", "money"),
    ("колико је смањена субвенција?", "money"),
])
def test_the_unit_a_question_names(question, unit):
    assert parse(question).unit == unit


@pytest.mark.parametrize("question, kind, unit", [
    # a money word that is what is asked: a verb anywhere, a noun before any other content word
    ("what does a ticket cost?", "how_much", "money"), ("What is the price of a monthly pass?", "how_much", "money"),
    ("kolika je cena karte?", "how_much", "money"), ("Каков бюджет фестиваля?", "how_much", "money"),
    ("koliko je poskupela karta i kolika je nova cena", "how_much", "money"),
    # sums with names of their own
    ("Колика је плата директора рудника?", "how_much", "money"), ("how much is the fine for parking", "how_much", "money"),
    ("Какую компенсацию получат рыбаки в месяц?", "how_much", "money"), ("how many people were fined", "how_much", "people"),
    # a money word that is only the subject of what is asked
    ("what did the mayor say about ticket prices?", "said", None), ("почему выросла цена на хлеб?", "why", None),
    ("šta je ministar rekao o budžetu za puteve?", "said", None), ("когда снизят цену на проезд?", "when", None),
])
def test_money_is_asked_only_when_it_is_what_the_question_asks(question, kind, unit):
    q = parse(question)
    assert (q.kind, q.unit) == (kind, unit)


def test_language_script_facts_and_searchability():
    q = parse("Šta je Milan Pekić rekao u Albaniji 2016. godine?")
    assert (q.language, q.script) == ("sr", "Latin")
    assert "AL" in q.facts.countries and "2016" in q.facts.dates and "milan pekic" in q.facts.names
    assert parse("Что сказал Иванов?").script == "Cyrillic" and parse("Что сказал Иванов?").language == "ru"
    assert not parse("...").searchable and not parse("???").searchable and parse("ok").searchable


def test_plans_lists_and_the_standalone_text_of_a_follow_up():
    assert parse("What does the service plan to do?").asks_plan
    assert not parse("How many people were arrested?").asks_plan
    assert parse("List the priorities of the meeting").wants_list
    q = parse("And in Russia?", standalone="And in Russia? How many people were arrested?", carried_docs=("d1",))
    assert q.follow_up and q.carried_docs == ("d1",) and q.text == "And in Russia?"
    assert "RU" in q.facts.countries
    assert q.kind == "how_much"  # an ellipsis without an interrogative keeps the ask it continues
    own = parse("When was it?", standalone="When was it? How many people were arrested?")
    assert own.kind == "when" and own.unit is None  # one with its own interrogative asks its own
    assert any(t.startswith("arrest") for t in q.tokens)  # the search reads the standalone text


@pytest.mark.parametrize("question, wants", [
    ("which countries took part?", True), ("what problems did they name?", True),
    ("Које земље су учествовале у радионици?", True), ("какие страны участвовали?", True),
    ("which agency is responsible?", False), ("what does it say about Albania?", False),
    ("koje godine je usvojena strategija?", False), ("what this means for the region?", False),
])
def test_a_question_asking_which_of_a_plural_asks_for_a_list(question, wants):
    assert parse(question).wants_list is wants


def test_rare_tokens_come_from_the_index_frequencies():
    df = {"^pekic": 1, "pekic": 1, "meet": 40}.get
    q = parse("Where did Pekic meet them?", document_frequency=lambda t: df(t, 0), idf=lambda t: 2.0)
    assert "pekic" in q.rare and "meet" not in q.rare and q.weights["pekic"] == q.weights["meet"] == 2.0
    # A token in many chunks of few reports (a body one report is about) is rare too.
    q = parse("Who chaired the CSTO meeting?", document_frequency=lambda t: 5, in_few_reports=lambda t: t == "csto")
    assert "csto" in q.rare and "meet" not in q.rare


def test_known_share_counts_the_words_the_index_holds_in_any_script():
    from assistant.text import keyword_tokens

    held = set(keyword_tokens("Pekić chaired the Coordinating Council", "en", query=True))
    df = lambda token: 3 if token in held else 0  # noqa: E731
    assert parse("Who chaired the council?", document_frequency=df).known == 1.0
    assert parse("Ко је Пекић?", document_frequency=df).known == 1.0  # the name, in another script
    assert parse("How do I bake sourdough bread?", document_frequency=df).known == 0.0
    assert parse("Did Pekić bake bread?", document_frequency=df).known == 1 / 3


def test_a_word_the_index_never_saw_weighs_what_it_says_in_everyday_text():
    from assistant.text import keyword_tokens

    held = set(keyword_tokens("Pekić chaired the Coordinating Council", "en", query=True))
    df = lambda token: 3 if token in held else 0  # noqa: E731
    idf = lambda token: 4.0 if token in held else 9.0  # noqa: E731 - the index reads an unseen token as its rarest
    polite = parse("Could you tell me who chaired the council?", document_frequency=df, idf=idf)
    assert polite.weights["chair"] == polite.weights["council"] == 4.0
    assert all(polite.weights[w] < 3.0 for w in ("could", "you", "tell", "me"))
    # Counted by weight, the words the reports use are most of the polite question; by number, a third.
    assert polite.known > 0.5
    odd = parse("Did the council bake kajmak?", document_frequency=df, idf=idf)
    [bake] = keyword_tokens("bake", odd.language)
    assert odd.weights["kajmak"] == 9.0 and odd.weights[bake] < 9.0 and odd.known < 0.3
    ru = parse("Скажите, пожалуйста, кто такой Вольдемар?", document_frequency=df, idf=idf)
    assert max(ru.weights[t] for t in keyword_tokens("скажите пожалуйста такой", "ru")) < ru.weights[keyword_tokens("Вольдемар", "ru")[0]] / 1.5


@pytest.mark.parametrize("question, identity", [
    ("Ko je Valery Semerikov?", True), ("кто такой Игорь Зубов", True), ("ко је Небојша Ђурасовић?", True),
    ("who was Pekić?", True), ("Ko je bio Jovan Vojnović?", True), ("кто такой Зоран Тиквица?", True),
    # a role, a verb or a second ask after the name is not "who is X?"
    ("Who is the president of the INCB?", False), ("Ко је секретар INCB-а?", False), ("Who is responsible?", False),
    ("who chaired it?", False), ("Кто такой Милан Кнежевич и что он сделал в Баре?", False),
    ("What is CARICC?", False),  # asks "what", answered by any sentence about it as before
])
def test_a_question_asking_who_a_named_person_is(question, identity):
    assert parse(question).identity is identity


@pytest.mark.parametrize("question, asks", [
    ("which countries are members of caricc", True), ("Which country holds the presidency?", True),
    ("what nations took part?", True), ("Which organisations took part?", False), ("who took part?", False),
])
def test_a_question_asking_which_countries(question, asks):
    assert parse(question).asks_country is asks


def test_who_is_typed_in_lower_case_asks_who_a_name_is_when_the_reports_write_it_as_one():
    # The index: Varlamov's name prefix (written capitalised in a report), and "oleg" in one chunk.
    held = {"^varlam": 1, "oleg": 1, "^direct": 9, "mayor": 4}
    df = lambda token: held.get(token, 0)  # noqa: E731
    lower = parse("who is oleg varlamov", document_frequency=df)
    assert lower.identity and lower.facts.names == ("oleg varlamov",)  # the name a sentence must name
    assert parse("Who is Oleg Varlamov?", document_frequency=df).identity  # capitalised, as before
    assert not parse("who is the mayor", document_frequency=df).identity  # "the": no name
    assert not parse("who is ivan unknownski", document_frequency=df).identity  # the reports name no such one
    assert not parse("who is oleg varlamov", document_frequency=lambda t: 0).identity
