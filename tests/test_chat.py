"""chat: history kept within a token budget, follow-ups recognised and carried into the search."""

from __future__ import annotations

from dataclasses import replace

from assistant.chat import (
    IndexView,
    as_messages,
    contextualise,
    points_back,
    read_turn,
    topic,
    trim,
    unanchored,
)
from assistant.chunking import count_tokens
from assistant.query import parse
from assistant.types import Answer, Citation, Message


def conversation(n: int) -> list[Message]:
    out = []
    for i in range(n):
        out.append(Message("user", f"Question number {i} about the CND meeting in Vienna?"))
        out.append(Message("assistant", f"Answer number {i}: the meeting took place in October 2021 [1]."))
    return out


def test_trim_keeps_the_latest_messages_that_fit_the_budget():
    history = conversation(10)
    sizes = [count_tokens(m.content) for m in history]
    budget = sum(sizes[-5:]) + sizes[-6] // 2  # room for five messages and half of the sixth
    kept = trim(history, budget)
    assert kept == history[-5:]
    assert sum(count_tokens(m.content) for m in kept) <= budget


def test_trim_keeps_everything_that_fits_and_nothing_when_no_budget():
    history = conversation(3)
    total = sum(count_tokens(m.content) for m in history)
    assert trim(history, total) == history
    assert trim(history, total - 1) == history[1:]
    assert trim(history, 0) == []
    assert trim([], 100) == []


def test_trim_drops_older_turns_past_one_that_is_too_long():
    history = [Message("user", "short"), Message("assistant", "word " * 2000), Message("user", "last one")]
    assert trim(history, 50) == history[-1:]


def test_as_messages_reads_dicts_gradio_blocks_and_drops_the_rest():
    got = as_messages([
        {"role": "user", "content": "Who spoke?"},
        {"role": "assistant", "content": [{"type": "text", "text": "DPNSEE [1]."}]},
        {"role": "system", "content": "ignored"},
        {"role": "user", "content": "   "},
        Message("user", "And when?"),
    ])
    assert got == [Message("user", "Who spoke?"), Message("assistant", "DPNSEE [1]."), Message("user", "And when?")]


# A toy index: the rare words name things (one chunk each), the common ones are everywhere.
RARE = {"dpnsee", "taiex", "coordin", "council", "workshop", "albania", "launder", "sarajevo", "^dpnsee"}
VOCAB = IndexView(lambda t: 1 if t in RARE else (0 if t in {"bread", "bake", "recip", "oven"} else 40), 100)
DPNSEE = [Message("user", "What did DPNSEE say about money laundering?"), Message("assistant", "It said… [1]")]


def test_a_first_question_stands_alone_and_a_bare_ask_follows_the_conversation():
    assert read_turn("When?", [], VOCAB) == "first"
    assert read_turn("When?", DPNSEE, VOCAB) == "follow_up"
    assert read_turn("who represented them there?", DPNSEE, VOCAB) == "follow_up"
    assert read_turn("А ко је председавао?", DPNSEE, VOCAB) == "follow_up"


def test_a_question_naming_its_own_subject_starts_a_new_topic_whatever_its_length():
    assert read_turn("Who chaired the Coordinating Council?", DPNSEE, VOCAB) == "new_topic"
    assert read_turn("who chaired the coordinating council meeting", DPNSEE, VOCAB) == "new_topic"
    assert read_turn("TAIEX?", DPNSEE, VOCAB) == "new_topic"
    # So is one naming what the conversation already named, when it asks of it and leans on nothing.
    assert read_turn("When did DPNSEE speak?", DPNSEE, VOCAB) == "new_topic"
    turn = contextualise("When did DPNSEE speak?", DPNSEE, None, VOCAB)
    assert turn.search_text == "When did DPNSEE speak?" and not turn.follow_up


def test_a_question_that_leans_on_the_conversation_is_read_with_it_though_it_names_its_subject():
    # a pronoun or a demonstrative points back; an ask of its own is what makes a question stand alone
    assert read_turn("When did DPNSEE speak about him?", DPNSEE, VOCAB) == "follow_up"
    assert read_turn("How much did DPNSEE seize over those three weeks?", DPNSEE, VOCAB) == "follow_up"
    assert read_turn("How much did DPNSEE seize over three weeks?", DPNSEE, VOCAB) == "new_topic"
    assert read_turn("whats the DPNSEE budget", DPNSEE, VOCAB) == "new_topic"  # an apostrophe left out
    assert read_turn("Колико је DPNSEE запленио за то време?", DPNSEE, VOCAB) == "follow_up"
    assert read_turn("Сколько изъял DPNSEE за эти три недели?", DPNSEE, VOCAB) == "follow_up"
    assert read_turn("DPNSEE too?", DPNSEE, VOCAB) == "follow_up"


