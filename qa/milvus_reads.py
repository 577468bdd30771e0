"""Milvus reads: dense and BM25 search over a view, and the vectors and facts of the rows asked for.

A mixin of ``MilvusStore``: it reads what the store's view holds
(``_snap``, its collections, its owner filter). Leaves out: writing
(``milvus_writes.py``), the view itself (``milvus_store.py``).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .kinds import SentenceFacts
from .milvus_schema import BM25_K1, CHUNK, HNSW_EF, LEXICAL_DEPTH, MAX_LIMIT, milvus_term, row_id
from .store import Lexical, facts_of


class MilvusReads:
    """Search and row reads of a Milvus view (``MilvusStore``)."""

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.size, MAX_LIMIT)
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        found = self.milvus.search(self.passage_collection, data=[np.asarray(vector, np.float32).tolist()],
                                   anns_field="vector", limit=k, filter=self.view, output_fields=["pk"],
                                   search_params={"metric_type": "IP", "params": {"ef": max(HNSW_EF, k)}})[0]
        return self._hits(found, lambda d: d)

    def _hits(self, found, score) -> tuple[np.ndarray, np.ndarray]:
        """Rows and scores of search hits, leaving out rows this snapshot does not hold."""
        keys = np.array([hit["pk"] if "pk" in hit else hit["id"] for hit in found], dtype=np.int64)
        rows = self._snap.rows_of(keys)
        held = rows >= 0
        scores = np.array([score(hit["distance"]) for hit in found], dtype=np.float32)
        return rows[held], scores[held]

    def lexical(self, terms: Sequence[str], k: int, asked: np.ndarray) -> Lexical:
        """Milvus's BM25: its top hits (see the module docstring for the mean and spread of the rest)."""
        asked = np.asarray(asked, dtype=np.int64)
        if not self.size or not terms:
            return Lexical(np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(len(asked), np.float32),
                           np.float32(0), np.float32(0))
        query = " ".join(milvus_term(t) for t in terms)
        depth = min(max(k, LEXICAL_DEPTH), MAX_LIMIT)
        # BM25 scores are >= 0: Milvus Lite returns them negated (as distances), a server as they are.
        bm25 = lambda d: abs(d) / (BM25_K1 + 1)
        found = self.milvus.search(self.passage_collection, data=[query], anns_field="sparse", limit=depth,
                                   filter=self.view, output_fields=["pk"])[0]
        rows, scores = self._hits(found, bm25)
        complete = len(found) < depth
        score_of = dict(zip(rows.tolist(), scores.tolist()))
        missing = [int(r) for r in asked if int(r) not in score_of]
        if missing and not complete:  # below the top hits: ask for these rows' scores
            pks = ", ".join(str(int(self._snap.pks[r])) for r in missing)
            extra = self.milvus.search(self.passage_collection, data=[query], anns_field="sparse",
                                       limit=len(missing), filter=f"{self.view} and pk in [{pks}]",
                                       output_fields=["pk"])[0]
            score_of.update(zip(*(a.tolist() for a in self._hits(extra, bm25))))
        asked_scores = np.array([score_of.get(int(r), 0.0) for r in asked], dtype=np.float32)
        mean, spread = self._scale(scores, complete, terms)
        order = np.argsort(-scores, kind="stable")[:k]
        return Lexical(rows[order], scores[order], asked_scores, mean, spread)

    def _scale(self, scores: np.ndarray, complete: bool, terms: Sequence[str]) -> tuple[np.float32, np.float32]:
        """Mean and spread of the query's BM25 over every passage, from the hits (estimated past them)."""
        n = self.size
        total, squares = float(scores.sum(dtype=np.float64)), float((scores.astype(np.float64) ** 2).sum())
        if not complete and len(scores):
            vocabulary = self.vocabulary()
            none = math.prod(1 - min(vocabulary.df.get(t, 0), n) / n for t in set(terms))
            matching = max(len(scores), round(n * (1 - none)))
            low = float(scores.min())
            rest = matching - len(scores)
            total += rest * low / 2
            squares += rest * low * low / 3
        mean = total / n
        return np.float32(mean), np.float32(math.sqrt(max(squares / n - mean * mean, 0.0)))

    def vectors(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(rows), self.dim), np.float32)
        if not len(rows):
            return out
        found: dict[int, list[float]] = {}
        for at in range(0, len(rows), CHUNK):
            pks = ", ".join(str(int(p)) for p in self._snap.pks[rows[at:at + CHUNK]])
            for row in self.milvus.query(self.passage_collection, filter=f"pk in [{pks}]",
                                         output_fields=["pk", "vector"]):
                found[row["pk"]] = row["vector"]
        for i, pk in enumerate(self._snap.pks[rows].tolist()):
            if pk in found:
                out[i] = found[pk]
        return out

    def sentence_vectors(self, rows: Sequence[int] | np.ndarray) -> list[np.ndarray]:
        """Looked up by the sentences' own keys (``_id(passage key, position)``), which Milvus finds by
        its primary-key index: filtering on the passage field scans every sentence row instead (1.2-1.4 s
        a question at 116k passages on Milvus Lite, against 4-7 ms by key). Rounded to float16, as the
        FAISS store keeps them (Milvus Lite has no float16 vectors), so both stores score sentences alike:
        unrounded, one public-dev answer of 2,211 had a different third sentence."""
        rows = [int(r) for r in rows]
        snap = self._snap
        out = [np.zeros((int(snap.sentence_counts[r]), self.dim), np.float32) for r in rows]
        where: dict[int, list[tuple[int, int]]] = {}
        for i, r in enumerate(rows):
            passage = int(snap.pks[r])
            for j in range(len(out[i])):
                where.setdefault(row_id(passage, j), []).append((i, j))
        pks = list(where)
        for at in range(0, len(pks), CHUNK):
            listed = ", ".join(map(str, pks[at:at + CHUNK]))
            for found in self._query(self.sentence_collection, f"pk in [{listed}]", ["pk", "vector"]):
                for i, j in where.get(found["pk"], ()):
                    out[i][j] = found["vector"]
        return [o.astype(np.float16).astype(np.float32) for o in out]

    def sentence_facts(self, rows: Sequence[int] | np.ndarray) -> list[list[SentenceFacts]]:
        """Worked out from the passages' text at every call: Milvus keeps no such field."""
        passages = self._snap.passages
        passages.fetch(int(r) for r in rows)
        return [facts_of(passages[int(r)]) for r in rows]
