"""What a sentence states, found once: dates, figures, units, names, countries (CLDR), datelines, lists."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

from assistant.facts import Facts, countries_in, sentence_facts, writes_capitals
from assistant.text import fold


@pytest.mark.parametrize("text, language", [
    ("Albania", "en"), ("Албанија", "sr"), ("Албания", "ru"), ("u Albaniji", "sr"), ("в Албании", "ru"),
])
def test_one_country_in_every_language_and_case(text, language):
    assert countries_in(fold(text, language)) == ("AL",)


def test_country_names_of_several_words_and_no_false_friends():
    assert countries_in(fold("Bosnia and Herzegovina")) == ("BA",)
    assert countries_in(fold("у Босни и Херцеговини", "sr")) == ("BA",)
    assert countries_in(fold("Severna Makedonija", "sr")) == ("MK",)
    assert countries_in(fold("Austria and Australia")) == ("AT", "AU")
    assert countries_in(fold("Central Asia and the north of the region")) == ()


@pytest.mark.parametrize("text, language", [
    ("the member states of the CSTO", "en"), ("које државе су учествовале?", "sr"), ("koje drzave su bile tamo", "sr"),
    ("Latin American countries", "en"), ("the principles of the United Nations", "en"),
    ("the east and the west of the region", "en"),
])
def test_the_common_words_of_country_names_name_no_country(text, language):
    # "United States", "Сједињене Америчке Државе", "Sao Tome and Principe", "British Indian Ocean Territory"
    assert countries_in(fold(text, language)) == ()


@pytest.mark.parametrize("text, language, codes", [
    ("представители Китая и Ирана", "ru", ("CN", "IR")), ("в Китае", "ru", ("CN",)),
    ("u Kini i na Kubi", "sr", ("CN", "CU")), ("из Кине", "sr", ("CN",)), ("у Црној Гори", "sr", ("ME",)),
    ("policija Crne Gore", "sr", ("ME",)), ("из Парагвая", "ru", ("PY",)), ("в Кыргызстане", "ru", ("KG",)),
    ("Объединённых Арабских Эмиратов", "ru", ("AE",)),
])
def test_names_in_a_and_j_are_read_in_their_case_forms(text, language, codes):
    # a short name in -a has no stem to match as a word's beginning (Кина, Crna Gora); -j (Китай) is an ending
    assert countries_in(fold(text, language)) == codes


@pytest.mark.parametrize("text, language", [
    ("самое крупное изъятие", "ru"), ("u Crnom moru", "sr"), ("кит и рыба", "ru"), ("Самое крупное", "ru"),
    ("а сколько из этого изъяло МВД?", "ru"),  # "этого" folds to "etogo", one word, not Togo
])
def test_case_forms_of_short_names_are_not_read_into_other_words(text, language):
    # "самое" is not Samoa's case form (a name in vowel + -a is not declined); "Crnom moru" not Montenegro
    assert countries_in(fold(text, language)) == ()


def test_a_possessive_still_names_its_country():
    assert sentence_facts("Today, Afghanistan's people need help.", "en", 3, cased=True).countries == ("AF",)


def test_the_english_names_cldr_keeps_as_variants_name_their_country():
    assert countries_in(fold("Turkey and the Czech Republic")) == ("TR", "CZ")
    assert countries_in(fold("Türkiye, Czechia")) == ("TR", "CZ")


def test_a_name_of_several_words_is_one_country_and_the_next_name_is_read_on():
    assert countries_in(fold("Central African Republic")) == ("CF",)
    assert countries_in(fold("Србија и Црна Гора", "sr")) == ("RS", "ME")
    assert countries_in(fold("Соединенные Штаты и Россия", "ru")) == ("US", "RU")


@pytest.mark.parametrize("text, language", [
    ("The children were taken to a shelter.", "en"),  # Chile
    ("Individuals were arrested and the data indicates a rise.", "en"),  # India
    ("Индикатори за мерење резултата су познати.", "sr"),  # India
    ("Чиновник сообщил об изъятии.", "ru"),  # China
])
def test_a_word_that_only_begins_like_a_country_names_none(text, language):
    assert sentence_facts(text, language, 3, cased=True).countries == ()
    assert sentence_facts(text, language).countries == ()


def test_in_a_report_written_with_capitals_a_country_is_a_capitalised_word_or_its_adjective():
    # "того" (of that) is Togo's Russian name, "мали" (small) Mali's Serbian one: a report writes the country
    # with a capital and the ordinary word without one.
    assert sentence_facts("Кроме того, изъято 80 кг героина.", "ru", 5, cased=True).countries == ()
    assert sentence_facts("Делегация Того прибыла в Вену.", "ru", 5, cased=True).countries == ("TG",)
    assert sentence_facts("Само мали број људи је ухапшен.", "sr", 5, cased=True).countries == ()
    assert sentence_facts("Представници из Мали су говорили.", "sr", 5, cased=True).countries == ("ML",)
    assert sentence_facts("Droga je došla maltene pred škole.", "sr", 5, cased=True).countries == ()  # Malta
    # Serbian and Russian write a country's adjective in lower case: it names the country.
    assert sentence_facts("Албанской полиции передали 122 кг.", "ru", 5, cased=True).countries == ("AL",)
    assert sentence_facts("Uhapšeni su hrvatski i češki državljani.", "sr", 5, cased=True).countries == ("HR", "CZ")
    assert sentence_facts("Гашење авганистанског центра производње.", "sr", 5, cased=True).countries == ("AF",)
    assert sentence_facts("The Serbian delegation met in Vienna.", "en", 5, cased=True).countries == ("RS",)


def test_a_typed_question_names_its_country_in_lower_case_but_not_by_a_bare_ordinary_word():
    # "serbia" is the key "serbi" with an ending; "того" and "roman" are words their key is all of
    assert sentence_facts("who represented serbia in Vienna?").countries == ("RS",)
    assert sentence_facts("сколько наркозависимых в сербии по учёту института Батут?").countries == ("RS",)
    assert sentence_facts("what did DPNSEE say about albania?").countries == ("AL",)
    assert sentence_facts("Ko je napisao roman Na Drini ćuprija?").countries == ()
    assert sentence_facts("когда Иванов возглавил ФСКН и где работал до того?").countries == ()


def test_a_report_writes_capitals_when_a_name_follows_a_word_in_lower_case():
    assert writes_capitals("Кроме того, изъято 80 кг. Операцию провёл департамент КНБ в Казахстане.")
    assert not writes_capitals("notes from the meeting. albania and serbia spoke. more later.")
    # a report typed without capitals still names its countries
    assert sentence_facts("albania and serbia spoke.", "en", 2, cased=False).countries == ("AL", "RS")


def test_facts_stored_by_another_build_are_not_read():
    from assistant.facts import read_facts

    now = sentence_facts("Delegations from Albania met in Vienna on 20 October.", "en", 3)
    assert read_facts(now.to_json()) == now  # made by this build: read as stored
    assert read_facts(json.dumps({"countries": ["US"], "words": 2})) is None  # an older build's, unstamped
    assert read_facts("{damaged") is None and read_facts(None) is None


@pytest.mark.parametrize("text, language, date", [
    ("The meeting was held on October 20, 2021.", "en", "october 20"),
    ("Састанак је одржан 19. октобра у Бечу.", "sr", "19. oktobra"),
    ("Встреча прошла 19 октября в Москве.", "ru", "19 oktyabrya"),
    ("date 2021-01-01 Today the council met.", "en", "2021-01-01"),
])
def test_dates_in_three_languages(text, language, date):
    assert date in sentence_facts(text, language).dates


@pytest.mark.parametrize("text, language, time", [
    ("The library now stays open until 9 p.m. on weekdays.", "en", "9 p.m."),
    ("Библиотека ради до 21 час, а субота до 14.30 часова.", "sr", "14.30 casova"),
    ("Sednica počinje u 10 časova u velikoj sali.", "sr", "10 casova"),
    ("Каток открыт с 10:00 до 22:00 ежедневно.", "ru", "22:00"),
    ("Первый автобус уходит в 5 ч утра.", "ru", "5 ch"),
])
def test_times_of_day_in_three_languages(text, language, time):
    assert time in sentence_facts(text, language).times


@pytest.mark.parametrize("text, language, speech", [
    ("Nothing changes for the passengers, the mayor said on Monday.", "en", True),
    ("According to the police, the car was stolen.", "en", True),
    ("„Ово је важан корак за целу заједницу“, рекао је Петровић.", "sr", True),
    ("Direktorka je naglasila da vrtić prima decu od jeseni.", "sr", True),
    ("Министр заявил, что число пациентов выросло.", "ru", True),
    ("По словам главы района, ремонт закончится в мае.", "ru", True),
    ("He wrote: «the bridge will stay closed for all traffic until the end of June».", "en", True),
    # a short quoted run is a name or a title, not a statement
    ("The session „Money laundering“ was held on 20 October.", "en", False),
    ("Police seized 120 kilograms of heroin.", "en", False),
    ("Радови на мосту трајали су три месеца.", "sr", False),
])
def test_reported_speech_in_three_languages(text, language, speech):
    assert sentence_facts(text, language).speech is speech


def test_a_score_or_an_age_is_no_time_of_day():
    assert sentence_facts("Serbia won 3:1 against a side of players aged 21 in 2021.", "en").times == ()


def test_figures_exclude_dates_and_ordinals_and_carry_their_units():
    f = sentence_facts("At the 64th session on 20 October 2021 police seized 1,250 kilograms and arrested 12 people.",
                       "en", 3)
    assert set(f.figures) == {"1.250", "12"} and set(f.units) == {"mass", "people"}
    assert sentence_facts("Заплењено је 3,5 тона хероина.", "sr").units == ("mass",)
    assert "percent" in sentence_facts("Узгој коке порастао је за 97,4 %.", "sr").units
    # people named by what they are, in any case ending; "раза" is a number of times as "раз" is
    assert sentence_facts("Из засеока Вртовац евакуисана су 23 мештанина.", "sr").units == ("people",)
    assert sentence_facts("Портал посетили 46 тысяч пользователей.", "ru").units == ("people",)
    assert sentence_facts("Рейсы будут выполняться три раза в неделю.", "ru").units == ("times",)


@pytest.mark.parametrize("text,language,unit", [
    ("The wind farm will deliver 350 MW by 2027.", "en", "power"),
    ("Мощность станции составит 1,2 ГВт.", "ru", "power"),
    ("Ветропарк ће имати 158 мегавата.", "sr", "power"),
    ("It was 40 °C in the shade.", "en", "temperature"),
    ("Temperatura je dostigla 41 stepen.", "sr", "temperature"),
    ("The 42-year-old driver was arrested.", "en", "years"),
    ("Uhapšen je 42-godišnji vozač.", "sr", "years"),
    ("Топлива хватит ещё на 20 лет.", "ru", "years"),
    ("Руководилац пројекта, инжењер Бојан Милосављевић (52), рекао је да радови почињу у марту.", "sr", "years"),
    ("Petar Lakić, 47, a fisherman from Virpazar, said the ban came too late.", "en", "years"),
])
def test_power_temperature_and_years_are_units(text, language, unit):
    assert unit in sentence_facts(text, language).units


@pytest.mark.parametrize("text,language", [
    ("Na sednici (12) su bili i predstavnici opština.", "sr"),  # after no name
    ("Сезон открылся в Москве (2025) выставкой.", "ru"),  # a year, not an age
    ("The plant in Bor, 1200, was the largest.", "en"),
])
def test_a_figure_in_brackets_or_commas_is_an_age_only_after_a_name(text, language):
    assert "years" not in sentence_facts(text, language).units


@pytest.mark.parametrize("text,language", [
    ("The work cost £4.2 million, paid by the council.", "en"),
    ("An adult swim now costs £4.50, up from £4.", "en"),
    ("Tickets are $12 at the door.", "en"),
    ("Абонемент стоит ₽1500 в месяц.", "ru"),
])
def test_a_currency_sign_before_the_figure_gives_money(text, language):
    assert "money" in sentence_facts(text, language).units
    assert "money" not in sentence_facts(text.replace("£", "").replace("$", "").replace("₽", ""), language).units


def test_names_plans_datelines_and_lists():
    f = sentence_facts("Републику Србију представљао је в. д. директора Милан Пекић.", "sr", 4)
    assert "milan pekic" in f.names and not f.dateline and not f.plan
    assert sentence_facts("The experts will meet again in May.", "en", 4).plan
    assert sentence_facts("date 2021-01-01 Today, the council met in Moscow.", "en", 0).dateline
    assert sentence_facts("Annual Report of the Office for Combating Drugs", "en", 0).dateline  # a title line
    assert sentence_facts("The priorities are:", "en", 3).announces
    # A place and date alone, after a title line: still the report's dateline, not a finding.
    assert sentence_facts("Lisbon, 2 July 2024.", "en", 1).dateline
    assert sentence_facts("Ниш, 3. март 2025.", "sr", 1).dateline
    assert not sentence_facts("Lisbon, 2 July 2024.", "en", 5).dateline  # a date deep in a report says when
    assert not sentence_facts("On 2 July 2024 the agency opened its new seat in Lisbon.", "en", 1).dateline


def test_facts_survive_their_json_round_trip():
    f = sentence_facts("Police seized 12 kilograms in Albania on 3 March 2024.", "en", 2)
    assert Facts.from_json(f.to_json()) == f and Facts.from_json("") == Facts()


NAMES_SCRIPT = """
import json, sys
from assistant.facts import country_name, sentence_facts, use_saved_names
use_saved_names(sys.argv[1])
texts = [("The meeting in Albania was held on October 20, 2021.", "en"), ("Састанак у Босни одржан је 19. октобра.", "sr"),
         ("Встреча прошла 19 октября в Албании.", "ru"), ("Sastanak u Severnoj Makedoniji održan je 3. maja.", "sr")]
