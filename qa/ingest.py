"""Ingestion: the one writer of a store, by content hash, resumable, in-process or on Ray.

Every path that writes a store comes here: the app's build and a browser's
uploads (``corpus.open_corpus``) and ``python -m qa index``
(``index_articles``). ``plan`` finds the articles and their digests (a file
whose size and time are as stamped is not read again); ``write`` deletes
from the store the articles gone, reuses the vectors of an article some
verified store already holds under the same digest (this store, or the base
corpus's for a browser's first store), and repairs, splits and embeds only
the rest, putting each into the store as soon as it is done and flushing
every 30 s or so (``FLUSH_SECONDS``): a run killed midway loses only what
came after the last flush, and the next run skips everything flushed.
Without ``ray_address`` the work runs here (no Ray import); with it,
``qa.ingest_ray`` runs it as a Ray Data pipeline and this module only writes
what comes back. Leaves out: the store's durability (its ``flush``),
watching a folder for changes.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from embeddings.files import cache_lock, sweep
from embeddings.model import Embedder

from .articles import Passage, check_size, content_digest
from .config import Settings
from .errors import ArticleError
from .folders import STORE_LEFTOVERS, store_folder
from .ingest_steps import Indexed, Job, Progress, Stamps, embed_passages, failed, prepare, source_files, store_expect
from .store import Store, StoredArticle
from .stores import open_store

# By default a run flushes every 30 s, or less often when flushing is slow: a FAISS flush rewrites the
# whole store (it grows with the corpus), so the wait is at least FLUSH_COST times the last flush's
# time, which keeps flushing under a tenth of the run; a kill loses the work since the last flush.
FLUSH_SECONDS = 30.0
FLUSH_COST = 10
# In-process, articles are embedded together up to this many bytes of text (~100 passages, a few seconds here):
# their passages are batched by length across articles.
CHUNK_BYTES = 64_000


@contextlib.contextmanager
def open_for_writing(settings: Settings, embedder: Embedder, progress: Progress | None = None) -> Iterator[Store]:
    """The settings' store (``settings.store``), holding its cache folder's lock meanwhile, as the app's build does."""
    folder = store_folder(settings)
    with cache_lock(folder, (lambda: progress("waiting", 0, 0)) if progress else None) as locked:
        if locked:
            sweep(folder, STORE_LEFTOVERS)
        yield open_store(settings, store_expect(embedder, settings))


@dataclass
class Report:
    """What one run did."""

    indexed: list[str] = field(default_factory=list)  # articles embedded and stored this run
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    reused: int = 0  # articles stored with vectors another article of the same digest had
    passages: int = 0  # passages embedded this run
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0  # from the first article handed over to the last one stored

    @property
    def passages_per_second(self) -> float:
        return self.passages / self.embed_seconds if self.embed_seconds > 0 else 0.0


@dataclass
class Plan:
    """The articles a store should hold: each file's job (name, path, digest), and what was skipped."""

    jobs: list[Job]
    warnings: list[str]
    files: dict[str, Path]  # article name -> its file, for every job
    strict: bool  # one named file: its failure is an error, not a warning

    @property
    def digests(self) -> dict[str, str]:
        return {job.name: job.digest for job in self.jobs}


def plan(settings: Settings, progress: Progress | None = None, owner: str | None = None,
         stamps: Stamps | None = None, beside: Iterable[str] | None = None) -> Plan:
    """Every article the settings name (the folder's, then the uploads ``owner`` reads), with its digest.

    A file whose size and time are as ``stamps`` recorded is not read again;
    the stamps are saved for next time. Unreadable or oversized files are
    skipped with a warning (an error when the settings name that one file).
    ``beside``: only ``owner``'s own uploads, named apart from these (a browser's overlay store).
    """
    progress = progress or (lambda stage, done, total: None)
    sources, warnings = source_files(settings, owner, beside)
    strict = Path(settings.articles).is_file() and beside is None
    jobs: list[Job] = []
    for i, source in enumerate(sources):
        try:
            stat = source.path.stat()
            check_size(source.name, stat.st_size, settings.max_article_bytes)
            digest = stamps.digest(source.path, stat) if stamps is not None else None
            if digest is None:
                digest = content_digest(source.path.read_bytes())
                if stamps is not None:
                    stamps.taken(source.path, stat, digest)
            jobs.append(Job(source.name, source.path, digest, source.uploaded, stat.st_size))
        except (OSError, ArticleError) as exc:
            reason = exc if isinstance(exc, ArticleError) else ArticleError(
                f"cannot read {source.path}: {getattr(exc, 'strerror', None) or exc}")
            if strict:
                raise reason from exc
            warnings.append(f"skipped {source.name}: {reason}")
        if i % 256 == 255 or i + 1 == len(sources):
            progress("reading", i + 1, len(sources))
    if stamps is not None:
        stamps.save()
    return Plan(jobs, warnings, {job.name: job.path for job in jobs}, strict or (len(sources) == 1 and beside is None))