def _one_report_view(*rare_words: str) -> tuple[IndexView, frozenset[str]]:
    """The toy index with a few more rare words, every question retrieving the DPNSEE report."""
    rare = RARE | set(rare_words)
    docs = frozenset({"dpnsee_doc"})
    return IndexView(lambda t: 1 if t in rare else 40, 100, lambda text: docs), docs


def test_a_rare_word_that_names_nothing_does_not_set_a_question_apart():
    # Reports rarely use a word that pads a turn or an interrogative's short form: rare in the index, neither
    # names a subject ("добро", "kog").
    view, docs = _one_report_view("dobr", "kog")
    assert read_turn("Добро, а коју функцију он има?", DPNSEE, view, docs) == "follow_up"
    assert read_turn("iz kog je ministarstva?", DPNSEE, view, docs) == "follow_up"
    assert read_turn("And who spoke at the TAIEX workshop?", DPNSEE, view, docs) == "new_topic"


def test_one_of_a_language_s_commonest_words_names_nothing_however_rare_in_the_reports():
    # "koliko ima godina?" (how old is he?) after a question about a director: the reports seldom write "ima"
    # (has), too short to tell by its capitals, so it named a new subject and the question was read alone.
    view, docs = _one_report_view("ima", "est")
    assert read_turn("koliko ima godina?", DPNSEE, view, docs) == "follow_up"
    assert read_turn("а у него есть заместитель?", DPNSEE, view, docs) == "follow_up"
    assert read_turn("And who spoke at the TAIEX workshop?", DPNSEE, view, docs) == "new_topic"


def test_a_rare_word_the_reports_write_in_lower_case_names_nothing():
    # "domaćin" (host) and "officers" are in a chunk or two, as "avangard" is, but the reports write them in
    # lower case: ordinary words, not the name of a new subject.
    df = {"domacin": 1, "offic": 2, "^office": 0, "avangard": 1, "^avanga": 1}
    view = IndexView(lambda t: df.get(t, 40 if t[:1] not in "^~" else 0), 100)
    assert read_turn("ko je bio domacin?", DPNSEE, view) == "follow_up"
    assert read_turn("and how many officers were involved?", DPNSEE, view) == "follow_up"
    assert read_turn("who led the avangard operation?", DPNSEE, view) == "new_topic"
    # a term of no everyday language names a subject however the reports write it
    df |= {"nitazen": 1, "^nitaze": 0}
    assert read_turn("how strong are nitazenes?", DPNSEE, view) == "new_topic"
    # Asked of nothing the conversation said, with a word the index lacks, such words make a question about
    # something else altogether: read on its own (and so refused), not glued to the conversation.
    df |= {"telefon": 1, "^telefo": 0, "~tlfn": 0, "izume": 0, "^izumeo": 0}
    assert read_turn("Ко је изумео телефон?", DPNSEE, view) == "new_topic"


def test_a_name_typed_in_another_script_or_case_names_a_new_subject():
    # The reports write "Brennick" (its name prefix rare); the question types it in Russian, in lower case and
    # declined: its stem is unknown to the index, its first letters begin that name. "and the tram in X?" is
    # the last question's ask of a new subject, not a follow-up on the hospital.
    df = {"^brenni": 1, "brennik": 0, "tramva": 0, "^tramva": 0}
    view = IndexView(lambda t: df.get(t, 40 if t[:1] not in "^~" else 0), 100)
    hospital = [Message("user", "что открыли в больнице вальево"), Message("assistant", "Новый корпус [1]"),
                Message("user", "сколько он стоил?"), Message("assistant", "1,9 млрд динаров [1]")]
    assert read_turn("а трамвай в бреннике?", hospital, view) == "ellipsis"
    # Said before, the same name is no new subject; a word the index lacks that begins no name is none either.
    brennick = hospital + [Message("user", "а трамвай в бреннике?"), Message("assistant", "Brennick's tram [1]")]
    assert read_turn("а сколько он стоил?", brennick, view) == "follow_up"
    assert read_turn("а трамвай?", hospital, view) == "follow_up"


