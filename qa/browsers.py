"""Each browser's view of the articles, and the one background thread that indexes uploads.

A browser (a random id its page keeps) sees the base articles plus its own
uploads: its own ``Engine``, with its own store, vocabulary and refusal
lists, so nothing of another browser's uploads can reach its answers. A
browser without uploads is served by the base engine, which holds the base
articles and the shared uploads, and is what the ``/ask`` API answers from.
With ``shared_uploads`` on, every upload goes to the base engine instead and
everyone sees it.

Uploads are queued and indexed one at a time on one background thread, with
a one-thread copy of the model where the model runs on ONNX Runtime, so
questions keep the other cores meanwhile; each queued ``Upload`` says where
it is ("2 uploads ahead", "embedding passages 3/9") for a progress line.
Leaves out: formatting (``app.py``), the disk rules (``uploads.py``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from embeddings.model import Embedder

from .corpus import ArticleInfo
from .engine import Engine
from .errors import QAError
from .folders import upload_files, upload_folder
from .progress import progress_text
from .uploads import mark_used, remove_unused, safe_name, valid_owner

log = logging.getLogger(__name__)

# Browsers' engines kept in memory (each holds the base articles too); others reload from their store.
KEEP_ENGINES = 8
# Bytes of uploads waiting at once (held in memory until indexed); more are refused with "busy".
# A browser may queue as many files as it may keep (``max_upload_files``): a selection of 52 small
# files was cut at 20 by a count of waiting files, though it weighed a few KB.
MAX_WAITING_BYTES = 200_000_000
# How often the indexing thread removes uploads unused for ``upload_days``.
SWEEP_EVERY_S = 24 * 3600
# The one-thread model copy (~120 MB) is made for the first upload and let go after this long idle.
INDEXER_IDLE_S = 300


@dataclass
class Upload:
    """One queued upload: where it is in the queue, then its progress; at the end its article or error."""

    browser: str | None
    name: str
    data: bytes = field(repr=False)
    ahead: int = 0
    stage: str = ""
    done: int = 0
    total: int = 0
    info: ArticleInfo | None = None
    replaced: bool = False
    error: QAError | None = None
    finished: threading.Event = field(default_factory=threading.Event, repr=False)
    reload: bool = False  # not a file: the browser's uploads read again into its own engine (after a restart)

    def progress(self, stage: str, done: int, total: int) -> None:
        self.stage, self.done, self.total = stage, done, total

    @property
    def fraction(self) -> float:
        """Share of the work done: embedding is nearly all of it (0 while waiting, 1 when indexing)."""
        if self.stage == "embedding" and self.total:
            return self.done / self.total
        return 1.0 if self.stage == "indexing" else 0.0

    @property
    def text(self) -> str:
        """One progress line, e.g. "notes.md: embedding passages 3/9"."""
        if self.finished.is_set():
            return f"{self.name}: done"
        if not self.stage:
            if not self.ahead:
                return f"{self.name}: starting"
            return f"{self.name}: waiting to be indexed ({self.ahead} upload{'s' if self.ahead != 1 else ''} ahead)"
        return f"{self.name}: {progress_text(self.stage, self.done, self.total)}"

    @property
    def note(self) -> str:
        """What a question waiting for it is told, e.g. "your upload notes.md: embedding passages 3/9"."""
        return self.text if self.reload else f"your upload {self.text}"


class Browsers:
    """The engines browsers ask, and the queue that indexes their uploads."""

    def __init__(self, base: Engine, keep: int = KEEP_ENGINES):
        self.base = base
        self.settings = base.settings
        self.shared = base.settings.shared_uploads
        self._indexer: Embedder | None = None
        self._idle_since = time.monotonic()
        self._keep = keep
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._lock = threading.Lock()  # guards _engines and _waiting
        self._waiting: deque[Upload] = deque()
        self._current: Upload | None = None  # the upload being indexed
        self._wake = threading.Condition(self._lock)
        self._last_sweep = time.monotonic()
        self._thread = threading.Thread(target=self._work, name="upload-indexer", daemon=True)
        self._thread.start()

    def engine(self, browser: str | None, wait: float | None = None) -> Engine:
        """The engine ``browser`` asks: its own if it has uploads (private mode), else the base one.

        A browser's own engine not in memory (after a restart, or let go) is
        read again on the indexing thread, with progress, never in the caller:
        this waits ``wait`` seconds for it (None: until it is ready), and gives
        the base engine meanwhile (``pending`` says a reading is under way).
        """
        browser = valid_owner(browser)
        if self.shared or browser is None:
            return self.base
        with self._lock:
            engine = self._engines.get(browser)
            if engine is not None:
                self._engines.move_to_end(browser)
                return engine
        if not upload_files(upload_folder(self.settings, browser)):
            return self.base
        job = self._reloading(browser)
        job.finished.wait(wait)
        with self._lock:
            engine = self._engines.get(browser)
        if engine is None and job.finished.is_set() and job.error is not None:
            raise job.error
        return engine if engine is not None else self.base

    def _reloading(self, browser: str) -> Upload:
        """The queued reading of ``browser``'s own engine, queued now if there is none."""
        with self._lock:
            queued = ([self._current] if self._current is not None else []) + list(self._waiting)
            for job in queued:
                if job.reload and job.browser == browser and not job.finished.is_set():
                    return job
            job = Upload(browser, "your uploads, read again", b"", reload=True)
            job.ahead = len(self._waiting) + (self._current is not None)
            self._waiting.append(job)
            self._wake.notify()
            return job

    def _private(self, browser: str, progress=None) -> Engine:
        return Engine(self.settings, progress, embedder=self.base.embedder, owner=browser, donor=self.base)

    def _trim(self) -> None:
        while len(self._engines) > self._keep:
            self._engines.popitem(last=False)

    def submit(self, browser: str | None, name: str, data: bytes) -> Upload:
        """Queue an upload for indexing; its ``finished`` event is set when it is in (or refused)."""
        upload = Upload(valid_owner(browser), str(name), data)
        with self._lock:
            held = sum(len(u.data) for u in self._waiting)
            mine = sum(1 for u in self._waiting if u.browser == upload.browser)
            if held + len(data) > MAX_WAITING_BYTES or mine >= self.settings.max_upload_files:
                upload.error = QAError(f"{upload.name}: {len(self._waiting)} uploads are waiting to be indexed; "
                                       "try again in a minute")
                upload.finished.set()
                return upload
            upload.ahead = len(self._waiting) + (self._current is not None)
            self._waiting.append(upload)
            self._wake.notify()
        return upload

    def pending(self, browser: str | None) -> list[Upload]:
        """The uploads still to be indexed that ``browser``'s answers will read (sharing: everyone's)."""
        browser = valid_owner(browser)
        with self._lock:
            queued = ([self._current] if self._current is not None else []) + list(self._waiting)
        return [u for u in queued if not u.finished.is_set() and (self.shared or (browser and u.browser == browser))]

    def own(self, browser: str | None, wait: float | None = None) -> set[str]:
        """The names of the articles ``browser`` uploaded itself: those it may remove or replace (``wait``: as
        ``engine``; none while its engine is still being read)."""
        browser = valid_owner(browser)
        if browser is None:
            return set()
        engine = self.engine(browser, wait)
        folder = upload_folder(self.settings, browser)
        return {a.name for a in engine.articles if a.uploaded and engine.corpus.files.get(a.name) is not None
                and engine.corpus.files[a.name].parent == folder}

    def remove(self, browser: str | None, name: str) -> None:
        """Remove one of ``browser``'s own uploads; its engine (or, sharing, everyone's) reads the rest again."""
        browser = valid_owner(browser)
        if browser is None or name not in self.own(browser):
            raise QAError(f"{name} is not one of your uploads: only those can be removed")
        engine = self.base if self.shared else self.engine(browser)
        engine.remove_article(name, owner=browser)

    def answered(self, engine: Engine, answer) -> None:
        """Note the uploads an answer cites as used, so they are kept (see ``upload_days``)."""
        mark_used(engine.corpus, (c.article for c in getattr(answer, "citations", ())))

    def remove_unused(self) -> int:
        """Remove uploads unused for ``upload_days``; the engines that held them read their articles again."""
        removed = remove_unused(self.settings)
        owners = {p.parent.parent.name for p in removed if p.parent.parent.parent.name == "browsers"}
        if not removed:
            return 0
        with self._lock:
            for owner in owners:
                self._engines.pop(owner, None)
        if self.shared or any(p.parent == upload_folder(self.settings) for p in removed):
            self.base.reload()
        return len(removed)

    def _one_thread_copy(self) -> Embedder | None:
        """The one-thread model copy for indexing, made on first use (None: index with the engine's own).

        torch's thread count is per process, so a torch model has no such copy;
        neither does an engine that uses one thread anyway.
        """
        if self._indexer is None and self.settings.thread_count > 1:
            try:
                self._indexer = self.base.embedder.one_thread_copy()
            except Exception as exc:  # noqa: BLE001 - indexing still works on the main copy
                log.warning("no one-thread model copy for indexing (%s); uploads share the question threads", exc)
        return self._indexer

    # ---------------------------------------------------------------- the indexing thread

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._waiting:
                    self._wake.wait(timeout=min(INDEXER_IDLE_S, 600))
                    if self._waiting:
                        break
                    if time.monotonic() - self._idle_since > INDEXER_IDLE_S:
                        self._indexer = None  # idle: give its memory back
                    if time.monotonic() - self._last_sweep > SWEEP_EVERY_S:
                        break
                upload = self._waiting.popleft() if self._waiting else None
                self._current = upload
            if upload is None:
                self._last_sweep = time.monotonic()
                try:
                    self.remove_unused()
                except Exception:
                    log.exception("removing unused uploads failed")
                continue
            try:
                self._index(upload)
            except QAError as exc:
                upload.error = exc
            except Exception as exc:
                log.exception("indexing upload %s failed", upload.name)
                upload.error = QAError(f"{upload.name} could not be indexed ({type(exc).__name__}: {exc})")
            finally:
                upload.data = b""
                with self._lock:
                    self._current = None
                    for later in self._waiting:  # one fewer ahead of each
                        later.ahead = max(0, later.ahead - 1)
                self._idle_since = time.monotonic()
                upload.finished.set()

    def _index(self, upload: Upload) -> None:
        browser = upload.browser
        if upload.reload:
            with self._lock:
                if browser in self._engines:
                    return
            engine = self._private(browser, upload.progress)  # from its store on disk; rebuilt if damaged
            with self._lock:
                self._engines[browser] = engine
                self._engines.move_to_end(browser)
                self._trim()
            return
        name = safe_name(upload.name)
        upload.replaced = (upload_folder(self.settings, browser) / name).is_file()
        indexer = self._one_thread_copy()
        if self.shared or browser is None:
            upload.info = self.base.add_article(name, upload.data, upload.progress, owner=browser, indexer=indexer)
            return
        with self._lock:
            engine = self._engines.get(browser)
        if engine is None:
            engine = self._private(browser)
        upload.info = engine.add_article(name, upload.data, upload.progress, indexer=indexer)
        with self._lock:
            self._engines[browser] = engine
            self._engines.move_to_end(browser)
            self._trim()
