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