def test_pronouns_in_every_case_point_back():
    for question, language in (("какая у него была должность?", "ru"), ("Наброј их.", "sr"),
                               ("a šta je rečeno o njemu?", "sr"), ("что с ним?", "ru"),
                               ("ко им је помагао?", "sr")):
        assert points_back(question, language=language) is not None, question


def test_an_unrelated_question_is_read_on_its_own():
    assert read_turn("how do I bake bread in an oven?", DPNSEE, VOCAB) == "new_topic"


def test_a_pronoun_reads_with_the_conversation_unless_the_question_names_its_antecedent():
    assert read_turn("What did he say about Albania?", DPNSEE, VOCAB) == "follow_up"
    assert read_turn("Шта је он рекао о Албанији?", DPNSEE, VOCAB) == "follow_up"
    assert read_turn("Who chaired the Coordinating Council and what did it decide?", DPNSEE, VOCAB) == "new_topic"
    # A subject set apart before the question ("X — when was it…?") is the pronoun's antecedent.
    assert read_turn("The TAIEX workshop — who opened it?", DPNSEE, VOCAB) == "new_topic"
    assert read_turn("Про TAIEX: кто его открыл?", DPNSEE, VOCAB) == "new_topic"
    assert read_turn("Who opened it?", DPNSEE, VOCAB) == "follow_up"


def test_an_ellipsis_with_a_new_subject_keeps_the_previous_ask():
    history = [Message("user", "When was the DPNSEE meeting?"), Message("assistant", "In May [1].")]
    turn = contextualise("And the TAIEX workshop?", history, None, VOCAB)
    assert turn.reading == "ellipsis" and turn.carried_docs == ()
    assert turn.search_text == "When was the TAIEX workshop?"
    assert parse(turn.question, turn.search_text).kind == "when"
    assert read_turn("what about the workshop in Sarajevo?", history, VOCAB) == "ellipsis"
    # A subject that brings its own preposition does not repeat the ask's.
    said = [Message("user", "What did they say about Albania?"), Message("assistant", "That… [1]")]
    assert contextualise("And about the TAIEX workshop?", said, None, VOCAB).search_text == \
        "What did they say about the TAIEX workshop?"


def test_after_a_refusal_the_topic_still_finds_its_reports():
    refused = Answer(question=DPNSEE[0].content, answer="The reports do not say.", found=False)
    view = replace(VOCAB, reports_of=lambda text: frozenset({"dpnsee_doc"} if "DPNSEE" in text else ()))
    turn = contextualise("When was the meeting?", DPNSEE, refused, view)
    assert turn.reading == "follow_up" and turn.carried_docs == ("dpnsee_doc",)


def test_a_new_name_that_retrieves_the_conversations_reports_continues_it():
    view = replace(VOCAB, reports_of=lambda text: frozenset({"dpnsee_doc"}))
    assert read_turn("Did Albania speak too?", DPNSEE, view, frozenset({"dpnsee_doc"})) == "follow_up"
    assert read_turn("Did Albania speak too?", DPNSEE, view, frozenset({"other_doc"})) == "new_topic"


def test_contextualise_carries_the_topic_and_the_cited_reports_and_resolves_pronouns():
    citation = Citation(n=1, doc_id="001_x", source="s", title="t", language="en", text="x", start=0, end=1,
                        score=1.0)
    history = [Message("user", "Who chaired the DPNSEE session?"), Message("assistant", "Milan Pekić chaired it [1].")]
    last = Answer(question=history[0].content, answer="Milan Pekić chaired it [1].", found=True, citations=(citation,))
    turn = contextualise("What did he say about Albania?", history, last, VOCAB)
    assert turn.follow_up and turn.carried_docs == ("001_x",)
    assert turn.search_text == "What did Milan Pekić say about Albania? Who chaired the DPNSEE session?"
    new = contextualise("How much did coca cultivation increase in the Coordinating Council's region?", history,
                        last, VOCAB)
    assert not new.follow_up and new.carried_docs == ()


