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
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from embeddings.files import cache_lock
from embeddings.model import Embedder, ModelLoadError, load_embedder

from . import checks
from .answer import Answer, compose
from .articles import SUFFIXES, Article, Passage, check_passages, parse_article, read_article
from .config import Settings, store_kind
from .conversation import Focus, Turn, TurnLike, focus
from .corpus import ArticleInfo, Corpus, open_corpus, open_overlay
from .errors import ArticleError, ModelUnavailable
from .folders import store_folder, upload_files, upload_folder
from .ingest_steps import Progress
from .question import Question, analyse
from .retrieve import Hit, Leaning, Retriever, with_focus
from .scoring import Candidate, Retrieved, answerability, rank, sentence_features
from .uploads import check_room, safe_name, undo_upload, write_upload
from .weights import Weights, load_weights

log = logging.getLogger(__name__)

# Earlier turns: (question, answer text) pairs, (question, answer text, cited articles) triples, or Answers.
History = Sequence[TurnLike]


# The passages a conversation points to most that retrieval scores, whatever their rank.
LEANING_ROWS = 4
# Question vectors kept for the conversations that ask them again (384 floats each: 6 MB).
VECTORS_KEPT = 4096


@dataclass(frozen=True)
class Examined:
    """A question as fitting reads it: analysed, embedded, every passage proposed, and its conversation."""

    q: Question
    vector: np.ndarray
    hits: list[Hit]
    focus: Focus
    leaning: Leaning


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
    so the cyclic garbage of loads before (a few thousand objects each) is freed, not kept frozen for good.
    Process-wide: only when the settings say the process is ours (``freeze_gc``: the app and the CLI)."""
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
        whose vectors are reused and whose snapshot is shared while the owner has no uploads. With a
        donor, a FAISS owner's corpus is an overlay: the donor's store read in place and a store of the
        owner's uploads alone (``corpus.open_overlay``).
        """
        self.settings = settings
        self.embedder = embedder or (donor.embedder if donor is not None else load_model(settings))
        self.weights: Weights = weights or (donor.weights if donor is not None else load_weights(self.embedder.name))
        self.owner = owner
        self._donor = donor
        self._write_lock = threading.Lock()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()  # question text -> vector, the latest
        self._vectors_lock = threading.Lock()
        if donor is not None and owner is not None and not upload_files(upload_folder(settings, owner)):
            self._state = donor._state  # nothing of its own yet: the same articles, no copy
        else:
            self._state = self._open(progress)

    def _open(self, progress: Progress | None, indexer: Embedder | None = None) -> _State:
        base = self._donor._state if self._donor is not None else None
        if base is not None and self.owner is not None and store_kind(self.settings.store)[0] == "faiss":
            corpus = open_overlay(self.settings, indexer or self.embedder, base.corpus, self.owner, progress)
        else:
            corpus = open_corpus(self.settings, indexer or self.embedder, progress, self.owner,
                                 base.corpus.store if base is not None else None)
        retriever = Retriever(corpus.store, self.weights.dense_weight, self.weights.lexical_weight)
        for warning in corpus.warnings:
            log.warning("%s", warning)
        if self.settings.freeze_gc:
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

        ``history`` holds the conversation's earlier turns, oldest first: (question,
        answer text) pairs, (question, answer text, cited articles) triples, or
        the earlier ``Answer``s themselves. Follow-ups ("What did he write?")
        are read against them, and search the articles the latest answers
        came from first. ``timings``, when given, gets the seconds each stage
        took (analyse, embed, retrieve, score, compose). ``only``: the names
        of the articles to answer from (as ``articles`` lists them; None or
        empty: all). Raises QuestionError for an empty or over-long question,
        ArticleError for a name no article has.
        """
        clock = _Clock(timings)
        state = self._state
        q, candidates, _ = self._candidates(state, question, history, k, clock, only)
        vocabulary = state.retriever.vocabulary
        sure = answerability(q, candidates, vocabulary, self.weights)
        threshold = self.weights.threshold if self.settings.threshold is None else self.settings.threshold
        s = self.settings
        answer = compose(q, candidates, sure, threshold, self.weights, s.max_sentences, s.max_list_sentences,
                         vocabulary.rarity)
        answer = answer.linked(state.corpus.urls)
        clock.mark("compose")
        return answer

    def search(self, question: str, history: History | None = None, k: int | None = None) -> list[tuple[Passage, float]]:
        """The passages ``ask`` answers from, best first, each with its best sentence's score."""
        _, candidates, _ = self._candidates(self._state, question, history, k, _Clock(None))
        best: dict[int, tuple[Passage, float]] = {}
        for c in candidates:
            best.setdefault(c.hit.row, (c.passage, c.score))
        return list(best.values())

    def analyse(self, question: str, history: History | None = None) -> Question:
        """How the engine reads ``question``: normalised, focused, repaired, its references resolved, its kind and names."""
        return analyse(self.check_question(question), self._state.retriever.vocabulary, self.check_history(history))

    def examine(self, question: str, history: History | None = None) -> "Examined":
        """The analysed question, its vector, every passage retrieval proposes (fused, best first), and what the
        conversation points to.

        What fitting the weights reads (``python -m qa fit``); answering uses
        the first ``settings.candidates`` of these hits, and the best of the
        conversation's (``with_focus``).
        """
        turns_ = self.check_history(history)
        state = self._state
        q = analyse(self.check_question(question), state.retriever.vocabulary, turns_)
        focused = self._focus(state, turns_)
        vector, leaning = self._embed(state, q)
        hits = state.retriever.search(q.search_terms, vector, None, self.focus_rows(focused, leaning, state))
        return Examined(q, vector, hits, focused, leaning)

    def retrieved(self, vector: np.ndarray, hits: Sequence[Hit], focused: Focus, leaning: Leaning) -> Retrieved:
        """What scoring reads of a question's hits in this engine's corpus."""
        state = self._state
        rows = list(dict.fromkeys(h.row for h in hits))  # one read from the store for all of them
        state.corpus.store.prefetch([r + d for r in rows for d in (-1, 0, 1)])  # scoring reads neighbours
        cosines = dict(zip(rows, _cosines(state.corpus.store.sentence_vectors(rows), vector)))
        return Retrieved(hits, state.corpus.passages, cosines.__getitem__, state.retriever.vocabulary,
                         state.retriever.sentence_scale(vector), state.corpus.store.sentence_facts, focused, leaning)

    def _embed(self, state: _State, q: Question) -> tuple[np.ndarray, Leaning]:
        """The question's vector, and where its conversation points (its turns' mean vector and words).

        The earlier turns' vectors come from a cache (a chat asks them again
        with every follow-up); those missing are embedded with the question,
        in one forward pass. The question's own vector is always computed.
        """
        with self._vectors_lock:
            known = {t: self._vectors[t] for t in q.conversation if t in self._vectors}
        missing = list(dict.fromkeys(t for t in q.conversation if t not in known))
        made = dict(zip([q.query, *missing], self.embedder.encode_queries([q.query, *missing])))
        vector = made.pop(q.query)
        made[q.searched] = vector  # a later turn reads this one as ``searched``: its vector stands for it
        known.update(made)
        with self._vectors_lock:
            self._vectors.update(made)
            while len(self._vectors) > VECTORS_KEPT:
                self._vectors.popitem(last=False)
        if not q.conversation:
            return vector, Leaning({})
        mean = vector + np.sum([known[t] for t in q.conversation], axis=0)
        mean = (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
        return vector, state.retriever.leaning(q.conversation_terms, mean)

    def _focus(self, state: _State, history: Sequence[Turn]) -> Focus:
        """The conversation's focus, of the articles this corpus still holds."""
        found = focus(history)
        held = state.corpus.store.manifest["articles"]
        return replace(found, latest=frozenset(a for a in found.latest if a in held),
                       earlier=frozenset(a for a in found.earlier if a in held))

    def focus_rows(self, focused: Focus, leaning: Leaning, state: _State | None = None) -> np.ndarray | None:
        """The rows retrieval scores whatever their rank: the focus's articles', and the passages the
        conversation's words point to most (None: neither)."""
        state = state or self._state
        held = state.corpus.store.manifest["articles"]
        spans = [held[name]["rows"] for name in sorted(focused.articles)]
        rows = [np.arange(a, b) for a, b in spans] + [np.array(leaning.rows[:LEANING_ROWS], dtype=np.int64)]
        found = np.unique(np.concatenate(rows))
        return found if len(found) else None

    def _candidates(self, state: _State, question: object, history: object, k: int | None,
                    clock: "_Clock", only: Iterable[str] | None = None) -> tuple[Question, list[Candidate], Focus]:
        """The analysed question, the scored sentences of its ``k`` best passages (best first), and its focus.

        Retrieval hands over more passages than answered from
        (``settings.candidates``), and the best ``settings.focus_candidates``
        of the conversation's focus besides; their best sentences re-rank
        them. With ``only``, the passages of other articles are left out
        (retrieval then looks at every passage when the best ones are
        elsewhere).
        """
        question = self.check_question(question)
        turns_ = self.check_history(history)
        chosen = self.check_only(only, state)
        k = self.settings.top_k if k is None else int(k)
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        q = analyse(question, state.retriever.vocabulary, turns_)
        focused = self._focus(state, turns_)
        if chosen is not None:
            focused = replace(focused, latest=focused.latest & chosen, earlier=focused.earlier & chosen)
        clock.mark("analyse")
        vector, leaning = self._embed(state, q)
        clock.mark("embed")
        wanted = max(k, self.settings.candidates)
        hits = state.retriever.search(q.search_terms, vector, wanted, self.focus_rows(focused, leaning, state))
        if chosen is not None:
            inside = np.zeros(state.corpus.store.size, dtype=bool)  # by row: no passage is read to filter
            for name in chosen:
                a, b = state.corpus.store.manifest["articles"][name]["rows"]
                inside[a:b] = True
            hits = [h for h in hits if inside[h.row]]
            if len(hits) < wanted:  # the best passages were elsewhere: look at every one
                every = state.retriever.search(q.search_terms, vector, state.corpus.store.size)
                hits = [h for h in every if inside[h.row]][:wanted]
        hits = with_focus(hits, wanted, frozenset(h.row for h in hits[wanted:]), self.settings.focus_candidates)
        clock.mark("retrieve")
        rows, matrix = sentence_features(q, self.retrieved(vector, hits, focused, leaning))
        candidates = rank(rows, matrix, self.weights, k)
        clock.mark("score")
        return q, candidates, focused

    def check_only(self, only: Iterable[str] | None, state: "_State | None" = None) -> frozenset[str] | None:
        """The article names a question is restricted to (None: all), or ArticleError naming an unknown one."""
        return checks.only_names(only, [a.name for a in (state or self._state).corpus.articles])

    def check_question(self, question: object) -> str:
        """The question stripped, or QuestionError saying what is wrong with it (``checks.question_text``)."""
        return checks.question_text(question, self.settings)

    def check_history(self, history: object) -> list[Turn]:
        """History as ``Turn``s, checked like the question (``checks.history_turns``)."""
        return checks.history_turns(history, self.settings)

    def recent_history(self, history: Iterable[TurnLike] | None) -> list[Turn]:
        """The latest turns of a conversation that fit the history limits: what a surface passes to ``ask``."""
        return checks.recent_turns(history, self.settings)

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
        article = parse_article(name, data, self.settings.max_article_bytes)  # raises before any write
        check_passages(article, self.embedder.max_tokens, self.settings.max_upload_passages)
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


def _cosines(groups: list[np.ndarray], vector: np.ndarray) -> list[np.ndarray]:
    """Each group's cosines to ``vector``, from one product (groups of unit vectors: one per passage)."""
    if not groups:
        return []
    every = np.concatenate(groups) @ vector
    return np.split(every, np.cumsum([len(g) for g in groups])[:-1])
