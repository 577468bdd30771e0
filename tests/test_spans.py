"""Short answers without a model: which questions get one, what the rules propose, how it is shown."""

import math

import numpy as np
import pytest

from qa.answer import Answer, Citation, asked_of, proposals_of, shorten
from qa.evaluate import span_scores
from qa.features import SPAN_FEATURES
from qa.question import analyse
from qa.sentences import terms
from qa.spans import (
    PROPOSERS,
    Proposal,
    Short,
    Span,
    asked_kind,
    asked_noun,
    best,
    every,
    given,
    names_only,
    noun_key,
    propose,
    question_slot,
    someones,
    squad_words,
)
from qa.tags import tagged
from qa.vocabulary import Vocabulary
from qa.weights import Weights

KELLOGG = "Trump’s special envoy to Ukraine and Russia, retired Lt. Gen. Keith Kellogg, also joined the talks."
RUBIO = ("U.S. Secretary of State Marco Rubio and presidential envoy Steve Witkoff joined other top Ukrainian "
         "and European officials on Thursday with French President Emmanuel Macron.")


def _texts(kind: str, sentence: str) -> list[str]:
    return [sentence[a:b] for a, b in PROPOSERS[kind](sentence)]


@pytest.mark.parametrize("kind, question, asked", [
    ("person", "Who attended?", "person"),
    ("date", "When did the ferry start?", "date"),
    ("place", "Where will the talks continue?", "place"),
    ("number", "How many passengers does it carry?", "number"),
    ("age", "How old is Olav Reitan?", "age"),
    ("quote", "What did the French president call the talks?", "quote"),
    ("other", "Which ship replaced the diesel boat?", "thing"),
    ("reason", "Why was the ferry late?", "reason"),
    ("other", "What happened in Paris?", "action"),
    ("other", "What does Moscow demand?", "thing"),
    ("other", "What did the mayor do?", "action"),
    ("quote", "What did Rubio say?", None),
    ("other", "In what episode did the Doctor regenerate?", "thing"),
    ("other", "The show was recognized by what award?", "thing"),
    ("other", "After the fire, what happened to the lab?", "action"),
    ("other", "How did Luther view Islam?", "manner"),
    ("other", "What for?", None),
    ("other", "What does the title Gur Khan mean?", "thing"),
    ("quote", "What term was used for the first regeneration?", "thing"),
    ("other", "What did Luther think was the only source of knowledge of God?", "thing"),
    ("other", "What did Luther do during Lent at this time?", "action"),
    ("quote", "What did Macron say about Russia?", None),
    ("quote", "How did Luther describe his learning at the university?", "quote"),
    ("other", "What did the ferry's owner want?", None),
    ("other", "What artist provided the woodcuts for Luther's Bible?", "person"),  # a person's noun asks for a name
    ("other", "Which engineer made the induction motor more efficient?", "person"),
    ("other", "What special was created for the anniversary?", "thing"),  # "special" is no one
    ("other", "What omen was Genghis Khan said to have seen?", "thing"),
])
def test_only_questions_asking_for_a_thing_get_a_short_answer(kind, question, asked):
    assert asked_kind(kind, question) == asked


def test_names_lose_their_titles_and_dates_are_no_people():
    assert _texts("person", RUBIO) == ["Marco Rubio", "Steve Witkoff", "Emmanuel Macron"]
    assert "Keith Kellogg" in _texts("person", KELLOGG)


def test_a_place_is_nobody():
    # a name whose first name says he or she, after any titles, is someone, unless a place's noun ends it
    sentence = ("France hosted talks Thursday, the first time since President Donald Trump's inauguration, at "
                "Madison Square Garden.")
    places = [sentence[p.start:p.end] for p in propose("place", ["host", "talk"], [sentence], [1.0])]
    assert "France" in places and "Madison Square Garden" in places
    assert not any("Trump" in p for p in places)
    assert someones("Uncle Silas") and not someones("Victoria Falls") and not someones("Roman Republic")
    # a phrase that ends on someone's name is someone, whatever words lead it
    sentence = ("U.S. Secretary of State Marco Rubio joined officials for hours of meetings at the French "
                "presidential palace.")
    places = [sentence[p.start:p.end] for p in propose("place", ["held", "talk"], [sentence], [1.0])]
    assert "French presidential palace" in places and not any("Rubio" in p for p in places)
    assert not someones("Continental Edison Company")  # named for someone, and a place of work
    # a person's noun before a name says it is someone, whatever the first name ("in Kyiv" was no answer to where)
    assert someones("Associated Press writers Illia Novikov") and someones("spokeswoman Tammy Bruce")
    assert not someones("the river Thames") and not someones("the letter Bertha")


def test_a_title_asked_for_names_no_one_so_the_name_after_it_is_proposed():
    sentence = '"This is one of the worst storms in a decade," Houston Mayor Sylvester Turner told reporters.'
    assert "Sylvester Turner" in _texts("person", sentence)
    people = [sentence[p.start:p.end] for p in propose("person", ["mayor"], [sentence], [1.0])]
    assert "Sylvester Turner" in people  # "mayor" asked is no name of the question's
    # the person is the name after a title inside the run, neither the run nor a phrase around it
    sentence = "CHICAGO (AP) — Chicago Mayor Laura Diaz won a second term on Tuesday."
    assert "Chicago Mayor Laura Diaz" not in _texts("person", sentence)
    people = [sentence[p.start:p.end] for p in propose("person", ["won"], [sentence], [1.0])]
    assert "Laura Diaz" in people and "Chicago Mayor Laura Diaz" not in people
    # "Who is the sheriff?" asks who holds the office, not what the sheriff is, whatever the articles capitalise
    assert not names_only("Who is the sheriff?", ["sheriff"], ["sheriff"])
    assert names_only("Who is Tammy Bruce?", ["tammi", "bruce"], ["Tammy Bruce"])


