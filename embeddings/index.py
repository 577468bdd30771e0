"""The FAISS index on disk: vectors, the records they stand for, a manifest.

A store is a folder: ``index.faiss`` (passage vectors), ``sentences.npy``
(sentence vectors, float16, memory-mapped when read), ``records.jsonl`` (one
JSON object per passage, opaque to this module; written as one line of
columns when every record has the same keys, as the manifest says), any further files its writer adds (the lexical index
and term statistics, opaque here too) and ``manifest.json`` (format version, model,
dimension, splitter version, per-article hashes and rows, a checksum of
every other file, and a checksum of its own content, so an edited or swapped
row is caught like a damaged file). Each write puts its files under names of
its own (``generation_name``) and renames the manifest, which names them, over
the last one; only then are the previous write's files removed. So a writer
killed at any point leaves the store it started from, whole (an ingestion run
resumes from its last flush); a file damaged or swapped later fails its
checksum, which ``read_store`` reports as ``IndexCorrupt`` and callers
rebuild. Callers hold ``embeddings.files.cache_lock`` around building and
publishing, so two writers never interleave their files.
Leaves out: updating a FAISS file in place (rebuilding a flat index is cheap).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import faiss
import numpy as np

from .files import DIGEST, atomic_write, digest_matches, read_json

# 2: the manifest carries a checksum of its own content (stores of format 1 are rebuilt).
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
FILES = ("index.faiss", "sentences.npy", "records.jsonl")
# Exact search (IndexFlatIP) up to this many passages: ~10 ms a query at 50k
# on one core. Above it, HNSW answers in ~0.4 ms; at 100k, efSearch 256 gave
# recall@10 0.954 against exact search (128: 0.921), measured in bench/.
HNSW_ABOVE = 50_000
HNSW_M = 32
HNSW_EF_SEARCH = 256


class Records(Sequence):
    """Records kept as columns (key -> one value a record), read as dicts: what ``read_store`` gives back.

    One JSON object of columns parses in a third of the time of one object a
    line (0.4 s against 1.5 s at 100k passages), most of a cached start.
    """

    def __init__(self, columns: dict[str, list]):
        self.columns = columns
        self._count = len(next(iter(columns.values()))) if columns else 0

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._count))]
        if not -self._count <= i < self._count:
            raise IndexError(i)
        return {key: values[i] for key, values in self.columns.items()}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)


class IndexCorrupt(Exception):
    """A store that must not be served: missing, truncated, stale or mismatched."""


@dataclass
class Store:
    """An index in memory: what ``write_store`` saves and ``read_store`` gives back."""

    manifest: dict[str, Any]
    records: list[dict[str, Any]]
    index: faiss.Index
    sentence_vectors: np.ndarray

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    def vectors(self, ids: np.ndarray | list[int]) -> np.ndarray:
        """Passage vectors for ``ids``, read back from the index."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros((0, self.index.d), dtype=np.float32)
        return self.index.reconstruct_batch(ids)

    def all_vectors(self) -> np.ndarray:
        return self.index.reconstruct_n(0, self.size) if self.size else np.zeros((0, self.index.d), np.float32)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Ids and inner-product scores of the ``k`` nearest passages (ids -1 pad)."""
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores, ids = self.index.search(query.reshape(1, -1).astype(np.float32), k)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]


def build_index(vectors: np.ndarray) -> faiss.Index:
    """A FAISS inner-product index for unit vectors: exact, or HNSW when large."""
    n, dim = vectors.shape
    if n > HNSW_ABOVE:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    if n:
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def index_kind(index: faiss.Index) -> str:
    """Short name of the FAISS index type, for reports."""
    return "HNSW" if isinstance(index, faiss.IndexHNSWFlat) else "Flat (exact)"


def manifest_checksum(manifest: dict[str, Any]) -> str:
    """SHA-256 of a manifest's content (its own ``checksum`` left out), independent of key order."""
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def write_store(folder: Path, store: Store, extra: dict[str, Callable[[str], None]] | None = None) -> None:
    """Save ``store`` under ``folder`` atomically, manifest last.

    ``extra``: more files, name -> a function writing one to the path it is
    given; they are checksummed in the manifest like the store's own.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    records = store.records
    keys = list(records[0]) if len(records) else []
    columnar = all(list(r) == keys for r in records)  # else (records of different keys) one a line

    def write_records(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            if columnar:
                fh.write(json.dumps({k: [r[k] for r in records] for k in keys}, ensure_ascii=False) + "\n")
                return
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    def write_sentences(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            np.save(fh, store.sentence_vectors.astype(np.float16))

    previous = _listed_files(folder)
    writers = {"index.faiss": lambda tmp: faiss.write_index(store.index, tmp),
               "sentences.npy": write_sentences, "records.jsonl": write_records, **(extra or {})}
    token = secrets.token_hex(6)
    stored = {name: generation_name(name, token) for name in writers}
    digests = {name: atomic_write(folder / stored[name], write) for name, write in writers.items()}
    manifest = dict(store.manifest)
    manifest.pop("checksum", None)
    manifest["format"] = FORMAT_VERSION
    manifest["count"] = store.size
    manifest["records"] = "columns" if columnar else "lines"
    manifest["files"] = {
        name: {"bytes": (folder / stored[name]).stat().st_size, DIGEST: digests[name], "file": stored[name]}
        for name in digests
    }
    manifest["checksum"] = manifest_checksum(manifest)
    atomic_write(
        folder / MANIFEST,
        lambda tmp: Path(tmp).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8"),
    )
    store.manifest = manifest
    _drop_unlisted(folder, previous - {MANIFEST}, set(stored.values()))


def generation_name(name: str, token: str) -> str:
    """The file a write of ``name`` goes to: ``index.faiss`` -> ``index.g0123456789ab.faiss``.

    Every write makes new files and the manifest, renamed last, names them:
    a writer killed before that leaves the store it started from whole (its
    new files are unlisted and dropped by the next write), not one that
    fails its checks and is rebuilt from nothing.
    """
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.g{token}.{suffix}" if dot else f"{name}.g{token}"


_GENERATION = re.compile(r"\.g[0-9a-f]{12}(?=\.|$)")


def logical_name(file: str) -> str:
    """The store's name for a file of one write (``generation_name`` undone); other names unchanged."""
    return _GENERATION.sub("", file, count=1)


