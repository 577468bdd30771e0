"""The store protocol: what retrieval and answering read, and how ingestion writes.

A store holds the passages of one corpus (the base articles, or the base
articles plus one browser's uploads) with their vectors, their sentences'
vectors, the corpus's term statistics and a lexical index, and a manifest
saying what made them. Two kinds implement it: ``faiss`` (files in the cache
folder, the default: ``qa/faiss_store.py``) and ``milvus`` (Milvus Lite or a
Milvus server: ``qa/milvus_store.py``); ``open_store`` picks one from the
settings.

Passages are addressed by row: their position in ``passages()``, fixed while
a store is open and unflushed. Writing is by whole article (``put_article``,
``delete_article``); nothing written is visible to the reading side, nor
durable, until ``flush``. Leaves out: reading and parsing article files and
deciding what to embed (``corpus.py``), fusing the two searches
(``retrieve.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np

from .articles import Passage
from .kinds import SentenceFacts, sentence_facts
from .vocabulary import Vocabulary


@dataclass(frozen=True)
class Lexical:
    """A lexical (BM25) search: the best rows, the scores of asked-for rows, and the scale of all scores.

    ``mean`` and ``spread`` are of the scores of every passage in the store
    (0 for a passage without the terms): what z-normalising needs. A store
    that only sees its top hits estimates them and says so in its docstring.
    """

    rows: np.ndarray  # int64, the best rows with a score above 0 (any order)
    scores: np.ndarray  # float32, their scores
    asked: np.ndarray  # float32, the score of each row asked for (0: no query term)
    mean: float
    spread: float


@dataclass(frozen=True)
class StoredArticle:
    """One article as a store holds it: its manifest entry, passages and vectors."""

    info: dict[str, Any]  # title, sections, digest, uploaded
    passages: list[Passage]
    vectors: np.ndarray  # (passages, dim) float32, unit length
    sentence_vectors: np.ndarray  # (sentences of all its passages, in order, dim) float32


@runtime_checkable
class Store(Protocol):
    """The passages of one corpus, searchable; written article by article, durable on ``flush``."""

    # -- what retrieval and answering read --------------------------------

    @property
    def manifest(self) -> dict[str, Any]:
        """What made the store (model, dim, splitter, ...) and ``articles``: name -> info with ``rows``."""

    @property
    def size(self) -> int:
        """The number of passages (rows)."""

    def passages(self) -> Sequence[Passage]:
        """Every passage, in row order (a store may read them when first used)."""

    def sentence_counts(self) -> np.ndarray:
        """The number of sentences of each passage, in row order (int64), without reading the passages."""

    def prefetch(self, rows: Sequence[int] | np.ndarray) -> None:
        """Say which passages a question reads next: a store reading passages when used reads them in one go."""

    def vocabulary(self) -> Vocabulary:
        """The corpus's term statistics and surface words (what question analysis and answers read)."""

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Dense search: rows and inner products of the ``k`` passages nearest to ``vector``, best first."""

    def lexical(self, terms: Sequence[str], k: int, asked: np.ndarray) -> Lexical:
        """BM25 search for stemmed ``terms``: the ``k`` best rows, the scores of rows ``asked``, and the scale."""

    def vectors(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """Passage vectors of ``rows`` (float32, one per row)."""

    def sentence_vectors(self, rows: Sequence[int] | np.ndarray) -> list[np.ndarray]:
        """For each of ``rows``, the vectors of its passage's sentences (float32, one per sentence)."""

    def sentence_facts(self, rows: Sequence[int] | np.ndarray) -> list[list[SentenceFacts]]:
        """For each of ``rows``, its passage's sentences' terms, word counts and speech (``kinds.sentence_facts``)."""

    # -- what ingestion writes ---------------------------------------------

    def digests(self) -> dict[str, str]:
        """Article name -> the content digest of the version the store holds."""

    def article(self, name: str) -> StoredArticle | None:
        """One held article (what re-using its vectors under another name needs), or None."""

    def put_article(self, name: str, info: dict[str, Any], passages: list[Passage], vectors: np.ndarray,
                    sentence_vectors: np.ndarray) -> None:
        """Add ``name``, or replace the version held; visible and durable after ``flush``.

        ``info``: title, sections, digest, uploaded (the manifest's entry
        without rows); ``vectors``: one per passage; ``sentence_vectors``: one
        per sentence of the passages, in order.
        """

    def delete_article(self, name: str) -> None:
        """Remove ``name`` (nothing if it is not held); visible and durable after ``flush``."""

    def flush(self) -> None:
        """Make everything put and deleted so far durable and readable.

        After it a killed process loses nothing flushed, and a store opened
        again reads back the same passages. OSError when it cannot be written.
        """


def facts_of(passage: Passage) -> list[SentenceFacts]:
    """A passage's ``SentenceFacts``, worked out from its text (what a store that keeps none answers)."""
    return [sentence_facts(passage.text[a:b]) for a, b in passage.sentences]


def passage_record(passage: Passage) -> dict[str, Any]:
    """What a store keeps of a passage: all but the article name (the manifest's rows say which: a renamed file
    keeps its vectors), as JSON reads it back. Field by field: ``asdict``'s deep copies were 8.9 s of a flush
    of 115,868 passages."""
    return {"id": passage.id, "title": passage.title, "section": passage.section,
            "paragraphs": list(passage.paragraphs), "start": passage.start, "end": passage.end,
            "text": passage.text, "sentences": [list(span) for span in passage.sentences]}


def record_passage(record: dict[str, Any], article: str) -> Passage:
    """The passage a stored record stands for, in ``article``."""
    return Passage(**{
        **record,
        "article": article,
        "paragraphs": tuple(record["paragraphs"]),
        "sentences": tuple(map(tuple, record["sentences"])),
    })


def column_passages(columns: dict[str, list], articles: Sequence[str]) -> list[Passage]:
    """The passages that records kept as columns (``passage_record``'s keys) stand for, ``articles[i]`` each."""
    return [Passage(i, article, title, section, tuple(paragraphs), start, end, text, tuple(map(tuple, sentences)))
            for i, article, title, section, paragraphs, start, end, text, sentences in zip(
                columns["id"], articles, columns["title"], columns["section"], columns["paragraphs"],
                columns["start"], columns["end"], columns["text"], columns["sentences"])]


def lexical_texts(passages: Sequence[Passage]):
    """What the vocabulary and the lexical index read of each passage: (indexed text, body text)."""
    return ((f"{p.title}\n{p.embed_text}", p.text) for p in passages)