def test_the_source_a_sentence_closes_on_is_no_answer_unless_the_question_asks_who_said_it():
    sentence = ("Rubio also spoke by phone with his Russian counterpart, Sergey Lavrov, U.S. State Department "
                "spokeswoman Tammy Bruce said in a statement.")
    cited = [Citation(1, "a.txt", "", sentence, sentence, 1.0)]

    def people(question):
        _, proposals = proposals_of(analyse(question), cited)
        return [sentence[p.start:p.end] for p in proposals]

    assert "Sergey Lavrov" in people("Who did Rubio talk to?")
    assert not any("Tammy Bruce" in p for p in people("Who did Rubio talk to?"))
    assert any("Tammy Bruce" in p for p in people("Who said that Rubio spoke with Lavrov?"))
    assert any("Tammy Bruce" in p for p in people("Who is the spokeswoman?"))  # who she is, the closing says


def test_a_place_and_the_larger_one_after_its_comma_are_one_place_but_a_list_is_not():
    assert "Shoreham, Long Island" in _texts("place", "It was built near Shoreham, Long Island.")
    assert "Kyiv, Ukraine" in _texts("place", "Writers in Kyiv, Ukraine, contributed to this report.")
    listed = _texts("place", "It sold in the United Kingdom, Australia, Canada and Japan.")
    assert "United Kingdom" in listed and not any("," in p for p in listed)


def test_a_date_is_no_place():
    sentence = "France hosted high-level talks Thursday to discuss Ukraine."
    assert [sentence[a:b] for a, b in PROPOSERS["place"](sentence)] == ["France", "Ukraine"]


def test_a_time_is_nobody_and_nobody_is_a_time():
    # a month is no first name ("June 11" named someone, which the "someone" feature said of dates)
    assert not someones("June 11, 1962") and not someones("May 1888") and someones("May Smith")
    sentence = "Hours earlier, a strike hit the city of Dnipro on Wednesday night, regional authorities said."
    who = [sentence[p.start:p.end] for p in propose("person", ["hit", "dnipro"], [sentence], [1.0])]
    assert "regional authorities" in who and "Wednesday night" not in who and "Hours" not in who
    # nor is a time a place ("Where is Dnipro?" was answered "Wednesday night")
    where = [sentence[p.start:p.end] for p in propose("place", ["dnipro"], [sentence], [1.0])]
    assert "Wednesday night" not in where and "Hours" not in where and "city" in " ".join(where)
    sentence = "Keith Glennan was sworn in on August 19, 1958, with Hugh Dryden as his deputy."
    when = [sentence[p.start:p.end] for p in propose("date", ["sworn"], [sentence], [1.0])]
    assert "August 19, 1958" in when and not any("Dryden" in w or "Glennan" in w for w in when)


def test_a_phrase_is_not_cut_out_of_the_name_of_someone_the_question_names():
    sentence = "U.S. Secretary of State Marco Rubio and presidential envoy Steve Witkoff joined the talks."
    texts = {sentence[p.start:p.end] for p in propose("person", ["rubio", "talk"], [sentence], [1.0])}
    assert "Steve Witkoff" in texts and not any(t.endswith("Marco") for t in texts)
    # nor are the titles before that name someone else ("Who did Rubio talk to?" was "U.S. Secretary")
    assert not any("Secretary" in t for t in texts)
    # a thing's name may be: "What university donated the land?"
    sentence = "Rice University donated the land for the center."
    texts = {sentence[p.start:p.end] for p in propose("thing", [t for w in ("university", "donated", "land") for t in terms(w)],
                                                         [sentence], [1.0])}
    assert "Rice" in texts


def test_numbers_keep_their_unit_and_dates_stay_whole():
    sentence = "It cost 410 million kroner, opened on March 3, 2024 and carries 300 passengers."
    assert _texts("number", sentence) == ["410 million kroner", "410 million", "300 passengers", "300"]
    assert _texts("date", sentence) == ["March 3, 2024"]
    # a unit is a noun: past a describing word to it, else the number alone
    sentence = "The block reached 265.7 nautical miles, and plants have two main immune responses."
    assert _texts("number", sentence) == ["265.7 nautical miles", "265.7", "two"]
    assert _texts("number", "She won by 12 percentage points, up 5 percent.") == ["12 percentage points", "5 percent"]
    assert _texts("age", "Fisherman Olav Reitan, 58, said the old boat broke down.") == ["58"]


