"""Follow-ups read against the turns before them, without a model."""

import pytest

from qa.question import analyse
from qa.references import read
from qa.vocabulary import Vocabulary

YERMAK = ("Who is Andrii Yermak?", "Ukraine's presidential adviser, Andrii Yermak, wrote on X. [1]")


@pytest.mark.parametrize("question, earlier, read_as", [
    ("What did he write?", [YERMAK], "What did Andrii Yermak write?"),
    ("What did her statement say?", [("Who is Tammy Bruce?", "Spokeswoman Tammy Bruce said. [1]")],
     "What did Tammy Bruce's statement say?"),
    ("And what did he say about Russia?", [("What did Macron say?", "")], "And what did Macron say about Russia?"),
    ("Who developed it?", [("What is InChI?", "")], "Who developed InChI?"),
    ("Why?", [("Did Kevin Ware play?", "")], "Why did Kevin Ware play?"),
    ("by whom?", [("When are they detained?", "")], "by whom are they detained?"),
    ("What about?", [("Who did Rubio speak to by phone?", "")], "What about did Rubio speak to by phone?"),
    ("And the Germans?", [("What did the French say?", "")], "What did the Germans say?"),
    # a capital that opens the question is no name: "Anything else?" puts no "Anything else" in its place
    ("Anything else?", [("Did Schwarzenegger do anything besides acting?", "")], "Anything else?"),
    ("Any other characters?", [("Does Mrs. Shelby have a daughter?", "")], "Any other characters?"),
    ("Germans?", [("What did the French say?", "")], "What did the Germans say?"),
    # a who-question's answer is whom "she" means next
    ("Who notified her of this?", [("Who had a love affair?", "Mrs. Wingfield had a love affair. [1]")],
     "Who notified Mrs. Wingfield of this?"),
    # ... and a place before its titles is none of the name ("Chicago Mayor Laura Diaz" is Laura Diaz)
    ("Who did she defeat?", [("Who won the election?", "CHICAGO (AP) -- Chicago Mayor Laura Diaz won a second term "
                                                       "on Tuesday, defeating Mark Hollis, officials said. [1]")],
     "Who did Laura Diaz defeat?"),
    # a chain: "for what?" asks the question before, as it was read
    ("for what?", [("How did Duane awake", "He woke early. [1]"), ("who was he thankful to", "To Euchre. [1]")],
     "for what was Duane thankful to?"),
    # "she" and "it" in one question are two: beside her, "it" is no one's name, else left as it is
    ("Where did he put it?", [("What did Weisstein write about the ICTP?", "")], "Where did Weisstein put ICTP?"),
    ("How did she gaze at it?", [("What did Edith show Leo?", "")], "How did Edith gaze at it?"),
    # what an answer quotes is words said, not a name: the speaker is whom "he" means
    ("Who was he talking to?", [("Who knocked?", '"There! I forgot to knock again," said Tom to his aunt. [1]')],
     "Who was Tom talking to?"),
    ("When did she arrive?", [("Who spoke first?", "\u201cThat is well,\u201d said Mrs. Hale. [1]")],
     "When did Mrs. Hale arrive?"),
    ("Who was there to greet him?", [("Who came in?", "'That is well,' murmured the Doctor. [1]")],
     "Who was there to greet Doctor?"),
    # "she" and "he" in one question are two people: the other is the person before, or stays "he"
    ("What did she tell him?", [("What did Marco Rubio say?", ""), ("Who is Tammy Bruce?", "")],
     "What did Tammy Bruce tell Marco Rubio?"),
    ("What did she tell him?", [("Who is Tammy Bruce?", "")], "What did Tammy Bruce tell him?"),
    # a pronoun before any name the question gives points back into the conversation, at no one it names
    ("What does she think about Putin?", [("Who is Alina Polyakova?", "")],
     "What does Alina Polyakova think about Putin?"),
    ("Where does she work?", [("Who is Alina Polyakova?", ""), ("What does she think about Putin?", "")],
     "Where does Alina Polyakova work?"),
    # "she" is no one whose title or first name says "he", nor the surname of such a one
    ("What did she say?", [("Who is Tammy Bruce?", ""), ("What did Marco Rubio say?", "")],
     "What did Tammy Bruce say?"),
    ("What did she say?", [("Who is Tammy Bruce?", ""), ("Who is Marco Rubio?", ""), ("What did Rubio say?", "")],
     "What did Tammy Bruce say?"),
    ("Where did he find her?", [("Who is Mrs. Shelby?", ""), ("Who is Tom?", "")], "Where did Tom find Mrs. Shelby?"),
    ("Who gave her a talk?", [("Who is Mrs. Shelby?", "")], "Who gave Mrs. Shelby a talk?"),  # before "a": no owner
    ("What did he say?", [("Who is Tammy Bruce?", "")], "What did he say?"),  # no man yet: left as it is
    # "he" acts on "him": two people, never one ("himself"); the second is the man before, or stays "him"
    ("What did he tell him to grab?", [("Who is Sam?", ""), ("Who is Dick?", "")], "What did Dick tell Sam to grab?"),
    ("What did he say to him?", [("Who is Earl?", "")], "What did Earl say to him?"),
    ("What will he do if he tries?", [("Who is Dale?", "")], "What will Dale do if Dale tries?"),
    ("What was his name?", [("What did the U.S. do?", "")], "What was his name?"),  # "U.S." is no one
    # "it" is no one whose first name says "he" or "she": left as it is, or the thing named before
    ("Who wanted it?", [("Where did Tommy hide the key?", "")], "Who wanted it?"),
    ("Who wanted it?", [("What is the ICTP?", ""), ("Where did Tommy hide the key?", "")], "Who wanted ICTP?"),
    # a city is no one: "she" after a question about Kyiv is still Polyakova ("Sydney" may be a person)
    ("Where does she work?", [("Who is Alina Polyakova?", ""), ("What's the weather in Kyiv?", "")],
     "Where does Alina Polyakova work?"),
    ("What did he say?", [("Who did New York hire?", "")], "What did he say?"),
    # a name led or ended by a common noun ("Hotel Cosmopolis") is a thing, not whom "she" means
    ("What was she doing?", [("Where did Mabel stay?", ""), ("When did Hotel Cosmopolis open?", "")],
     "What was Mabel doing?"),
    ("What was he doing there?", [("Who is Marco Rubio?", ""), ("What did the Red Army do?", "")],
     "What was Marco Rubio doing there?"),  # ended by one too: "Red Army"
    # the asking words and a noun ask that noun of the question before, in place of the noun it asked for
    ("In what year?", [("When did the war start?", "")], "In what year did the war start?"),
    ("How many prisoners?", [("How many soldiers died?", "")], "How many prisoners died?"),
    ("at what time?", [("What floor of the building were they on?", "")], "at what time were they on?"),
    ("What year was it?", [("When did the war start?", "")], "What year was it?"),  # a verb: a question of its own
    # an answer's person is a name, not the title before it ("U.S. Secretary of State Marco Rubio")
    ("What is his job?", [("Who attended the talks?", "U.S. Secretary of State Marco Rubio and envoy Steve Witkoff "
                                                      "joined them. [1]")], "What is Marco Rubio's job?"),
    # one a question has speak is someone, not "it"; one spoken of is not ("was Granada described")
    ("Who called it important?", [("What did Yermak say about it?", "")], "Who called it important?"),
    ("How was it described?", [("Was Granada described as happy?", "")], "How was Granada described?"),
    # a place said of is no one: "he" is still whom the answer named
    ("What else did he say?", [("Who said Russia is using the attacks?", "Ukrainian officials said so. [1]")],
     "What else did he say?"),
    # after "who did it?", an elliptical question asks it of whom the answer named (not of "who"'s place)
    ("How?", [("Who is related to the Captain?", "It is Jack Harvey, his nephew. [1]")],
     "How is Jack Harvey related to the Captain?"),
    ("with whom?", [("who was negotiating?", "It was Kate Smith. [1]")], "with whom was Kate Smith negotiating?"),
    ("Why?", [("Who had a love affair?", "Mrs. Wingfield had a love affair. [1]")],
     "Why Mrs. Wingfield had a love affair?"),  # "had" before no participle is the verb
    ("who else?", [("Who had a love affair?", "Mrs. Wingfield had a love affair. [1]")], "who else had a love affair?"),
    ("When?", [("Who did Rubio speak with?", "Rubio spoke by phone with his counterpart, Sergey Lavrov. [1]")],
     "When did Rubio speak with Sergey Lavrov?"),
    ("When?", [("Who did the ranking?", "Geneva did. [1]")], "When did the ranking?"),  # "did" is its verb
    ("When?", [("Who visited him?", "On the 19th of June General Eliott visited him. [1]")],
     "When General Eliott visited him?"),  # a month before a title is no name's
    # a month is no one: "he" is whom the answer named
    ("Who did he tell?", [("Who thought July 2nd would be celebrated?", "It was John Adams. [1]")],
     "Who did John Adams tell?"),
    # a surname that an answer gave in full, with a man's first name, is no "she"
    ("How old is she?", [("Who won?", "Mayor Laura Diaz won, defeating Mark Hollis. [1]"),
                         ("Why did Hollis lose?", "Mayor Laura Diaz won, defeating Mark Hollis. [1]")],
     "How old is Laura Diaz?"),
    # what someone is the mayor of is not who answered
    ("What did he say?", [("Who criticised the company?", "The mayor of Stord, Lars Vik, criticised it. [1]")],
     "What did Lars Vik say?"),
])
def test_references_take_their_subject_from_the_turns_before(question, earlier, read_as):
    assert read(question, earlier).text == read_as


