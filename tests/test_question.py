"""Question analysis without a model: normalising, focus, kinds, typo repair, named things."""

import pytest

from qa.articles import parse_article, split_passages
from qa.kinds import evidence, related, speaks
from qa.names import named_things, paired_otherwise
from qa.normalise import focus, normalise
from qa.question import analyse, kind_of
from qa.typos import slips
from qa.vocabulary import Vocabulary
from tests.conftest import SEED


@pytest.fixture(scope="module")
def vocabulary():
    article = parse_article(SEED.name, SEED.read_bytes())
    passages = split_passages(article, lambda t: len(t.split()) + 2, 256, 160)
    return Vocabulary((f"{p.title}\n{p.embed_text}", p.text) for p in passages)


@pytest.mark.parametrize(
    "typed, clean",
    [
        ("<b>Who</b> is **Lammy**?", "Who is Lammy?"),
        ("WHO ATTENDED THE TALKS", "who attended the talks"),
        ("Who   is\tthere?\u200b", "Who is there?"),
        ("see [the story](https://example.com/x) now", "see the story now"),
        ("What did \u201cRubio\u201d say\u2019s", 'What did "Rubio" say\'s'),
        ("whos lammy", "who's lammy"),
        ("Whats the next step, dont they know", "What's the next step, don't they know"),
        ("What is its name", "What is its name"),  # "its" is a word, not "it's"
        ("Who were there", "Who were there"),  # and "were" is not "we're"
    ],
)
def test_normalise(typed, clean):
    assert normalise(typed) == clean


@pytest.mark.parametrize(
    "typed, asked",
    [
        ("quick question: how many countries are in the coalition?", "how many countries are in the coalition?"),
        ("hey, who is Lammy?", "who is Lammy?"),
        ("I was wondering, where will the talks continue?", "where will the talks continue?"),
        ("can you tell me what Rubio wrote", "what Rubio wrote"),
        ("I read about the Elysee. It was long. Which city hosts the next round?", "Which city hosts the next round?"),
        ("The outside of the CM was covered in what kind of material?",
         "The outside of the CM was covered in what kind of material?"),
        ("i read somewhere that there were talks in paris last week about the war, and i'd like to know who "
         "represented britain there?", "who represented britain there?"),
        ("Since he didn't believe that salvation was acquired through good deeds, how was it achieved?",
         "Since he didn't believe that salvation was acquired through good deeds, how was it achieved?"),
        ("Who is the envoy, and were they at the talks?", "Who is the envoy, and were they at the talks?"),
        ("Who met in Paris last week to talk about the war in Ukraine, and what did they agree?",
         "Who met in Paris last week to talk about the war in Ukraine, and what did they agree?"),
    ],
)
def test_focus_drops_lead_ins_and_preambles(typed, asked):
    assert focus(typed) == asked


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Who attended the talks?", "person"),
        ("attendees?", "person"),
        ("Which Briton was at the talks?", "person"),
        ("How many countries joined?", "number"),
        ("How old is Olav Reitan?", "age"),
        ("Where will the talks continue?", "place"),
        ("In which city is the next round?", "place"),
        ("When was Dnipro hit?", "date"),
        ("In what years did the show run?", "date"),
        ("The motor was licensed by whom?", "person"),
        ("What did Yermak write?", "quote"),
        ("What word did the French leader use for the talks?", "quote"),
        ("Why did the talks stall?", "reason"),
        ("What is the ferry called?", "other"),
    ],
)
def test_kinds(question, kind):
    assert kind_of(question) == kind


def test_list_questions(vocabulary):
    for question in ("Who attended?", "attendees?", "Name everyone who took part in the Paris talks.",
                     "Which officials took part?", "who else was there"):
        assert analyse(question, vocabulary).is_list, question
    assert not analyse("Who is Lammy?", vocabulary).is_list


