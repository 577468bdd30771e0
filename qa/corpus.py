"""The corpus: articles on disk become passages with vectors, cached as a store.

``open_corpus`` reads the article files, compares their hashes with the
digests the store holds (``store.py``: FAISS files or Milvus), and embeds only
what changed: an unchanged corpus loads without touching the model's forward
pass, an edited article is the only one re-embedded and written, and articles
gone from disk are deleted from the store. A store that fails its checks is
rebuilt, never served.
Reading, building and publishing a store hold its folder's inter-process
lock, which also sweeps what a killed build left there.

Articles come from the configured file or folder, then uploads: the shared
ones (``<store>/uploads``) and, for an owner (a browser), its own
(``<store>/browsers/<owner>/uploads``, with the owner's store beside them).
Two files never hide each other: a later one with a name already taken is
listed as ``name (2).txt``, with a warning. Leaves out: retrieval and
answering (``retrieve.py``, ``answer.py``).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import orjson

from embeddings.files import atomic_write, cache_lock, read_json, sweep
from embeddings.model import Embedder

from .articles import SPLITTER_VERSION, Passage, article_files, check_size, content_digest
from .config import Settings
from .errors import ArticleError
from .folders import STORE_LEFTOVERS, UPLOAD_LEFTOVERS, UPLOADS, store_folder, upload_files, upload_folders
from .ingest_steps import prepare
from .store import Store, StoredArticle
from .stores import open_store

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]



@dataclass(frozen=True)
class ArticleInfo:
    """What the UI lists about a loaded article."""

    name: str
    title: str
    sections: tuple[str, ...]
    passages: int
    uploaded: bool = False
    url: str = ""  # a web page's address, when it gave one


@dataclass
class Corpus:
    """Passages and their store (vectors, sentence vectors, lexical index)."""

    articles: list[ArticleInfo]
    passages: Sequence[Passage]  # a list, or read when first used (the Milvus store)
    store: Store
    warnings: list[str]
    folder: Path
    embedded: int = 0  # passages embedded while opening (0: all from cache)
    files: dict[str, Path] = field(default_factory=dict)  # article name -> its file

    def __post_init__(self) -> None:
        self.urls = {a.name: a.url for a in self.articles if a.url}  # web articles' addresses, for citations

    def sentence_vectors(self, row: int) -> np.ndarray:
        """The vectors of passage ``row``'s sentences (float32)."""
        return self.store.sentence_vectors([row])[0]


@dataclass(frozen=True)
class Source:
    """An article file and the name it is known by (unique in its corpus)."""

    path: Path
    name: str
    uploaded: bool


def source_files(settings: Settings, owner: str | None = None) -> tuple[list[Source], list[str]]:
    """Article files to load: the configured path's, then uploads; and warnings about renamed ones."""
    sources: list[Source] = []
    warnings: list[str] = []
    taken: set[str] = set()
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


def _expect(embedder: Embedder, settings: Settings) -> dict:
    return {
        "model": embedder.name,
        "model_source": Path(embedder.source).name,
        "dim": embedder.dim,
        "splitter": SPLITTER_VERSION,
        "max_tokens": embedder.max_tokens,
        "pack_tokens": settings.pack_tokens,
        "precision": embedder.precision,  # int8 vectors are not fp32 vectors: switching rebuilds
    }


def open_corpus(settings: Settings, embedder: Embedder, progress: Progress | None = None,
                owner: str | None = None, donor: Store | None = None) -> Corpus:
    """Load the cached corpus, embedding only articles that are new or changed.

    ``owner``: also read that browser's uploads, into its own store;
    ``donor``: another verified store whose vectors may be reused (the base
    corpus's, for an owner's first store). Holds the store folder's lock while
    it reads, builds and publishes, so a second process waits, then finds the
    store fresh. Raises ArticleError when there is no usable article at all.
    Files in a folder that cannot be read are skipped and named in ``warnings``.
    """
    progress = progress or (lambda stage, done, total: None)
    folder = store_folder(settings, owner)
    with cache_lock(folder, waiting=lambda: progress("waiting", 0, 0)) as locked:
        if locked:
            sweep(folder, STORE_LEFTOVERS)
            sweep(folder / UPLOADS, UPLOAD_LEFTOVERS)
        return _open_locked(settings, embedder, progress, owner, donor, folder)


