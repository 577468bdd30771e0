"""The engine: one loaded corpus, model and retriever that every surface asks.

``Engine.ask`` checks the question, rewrites follow-ups, retrieves, and
composes the answer; ``Engine.add_article`` stores an uploaded article beside
the cache and re-indexes incrementally. Answers read an immutable snapshot, so
questions asked while an upload is indexed are answered from the previous
corpus. Leaves out: formatting for a terminal or a page (the surfaces do it).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from embeddings.model import Embedder, ModelLoadError, load_embedder

from .answer import Answer, Candidate, answerability, compose, rank, sentence_features
from .articles import SUFFIXES, Passage, parse_article
from .config import Settings
from .corpus import UPLOADS, ArticleInfo, Corpus, Progress, open_corpus, store_folder
from .errors import ArticleError, ModelUnavailable, QuestionError
from .question import Question, analyse
from .retrieve import Hit, Retriever
from .weights import Weights, load_weights

log = logging.getLogger(__name__)

History = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class _State:
    corpus: Corpus
    retriever: Retriever


def load_model(settings: Settings) -> Embedder:
    """The settings' embedding model, loaded once per process; ModelUnavailable if it cannot be."""
    try:
        return load_embedder(settings.model, settings.thread_count, settings.backend, settings.cache_dir)
    except ModelLoadError as exc:
        raise ModelUnavailable(str(exc)) from exc


