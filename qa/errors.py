"""The errors article QA raises on purpose; surfaces turn them into one line.

    QAError                  base: anything a user can fix
    ├── ArticleError         a file or folder that cannot be read as articles
    ├── QuestionError        an empty or oversized question (also a ValueError)
    └── ModelUnavailable     the embedding model cannot be loaded; says what to install

A damaged index on disk is not an error a user sees: it is rebuilt (see
``embeddings.index.IndexCorrupt``).
"""

from __future__ import annotations


class QAError(Exception):
    """Base of every error article QA raises for a user to act on."""


class ArticleError(QAError):
    """An article path or file that cannot be used: missing, empty, binary, too large."""


class QuestionError(QAError, ValueError):
    """A question that cannot be asked: empty, or longer than the limit."""


class ModelUnavailable(QAError):
    """The embedding model cannot be loaded offline, or its name is wrong."""
