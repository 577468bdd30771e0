"""Milvus: the connection, the collections' schema and indexes, and the ids rows are written under.

``client`` opens one ``MilvusClient`` per URI (Milvus Lite file or server);
``ensure_collections`` creates the passages' and sentences' collections on
first use (BM25 on the passages' terms, vectors exact on Lite and HNSW on a
server) and makes a vector index again when a killed Lite process left it cut
short. Leaves out: reading and writing rows (``milvus_reads.py``,
``milvus_writes.py``), the store's view (``milvus_store.py``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

from .config import MILVUS_TOKEN_ENV, Settings, store_kind
from .errors import QAError

log = logging.getLogger(__name__)

# BM25 hits asked for: all of them in a corpus of a few thousand passages (exact z-scores).
LEXICAL_DEPTH = 2000
# Milvus answers at most this many hits or rows at once.
MAX_LIMIT = 16_384
# The same BM25 as bm25s's defaults (``retrieve.py``).
BM25_K1, BM25_B = 1.5, 0.75
# Dense index: exact (FLAT) in Milvus Lite; HNSW on a server, as FAISS above 50k passages.
HNSW = {"M": 32, "efConstruction": 80}
HNSW_EF = 256
# How rows are laid out (part of the collections' names, so another layout is never read): 2, the first row
# of an article carries its passages' sentence counts, and passages are read when used.
LAYOUT = 2
# Rows asked for in one query (a filter ``pk in [...]`` of this many numbers).
CHUNK = 2048
# The view's term statistics in its cache folder, named by what they were counted from (``_vocabulary_key``):
# counting them from 115,856 passages was 20 s of a 37 s cached start of Milvus Lite. A name of its own: the
# FAISS store of the same articles keeps its files (its own vocabulary.*.json) in the same folder.
VOCABULARY = "milvus-vocabulary.{key}.json"
VOCABULARY_FILE = re.compile(r"milvus-vocabulary\.[0-9a-f]{20}\.json")

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def milvus_uri(settings: Settings) -> str:
    """The URI ``settings.store`` names: a server's URL, or a Milvus Lite file (relative: under the cache folder)."""
    _, target = store_kind(settings.store)
    if re.match(r"https?://", target):
        return target
    path = Path(target).expanduser()
    return str(path if path.is_absolute() else Path(settings.cache_dir) / path)


def is_lite(settings: Settings) -> bool:
    """Whether the settings name Milvus Lite (a file served by this process), not a Milvus server."""
    return not milvus_uri(settings).startswith(("http://", "https://"))


def client(settings: Settings):
    """One ``MilvusClient`` per URI in this process (Milvus Lite serves a file from one process)."""
    try:
        from pymilvus import MilvusClient
    except ImportError:  # the [scale] extra is not installed
        raise QAError("the Milvus store (--store milvus:...) needs the [scale] extra: "
                      "pip install 'article-qa[scale]' (from a checkout: pip install -e '.[scale]')") from None
    uri = milvus_uri(settings)
    with _clients_lock:
        if uri not in _clients:
            if not uri.startswith(("http://", "https://")):
                Path(uri).parent.mkdir(parents=True, exist_ok=True)
                logging.getLogger("grpc._server").addFilter(_LITE_UNIMPLEMENTED)
            _clients[uri] = MilvusClient(uri=uri, token=os.environ.get(MILVUS_TOKEN_ENV, ""))
        return _clients[uri]


