"""The Milvus store: passages in Milvus Lite (one local file) or a Milvus server, read through ``qa.store.Store``.

Two collections per corpus (named from the articles path, the model and the
manifest values, so a store made otherwise is never read): passages (vector,
record, BM25 terms) and sentences (one vector each). BM25 is Milvus's own
full-text function over a field holding our own terms (``Vocabulary``'s stems,
spelled so Milvus's standard analyser keeps each one whole), so both stores
score the same terms; Milvus's scores carry a factor (k1+1) that bm25s's do
not, and it is divided out. Milvus returns only the top hits: ``lexical``
asks for ``LEXICAL_DEPTH`` of them, which is every passage holding a query
term in a small corpus (then the mean and spread over all passages are
exact: the rest score 0); past that, the passages below the last hit are
counted from the vocabulary's document frequencies (as if the terms occurred
independently) and taken to score evenly between 0 and the last hit's score.

Uploads share the collections, kept apart by an ``owner`` field ("" for the
base articles and shared uploads, else the browser's id): every search and
read filters on the reader's owners, so one browser never sees another's
passages (Milvus's BM25 statistics are over the whole collection, so their
terms shift IDF a little). An article's rows are written its passages but the
first, then its sentences, then its first passage (which carries the article's
digest and size), so an article is held only once it is whole; rows of a
half-written article are removed when it is written again. The manifest is
read from the articles' first rows, at open and at a ``flush`` that wrote
something; a passage's record (text, spans) is read when a question first
needs it (``_Records``), so an app process holds what it answers from, not
the archive. Rows replaced by another process since the reading are left out
of results until then. The term statistics (``Vocabulary``) are counted from
every passage once and kept in the cache folder (``VOCABULARY``), by the
article versions counted: a browser's view adds its uploads to the base
corpus's, and a view with articles added counts only those (otherwise, as
when an article is edited or removed, all are counted again). A cache, not the store, so each app replica
of a Milvus cluster keeps its own.
Leaves out: Milvus's own security (TLS, users): a token from ``QA_MILVUS_TOKEN`` is all it passes;
on Milvus Lite, the sentences of a one-passage article whose write was cut off before its only passage (no
reading sees them, nor finds them to remove: they stay, unread, until the article is next deleted or replaced);
Milvus Lite's statistics are per segment (an upload's segment weighs its own terms), a limit of the stand-in.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import orjson

from embeddings.files import atomic_write, read_json

from .articles import Passage
from .config import MILVUS_TOKEN_ENV, Settings, store_kind
from .errors import QAError
from .kinds import SentenceFacts
from .store import Lexical, StoredArticle, facts_of, lexical_texts, passage_record, record_passage
from .vocabulary import Vocabulary

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
_VOCABULARY_FILE = re.compile(r"milvus-vocabulary\.[0-9a-f]{20}\.json")

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


def _id(*parts: object) -> int:
    """A stable 63-bit primary key: the same article version always gets the same rows."""
    digest = hashlib.sha1("\0".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") & (2**63 - 1)


def _article_key(owner: str, name: str) -> str:
    """The rows of one owner's article, as a filter can name them (no quoting of names needed)."""
    return hashlib.sha1(f"{owner}\0{name}".encode("utf-8")).hexdigest()


