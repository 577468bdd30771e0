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
Split by job: ``milvus_schema.py`` (connection, collections, ids),
``milvus_reads.py`` (search, rows), ``milvus_writes.py`` (put, delete,
flush); this module keeps the view (its snapshot, records and term
statistics). Leaves out: Milvus's own security (TLS, users): a token from ``QA_MILVUS_TOKEN`` is all it passes;
on Milvus Lite, the sentences of a one-passage article whose write was cut off before its only passage (no
reading sees them, nor finds them to remove: they stay, unread, until the article is next deleted or replaced);
Milvus Lite's statistics are per segment (an upload's segment weighs its own terms), a limit of the stand-in.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import orjson

from embeddings.files import atomic_write, read_json

from .articles import Passage
from .config import Settings
from .milvus_reads import MilvusReads
from .milvus_schema import (
    CHUNK,
    VOCABULARY,
    VOCABULARY_FILE,
    client,
    collection_names,
    ensure_collections,
    is_lite,
    row_id,
)
from .milvus_writes import MilvusWrites
from .store import StoredArticle, lexical_texts, record_passage
from .vocabulary import Vocabulary

log = logging.getLogger(__name__)
class MilvusStore(MilvusReads, MilvusWrites):
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
        ensure_collections(milvus, self.passage_collection, self.sentence_collection, self.dim, lite)
        self._read()

    @classmethod
    def open(cls, settings: Settings, expect: dict[str, Any], owner: str | None = None,
             folder: Path | None = None, base_folder: Path | None = None) -> "MilvusStore":
        """The view of ``owner`` (None: the base corpus); ``folder``: the cache folder for its term statistics,
        ``base_folder`` the base corpus's (a browser's view starts from its statistics)."""
        return cls(client(settings), collection_names(settings, expect), expect, owner, is_lite(settings), folder,
                   base_folder)

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
            pks.extend(row_id(info["owner"], name, info["digest"], i) for i in range(int(info["passages"])))
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
                    if old != path and VOCABULARY_FILE.fullmatch(old.name):
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
                if not VOCABULARY_FILE.fullmatch(path.name):
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

    # -- writing ---------------------------------------------------------------

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
