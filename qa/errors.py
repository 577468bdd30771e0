"""The errors article QA raises on purpose; surfaces turn them into one line.

    QAError                  base: anything a user can fix
    ├── ArticleError         a file or folder that cannot be read as articles
    ├── QuestionError        an empty or oversized question (also a ValueError)
    └── ModelUnavailable     the embedding model cannot be loaded; says what to install

A damaged index on disk is not an error a user sees: it is rebuilt (see
``embeddings.index.IndexCorrupt``).
"""

from __future__ import annotations

import os
import sys
from typing import Callable


class QAError(Exception):
    """Base of every error article QA raises for a user to act on."""


class ArticleError(QAError):
    """An article path or file that cannot be used: missing, empty, binary, too large."""


class QuestionError(QAError, ValueError):
    """A question that cannot be asked: empty, or longer than the limit."""


class ModelUnavailable(QAError):
    """The embedding model cannot be loaded offline, or its name is wrong."""


def exit_code(run: Callable[[], int]) -> int:
    """Run a command-line surface; a user's error becomes one ``Error: ...`` line and exit 1.

    Shared by ``python -m qa`` and ``app.py`` so both say errors the same way:
    Ctrl-C exits 130, and output cut short by a closed pipe (``| head``) is not an error.
    """
    try:
        return run()
    except (QAError, ValueError, TypeError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr = open(os.devnull, "w")
        return 0
