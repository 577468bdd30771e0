"""Progress text: what a long stage of loading or indexing is doing, said the same way everywhere.

The engine reports progress as ``(stage, done, total)`` calls (``qa.ingest_steps.Progress``);
the command line, the app's terminal line, its status pill and the upload
queue all turn them into words here; ``Pace`` adds the time left of a long
counted stage (``python -m qa index``). Leaves out: where the words are shown.
"""

from __future__ import annotations

import time
from typing import Callable

# What each stage is called; a stage without a count ("indexing", "waiting") is shown without numbers.
STAGES = {
    "fetching": "fetching pages",
    "model": "loading the model",
    "reading": "reading articles",
    "embedding": "embedding passages",
    "indexing": "building the index",
    "waiting": "waiting for another process to finish indexing",
    "ingesting": "indexing articles",
    "saving": "saving the store",
}
_UNCOUNTED = ("indexing", "waiting", "saving")


def progress_text(stage: str, done: int = 0, total: int = 0) -> str:
    """One line for a progress report.

    >>> progress_text("embedding", 3, 9), progress_text("indexing", 0, 1), progress_text("odd", 1, 2)
    ('embedding passages 3/9', 'building the index', 'odd 1/2')
    """
    label = STAGES.get(stage, stage)
    return f"{label} {done}/{total}" if total and stage not in _UNCOUNTED else label


def time_left_text(seconds: float) -> str:
    """A rough duration, as a person says it.

    >>> time_left_text(4), time_left_text(100), time_left_text(3 * 3600 + 1200)
    ('about 5 s left', 'about 2 min left', 'about 3 h 20 min left')
    """
    if seconds < 60:
        return f"about {max(5, round(seconds / 5) * 5)} s left"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    return f"about {minutes // 60} h {minutes % 60} min left"


class Pace:
    """Progress lines with the time left, estimated from the pace of the stage so far.

    >>> clock = iter([0.0, 10.0, 11.0, 20.0])
    >>> pace = Pace(lambda: next(clock))
    >>> pace.text("ingesting", 0, 40), pace.text("ingesting", 10, 40), pace.text("saving")
    ('indexing articles 0/40', 'indexing articles 10/40, about 30 s left', 'saving the store')
    >>> pace.text("ingesting", 20, 40)  # a stage without a count between does not restart the pace
    'indexing articles 20/40, about 20 s left'
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.stage: str | None = None
        self.began = 0.0

    def text(self, stage: str, done: int = 0, total: int = 0) -> str:
        now = self.clock()
        if stage != self.stage and stage not in _UNCOUNTED:
            self.stage, self.began = stage, now
        line = progress_text(stage, done, total)
        if stage not in _UNCOUNTED and 0 < done < total:
            line += ", " + time_left_text((now - self.began) * (total - done) / done)
        return line
