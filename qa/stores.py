"""Which store a corpus uses: the factory above the implementations (``faiss_store.py``, ``milvus_store.py``).

``store.py`` says what a store is (the ``Store`` protocol) and imports no
implementation; this module chooses one from the ``store`` setting. The Milvus
store imports pymilvus only when it is used, so FAISS needs no ``[scale]`` extra.
"""

from __future__ import annotations

from typing import Any

from .config import Settings, store_kind
from .faiss_store import FaissStore
from .folders import store_folder
from .milvus_store import MilvusStore, drop_owner
from .store import Store


def open_store(settings: Settings, expect: dict[str, Any], owner: str | None = None) -> Store:
    """The store ``settings.store`` names, for the base corpus or ``owner``'s (a browser's uploads too).

    ``expect``: the manifest values the store must have been made with (model,
    dim, splitter, ...); a store made otherwise is treated as empty. What it
    holds is read now; writes wait for ``flush``.
    """
    kind, target = store_kind(settings.store)
    if kind == "faiss":
        return FaissStore.open(store_folder(settings, owner), expect)
    return MilvusStore.open(settings, expect, owner, store_folder(settings, owner), store_folder(settings))


def forget_owner(settings: Settings, owner: str) -> None:
    """Remove what a store kept of ``owner``'s uploads beyond its folder (the caller removes the folder)."""
    if store_kind(settings.store)[0] == "milvus":
        drop_owner(settings, owner)
