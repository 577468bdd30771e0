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