def test_topic_reaches_back_to_the_last_standalone_question():
    history = [
        Message("user", "What did DPNSEE say about money laundering?"), Message("assistant", "… [1]"),
        Message("user", "And when?"), Message("assistant", "… [2]"),
    ]
    assert topic(history, VOCAB) == "And when? What did DPNSEE say about money laundering?"
    # An ellipsis in the chain stands for the question it made.
    chain = [Message("user", "When was the DPNSEE meeting?"), Message("assistant", "In May [1]."),
             Message("user", "And the TAIEX workshop?"), Message("assistant", "In June [1]."),
             Message("user", "And who chaired it?"), Message("assistant", "Ana [1].")]
    assert topic(chain, VOCAB) == "And who chaired it? When was the TAIEX workshop?"


def test_pronouns_are_those_of_the_questions_language():
    from assistant.chat import points_back

    assert points_back("When did the Commission on Narcotic Drugs meet?") is None  # English "on" is no pronoun
    assert points_back("Šta je on rekao o Albaniji?").group() == "on"  # Serbian "on" is "he"
    assert points_back("Что он сказал?").lastgroup == "who" and points_back("Who was there?").lastgroup == "where"


def test_demonstratives_point_back_in_every_case_and_existential_there_does_not():
    for question, language in (("who gave that figure?", "en"), ("how many doses was that?", "en"),
                               ("ko je ministar u tom izveštaju?", "sr"), ("a šta planiraju te godine?", "sr"),
                               ("шта је речено на оном састанку?", "sr"), ("что решили на той встрече?", "ru"),
                               ("кто руководил этим центром?", "ru"), ("ko ju je prevozio preko granice?", "sr"),
                               ("ko je na njoj govorio?", "sr"), ("шта су оне тражиле?", "sr")):
        assert points_back(question, language=language) is not None, question
    # "that" opening a clause, "there" saying only that something exists: nothing is pointed at
    for question in ("who said that cocaine use rose in europe?", "how many addicts are there in serbia?",
                     "were there any arrests?", "there were how many seizures?"):
        assert points_back(question, language="en") is None, question
    # Two lower-case words the reports hardly use would make it a question about something else; the
    # demonstrative says it is about what was just said.
    df = {"gave": 1, "^gave": 0, "figur": 2, "^figure": 0}
    view = IndexView(lambda t: df.get(t, 40 if t[:1] not in "^~" else 0), 100)
    assert read_turn("who gave that figure?", DPNSEE, view) == "follow_up"


def test_a_quotes_language_label_is_not_what_a_pronoun_stands_for():
    citation = Citation(n=1, doc_id="000_x", source="s", title="t", language="sr", text="x", start=0, end=1,
                        score=1.0)
    said = "(Serbian original) Радионица је одржана у Сарајеву у Босни и Херцеговини [1]."
    history = [Message("user", "Where was the TAIEX workshop?"), Message("assistant", said)]
    last = Answer(question=history[0].content, answer=said, found=True, citations=(citation,))
    turn = contextualise("Who represented Serbia there?", history, last, VOCAB)
    assert "Serbian" not in turn.search_text and "Who represented Serbia" in turn.search_text
    # "there": the country the answer names, whole, as its report writes it
    assert turn.search_text.startswith("Who represented Serbia Босна и Херцеговина?")


def test_a_short_follow_up_is_read_in_the_conversations_language():
    # "a" alone reads as English; after Serbian turns it is the Serbian "and", so the question is an
    # ellipsis (the previous ask of a new subject) and its answer will be in Serbian.
    history = [Message("user", "Kada je održana radionica u Sarajevu?"), Message("assistant", "U martu [1].")]
    turn = contextualise("a taiex?", history, view=VOCAB)
    assert turn.language == "sr"
    assert turn.reading == "ellipsis"
    assert turn.search_text.lower().startswith("kada je")
    # the same words after English turns stay English
    english = [Message("user", "When was the workshop in Sarajevo held?"), Message("assistant", "In March [1].")]
    assert contextualise("a taiex?", english, view=VOCAB).language == "en"



def test_a_pronoun_stands_for_a_name_not_for_a_sentences_opening_words():
    # "On March" is a run of capitals, not a person
    said = [Message("user", "Who opened the meeting in Geneva?"),
            Message("assistant", "On March 3, the meeting in Geneva was opened by Ana Petrović [1].")]
    last = Answer("Who opened the meeting in Geneva?", said[1].content, True)
    turn = contextualise("what did she say about the workshop?", said, last, VOCAB)
    assert turn.search_text.startswith("what did Ana Petrović say about the workshop?")


