"""Fitting the weights on a small labelled set, with articles held apart (real model)."""

import json

import pytest

from qa.config import Settings
from qa.fit import fit
from qa.weights import read_weights
from tests.conftest import DATA

pytestmark = pytest.mark.model


def test_fit_writes_weights_that_load_and_reports_held_apart_figures(tmp_path, embedder):
    out = tmp_path / "weights.json"
    settings = Settings.resolve(cache_dir=tmp_path / "cache", threads=1)
    squad = DATA / "squad"
    fit([((squad / "articles",), squad / "questions.jsonl")], settings, out, lambda line: None)
    data = json.loads(out.read_text())
    report = data["held_apart"]["squad/questions"]
    # Held apart: each article's questions answered by weights fitted on the other's.
    assert report["answerable"] == 80 and report["answer_accuracy"] >= 0.6, report
    assert report["false_refusals"] <= 0.05 and report["refused"] >= 0.5, report
    # Their gold cut out of the article, questions asked again: on-topic unanswerables, reported apart.
    cut = data["held_apart"]["squad/questions_cut"]
    assert cut["answerable"] == 0 and cut["unanswerable"] >= 20 and cut["refused"] is not None, cut
    assert 0 < data["answerable"]["threshold"] < 1
    assert data["command"].startswith("python -m qa fit")
    # What each feature contributed: every feature, largest effect first.
    effects = data["per_sd"]["sentence"]
    assert set(effects) == set(data["sentence"]["features"])
    assert [abs(v) for v in effects.values()] == sorted((abs(v) for v in effects.values()), reverse=True)
    # The file is one the engine reads: right features, right order.
    assert read_weights(out).threshold == data["answerable"]["threshold"]
    # And the shapes of the answers to each noun asked for, which short answers read.
    assert read_weights(out).span_nouns == {noun: tuple(v) for noun, v in data["span"]["nouns"].items()}
    # The focus margin is fitted on follow-ups: these questions have none, so a follow-up would keep no story.
    assert read_weights(out).focus_margin == data["choose"]["focus_margin"] == 0.0


def test_the_shape_of_the_answers_to_each_noun_is_counted_and_a_rare_noun_leans_to_the_mean():
    from types import SimpleNamespace

    import numpy as np

    from qa.features import SPAN_FEATURES
    from qa.fit import noun_shapes
    from qa.spans import Proposal

    def example(question, best_shape, other_shape):
        rows = np.zeros((2, len(SPAN_FEATURES)))
        for row, (cap, digit, length) in zip(rows, (best_shape, other_shape)):
            row[[SPAN_FEATURES.index(n) for n in ("capitalised", "digits", "length")]] = cap, digit, length
        proposals = [Proposal(0, 0, 1, rows[0]), Proposal(0, 2, 3, rows[1])]
        e = SimpleNamespace(q=SimpleNamespace(searched=question), fold=0)
        return e, "thing", proposals, np.array([1.0, 0.0]), ["best", "other"]

    name, phrase = (1.0, 0.0, 1.1), (0.0, 0.0, 1.6)
    data = [example("What company built it?", name, phrase) for _ in range(6)]
    data += [example("What process made it?", phrase, name) for _ in range(6)]
    data += [example("What artist drew it?", name, phrase), example("Who drew it?", phrase, name)]
    shapes = noun_shapes(data)
    assert set(shapes) == {"compani", "process", "artist"}  # "Who" asks for no noun
    assert shapes["compani"][0] > 0.8 > 0.2 > shapes["process"][0]
    assert 0.5 < shapes["artist"][0] < shapes["compani"][0]  # asked once: pulled towards the mean of all


def test_cutting_the_gold_leaves_a_question_about_its_article_with_no_answer(tmp_path):
    from types import SimpleNamespace

    from qa.articles import parse_article, split_passages
    from qa.evaluate import Item
    from qa.fit import cut_rounds

    text = ("The ferry opened in 1896. It carries 300 passengers. The crossing takes 35 minutes. "
            "Fog closes it twice a year. The captain is Ada Berg. Storms delayed the tests twice. "
            "The fare is ten kroner. Children ride free. The boat is electric. It was built in Gdansk.\n")
    path = tmp_path / "ferry.txt"
    path.write_text(text, encoding="utf-8")
    passages = split_passages(parse_article("ferry.txt", text.encode()), lambda t: len(t.split()) + 2, 256, 200)
    full = SimpleNamespace(corpus=SimpleNamespace(files={"ferry.txt": path}, passages=passages))
    items = [Item("a", "When did it open?", True, any=["1896"]), Item("b", "How many passengers?", True, any=["300"]),
             Item("c", "What does it do twice?", True, any=["twice"]),  # in two sentences: both are cut
             Item("d", "What is it?", True, any=["the"])]  # in most sentences: cutting them all guts the article
    rounds = cut_rounds(items, ["ferry.txt"] * 4, full)
    cut = {item.id: dict(corpus)["ferry.txt"] for corpus, batch in rounds.items() for item, _ in batch}
    assert set(cut) == {"a", "b", "c"}
    for item in items[:3]:
        assert not item.holds_some(cut[item.id])  # the answer is gone
        assert "The boat is electric." in cut[item.id]  # the rest of the article is not
    assert all(len(corpus_text) > len(text) * 0.7 for corpus_text in cut.values())  # at most a fifth cut


def test_a_weights_file_edited_after_fitting_is_refused(tmp_path):
    """The shipped weights carry their checksum; a hand edit that keeps the file valid JSON is not used silently."""
    from qa.weights import WeightsError, file_for

    shipped = file_for("all-MiniLM-L6-v2")
    assert read_weights(shipped).threshold > 0  # the shipped file checks out
    data = json.loads(shipped.read_text())
    data["answerable"]["threshold"] = 0.9  # still valid JSON, still the right features
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data, indent=1))
    with pytest.raises(WeightsError, match="does not match its checksum"):
        read_weights(edited)
    del data["checksum"]
    edited.write_text(json.dumps(data, indent=1))
    with pytest.raises(WeightsError, match="does not match its checksum"):
        read_weights(edited)