class Engine:
    """Question answering over one set of articles."""

    def __init__(self, settings: Settings, progress: Progress | None = None, embedder: Embedder | None = None,
                 weights: Weights | None = None):
        self.settings = settings
        self.embedder = embedder or load_model(settings)
        self.weights: Weights = weights or load_weights(self.embedder.name)
        self._write_lock = threading.Lock()
        self._state = self._open(progress)

    def _open(self, progress: Progress | None) -> _State:
        corpus = open_corpus(self.settings, self.embedder, progress)
        retriever = Retriever(corpus.passages, corpus.store, self.weights.dense_weight, self.weights.lexical_weight)
        for warning in corpus.warnings:
            log.warning("%s", warning)
        return _State(corpus, retriever)

    @property
    def corpus(self) -> Corpus:
        return self._state.corpus

    @property
    def retriever(self) -> Retriever:
        """The current corpus's retriever (its vocabulary and term statistics too)."""
        return self._state.retriever

    @property
    def articles(self) -> list[ArticleInfo]:
        return list(self._state.corpus.articles)

    @property
    def warnings(self) -> list[str]:
        return list(self._state.corpus.warnings)

    def ask(self, question: str, history: History | None = None, k: int | None = None,
            timings: dict[str, float] | None = None) -> Answer:
        """Answer ``question`` from the articles, with numbered citations.

        ``history`` holds earlier (question, answer text) pairs so follow-ups
        ("What did he write?") know who "he" is. ``timings``, when given, gets
        the seconds each stage took (analyse, embed, retrieve, score, compose).
        Raises QuestionError for an empty or over-long question.
        """
        clock = _Clock(timings)
        state = self._state
        q, candidates = self._candidates(state, question, history, k, clock)
        vocabulary = state.retriever.vocabulary
        sure = answerability(q, candidates, vocabulary, self.weights)
        threshold = self.weights.threshold if self.settings.threshold is None else self.settings.threshold
        s = self.settings
        answer = compose(q, candidates, sure, threshold, self.weights, s.max_sentences, s.max_list_sentences)
        clock.mark("compose")
        return answer

    def search(self, question: str, history: History | None = None, k: int | None = None) -> list[tuple[Passage, float]]:
        """The passages ``ask`` answers from, best first, each with its best sentence's score."""
        _, candidates = self._candidates(self._state, question, history, k, _Clock(None))
        best: dict[int, tuple[Passage, float]] = {}
        for c in candidates:
            best.setdefault(c.hit.row, (c.passage, c.score))
        return list(best.values())

    def analyse(self, question: str, history: History | None = None) -> Question:
        """How the engine reads ``question``: normalised, focused, repaired, its kind and names."""
        return analyse(self.check_question(question), self._state.retriever.vocabulary, _check_history(history))

    def examine(self, question: str, history: History | None = None) -> tuple[Question, np.ndarray, list[Hit]]:
        """The analysed question, its vector, and every passage retrieval proposes (fused, best first).

        What fitting the weights reads (``python -m qa fit``); answering uses
        the first ``settings.candidates`` of these hits.
        """
        state = self._state
        q = analyse(self.check_question(question), state.retriever.vocabulary, _check_history(history))
        vector = self.embedder.encode_query(q.query)
        return q, vector, state.retriever.search(q.search_terms, vector, None)

    def _candidates(self, state: _State, question: object, history: object, k: int | None,
                    clock: "_Clock") -> tuple[Question, list[Candidate]]:
        """The analysed question and the scored sentences of its ``k`` best passages, best first.

        Retrieval hands over more passages than answered from
        (``settings.candidates``); their best sentences re-rank them.
        """
        question = self.check_question(question)
        pairs = _check_history(history)
        k = self.settings.top_k if k is None else int(k)
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        q = analyse(question, state.retriever.vocabulary, pairs)
        clock.mark("analyse")
        vector = self.embedder.encode_query(q.query)
        clock.mark("embed")
        hits = state.retriever.search(q.search_terms, vector, max(k, self.settings.candidates))
        clock.mark("retrieve")
        rows, matrix = sentence_features(
            q, hits, state.corpus.passages,
            lambda row: state.corpus.sentence_vectors(row) @ vector,
            state.retriever.vocabulary, state.retriever.sentence_scale(vector),
        )
        candidates = rank(rows, matrix, self.weights, k)
        clock.mark("score")
        return q, candidates

    def check_question(self, question: object) -> str:
        """The question stripped, or QuestionError saying what is wrong with it."""
        if not isinstance(question, str):
            raise QuestionError(f"the question must be text, not {type(question).__name__}")
        question = " ".join(question.split())
        if not question:
            raise QuestionError("the question is empty: type a question about the articles")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise QuestionError(f"the question is {len(question):,} characters long; the limit is {limit:,}")
        return question

    def add_article(self, name: str, data: bytes, progress: Progress | None = None) -> ArticleInfo:
        """Add an uploaded article to this corpus and index it; nothing changes if it is bad.

        The file is checked and parsed before anything is written; it is kept
        in the cache folder's ``uploads/`` so it is there on the next start.
        """
        name = _safe_name(name)
        if Path(name).suffix.lower() not in SUFFIXES:
            raise ArticleError(f"{name}: only {', '.join(SUFFIXES)} files can be added")
        parse_article(name, data, self.settings.max_article_bytes)  # raises before any write
        with self._write_lock:
            if any(a.name == name and not a.uploaded for a in self.articles):
                raise ArticleError(f"{name} is already one of the loaded articles; rename the file")
            uploads = store_folder(self.settings) / UPLOADS
            uploads.mkdir(parents=True, exist_ok=True)
            target = uploads / name
            previous = target.read_bytes() if target.exists() else None
            fd, tmp = tempfile.mkstemp(dir=uploads, prefix=".upload-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
            try:
                self._state = self._open(progress)
            except Exception:
                if previous is None:
                    target.unlink(missing_ok=True)
                else:
                    target.write_bytes(previous)
                raise
        return next(a for a in self.articles if a.name == name)


class _Clock:
    """Stage timings for ``Engine.ask``'s ``timings`` hook; does nothing without one."""

    def __init__(self, timings: dict[str, float] | None):
        self.timings = timings
        self.last = time.perf_counter() if timings is not None else 0.0

    def mark(self, stage: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
            self.last = now


def _safe_name(name: str) -> str:
    """A plain file name from an upload's name: no folders, no hidden files."""
    base = Path(str(name)).name.strip()
    base = re.sub(r"[^\w.\- ]+", "_", base).lstrip(".")
    if not base:
        raise ArticleError("the uploaded file has no usable name")
    return base


def _check_history(history: object) -> list[tuple[str, str]]:
    """History as (question, answer) pairs; TypeError for anything else."""
    if history is None:
        return []
    pairs = []
    for item in history:  # type: ignore[union-attr]
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError("history must be a list of (question, answer_text) pairs")
        pairs.append((str(item[0] or ""), str(item[1] or "")))
    return pairs