def test_a_thing_named_with_an_article_is_no_one():
    # a who-question's answer: "The Assembly" is chaired by someone, and "an Answer" is a chapter's title
    earlier = [("Who is president?", "The Assembly is chaired by Idriss D\u00e9by, President of Chad. [1]")]
    assert read("How long has he had that job?", earlier).text == "How long has Idriss D\u00e9by had that job?"
    earlier = [("Who else might it have been?", "Containing an Answer to the Love Letter. [1]")]
    assert read("What position was he lying in?", earlier).text == "What position was he lying in?"
    earlier = [("Who came in?", "'That is well,' murmured the Doctor. [1]")]
    assert read("Who greeted him?", earlier).text == "Who greeted Doctor?"  # a title may take one


def test_an_ordinal_is_no_name():
    # the articles write "St." capitalised: the "st" of "1st" is still no thing "it" may stand for
    words = Vocabulary([("", "They sailed to St. Louis, then to St. Paul.")])
    assert words.is_name("st")
    earlier = [("What was the 1st thing Tom did?", "He looked at his trap. [1]")]
    assert read("Where was it?", earlier, words).text == "Where was it?"


def test_a_first_question_and_one_naming_its_own_person_keep_their_pronouns():
    assert read("What did he write?").text == "What did he write?"
    assert read("What did Rubio tell him?", [YERMAK]).text == "What did Rubio tell him?"
    assert read("Did Rubio say he would stay?", [YERMAK]).text == "Did Rubio say he would stay?"


def test_the_reading_is_what_is_searched_and_shown():
    q = analyse("What did he write?", history=[YERMAK])
    assert q.searched == "What did Andrii Yermak write?" and q.names == ("Andrii Yermak",)
    assert "yermak" in q.context_terms and "yermak" not in q.terms
    assert q.previous == "Who is Andrii Yermak?"