class MilvusStore:
    """One reader's view (the base corpus, or a browser's) of a corpus in Milvus: see the module docstring."""

    def __init__(self, milvus, names: tuple[str, str], expect: dict[str, Any], owner: str | None, lite: bool,
                 folder: Path | None = None, base_folder: Path | None = None):
        self.milvus = milvus
        self.lite = lite
        self.folder = folder  # where the term statistics are kept (None: counted at every open)
        self.base_folder = base_folder  # the base corpus's cache folder, for a browser's view: its kept statistics
        self._written = False  # put or deleted since the last reading
        self.passage_collection, self.sentence_collection = names
        self.expect = dict(expect)
        self.dim = int(expect["dim"])
        self.owner = owner or ""
        owners = sorted({"", self.owner})
        self.view = "owner in [" + ", ".join(json.dumps(o) for o in owners) + "]"
        self.hidden: set[str] = set()  # shared articles this view deleted (gone from its files)
        self._snapshot: _Snapshot | None = None
        # Articles this view may hold rows of, whole or not: those with passage rows at the last reading (at
        # open, and after a flush) and those written since. On Milvus Lite, deleting any other is a no-op,
        # and skipped: each delete by filter scans the collection's unsealed rows, so a build of 12,800
        # articles that deleted before each write slowed as it grew (hours at 100k passages). Lite serves
        # its file to one process, so no other writer adds rows meanwhile; on a server, one may: it deletes.
        self._present: set[str] = set()
        self._ensure()
        self._read()

    @classmethod
    def open(cls, settings: Settings, expect: dict[str, Any], owner: str | None = None,
             folder: Path | None = None, base_folder: Path | None = None) -> "MilvusStore":
        """The view of ``owner`` (None: the base corpus); ``folder``: the cache folder for its term statistics,
        ``base_folder`` the base corpus's (a browser's view starts from its statistics)."""
        return cls(client(settings), collection_names(settings, expect), expect, owner, is_lite(settings), folder,
                   base_folder)

    def _ensure(self) -> None:
        """Create the collections on first use (a server's are loaded for search too)."""
        from pymilvus import DataType, Function, FunctionType

        m = self.milvus
        if not m.has_collection(self.passage_collection):
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
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
            schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                                         output_field_names=["sparse"]))
            index = self._vector_index(self.passage_collection)
            index.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                            params={"bm25_k1": BM25_K1, "bm25_b": BM25_B})
            m.create_collection(self.passage_collection, schema=schema, index_params=index,
                                consistency_level="Strong")
        if not m.has_collection(self.sentence_collection):
            schema = m.create_schema(auto_id=False)
            schema.add_field("pk", DataType.INT64, is_primary=True)
            schema.add_field("owner", DataType.VARCHAR, max_length=128)
            schema.add_field("key", DataType.VARCHAR, max_length=64)
            schema.add_field("passage", DataType.INT64)
            schema.add_field("position", DataType.INT64)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
            m.create_collection(self.sentence_collection, schema=schema,
                                index_params=self._vector_index(self.sentence_collection), consistency_level="Strong")
        for name in (self.passage_collection, self.sentence_collection):
            try:
                m.load_collection(name)
            except Exception as exc:
                if not self.lite:
                    raise
                # Milvus Lite writes a segment's vector index beside it in the background, not atomically: a
                # process killed meanwhile leaves it cut short, and every later load fails on it. The index
                # is made from the vectors, so it is made again.
                log.warning("Milvus Lite could not load %s (%s): making its vector index again", name, exc)
                m.release_collection(name)
                m.drop_index(name, "vector")
                m.create_index(name, self._vector_index(name))
                m.load_collection(name)

    def _vector_index(self, collection: str):
        """The index parameters of a collection's vectors: sentences exact (FLAT); passages exact (FLAT) on Milvus
        Lite, for the small corpora it stands in with, and HNSW on a server."""
        index = self.milvus.prepare_index_params()
        if collection == self.passage_collection and not self.lite:
            index.add_index(field_name="vector", metric_type="IP", index_type="HNSW", params=HNSW)
        else:
            index.add_index(field_name="vector", metric_type="IP", index_type="FLAT")
        return index

    # -- the snapshot read at open and flush -----------------------------------

    @property
    def _snap(self) -> "_Snapshot":
        """What the view holds, read at open and again on first use after a ``flush``."""
        if self._snapshot is None:
            self._read()
        return self._snapshot

    def _read(self) -> None:
        """Read the view's articles from their first rows: only whole articles, the owner's own before shared ones.

        An article's first row is written last and removed first, so one that
        is there stands for the whole article; it carries the passages' count
        and their sentences' counts, and the other rows' keys follow from the
        article's version (``_id``). Passage records are read when first used
        (``_Records``), so opening reads one or two rows per article (the second
        says an article has rows, whole or not), not every passage.
        """
        heads = self._query(self.passage_collection, f"{self.view} and position <= 1",
                            ["owner", "article", "digest", "position", "info"])
        # Articles with rows, whole or not: a half-written one has its second row (written first) but no head.
        self._present = {h["article"] for h in heads if h["owner"] == self.owner}
        articles: dict[str, dict] = {}
        for head in sorted((h for h in heads if h["position"] == 0),
                           key=lambda h: (h["owner"] != "", h["article"])):  # shared first, own override
            if head["owner"] == "" and head["article"] in self.hidden:
                continue
            articles[head["article"]] = {"owner": head["owner"], "digest": head["digest"], **head["info"]}
        pks: list[int] = []
        counts: list[int] = []
        sentence_count = 0
        names: list[str] = []
        manifest_articles: dict[str, dict] = {}
        # The order a folder's store has: base files, shared uploads, then the owner's own.
        for name in sorted(articles, key=lambda n: (articles[n]["owner"] != "", bool(articles[n].get("uploaded")), n)):
            info = articles[name]
            start, sentence_start = len(pks), sentence_count
            pks.extend(_id(info["owner"], name, info["digest"], i) for i in range(int(info["passages"])))
            counts.extend(int(c) for c in info["sentence_counts"])
            sentence_count += sum(info["sentence_counts"])
            names.append(name)
            manifest_articles[name] = {
                "digest": info["digest"], "title": info.get("title"), "sections": list(info.get("sections") or ()),
                "rows": [start, len(pks)],
                "sentence_rows": [sentence_start, sentence_count],
                "uploaded": bool(info.get("uploaded", False)), "owner": info["owner"],
                **({"url": info["url"]} if info.get("url") else {}),
            }
        pk_array = np.array(pks, dtype=np.int64)
        starts = np.array([info["rows"][0] for info in manifest_articles.values()], dtype=np.int64)
        self._snapshot = _Snapshot({**self.expect, "articles": manifest_articles},
                                   _Records(self, pk_array, names, starts), pk_array,
                                   np.array(counts, dtype=np.int64))

    def _query(self, collection: str, where: str, fields: list[str]) -> list[dict]:
        """Every row matching ``where``: at once from Milvus Lite, in batches from a server (at most ``MAX_LIMIT`` a query)."""
        if self.lite:
            return self.milvus.query(collection, filter=where, output_fields=fields)
        iterator = self.milvus.query_iterator(collection, filter=where, output_fields=fields, batch_size=CHUNK)
        found: list[dict] = []
        try:
            while batch := iterator.next():
                found.extend(batch)
        finally:
            iterator.close()
        return found

    # -- reading ---------------------------------------------------------------

    @property
    def manifest(self) -> dict[str, Any]:
        return self._snap.manifest

    @property
    def size(self) -> int:
        return len(self._snap.passages)

    def passages(self) -> Sequence[Passage]:
        """Every passage, in row order: read from Milvus as rows are first used (``_Records``)."""
        return self._snap.passages

    def sentence_counts(self) -> np.ndarray:
        return self._snap.sentence_counts

    def prefetch(self, rows: Sequence[int] | np.ndarray) -> None:
        """Read these rows' passage records now, in as few queries as it takes."""
        self._snap.passages.fetch(int(r) for r in rows)

    def vocabulary(self) -> Vocabulary:
        snap = self._snap
        if snap.vocabulary is None:
            snap.vocabulary = self._kept_vocabulary(snap)
        return snap.vocabulary

    def _kept_vocabulary(self, snap: "_Snapshot") -> Vocabulary:
        """The snapshot's term statistics: as kept for the same article versions; else as kept for a part of them
        (the base corpus's, for a browser's view; this view's, before articles were added) with the rest counted;
        else counted from every passage. Kept in the cache folder for next time, unless a row read was gone
        (another writer's since the snapshot): then they are this snapshot's only."""
        held = _held(snap.manifest["articles"])
        key = _vocabulary_key(self.expect, held)
        exact = self._kept_vocabularies(key)
        if key in exact:
            return exact[key][1]
        versions = {tuple(h) for h in held}
        parts = [k for k in self._kept_vocabularies().values() if k[0] <= versions]
        gone: list[Passage] = []

        def whole(passages: Iterable[Passage]) -> Iterator[Passage]:
            for p in passages:
                if p.id == GONE:
                    gone.append(p)
                yield p

        if parts:
            counted, vocabulary = max(parts, key=lambda k: len(k[0]))
            rows = [row for name, info in snap.manifest["articles"].items()
                    if (name, info["owner"], info["digest"]) not in counted for row in range(*info["rows"])]
            vocabulary.add(Vocabulary(lexical_texts(whole(snap.passages.stream(rows)))))
        else:
            vocabulary = Vocabulary(lexical_texts(whole(snap.passages)))
        vocabulary.docs = []
        if self.folder is not None and not gone:
            try:
                path = self.folder / VOCABULARY.format(key=key)
                self.folder.mkdir(parents=True, exist_ok=True)
                atomic_write(path, lambda tmp: Path(tmp).write_bytes(
                    orjson.dumps({"key": key, "held": held, "state": vocabulary.state()})))
                for old in self.folder.glob(VOCABULARY.format(key="*")):
                    if old != path and _VOCABULARY_FILE.fullmatch(old.name):
                        old.unlink(missing_ok=True)
            except OSError as exc:  # a read-only cache folder: counted again next time
                log.warning("term statistics not kept in %s: %s", self.folder, exc)
        return vocabulary

    def _kept_vocabularies(self, key: str = "*") -> dict[str, tuple[set[tuple], Vocabulary]]:
        """Term statistics kept in this view's cache folder and the base corpus's (those named ``key``, or all),
        by key: the article versions counted and the statistics. Only those of this manifest's values, read
        whole: a damaged file is passed over with a warning; one of other values or of an older version,
        silently."""
        kept: dict[str, tuple[set[tuple], Vocabulary]] = {}
        for folder in dict.fromkeys(f for f in (self.folder, self.base_folder) if f is not None):
            for path in folder.glob(VOCABULARY.format(key=key)):
                if not _VOCABULARY_FILE.fullmatch(path.name):
                    continue
                try:
                    found = read_json(path)
                    if isinstance(found, dict) and "state" in found and "held" not in found:
                        continue  # kept by an older version, without what it was counted from: replaced
                    name = _vocabulary_key(self.expect, found["held"])
                    if path.name == VOCABULARY.format(key=name) == VOCABULARY.format(key=found["key"]):
                        kept[name] = ({tuple(h) for h in found["held"]}, Vocabulary.from_state(found["state"]))
                except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                    log.warning("term statistics in %s not used (%s): counting them again", path, exc)
        return kept

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.size, MAX_LIMIT)
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        found = self.milvus.search(self.passage_collection, data=[np.asarray(vector, np.float32).tolist()],
                                   anns_field="vector", limit=k, filter=self.view, output_fields=["pk"],
                                   search_params={"metric_type": "IP", "params": {"ef": max(HNSW_EF, k)}})[0]
        return self._hits(found, lambda d: d)

    def _hits(self, found, score) -> tuple[np.ndarray, np.ndarray]:
        """Rows and scores of search hits, leaving out rows this snapshot does not hold."""
        keys = np.array([hit["pk"] if "pk" in hit else hit["id"] for hit in found], dtype=np.int64)
        rows = self._snap.rows_of(keys)
        held = rows >= 0
        scores = np.array([score(hit["distance"]) for hit in found], dtype=np.float32)
        return rows[held], scores[held]

    def lexical(self, terms: Sequence[str], k: int, asked: np.ndarray) -> Lexical:
        """Milvus's BM25: its top hits (see the module docstring for the mean and spread of the rest)."""
        asked = np.asarray(asked, dtype=np.int64)
        if not self.size or not terms:
            return Lexical(np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(len(asked), np.float32),
                           np.float32(0), np.float32(0))
        query = " ".join(milvus_term(t) for t in terms)
        depth = min(max(k, LEXICAL_DEPTH), MAX_LIMIT)
        # BM25 scores are >= 0: Milvus Lite returns them negated (as distances), a server as they are.
        bm25 = lambda d: abs(d) / (BM25_K1 + 1)
        found = self.milvus.search(self.passage_collection, data=[query], anns_field="sparse", limit=depth,
                                   filter=self.view, output_fields=["pk"])[0]
        rows, scores = self._hits(found, bm25)
        complete = len(found) < depth
        score_of = dict(zip(rows.tolist(), scores.tolist()))
        missing = [int(r) for r in asked if int(r) not in score_of]
        if missing and not complete:  # below the top hits: ask for these rows' scores
            pks = ", ".join(str(int(self._snap.pks[r])) for r in missing)
            extra = self.milvus.search(self.passage_collection, data=[query], anns_field="sparse",
                                       limit=len(missing), filter=f"{self.view} and pk in [{pks}]",
                                       output_fields=["pk"])[0]
            score_of.update(zip(*(a.tolist() for a in self._hits(extra, bm25))))
        asked_scores = np.array([score_of.get(int(r), 0.0) for r in asked], dtype=np.float32)
        mean, spread = self._scale(scores, complete, terms)
        order = np.argsort(-scores, kind="stable")[:k]
        return Lexical(rows[order], scores[order], asked_scores, mean, spread)

    def _scale(self, scores: np.ndarray, complete: bool, terms: Sequence[str]) -> tuple[np.float32, np.float32]:
        """Mean and spread of the query's BM25 over every passage, from the hits (estimated past them)."""
        n = self.size
        total, squares = float(scores.sum(dtype=np.float64)), float((scores.astype(np.float64) ** 2).sum())
        if not complete and len(scores):
            vocabulary = self.vocabulary()
            none = math.prod(1 - min(vocabulary.df.get(t, 0), n) / n for t in set(terms))
            matching = max(len(scores), round(n * (1 - none)))
            low = float(scores.min())
            rest = matching - len(scores)
            total += rest * low / 2
            squares += rest * low * low / 3
        mean = total / n
        return np.float32(mean), np.float32(math.sqrt(max(squares / n - mean * mean, 0.0)))

    def vectors(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(rows), self.dim), np.float32)
        if not len(rows):
            return out
        found: dict[int, list[float]] = {}
        for at in range(0, len(rows), CHUNK):
            pks = ", ".join(str(int(p)) for p in self._snap.pks[rows[at:at + CHUNK]])
            for row in self.milvus.query(self.passage_collection, filter=f"pk in [{pks}]",
                                         output_fields=["pk", "vector"]):
                found[row["pk"]] = row["vector"]
        for i, pk in enumerate(self._snap.pks[rows].tolist()):
            if pk in found:
                out[i] = found[pk]
        return out

    def sentence_vectors(self, rows: Sequence[int] | np.ndarray) -> list[np.ndarray]:
        """Looked up by the sentences' own keys (``_id(passage key, position)``), which Milvus finds by
        its primary-key index: filtering on the passage field scans every sentence row instead (1.2-1.4 s
        a question at 116k passages on Milvus Lite, against 4-7 ms by key). Rounded to float16, as the
        FAISS store keeps them (Milvus Lite has no float16 vectors), so both stores score sentences alike:
        unrounded, one public-dev answer of 2,211 had a different third sentence."""
        rows = [int(r) for r in rows]
        snap = self._snap
        out = [np.zeros((int(snap.sentence_counts[r]), self.dim), np.float32) for r in rows]
        where: dict[int, list[tuple[int, int]]] = {}
        for i, r in enumerate(rows):
            passage = int(snap.pks[r])
            for j in range(len(out[i])):
                where.setdefault(_id(passage, j), []).append((i, j))
        pks = list(where)
        for at in range(0, len(pks), CHUNK):
            listed = ", ".join(map(str, pks[at:at + CHUNK]))
            for found in self._query(self.sentence_collection, f"pk in [{listed}]", ["pk", "vector"]):
                for i, j in where.get(found["pk"], ()):
                    out[i][j] = found["vector"]
        return [o.astype(np.float16).astype(np.float32) for o in out]

    # -- writing ---------------------------------------------------------------

    def sentence_facts(self, rows: Sequence[int] | np.ndarray) -> list[list[SentenceFacts]]:
        """Worked out from the passages' text at every call: Milvus keeps no such field."""
        passages = self._snap.passages
        passages.fetch(int(r) for r in rows)
        return [facts_of(passages[int(r)]) for r in rows]

    def digests(self) -> dict[str, str]:
        return {name: info["digest"] for name, info in self._snap.manifest["articles"].items()}

    def article(self, name: str) -> StoredArticle | None:
        info = self._snap.manifest["articles"].get(name)
        if info is None:
            return None
        rows = np.arange(*info["rows"])
        sentences = self.sentence_vectors(rows)
        return StoredArticle(
            info={k: info[k] for k in ("digest", "title", "sections", "uploaded", "url") if k in info},
            passages=self._snap.passages[info["rows"][0]:info["rows"][1]],
            vectors=self.vectors(rows),
            sentence_vectors=np.concatenate(sentences) if sentences else np.zeros((0, self.dim), np.float32),
        )

    def put_article(self, name: str, info: dict[str, Any], passages: list[Passage], vectors: np.ndarray,
                    sentence_vectors: np.ndarray) -> None:
        """Written at once (the passages but the first, the sentences, then the first passage, which makes the
        article held); read after ``flush``."""
        counts = [len(p.sentences) for p in passages]
        if len(vectors) != len(passages) or len(sentence_vectors) != sum(counts):
            raise ValueError(f"{name}: {len(passages)} passages with {len(vectors)} vectors and "
                             f"{len(sentence_vectors)} sentence vectors")
        self.delete_article(name)
        self.hidden.discard(name)
        self._present.add(name)  # before the first insert: a failed write is cleaned up by the next
        owner, key, digest = self.owner, _article_key(self.owner, name), str(info["digest"])
        vocabulary = Vocabulary(lexical_texts(passages))
        pks = [_id(owner, name, digest, i) for i in range(len(passages))]
        head = {k: info[k] for k in ("title", "sections", "uploaded", "url") if k in info}
        head["passages"] = len(passages)
        head["sentence_counts"] = counts  # what a reading needs of every passage without reading it
        rows = [{"pk": pks[i], "owner": owner, "key": key, "article": name, "digest": digest, "position": i,
                 "info": head if i == 0 else {}, "record": passage_record(p),
                 "terms": " ".join(milvus_term(t) for t in vocabulary.docs[i]),
                 "vector": np.asarray(vectors[i], np.float32).tolist()} for i, p in enumerate(passages)]
        sentences = []
        at = 0
        for pk, count in zip(pks, counts):
            sentences += [{"pk": _id(pk, j), "owner": owner, "key": key, "passage": pk, "position": j,
                           "vector": np.asarray(sentence_vectors[at + j], np.float32).tolist()}
                          for j in range(count)]
            at += count
        # The other passages first: a reading finds their rows, so a write cut off after them is cleaned up.
        for start in range(1, len(rows), CHUNK // 4):
            self.milvus.insert(self.passage_collection, rows[start:start + CHUNK // 4])
        for start in range(0, len(sentences), CHUNK):
            self.milvus.insert(self.sentence_collection, sentences[start:start + CHUNK])
        self.milvus.insert(self.passage_collection, rows[:1])  # the first passage, which makes the article held

    def delete_article(self, name: str) -> None:
        """Removes this owner's rows of ``name`` at once; a shared article is hidden from this view."""
        self._written = True
        if name in self._present or not self.lite:
            key = json.dumps(_article_key(self.owner, name))
            self.milvus.delete(self.passage_collection, filter=f"key == {key} and position == 0")
            self.milvus.delete(self.passage_collection, filter=f"key == {key}")
            self.milvus.delete(self.sentence_collection, filter=f"key == {key}")
            self._present.discard(name)
        if self.owner and self._snap.manifest["articles"].get(name, {}).get("owner") == "":
            self.hidden.add(name)

    def flush(self) -> None:
        """Milvus's flush (sealed, durable); the view is read again when next used. Nothing if nothing was written
        (reading 115,856 passages again was 8 s of a cached start of Milvus Lite)."""
        if not self._written:
            return
        for name in (self.passage_collection, self.sentence_collection):
            self.milvus.flush(name)
        self._snapshot = None
        self._written = False


@dataclass
class _Snapshot:
    """One reading of a view: its manifest, passages in row order, their primary keys and sentence counts.

    Arrays, not objects: 32 bytes a passage (a dict from key to row was about 100 more).
    """

    manifest: dict[str, Any]
    passages: "_Records"
    pks: np.ndarray  # int64, one per row
    sentence_counts: np.ndarray  # int64, one per row
    vocabulary: Vocabulary | None = None

    def __post_init__(self) -> None:
        self.by_key = np.argsort(self.pks, kind="stable")  # rows in the order of their keys
        self.sorted_keys = self.pks[self.by_key]

    def rows_of(self, keys: np.ndarray) -> np.ndarray:
        """The row of each primary key, -1 for a key this reading does not hold."""
        if not len(self.pks):
            return np.full(len(keys), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.sorted_keys, keys), len(self.pks) - 1)
        return np.where(self.sorted_keys[at] == keys, self.by_key[at], -1).astype(np.int64)


GONE = "gone"  # the id of a passage another writer removed since the reading (``_Records``)


class _Records(Sequence[Passage]):
    """A view's passages by row, read from Milvus when first asked for; the last ``KEEP`` read are kept.

    ``fetch`` reads many rows in one query (what a question's candidates
    need); a row asked for alone is read with its neighbours; iterating reads
    ``CHUNK`` rows a query. Rows past the snapshot's (another writer's since)
    are never asked for: the snapshot's keys are fixed.
    """

    KEEP = 20_000  # passages kept read (about 40 MB): a question reads tens

    def __init__(self, store: "MilvusStore", pks: np.ndarray, names: list[str], starts: np.ndarray):
        self.store, self.pks, self.names, self.starts = store, pks, names, starts
        self.kept: OrderedDict[int, Passage] = OrderedDict()
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.pks)

    def __getitem__(self, index):
        if isinstance(index, slice):
            rows = range(*index.indices(len(self)))
            read = self.fetch(rows)
            return [read[r] for r in rows]
        row = int(index) + (len(self) if int(index) < 0 else 0)
        if not 0 <= row < len(self):
            raise IndexError(index)
        with self.lock:
            if row in self.kept:
                self.kept.move_to_end(row)
                return self.kept[row]
        return self.fetch(range(row - 8, row + 8))[row]

    def __iter__(self) -> Iterator[Passage]:
        return self.stream(range(len(self)))

    def stream(self, rows: Sequence[int]) -> Iterator[Passage]:
        """The passages of ``rows`` in their order, read ``CHUNK`` a query and not kept (counting statistics)."""
        for at in range(0, len(rows), CHUNK):
            read = self._read(rows[at:at + CHUNK])
            yield from (read[int(r)] for r in rows[at:at + CHUNK])

    def fetch(self, rows: Iterable[int]) -> dict[int, Passage]:
        """The passages of ``rows`` (those out of range left out): kept ones as kept, the others read in as few
        queries as it takes and kept (the oldest kept are let go past ``KEEP``)."""
        wanted = {int(r) for r in rows if 0 <= int(r) < len(self)}
        out: dict[int, Passage] = {}
        with self.lock:
            for row in wanted & self.kept.keys():
                self.kept.move_to_end(row)
                out[row] = self.kept[row]
        missing = sorted(wanted - out.keys())
        for at in range(0, len(missing), CHUNK):
            read = self._read(missing[at:at + CHUNK])
            out.update(read)
            with self.lock:
                self.kept.update((row, p) for row, p in read.items() if p.id != GONE)
                while len(self.kept) > self.KEEP:
                    self.kept.popitem(last=False)
        return out

    def _read(self, rows: Sequence[int]) -> dict[int, Passage]:
        """Rows -> passages, in row order, from one query."""
        if not len(rows):
            return {}
        where = {int(self.pks[r]): r for r in rows}
        found = {}
        for record in self.store._query(self.store.passage_collection, f"pk in [{', '.join(map(str, where))}]",
                                        ["pk", "record"]):
            row = where[record["pk"]]
            found[row] = record_passage(record["record"], self._name(row))
        for row in set(where.values()) - set(found):  # replaced by another writer since the snapshot (a server)
            log.warning("passage row %d of %s is gone from Milvus (replaced since this view was read): it stays "
                        "empty until the view is opened again", row, self._name(row))
            found[row] = Passage(GONE, self._name(row), "", "", (0, 0), 0, 0, "", ())  # not kept: read again next time
        return dict(sorted(found.items()))

    def _name(self, row: int) -> str:
        """The article of ``row``."""
        return self.names[int(np.searchsorted(self.starts, row, "right")) - 1]


def _held(articles: dict[str, dict]) -> list[list[str]]:
    """The article versions term statistics are counted from, in row order: [name, owner, digest] each."""
    return [[name, info["owner"], info["digest"]] for name, info in articles.items()]


def _vocabulary_key(expect: dict[str, Any], held: list[list[str]]) -> str:
    """The name of term statistics counted from ``held`` (``_held``) under these manifest values."""
    return hashlib.sha256(orjson.dumps([expect, held], option=orjson.OPT_SORT_KEYS)).hexdigest()[:20]


def drop_owner(settings: Settings, owner: str) -> None:
    """Remove every row of ``owner``'s uploads, in every corpus of the Milvus the settings name."""
    milvus = client(settings)
    for name in milvus.list_collections():
        if name.startswith("qa_"):
            milvus.delete(name, filter=f"owner == {json.dumps(owner)}")
            milvus.flush(name)
