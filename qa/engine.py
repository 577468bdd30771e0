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
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from embeddings.model import Embedder, ModelLoadError, load_embedder

from .answer import Answer, absent_words, analyse, compose, score_sentences
from .articles import SUFFIXES, Passage, parse_article
from .config import Settings
from .corpus import UPLOADS, ArticleInfo, Corpus, Progress, open_corpus, store_folder
from .errors import ArticleError, ModelUnavailable, QuestionError
from .retrieve import Retriever, contextual_query

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

    def __init__(self, settings: Settings, progress: Progress | None = None, embedder: Embedder | None = None):
        self.settings = settings
        self.embedder = embedder or load_model(settings)
        self._write_lock = threading.Lock()
        self._state = self._open(progress)

    def _open(self, progress: Progress | None) -> _State:
        corpus = open_corpus(self.settings, self.embedder, progress)
        retriever = Retriever(corpus.passages, corpus.store, self.settings.dense_weight, self.settings.lexical_weight)
        for warning in corpus.warnings:
            log.warning("%s", warning)
        return _State(corpus, retriever)

    @property
    def corpus(self) -> Corpus:
        return self._state.corpus

    @property
    def articles(self) -> list[ArticleInfo]:
        return list(self._state.corpus.articles)

    @property
    def warnings(self) -> list[str]:
        return list(self._state.corpus.warnings)

    def ask(self, question: str, history: History | None = None, k: int | None = None) -> Answer:
        """Answer ``question`` from the articles, with numbered citations.

        ``history`` holds earlier (question, answer text) pairs so follow-ups
        ("What did he write?") know who "he" is. Raises QuestionError for an
        empty or over-long question.
        """
        state = self._state
        question, query, vector, hits = self._retrieve(state, question, history, k)
        q = analyse(question, query)
        candidates = score_sentences(
            q, hits, state.corpus.passages,
            lambda row: state.corpus.sentence_vectors(row) @ vector,
            state.retriever.idf,
        )
        absent = absent_words(q, state.retriever.knows)
        s = self.settings
        return compose(q, candidates, absent, s.min_confidence, s.keep_ratio, s.max_sentences, s.max_list_sentences)

    def search(self, question: str, history: History | None = None, k: int | None = None) -> list[tuple[Passage, float]]:
        """The passages ``ask`` would answer from, best first, with their fused scores."""
        state = self._state
        _, _, _, hits = self._retrieve(state, question, history, k)
        return [(state.corpus.passages[h.row], h.score) for h in hits]

    def _retrieve(self, state: _State, question: object, history: object, k: int | None):
        """Checked question, retrieval query, its vector, and the hits."""
        question = self.check_question(question)
        pairs = _check_history(history)
        k = self.settings.top_k if k is None else int(k)
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        query = contextual_query(question, pairs)
        vector = self.embedder.encode_query(query)
        return question, query, vector, state.retriever.search(query, vector, k)

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