def test_a_yes_no_question_after_and_is_not_an_ellipsis():
    history = [Message("user", "Когда проходил семинар TAIEX?"), Message("assistant", "В мае [1].")]
    for question in ("а есть ли там DPNSEE?", "and is there a DPNSEE office?", "a da li je DPNSEE bio tamo?"):
        assert contextualise(question, history, None, VOCAB).reading != "ellipsis", question


def test_an_ellipsis_takes_the_ask_of_the_latest_question_not_of_the_topic_glued_to_it():
    history = [Message("user", "when was the dpnsee meeting?"), Message("assistant", "In May [1]."),
               Message("user", "who opened it"), Message("assistant", "Its chair [1].")]
    turn = contextualise("and the TAIEX workshop?", history, None, VOCAB)
    assert turn.reading == "ellipsis"
    assert turn.search_text.startswith("who") and "when" not in turn.search_text


def test_a_chain_of_ellipses_keeps_the_first_ask_and_only_the_latest_subject():
    for first, second, third, ask in (
        ("Where did the DPNSEE board meet?", "and the expert meeting of TAIEX?", "and the Council?", "Where did"),
        ("Где заседал DPNSEE?", "а семинар TAIEX?", "а Совет?", "Где заседал"),
        ("Gde se sastao DPNSEE?", "a radionica TAIEX?", "a Savet?", "Gde se sastao"),
    ):
        history = [Message("user", first), Message("assistant", "In Skopje [1]."),
                   Message("user", second), Message("assistant", "In Sarajevo [1].")]
        turn = contextualise(third, history, None, VOCAB)
        assert turn.reading == "ellipsis", third
        subject = third.split(maxsplit=1)[1]
        assert turn.search_text == f"{ask} {subject}", turn.search_text


def test_they_stand_for_what_the_last_question_asked_about_and_he_for_the_name_a_who_answer_gave():
    history = [Message("user", "What did DPNSEE say about money laundering?"),
               Message("assistant", "The XXIII session heard the Drug Policy Network South East Europe [1].")]
    last = Answer(history[0].content, history[1].content, True)
    assert contextualise("what did they propose?", history, last, VOCAB).search_text.startswith(
        "what did DPNSEE propose?")
    who = [Message("user", "Who chaired the DPNSEE session?"),
           Message("assistant", "The XXIII session of DPNSEE was chaired by Milan Pekić [1].")]
    last = Answer(who[0].content, who[1].content, True)
    turn = contextualise("what did he say about Albania?", who, last, VOCAB)
    assert turn.search_text.startswith("what did Milan Pekić say about Albania?")  # not DPNSEE, not "XXIII"


def test_english_he_stands_for_a_person_only_and_serbian_on_also_for_a_thing():
    # "he" after an answer naming no person is left as asked (the conversation still carries the topic);
    # Serbian and Russian он/га stand for things of their grammatical gender as often as for people.
    history = [Message("user", "who chaired the g8 experts meeting in moscow?"),
               Message("assistant", "First experts meeting on the topic of Reducing the Drug Supply Through Police "
                                    "Cooperation was held in Moscow on February 25th [1].")]
    last = Answer(history[0].content, history[1].content, True)
    turn = contextualise("what did he say about afghanistan?", history, last, VOCAB)
    assert turn.search_text.startswith("what did he say about afghanistan?"), turn.search_text
    project = [Message("user", "Шта је UNODC покренуо у Северној Македонији?"),
               Message("assistant", "UNODC је покренуо двогодишњи пројекат [1].")]
    last = Answer(project[0].content, project[1].content, True)
    assert contextualise("ко га финансира?", project, last, VOCAB).search_text.startswith("ко UNODC финансира?")


def test_a_referent_is_written_as_the_answers_report_writes_it():
    history = [Message("user", "Ко је председавао радионицом?"),
               Message("assistant", "Радионицом је председавао Милан Пекић у Сарајеву, Босни и Херцеговини [1].")]
    last = Answer(history[0].content, history[1].content, True)
    assert contextualise("sta je on rekao?", history, last, VOCAB).search_text.startswith("sta je Милан Пекић rekao?")
    where = contextualise("who else was there?", history, last, VOCAB).search_text
    assert where.startswith("who else was Босна и Херцеговина?"), where


