"""Ingestion: a folder of articles into a store, by content hash, resumable, in-process or on Ray.

``index_articles`` hashes every article file (``content_digest``, as the
corpus does), deletes from the store the articles gone from the folder, and
repairs, splits and embeds only the new or changed ones, putting each into
the store as soon as it is done and flushing every 30 s or so
(``FLUSH_SECONDS``): a run killed midway loses only what came after the last
flush, and the next run skips everything flushed. Without ``ray_address``
the work runs here, with the same functions as the app's own build (no Ray
import); with it, ``qa.ingest_ray`` runs it as a Ray Data pipeline and this
module only writes what comes back. Leaves out: the store's durability (its
``flush``), watching a folder for changes.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from embeddings.files import cache_lock, sweep
from embeddings.model import Embedder

from .articles import Passage, content_digest
from .config import Settings
from .corpus import Progress, _expect, embed_passages, source_files
from .errors import ArticleError
from .folders import STORE_LEFTOVERS, store_folder
from .ingest_steps import Indexed, Job, failed, prepare, read_source
from .store import Store
from .stores import open_store

# By default a run flushes every 30 s, or less often when flushing is slow: a FAISS flush rewrites the
# whole store (it grows with the corpus), so the wait is at least FLUSH_COST times the last flush's
# time, which keeps flushing under a tenth of the run; a kill loses the work since the last flush.
FLUSH_SECONDS = 30.0
FLUSH_COST = 10
# In-process, articles are embedded together up to this many bytes of text (~100 passages, a few seconds here):
# their passages are batched by length across articles, as the app's build batches them.
CHUNK_BYTES = 64_000


@contextlib.contextmanager
def open_for_writing(settings: Settings, embedder: Embedder, progress: Progress | None = None) -> Iterator[Store]:
    """The settings' store (``settings.store``), holding its cache folder's lock meanwhile, as the app's build does."""
    folder = store_folder(settings)
    with cache_lock(folder, (lambda: progress("waiting", 0, 0)) if progress else None) as locked:
        if locked:
            sweep(folder, STORE_LEFTOVERS)
        yield open_store(settings, _expect(embedder, settings))


@dataclass
class Report:
    """What one run did."""

    indexed: list[str] = field(default_factory=list)  # articles embedded and stored this run
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    passages: int = 0  # passages embedded this run
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0  # from the first article handed over to the last one stored

    @property
    def passages_per_second(self) -> float:
        return self.passages / self.embed_seconds if self.embed_seconds > 0 else 0.0


def plan(settings: Settings, progress: Progress) -> tuple[list[Job], list[str]]:
    """Every article the settings name (the folder's, then shared uploads, as the app reads them), hashed."""
    sources, warnings = source_files(settings)
    jobs = []
    for i, source in enumerate(sources):
        try:
            data = read_source(source.path, source.name, settings.max_article_bytes)
            jobs.append(Job(source.name, source.path, content_digest(data), source.uploaded, len(data)))
        except ArticleError as exc:
            warnings.append(f"skipped {source.name}: {exc}")
        progress("reading", i + 1, len(sources))
    return jobs, warnings


def index_articles(settings: Settings, store: Store, embedder: Embedder, progress: Progress | None = None,
                   ray_address: str | None = None, flush_seconds: float | None = None,
                   on_flush: Callable[[Report], None] | None = None) -> Report:
    """Bring ``store`` up to date with the settings' articles; returns what was done.

    ``ray_address``: run repair, splitting and embedding on Ray ("local"
    starts a Ray on this machine). ``flush_seconds``: flush at least this
    often (default: see ``FLUSH_SECONDS``). ``on_flush`` is called after
    each flush with the report so far (a hook for tests and callers that
    checkpoint). Raises ArticleError when no article at all is usable.
    """
    progress = progress or (lambda stage, done, total: None)
    began = time.monotonic()
    jobs, warnings = plan(settings, progress)
    report = Report(warnings=warnings)
    held = store.digests()
    names = {job.name for job in jobs}
    todo = [job for job in jobs if held.get(job.name) != job.digest]
    report.unchanged = len(jobs) - len(todo)
    report.removed = [name for name in held if name not in names]
    for name in report.removed:
        store.delete_article(name)
    dirty = bool(report.removed)

    wait = FLUSH_SECONDS if flush_seconds is None else flush_seconds

    def flush() -> None:
        nonlocal wait
        progress("saving", 0, 0)
        start = time.monotonic()
        store.flush()
        if flush_seconds is None:
            wait = max(FLUSH_SECONDS, FLUSH_COST * (time.monotonic() - start))
        if on_flush is not None:
            on_flush(report)

    if todo:
        if ray_address is None:
            results = embed_in_process(todo, settings, embedder)
        else:
            from .ingest_ray import embed_on_ray  # only here: the in-process path never imports Ray

            results = embed_on_ray(todo, settings, ray_address)
        progress("ingesting", 0, len(todo))
        started = last_flush = time.monotonic()
        try:
            for done, result in enumerate(results, 1):
                if result.error is not None:
                    report.warnings.append(f"skipped {result.name}: {result.error}")
                    if result.name in held:  # changed into something unusable: its old version goes too
                        store.delete_article(result.name)
                else:
                    store.put_article(result.name, result.info, result.passages, result.vectors,
                                      result.sentence_vectors)
                    report.indexed.append(result.name)
                    report.passages += len(result.passages)
                dirty = True
                report.embed_seconds = time.monotonic() - started
                progress("ingesting", done, len(todo))
                if time.monotonic() - last_flush >= wait:
                    flush()
                    dirty, last_flush = False, time.monotonic()
        except BaseException:  # Ctrl-C or a failed worker: keep what is done (kill -9 keeps the last flush)
            if dirty:
                with contextlib.suppress(Exception):
                    store.flush()
            raise
    if dirty:
        flush()
    report.seconds = time.monotonic() - began
    if not store.digests():
        raise ArticleError(f"no usable articles in {settings.articles}: " + "; ".join(report.warnings))
    return report


def embed_in_process(jobs: list[Job], settings: Settings, embedder: Embedder) -> Iterator[Indexed]:
    """Repair, split and embed here, a chunk of articles at a time; yields each article when embedded."""
    build_bytes = sum(job.size for job in jobs)  # the model's precision is chosen for the whole run
    for chunk in _chunks(jobs, CHUNK_BYTES):
        ready: list[tuple[Job, dict, list[Passage]]] = []
        for job in chunk:
            try:
                info, passages = prepare(job.name, read_source(job.path, job.name, settings.max_article_bytes),
                                         job.uploaded, embedder, settings)
            except ArticleError as exc:
                yield failed(job.name, str(exc), embedder.dim)
                continue
            ready.append((job, info, passages))
        embedded = embed_passages([passages for _, _, passages in ready], embedder, settings.batch_size,
                                  build_chars=build_bytes)
        for (job, info, passages), (vectors, sentence_vectors) in zip(ready, embedded):
            yield Indexed(job.name, info, passages, vectors, sentence_vectors)


def _chunks(jobs: Iterable[Job], limit: int) -> Iterator[list[Job]]:
    chunk: list[Job] = []
    size = 0
    for job in jobs:
        if chunk and size + job.size > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(job)
        size += job.size
    if chunk:
        yield chunk
