"""The default store: FAISS and numpy files in the cache folder (``embeddings/index.py``).

Everything is in memory once open; ``flush`` lays the rows out again (kept
articles where they were, new ones after them), rebuilds the FAISS index, the
term statistics and the BM25 index (``bm25s``), and writes every file under
a new name with the manifest last (``embeddings/index.py``), so a killed
writer leaves the store as it was at the last flush; a store whose checksums
fail is reported by ``open``, which starts empty (callers rebuild). The BM25 index and the statistics are saved with the
store and read back (the BM25 arrays memory-mapped), so a cached start does
not rebuild them: that was most of a 100k-passage start. So are the
sentences' facts (``kinds.sentence_facts``, memory-mapped), so a question
does not tokenise the passages it looks at for the first time. A store
written without them (an older writer) has them worked out when it is opened.
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
from typing import Any, Iterable, Sequence

import numpy as np

from embeddings import index as files
from embeddings.files import DIGEST, read_json
from embeddings.index import IndexCorrupt, build_index, read_store, stored_path, write_store

from .articles import Passage
from .kinds import SentenceFacts
from .store import Lexical, StoredArticle, column_passages, facts_of, lexical_texts, passage_record, record_passage
from .vocabulary import Vocabulary

log = logging.getLogger(__name__)

VOCABULARY = "vocabulary.json"
# Each sentence's ``SentenceFacts``: the terms' UTF-8 bytes end to end, and a table of (bytes, words, speech).
FACTS_FILES = ("sentence_terms.npy", "sentence_facts.npy")
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
                 lexical: "tuple[SavedBm25 | None, Vocabulary] | None" = None, facts: "_Facts | None" = None):
        self.folder = Path(folder)
        self.expect = dict(expect)
        dim = int(expect.get("dim") or 0)
        self._data = data or files.Store(manifest={**self.expect, "articles": {}}, records=[],
                                         index=build_index(np.zeros((0, dim), np.float32)),
                                         sentence_vectors=np.zeros((0, dim), np.float16))
        self._pending: dict[str, StoredArticle | None] = {}  # name -> new version, or None: deleted
        self._passages: list[Passage] | None = None
        self._starts: np.ndarray | None = None  # first sentence of each row, then the total
        self._bm25, self._vocabulary = lexical or _lexical(self.passages())
        self._facts = facts or _Facts.of(f for p in self.passages() for f in facts_of(p))
        # Whether the files hold the lexical index and the sentence facts (an older writer's may not).
        self.saved = (lexical is not None and facts is not None) or not self.size

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
                where = {name: stored_path(folder, data.manifest, name) for name in listed}
                bm25 = SavedBm25({key: where[name] for key, name in BM25_FILES.items()}) if data.size else None
                vocabulary = Vocabulary.from_state(read_json(where[VOCABULARY]))
                lexical = (bm25, vocabulary)
            except (OSError, ValueError, KeyError, TypeError, IndexCorrupt) as exc:
                log.warning("lexical index in %s not used (%s): rebuilding it", folder, exc)
        facts = None
        if all(name in listed for name in FACTS_FILES):
            try:
                facts = _Facts(*(np.asarray(np.load(stored_path(folder, data.manifest, name), allow_pickle=False,
                                                    mmap_mode="r")) for name in FACTS_FILES))
            except (OSError, ValueError, IndexCorrupt) as exc:
                log.warning("sentence facts in %s not used (%s): working them out again", folder, exc)
        store = cls(folder, expect, data, lexical, facts)
        store.saved = store.saved and all(DIGEST in info for info in listed.values())  # else rewritten with it
        return store

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
            records = self._data.records
            if isinstance(records, files.Records):
                self._passages = column_passages(records.columns, [names[i] for i in range(len(records))])
            else:
                self._passages = [record_passage(r, names[i]) for i, r in enumerate(records)]
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

    def term_scores(self, terms: Sequence[str], factors: Sequence[float]) -> np.ndarray:
        """BM25 over every passage with each term's score times its factor (float32; zeros without the terms).

        What an overlay combining two stores' statistics reads (``overlay.py``): a factor carries a term's
        IDF over both stores against its IDF here.
        """
        scores = np.zeros(self.size, np.float32)
        if self._bm25 is None:
            return scores
        for term, factor in zip(terms, factors):
            if self._vocabulary.knows(term):
                scores += np.float32(factor) * self._bm25.get_scores([term]).astype(np.float32)
        return scores

    def vectors(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        return self._data.vectors(rows)

    def sentence_vectors(self, rows: Sequence[int] | np.ndarray) -> list[np.ndarray]:
        starts = self._sentence_starts()
        rows = np.asarray(rows, dtype=np.int64)
        first, counts = starts[rows], starts[rows + 1] - starts[rows]
        ends = np.cumsum(counts)
        # One gather and one conversion for all rows: this runs on every question.
        picked = np.repeat(first - (ends - counts), counts) + np.arange(int(ends[-1]) if len(ends) else 0)
        return np.split(self._data.sentence_vectors[picked].astype(np.float32), ends[:-1])

    def sentence_facts(self, rows: Sequence[int] | np.ndarray) -> list[list[SentenceFacts]]:
        starts = self._sentence_starts()
        return [self._facts.read(int(starts[r]), int(starts[r + 1])) for r in rows]

    def sentence_counts(self) -> np.ndarray:
        return np.diff(self._sentence_starts())

    def prefetch(self, rows: Sequence[int] | np.ndarray) -> None:
        """Nothing: every passage is in memory."""

    def _sentence_starts(self) -> np.ndarray:
        if self._starts is None:
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
            write_store(self.folder, self._data, extra={**_lexical_writers(staging, self._bm25, self._vocabulary),
                                                         **self._facts.writers()})
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.saved = True

    def _apply(self) -> None:
        held = self.manifest.get("articles") or {}
        order = list(held) + [n for n in self._pending if n not in held]
        every = self._data.all_vectors()
        passages: list[Passage] = []
        records: list[dict] = []
        vector_parts, sentence_parts, fact_parts = [], [], []
        articles: dict[str, dict] = {}
        sentence_count = 0
        for name in order:
            if name in self._pending:
                new = self._pending[name]
                if new is None:
                    continue
                info, part, vectors, sentences = new.info, new.passages, new.vectors, new.sentence_vectors
                part = [p if p.article == name else replace(p, article=name) for p in part]
                fact_parts.append(_Facts.of(f for p in part for f in facts_of(p)))
                records.extend(passage_record(p) for p in part)
            else:
                info = held[name]
                a, b = info["rows"]
                sa, sb = info["sentence_rows"]
                part = self.passages()[a:b]
                vectors, sentences = every[a:b], self._data.sentence_vectors[sa:sb]
                fact_parts.append(self._facts.part(sa, sb))
                records.extend(self._data.records[a:b])
            start, sentence_start = len(passages), sentence_count
            sentence_count += len(sentences)
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
                **({"url": info["url"]} if info.get("url") else {}),
            }
        dim = int(self.expect.get("dim") or every.shape[1])
        vectors = np.concatenate(vector_parts) if vector_parts else np.zeros((0, dim), np.float32)
        sentence_vectors = np.concatenate(sentence_parts) if sentence_parts else np.zeros((0, dim), np.float16)
        self._data = files.Store(
            manifest={**self.expect, "articles": articles},
            records=records,
            index=build_index(vectors),
            sentence_vectors=sentence_vectors,
        )
        self._pending = {}
        self._passages = passages
        self._starts = None
        self._bm25, self._vocabulary = _lexical(passages)
        self._facts = _Facts.join(fact_parts)


class _Facts:
    """Every sentence's ``SentenceFacts`` in two arrays (``FACTS_FILES``), read back as a question needs them."""

    def __init__(self, terms: np.ndarray, table: np.ndarray):
        self.terms = terms  # uint8: each sentence's terms, space-separated UTF-8, end to end
        self.table = table  # int64 (sentences, 3): bytes of its terms, words, speech (0/1)
        self._ends: np.ndarray | None = None  # where each sentence's terms end

    @classmethod
    def of(cls, facts: Iterable[SentenceFacts]) -> "_Facts":
        pieces, table = [], []
        for terms, count, speech in facts:
            piece = " ".join(terms).encode("utf-8")
            pieces.append(piece)
            table.append((len(piece), count, int(speech)))
        return cls(np.frombuffer(b"".join(pieces), np.uint8), np.array(table, np.int64).reshape(-1, 3))

    @classmethod
    def join(cls, parts: Sequence["_Facts"]) -> "_Facts":
        if not parts:
            return cls.of(())
        return cls(np.concatenate([p.terms for p in parts]), np.concatenate([p.table for p in parts]))

    def ends(self) -> np.ndarray:
        if self._ends is None:
            self._ends = np.cumsum(self.table[:, 0])
        return self._ends

    def _span(self, a: int, b: int) -> tuple[int, int]:
        """The byte range of sentences ``a`` to ``b``."""
        if a >= b:
            return 0, 0
        ends = self.ends()
        return int(ends[a] - self.table[a, 0]), int(ends[b - 1])

    def part(self, a: int, b: int) -> "_Facts":
        """Sentences ``a`` to ``b`` (a kept article's, when the rows are laid out again)."""
        start, end = self._span(a, b)
        return _Facts(self.terms[start:end], self.table[a:b])

    def read(self, a: int, b: int) -> list[SentenceFacts]:
        start, end = self._span(a, b)
        data = self.terms[start:end].tobytes()
        out, at = [], 0
        for size, count, speech in self.table[a:b].tolist():
            out.append(SentenceFacts(tuple(data[at:at + size].decode("utf-8").split()), count, bool(speech)))
            at += size
        return out

    def writers(self) -> dict:
        """``write_store``'s extra files for the facts."""
        def saver(array: np.ndarray):
            def write(tmp: str) -> None:
                with open(tmp, "wb") as fh:
                    np.save(fh, array)
            return write
        return dict(zip(FACTS_FILES, (saver(self.terms), saver(self.table))))