def test_being_there_asks_about_attending_only_of_people(vocabulary):
    assert "attend" in analyse("who was there?", vocabulary).terms
    assert "attend" in analyse("Who were present at the talks?", vocabulary).terms
    assert "attend" not in analyse("What did Luther insist was present in the bread?", vocabulary).terms


def test_an_age_is_what_how_old_asks_for():
    assert evidence("age", "Fisherman Olav Reitan, 58, said the old boat broke down.") == 1.0
    assert evidence("age", "Rubio and Witkoff met for three hours with 40 officials.") == 0.0


def test_time_evidence_prefers_the_dated_event():
    dated = "Hours earlier, a missile hit the Ukrainian city of Dnipro on Wednesday night, killing three people."
    vague = "Russian forces are preparing to launch a fresh military offensive in the coming weeks."
    assert evidence("date", dated, past=True) > evidence("date", vague, past=True)


def test_typos_are_repaired_against_the_articles(vocabulary):
    q = analyse("who atended the tlaks", vocabulary)
    assert q.searched == "who attended the talks"
    assert ("tlaks", "talks") in q.repaired and not q.absent


def test_term_statistics_counted_in_parts_and_added_are_those_counted_at_once():
    """What a store that counts only the articles it lacks relies on; typo repair must not depend on the order."""
    article = parse_article(SEED.name, SEED.read_bytes())
    texts = [(f"{p.title}\n{p.embed_text}", p.text) for p in split_passages(article, lambda t: len(t.split()) + 2, 256, 160)]
    whole = Vocabulary(texts)
    for cut in (1, len(texts) // 2):
        added = Vocabulary(texts[cut:])
        added.add(Vocabulary(texts[:cut]))  # the later passages counted first
        assert added.state() == whole.state() and added.docs == whole.docs[cut:] + whole.docs[:cut]
        assert added.words_near_length(5, 1) == whole.words_near_length(5, 1)
        assert analyse("who atended the tlaks", added) == analyse("who atended the tlaks", whole)


def test_real_words_and_missing_names_are_not_repaired(vocabulary):
    assert analyse("what's the weather in Paris", vocabulary).repaired == ()
    q = analyse("What did Angela Merkel say about the talks?", vocabulary)
    assert q.absent == ("Angela Merkel",) and q.repaired == ()
    assert analyse("What did Xi say?", vocabulary).absent == ("Xi",)


def test_a_word_two_slips_from_english_alone_is_left_as_typed(vocabulary):
    # "bitcoin" is in no English list we ship: two slips from "bitching", a word the articles don't use
    q = analyse("What is the price of bitcoin?", vocabulary)
    assert q.repaired == () and "bitcoin" in q.searched
    assert analyse("Who atended the talks?", vocabulary).searched == "Who attended the talks?"  # one slip still is


def test_a_person_the_articles_know_by_surname_alone_is_not_absent():
    text = "On Friday Putin spoke. Later Putin left, and President Donald Trump stayed."
    words = Vocabulary([(text, text)])
    assert analyse("Who is Vladimir Putin?", words).absent == ()  # the articles say only "Putin"
    assert analyse("What did Vladimir Putin say?", words).absent == ()
    assert analyse("Who is Angela Merkel?", words).absent == ("Angela Merkel",)  # no surname held
    assert analyse("What is Vladimir Putin's favourite colour?", words).absent == ("Vladimir Putin",)  # of a thing
    # whether "Melania Trump" is the "Donald Trump" of the articles, the sentences say
    assert paired_otherwise("President Donald Trump stayed.", "Melania Trump")
    assert not paired_otherwise("The Trump administration said so.", "Melania Trump")
    assert not paired_otherwise("French President Macron spoke.", "Emmanuel Macron")


def test_typo_repair_takes_a_word_whole_whatever_its_letters(vocabulary):
    # "Sybih" before "á" was repaired on its own: "Sybihaá" (conv-dev's "Ruaidhrí" became "Ruaidhrií")
    assert analyse("Who is Sybihá?", vocabulary).searched in ("Who is Sybihá?", "Who is Sybiha?")


def test_only_a_name_typed_in_the_question_gates_it(vocabulary):
    earlier = [("What did Angela Merkel say about the talks?", "The articles don't say.")]
    q = analyse("What did she say about Russia?", vocabulary, earlier)
    assert "Angela Merkel" in q.searched and q.absent == ()  # the pronoun's name was typed before, not now
    assert analyse("And what did Angela Merkel say?", vocabulary, earlier).absent == ("Angela Merkel",)


def test_an_abbreviation_and_a_name_of_any_letters_are_one_name():
    assert named_things("How many terms did he serve in the U.S House?") == ("U.S House",)
    assert named_things("When was Łódź Voivodeship created?") == ("Łódź Voivodeship",)


def test_a_misspelt_name_of_the_articles_is_found(vocabulary):
    q = analyse("What did Polyakva say?", vocabulary)
    assert not q.absent and "Polyakova" in q.searched


@pytest.mark.parametrize(
    "question",
    ["Which Briton was at the talks?", "What did the Ukrainians want?", "Who from the U.S. joined?",
     "<b>Who</b> is **Lammy**?", "WHO IS LAMMY", "Who are the Lammys?", "What does CEPA stand for?"],
)
def test_named_things_forgive_surface_form(vocabulary, question):
    assert analyse(question, vocabulary).absent == ()


def test_a_preamble_never_causes_a_refusal(vocabulary):
    q = analyse("I saw coverage from the Elysee and Brussels this morning. Which city hosts the next round?",
                vocabulary)
    assert q.absent == () and "Elysee" not in q.searched


def test_follow_ups_are_read_against_the_question_before(vocabulary):
    q = analyse("What did he write?", vocabulary, [("Who is Andrii Yermak?", "...")])
    assert q.query == q.searched == "What did Andrii Yermak write?" and q.previous == "Who is Andrii Yermak?"
    assert q.terms == ("write",) and "yermak" in q.context_terms  # whom "he" is weighs as context
    q = analyse("And the Germans?", vocabulary, [("Who attended the talks?", "...")])
    assert q.kind == "person" and q.is_list
    assert analyse("Where is Dnipro?", vocabulary, [("Who is Andrii Yermak?", "...")]).query == "Where is Dnipro?"


def test_slips_weigh_common_typos_less():
    assert slips("atended", "attended") < slips("atended", "amended")
    assert slips("tlaks", "talks") == 1.0


@pytest.mark.parametrize("sentence, names, expected", [
    ('"We are ready," said Foreign Minister Andrii Sybiha.', ["Andrii Sybiha"], True),  # past a title
    ("Rubio's spokesman later told reporters the talks went well.", ["Marco Rubio"], True),  # "'s", 3 words on
    ("RUBIO TOLD REPORTERS THE TALKS WENT WELL.", ["Rubio"], True),  # any case
    ("Polyakova suggested the talks failed because Putin does not want a ceasefire.", ["Putin"], False),
    ("The Caspiane, named after the tribe, said nothing.", ["Caspian"], False),  # not the word on its own
    ("Rubio met Lavrov in Riyadh on Tuesday.", ["Rubio"], False),  # no speech
    ("İnönü said the port had reopened.", ["İsmet İnönü"], True),  # lower case that moves offsets ("İ": "i̇")
    # past a phrase set off by commas
    ('Alina Polyakova, president of the Center for European Policy Analysis, called this "important."',
     ["Polyakova"], True),
    # "States" of "the United States" states nothing
    ('"President Trump and the United States want this war to end," the statement says.', ["Trump"], False),
])
def test_speaks_finds_the_name_beside_a_speech_verb(sentence, names, expected):
    assert speaks(sentence, names) is expected


def test_taking_place_frames_an_event_and_holding_one_is_hosting_it():
    assert analyse("When did the talks take place?").terms == ("talk",)
    assert "host" in related("hold")