@pytest.mark.parametrize("question, sentence, expansion", [
    ("What does the acronym LEM stand for?", "NASA asked for a Lunar Excursion Module (LEM) design.",
     "Lunar Excursion Module"),
    ("What does TARDIS stand for?", 'He stole a TARDIS – "Time and Relative Dimension in Space" – from Gallifrey.',
     "Time and Relative Dimension in Space"),
    ("What does AC stand for?", "He designed the alternating current (AC) supply system.", "alternating current"),
    ("What does MoD stand for?", "The Ministry of Defence (MoD) said so.", "Ministry of Defence"),
    ("What does NCBI stand for?", "The National Center for Biotechnology Information runs it.",
     "National Center for Biotechnology Information"),
])
def test_what_a_shortening_stands_for_is_the_run_of_words_its_letters_begin(question, sentence, expansion):
    assert asked_of(analyse(question)) == "expansion"
    assert _typed(question, sentence) == [expansion]


def _typed(question: str, sentence: str) -> list[str]:
    """The spans the asked kind's own rule proposes in ``sentence``, not the plain phrases besides."""
    cited = [Citation(1, "a.txt", "", sentence, sentence, 1.0)]
    _, proposals = proposals_of(analyse(question), cited)
    return [sentence[p.start:p.end] for p in proposals if p.features[SPAN_FEATURES.index("typed")]]


@pytest.mark.parametrize("question, sentence, clause", [
    ("Why did the series end in 2011?", "A fifth series was made in 2011, uncompleted due to the death of Elisabeth "
     "Sladen in early 2011.", "the death of Elisabeth Sladen in early 2011"),
    ("Why was Tesla returned to Gospic?", "In 1879, Tesla was returned to Gospić for not having a residence permit.",
     "not having a residence permit"),
    ("Why did Tesla go to Karlovac?", "In 1870, Tesla moved to Karlovac, to attend school at the Gymnasium, where he "
     "met a math teacher.", "attend school at the Gymnasium"),
    ("Why could they not govern cities?", "He could not find them among the Mongols because they were nomads and "
     "thus had no experience.", "they were nomads"),
    ("How did Luther smuggle the nuns out?", "He arranged for them to be smuggled out in herring barrels.",
     "herring barrels"),
    ("How did Tesla attend the university?", "Tesla attended lectures, although, as an auditor, he got no grades.",
     "an auditor"),
    ("What did the Shah do when he was defeated?", "Defeated at Samarkand, the Shah fled to an island.", "fled"),
    ("What happened to his lab?", "His lab was torn down in 1904, and its contents were sold.", "torn down in 1904"),
    ("Why did Hollis concede?", "Hollis conceded because 1,000 votes were counted by 10 p.m. in Cook County.",
     "1,000 votes were counted by 10 p.m. in Cook County"),  # a clause runs on past "1,000" and "p.m."
    ("What did the mayor do?", "The mayor criticised the company for ignoring many repeated warnings from residents "
     "about the state of the pier.", "criticised the company for ignoring many repeated warnings from residents"),
])
def test_why_how_and_what_someone_did_are_answered_by_a_clause(question, sentence, clause):
    typed = _typed(question, sentence)
    assert clause in typed
    assert not any(t.endswith((" the", " about", " of")) for t in typed)  # a clause cut short ends on a word


@pytest.mark.parametrize("question, sentence, option", [
    ("Were Tesla's experiments high-voltage or low-voltage?", "Tesla ran high-voltage experiments.", "high-voltage"),
    ("is it a public or private organization?", "It is a private, nonprofit organization.", "private"),
    ("Was the test a failure or a success?", "Critics called it a failure.", "failure"),
    ("Was the test a failure or a success?", "Nobody knows yet.", None),  # neither said
    ("Was the test a success?", "Critics called it a failure.", None),  # no options offered
    # the second option ends before what is said of either: not "TV" of "with live TV"
    ("Was the footage compatible or incompatible with live TV?", "Live TV could not show it: the footage was "
     "incompatible.", "incompatible"),
])
def test_a_question_offering_two_answers_gets_the_one_the_sentence_holds(question, sentence, option):
    cited = [Citation(1, "a.txt", "", sentence, sentence, 1.0)]
    weights = Weights("m", 0.5, 0.5, np.zeros(1), np.zeros(1), 0.0, 0.5, 0.2, 1.0, span=np.zeros(len(SPAN_FEATURES)))
    short = shorten(analyse(question), cited, weights)
    assert (short.text if short else None) == option


def test_a_range_of_numbers_or_years_is_proposed_besides_its_ends():
    sentence = "Guard cells hold only 8–15 chloroplasts; the winter of 1886/1887 was hard, and it ran from 1963 to 1989."
    assert {"8–15", "8–15 chloroplasts", "8", "15 chloroplasts"} <= set(_texts("number", sentence))
    assert {"1886/1887", "1886", "1963 to 1989", "1989"} <= set(_texts("date", sentence))
    assert not any("1886" in n for n in _texts("number", sentence))  # a year is a date, not a number


def test_centuries_days_of_a_month_eras_and_clock_phrases_are_dates():
    sentence = ("It spread in the 7th and 8th centuries; on the 1st of September, in AD 476, they met at half-past "
                "seven.")
    assert _texts("date", sentence) == ["7th and 8th centuries", "1st of September", "AD 476", "half-past seven"]


def test_a_time_of_day_is_a_date():
    sentence = "He died at 2:45 a.m. on 18 February 1546; the bells rang at noon and again at 6 pm."
    assert _texts("date", sentence) == ["2:45 a.m.", "18 February 1546", "noon", "6 pm"]