facts = [sentence_facts(t, lang).to_json() for t, lang in texts]
names = [country_name("AL", "ru"), country_name("BA", "sr", "Latin"), country_name("BA", "sr", "Cyrillic"),
         country_name("MK", "en"), country_name("XX", "en")]
print(json.dumps({"facts": facts, "names": names, "babel": "babel" in sys.modules}))
"""


def _facts_run(path):
    """Return the facts of four sentences, found in a new process with the names file at path."""
    proc = subprocess.run([sys.executable, "-c", NAMES_SCRIPT, str(path)], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_saved_month_and_country_names_give_the_same_facts_without_babel(tmp_path):
    path = tmp_path / "cldr_names.json"
    made = _facts_run(path)  # no file yet: made from Babel's CLDR data, then saved
    assert made["babel"] and path.exists()
    assert any('"countries":["AL"]' in f for f in made["facts"]) and all('"dates"' in f for f in made["facts"])
    # a country's whole name in each language and script, for "there" in a conversation
    assert made["names"] == ["Албания", "Bosna i Hercegovina", "Босна и Херцеговина", "North Macedonia", ""]
    saved = _facts_run(path)
    assert saved == {"facts": made["facts"], "names": made["names"], "babel": False}
    data = json.loads(path.read_text("utf-8"))
    path.write_text(json.dumps(data | {"key": "made by other code", "countries": {"alban": "ZZ"}}), "utf-8")
    assert _facts_run(path) == made  # names another version made are not used, and are made again
    assert json.loads(path.read_text("utf-8"))["key"] == data["key"]
    path.write_text("{not json", "utf-8")
    assert _facts_run(path) == made


def test_ingest_reads_a_reports_countries_as_the_report_writes_them(settings, tmp_path):
    from assistant.core import Assistant
    from assistant.ingest import ingest

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "dushanbe.txt").write_text(
        "Изъятия в Таджикистане\n\nВ первом полугодии в Таджикистане изъято 3 тонны наркотиков. "
        "Кроме того, изъято 80 кг метамфетамина. Само мали део је заплењен.\n", "utf-8")
    ingest(settings, [folder])
    assistant = Assistant(settings)
    doc_id = next(iter(assistant.records))
    sentences = assistant._doc_sentences(doc_id)
    assert sentences.report_countries == frozenset({"TJ"})  # not Togo ("того") nor Mali ("мали")


def test_a_name_that_opens_a_sentence_is_a_name_and_the_word_that_only_opens_it_is_not():
    assert sentence_facts("Nebojša Đurasović iz Udruženja „Prevent“ rekao je da…", "sr").names == (
        "nebojsa djurasovic",)
    assert sentence_facts("Victor Ivanov analyzed the drug situation.", "en").names == ("victor ivanov",)
    assert sentence_facts("The Head of the service spoke.", "en").names == ()
    assert sentence_facts("Zašto Rusija održava sastanke?", "sr").names == ()  # the interrogative opens it


@pytest.mark.parametrize(("text", "language", "months"), [
    ("25-26 May 2016", "en", {5}), ("25. и 26. маја 2016.", "sr", {5}), ("в мае и в октябре", "ru", {5, 10}),
    ("od 3. septembra do 1. oktobra", "sr", {9, 10}), ("Sept. 2020", "en", {9}), ("25.05.2016", None, {5}),
    ("2016-07-01", None, {7}),
    # words that begin like a month name no month: a mother, a mayor, a name, "new" in Serbian
    ("majka, Mayor Julia and Nova Marta", None, {3}), ("the Marshall plan", "en", set()),
])
def test_months_are_read_in_any_language_and_case(text, language, months):
    from assistant.facts import months_in

    assert months_in(text, language) == months
