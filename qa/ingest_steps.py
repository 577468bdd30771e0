"""The steps of ingesting one article that every path shares: read it, repair and split it, say what failed.

The app's build (``corpus.py``), ``python -m qa index`` in-process
(``ingest.py``) and on Ray (``ingest_ray.py``) make an article's manifest
entry and passages here, so they agree on what a store holds. Leaves out:
embedding and writing the store (``corpus.py``, ``ingest.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.model import Embedder

from .articles import Passage, check_size, parse_article, split_passages
from .config import Settings
from .errors import ArticleError


@dataclass(frozen=True)
class Job:
    """One article file to (re)index, as it was when hashed."""

    name: str
    path: Path
    digest: str
    uploaded: bool
    size: int


@dataclass
class Indexed:
    """One article repaired, split and embedded; ``error`` says why it could not be (then it has no passages)."""

    name: str
    info: dict  # the manifest's entry: digest, title, sections, uploaded
    passages: list[Passage]
    vectors: np.ndarray
    sentence_vectors: np.ndarray
    error: str | None = None


def read_source(path: Path, name: str, max_bytes: int) -> bytes:
    """An article file's bytes, refused (ArticleError) when it is too large or unreadable."""
    try:
        check_size(name, path.stat().st_size, max_bytes)
        return path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"cannot read {path}: {exc.strerror or exc}") from exc


def prepare(name: str, data: bytes, uploaded: bool, embedder: Embedder,
            settings: Settings) -> tuple[dict, list[Passage]]:
    """Repair and split one article: its manifest entry (digest, title, sections, uploaded) and passages."""
    article = parse_article(name, data, settings.max_article_bytes)
    passages = split_passages(article, embedder.count_tokens, embedder.max_tokens, settings.pack_tokens)
    info = {"digest": article.digest, "title": article.title, "sections": [s.header for s in article.sections],
            "uploaded": uploaded}
    if article.url:
        info["url"] = article.url
    return info, passages


def failed(name: str, error: str, dim: int) -> Indexed:
    """An article that could not be indexed, and why."""
    empty = np.zeros((0, dim), np.float32)
    return Indexed(name, {}, [], empty, empty, error)
