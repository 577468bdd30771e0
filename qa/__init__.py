"""article QA: ask questions of news articles, get short answers with citations.

    >>> from qa import ask, load
    >>> ask("Who attended the talks?").answered          # doctest: +SKIP
    True
    >>> load("my/articles").ask("Where will they meet next?")  # doctest: +SKIP

``ask()`` uses the default articles (``seeds/``, or ``QA_ARTICLES``) and keeps
one engine per settings; ``load()`` opens any file or folder of articles.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from .answer import Answer, Citation
from .config import Settings
from .corpus import ArticleInfo
from .engine import Engine, History
from .errors import ArticleError, ModelUnavailable, QAError, QuestionError

__all__ = [
    "Answer",
    "ArticleError",
    "ArticleInfo",
    "Citation",
    "Engine",
    "ModelUnavailable",
    "QAError",
    "QuestionError",
    "Settings",
    "ask",
    "load",
]

_ENGINES: dict[Settings, Engine] = {}
_LOCK = threading.Lock()


def load(articles: str | Path | None = None, progress=None, **settings: Any) -> Engine:
    """An engine over ``articles`` (a file or folder; default: the settings' articles).

    Other keyword arguments override settings (``model``, ``cache_dir``,
    ``top_k``, ``threads``, ...). Engines are kept per settings, so loading the
    same articles twice is free. Raises ArticleError, ModelUnavailable.
    """
    resolved = Settings.resolve(articles=articles, **settings)
    with _LOCK:
        engine = _ENGINES.get(resolved)
        if engine is None:
            engine = Engine(resolved, progress)
            _ENGINES[resolved] = engine
        return engine


def ask(question: str, history: History | None = None, k: int | None = None, **settings: Any) -> Answer:
    """Answer ``question`` from the default articles (or ``articles=...``), with citations."""
    return load(**settings).ask(question, history=history, k=k)