def _listed_files(folder: Path) -> set[str]:
    """The files the manifest in ``folder`` names now (unverified; none when there is none)."""
    try:
        files = read_json(Path(folder) / MANIFEST).get("files") or {}
        return {str(info.get("file", name)) for name, info in files.items() if isinstance(info, dict)}
    except (OSError, ValueError, AttributeError):
        return set()


def _drop_unlisted(folder: Path, previous: set[str], listed: set[str]) -> None:
    """Remove the files the manifest no longer names: the previous write's, and any killed write's."""
    for path in folder.iterdir():
        name = path.name
        if name not in listed and path.is_file() and (name in previous or _GENERATION.search(name)):
            with contextlib.suppress(OSError):
                path.unlink()


def stored_path(folder: Path, manifest: dict[str, Any], name: str) -> Path:
    """Where the store in ``folder`` keeps its file ``name`` (a write's own name, or ``name`` for older stores)."""
    info = (manifest.get("files") or {}).get(name) or {}
    file = info.get("file", name)
    if not isinstance(file, str) or Path(file).name != file or file == MANIFEST:
        raise IndexCorrupt(f"manifest lists a file {file!r} outside the store")
    return Path(folder) / file


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of the store in ``folder``; IndexCorrupt if absent or unreadable."""
    path = Path(folder) / MANIFEST
    try:
        manifest = read_json(path)
    except FileNotFoundError as exc:
        raise IndexCorrupt("no index yet") from exc
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"unreadable manifest: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise IndexCorrupt(f"index format {manifest.get('format') if isinstance(manifest, dict) else '?'}"
                           f" is not {FORMAT_VERSION}")
    if manifest.get("checksum") != manifest_checksum(manifest):
        raise IndexCorrupt("manifest does not match its checksum")
    return manifest


def read_store(folder: Path, expect: dict[str, Any]) -> Store:
    """Load and verify a store; ``expect`` holds manifest values that must match (model, dim, ...).

    Raises IndexCorrupt with the reason when anything is missing, stale,
    truncated or inconsistent: such a store must be rebuilt, never served.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    for key, value in expect.items():
        if manifest.get(key) != value:
            raise IndexCorrupt(f"index made with {key}={manifest.get(key)!r}, need {value!r}")
    files = manifest.get("files") or {}
    for name in dict.fromkeys((*FILES, *files)):
        if Path(name).name != name or name == MANIFEST:
            raise IndexCorrupt(f"manifest lists a file {name!r} outside the store")
        path = stored_path(folder, manifest, name)
        info = files.get(name) or {}
        if not path.is_file() or path.stat().st_size != info.get("bytes"):
            raise IndexCorrupt(f"{name} is missing or truncated")
        if not digest_matches(path, info):
            raise IndexCorrupt(f"{name} does not match its checksum")
    try:
        index = faiss.read_index(str(stored_path(folder, manifest, "index.faiss")))
        # Memory-mapped: slices are read as answers need them (the checksum has just read the file).
        # A plain array over the mapping: np.memmap's slicing costs microseconds a call in Python.
        sentence_vectors = np.asarray(np.load(stored_path(folder, manifest, "sentences.npy"), allow_pickle=False,
                                              mmap_mode="r"))
        records_path = stored_path(folder, manifest, "records.jsonl")
        if manifest.get("records") == "columns":
            columns = read_json(records_path)
            if not isinstance(columns, dict) or len({len(v) for v in columns.values()}) > 1:
                raise ValueError("records.jsonl: columns of different lengths")
            records = Records(columns)
        else:  # one record a line (stores written before the columns)
            text = records_path.read_text(encoding="utf-8")
            records = json.loads("[" + ",".join(text.splitlines()) + "]")
    except (RuntimeError, OSError, ValueError) as exc:
        raise IndexCorrupt(f"unreadable index files: {exc}") from exc
    if index.ntotal != len(records) or index.ntotal != manifest.get("count") or index.d != manifest.get("dim"):
        raise IndexCorrupt("index, records and manifest disagree on size")
    if isinstance(index, faiss.IndexHNSWFlat):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return Store(manifest=manifest, records=records, index=index, sentence_vectors=sentence_vectors)
