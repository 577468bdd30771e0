"""Conversations without a model: the forms a turn comes in, and the articles a follow-up searches first."""

from dataclasses import replace

import pytest

from qa.answer import Answer, Citation
from qa.conversation import Focus, Turn, focus, turns


def _citation(n, article):
    return Citation(n=n, article=article, section="", text="t", sentence="t", score=0.5)


def test_every_form_of_a_turn_reads_alike():
    answer = Answer("Yermak wrote. [1] He met Rubio. [2]", True, [_citation(1, "a.txt"), _citation(2, "b.txt")],
                    "Who is Yermak?", 0.4)
    expected = Turn("Who is Yermak?", answer.text, ("a.txt", "b.txt"), sure=0.4)  # how sure it was goes with it
    assert turns([answer]) == [expected]
    assert turns([answer.to_dict()]) == [expected]
    assert turns([("Who is Yermak?", answer.text, ["a.txt", "b.txt"])]) == [replace(expected, sure=1.0)]
    assert turns([["Who is Yermak?", answer.text]]) == [Turn("Who is Yermak?", answer.text, ())]
    assert turns(None) == []


@pytest.mark.parametrize("bad", ["a string", [("only a question",)], [("q", "a", "not a list")], [42], [{"x": 1}]])
def test_a_turn_in_no_known_form_is_a_type_error_naming_the_forms(bad):
    with pytest.raises(TypeError, match=r"\(question, answer_text\) pairs, \(question, answer_text, cited_articles\)"):
        turns(bad)


def test_focus_is_the_latest_answered_turn_then_the_earlier_ones():
    history = [Turn("q1", "a1", ("a.txt",)), Turn("q2", "a2", ("b.txt", "a.txt")),
               Turn("q3", "The articles don't say.", ("c.txt",), answered=False)]
    found = focus(history)
    assert found.latest == {"b.txt", "a.txt"} and found.earlier == set()  # a refusal's closest passages are no focus
    assert focus(history[:1] + [Turn("q2", "It opened. [1]", ("b.txt",))]) == Focus(
        frozenset({"b.txt"}), frozenset({"a.txt"}), ("It opened.",))  # and the sentences it quoted
    assert not focus([Turn("q", "a")]) and not focus([])
    assert focus([Turn("q1", "a1", ("a.txt",)), Turn("q2", "a2", ("b.txt",), sure=0.3)]).sure == 0.3  # the latest's