def test_an_elliptical_subject_with_its_own_head_noun_replaces_the_asks():
    # Serbian and Russian put the head noun before the name it is of: the new subject's replaces it.
    for first, second, expected in (
        ("Када је одржан састанак DPNSEE?", "А радионица TAIEX?", "Када је одржан радионица TAIEX?"),
        ("Ко је председавао седницом савета DPNSEE?", "А радионицом TAIEX?", "Ко је председавао радионицом TAIEX?"),
        ("когда проходило совещание DPNSEE?", "а семинар TAIEX?", "когда проходило семинар TAIEX?"),
        # English puts it after the name: the ask ends with an article, and keeps its verb
        ("Who chaired the DPNSEE meeting?", "and the TAIEX workshop?", "Who chaired the TAIEX workshop?"),
        # a subject without a noun of its own (a name, a place) keeps the ask's
        ("Када је одржан састанак DPNSEE?", "А TAIEX?", "Када је одржан састанак TAIEX?"),
    ):
        history = [Message("user", first), Message("assistant", "… [1]")]
        turn = contextualise(second, history, None, VOCAB)
        assert turn.reading == "ellipsis" and turn.search_text == expected, (second, turn.search_text)


def test_every_interrogative_asks_on_its_own():
    from assistant.chat import elliptical

    # "kakav", "odakle", "čime", "чем" ask (what kind, from where, with what): not an elliptical "and X?"
    for question, language in (("a kakav je bio ishod?", "sr"), ("а одакле је стигла?", "sr"),
                               ("a čime se bave?", "sr"), ("а чем он занимается?", "ru")):
        assert not elliptical(question, language), question
    assert elliptical("a taiex?", "sr")


def test_then_points_back_only_when_the_question_names_nothing_new():
    # "tada" / "тогда" / "then": the time just talked about, unless the question brings a subject of its own
    assert points_back("a koliko laboratorija su tada našli?", DPNSEE[0].content, VOCAB, "sr") is not None
    # A term the reports hold in one chunk and write as a name, asked of again, makes a question of its own
    # ("a koliko laboratorija su našli?" is searched alone); "tada" says it asks of the time just talked about.
    df = {"laboratorij": 1, "^labora": 1}
    named = IndexView(lambda t: df.get(t, 40 if t[:1] not in "^~" else 0), 100)
    labs = [Message("user", "Kada su zatvorene laboratorije?"), Message("assistant", "U martu 2024 [1].")]
    assert read_turn("a koliko laboratorija su našli?", labs, named) == "new_topic"
    assert read_turn("a koliko laboratorija su tada našli?", labs, named) == "follow_up"
    assert points_back("кто тогда руководил?", DPNSEE[0].content, VOCAB, "ru").lastgroup == "then"
    assert points_back("ко је тада говорио у име TAIEX?", DPNSEE[0].content, VOCAB, "sr") is None
    # another pronoun is what a substitution reads, wherever "then" stands
    assert points_back("ok, then what was his job?", DPNSEE[0].content, VOCAB, "en").lastgroup == "person"


def test_a_first_question_whose_pronoun_has_nothing_to_point_back_to_is_unanchored():
    view = IndexView()
    for question, word in [("when was it held?", "it"), ("What did he say?", "he"),
                           ("шта је он рекао на састанку?", "он"), ("a šta su oni odlučili?", "oni"),
                           ("когда он выступал?", "он"), ("кто его возглавлял?", "его"),
                           ("what were its results?", "its"), ("what happened there?", "there"),
                           # "he" and "she" stand for someone, however much else the question says
                           ("what did she say about heroin seizures at the border?", "she")]:
        assert unanchored(question, view) == word, question
        assert contextualise(question, []).unresolved == word, question
    # Its own subject, an antecedent before the pronoun, or no question at all: nothing is unresolved.
    for question in ["What did the CND decide and when did it meet?", "What did DPNSEE say about it?",
                     "what did the minister say about it?", "хвала, то је све", "Who chaired the meeting?",
                     # a demonstrative with its own noun says what it means
                     "what does this report say about cocaine?", "шта каже овај извештај?", "когда это было?",
                     # a pronoun as people use it of whoever runs a thing the question names in lower case
                     "what plane do they use on the arkhangelsk route", "када су отворили линију 2 у бренику?"]:
        assert unanchored(question, view) == "", question
        assert contextualise(question, []).unresolved == "", question
    # Later in a conversation the pronoun has something to point to.
    history = [Message("user", "Who chaired the XXIII CSTO meeting?"), Message("assistant", "Igor Zubov [1]")]
    assert contextualise("when was it held?", history).unresolved == ""


