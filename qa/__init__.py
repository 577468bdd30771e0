"""article QA: ask questions of news articles, get short answers with citations.

    >>> from qa import ask, load
    >>> ask("Who attended the talks?").answered          # doctest: +SKIP
    True
    >>> load("my/articles").ask("Where will they meet next?")  # doctest: +SKIP

``ask()`` uses the default articles (``seeds/``, or ``QA_ARTICLES``) and keeps
one engine per settings; ``load()`` opens any file or folder of articles.
"""

from __future__ import annotations

import collections
import threading
from pathlib import Path
from typing import Any

from .answer import Answer, Citation
from .articles import Article, check_size
from .browsers import Browsers, Upload
from .config import DEFAULT_ARTICLES, DEFAULT_CACHE, ENV, Settings, add_arguments, from_arguments
from .corpus import ArticleInfo
from .engine import Engine, History
from .errors import ArticleError, ModelUnavailable, QAError, QuestionError, exit_code
from .progress import progress_text
from .spans import Short, Span
from .uploads import browser_secret, browser_token, new_owner, remove_unused, token_owner, valid_owner
from .web import mirror

__all__ = [
    "Answer",
    "Article",
    "ArticleError",
    "ArticleInfo",
    "Citation",
    "Engine",
    "ModelUnavailable",
    "QAError",
    "Short",
    "Span",
    "QuestionError",
    "Settings",
    "ask",
    "load",
    # what the surfaces (app.py, ui/) need: settings on the command line, errors as one line, progress
    # text, and the per-browser uploads
    "DEFAULT_ARTICLES",
    "DEFAULT_CACHE",
    "ENV",
    "Browsers",
    "Upload",
    "add_arguments",
    "browser_secret",
    "browser_token",
    "check_size",
    "exit_code",
    "from_arguments",
    "mirror",
    "new_owner",
    "progress_text",
    "remove_unused",
    "token_owner",
    "valid_owner",
]

# Engines kept for ``load``/``ask``, the most recently used last: a program that loads many article sets
# keeps the latest few in memory (each holds its corpus) and reloads older ones from their cache.
_KEEP_ENGINES = 4
_ENGINES: collections.OrderedDict[Settings, Engine] = collections.OrderedDict()
_LOCK = threading.Lock()


def load(articles: str | Path | None = None, progress=None, **settings: Any) -> Engine:
    """An engine over ``articles`` (a file, folder or http(s) link; default: the settings' articles).

    Other keyword arguments override settings (``model``, ``cache_dir``,
    ``top_k``, ``threads``, ...). The latest four engines are kept
    per settings, so loading the same articles twice is free; older ones are
    let go (a later load reads them from the cache). Raises ArticleError,
    ModelUnavailable.
    """
    resolved = mirror(Settings.resolve(articles=articles, **settings), progress=progress)  # a link: its pages
    with _LOCK:
        engine = _ENGINES.get(resolved)
        if engine is None:
            engine = Engine(resolved, progress)
            _ENGINES[resolved] = engine
        _ENGINES.move_to_end(resolved)
        while len(_ENGINES) > _KEEP_ENGINES:
            _ENGINES.popitem(last=False)
        return engine


def ask(question: str, history: History | None = None, k: int | None = None, only: Any = None,
        **settings: Any) -> Answer:
    """Answer ``question`` from the default articles (or ``articles=...``), with citations.

    ``only``: names of the articles to answer from (default: all).
    """
    return load(**settings).ask(question, history=history, k=k, only=only)