def test_a_name_ending_on_the_noun_asked_for_is_not_what_the_question_already_names():
    sentence = "Two of the victims were killed when a tree fell on their car in Harris County, the sheriff said."
    question = "Which county did the tree fall in?"
    q_terms = [t for w in question.split() for t in terms(w)]
    proposals = propose("place", q_terms, [sentence], [1.0], asked_noun(question))
    harris = next(p for p in proposals if sentence[p.start:p.end] == "Harris County")
    assert not given(harris)


def test_the_fitted_choice_leaves_out_what_the_question_already_names():
    sentences = ["Marco Rubio spoke with Sergey Lavrov by phone on Thursday."]
    proposals = propose("person", ["rubio", "spoke", "phone"], sentences, [1.0])
    chosen = best(proposals, np.zeros(len(SPAN_FEATURES)))
    assert chosen is not None and sentences[0][chosen.start:chosen.end] == "Sergey Lavrov"


def test_a_span_is_described_by_the_noun_asked_for_and_its_clause():
    sentence = "Shortly after he arrived, Tesla contracted cholera; he was bedridden for nine months."
    noun = asked_noun("What disease did Tesla contract?")
    proposals = propose("thing", ["diseas", "tesla", "contract"], [sentence], [1.0], asked_noun("What illness?"))
    by_text = {sentence[p.start:p.end]: dict(zip(SPAN_FEATURES, p.features)) for p in proposals}
    assert by_text["cholera"]["clause"] == 1.0 and by_text["cholera"]["after_all"] == 1.0
    assert by_text["nine months"]["clause"] == 0.0  # a semicolon stands between it and "contracted"
    assert noun == frozenset({"diseas"}) and asked_noun("What did Tesla say?") == frozenset()
    sentence = "The disease was cholera, the doctors said."
    near = propose("thing", ["tesla"], [sentence], [1.0], noun)
    typed = {sentence[p.start:p.end]: p.features[SPAN_FEATURES.index("type_near")] for p in near}
    assert typed["cholera"] == 1.0 and typed["doctors"] == 0.0


def test_a_span_before_the_noun_asked_for_or_set_off_after_the_questions_words_is_marked():
    sentence = "A high-gain S-band antenna was used for long-distance communications on the lunar flights."
    noun = asked_noun("What type of antenna was used for communication on the lunar flights?")
    assert noun == frozenset({"antenna"})
    proposals = propose("thing", ["type", "antenna", "communic", "lunar", "flight"], [sentence], [1.0], noun)
    nexts = {sentence[p.start:p.end]: p.features[SPAN_FEATURES.index("type_next")] for p in proposals}
    assert nexts["high-gain S-band"] == 1.0 and nexts["long-distance"] == 0.0
    sentence = "Following his rule of law, the Yassa code, Temujin promised civilians wealth."
    proposals = propose("thing", ["name", "temujin", "law"], [sentence], [1.0])
    apposed = {sentence[p.start:p.end]: p.features[SPAN_FEATURES.index("apposed")] for p in proposals}
    assert apposed["Yassa code"] == 1.0 and apposed["civilians wealth"] == 0.0 and apposed["Temujin"] == 0.0


def test_a_span_ending_on_a_noun_and_one_of_modifiers_only_are_marked():
    sentence = "He lit electric lamps wirelessly, and his writings grew harsher."
    proposals = propose("thing", ["light", "demonstr"], [sentence], [1.0])
    head = {sentence[p.start:p.end]: p.features[SPAN_FEATURES.index("head_noun")] for p in proposals}
    modifiers = {sentence[p.start:p.end]: p.features[SPAN_FEATURES.index("modifiers_only")] for p in proposals}
    assert head["electric lamps"] == 1.0 and modifiers["electric lamps"] == 0.0
    assert head["harsher"] == 0.0 and modifiers["harsher"] == 1.0


def test_a_span_naming_someone_and_one_that_is_a_date_are_marked():
    sentence = ("Alina Polyakova, president of the Center for European Policy Analysis in Washington, called it "
                "important on Thursday.")
    proposals = propose("thing", ["call", "import"], [sentence], [1.0])  # a who-question leaves dates out
    someone = {sentence[p.start:p.end]: p.features[SPAN_FEATURES.index("someone")] for p in proposals}
    date = {sentence[p.start:p.end]: p.features[SPAN_FEATURES.index("date")] for p in proposals}
    assert someone["Alina Polyakova"] == 1.0 and someone["Center for European Policy Analysis"] == 0.0
    assert date["Thursday"] == 1.0 and date["Alina Polyakova"] == 0.0 and someone["Thursday"] == 0.0
    # a person's noun before a name, or set off before it, says it is someone whatever the first name
    sentence = "Rubio spoke by phone Thursday with his Russian counterpart, Sergey Lavrov, and with Paris."
    proposals = propose("thing", ["rubio", "speak"], [sentence], [1.0])
    someone = {sentence[p.start:p.end]: p.features[SPAN_FEATURES.index("someone")] for p in proposals}
    assert someone["Sergey Lavrov"] == 1.0 and someone["Paris"] == 0.0 and someone["Thursday"] == 0.0


