"""A browser's corpus as an overlay: the shared base store, read in place, and a small store of its own uploads,
searched together as one corpus.

Every browser that uploads used to get a full copy of the base store (its
vectors, FAISS index, BM25 index and statistics), on disk and in memory: 52 s
to upload into a 100k-passage base, and the base's memory once more per
browser. Now the base store is opened once and shared, and a browser's own
store holds only its uploads; ``OverlayStore`` reads the two as one
``Store``: the base's rows first, then the own store's (as the full copy laid
them out), dense search over both merged by score, and BM25 with the term
statistics of both (IDF over every passage, the z-scale over every score).

Leaves out: the length normalisation of BM25 (each store's passages are
normalised by their own store's mean length, where the full copy used the
mean of both: a few uploads move a large base's mean by little, and
tests/test_overlay.py compares the answers); Milvus, whose collections already
keep uploads apart by owner and read a browser's view in place
(``milvus_store.py``); writing (the own store is written through
``ingest.write`` like any other).
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence, overload

import numpy as np

from .articles import Passage
from .faiss_store import FaissStore
from .kinds import SentenceFacts
from .store import Lexical, StoredArticle
from .vocabulary import Vocabulary, layered


class JoinedPassages(Sequence[Passage]):
    """Two stores' passages read as one list, without copying either: the base's rows, then the own store's."""

    def __init__(self, base: Sequence[Passage], own: Sequence[Passage]):
        self.base, self.own = base, own

    def __len__(self) -> int:
        return len(self.base) + len(self.own)

    @overload
    def __getitem__(self, row: int) -> Passage: ...

    @overload
    def __getitem__(self, row: slice) -> list[Passage]: ...

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        row = int(row)
        if row < 0:
            row += len(self)
        cut = len(self.base)
        if 0 <= row < cut:
            return self.base[row]
        if cut <= row < len(self):
            return self.own[row - cut]
        raise IndexError(row)

    def __iter__(self) -> Iterator[Passage]:
        yield from self.base
        yield from self.own


class OverlayStore:
    """The base store and one browser's own store, read as one (see the module docstring and ``qa.store.Store``)."""

    def __init__(self, base: FaissStore, own: FaissStore):
        self.base, self.own = base, own
        self._cut = base.size
        sentences = int(base.sentence_counts().sum())
        articles = dict(base.manifest.get("articles") or {})
        for name, info in (own.manifest.get("articles") or {}).items():
            (a, b), (sa, sb) = info["rows"], info["sentence_rows"]
            articles[name] = {**info, "rows": [a + self._cut, b + self._cut],
                              "sentence_rows": [sa + sentences, sb + sentences]}
        self._manifest = {**base.manifest, "articles": articles}
        self._vocabulary = layered(base.vocabulary(), own.vocabulary())
        self._passages = JoinedPassages(base.passages(), own.passages())

    # -- reading -------------------------------------------------------------

    @property
    def manifest(self) -> dict[str, Any]:
        return self._manifest

    @property
    def size(self) -> int:
        return self._cut + self.own.size

    def passages(self) -> Sequence[Passage]:
        return self._passages

    def sentence_counts(self) -> np.ndarray:
        return np.concatenate([self.base.sentence_counts(), self.own.sentence_counts()])

    def prefetch(self, rows: Sequence[int] | np.ndarray) -> None:
        """Nothing: both stores hold every passage in memory."""

    def vocabulary(self) -> Vocabulary:
        return self._vocabulary

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest of both stores, merged by inner product (ties: the base's row first)."""
        rows, scores = self.base.search(vector, min(k, self._cut)) if self._cut else (np.zeros(0, np.int64),
                                                                                      np.zeros(0, np.float32))
        if self.own.size:
            own_rows, own_scores = self.own.search(vector, min(k, self.own.size))
            keep = own_rows >= 0
            rows = np.concatenate([np.asarray(rows, np.int64), np.asarray(own_rows[keep], np.int64) + self._cut])
            scores = np.concatenate([np.asarray(scores, np.float32), np.asarray(own_scores[keep], np.float32)])
            order = np.argsort(-scores, kind="stable")[:k]
            rows, scores = rows[order], scores[order]
        return rows, scores

    def lexical(self, terms: Sequence[str], k: int, asked: np.ndarray) -> Lexical:
        """BM25 over both stores' passages with the statistics of both: each store's score of a term is scaled
        by the term's IDF over every passage against its IDF in that store. Exact scores, mean and spread."""
        idf = self._vocabulary.idf
        scores = np.concatenate([
            store.term_scores(terms, [idf(t) / store.vocabulary().idf(t) for t in terms])
            for store in (self.base, self.own)])
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k] if len(scores) else np.zeros(0, np.int64)
        top = top[scores[top] > 0]
        return Lexical(top, scores[top], scores[np.asarray(asked, dtype=np.int64)], scores.mean() if len(scores)
                       else np.float32(0), scores.std() if len(scores) else np.float32(0))

    def _split(self, rows: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = np.asarray(rows, dtype=np.int64)
        mine = rows >= self._cut
        return rows, mine, rows - self._cut

    def vectors(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        rows, mine, own_rows = self._split(rows)
        out = np.zeros((len(rows), int(self._manifest.get("dim") or self.base.vectors([]).shape[1])), np.float32)
        if (~mine).any():
            out[~mine] = self.base.vectors(rows[~mine])
        if mine.any():
            out[mine] = self.own.vectors(own_rows[mine])
        return out

    def sentence_vectors(self, rows: Sequence[int] | np.ndarray) -> list[np.ndarray]:
        return self._each(rows, lambda store, picked: store.sentence_vectors(picked))

    def sentence_facts(self, rows: Sequence[int] | np.ndarray) -> list[list[SentenceFacts]]:
        return self._each(rows, lambda store, picked: store.sentence_facts(picked))

    def _each(self, rows, read) -> list:
        """``read(store, rows)`` of each store for its rows, back in the order asked."""
        rows, mine, own_rows = self._split(rows)
        out: list = [None] * len(rows)
        for store, where, picked in ((self.base, np.flatnonzero(~mine), rows[~mine]),
                                     (self.own, np.flatnonzero(mine), own_rows[mine])):
            if len(picked):
                for i, value in zip(where, read(store, picked)):
                    out[i] = value
        return out

    # -- what ingestion reads (the own store is written directly) -----------

    def digests(self) -> dict[str, str]:
        return {**self.base.digests(), **self.own.digests()}

    def article(self, name: str) -> StoredArticle | None:
        return self.own.article(name) or self.base.article(name)

    def put_article(self, name: str, info: dict[str, Any], passages: list[Passage], vectors: np.ndarray,
                    sentence_vectors: np.ndarray) -> None:
        raise TypeError("an overlay is read-only: write the browser's own store (ingest.write)")

    def delete_article(self, name: str) -> None:
        raise TypeError("an overlay is read-only: write the browser's own store (ingest.write)")

    def flush(self) -> None:
        """Nothing to write: both stores are flushed by their writers."""
