"""The steps of ingesting that every path shares: find the files, hash them, repair, split and embed.

The one writer (``ingest.py``: the app's build, uploads, ``python -m qa
index``) and Ray's workers (``ingest_ray.py``) find articles
(``source_files``, with ``Stamps`` to skip reading unchanged files), make an
article's manifest entry and passages (``prepare``) and embed them
(``embed_passages``) here, so they agree on what a store holds. Leaves out:
writing the store (``ingest.py``).
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import orjson

from embeddings.files import atomic_write, read_json
from embeddings.model import Embedder

from .articles import SPLITTER_VERSION, Passage, article_files, check_size, parse_article, split_passages
from .config import Settings
from .errors import ArticleError
from .folders import upload_files, upload_folder, upload_folders

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Job:
    """One article file to (re)index, as it was when hashed."""

    name: str
    path: Path
    digest: str
    uploaded: bool
    size: int


@dataclass
class Indexed:
    """One article repaired, split and embedded; ``error`` says why it could not be (then it has no passages)."""

    name: str
    info: dict  # the manifest's entry: digest, title, sections, uploaded
    passages: list[Passage]
    vectors: np.ndarray
    sentence_vectors: np.ndarray
    error: str | None = None


def read_source(path: Path, name: str, max_bytes: int) -> bytes:
    """An article file's bytes, refused (ArticleError) when it is too large or unreadable."""
    try:
        check_size(name, path.stat().st_size, max_bytes)
        return path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"cannot read {path}: {exc.strerror or exc}") from exc


def prepare(name: str, data: bytes, uploaded: bool, embedder: Embedder,
            settings: Settings) -> tuple[dict, list[Passage]]:
    """Repair and split one article: its manifest entry (digest, title, sections, uploaded) and passages."""
    article = parse_article(name, data, settings.max_article_bytes)
    passages = split_passages(article, embedder.count_tokens, embedder.max_tokens, settings.pack_tokens)
    info = {"digest": article.digest, "title": article.title, "sections": [s.header for s in article.sections],
            "uploaded": uploaded}
    if article.url:
        info["url"] = article.url
    return info, passages


def failed(name: str, error: str, dim: int) -> Indexed:
    """An article that could not be indexed, and why."""
    empty = np.zeros((0, dim), np.float32)
    return Indexed(name, {}, [], empty, empty, error)


@dataclass(frozen=True)
class Source:
    """An article file and the name it is known by (unique in its corpus)."""

    path: Path
    name: str
    uploaded: bool


def source_files(settings: Settings, owner: str | None = None,
                 beside: Iterable[str] | None = None) -> tuple[list[Source], list[str]]:
    """Article files to load: the configured path's, then uploads; and warnings about renamed ones.

    ``beside``: only ``owner``'s own uploads, named apart from these names (the base corpus's, which a
    browser's overlay reads beside them: ``overlay.py``).
    """
    sources: list[Source] = []
    warnings: list[str] = []
    taken: set[str] = set(beside or ())
    if beside is not None and owner is not None:
        files = [(p, True) for p in upload_files(upload_folder(settings, owner))]
    else:
        files = [(p, False) for p in article_files(Path(settings.articles))]
        for folder in upload_folders(settings, owner):
            files += [(p, True) for p in upload_files(folder)]
    for path, uploaded in files:
        name = path.name
        if name in taken:
            name = unused_name(name, taken)
            warnings.append(f"{path.name}: another article already has this name, so this "
                            f"{'upload' if uploaded else 'file'} is listed as {name}")
        taken.add(name)
        sources.append(Source(path, name, uploaded))
    return sources, warnings


def unused_name(name: str, taken: set[str]) -> str:
    """``name`` made unique the way file managers do it.

    >>> unused_name("notes.txt", {"notes.txt", "notes (2).txt"})
    'notes (3).txt'
    """
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while f"{stem} ({n}){suffix}" in taken:
        n += 1
    return f"{stem} ({n}){suffix}"


def store_expect(embedder: Embedder, settings: Settings) -> dict:
    """What a store must have been made with to be read with this model and these settings."""
    return {
        "model": embedder.name,
        "model_source": Path(embedder.source).name,
        "dim": embedder.dim,
        "splitter": SPLITTER_VERSION,
        "max_tokens": embedder.max_tokens,
        "pack_tokens": settings.pack_tokens,
        "precision": embedder.precision,  # int8 vectors are not fp32 vectors: switching rebuilds
    }


def embed_passages(groups: list[list[Passage]], embedder: Embedder, batch_size: int,
                   progress: Callable[[int, int], None] | None = None,
                   build_chars: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(passage vectors, their sentences' vectors in order) for each group of passages, from one pass.

    All groups' passages are batched together (sorted by length, as the
    embedder does), so many small articles embed as fast as one large one.
    ``build_chars``: the whole build's size when these groups are a part of it
    (it decides bfloat16, ``Embedder.encode_with_parts``).
    """
    texts: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    for passages in groups:
        for p in passages:
            shift = len(p.embed_text) - len(p.text)  # the header line before the text
            texts.append(p.embed_text)
            spans.append([(a + shift, b + shift) for a, b in p.sentences])
    empty = np.zeros((0, embedder.dim), np.float32)
    if not texts:
        return [(empty, empty) for _ in groups]
    vectors, sentence_vectors = embedder.encode_with_parts(texts, spans, batch_size, progress, build_chars)
    out = []
    at = 0
    for passages in groups:
        n = len(passages)
        out.append((vectors[at:at + n], np.concatenate(sentence_vectors[at:at + n]) if n else empty))
        at += n
    return out


class Stamps:
    """Each article file's size and modification time when its digest was taken (``stamps.json``, a hint).

    A file whose size and time are as stamped is not read again at a cached
    start (reading and hashing 12,800 files was 0.2 s of a 100k-passage
    start). A file changed within ``SETTLE_NS`` of being read is not stamped:
    a write in the same clock tick would keep its time. A missing or
    unreadable stamps file only means every article is read.
    """

    NAME = "stamps.json"
    SETTLE_NS = 2_000_000_000

    def __init__(self, folder: Path):
        self.path = Path(folder) / self.NAME
        try:
            self.held = read_json(self.path)
            if not isinstance(self.held, dict):
                raise ValueError("not an object")
        except (OSError, ValueError):
            self.held = {}
        self.now: dict[str, list] = {}
        self.clock = time.time_ns()

    def digest(self, path: Path, stat: os.stat_result) -> str | None:
        """The digest stamped for ``path`` if it is unchanged since, else None."""
        stamp = self.held.get(str(path))
        if isinstance(stamp, list) and len(stamp) == 3 and stamp[:2] == [stat.st_size, stat.st_mtime_ns]:
            self.now[str(path)] = stamp
            return str(stamp[2])
        return None

    def taken(self, path: Path, stat: os.stat_result, digest: str) -> str:
        """Stamp ``path`` with the digest just taken of it (if it has settled); returns the digest."""
        if self.clock - stat.st_mtime_ns > self.SETTLE_NS:
            self.now[str(path)] = [stat.st_size, stat.st_mtime_ns, digest]
        return digest

    def save(self) -> None:
        """Keep the stamps of the files seen this time (nothing when they are as they were, or unwritable)."""
        if self.now != self.held:
            with contextlib.suppress(OSError):
                self.path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(self.path, lambda tmp: Path(tmp).write_bytes(orjson.dumps(self.now)))