def test_the_words_next_to_a_span_and_the_question_words_around_it_are_features():
    sentence = "Rubio met Lavrov in Riyadh on Tuesday, and much later the two delegations flew home to Washington."
    proposals = propose("thing", ["rubio", "riyadh"], [sentence], [1.0], term_weights=[1.0, 3.0])
    feature = {sentence[p.start:p.end]: p.features for p in proposals}
    assert feature["Rubio"][SPAN_FEATURES.index("before:<s>")] == 1.0
    assert feature["Tuesday"][SPAN_FEATURES.index("before:on")] == 1.0
    assert feature["Tuesday"][SPAN_FEATURES.index("after:,")] == 1.0
    assert feature["Washington"][SPAN_FEATURES.index("after:.")] == 1.0
    window = SPAN_FEATURES.index("window")
    assert feature["Lavrov"][window] == 1.0  # Rubio and Riyadh both stand within 8 words
    assert feature["Washington"][window] == 0.0  # both further off
    assert 0.0 < feature["two delegations"][window] < 1.0  # Riyadh (IDF 3 of 4) within 8 words, Rubio not
    assert feature["two delegations"][window] == 0.75
    tag = {t: SPAN_FEATURES.index(t) for t in ("first:CD", "last:NNS", "first:NNP", "last:NNP")}
    assert feature["two delegations"][[tag["first:CD"], tag["last:NNS"]]].tolist() == [1.0, 1.0]
    assert feature["two delegations"][[tag["first:NNP"], tag["last:NNP"]]].tolist() == [0.0, 0.0]
    assert feature["Riyadh"][[tag["first:NNP"], tag["last:NNP"]]].tolist() == [1.0, 1.0]
    sentence = "The talks, in Riyadh, were long."
    feature = {sentence[p.start:p.end]: p.features for p in propose("thing", ["talk"], [sentence], [1.0])}
    assert feature["Riyadh"][SPAN_FEATURES.index("before2:,")] == 1.0  # the word two before it
    assert feature["Riyadh"][SPAN_FEATURES.index("before2:in")] == 0.0


def test_how_rare_a_spans_words_are_in_the_articles_is_a_feature():
    """Something particular ("Collier's Weekly") is told from "one" or "part" by its words' rarity."""
    bodies = ["Tesla spoke to Collier's Weekly about one signal.", "Tesla was one of many.", "Tesla had one idea."]
    vocabulary = Vocabulary((f"Tesla\n{body}", body) for body in bodies)  # (what is indexed, the body)
    assert vocabulary.rarity("zzz") == 1.0 and 0.0 < vocabulary.rarity("tesla") < vocabulary.rarity("week") < 1.0
    sentence = bodies[0]
    feature = {sentence[p.start:p.end]: p.features
               for p in propose("thing", ["magazin"], [sentence], [1.0], rarity=vocabulary.rarity)}
    mean, high, low = (SPAN_FEATURES.index(f"rarity_{x}") for x in ("mean", "max", "min"))
    assert feature["Collier's Weekly"][mean] > feature["one signal"][mean]
    assert feature["one signal"][low] == vocabulary.rarity("one") < feature["one signal"][high]
    without = {sentence[p.start:p.end]: p.features for p in propose("thing", ["magazin"], [sentence], [1.0])}
    assert without["Collier's Weekly"][[mean, high, low]].tolist() == [0.0, 0.0, 0.0]


def test_what_answers_to_the_noun_asked_for_looked_like_is_a_feature():
    """"What company ...?" was answered by names, "What percentage ...?" by numbers: the spans of that shape are
    marked, by the shapes the fit kept for each noun."""
    assert noun_key(asked_noun("What company built the dam?")) == "compani"
    assert noun_key(asked_noun("Who built the dam?")) is None
    sentence = "The dam was built by General Electric for a fee of 40 percent of the toll."
    cap, digits, length = (SPAN_FEATURES.index(f"noun_{x}") for x in ("capitalised", "digits", "length"))

    def features(shape):
        return {sentence[p.start:p.end]: p.features
                for p in propose("thing", ["built", "dam"], [sentence], [1.0], shape=shape)}

    company = features((0.9, 0.05, math.log(3)))  # capitalised, no digit, two words
    assert company["General Electric"][cap] > 0 > company["fee"][cap]
    assert company["General Electric"][digits] > 0 > company["40 percent"][digits]
    assert company["General Electric"][length] > company["fee of 40 percent"][length]
    share = features((0.1, 0.9, math.log(3)))
    assert share["40 percent"][digits] > 0 > share["General Electric"][digits]
    assert all(not f[[cap, digits, length]].any() for f in features(None).values())  # a noun never seen


def test_a_who_question_of_names_asks_for_a_name_unless_it_asks_who_someone_is():
    called = analyse('Who called their system the "Tesla Polyphase System"?')
    assert asked_of(called) == "person"
    assert asked_of(analyse("Who is Tammy Bruce?")) == "role"  # who she is: her role
    assert asked_of(analyse('Who said Tesla had a "distinguished sweetness"?')) == "person"  # a quote is no one


BRUCE = ("Rubio also spoke by phone Thursday with his Russian counterpart, Sergey Lavrov, conveying the same message "
         "he gave the delegations in Paris, U.S. State Department spokeswoman Tammy Bruce said in a statement.")
PARTICIPANTS = ("Other participants included Ukrainian Foreign Minister Andrii Sybiha and Defense Minister Rustem "
                "Umerov, British Foreign Secretary David Lammy, the German government's foreign policy adviser and "
                "German Foreign Ministry's political director.")
