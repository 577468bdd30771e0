"""Vectors borrowed from a built corpus, for a store larger than the bench can embed.

The 100k corpus writes each article layout of the 20k corpus five times with
other names (variant 0 is the 20k article itself). Embedding 100k passages
would take most of an hour here, so ``BorrowedVectors`` stands in for the
model while the engine builds the store (``Engine(settings, embedder=...)``):
the engine reads, splits, indexes and writes every article itself, and where
it asks for vectors, a passage the 20k store holds gets its own, and any
other passage a copy of one of the 20k store's, picked by a hash of its
text, plus Gaussian noise (cosine about 0.93 to the original); its sentences
get that passage's sentence vectors likewise. So the vectors are spread as
real ones are, and the store holds as much as a real one. Questions are
embedded by the real model, and the store's manifest names the real model,
so the engine later opens it as its own cached index. Leaves out: any build
speed with a model (the report marks these rows "borrowed"), and dense
retrieval finding the right variant (a lender is picked by hash, not meaning).
"""

from __future__ import annotations

import hashlib

import numpy as np

from qa import Engine, Settings

NOISE = 0.02  # per dimension; |noise| ~ 0.39 against a unit vector


class BorrowedVectors:
    """The real embedder, except that passages and sentences get the base corpus's vectors."""

    def __init__(self, base: Engine, settings: Settings):
        self.real = base.embedder
        self.base = base.corpus
        self.rows = {p.embed_text: row for row, p in enumerate(self.base.passages)}
        self.rng = np.random.default_rng(0)

    def __getattr__(self, name: str):
        return getattr(self.real, name)  # name, source, dim, count_tokens, encode_query, ...

    def encode_with_parts(self, texts, parts, batch_size=8, progress=None, build_chars=None):
        """Borrowed unit vectors for the texts and their sentence spans (the engine's embedding call)."""
        vectors = np.empty((len(texts), self.real.dim), np.float32)
        part_vectors = []
        for i, (text, spans) in enumerate(zip(texts, parts)):
            row = self.rows.get(text)
            if row is None:
                row = int.from_bytes(hashlib.sha1(text.encode()).digest()[:8], "big") % len(self.base.passages)
            own = self.base.store.vectors([row])
            lent = self.base.sentence_vectors(row)
            sentences = lent[np.arange(len(spans)) % len(lent)] if len(lent) else np.repeat(own, len(spans), 0)
            if text not in self.rows:
                own, sentences = self._noisy(own), self._noisy(sentences)
            vectors[i] = own[0]
            part_vectors.append(sentences.astype(np.float32))
        if progress:
            progress(len(texts), len(texts))
        return vectors, part_vectors

    def _noisy(self, vectors: np.ndarray) -> np.ndarray:
        out = vectors + self.rng.normal(0, NOISE, vectors.shape).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)