class SavedBm25:
    """A saved BM25 index, scored as ``bm25s.BM25.get_scores`` scores it, without importing bm25s.

    bm25s imports scipy: 0.2 s of a cached start, for what is a sum of
    memory-mapped columns (the index is bm25s's ``lucene`` method, whose
    scores are all precomputed).
    """

    def __init__(self, paths: dict[str, Path]):
        """``paths``: where each of its files (``BM25_FILES``'s keys) is."""
        self.paths = paths
        self.params = read_json(paths["params_name"])
        if self.params.get("method") != "lucene" or self.params.get("dtype") != "float32":
            raise ValueError(f"a BM25 index of method {self.params.get('method')!r}: only 'lucene' is read")
        self.vocab = read_json(paths["vocab_name"])
        self.data, self.indices, self.indptr = (
            np.asarray(np.load(paths[name], mmap_mode="r", allow_pickle=False))
            for name in ("data_name", "indices_name", "indptr_name"))
        self.num_docs = int(self.params["num_docs"])

    def get_scores(self, terms: list[str]) -> np.ndarray:
        scores = np.zeros(self.num_docs, np.float32)
        for term in terms:
            at = self.vocab.get(term)
            if at is not None:
                start, end = self.indptr[at], self.indptr[at + 1]
                np.add.at(scores, self.indices[start:end], self.data[start:end])
        return scores

    def save(self, folder: Path, show_progress: bool = False, **names: str) -> None:
        """Copies of its files in ``folder``, under ``names`` (``BM25_FILES``'s keys), as bm25s saves."""
        for key, name in names.items():
            shutil.copyfile(self.paths[key], Path(folder) / name)


def _lexical(passages: Sequence[Passage]):
    """The term statistics and the BM25 index (``bm25s``) of ``passages``, built from the same terms; none without any."""
    vocabulary = Vocabulary(lexical_texts(passages))
    if not passages:
        return None, vocabulary
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.ERROR)  # it logs each index build as a warning
    bm25 = bm25s.BM25()
    bm25.index(vocabulary.docs, show_progress=False)
    vocabulary.docs = []  # BM25 holds them now
    return bm25, vocabulary


def _lexical_writers(staging: Path, bm25, vocabulary: Vocabulary) -> dict:
    """``write_store``'s extra files: the statistics, and BM25 as bm25s saves it into ``staging`` (moved in)."""
    state = json.dumps(vocabulary.state(), ensure_ascii=False)
    writers = {VOCABULARY: lambda tmp: Path(tmp).write_text(state, encoding="utf-8")}
    if bm25 is None:
        return writers
    bm25.save(staging, show_progress=False, **BM25_FILES)
    for name in BM25_FILES.values():
        writers[name] = lambda tmp, name=name: os.replace(staging / name, tmp)
    return writers