POLYAKOVA = ("Alina Polyakova, president of the Center for European Policy Analysis in Washington, called this "
             "\"really, really important.\"")


@pytest.mark.parametrize("sentence, who, roles", [
    (BRUCE, "Tammy Bruce", ["U.S. State Department spokeswoman"]),
    (BRUCE, "Lavrov", ["Russian counterpart"]),  # set off before the name: not "his"
    (RUBIO, "Rubio", ["U.S. Secretary of State"]),
    (RUBIO, "Witkoff", ["presidential envoy"]),  # not joined by "and" to Rubio's
    (KELLOGG, "Kellogg", ["Trump\u2019s special envoy to Ukraine and Russia", "retired Lt. Gen."]),
    (PARTICIPANTS, "Lammy", ["British Foreign Secretary"]),  # a list of people is no one's apposition
    (PARTICIPANTS, "Umerov", ["Defense Minister"]),
    # the role before two names joined by "and" is the second's too
    ("Associated Press writers Illia Novikov and Hanna Arhirova in Kyiv contributed to this report.", "Arhirova",
     ["Associated Press writers"]),
    (POLYAKOVA, "Polyakova", ["president of the Center for European Policy Analysis in Washington"]),
    ("Talks began after President Donald Trump's inauguration.", "Trump", ["President"]),  # an owner has one too
    ("Macron described the talks as an important convergence.", "Macron", []),
    ("Tom, who was tired, sat down.", "Tom", []),
    ("They hold the first patents issued to Tesla in the US.", "Tesla", []),  # the object of "to": no title
    # what someone is said to be, past a bracket
    ("Nikola Tesla (10 July 1856 – 7 January 1943) was a Serbian American inventor, engineer and futurist.",
     "Tesla", ["Serbian American inventor"]),
    ("Smith was a friend of John Adams.", "Smith", ["friend of John Adams"]),
    ("Martin Luther (German: [lʊtɐ] ( listen); 1483 – 1546) was a German professor of theology.", "Luther",
     ["German professor of theology"]),  # a bracket within the bracket
    ("Tom was the first to arrive.", "Tom", []),
    ("Diaz, 54, a former teacher, told supporters at Navy Pier.", "Diaz", ["former teacher"]),  # past an age
    # or made it, without the time it was held
    ("Megan Murphy was appointed editor in November 2016.", "Megan Murphy", ["editor"]),
    ("Lars Vik, who became chief executive last year, said so.", "Lars Vik", ["chief executive"]),
    ("Ole Hansen served as harbour master for ten years.", "Ole Hansen", ["harbour master"]),
    ("Kosanović's secretary Charlotte Muzar transported Tesla's ashes.", "Tesla", []),  # Muzar's, not Tesla's
])
def test_a_persons_role_is_in_the_words_that_name_them(sentence, who, roles):
    assert [sentence[a:b] for a, b in PROPOSERS["role"](sentence, frozenset(terms(who)))] == roles


def test_a_question_about_someones_job_title_or_position_asks_for_their_role():
    for question in ("What is Marco Rubio's job?", "What position does Andrii Sybiha hold?",
                     "What is Tammy Bruce's title?"):
        assert asked_of(analyse(question)) == "role"
    # the role noun frames the question, as "Who is" does: it is in no sentence that gives a role
    assert analyse("What is Tammy Bruce's title?").terms == ("tammi", "bruce")
    # kept aside for the short answer where no sentence gives a role: the noun is then a word of the question
    assert [t for t, _ in analyse("What is Tammy Bruce's title?").framed] == ["titl"]
    assert analyse("What title did the show win?").framed == ()
    assert asked_of(analyse("What title did the show win?")) == "thing"  # nobody named: a thing
    assert "titl" in analyse("What title did the show win?").terms


def test_the_short_answer_to_who_someone_is_is_their_role_else_none():
    weights = Weights("m", 0.5, 0.5, np.zeros(1), np.zeros(1), 0.0, 0.5, 0.2, 1.0,
                      span=np.zeros(len(SPAN_FEATURES)))
    cite = Citation(1, "a.txt", "", BRUCE, BRUCE, 1.0)
    followed = analyse("What is her job?", history=[("Who is Tammy Bruce?", BRUCE + " [1]")])
    assert shorten(followed, [cite], weights).text == "U.S. State Department spokeswoman"
    plain = Citation(1, "a.txt", "", "Tammy Bruce said so.", "Tammy Bruce said so.", 1.0)
    assert shorten(analyse("Who is Tammy Bruce?"), [plain], weights) is None  # no role given: no span
    # "he" is Rubio: who Rubio is, and no other person's name ("U.S. State Department spokeswoman Tammy Bruce")
    pronoun = analyse("Who is he?", history=[("What did Rubio say?", BRUCE + " [1]")])
    assert asked_of(pronoun) == "role"
    assert asked_of(analyse("Who was with him?", history=[("What did Rubio say?", BRUCE + " [1]")])) == "person"
    assert shorten(pronoun, [cite], weights) is None