def test_a_first_question_that_continues_a_turn_there_is_none_of_is_unanchored():
    # Serbian and Russian drop the pronoun ("рекла": she said), so an opening "and" saying one word of its own
    # is what leans on the turn before; the refusal quotes the question.
    view = IndexView()
    for question, quoted in [("a šta je rekla?", "a šta je rekla"), ("а что сказал?", "а что сказал"),
                             ("and the budget?", "and the budget"), ("А колико кошта?", "А колико кошта")]:
        assert unanchored(question, view) == quoted, question
        assert contextualise(question, []).unresolved == quoted, question
    # An opening "and" with a subject of its own, or two words of its own, asks something that can be answered.
    for question in ["а семинар в Сараеве?", "and what did the CND decide?", "а какие страны участвовали?",
                     "and who chaired the meeting in Vienna?", "a koliko je koštao novi most?"]:
        assert unanchored(question, view) == "", question
    # Later in a conversation it continues the turn before.
    history = [Message("user", "Ko je otvorio sastanak?"), Message("assistant", "Jelena Petrović [1]")]
    assert contextualise("a šta je rekla?", history).unresolved == ""


def test_a_short_everyday_verb_the_reports_hardly_use_is_no_subject_of_a_first_question():
    # Reports that use "say", "funds" and "рекла" once or twice: each is rare there, and too short for the index
    # to tell whether the reports write it as a name. A first question leaning on a pronoun is still unanchored.
    rare = {"say", "fund", "rekl"}
    view = IndexView(lambda t: 1 if t in rare else (0 if t[:1] in "^~" else 40), 100)
    for question, word in [("what did he say?", "he"), ("who funds it?", "it"), ("шта је она рекла?", "она"),
                           ("sta je ona rekla?", "ona")]:
        assert unanchored(question, view) == word, question
    # A rare term that is no everyday word still names a subject of its own, however it is typed.
    taiex = IndexView(lambda t: 1 if t == "taiex" else (0 if t[:1] in "^~" else 40), 100)
    assert unanchored("what did taiex say about it?", taiex) == ""
    assert unanchored("who funds taiex?", taiex) == ""


def test_a_follow_up_asking_for_more_is_told_apart_in_each_language_form():
    asks = ["what else?", "who else spoke there?", "any other countries?", "tell me more", "а кто ещё?",
            "что ещё обсуждали кроме этого?", "a šta još?", "ko je jos bio tamo", "шта још пише осим тога?",
            "koje druge zemlje?"]
    plain = ["who spoke about drug trafficking?", "were more than 40 kilograms seized?", "кто председательствовал?",
             "ko je vodio sastanak?", "ко је председавао?"]
    assert [parse(q).asks_more for q in asks] == [True] * len(asks)
    assert [parse(q).asks_more for q in plain] == [False] * len(plain)


def test_what_the_last_reply_quoted_is_not_an_answer_to_what_else():
    from assistant.answer import Candidate
    from assistant.chat import said
    from assistant.types import Twin

    def sentence(doc_id, start, text, language="en", twin=None):
        return Candidate("c", doc_id, "d.txt", "T", language, "", start, start + len(text), text, 1.0, twin)

    quoted = sentence("d", 0, "Police in Kotor seized 93 kilograms of heroin hidden in a yacht in 2022.")
    new = sentence("d", 80, "The yacht had sailed from Durrës two days earlier.")
    # A Serbian sentence shown in the reply as its English twin was quoted too.
    shown_as_twin = sentence("s", 0, "Полиција у Котору запленила је 93 килограма хероина.", "sr",
                             Twin("d", "en", 0, 10, quoted.text))
    history = [Message("user", "What did the police in Kotor seize?"),
               Message("assistant", f"{quoted.text[:-1]} [1].")]
    assert said([quoted, new, shown_as_twin], history) == {("d", 0), ("s", 0)}
    assert said([quoted, new], []) == frozenset()  # nothing said yet
