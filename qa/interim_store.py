"""INTERIM: today's FAISS store behind the four write methods ingestion uses; dropped when the store protocol lands.

The store protocol (branch ``stores``) agrees on ``digests``, ``put_article``,
``delete_article`` and ``flush``; until it is merged, ``FaissArticles`` gives
ingestion exactly those over ``embeddings.index``'s store, in the folder and
with the manifest ``open_corpus`` reads, so a folder indexed by
``python -m qa index`` opens without embedding in the app. Articles are held
in memory and ``flush`` writes the whole store (manifest last, as
``write_store`` does). Leaves out: partial writes (a flush rewrites every
file), other stores.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import numpy as np

from embeddings.files import cache_lock, sweep
from embeddings.index import IndexCorrupt, Store, build_index, read_store, write_store
from embeddings.model import Embedder

from .articles import Passage
from .config import Settings
from .corpus import STORE_LEFTOVERS, Progress, _expect, _record, store_folder


class FaissArticles:
    """Per-article writes over the FAISS store in ``folder`` (a store that fails its checks starts empty)."""

    def __init__(self, folder: Path, expect: dict):
        self.folder, self.expect = Path(folder), expect
        self._articles: dict[str, tuple[dict, list[dict], np.ndarray, np.ndarray]] = {}
        try:
            store = read_store(self.folder, expect)
        except IndexCorrupt:
            return
        vectors = store.all_vectors()
        for name, info in (store.manifest.get("articles") or {}).items():
            a, b = info["rows"]
            sa, sb = info["sentence_rows"]
            kept = {k: v for k, v in info.items() if k not in ("rows", "sentence_rows")}
            self._articles[name] = (kept, store.records[a:b], vectors[a:b],
                                    store.sentence_vectors[sa:sb].astype(np.float32))

    def digests(self) -> dict[str, str]:
        return {name: info["digest"] for name, (info, *_) in self._articles.items()}

    def put_article(self, name: str, info: dict, passages: list[Passage], vectors: np.ndarray,
                    sentence_vectors: np.ndarray) -> None:
        self._articles[name] = (dict(info), [_record(p) for p in passages], np.asarray(vectors, np.float32),
                                np.asarray(sentence_vectors, np.float32))

    def delete_article(self, name: str) -> None:
        self._articles.pop(name, None)

    def flush(self) -> None:
        dim = self.expect["dim"]
        articles, records, vectors, sentences = {}, [], [], []
        rows = sentence_rows = 0
        for name, (info, article_records, article_vectors, article_sentences) in self._articles.items():
            articles[name] = {**info, "rows": [rows, rows + len(article_records)],
                              "sentence_rows": [sentence_rows, sentence_rows + len(article_sentences)]}
            rows += len(article_records)
            sentence_rows += len(article_sentences)
            records += article_records
            vectors.append(article_vectors)
            sentences.append(article_sentences)
        empty = np.zeros((0, dim), np.float32)
        write_store(self.folder, Store(
            manifest={**self.expect, "articles": articles},
            records=records,
            index=build_index(np.concatenate(vectors) if vectors else empty),
            sentence_vectors=(np.concatenate(sentences) if sentences else empty).astype(np.float16),
        ))


@contextlib.contextmanager
def faiss_writer(settings: Settings, embedder: Embedder, progress: Progress | None = None) -> Iterator[FaissArticles]:
    """The settings' FAISS store for writing, holding its folder's lock (as ``open_corpus`` does) meanwhile."""
    folder = store_folder(settings)
    waiting = (lambda: progress("waiting", 0, 0)) if progress else None
    with cache_lock(folder, waiting) as locked:
        if locked:
            sweep(folder, STORE_LEFTOVERS)
        yield FaissArticles(folder, _expect(embedder, settings))