def test_plain_phrases_are_noun_phrases_that_verbs_and_prepositions_end():
    sentence = "Tesla investigated atmospheric electricity, observing lightning signals via his receivers."
    proposals = propose("thing", ["kind", "electr", "investig"], [sentence], [1.0])
    texts = {sentence[p.start:p.end] for p in proposals}
    assert {"atmospheric", "lightning signals", "receivers"} <= texts  # "electricity" is the question's word
    assert not any(word in text for text in texts for word in ("observing", "via", "his"))
    sentence = "The chloroplast reticulum is a maze of membranous tubes, Hanna Pozniak's team said."
    texts = {sentence[p.start:p.end] for p in propose("thing", ["reticulum"], [sentence], [1.0])}
    assert {"maze of membranous tubes", "membranous tubes", "Hanna Pozniak", "team"} <= texts
    sentence = "His sisters were Angelina and Marica."
    texts = {sentence[p.start:p.end] for p in propose("thing", ["sister"], [sentence], [1.0])}
    assert {"Angelina and Marica", "Angelina", "Marica"} <= texts
    sentence = "Talks would continue in London next week and at the World Cup 2014 venue."
    texts = {sentence[p.start:p.end] for p in propose("thing", ["talk"], [sentence], [1.0])}
    assert {"London", "next week", "World Cup 2014 venue"} <= texts  # a time adverb ends a phrase, a year not
    assert "London next week" not in texts


def test_names_leave_out_an_opening_word_that_names_nothing_and_keep_initials():
    sentence = "Although Grumman wanted more tests, J. P. Morgan financed it; May Smith agreed."
    names = {sentence[p.start:p.end] for p in propose("person", ["test"], [sentence], [1.0])
             if p.features[SPAN_FEATURES.index("typed")]}
    assert names == {"Grumman", "J. P. Morgan", "May Smith"}


def test_a_dateline_is_no_one_and_nothing_asked_for_but_may_be_a_place():
    sentence = "PARIS (AP) — France hosted high-level talks Thursday to discuss Ukraine."

    def spans(asked):
        return {sentence[p.start:p.end] for p in propose(asked, ["host"], [sentence], [1.0])}

    assert "France" in spans("person") and not {"PARIS", "AP"} & (spans("person") | spans("thing"))
    assert "PARIS" in spans("place")


def test_an_abbreviation_keeps_its_last_dot_so_the_question_holding_it_leaves_it_out():
    sentence = "U.S. officials met the U.K. envoy in Washington, D.C. on Monday."
    assert [w for _, _, w, _ in tagged(sentence)][:3] == ["U.S.", "officials", "met"]
    assert {"U.K.", "D.C."} <= set(_texts("place", sentence))
    proposals = propose("person", [t for w in ("represented", "US") for t in terms(w)], [sentence], [1.0])
    assert "U.S." not in {sentence[p.start:p.end] for p in proposals if not given(p)}


def test_a_span_in_the_place_of_the_thing_asked_around_the_questions_verb_is_marked():
    def slots(question, sentence, asked="thing"):
        proposals = propose(asked, [t for w in question.split() for t in terms(w)], [sentence], [1.0],
                            slot=question_slot(question))
        return {sentence[p.start:p.end]: p.features[SPAN_FEATURES.index("slot")] for p in proposals}

    subject = slots("Who killed Begter?", "His brother Khasar killed Begter while the camp slept.", "person")
    assert subject["Khasar"] == 1.0 and subject["camp"] == 0.0
    found = slots("What did Tesla invent?", "In 1887 Tesla invented the induction motor in New York.")
    assert found["induction motor"] == 1.0 and found["New York"] == 0.0
    assert question_slot("Where is Kyiv?") is None  # no verb but "is"
    # after "did" and its subject, a word the lexicon tags a noun may be the verb ("store", "return")
    assert question_slot("What do pyrenoids store?") == ("object", frozenset({"store"}))
    assert question_slot("What did the Apollo 11 crew return to Earth?") == ("object", frozenset({"return"}))
    # an apposition set off by commas stands between a subject and its verb
    apposed = slots("Who called it important?", "Alina Polyakova, president of the Center for European Policy "
                    "Analysis in Washington, called this important.", "person")
    assert apposed["Alina Polyakova"] == 1.0 and apposed["president"] == 0.0
    # a passive clause turns them round: the thing stored before "is stored", the killer after "killed by"
    stored = slots("What do pyrenoids store?", "Starch is stored in the pyrenoids of hornworts.")
    assert stored["Starch"] == 1.0 and stored["hornworts"] == 0.0
    killed = slots("Who killed Begter?", "Begter was killed by his brother Khasar in 1180.", "person")
    assert killed["Khasar"] == 1.0 and killed["Begter"] == 0.0
    # without "was" too, where "by" and the doer follow the verb; "by" and a gerund tell how, not who
    made = slots("Who made early colour videos?", "Colour videotape recordings made off-air by fans were found.",
                 "person")
    assert made["fans"] == 1.0 and made["videotape recordings"] == 0.0
    sold = slots("Who made money?", "Inventors like Tesla made money by selling patents.", "person")
    assert sold["Tesla"] == 1.0
    # what someone wanted, tried or claimed to do is that verb's object; what they used to do something is not
    claimed = slots("What did Tesla claim to perfect?", "He made improvements to the Central Station equipment "
                    "and claimed to have perfected a telephone repeater.")
    assert claimed["telephone repeater"] == 1.0 and claimed["Central Station equipment"] == 0.0
    assert question_slot("What did they use to send animals?") == ("object", frozenset({"use"}))
    # and a question ending on "to" and a verb asks for that verb's object ("remind the peasants to obey?")
    assert question_slot("Who did Luther remind the peasants to obey?") == ("object", frozenset({"remind", "obey"}))
    # after "'s", "his" or an article a word is a noun, not the question's verb
    assert question_slot("On which magazine's cover did Tesla appear?") == ("object", frozenset({"appear"}))
    assert question_slot("When was an extended episode shown?") == ("object", frozenset({"shown"}))
    # "have" is the verb of "How many ... does X have?": the sentence's owning "has" places the thing, not "has been"
    owned = slots("How many membranes does the chloroplast have?", "The chloroplast has four membranes, so it has "
                  "been said that a six membraned one would form.", "number")
    assert owned["four membranes"] == 1.0 and owned["six"] == 0.0


