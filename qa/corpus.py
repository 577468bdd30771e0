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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from embeddings.files import cache_lock, sweep
from embeddings.model import Embedder

from .articles import Passage
from .config import Settings
from .faiss_store import FaissStore
from .folders import STORE_LEFTOVERS, UPLOAD_LEFTOVERS, UPLOADS, store_folder
from .ingest import Plan, plan, write
from .ingest_steps import Progress, Stamps, store_expect
from .overlay import OverlayStore
from .store import Store
from .stores import open_store

log = logging.getLogger(__name__)


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


def open_corpus(settings: Settings, embedder: Embedder, progress: Progress | None = None,
                owner: str | None = None, donor: Store | None = None) -> Corpus:
    """Load the cached corpus, embedding only articles that are new or changed.

    Takes the store folder's lock, brings the store up to date through the
    one writer (``ingest.write``), and loads it. ``owner``: also read that
    browser's uploads, into its own store; ``donor``: another verified store
    whose vectors may be reused (the base corpus's, for an owner's first
    store). A second process waits for the lock, then finds the store fresh.
    Raises ArticleError when there is no usable article at all. Files in a
    folder that cannot be read are skipped and named in ``warnings``.
    """
    progress = progress or (lambda stage, done, total: None)
    folder = store_folder(settings, owner)
    with _locked(folder, progress):
        planned = plan(settings, progress, owner, Stamps(folder))
        with _without_gc(settings.freeze_gc):
            store = open_store(settings, store_expect(embedder, settings), owner)
        if store.digests() == planned.digests:
            with contextlib.suppress(OSError):
                store.flush()  # writes what an older writer left out (the lexical index), else nothing
            with _without_gc(settings.freeze_gc):
                return _from_store(store, folder, planned)
        report = write(settings, store, embedder, planned, progress, donor=donor, cache_optional=True)
        progress("indexing", 1, 1)
        corpus = _from_store(store, folder, planned, report.warnings)
        corpus.embedded = report.passages
        return corpus


def open_overlay(settings: Settings, embedder: Embedder, base: Corpus, owner: str,
                 progress: Progress | None = None) -> Corpus:
    """A browser's corpus: ``base`` (shared, read in place) and a store of ``owner``'s own uploads, read as one.

    The own store holds only the uploads (named apart from the base's
    articles) and is brought up to date through the one writer
    (``ingest.write``), reusing the base's vectors for an upload it already
    holds; the overlay (``overlay.py``) then reads the base's rows and the
    own store's as one corpus. Only for FAISS stores: a Milvus store's view
    of an owner is already its base plus its uploads (``open_corpus``).
    """
    progress = progress or (lambda stage, done, total: None)
    folder = store_folder(settings, owner)
    with _locked(folder, progress):
        planned = plan(settings, progress, owner, Stamps(folder), beside=[a.name for a in base.articles])
        own = open_store(settings, store_expect(embedder, settings), owner)
        warnings, embedded = list(planned.warnings), 0
        if own.digests() != planned.digests:
            report = write(settings, own, embedder, planned, progress, donor=base.store, cache_optional=True,
                           may_be_empty=True)
            warnings, embedded = report.warnings, report.passages
            progress("indexing", 1, 1)
        elif not getattr(own, "saved", True):
            with contextlib.suppress(OSError):
                own.flush()
    if not isinstance(base.store, FaissStore) or not isinstance(own, FaissStore):
        raise TypeError("an overlay reads FAISS stores; a Milvus store reads an owner's view itself")
    store = OverlayStore(base.store, own)
    mine = _from_store(own, folder, planned, warnings)
    return Corpus([*base.articles, *mine.articles], store.passages(), store, [*base.warnings, *warnings], folder,
                  embedded, {**base.files, **mine.files})


@contextlib.contextmanager
def _locked(folder: Path, progress: Progress) -> Iterator[None]:
    """Hold a store folder's inter-process lock, sweeping what a killed build left there once it is ours."""
    with cache_lock(folder, waiting=lambda: progress("waiting", 0, 0)) as locked:
        if locked:
            sweep(folder, STORE_LEFTOVERS)
            sweep(folder / UPLOADS, UPLOAD_LEFTOVERS)
        yield


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


def _from_store(store: Store, folder: Path, planned: Plan, warnings: list[str] | None = None) -> Corpus:
    """A corpus straight from a store: no parsing, no embedding."""
    articles = store.manifest["articles"]
    passages = store.passages()
    uploaded = {job.name: job.uploaded for job in planned.jobs}
    files = planned.files
    warnings = list(planned.warnings if warnings is None else warnings)
    infos = [
        ArticleInfo(name, info["title"], tuple(info["sections"]), info["rows"][1] - info["rows"][0],
                    uploaded.get(name, False), info.get("url") or "")
        for name, info in articles.items()
    ]
    return Corpus(infos, passages, store, warnings, folder, 0, files)
