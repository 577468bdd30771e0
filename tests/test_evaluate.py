"""Reading labelled questions and judging answers (no model)."""

import json

from qa.evaluate import read_items


def test_labels_in_both_forms_and_none_of(tmp_path):
    path = tmp_path / "q.jsonl"
    rows = [
        {"id": "a", "question": "Who attended?", "min_of": [["Rubio", "Lammy", "Kellogg"], 2],
         "none_of": ["Polyakova"], "answerable": True},
        {"question": "Where next?", "answers": ["London"], "impossible": False},
        {"question": "Capital of Peru?", "answerable": False},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    listed, where, peru = read_items(path)
    assert listed.right_answer("Rubio and Lammy joined.")
    assert not listed.right_answer("Rubio and Lammy joined; Polyakova commented.")  # none_of
    assert not listed.right_answer("Rubio joined.")  # min_of not met
    assert listed.holds_some("Kellogg")  # a sentence of a longer answer
    assert where.right_answer("They meet in London next week.") and where.answerable
    assert not peru.answerable


def test_whole_conversations_reach_back_to_the_first_turn():
    from qa.evaluate import Item, whole_conversations

    items = [
        Item("c1_t01", "How did Duane awake", True, article="a.txt"),
        Item("c1_t02", "who was he thankful to", True, history=["How did Duane awake"], article="a.txt"),
        # t03 was a yes/no question, left out of the labels but kept in the next history
        Item("c1_t04", "for what?", True, article="a.txt",
             history=["How did Duane awake", "who was he thankful to", "Was he tired"]),
        Item("c1_t05", "when?", True, article="a.txt", history=["who was he thankful to", "Was he tired", "for what?"]),
        Item("c2_t01", "Who won?", True, article="b.txt"),
        Item("c3_t02", "Why?", True, article="b.txt", history=["Who lost?"]),  # no overlap: a new conversation
    ]
    whole = whole_conversations(items)
    assert whole[3].history == ["How did Duane awake", "who was he thankful to", "Was he tired", "for what?"]
    assert whole[4].history == [] and whole[5].history == ["Who lost?"]
    assert [w.question for w in whole] == [i.question for i in items]