def test_a_phrase_ending_on_a_places_noun_is_a_place_and_a_preposition_may_stand_before_its_article():
    sentence = "They met for hours at the French presidential palace to discuss Ukraine."
    assert [sentence[a:b] for a, b in PROPOSERS["place"](sentence)] == ["Ukraine", "French presidential palace"]
    found = {sentence[p.start:p.end]: p for p in propose("place", ["talk", "held"], [sentence], [1.0])}
    palace = found["French presidential palace"].features
    assert palace[SPAN_FEATURES.index("typed")] == 1.0 and palace[SPAN_FEATURES.index("preposition")] == 1.0
    assert found["Ukraine"].features[SPAN_FEATURES.index("preposition")] == 0.0  # "to discuss Ukraine"


def test_words_are_tagged_by_the_lexicon_and_unknown_ones_by_their_shape():
    sentence = "Zorblatt flibbered 42 quinxes quickly in Kyiv's frumious suburbs."
    found = tagged(sentence)
    assert all(sentence[a:b] == word for a, b, word, _ in found)
    tags = {word: tag for _, _, word, tag in found}
    assert tags["Zorblatt"] == "NNP" and tags["42"] == "CD" and tags["quinxes"] == "NNS"
    assert tags["in"] == "IN" and tags["'s"] == "POS" and tags["quickly"] == "RB" and tags["."] == "."
    sentence = "He took around 100,000 soldiers, 2,500.5 tonnes and 12,34 carts."
    words = [word for _, _, word, _ in tagged(sentence)]
    assert "100,000" in words and "2,500.5" in words and "000" not in words
    assert words[-5:-1] == ["12", ",", "34", "carts"]  # no thousands: two numbers
    proposals = propose("number", ["soldier"], [sentence], [1.0])
    assert "000" not in {sentence[p.start:p.end] for p in proposals}


def test_each_kind_of_span_has_its_own_weights_else_the_common_ones():
    common, dated = np.ones(len(SPAN_FEATURES)), np.full(len(SPAN_FEATURES), 2.0)
    weights = Weights("m", 0.5, 0.5, np.zeros(1), np.zeros(1), 0.0, 0.5, 0.2, 1.0, span=common,
                      span_kinds={"date": dated})
    assert weights.span_for("date") is dated
    assert weights.span_for("person") is common and weights.span_for(None) is common


def test_a_list_gives_each_name_once_in_order():
    sentences = [RUBIO, KELLOGG, "Rubio also spoke with Keith Kellogg later."]
    names = [sentences[p.sentence][p.start:p.end] for p in every(propose("person", ["attend"], sentences,
                                                                             [0.5, 0.3, 0.2]), sentences)]
    assert names == ["Marco Rubio", "Steve Witkoff", "Emmanuel Macron", "Keith Kellogg"]  # not "Trump's"


def test_short_answer_round_trips_and_prints_first():
    citation = Citation(1, "a.txt", "", "It carries 300 passengers.", "It carries 300 passengers.", 1.0)
    answer = Answer("It carries 300 passengers. [1]", True, [citation], "How many?", 0.9,
                    short=Short((Span("300 passengers", 1, 11, 25),)))
    assert str(answer).splitlines()[0] == "300 passengers [1]"
    data = answer.to_dict()
    assert data["short"]["text"] == "300 passengers" and data["short"]["spans"][0]["start"] == 11
    assert Answer.from_dict(data) == answer


def test_squad_scoring():
    assert squad_words("The Nordlys!") == ["nordlys"]
    assert span_scores("the Nordlys", ["Nordlys"]) == (1.0, 1.0)
    assert span_scores("300 passengers", ["300"])[1] == pytest.approx(2 / 3)
    assert span_scores(None, ["300"]) == (0.0, 0.0)


def test_best_takes_the_span_of_highest_expected_f1():
    """Two likely spans that share "Rubio" outweigh one a little likelier alone; without texts, the likeliest."""
    weights = np.zeros(len(SPAN_FEATURES))
    weights[SPAN_FEATURES.index("length")] = 1.0
    texts = ["Lavrov", "Marco Rubio", "Rubio"]
    proposals = []
    for i, score in enumerate((1.0, 0.9, 0.9)):
        features = np.zeros(len(SPAN_FEATURES))
        features[SPAN_FEATURES.index("length")] = score
        proposals.append(Proposal(0, i, i + 1, features))
    assert best(proposals, weights, texts) is proposals[1]
    assert best(proposals, weights) is proposals[0]
    assert best(proposals[:1], weights, texts[:1]) is proposals[0]
