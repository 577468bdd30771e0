"""The engine: one loaded corpus, model and retriever that every surface asks.

``Engine.ask`` checks the question and the conversation's history,
rewrites follow-ups, retrieves, and composes the answer;
``Engine.add_article`` stores an uploaded article beside the cache and
re-indexes incrementally. An engine may belong to an owner (a browser): it
then reads the base articles plus that owner's uploads, and nothing of
anyone else's (not their text, not their vocabulary). Answers read an
immutable snapshot, so questions asked while an upload is indexed are
answered from the previous corpus. Leaves out: formatting for a terminal or
a page (the surfaces do it), the per-browser bookkeeping (``browsers.py``).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from embeddings.files import cache_lock
from embeddings.model import Embedder, ModelLoadError, load_embedder

from .answer import Answer, Candidate, answerability, compose, rank, sentence_features
from .articles import SUFFIXES, Article, Passage, parse_article, read_article
from .config import Settings
from .corpus import ArticleInfo, Corpus, Progress, open_corpus, store_folder, upload_files, upload_folder
from .errors import ArticleError, ModelUnavailable, QuestionError
from .question import Question, analyse
from .retrieve import Hit, Retriever
from .uploads import check_room, safe_name, undo_upload, write_upload
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
        return load_embedder(settings.model, settings.thread_count, settings.backend, settings.cache_dir,
                             settings.precision)
    except ModelLoadError as exc:
        raise ModelUnavailable(str(exc)) from exc


_opened_before = False


def _keep_out_of_collection() -> None:
    """Keep a loaded corpus out of the garbage collector's full passes (a million objects at 100k passages),
    which otherwise land in the middle of answering: freeze them. The loader froze its objects already, so a
    cold start walks none of them; a later load (a reload, a browser's own engine) collects everything first,
    so the cyclic garbage of loads before (a few thousand objects each) is freed, not kept frozen for good."""
    global _opened_before
    if _opened_before:
        gc.unfreeze()
        gc.collect()
    gc.freeze()
    _opened_before = True


class Engine:
    """Question answering over one set of articles."""

    def __init__(self, settings: Settings, progress: Progress | None = None, embedder: Embedder | None = None,
                 weights: Weights | None = None, *, owner: str | None = None, donor: "Engine | None" = None):
        """Load (or build) the corpus. ``weights``: the fitted weights (default: the model's own file);
        ``owner``: also read that browser's uploads, into its own store; ``donor``: the base engine,
        whose vectors are reused and whose snapshot is shared while the owner has no uploads.
        """
        self.settings = settings
        self.embedder = embedder or (donor.embedder if donor is not None else load_model(settings))
        self.weights: Weights = weights or (donor.weights if donor is not None else load_weights(self.embedder.name))
        self.owner = owner
        self._donor = donor
        self._write_lock = threading.Lock()
        if donor is not None and not upload_files(upload_folder(settings, owner)):
            self._state = donor._state  # nothing of its own yet: the same articles, no copy
        else:
            self._state = self._open(progress)

    def _open(self, progress: Progress | None, indexer: Embedder | None = None) -> _State:
        donor = self._donor.corpus.store if self._donor is not None else None
        corpus = open_corpus(self.settings, indexer or self.embedder, progress, self.owner, donor)
        retriever = Retriever(corpus.store, self.weights.dense_weight, self.weights.lexical_weight)
        for warning in corpus.warnings:
            log.warning("%s", warning)
        _keep_out_of_collection()
        return _State(corpus, retriever)

    def reload(self, progress: Progress | None = None) -> None:
        """Read the articles again (files added or removed on disk); questions meanwhile use the old snapshot."""
        with self._write_lock:
            self._state = self._open(progress)

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

    def article(self, name: str) -> Article:
        """The whole repaired article called ``name``, as answers cite it; ArticleError once it is gone."""
        path = self.corpus.files.get(name)
        if path is None or not path.is_file():
            raise ArticleError(f"{name} is no longer among the articles")
        return read_article(path, self.settings.max_article_bytes)

    def ask(self, question: str, history: History | None = None, k: int | None = None,
            timings: dict[str, float] | None = None, only: Iterable[str] | None = None) -> Answer:
        """Answer ``question`` from the articles, with numbered citations.

        ``history`` holds earlier (question, answer text) pairs so follow-ups
        ("What did he write?") know who "he" is. ``timings``, when given, gets
        the seconds each stage took (analyse, embed, retrieve, score, compose).
        ``only``: the names of the articles to answer from (as ``articles``
        lists them; None or empty: all). Raises QuestionError for an empty or
        over-long question, ArticleError for a name no article has.
        """
        clock = _Clock(timings)
        state = self._state
        q, candidates = self._candidates(state, question, history, k, clock, only)
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
        return analyse(self.check_question(question), self._state.retriever.vocabulary, self.check_history(history))

    def examine(self, question: str, history: History | None = None) -> tuple[Question, np.ndarray, list[Hit]]:
        """The analysed question, its vector, and every passage retrieval proposes (fused, best first).

        What fitting the weights reads (``python -m qa fit``); answering uses
        the first ``settings.candidates`` of these hits.
        """
        q = self.analyse(question, history)
        vector = self.embedder.encode_query(q.query)
        return q, vector, self.retriever.search(q.search_terms, vector, None)

    def _candidates(self, state: _State, question: object, history: object, k: int | None,
                    clock: "_Clock", only: Iterable[str] | None = None) -> tuple[Question, list[Candidate]]:
        """The analysed question and the scored sentences of its ``k`` best passages, best first.

        Retrieval hands over more passages than answered from
        (``settings.candidates``); their best sentences re-rank them. With
        ``only``, the passages of other articles are left out (retrieval then
        looks at every passage when the best ones are elsewhere).
        """
        question = self.check_question(question)
        pairs = self.check_history(history)
        chosen = self.check_only(only, state)
        k = self.settings.top_k if k is None else int(k)
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        q = analyse(question, state.retriever.vocabulary, pairs)
        clock.mark("analyse")
        vector = self.embedder.encode_query(q.query)
        clock.mark("embed")
        wanted = max(k, self.settings.candidates)
        hits = state.retriever.search(q.search_terms, vector, wanted)
        if chosen is not None:
            inside = np.zeros(state.corpus.store.size, dtype=bool)  # by row: no passage is read to filter
            for name in chosen:
                a, b = state.corpus.store.manifest["articles"][name]["rows"]
                inside[a:b] = True
            hits = [h for h in hits if inside[h.row]]
            if len(hits) < wanted:  # the best passages were elsewhere: look at every one
                every = state.retriever.search(q.search_terms, vector, state.corpus.store.size)
                hits = [h for h in every if inside[h.row]][:wanted]
        clock.mark("retrieve")
        wanted_rows = list(dict.fromkeys(h.row for h in hits))  # one read from the store for all of them
        state.corpus.store.prefetch([r + d for r in wanted_rows for d in (-1, 0, 1)])  # scoring reads neighbours
        cosines = _cosines(state.corpus.store.sentence_vectors(wanted_rows), vector)
        rows, matrix = sentence_features(
            q, hits, state.corpus.passages,
            dict(zip(wanted_rows, cosines)).__getitem__,
            state.retriever.vocabulary, state.retriever.sentence_scale(vector), state.corpus.store.sentence_facts,
        )
        candidates = rank(rows, matrix, self.weights, k)
        clock.mark("score")
        return q, candidates

    def check_only(self, only: Iterable[str] | None, state: "_State | None" = None) -> frozenset[str] | None:
        """The article names a question is restricted to (None: all), or ArticleError naming an unknown one."""
        if only is None or isinstance(only, str):
            only = [only] if isinstance(only, str) else None
        names = frozenset(str(n) for n in only or () if str(n).strip())
        if not names:
            return None
        known = {a.name for a in (state or self._state).corpus.articles}
        unknown = sorted(names - known)
        if unknown:
            raise ArticleError(f"no article is called {', '.join(unknown)}; the articles are: "
                               f"{', '.join(sorted(known))}")
        return names

    def check_question(self, question: object) -> str:
        """The question stripped, or QuestionError saying what is wrong with it."""
        if not isinstance(question, str):
            raise QuestionError(f"the question must be text, not {type(question).__name__}")
        # Bytes that were not text (a terminal's invalid UTF-8 arrives as lone surrogates) become "?".
        question = " ".join(question.encode("utf-8", "replace").decode("utf-8").split())
        if not question:
            raise QuestionError("the question is empty: type a question about the articles")
        if not any(c.isalnum() for c in question):
            raise QuestionError("the question has no words to search for: type a question about the articles")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise QuestionError(f"the question is {len(question):,} characters long; the limit is {limit:,}")
        return question

    def check_history(self, history: object) -> list[tuple[str, str]]:
        """History as (question, answer text) pairs, checked like the question.

        TypeError when it is not a list of pairs; QuestionError past the
        settings' limits (``max_history_turns``, ``max_history_chars``): pass
        only the latest turns (``recent_history`` picks them).
        """
        if history is None:
            return []
        if isinstance(history, (str, bytes, dict)) or not hasattr(history, "__iter__"):
            raise TypeError("history must be a list of (question, answer_text) pairs")
        s = self.settings
        pairs: list[tuple[str, str]] = []
        chars = 0
        for item in history:  # type: ignore[union-attr]
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise TypeError("history must be a list of (question, answer_text) pairs")
            if len(pairs) == s.max_history_turns:
                turns = len(history) if hasattr(history, "__len__") else f"more than {s.max_history_turns}"
                raise QuestionError(f"the conversation history has {turns} turns; the limit is "
                                    f"{s.max_history_turns}: pass only the latest turns")
            pair = (_text(item[0]), _text(item[1]))
            chars += len(pair[0]) + len(pair[1])
            if chars > s.max_history_chars:
                raise QuestionError(f"the conversation history is over the limit of {s.max_history_chars:,} "
                                    f"characters: pass only the latest turns")
            pairs.append(pair)
        return pairs

    def recent_history(self, history: History | None) -> list[tuple[str, str]]:
        """The latest turns of a conversation that fit the history limits: what a surface passes to ``ask``."""
        s = self.settings
        kept: list[tuple[str, str]] = []
        chars = 0
        for question, answer in reversed(list(history or [])[-s.max_history_turns:]):
            chars += len(question) + len(answer)
            if chars > s.max_history_chars:
                break
            kept.append((question, answer))
        return kept[::-1]

    def add_article(self, name: str, data: bytes, progress: Progress | None = None,
                    owner: str | None = None, indexer: Embedder | None = None) -> ArticleInfo:
        """Add an uploaded article to this corpus and index it; nothing changes if it is bad.

        The file is checked and parsed before anything is written, and kept in
        ``owner``'s upload folder (default: this engine's owner; None: the
        shared uploads) so it is there on the next start. The same name
        replaces only the owner's own file; a name another article already has
        is refused, as is an upload past the limits. ``indexer``: the model
        copy that embeds it (default: the engine's). Raises ArticleError.
        """
        owner = self.owner if owner is None else owner
        if self.owner is not None and owner != self.owner:
            raise ValueError(f"this engine reads the uploads of {self.owner!r}, not of {owner!r}")
        name = safe_name(name)
        if Path(name).suffix.lower() not in SUFFIXES:
            raise ArticleError(f"{name}: only {', '.join(SUFFIXES)} files can be added")
        parse_article(name, data, self.settings.max_article_bytes)  # raises before any write
        with self._write_lock, cache_lock(store_folder(self.settings, owner)):
            own = upload_folder(self.settings, owner) / name
            taken = next((a for a in self.articles if a.name == name), None)
            if taken is not None and not own.is_file():
                where = "an uploaded article" if taken.uploaded else "one of the articles in the folder"
                raise ArticleError(f"{name} is already the name of {where}; rename your file")
            check_room(self.settings, owner, name, len(data))
            previous = write_upload(self.settings, owner, name, data)
            try:
                self._state = self._open(progress, indexer)
            except Exception:
                undo_upload(self.settings, owner, name, previous)
                raise
        files = self.corpus.files
        return next(a for a in self.articles if files.get(a.name) == own)


    def remove_article(self, name: str, owner: str | None = None) -> None:
        """Remove ``owner``'s uploaded article ``name`` (default owner: this engine's) and re-index.

        Only an owner's own uploads can be removed: ArticleError for any other
        name. Nothing changes if re-indexing fails.
        """
        owner = self.owner if owner is None else owner
        if self.owner is not None and owner != self.owner:
            raise ValueError(f"this engine reads the uploads of {self.owner!r}, not of {owner!r}")
        name = str(name)
        with self._write_lock, cache_lock(store_folder(self.settings, owner)):
            path = upload_folder(self.settings, owner) / name
            if Path(name).name != name or name.startswith(".") or not path.is_file():
                raise ArticleError(f"{name} is not one of your uploads: only those can be removed")
            previous = path.read_bytes()
            path.unlink()
            try:
                self._state = self._open(None)
            except Exception:
                undo_upload(self.settings, owner, name, previous)
                raise

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


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value or "")


def _cosines(groups: list[np.ndarray], vector: np.ndarray) -> list[np.ndarray]:
    """Each group's cosines to ``vector``, from one product (groups of unit vectors: one per passage)."""
    if not groups:
        return []
    every = np.concatenate(groups) @ vector
    return np.split(every, np.cumsum([len(g) for g in groups])[:-1])
