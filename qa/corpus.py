"""The corpus: articles on disk become passages with vectors, cached as a store.

``open_corpus`` reads the article files, compares their hashes with the
cached store's manifest, and embeds only what changed: an unchanged corpus
loads without touching the model's forward pass, and an edited article is the
only one re-embedded. A store that fails its checks is rebuilt, never served.
Leaves out: retrieval and answering (``retrieve.py``, ``answer.py``).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from embeddings.index import IndexCorrupt, Store, build_index, read_store, write_store
from embeddings.model import Embedder

from .articles import SPLITTER_VERSION, Passage, article_files, check_size, parse_article, split_passages
from .config import Settings
from .errors import ArticleError

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
UPLOADS = "uploads"


@dataclass(frozen=True)
class ArticleInfo:
    """What the UI lists about a loaded article."""

    name: str
    title: str
    sections: tuple[str, ...]
    passages: int
    uploaded: bool = False


@dataclass
class Corpus:
    """Passages, their store (FAISS + sentence vectors), and where each passage's sentences start."""

    articles: list[ArticleInfo]
    passages: list[Passage]
    store: Store
    sentence_rows: np.ndarray  # first sentence-vector row of each passage
    warnings: list[str]
    folder: Path
    embedded: int = 0  # passages embedded while opening (0: all from cache)

    def sentence_vectors(self, row: int) -> np.ndarray:
        first = int(self.sentence_rows[row])
        count = len(self.passages[row].sentences)
        return self.store.sentence_vectors[first:first + count].astype(np.float32)


def store_folder(settings: Settings) -> Path:
    """Cache folder for one (articles path, model) pair: uploads and the index live there."""
    key = hashlib.sha1(str(Path(settings.articles).resolve()).encode()).hexdigest()[:10]
    model = re.sub(r"[^A-Za-z0-9.-]+", "_", Path(settings.model).name or settings.model)[:40]
    return Path(settings.cache_dir) / f"{model}-{key}"


def source_files(settings: Settings, folder: Path) -> list[tuple[Path, bool]]:
    """Article files to load: the configured path's, then uploads; (path, uploaded)."""
    files = [(p, False) for p in article_files(Path(settings.articles))]
    uploads = folder / UPLOADS
    if uploads.is_dir():
        files += [(p, True) for p in sorted(uploads.iterdir()) if p.is_file() and not p.name.startswith(".")]
    return files


def _expect(embedder: Embedder, settings: Settings) -> dict:
    return {
        "model": embedder.name,
        "model_source": Path(embedder.source).name,
        "dim": embedder.dim,
        "splitter": SPLITTER_VERSION,
        "max_tokens": embedder.max_tokens,
        "pack_tokens": settings.pack_tokens,
    }


