"""The default store: FAISS and numpy files in the cache folder (``embeddings/index.py``).

Everything is in memory once open; ``flush`` lays the rows out again (kept
articles where they were, new ones after them), rebuilds the FAISS index, the
term statistics and the BM25 index (``bm25s``), and writes every file
atomically with the manifest last, so a killed writer leaves either the old
store or a store whose checksums fail, which ``open`` reports and starts
empty (callers rebuild). The BM25 index and the statistics are saved with the
store and read back (the BM25 arrays memory-mapped), so a cached start does
not rebuild them: that was most of a 100k-passage start. A store written
without them (an older writer) has them rebuilt when it is opened.
Callers hold the folder's ``cache_lock`` while writing.
Leaves out: updating files in place (rebuilding a flat index is cheap).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import bm25s
import numpy as np

from embeddings import index as files
from embeddings.index import IndexCorrupt, build_index, read_store, write_store

from .articles import Passage
from .store import Lexical, StoredArticle, lexical_texts, passage_record, record_passage
from .vocabulary import Vocabulary

logging.getLogger("bm25s").setLevel(logging.ERROR)  # it logs each index build as a warning

log = logging.getLogger(__name__)

VOCABULARY = "vocabulary.json"
# The BM25 index's files (bm25s's own format, under names of ours).
BM25_FILES = {
    "data_name": "bm25.data.npy",
    "indices_name": "bm25.indices.npy",
    "indptr_name": "bm25.indptr.npy",
    "vocab_name": "bm25.vocab.json",
    "params_name": "bm25.params.json",
}


class FaissStore:
    """A corpus's passages in a cache folder: see the module docstring and ``qa.store.Store``."""

    def __init__(self, folder: Path, expect: dict[str, Any], data: files.Store | None = None,
                 lexical: tuple[bm25s.BM25, Vocabulary] | None = None):
        self.folder = Path(folder)
        self.expect = dict(expect)
        dim = int(expect.get("dim") or 0)
        self._data = data or files.Store(manifest={**self.expect, "articles": {}}, records=[],
                                         index=build_index(np.zeros((0, dim), np.float32)),
                                         sentence_vectors=np.zeros((0, dim), np.float16))
        self._pending: dict[str, StoredArticle | None] = {}  # name -> new version, or None: deleted
        self._passages: list[Passage] | None = None
        self._bm25, self._vocabulary = lexical or _lexical(self.passages())
        self.saved = lexical is not None or not self.size  # whether the files hold the lexical index

    @classmethod
    def open(cls, folder: Path, expect: dict[str, Any]) -> "FaissStore":
        """The verified store in ``folder``, or an empty one (saying why) when there is none usable."""
        folder = Path(folder)
        try:
            data = read_store(folder, expect)
        except IndexCorrupt as exc:
            if (folder / files.MANIFEST).exists():
                log.warning("cached index in %s not used (%s): rebuilding", folder, exc)
            return cls(folder, expect)
        listed = data.manifest.get("files") or {}
        lexical = None
        if VOCABULARY in listed and (data.size == 0 or all(name in listed for name in BM25_FILES.values())):
            try:
                bm25 = bm25s.BM25.load(folder, mmap=True, show_progress=False, **BM25_FILES) if data.size else None
                vocabulary = Vocabulary.from_state(json.loads((folder / VOCABULARY).read_text(encoding="utf-8")))
                lexical = (bm25, vocabulary)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("lexical index in %s not used (%s): rebuilding it", folder, exc)
        return cls(folder, expect, data, lexical)

    # -- reading -------------------------------------------------------------

    @property
    def manifest(self) -> dict[str, Any]:
        return self._data.manifest

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def index(self):
        """The FAISS index (for reports: its kind)."""
        return self._data.index

    def passages(self) -> list[Passage]:
        if self._passages is None:
            names = {}
            for name, info in (self.manifest.get("articles") or {}).items():
                for row in range(*info["rows"]):
                    names[row] = name
            self._passages = [record_passage(r, names[i]) for i, r in enumerate(self._data.records)]
        return self._passages

    def vocabulary(self) -> Vocabulary:
        return self._vocabulary

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self._data.search(vector, k)

    def lexical(self, terms: Sequence[str], k: int, asked: np.ndarray) -> Lexical:
        """BM25 over every passage: exact scores, mean and spread."""
        if self._bm25 is None or not terms:
            scores = np.zeros(self.size, np.float32)
        else:
            scores = self._bm25.get_scores(list(terms)).astype(np.float32)
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
        top = top[scores[top] > 0]
        return Lexical(top, scores[top], scores[np.asarray(asked, dtype=np.int64)], scores.mean(), scores.std())

    def vectors(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        return self._data.vectors(rows)

    def sentence_vectors(self, rows: Sequence[int] | np.ndarray) -> list[np.ndarray]:
        starts = self._sentence_starts()
        return [self._data.sentence_vectors[starts[r]:starts[r + 1]].astype(np.float32) for r in rows]

    def _sentence_starts(self) -> np.ndarray:
        if getattr(self, "_starts", None) is None or len(self._starts) != self.size + 1:
            counts = [len(p.sentences) for p in self.passages()]
            self._starts = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
        return self._starts

    # -- writing -------------------------------------------------------------

    def digests(self) -> dict[str, str]:
        return {name: info.get("digest") for name, info in (self.manifest.get("articles") or {}).items()}

    def article(self, name: str) -> StoredArticle | None:
        info = (self.manifest.get("articles") or {}).get(name)
        if info is None:
            return None
        a, b = info["rows"]
        sa, sb = info["sentence_rows"]
        return StoredArticle(
            info={k: v for k, v in info.items() if k not in ("rows", "sentence_rows")},
            passages=[record_passage(r, name) for r in self._data.records[a:b]],
            vectors=self._data.vectors(np.arange(a, b)),
            sentence_vectors=self._data.sentence_vectors[sa:sb].astype(np.float32),
        )

    def put_article(self, name: str, info: dict[str, Any], passages: list[Passage], vectors: np.ndarray,
                    sentence_vectors: np.ndarray) -> None:
        if len(vectors) != len(passages) or len(sentence_vectors) != sum(len(p.sentences) for p in passages):
            raise ValueError(f"{name}: {len(passages)} passages with {len(vectors)} vectors and "
                             f"{len(sentence_vectors)} sentence vectors")
        info = {k: v for k, v in info.items() if k not in ("rows", "sentence_rows")}
        self._pending[name] = StoredArticle(info, list(passages), np.asarray(vectors, np.float32),
                                            np.asarray(sentence_vectors, np.float32))

    def delete_article(self, name: str) -> None:
        self._pending[name] = None

    def flush(self) -> None:
        """Lay out, index and write: kept articles in their order, then new ones as put. OSError if unwritable.

        The store in memory is the new one even when writing fails (a
        read-only cache still answers; it just cannot remember).
        """
        if self._pending:
            self._apply()
        elif self.saved:
            return
        self.saved = False
        self.folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=self.folder, prefix=".bm25.", suffix=".tmp"))
        try:
            write_store(self.folder, self._data, extra=_lexical_writers(staging, self._bm25, self._vocabulary))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.saved = True

    def _apply(self) -> None:
        held = self.manifest.get("articles") or {}
        order = list(held) + [n for n in self._pending if n not in held]
        every = self._data.all_vectors()
        passages: list[Passage] = []
        vector_parts, sentence_parts = [], []
        articles: dict[str, dict] = {}
        for name in order:
            if name in self._pending:
                new = self._pending[name]
                if new is None:
                    continue
                info, part, vectors, sentences = new.info, new.passages, new.vectors, new.sentence_vectors
                part = [p if p.article == name else replace(p, article=name) for p in part]
            else:
                info = held[name]
                a, b = info["rows"]
                sa, sb = info["sentence_rows"]
                part = self.passages()[a:b]
                vectors, sentences = every[a:b], self._data.sentence_vectors[sa:sb]
            start, sentence_start = len(passages), sum(len(s) for s in sentence_parts)
            passages.extend(part)
            vector_parts.append(vectors)
            sentence_parts.append(np.asarray(sentences, np.float16))
            articles[name] = {
                "digest": info.get("digest"),
                "title": info.get("title"),
                "sections": list(info.get("sections") or ()),
                "rows": [start, len(passages)],
                "sentence_rows": [sentence_start, sentence_start + len(sentences)],
                "uploaded": bool(info.get("uploaded", False)),
            }
        dim = int(self.expect.get("dim") or every.shape[1])
        vectors = np.concatenate(vector_parts) if vector_parts else np.zeros((0, dim), np.float32)
        sentence_vectors = np.concatenate(sentence_parts) if sentence_parts else np.zeros((0, dim), np.float16)
        self._data = files.Store(
            manifest={**self.expect, "articles": articles},
            records=[passage_record(p) for p in passages],
            index=build_index(vectors),
            sentence_vectors=sentence_vectors,
        )
        self._pending = {}
        self._passages = passages
        self._starts = None
        self._bm25, self._vocabulary = _lexical(passages)


def _lexical(passages: Sequence[Passage]) -> tuple[bm25s.BM25 | None, Vocabulary]:
    """The term statistics and the BM25 index of ``passages`` (built from the same terms; none without any)."""
    vocabulary = Vocabulary(lexical_texts(passages))
    if not passages:
        return None, vocabulary
    bm25 = bm25s.BM25()
    bm25.index(vocabulary.docs, show_progress=False)
    vocabulary.docs = []  # BM25 holds them now
    return bm25, vocabulary


def _lexical_writers(staging: Path, bm25: bm25s.BM25 | None, vocabulary: Vocabulary) -> dict:
    """``write_store``'s extra files: the statistics, and BM25 as bm25s saves it into ``staging`` (moved in)."""
    state = json.dumps(vocabulary.state(), ensure_ascii=False)
    writers = {VOCABULARY: lambda tmp: Path(tmp).write_text(state, encoding="utf-8")}
    if bm25 is None:
        return writers
    bm25.save(staging, show_progress=False, **BM25_FILES)
    for name in BM25_FILES.values():
        writers[name] = lambda tmp, name=name: os.replace(staging / name, tmp)
    return writers