def write(settings: Settings, store: Store, embedder: Embedder, planned: Plan, progress: Progress | None = None,
          donor: Store | None = None, ray_address: str | None = None, flush_seconds: float | None = None,
          on_flush: Callable[[Report], None] | None = None, cache_optional: bool = False,
          may_be_empty: bool = False) -> Report:
    """Bring ``store`` to ``planned``: the one way a store is written. Returns what was done.

    ``donor``: another verified store whose vectors may be reused by digest.
    ``ray_address``: run repair, splitting and embedding on Ray ("local"
    starts a Ray on this machine). ``flush_seconds``: flush at least this
    often (default: see ``FLUSH_SECONDS``). ``on_flush`` is called after each
    flush with the report so far. ``cache_optional`` (the app's build): a
    store that cannot be written (a read-only cache) still holds the
    articles for this process, and a warning says so. Raises ArticleError when no article at all is usable
    (unless ``may_be_empty``: a browser's own store beside the base), or when the one article named cannot be read.
    """
    progress = progress or (lambda stage, done, total: None)
    began = time.monotonic()
    report = Report(warnings=list(planned.warnings))
    held = store.digests()
    names = {job.name for job in planned.jobs}
    todo = [job for job in planned.jobs if held.get(job.name) != job.digest]
    report.unchanged = len(planned.jobs) - len(todo)
    reusable = _reusable(todo, store, donor)  # read before anything is deleted: a renamed article keeps its vectors
    report.removed = [name for name in held if name not in names]
    for name in report.removed:
        store.delete_article(name)
    dirty = bool(report.removed)
    for job in todo:
        stored = reusable.get(job.name)
        if stored is not None:
            store.put_article(job.name, {**stored.info, "digest": job.digest, "uploaded": job.uploaded},
                              stored.passages, stored.vectors, stored.sentence_vectors)
            report.reused += 1
            dirty = True
    fresh = [job for job in todo if job.name not in reusable]

    wait = FLUSH_SECONDS if flush_seconds is None else flush_seconds

    def flush() -> None:
        nonlocal wait
        progress("saving", 0, 0)
        start = time.monotonic()
        try:
            store.flush()
        except OSError as exc:  # a read-only cache still answers, it just cannot remember
            if not cache_optional:
                raise
            report.warnings.append(f"index not cached ({exc.strerror or exc}); it will be rebuilt next start")
        if flush_seconds is None:
            wait = max(FLUSH_SECONDS, FLUSH_COST * (time.monotonic() - start))
        if on_flush is not None:
            on_flush(report)

    if fresh:
        if ray_address is None:
            results = embed_in_process(fresh, settings, embedder, progress)
        else:
            from .ingest_ray import embed_on_ray  # only here: the in-process path never imports Ray

            results = embed_on_ray(fresh, settings, ray_address)
        progress("ingesting", 0, len(fresh))
        started = last_flush = time.monotonic()
        try:
            for done, result in enumerate(results, 1):
                if result.error is not None:
                    if planned.strict:
                        raise ArticleError(result.error)
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
                progress("ingesting", done, len(fresh))
                if time.monotonic() - last_flush >= wait:
                    flush()
                    dirty, last_flush = False, time.monotonic()
        except BaseException:  # Ctrl-C or a failed worker: keep what is done (kill -9 keeps the last flush)
            if dirty:
                with contextlib.suppress(Exception):
                    store.flush()
            raise
    if not (may_be_empty or report.unchanged + report.reused + len(report.indexed)):  # it would hold nothing
        raise ArticleError(f"no usable articles in {settings.articles}: " + "; ".join(report.warnings))
    if dirty:
        flush()
    report.seconds = time.monotonic() - began
    return report


def _reusable(todo: list[Job], store: Store, donor: Store | None) -> dict[str, StoredArticle]:
    """For each job whose digest a verified store holds under any name, that stored article."""
    by_digest: dict[str, tuple[Store, str]] = {}
    for source in (store, donor):
        for name, digest in (source.digests().items() if source is not None else ()):
            by_digest.setdefault(digest, (source, name))
    out = {}
    for job in todo:
        if job.digest in by_digest:
            source, name = by_digest[job.digest]
            stored = source.article(name)
            if stored is not None:
                out[job.name] = stored
    return out


def index_articles(settings: Settings, store: Store, embedder: Embedder, progress: Progress | None = None,
                   ray_address: str | None = None, flush_seconds: float | None = None,
                   on_flush: Callable[[Report], None] | None = None) -> Report:
    """``python -m qa index``: bring ``store`` up to date with the settings' articles (``plan``, then ``write``)."""
    planned = plan(settings, progress, stamps=Stamps(store_folder(settings)))
    return write(settings, store, embedder, planned, progress, ray_address=ray_address,
                 flush_seconds=flush_seconds, on_flush=on_flush)


def embed_in_process(jobs: list[Job], settings: Settings, embedder: Embedder,
                     progress: Progress | None = None) -> Iterator[Indexed]:
    """Repair, split and embed here, a chunk of articles at a time; yields each article when embedded.

    ``progress`` hears ("embedding", done, total) passages of each chunk.
    """
    build_bytes = sum(job.size for job in jobs)  # the model's precision is chosen for the whole run
    report = (lambda done, total: progress("embedding", done, total)) if progress else None
    for chunk in _chunks(jobs, CHUNK_BYTES):
        ready: list[tuple[Job, dict, list[Passage]]] = []
        for job in chunk:
            try:
                data = job.path.read_bytes()
                info, passages = prepare(job.name, data, job.uploaded, embedder, settings)
            except OSError as exc:
                yield failed(job.name, f"cannot read {job.path}: {exc.strerror or exc}", embedder.dim)
                continue
            except ArticleError as exc:
                yield failed(job.name, str(exc), embedder.dim)
                continue
            ready.append((job, info, passages))
        embedded = embed_passages([passages for _, _, passages in ready], embedder, settings.batch_size,
                                  report, build_chars=build_bytes)
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