def open_corpus(settings: Settings, embedder: Embedder, progress: Progress | None = None) -> Corpus:
    """Load the cached corpus, embedding only articles that are new or changed.

    Raises ArticleError when there is no usable article at all. Files in a
    folder that cannot be read are skipped and named in ``warnings``.
    """
    progress = progress or (lambda stage, done, total: None)
    folder = store_folder(settings)
    expect = _expect(embedder, settings)
    files = source_files(settings, folder)
    explicit = Path(settings.articles).is_file()
    warnings: list[str] = []
    raw: list[tuple[Path, bytes, bool]] = []
    for path, uploaded in files:
        try:
            check_size(path.name, path.stat().st_size, settings.max_article_bytes)
            raw.append((path, path.read_bytes(), uploaded))
        except (OSError, ArticleError) as exc:
            if explicit:
                raise ArticleError(str(exc)) from exc
            warnings.append(f"skipped {path.name}: {exc}")
    digests = {p.name: hashlib.sha256(data).hexdigest()[:20] for p, data, _ in raw}

    old: Store | None = None
    try:
        old = read_store(folder, expect)
    except IndexCorrupt as exc:
        if (folder / "manifest.json").exists():
            log.warning("cached index in %s not used (%s): rebuilding", folder, exc)
    old_articles = (old.manifest.get("articles") or {}) if old else {}
    if old and {n: a.get("digest") for n, a in old_articles.items()} == digests:
        return _from_store(old, folder, warnings, raw)

    progress("reading", 0, len(raw))
    passages: list[Passage] = []
    vector_parts: list[np.ndarray] = []
    sentence_parts: list[np.ndarray] = []
    manifest_articles: dict[str, dict] = {}
    infos: list[ArticleInfo] = []
    to_embed: list[tuple[int, list[Passage]]] = []  # (index in vector_parts, passages)
    old_vectors = old.all_vectors() if old else None
    old_by_digest = {a.get("digest"): a for a in old_articles.values()}
    for i, (path, data, uploaded) in enumerate(raw):
        digest = digests[path.name]
        cached = old_by_digest.get(digest)
        if cached is not None and old is not None:
            a, b = cached["rows"]
            sa, sb = cached["sentence_rows"]
            article_passages = [Passage(**_passage_args(r, path.name)) for r in old.records[a:b]]
            vector_parts.append(old_vectors[a:b])
            sentence_parts.append(old.sentence_vectors[sa:sb].astype(np.float32))
            title, sections = cached["title"], tuple(cached["sections"])
        else:
            try:
                article = parse_article(path.name, data, settings.max_article_bytes)
            except ArticleError as exc:
                if explicit or len(raw) == 1:
                    raise
                warnings.append(f"skipped {path.name}: {exc}")
                continue
            article_passages = split_passages(article, embedder.count_tokens, embedder.max_tokens, settings.pack_tokens)
            to_embed.append((len(vector_parts), article_passages))
            vector_parts.append(np.zeros((0, embedder.dim), np.float32))
            sentence_parts.append(np.zeros((0, embedder.dim), np.float32))
            title, sections = article.title, tuple(s.header for s in article.sections)
        start = len(passages)
        sentence_start = sum(len(p.sentences) for p in passages)
        passages.extend(article_passages)
        manifest_articles[path.name] = {
            "digest": digest,
            "title": title,
            "sections": list(sections),
            "rows": [start, len(passages)],
            "sentence_rows": [sentence_start, sentence_start + sum(len(p.sentences) for p in article_passages)],
            "uploaded": uploaded,
        }
        infos.append(ArticleInfo(path.name, title, sections, len(article_passages), uploaded))
        progress("reading", i + 1, len(raw))
    if not passages:
        raise ArticleError(f"no usable articles in {settings.articles}: " + "; ".join(warnings))

    embedded = _embed_new(to_embed, vector_parts, sentence_parts, embedder, settings, progress)
    vectors = np.concatenate(vector_parts) if vector_parts else np.zeros((0, embedder.dim), np.float32)
    sentence_vectors = np.concatenate(sentence_parts).astype(np.float16)
    progress("indexing", 0, 1)
    store = Store(
        manifest={**expect, "articles": manifest_articles},
        records=[_record(p) for p in passages],
        index=build_index(vectors),
        sentence_vectors=sentence_vectors,
    )
    try:
        write_store(folder, store)
    except OSError as exc:  # a read-only cache still answers, it just cannot remember
        warnings.append(f"index not cached ({exc.strerror or exc}); it will be rebuilt next start")
    progress("indexing", 1, 1)
    return Corpus(infos, passages, store, _sentence_rows(passages), warnings, folder, embedded)


def _embed_new(to_embed, vector_parts, sentence_parts, embedder: Embedder, settings: Settings, progress) -> int:
    """Embed the passages of new articles; their sentences' vectors come from the same pass."""
    texts: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    for _, article_passages in to_embed:
        for p in article_passages:
            shift = len(p.embed_text) - len(p.text)  # the header line before the text
            texts.append(p.embed_text)
            spans.append([(a + shift, b + shift) for a, b in p.sentences])
    if not texts:
        return 0
    report = lambda done, total: progress("embedding", done, total)  # noqa: E731
    vectors, sentence_vectors = embedder.encode_with_parts(texts, spans, settings.batch_size, report)
    at = 0
    for slot, article_passages in to_embed:
        n = len(article_passages)
        vector_parts[slot] = vectors[at:at + n]
        sentence_parts[slot] = (np.concatenate(sentence_vectors[at:at + n]) if n
                                else np.zeros((0, embedder.dim), np.float32))
        at += n
    return len(texts)


def _from_store(store: Store, folder: Path, warnings: list[str], raw) -> Corpus:
    """A corpus straight from a verified store: no parsing, no embedding."""
    articles = store.manifest["articles"]
    names = {}
    for name, info in articles.items():
        for row in range(*info["rows"]):
            names[row] = name
    passages = [Passage(**_passage_args(r, names[i])) for i, r in enumerate(store.records)]
    uploaded = {p.name: up for p, _, up in raw}
    infos = [
        ArticleInfo(name, info["title"], tuple(info["sections"]), info["rows"][1] - info["rows"][0],
                    uploaded.get(name, False))
        for name, info in articles.items()
    ]
    return Corpus(infos, passages, store, _sentence_rows(passages), warnings, folder, 0)


def _record(p: Passage) -> dict:
    data = asdict(p)
    data.pop("article")  # the manifest's rows say which article; a renamed file keeps its vectors
    return data


def _passage_args(record: dict, article: str) -> dict:
    return {
        **record,
        "article": article,
        "paragraphs": tuple(record["paragraphs"]),
        "sentences": tuple(tuple(s) for s in record["sentences"]),
    }


def _sentence_rows(passages: list[Passage]) -> np.ndarray:
    counts = np.array([len(p.sentences) for p in passages], dtype=np.int64)
    return np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(counts) else counts

