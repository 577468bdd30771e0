"""Retrieval: a question becomes ranked passages, from dense and lexical search fused.

Dense search (FAISS, cosine) finds paraphrases; BM25 (``bm25s``) finds exact
names and numbers. Each side's scores are z-normalised against the whole
corpus and summed with weights from the settings: on labelled questions this
beat reciprocal rank fusion, which lost to BM25 alone at rank 1 because the
dense side is weak on exact wording. Follow-up questions are first rewritten
with the conversation (``contextual_query``). Leaves out: re-ranking models.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import bm25s
import numpy as np

logging.getLogger("bm25s").setLevel(logging.ERROR)  # it logs each index build as a warning

from embeddings.index import Store

from .articles import Passage
from .sentences import terms

# Candidates taken from each side before fusion; generous so the other side
# can lift a passage it ranks high.
CANDIDATES = 50
# Passage vectors sampled to estimate the dense score distribution of a query.
DENSE_SAMPLE = 2048

_FOLLOW_UP = re.compile(
    r"\b(he|she|they|him|her|them|his|hers|their|theirs|it|its|this|that|these|those|there|"
    r"the same|the former|the latter)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Hit:
    """A retrieved passage (by position in the corpus) and its scores."""

    row: int
    score: float  # fused z-score
    dense: float  # cosine
    lexical: float  # BM25


def contextual_query(question: str, history: Sequence[tuple[str, str]] | None) -> str:
    """The question as retrieval should see it: follow-ups carry the previous question.

    "What did he write?" after "Who is Andrii Yermak?" needs Yermak's name to
    find his quote; a question that stands alone is left as it is.

    >>> contextual_query("What did he write?", [("Who is Andrii Yermak?", "...")])
    'Who is Andrii Yermak? What did he write?'
    >>> contextual_query("Where is Dnipro?", [("Who is Andrii Yermak?", "...")])
    'Where is Dnipro?'
    """
    if not history:
        return question
    if not (_FOLLOW_UP.search(question) or not terms(question)):
        return question
    previous = str(history[-1][0]).strip()
    return f"{previous} {question}" if previous else question


class Retriever:
    """Dense + BM25 search over one corpus's passages; built once, read by many questions."""

    def __init__(self, passages: Sequence[Passage], store: Store, dense_weight: float, lexical_weight: float):
        self.passages = passages
        self.store = store
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        docs = [terms(f"{p.title}\n{p.embed_text}") for p in passages]
        self.doc_count = len(docs)
        self.df: Counter[str] = Counter()
        for doc in docs:
            self.df.update(set(doc))
        self.bm25 = bm25s.BM25()
        self.bm25.index(docs, show_progress=False)
        rng = np.random.default_rng(0)
        size = store.size
        sample = np.sort(rng.choice(size, min(size, DENSE_SAMPLE), replace=False)) if size else []
        self._dense_sample = store.vectors(sample)

    def idf(self, term: str) -> float:
        """Inverse document frequency; a term no passage holds weighs the most."""
        n = self.doc_count
        return math.log(1 + (n - self.df.get(term, 0) + 0.5) / (self.df.get(term, 0) + 0.5))

    def knows(self, term: str) -> bool:
        return term in self.df

    def search(self, query: str, vector: np.ndarray, k: int) -> list[Hit]:
        """The ``k`` best passages for a query (text for BM25, vector for FAISS)."""
        if not self.doc_count:
            return []
        lexical = self.bm25.get_scores(terms(query) or [""]).astype(np.float32)
        n_cand = max(CANDIDATES, 4 * k)
        dense_ids, _ = self.store.search(vector, n_cand)
        top_lex = np.argpartition(-lexical, min(n_cand, len(lexical) - 1))[:n_cand]
        rows = np.unique(np.concatenate([dense_ids, top_lex[lexical[top_lex] > 0]]))
        dense = self.store.vectors(rows) @ vector
        sample = self._dense_sample @ vector
        z_dense = (dense - sample.mean()) / (sample.std() + 1e-6)
        lex = lexical[rows]
        spread = lexical.std()
        z_lex = (lex - lexical.mean()) / spread if spread > 0 else np.zeros_like(lex)
        fused = self.dense_weight * z_dense + self.lexical_weight * z_lex
        order = np.argsort(-fused)[:k]
        return [Hit(int(rows[i]), float(fused[i]), float(dense[i]), float(lex[i])) for i in order]
