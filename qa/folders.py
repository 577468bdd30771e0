"""The cache's folder layout: where each corpus's store, uploads and fetched links live, and their names.

    <cache>/<model>-<hash of the articles path>/          a corpus's store (``store_folder``)
        uploads/                                          the shared uploads (``upload_folder``)
        browsers/<owner>/                                 one browser's own store
            uploads/                                      and its uploads
    <cache>/web/<host>-<hash of the link>/                a link's fetched pages (``qa/web.py``)

One module owns these names, so that the corpus, the uploads, the stores and
ingestion agree on them. Leaves out: what is kept inside a store's folder
(``faiss_store.py``, ``milvus_store.py``).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .config import Settings

UPLOADS = "uploads"  # a corpus's (or a browser's) uploaded files
BROWSERS = "browsers"  # the browsers' own stores, each in a folder named by its owner id
# What a killed build or upload leaves behind (see embeddings.files.atomic_write; .upload-*
# is what uploads left before they were written through it).
STORE_LEFTOVERS = (".*.tmp",)
UPLOAD_LEFTOVERS = (".*.tmp", ".upload-*")
WEB = "web"  # the cache's folder of fetched links


def model_slug(model: str) -> str:
    """A model name or path as a file name: what a store folder and a weights file are named by.

    >>> model_slug("sentence-transformers/all-MiniLM-L6-v2"), model_slug("/models/my model/")
    ('all-MiniLM-L6-v2', 'my_model')
    """
    return re.sub(r"[^A-Za-z0-9.-]+", "_", Path(model).name or model)


def store_folder(settings: Settings, owner: str | None = None) -> Path:
    """Cache folder of one (articles path, model) pair's store and uploads; an owner's is inside it."""
    key = hashlib.sha1(str(Path(settings.articles).resolve()).encode()).hexdigest()[:10]
    model = model_slug(settings.model)[:40]
    base = Path(settings.cache_dir) / f"{model}-{key}"
    return base if owner is None else base / BROWSERS / owner


def upload_folder(settings: Settings, owner: str | None = None) -> Path:
    """Where uploads are kept: the shared ones, or one owner's."""
    return store_folder(settings, owner) / UPLOADS


def upload_folders(settings: Settings, owner: str | None = None) -> list[Path]:
    """The upload folders a corpus reads: shared, every browser's when sharing is on, else the owner's."""
    folders = [upload_folder(settings)]
    browsers = store_folder(settings) / BROWSERS
    if settings.shared_uploads:
        if browsers.is_dir():
            folders += sorted(p / UPLOADS for p in browsers.iterdir() if p.is_dir())
    elif owner is not None:
        folders.append(upload_folder(settings, owner))
    return folders


def upload_files(folder: Path) -> list[Path]:
    """The uploaded files in one upload folder (hidden ones are temporaries)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
