"""Retrieval: a question becomes ranked passages, from dense and lexical search fused.

Dense search (cosine) finds paraphrases; BM25 finds exact names and numbers;
both come from the corpus's store (``store.py``: FAISS and bm25s, or Milvus).
Each side's scores are z-normalised against the whole corpus and summed with weights from the settings: on labelled questions this
beat reciprocal rank fusion, which lost to BM25 alone at rank 1 because the
dense side is weak on exact wording. The fusion weights are fitted
(``weights.py``). Leaves out: question analysis (``question.py``) and
re-ranking by sentences (``answer.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .store import Lexical, Store

# Candidates taken from each side before fusion; generous so the other side
# can lift a passage it ranks high.
CANDIDATES = 50
# Passage vectors sampled to estimate the dense score distribution of a query.
DENSE_SAMPLE = 2048


@dataclass(frozen=True)
class Hit:
    """A retrieved passage (by position in the corpus) and its scores."""

    row: int
    score: float  # fused z-score
    dense: float  # cosine
    lexical: float  # BM25
    z_dense: float = 0.0  # the cosine in standard deviations above the corpus's mean
    z_lexical: float = 0.0  # the same for BM25


@dataclass(frozen=True)
class Moments:
    """First and second moments of a sample of unit vectors: a query's cosine mean and spread over it in O(dim²).

    Equal to taking the mean and standard deviation of ``sample @ query``,
    without a matrix-vector product over the sample at every question.
    """

    mean: np.ndarray  # the sample's mean vector (float64)
    covariance: np.ndarray  # of the sample (float32: half the memory read a question, ~1e-7 of a cosine off)
    count: int  # vectors in the sample

    @classmethod
    def of(cls, sample: np.ndarray) -> "Moments":
        sample = np.asarray(sample, dtype=np.float64)
        n, dim = sample.shape if sample.ndim == 2 else (0, 0)
        if not n:
            return cls(np.zeros(dim), np.zeros((dim, dim), np.float32), 0)
        mean = sample.mean(0)
        return cls(mean, (sample.T @ sample / n - np.outer(mean, mean)).astype(np.float32), n)

    def scale(self, query: np.ndarray) -> tuple[float, float]:
        """Mean and standard deviation of the sample's cosines to ``query`` (0, 1 for an empty sample)."""
        if not self.count:
            return 0.0, 1.0
        q = np.asarray(query, dtype=np.float32)
        mean = float(self.mean @ q)
        return mean, math.sqrt(max(float(q @ self.covariance @ q), 0.0))


@dataclass(frozen=True)
class Leaning:
    """Which articles a conversation points to: each article's best fused score for the conversation's words
    and the mean vector of its questions, best first.

    Articles none of whose passages came among the best score ``floor``
    (the lowest that did).
    """

    scores: dict[str, float]
    floor: float = 0.0
    rows: tuple[int, ...] = ()  # the best passages, best first

    def of(self, article: str) -> float:
        return self.scores.get(article, self.floor)


