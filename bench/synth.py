"""The ~100k-passage store, written without embedding 100k passages.

The 100k corpus is the 10k corpus's article layouts written ten times, each
time with other names swapped in (variant 0 is the 10k corpus itself). Its
text is real generated text, split by the engine's own splitter, so BM25,
records and answers are what the engine would make; only the vectors are
borrowed: passage ``p`` of a variant gets the vector of passage ``p`` of its
layout in the 10k store (sentences likewise), plus Gaussian noise (cosine
about 0.93 to the original) so variants are not exact duplicates. The store
is written where the engine looks for it, with the manifest's article
digests, so ``qa.load`` opens it as a cached index and embeds nothing.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from embeddings.index import Store, build_index, index_kind, read_manifest, read_store, write_store
from embeddings.model import load_embedder
from qa.articles import article_files, parse_article, split_passages
from qa.config import Settings
from qa.corpus import _expect, _record, store_folder

NOISE = 0.02  # per dimension; |noise| ~ 0.39 against a unit vector


def _noisy(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = vectors + rng.normal(0, NOISE, vectors.shape).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def synth100k(args: dict) -> dict:
    t_start = time.perf_counter()
    embedder = load_embedder("all-MiniLM-L6-v2", 2)
    base_settings = Settings.resolve(articles=args["base"], cache_dir=args["base_cache"])
    settings = Settings.resolve(articles=args["articles"], cache_dir=args["cache"])
    folder = store_folder(settings)
    files = article_files(Path(args["articles"]))
    raw = [(p, p.read_bytes()) for p in files]
    digests = {p.name: hashlib.sha256(data).hexdigest()[:20] for p, data in raw}
    try:
        manifest = read_manifest(folder)
        same_model = all(manifest.get(k) == v for k, v in _expect(embedder, settings).items())
        if same_model and {n: a.get("digest") for n, a in (manifest.get("articles") or {}).items()} == digests:
            return {"reused": True, "passages": manifest.get("count"), "folder": str(folder)}
    except Exception:
        pass

    base = read_store(store_folder(base_settings), _expect(embedder, base_settings))
    base_vectors = base.all_vectors()
    base_articles = base.manifest["articles"]
    rng = np.random.default_rng(0)
    passages, vector_parts, sentence_parts = [], [], []
    manifest_articles = {}
    sentence_total = 0
    for path, data in raw:
        article = parse_article(path.name, data)
        parts = split_passages(article, embedder.count_tokens, embedder.max_tokens, settings.pack_tokens)
        layout, variant = path.stem.rsplit("-v", 1)
        origin = base_articles[f"{layout}-v0.txt"]
        a, b = origin["rows"]
        sa, sb = origin["sentence_rows"]
        pv = base_vectors[a:b]
        sv = base.sentence_vectors[sa:sb].astype(np.float32)
        n_sent = [len(p.sentences) for p in parts]
        pick_p = pv[np.arange(len(parts)) % len(pv)]
        pick_s = sv[np.arange(sum(n_sent)) % len(sv)]
        if variant != "0":
            pick_p, pick_s = _noisy(pick_p, rng), _noisy(pick_s, rng)
        start = len(passages)
        passages.extend(parts)
        vector_parts.append(pick_p)
        sentence_parts.append(pick_s.astype(np.float16))
        manifest_articles[path.name] = {
            "digest": digests[path.name],
            "title": article.title,
            "sections": [s.header for s in article.sections],
            "rows": [start, len(passages)],
            "sentence_rows": [sentence_total, sentence_total + sum(n_sent)],
            "uploaded": False,
        }
        sentence_total += sum(n_sent)
    split_s = time.perf_counter() - t_start
    vectors = np.concatenate(vector_parts)
    t = time.perf_counter()
    index = build_index(vectors)
    index_s = time.perf_counter() - t
    t = time.perf_counter()
    store = Store(manifest={**_expect(embedder, settings), "articles": manifest_articles},
                  records=[_record(p) for p in passages], index=index,
                  sentence_vectors=np.concatenate(sentence_parts))
    write_store(folder, store)
    write_s = time.perf_counter() - t
    return {
        "reused": False,
        "passages": len(passages),
        "sentences": sentence_total,
        "articles": len(raw),
        "index": index_kind(index),
        "split_s": round(split_s, 1),
        "index_build_s": round(index_s, 1),
        "write_s": round(write_s, 1),
        "folder": str(folder),
    }