@contextlib.contextmanager
def _without_gc(freeze: bool) -> Iterator[None]:
    """No cyclic garbage collection while a store's records become objects: passes over the growing heap
    were half of parsing them (0.5 s against 0.27 s at 100k passages); the collector is as it was after.
    ``freeze`` (``Settings.freeze_gc``, for a process the app or CLI owns): what was loaded is then kept
    out of the collector's passes, else the first allocation after walks every object made meanwhile,
    0.2 s at 100k passages."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


def _open_locked(settings: Settings, embedder: Embedder, progress: Progress, owner: str | None,
                 donor: Store | None, folder: Path) -> Corpus:
    expect = _expect(embedder, settings)
    sources, warnings = source_files(settings, owner)
    explicit = Path(settings.articles).is_file()
    raw: list[tuple[Source, bytes | None]] = []  # None: not read, its stamp says it is unchanged
    digests: dict[str, str] = {}
    stamps = Stamps(folder)
    for source in sources:
        try:
            stat = source.path.stat()
            check_size(source.name, stat.st_size, settings.max_article_bytes)
            digest = stamps.digest(source.path, stat)
            data = None if digest else source.path.read_bytes()
            raw.append((source, data))
            digests[source.name] = digest or stamps.taken(source.path, stat, content_digest(data))
        except (OSError, ArticleError) as exc:
            if explicit:
                raise ArticleError(str(exc)) from exc
            warnings.append(f"skipped {source.name}: {exc}")
    stamps.save()
    files = {s.name: s.path for s, _ in raw}

    with _without_gc(settings.freeze_gc):
        store = open_store(settings, expect, owner)
    held = store.digests()
    if held == digests:
        with contextlib.suppress(OSError):
            store.flush()  # writes what an older writer left out (the lexical index), else nothing
        with _without_gc(settings.freeze_gc):
            return _from_store(store, folder, warnings, raw, files)

    progress("reading", 0, len(raw))
    reuse: dict[str, tuple[Store, str]] = {}  # digest -> a verified store holding that article
    for source_store in (store, donor):
        for name, digest in (source_store.digests().items() if source_store is not None else ()):
            reuse.setdefault(digest, (source_store, name))
    kept: set[str] = set()
    puts: list[tuple[str, dict, StoredArticle | None]] = []  # None: to embed
    to_embed: list[tuple[int, list[Passage]]] = []  # (index in puts, passages)
    for i, (source, data) in enumerate(raw):
        name, uploaded = source.name, source.uploaded
        digest = digests[name]
        info = {"digest": digest, "uploaded": uploaded}
        if held.get(name) == digest:
            kept.add(name)
        elif digest in reuse and (stored := reuse[digest][0].article(reuse[digest][1])) is not None:
            puts.append((name, {**stored.info, **info}, stored))
        else:
            try:
                data = source.path.read_bytes() if data is None else data
                entry, passages = prepare(name, data, uploaded, embedder, settings)
            except ArticleError as exc:
                if explicit or len(raw) == 1:
                    raise
                warnings.append(f"skipped {name}: {exc}")
                continue
            to_embed.append((len(puts), passages))
            puts.append((name, {**entry, **info}, None))
        progress("reading", i + 1, len(raw))
    if not kept and not puts:
        raise ArticleError(f"no usable articles in {settings.articles}: " + "; ".join(warnings))

    embedded = _embed_new(to_embed, puts, embedder, settings, progress)
    progress("indexing", 0, 1)
    for name, info, stored in puts:
        store.put_article(name, info, stored.passages, stored.vectors, stored.sentence_vectors)
    for name in set(held) - kept - {name for name, _, _ in puts}:
        store.delete_article(name)
    try:
        store.flush()
    except OSError as exc:  # a read-only cache still answers, it just cannot remember
        warnings.append(f"index not cached ({exc.strerror or exc}); it will be rebuilt next start")
    progress("indexing", 1, 1)
    corpus = _from_store(store, folder, warnings, raw, files)
    corpus.embedded = embedded
    return corpus


def _embed_new(to_embed: list[tuple[int, list[Passage]]], puts: list, embedder: Embedder, settings: Settings,
               progress: Progress) -> int:
    """Embed the passages of new articles into their ``puts`` slots."""
    report = lambda done, total: progress("embedding", done, total)
    groups = embed_passages([passages for _, passages in to_embed], embedder, settings.batch_size, report)
    for (slot, passages), (vectors, sentence_vectors) in zip(to_embed, groups):
        name, info, _ = puts[slot]
        puts[slot] = (name, info, StoredArticle(info, passages, vectors, sentence_vectors))
    return sum(len(passages) for _, passages in to_embed)


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


def _from_store(store: Store, folder: Path, warnings: list[str], raw, files: dict[str, Path]) -> Corpus:
    """A corpus straight from a store: no parsing, no embedding."""
    articles = store.manifest["articles"]
    passages = store.passages()
    uploaded = {s.name: s.uploaded for s, _ in raw}
    infos = [
        ArticleInfo(name, info["title"], tuple(info["sections"]), info["rows"][1] - info["rows"][0],
                    uploaded.get(name, False), info.get("url") or "")
        for name, info in articles.items()
    ]
    return Corpus(infos, passages, store, warnings, folder, 0, files)
