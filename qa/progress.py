"""Progress text: what a long stage of loading or indexing is doing, said the same way everywhere.

The engine reports progress as ``(stage, done, total)`` calls (``qa.corpus.Progress``);
the command line, the app's terminal line, its status pill and the upload
queue all turn them into words here. Leaves out: where the words are shown.
"""

from __future__ import annotations

# What each stage is called; a stage without a count ("indexing", "waiting") is shown without numbers.
STAGES = {
    "model": "loading the model",
    "reading": "reading articles",
    "embedding": "embedding passages",
    "indexing": "building the index",
    "waiting": "waiting for another process to finish indexing",
}
_UNCOUNTED = ("indexing", "waiting")


def progress_text(stage: str, done: int = 0, total: int = 0) -> str:
    """One line for a progress report.

    >>> progress_text("embedding", 3, 9), progress_text("indexing", 0, 1), progress_text("odd", 1, 2)
    ('embedding passages 3/9', 'building the index', 'odd 1/2')
    """
    label = STAGES.get(stage, stage)
    return f"{label} {done}/{total}" if total and stage not in _UNCOUNTED else label
