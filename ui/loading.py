"""The engine, loading in the background while the page is served, and its progress on the terminal.

``EngineHandle`` runs the loader in a thread and says where it is;
``LoadState`` is one consistent reading of it (ready, error, progress text),
so the page never mixes two moments of loading. ``TerminalProgress`` prints
the same progress on stderr. Leaves out: what loading does (``qa.load``).
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable

from qa import Engine, progress_text

Progress = Callable[[str, int, int], None]
LOAD_TIMEOUT = 600.0  # seconds a question waits for the engine to finish loading


@dataclass(frozen=True)
class LoadState:
    """One reading of an ``EngineHandle``: loaded, failed (``error``), or still at ``progress``."""

    ready: bool
    error: BaseException | None
    progress: str
    engine: Engine | None = None


class EngineHandle:
    """The engine, or the state of its loading: the page is served while it loads.

    ``EngineHandle(engine)`` wraps a loaded engine; ``EngineHandle(loader)``
    runs ``loader(progress)`` in a thread once ``start()`` is called.
    """

    def __init__(self, source: Engine | Callable[[Progress], Engine], on_progress: Progress | None = None):
        self._ready = threading.Event()
        self._engine: Engine | None = None
        self._error: BaseException | None = None
        self._loader: Callable[[Progress], Engine] | None = None
        self._on_progress = on_progress
        self.stage, self.done, self.total = "model", 0, 0
        self.seconds = 0.0
        if isinstance(source, Engine):
            self._engine = source
            self._ready.set()
        else:
            self._loader = source
        self._thread: threading.Thread | None = None

    def start(self) -> "EngineHandle":
        if self._loader is not None and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="engine-loader", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        began = time.perf_counter()
        try:
            self._engine = self._loader(self._progress)  # type: ignore[misc]
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the engine, raised there
            self._error = exc
        finally:
            self.seconds = time.perf_counter() - began
            self._ready.set()

    def _progress(self, stage: str, done: int, total: int) -> None:
        self.stage, self.done, self.total = stage, done, total
        if self._on_progress:
            self._on_progress(stage, done, total)

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def error(self) -> BaseException | None:
        return self._error

    def state(self) -> LoadState:
        """Where loading is, read once: the ready flag first, so a finished load is seen whole."""
        if self._ready.is_set():
            return LoadState(True, self._error, "", self._engine)
        return LoadState(False, None, self.progress_text)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for loading to end (ready or failed); False on timeout."""
        self.start()
        return self._ready.wait(timeout)

    def get(self, timeout: float | None = LOAD_TIMEOUT) -> Engine:
        """The engine, waiting for it to load; raises the loading error, or TimeoutError."""
        if not self.wait(timeout):
            raise TimeoutError("the articles are still loading; try again in a moment")
        if self._error is not None:
            raise self._error
        assert self._engine is not None
        return self._engine

    @property
    def progress_text(self) -> str:
        """What loading is doing now, e.g. "embedding passages 30/55"."""
        return progress_text(self.stage, self.done, self.total)


class TerminalProgress:
    """Loading progress on stderr: one rewritten line on a terminal, a line per stage otherwise."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        text = f"  {progress_text(stage, done, total)}"
        if self.tty:
            end = "\n" if done >= total else ""
            print(f"\r\033[K{text}", end=end, file=self.stream, flush=True)
        elif done >= total and (stage, total) != self._last:
            print(text, file=self.stream, flush=True)
        self._last = (stage, total) if done >= total else None
