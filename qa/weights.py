"""Fitted weights: the numbers answering learns from labelled questions, read from a data file.

Each embedding model has its own small JSON file in ``qa/weights/`` (written by
``python -m qa fit``, with what it was fitted on and how it did on articles
held apart). A model without its own file gets the default model's weights,
with a one-line warning: its cosines are on another scale, so refit for it.
Leaves out: the fitting itself (``fit.py``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from embeddings.model import DEFAULT_MODEL

from .features import ANSWERABILITY_TERMS, SENTENCE_FEATURES, SPAN_FEATURES, NounShape
from .folders import model_slug

log = logging.getLogger(__name__)

FOLDER = Path(__file__).resolve().parent / "weights"
FORMAT = 1


class WeightsError(ValueError):
    """A weights file that does not fit this code: refit it."""


@dataclass(frozen=True)
class Weights:
    """Fusion, sentence, answerability and selection numbers for one embedding model."""

    model: str
    dense_weight: float
    lexical_weight: float
    sentence: np.ndarray  # one weight per ``features.SENTENCE_FEATURES``
    answerable: np.ndarray  # one weight per ``features.ANSWERABILITY_TERMS``
    answerable_bias: float
    threshold: float  # refuse below this answerability
    keep_share: float  # a further sentence joins the answer with at least this share (``answer.shares``)
    list_margin: float  # a sentence naming people joins a list within this score of the best
    path: Path | None = None
    focus_margin: float = 0.0  # added to the score of a sentence of the latest answer's article: a follow-up leaves it
    # only for a sentence elsewhere that scores this much better
    span: np.ndarray = field(default_factory=lambda: np.zeros(len(SPAN_FEATURES)))  # per ``SPAN_FEATURES``
    span_kinds: dict[str, np.ndarray] = field(default_factory=dict)  # the same for one kind of span asked for
    span_nouns: dict[str, NounShape] = field(default_factory=dict)  # what answers to each asked noun looked like

    def span_for(self, kind: str | None) -> np.ndarray:
        """The span weights for a kind of span asked for (``spans.PROPOSERS``): its own, else the common ones."""
        return self.span_kinds.get(kind or "", self.span)

    def __hash__(self) -> int:
        return hash((self.model, str(self.path)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Weights) and (self.model, self.path) == (other.model, other.path)


def checksum(data: dict) -> str:
    """The SHA-256 of a weights file's content without its ``checksum`` (keys sorted, compact JSON)."""
    body = {k: v for k, v in data.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def sealed(data: dict) -> dict:
    """``data`` with its checksum, as ``python -m qa fit`` writes it: an edit that keeps valid JSON is caught."""
    return {**{k: v for k, v in data.items() if k != "checksum"}, "checksum": checksum(data)}


def file_for(model: str) -> Path:
    """The weights file of a model name or path."""
    return FOLDER / f"{model_slug(model)}.json"


@lru_cache(maxsize=8)
def load_weights(model: str = DEFAULT_MODEL) -> Weights:
    """The fitted weights for ``model``; the default model's (with a warning) when it has none."""
    path = file_for(model)
    if not path.exists():
        path = file_for(DEFAULT_MODEL)
        log.warning("no fitted weights for model %s: using %s's (refit with `python -m qa fit --model ...`)",
                    model, DEFAULT_MODEL)
    return read_weights(path)


def read_weights(path: Path, lenient: bool = False) -> Weights:
    """A weights file, checked against the features this code computes; WeightsError if it does not fit.

    ``lenient``: a file fitted on other features is read by feature name, a
    feature it lacks weighing 0 (what a refit after adding features starts
    from: its conversations' earlier turns are answered with these).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WeightsError(f"cannot read fitted weights {path}: {exc}") from exc
    if data.get("format") != FORMAT and not lenient:
        raise WeightsError(f"{path} has format {data.get('format')!r}, this code reads {FORMAT}: refit it")
    if not lenient and data.get("checksum") != checksum(data):
        raise WeightsError(f"{path} does not match its checksum: it was changed after it was fitted; "
                           "restore it or refit with `python -m qa fit`")
    sentence, answerable = data["sentence"], data["answerable"]
    span = data.get("span") or {"features": [], "weights": []}
    if "span" not in data and not lenient:
        raise WeightsError(f"{path} has no short-answer weights: refit it")
    vectors = []
    for part, names in ((sentence, SENTENCE_FEATURES), (answerable, ANSWERABILITY_TERMS), (span, SPAN_FEATURES)):
        if list(part["features"]) != list(names) and not lenient:
            raise WeightsError(f"{path} was fitted on other features than this code computes: refit it")
        vectors.append(_by_name(part["features"], part["weights"], names))
    kinds = {kind: _by_name(span["features"], values, SPAN_FEATURES) for kind, values in (span.get("kinds") or {}).items()}
    return Weights(
        model=data["model"],
        dense_weight=float(data["fusion"]["dense"]),
        lexical_weight=float(data["fusion"]["lexical"]),
        sentence=vectors[0],
        answerable=vectors[1],
        answerable_bias=float(answerable["bias"]),
        threshold=float(answerable["threshold"]),
        keep_share=float(data["choose"]["keep_share"]),
        list_margin=float(data["choose"]["list_margin"]),
        path=Path(path),
        focus_margin=float(data["choose"].get("focus_margin", 0.0)),
        span=vectors[2],
        span_kinds=kinds,
        span_nouns={noun: (float(a), float(b), float(c)) for noun, (a, b, c) in (span.get("nouns") or {}).items()},
    )


def _by_name(fitted: list[str], values: list[float], names: tuple[str, ...]) -> np.ndarray:
    """Fitted values in the order of ``names`` (a name not fitted weighs 0)."""
    by_name = dict(zip(fitted, values))
    return np.array([float(by_name.get(name, 0.0)) for name in names], dtype=np.float64)