class Retriever:
    """Dense + BM25 search over one corpus's passages; built once, read by many questions."""

    def __init__(self, store: Store, dense_weight: float, lexical_weight: float):
        self.store = store
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        self.vocabulary = store.vocabulary()
        self.doc_count = store.size
        rng = np.random.default_rng(0)
        size = store.size
        sample = np.sort(rng.choice(size, min(size, DENSE_SAMPLE), replace=False)) if size else []
        self._dense_moments = Moments.of(store.vectors(sample))
        self._sentence_moments = Moments.of(_sentence_samples(store, rng))
        spans = sorted((info["rows"][0], name) for name, info in store.manifest["articles"].items())
        self._starts = np.array([a for a, _ in spans], dtype=np.int64)
        self._names = [name for _, name in spans]

    def article_of(self, row: int) -> str:
        """The name of the article passage ``row`` belongs to (from the manifest, without reading the passage)."""
        return self._names[int(np.searchsorted(self._starts, row, side="right")) - 1]

    def leaning(self, query_terms: Sequence[str], vector: np.ndarray | None, k: int = CANDIDATES) -> "Leaning":
        """Where a conversation points: each article's best fused score for its words and its turns' mean vector."""
        if vector is None or not self.doc_count:
            return Leaning({})
        hits = self.search(query_terms, vector, k)
        scores: dict[str, float] = {}
        for h in hits:
            scores.setdefault(self.article_of(h.row), h.score)
        return Leaning(scores, hits[-1].score if hits else 0.0, tuple(h.row for h in hits))

    def sentence_scale(self, vector: np.ndarray) -> tuple[float, float]:
        """Mean and spread of a query's cosine to the corpus's sentences (from a fixed sample).

        A terse question ("Who attended?") is far from every sentence; its
        best sentence still stands out against this scale.
        """
        mean, std = self._sentence_moments.scale(vector)
        return mean, std + 1e-6

    def search(self, query_terms: Sequence[str], vector: np.ndarray, k: int | None = None,
               also: np.ndarray | None = None) -> list[Hit]:
        """The ``k`` best passages for a query: its terms for BM25, its vector for FAISS.

        Terms no passage holds are left out of BM25 (they score nothing); with
        none left, the dense side alone ranks. ``k=None`` gives every passage
        either side proposed (what fitting the fusion weights needs). ``also``:
        rows scored and returned whatever their rank (a conversation's
        articles), after the ``k`` best, best first.
        """
        if not self.doc_count:
            return []
        known = [t for t in query_terms if self.vocabulary.knows(t)]
        n_cand = max(CANDIDATES, 4 * (k or 0))
        dense_ids, _ = self.store.search(vector, n_cand)
        asked_ids = dense_ids if also is None or not len(also) else np.unique(np.concatenate([dense_ids, also]))
        if known:
            found = self.store.lexical(known, n_cand, asked_ids)
        else:
            found = Lexical(np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(len(asked_ids), np.float32),
                            np.float32(0), np.float32(0))
        rows, where = np.unique(np.concatenate([asked_ids, found.rows]), return_inverse=True)
        lex = np.zeros(len(rows), np.float32)
        lex[where[:len(asked_ids)]] = found.asked
        lex[where[len(asked_ids):]] = found.scores
        dense = self.store.vectors(rows) @ vector
        mean, std = self._dense_moments.scale(vector)
        z_dense = (dense - np.float32(mean)) / np.float32(std + 1e-6)
        spread = found.spread
        z_lex = (lex - found.mean) / spread if spread > 0 else np.zeros_like(lex)
        # As ``fuse`` scores them (float64, stable order), without a Hit for every proposal.
        z_dense, z_lex = z_dense.astype(np.float64), z_lex.astype(np.float64)
        fused = self.dense_weight * z_dense + self.lexical_weight * z_lex
        ranked = np.argsort(-fused, kind="stable")
        order = ranked[:k] if k else ranked
        if also is not None and len(also) and k:
            extra = np.isin(rows[ranked[k:]], also)
            order = np.concatenate([order, ranked[k:][extra]])
        return [Hit(int(rows[i]), float(fused[i]), float(dense[i]), float(lex[i]), float(z_dense[i]), float(z_lex[i]))
                for i in order]


def _sentence_samples(store: Store, rng: np.random.Generator) -> np.ndarray:
    """Up to ``DENSE_SAMPLE`` sentence vectors of the corpus, picked at random (fixed seed), in corpus order."""
    counts = np.asarray(store.sentence_counts(), dtype=np.int64)
    total = int(counts.sum())
    if not total:
        return np.zeros((0, 0), np.float32)
    picked = np.sort(rng.choice(total, min(total, DENSE_SAMPLE), replace=False))
    starts = np.concatenate([[0], np.cumsum(counts)])
    rows = np.searchsorted(starts, picked, side="right") - 1
    wanted = np.unique(rows)
    vectors = dict(zip(wanted.tolist(), store.sentence_vectors(wanted)))
    return np.stack([vectors[r][i - starts[r]] for r, i in zip(rows.tolist(), picked.tolist())]).astype(np.float32)


def with_focus(hits: Sequence[Hit], k: int, focus_rows: frozenset[int], extra: int) -> list[Hit]:
    """The first ``k`` hits, then the best ``extra`` of the rest whose rows are in ``focus_rows``."""
    return list(hits[:k]) + [h for h in hits[k:] if h.row in focus_rows][:extra]


def fuse(hits: Sequence[Hit], dense_weight: float, lexical_weight: float, k: int | None = None) -> list[Hit]:
    """Hits scored by the weighted sum of their z-scores, best first (the first ``k``)."""
    scored = [Hit(h.row, dense_weight * h.z_dense + lexical_weight * h.z_lexical, h.dense, h.lexical, h.z_dense,
                  h.z_lexical) for h in hits]
    scored.sort(key=lambda h: -h.score)
    return scored[:k] if k else scored
