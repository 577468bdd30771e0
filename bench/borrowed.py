"""Vectors borrowed from a built corpus, for a store larger than the bench can embed.

The 100k corpus writes each article layout of the 20k corpus five times with
other names (variant 0 is the 20k article itself). Embedding 100k passages
would take most of an hour here, so ``BorrowedVectors`` stands in for the
model while the engine builds the store (``Engine(settings, embedder=...)``):
the engine reads, splits, indexes and writes every article itself, and where
it asks for vectors it gets those of the same passage position in the
layout's 20k article (its sentences' likewise), plus Gaussian noise (cosine
about 0.93 to the original) so variants are not duplicates. Questions are
embedded by the real model, and the store's manifest names the real model,
so the engine later opens it as its own cached index. Leaves out: any build
speed with a model (the report marks these rows "borrowed").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa import Engine, Settings
from qa.articles import article_files, parse_article, split_passages

NOISE = 0.02  # per dimension; |noise| ~ 0.39 against a unit vector


class BorrowedVectors:
    """The real embedder, except that passages and sentences get the base corpus's vectors."""

    def __init__(self, base: Engine, settings: Settings):
        self.real = base.embedder
        self.base = base.corpus
        self.rng = np.random.default_rng(0)
        rows: dict[str, list[int]] = {}
        for row, passage in enumerate(self.base.passages):
            rows.setdefault(passage.article, []).append(row)
        # A passage's text -> (the base passage lending its vectors, whether to add noise). The engine
        # splits the same files the same way, so it asks for exactly these texts.
        self.lookup: dict[str, tuple[int, bool]] = {}
        for path in article_files(Path(settings.articles)):
            layout, variant = path.stem.rsplit("-v", 1)
            lender = rows[f"{layout}-v0{path.suffix}"]
            article = parse_article(path.name, path.read_bytes(), settings.max_article_bytes)
            passages = split_passages(article, self.real.count_tokens, self.real.max_tokens, settings.pack_tokens)
            for j, passage in enumerate(passages):
                self.lookup[passage.embed_text] = (lender[j % len(lender)], variant != "0")

    def __getattr__(self, name: str):
        return getattr(self.real, name)  # name, source, dim, count_tokens, encode_query, ...

    def encode_with_parts(self, texts, parts, batch_size=8, progress=None):
        """Borrowed unit vectors for the texts and their sentence spans (the engine's embedding call)."""
        vectors = np.empty((len(texts), self.real.dim), np.float32)
        part_vectors = []
        for i, (text, spans) in enumerate(zip(texts, parts)):
            if text not in self.lookup:
                raise RuntimeError(f"no borrowed vector for a passage the bench did not split: {text[:80]!r}")
            row, noisy = self.lookup[text]
            own = self.base.store.vectors([row])
            lent = self.base.sentence_vectors(row)
            sentences = lent[np.arange(len(spans)) % len(lent)] if len(lent) else np.repeat(own, len(spans), 0)
            if noisy:
                own, sentences = self._noisy(own), self._noisy(sentences)
            vectors[i] = own[0]
            part_vectors.append(sentences.astype(np.float32))
        if progress:
            progress(len(texts), len(texts))
        return vectors, part_vectors

    def _noisy(self, vectors: np.ndarray) -> np.ndarray:
        out = vectors + self.rng.normal(0, NOISE, vectors.shape).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)