class _LiteUnimplemented(logging.Filter):
    """Milvus Lite's gRPC server logging a call it does not implement (pymilvus asks it for a timestamp while
    waiting for an index, and carries on without): a traceback per index, at every first build, for nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], NotImplementedError))


_LITE_UNIMPLEMENTED = _LiteUnimplemented()


def collection_names(settings: Settings, expect: dict[str, Any]) -> tuple[str, str]:
    """The passages' and sentences' collections of one (articles, model, manifest values)."""
    key = json.dumps({"articles": str(Path(settings.articles).resolve()), **expect, "layout": LAYOUT}, sort_keys=True)
    model = re.sub(r"[^A-Za-z0-9]+", "_", Path(settings.model).name or settings.model)[:32]
    base = f"qa_{model}_{hashlib.sha1(key.encode()).hexdigest()[:16]}"
    return f"{base}_passages", f"{base}_sentences"


def milvus_term(term: str) -> str:
    """A term as Milvus's standard analyser keeps it whole: plain ASCII as is, anything else spelled in hex.

    >>> milvus_term("kyiv"), milvus_term("don't"), milvus_term("xi")
    ('kyiv', 'x646f6e2774', 'x7869')
    """
    if term.isascii() and term.isalnum() and not term.startswith("x"):
        return term
    return "x" + term.encode("utf-8").hex()


def row_id(*parts: object) -> int:
    """A stable 63-bit primary key: the same article version always gets the same rows."""
    digest = hashlib.sha1("\0".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") & (2**63 - 1)


def article_key(owner: str, name: str) -> str:
    """The rows of one owner's article, as a filter can name them (no quoting of names needed)."""
    return hashlib.sha1(f"{owner}\0{name}".encode("utf-8")).hexdigest()


def ensure_collections(milvus, passage_collection: str, sentence_collection: str, dim: int, lite: bool) -> None:
    """Create the collections on first use (a server's are loaded for search too)."""
    from pymilvus import DataType, Function, FunctionType

    m = milvus
    if not m.has_collection(passage_collection):
        schema = m.create_schema(auto_id=False)
        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field("owner", DataType.VARCHAR, max_length=128)
        schema.add_field("key", DataType.VARCHAR, max_length=64)
        schema.add_field("article", DataType.VARCHAR, max_length=4096)
        schema.add_field("digest", DataType.VARCHAR, max_length=128)
        schema.add_field("position", DataType.INT64)
        schema.add_field("info", DataType.JSON)
        schema.add_field("record", DataType.JSON)
        schema.add_field("terms", DataType.VARCHAR, max_length=65_535, enable_analyzer=True,
                         analyzer_params={"tokenizer": "standard"})
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                                     output_field_names=["sparse"]))
        index = vector_index(milvus, passage_collection, passage_collection, lite)
        index.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                        params={"bm25_k1": BM25_K1, "bm25_b": BM25_B})
        m.create_collection(passage_collection, schema=schema, index_params=index,
                            consistency_level="Strong")
    if not m.has_collection(sentence_collection):
        schema = m.create_schema(auto_id=False)
        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field("owner", DataType.VARCHAR, max_length=128)
        schema.add_field("key", DataType.VARCHAR, max_length=64)
        schema.add_field("passage", DataType.INT64)
        schema.add_field("position", DataType.INT64)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        m.create_collection(sentence_collection, schema=schema, consistency_level="Strong",
                            index_params=vector_index(milvus, sentence_collection, passage_collection, lite))
    for name in (passage_collection, sentence_collection):
        try:
            m.load_collection(name)
        except Exception as exc:
            if not lite:
                raise
            # Milvus Lite writes a segment's vector index beside it in the background, not atomically: a
            # process killed meanwhile leaves it cut short, and every later load fails on it. The index
            # is made from the vectors, so it is made again.
            log.warning("Milvus Lite could not load %s (%s): making its vector index again", name, exc)
            m.release_collection(name)
            m.drop_index(name, "vector")
            m.create_index(name, vector_index(milvus, name, passage_collection, lite))
            m.load_collection(name)


def vector_index(milvus, collection: str, passage_collection: str, lite: bool):
    """The index parameters of a collection's vectors: sentences exact (FLAT); passages exact (FLAT) on Milvus
    Lite, for the small corpora it stands in with, and HNSW on a server."""
    index = milvus.prepare_index_params()
    if collection == passage_collection and not lite:
        index.add_index(field_name="vector", metric_type="IP", index_type="HNSW", params=HNSW)
    else:
        index.add_index(field_name="vector", metric_type="IP", index_type="FLAT")
    return index
