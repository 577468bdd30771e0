"""Uploads into a large archive: what a browser's upload costs beyond embedding it, and its memory.

    make bench ARGS=--overlay                   # a 100k-passage archive (built once into bench/.cache)
    .venv/bin/python bench/overlay.py --passages 20000 --browsers 5

A browser's corpus is the shared base store plus a store of its own uploads
(``qa/overlay.py``). This uploads one small article (about 3 KB) from each of
``--browsers`` browsers through the app's upload queue (``qa.browsers``, as
the page does) into an archive of ``--passages`` passages, and reports for
each: the seconds from submitting to answering from it, the seconds the
model takes to embed that article's passages alone (measured apart, the same
passages, warm), their difference (the overlay's own cost: the store of its
uploads written and read with the base), the app's memory after each, and a
warm question's time on the browser's engine against the base engine's.

The archive's vectors are random unit vectors, put through the store's own
API with each article's real passages and digests (``ingest_steps.prepare``),
so a 100k-passage base is built in minutes instead of the hour embedding it
takes: what an upload costs beyond its own embedding does not depend on the
base's vectors. Leaves out: answer quality over this archive (``bench/run.py``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import CACHE, ensure_corpus, news_spec  # noqa: E402
from bench.load import heavy_article, rss_mib, show  # noqa: E402


def build_base(folder: Path, cache: Path) -> None:
    """The archive's store, with random vectors for its real passages (unless already built)."""
    from qa.articles import article_files
    from qa.config import Settings
    from qa.engine import load_model
    from qa.ingest import open_for_writing
    from qa.ingest_steps import prepare

    settings = Settings.resolve(articles=folder, cache_dir=cache, threads=2)
    embedder = load_model(settings)
    rng = np.random.default_rng(0)

    def unit(n: int) -> np.ndarray:
        v = rng.standard_normal((n, embedder.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    with open_for_writing(settings, embedder) as store:
        held = store.digests()
        files = article_files(folder)
        for i, path in enumerate(files):
            data = path.read_bytes()
            info, passages = prepare(path.name, data, False, embedder, settings)
            if held.get(path.name) == info["digest"]:
                continue
            store.put_article(path.name, info, passages, unit(len(passages)),
                              unit(sum(len(p.sentences) for p in passages)))
            if i % 1000 == 999:
                print(f"  {i + 1}/{len(files)} articles", file=sys.stderr, flush=True)
        store.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/overlay.py", description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000, help="size of the archive (default 100,000)")
    parser.add_argument("--browsers", type=int, default=5, help="browsers that upload one article each")
    parser.add_argument("--out", type=Path, help="also write the results here as JSON")
    args = parser.parse_args(argv)

    from qa import load
    from qa.browsers import Browsers
    from qa.ingest_steps import prepare

    spec = news_spec(f"overlay{args.passages}", args.passages, variants=5 if args.passages >= 50_000 else 1)
    ensure_corpus(spec)
    cache = CACHE / "engines" / f"overlay{args.passages}"
    began = time.perf_counter()
    build_base(spec.folder, cache)
    built = time.perf_counter() - began
    began = time.perf_counter()
    base = load(spec.folder, cache_dir=cache, threads=1, freeze_gc=True)
    results: dict = {"passages": base.corpus.store.size, "base_build_or_check_s": round(built, 1),
                     "base_open_s": round(time.perf_counter() - began, 1)}
    question = "How many residents met to discuss the harbour plan in Skalholt?"
    base.ask(question)
    browsers = Browsers(base)
    results["rss_mib_base"] = round(rss_mib())
    rows = []
    for i in range(args.browsers):
        owner = f"overlay-browser-{i:02d}-0123456789"
        data = heavy_article(3, 100 + i)
        began = time.perf_counter()
        upload = browsers.submit(owner, f"report{i}.txt", data)
        upload.finished.wait()
        took = time.perf_counter() - began
        if upload.error is not None:
            raise SystemExit(f"upload {i} failed: {upload.error}")
        engine = browsers.engine(owner)
        _, passages = prepare(f"report{i}.txt", data, True, engine.embedder, engine.settings)
        texts = [p.text for p in passages]
        engine.embedder.encode(texts)  # warm
        began = time.perf_counter()
        engine.embedder.encode(texts)
        engine.embedder.encode([p.text[a:b] for p in passages for a, b in p.sentences])
        embed = time.perf_counter() - began
        answer = engine.ask(question)
        own_ask = statistics.median(_time(engine.ask, question) for _ in range(7))
        base_ask = statistics.median(_time(base.ask, question) for _ in range(7))
        rows.append({"upload_s": round(took, 2), "embed_s": round(embed, 2), "beyond_embedding_s": round(took - embed, 2),
                     "passages": len(passages), "rss_mib": round(rss_mib()),
                     "answered_from_upload": bool(answer.citations) and answer.citations[0].article == f"report{i}.txt",
                     "ask_ms": round(own_ask * 1000, 1), "base_ask_ms": round(base_ask * 1000, 1)})
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    results["uploads"] = rows
    beyond = [r["beyond_embedding_s"] for r in rows]
    first_rss = rows[0]["rss_mib"]
    results["verdicts"] = {
        "beyond embedding, median s (target < 2)": round(statistics.median(beyond), 2),
        "beyond embedding, max s": round(max(beyond), 2),
        "memory per further browser, MiB": round((rows[-1]["rss_mib"] - first_rss) / max(1, len(rows) - 1), 1),
        "first browser's memory (with the indexing thread's model copy), MiB": first_rss - results["rss_mib_base"],
        "ask on a browser's engine / base engine, median": round(
            statistics.median(r["ask_ms"] / r["base_ask_ms"] for r in rows), 2),
    }
    show(results, args.out)
    return 0


def _time(call, *args) -> float:
    began = time.perf_counter()
    call(*args)
    return time.perf_counter() - began


if __name__ == "__main__":
    raise SystemExit(main())
