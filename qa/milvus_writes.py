"""Milvus writes: an article's rows put and deleted at once, and made durable by ``flush``.

A mixin of ``MilvusStore``: it writes into the store's collections under its
owner, and keeps the view's note of what it may hold (``_present``) and what
it hides (``hidden``). Leaves out: reading (``milvus_reads.py``), the view
itself (``milvus_store.py``).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .articles import Passage
from .milvus_schema import CHUNK, article_key, milvus_term, row_id
from .store import lexical_texts, passage_record
from .vocabulary import Vocabulary


class MilvusWrites:
    """Putting, deleting and flushing an owner's articles in a Milvus view (``MilvusStore``)."""

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
        owner, key, digest = self.owner, article_key(self.owner, name), str(info["digest"])
        vocabulary = Vocabulary(lexical_texts(passages))
        pks = [row_id(owner, name, digest, i) for i in range(len(passages))]
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
            sentences += [{"pk": row_id(pk, j), "owner": owner, "key": key, "passage": pk, "position": j,
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
            key = json.dumps(article_key(self.owner, name))
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
