"""Answer composition without a model: markers, citations, refusals, question kinds."""

import re

import numpy as np
import pytest

from qa.answer import Answer, absent_words, analyse, compose, kind_fit, score_sentences
from qa.articles import parse_article, split_passages
from qa.retrieve import Hit, contextual_query

TEXT = (
    "Harbour news\n\n"
    "The new ferry to Skalholt starts in May. It carries 300 passengers.\n\n"
    "Captain Ada Berg and engineer Tom Lind will run the first crossing.\n\n"
    "Weather\n\n"
    "Storms delayed the tests twice this winter."
).encode()


@pytest.fixture(scope="module")
def passages():
    article = parse_article("harbour.txt", TEXT)
    return split_passages(article, lambda t: len(t.split()) + 2, 256, 12)


def _answer(passages, question, min_confidence=0.3):
    q = analyse(question)
    hits = [Hit(i, 1.0 - 0.1 * i, 0.5, 1.0) for i in range(len(passages))]
    vocabulary = {t for p in passages for t in __import__("qa.sentences").sentences.terms(p.embed_text)}
    cands = score_sentences(q, hits, passages, lambda row: np.zeros(len(passages[row].sentences)), lambda t: 1.0)
    return compose(q, cands, absent_words(q, vocabulary.__contains__), min_confidence)


def test_every_marker_has_a_verbatim_citation(passages):
    answer = _answer(passages, "How many passengers does the ferry carry?")
    assert answer.answered
    assert "300 passengers" in answer.text
    markers = [int(m) for m in re.findall(r"\[(\d+)\]", answer.text)]
    assert markers and sorted(markers) == [c.n for c in answer.citations]
    for c in answer.citations:
        assert c.sentence in c.text and c.text[c.sentence_start:].startswith(c.sentence)


def test_number_question_prefers_a_sentence_with_a_number(passages):
    answer = _answer(passages, "How many passengers?")
    assert "300" in answer.text


def test_unknown_name_is_refused_with_closest_passages(passages):
    answer = _answer(passages, "When does the ferry to Reykjavik start?")
    assert not answer.answered
    assert "Reykjavik" in answer.text and answer.text.startswith("The articles don't say")
    assert answer.citations and "[" not in answer.text


def test_low_confidence_is_refused(passages):
    answer = _answer(passages, "Which bakery sells rye bread?", min_confidence=0.5)
    assert not answer.answered


def test_who_list_gathers_names(passages):
    answer = _answer(passages, "Who will run the first crossing?")
    assert "Ada Berg" in answer.text and "Tom Lind" in answer.text


def test_str_and_dict(passages):
    answer = _answer(passages, "How many passengers does the ferry carry?")
    shown = str(answer)
    assert shown.startswith(answer.text) and "Sources:" in shown and "[1] Harbour news" in shown
    data = answer.to_dict()
    assert data["answered"] is True and data["citations"][0]["n"] == 1
    assert set(data) >= {"text", "answered", "citations"}
    assert set(data["citations"][0]) >= {"n", "article", "section", "text", "sentence", "score"}


def test_no_candidates_is_a_refusal():
    answer = compose(analyse("Anything?"), [], [], 0.5)
    assert isinstance(answer, Answer) and not answer.answered


@pytest.mark.parametrize(
    "question, kind, is_list",
    [
        ("Who attended the talks?", "person", True),
        ("How many countries joined?", "number", False),
        ("Where will the talks continue?", "place", False),
        ("When was Dnipro hit?", "date", False),
        ("What did Yermak write?", "quote", False),
        ("Which British official joined the talks?", "person", False),
        ("Why did the talks stall?", "reason", False),
        ("What is the ferry called?", "other", False),
    ],
)
def test_question_kinds(question, kind, is_list):
    q = analyse(question)
    assert (q.kind, q.is_list) == (kind, is_list)


def test_kind_fit():
    assert kind_fit("number", "Around 30 countries") == 1.0
    assert kind_fit("number", "Macron spoke with him twice") == 1.0
    assert kind_fit("date", "on Wednesday night") == 1.0
    assert kind_fit("person", "Marco Rubio and Steve Witkoff met") == 1.0
    assert kind_fit("number", "no figures here") == 0.0


def test_absent_words():
    known = {"talk", "rubio", "macron"}.__contains__
    assert absent_words(analyse("What is the capital of Peru?"), known)[0] == "Peru"
    assert absent_words(analyse("How old is Rubio?"), known) == ["old"]
    # Who-questions ask about people in other words: "attended" is not a reason to refuse.
    assert absent_words(analyse("Who attended the talks?"), known) == []
    # Frame words say nothing about coverage.
    assert absent_words(analyse("What happened to Macron?"), known) == []


def test_follow_up_query_carries_the_previous_question():
    history = [("Who is Andrii Yermak?", "Andrii Yermak is ... [1]")]
    assert "Yermak" in contextual_query("What did he write?", history)
    assert contextual_query("Where is Dnipro?", history) == "Where is Dnipro?"
    assert contextual_query("What did he write?", None) == "What did he write?"
