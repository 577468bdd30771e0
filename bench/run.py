"""Benchmark: cold start, warm ask() by stage, index build against the reference pipelines, scale to 100k.

    make bench                      # full: ~30 minutes the first time on 2 quiet cores (the reference venv,
                                    # the 20k build and the 100k store are then cached), ~15 minutes after
    make bench ARGS=--quick         # ~7 minutes: no 20k/100k rows, one reference pipeline
    make bench ARGS="--stores faiss,milvus"   # the scale rows for each store
    make bench ARGS="--add-stores milvus"     # only Milvus's scale rows, added to the last results
    make bench ARGS=--load                    # only the load test (bench/load.py), in bench/results/load.json
    make bench ARGS=--overlay                 # only the upload test (bench/overlay.py), in bench/results/overlay.json
                                              # (--sizes 1k: without the 100k row, an hour or more in Milvus Lite)
    python bench/run.py --report-only         # re-render BENCHMARKS.md and docs/SCALE.md from the last results

Every figure is measured in a child process of its own (``bench/child.py``,
the reference pipelines in ``bench/reference.py`` in their own venv), written
to ``bench/results/latest.json``, and rendered into ``BENCHMARKS.md`` and
``docs/SCALE.md`` from their templates (``bench/report.py``): no figure in
them is typed by hand. Corpora are generated from real article text
(``bench/corpus.py``) and cached under ``bench/.cache/``, as are the engine's
stores and the 20k and 100k builds' figures (``--rebuild`` measures them again).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import CACHE, CORPORA, CorpusSpec, ensure_corpus, news_spec, sample_mappings  # noqa: E402
from bench.questions import make_questions  # noqa: E402
from embeddings.model import DEFAULT_MODEL  # noqa: E402

RESULTS = ROOT / "bench" / "results"
REFERENCE_VENV = CACHE / "reference-venv"
REFERENCE_REQUIREMENTS = ROOT / "bench" / "reference.txt"
REFERENCES = ("sentence-transformers", "txtai", "langchain")

# The reference build of issue 4 indexed 1,521 Wikipedia paragraphs; this corpus has as many.
WIKI = CorpusSpec("wiki1521", "wiki", paragraphs=1521)
NEWS = {"1k": news_spec("news1k", 1_000), "20k": news_spec("news20k", 20_000),
        "100k": news_spec("news100k", 100_000, variants=5)}  # the 20k layouts, five name sets each


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run_json(command: list[str], label: str, timeout: int) -> dict:
    """Run a measuring process; the JSON of its last line, or {"error": ...} if it failed."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    for var in ("QA_THREADS", "QA_CACHE_DIR", "QA_ARTICLES", "QA_BACKEND", "QA_STORE"):
        env.pop(var, None)
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        log(f"  {label} timed out after {timeout} s")
        return {"error": f"timed out after {timeout} s"}
    if proc.returncode != 0:
        log(f"  {label} failed: {proc.stderr.strip().splitlines()[-1:]}")
        return {"error": proc.stderr[-1500:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child(mode: str, args: dict, timeout: int = 900) -> dict:
    """One measurement of ``bench/child.py`` in a fresh process."""
    args = {**args, "spawn": time.time()}
    return run_json([sys.executable, str(ROOT / "bench" / "child.py"), mode, json.dumps(args)], mode, timeout)


def cache_for(name: str, fresh: bool = False) -> str:
    """An engine cache folder; ``fresh`` empties it. Every folder shares one ONNX export
    (``<cache>/onnx`` links to ``bench/.cache/onnx-export``), so builds time the corpus, not the export."""
    folder = CACHE / "engine" / name
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "onnx").is_symlink():
        (CACHE / "onnx-export").mkdir(parents=True, exist_ok=True)
        (folder / "onnx").symlink_to(CACHE / "onnx-export", target_is_directory=True)
    return str(folder)


def store_spec(store: str, cache: str) -> str:
    """The engine's ``store`` setting for a bench store name: Milvus Lite keeps its file in the cache folder."""
    return store if store == "faiss" or ":" in store else f"{store}:{cache}/milvus.db"


def cold_runs(repeats: int, **args) -> dict:
    """Cached cold starts, each in a fresh process: the median of each figure."""
    runs = [child("cold", {**args, "threads": 1, "cached_only": True}) for _ in range(repeats)]
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    out = {k: statistics.median(r[k] for r in ok) for k in ok[0] if isinstance(ok[0][k], (int, float))}
    if "peak_rss_mib" in out:
        out["peak_rss_mib"] = max(r["peak_rss_mib"] for r in ok)  # memory targets bound the worst run
    return {**ok[0], **out, "runs": len(ok), "totals": [r["total_s"] for r in ok]}


def kept_build(name: str, build: dict, started: str) -> dict | None:
    """A build's figures: this run's if it built, else those saved when it last did (``bench/.cache``)."""
    saved = CACHE / f"build-{name}.json"
    if build.get("embedded") or build.get("reused") is False:
        saved.write_text(json.dumps({**build, "measured": started}))
    return json.loads(saved.read_text()) if saved.is_file() else None


def paragraphs_of(folder: Path) -> list[str]:
    """The body paragraphs of every article in a folder, as the reference pipelines get them."""
    from qa.articles import article_files, parse_article

    out = []
    for path in article_files(folder):
        article = parse_article(path.name, path.read_bytes())
        out += [article.text[a:b] for section in article.sections for a, b in section.paragraphs]
    return out


def reference_python() -> str | None:
    """The reference pipelines' venv, made once from ``bench/reference.txt``; None if it cannot be made."""
    python = REFERENCE_VENV / "bin" / "python"
    stamp = REFERENCE_VENV / ".installed"
    wanted = REFERENCE_REQUIREMENTS.read_text()
    if stamp.is_file() and stamp.read_text() == wanted:
        return str(python)
    log(f"making the reference pipelines' venv in {REFERENCE_VENV} (once, a few minutes)")
    lines = [x.strip() for x in wanted.splitlines() if x.strip() and not x.startswith("#")]
    torch = [x for x in lines if x.startswith("torch")]
    try:
        subprocess.run([sys.executable, "-m", "venv", str(REFERENCE_VENV)], check=True)
        for group in (torch, [x for x in lines if x not in torch]):
            subprocess.run([str(python), "-m", "pip", "install", "-q", *group], check=True, capture_output=True)
    except subprocess.CalledProcessError as exc:
        log(f"  could not make it ({exc}); the build is compared with the model's work in this venv only")
        return None
    stamp.write_text(wanted)
    return str(python)


# ---------------------------------------------------------------- steps


def step_default(results: dict, repeats: int) -> None:
    log("cold start on the default articles (seeds/): not cached, then cached (onnx, torch)")
    seeds = str(ROOT / "seeds")
    results["export"] = child("export", {})
    results["cold"] = {
        "seeds_not_cached": child("cold", {"articles": seeds, "cache": cache_for("seeds", fresh=True), "threads": 1}),
        "seeds_cached": cold_runs(repeats, articles=seeds, cache=cache_for("seeds")),
        "seeds_cached_torch": cold_runs(repeats, articles=seeds, cache=cache_for("seeds"), backend="torch"),
    }
    log("the served app's memory: 200 /ask questions, the largest allowed history, a refused 10 MB one")
    results["memory"] = child("memory", {"articles": seeds, "cache": cache_for("seeds")})


def step_build(results: dict, quick: bool) -> None:
    """The engine's build and the reference pipelines' on the same paragraphs, back to back in this run."""
    meta = ensure_corpus(WIKI)
    folder = WIKI.folder
    log(f"build: {meta['paragraphs']} paragraphs in {meta['files']} articles, engine then reference pipelines")
    engine = child("cold", {"articles": str(folder), "cache": cache_for(WIKI.name, fresh=True), "count_tokens": True})
    paragraphs = CACHE / "wiki1521-paragraphs.json"
    paragraphs.write_text(json.dumps(paragraphs_of(folder)))
    from embeddings.model import resolve_model

    model_dir = resolve_model(results["machine"]["model"])
    python = reference_python()
    references = []
    for name in REFERENCES[:1] if quick else REFERENCES:
        if python is None and name != "sentence-transformers":
            continue
        log(f"  reference pipeline: {name}")
        references.append(run_json([python or sys.executable, str(ROOT / "bench" / "reference.py"), name,
                                    str(paragraphs), model_dir], name, 1800))
    if not quick:  # again, so the references sit between two engine builds when the machine's load drifts
        log("  the engine's build again, then in fp32 (what the default gains by bf16 where it has it)")
        engine_after = child("cold", {"articles": str(folder), "cache": cache_for(WIKI.name, fresh=True)})
        engine_fp32 = child("cold", {"articles": str(folder), "cache": cache_for(WIKI.name, fresh=True),
                                     "precision": "fp32"})
    results["build"] = {"corpus": meta, "engine": engine, "references": references,
                        **({} if quick else {"engine_after": engine_after, "engine_fp32": engine_fp32})}


def step_wiki(results: dict, repeats: int, questions_n: int) -> None:
    folder = str(WIKI.folder)
    log("~1.5k passages: cached cold start, warm ask() with 1 and 2 threads")
    questions = make_questions(sample_mappings(WIKI, results["build"]["corpus"]), questions_n)
    common = {"articles": folder, "cache": cache_for(WIKI.name), "questions": questions, "cached_only": True}
    results["wiki"] = {"cold_cached": cold_runs(repeats, articles=folder, cache=cache_for(WIKI.name)),
                       "warm_1_thread": child("warm", {**common, "threads": 1, "rounds": 2}),
                       "warm_2_threads": child("warm", {**common, "threads": 2})}


def step_reembed(results: dict) -> None:
    """Nothing changed: nothing embedded; one article edited: only its passages embedded."""
    log("re-embedding check: unchanged corpus, then one article edited")
    ensure_corpus(NEWS["1k"])
    folder = CORPORA / "edit-check"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for path in sorted(NEWS["1k"].folder.glob("*.txt"))[:12]:
        shutil.copy(path, folder / path.name)
    cache = cache_for("edit-check", fresh=True)
    first = child("cold", {"articles": str(folder), "cache": cache})
    same = child("cold", {"articles": str(folder), "cache": cache, "threads": 1})
    target = sorted(folder.glob("*.txt"))[3]
    target.write_text(target.read_text() + "\nRubio later said the talks would resume in London.\n")
    edited = child("cold", {"articles": str(folder), "cache": cache})
    results["reembed"] = {"passages": first.get("passages"), "first_open_embedded": first.get("embedded"),
                          "unchanged_embedded": same.get("embedded"), "one_edited_embedded": edited.get("embedded")}


def step_scale(results: dict, sizes: list[str], stores: list[str], repeats: int, questions_n: int,
               rebuild: bool) -> None:
    """Per store: a real build at 1k (and 20k for FAISS), a 100k store from borrowed vectors; cold start and
    warm ask() on each."""
    rows = results.setdefault("scale", [])
    for store in stores:
        for size in sizes:
            if size == "20k" and store != "faiss":
                continue  # embedding 20k passages again buys nothing: 1k and 100k show how stores differ
            spec = NEWS[size]
            meta = ensure_corpus(spec)
            name = f"{spec.name}-{store.split(':')[0]}"
            row: dict = {"corpus": size, "store": store.split(":")[0], "meta": meta,
                         "vectors": "borrowed" if size == "100k" else "embedded"}
            if size == "100k":
                log(f"scale {size} ({store}): the store from the 20k corpus's vectors ({meta['files']} articles)")
                cache = cache_for(name, fresh=rebuild)
                built = child("borrow", {"articles": str(spec.folder), "cache": cache,
                                         "store": store_spec(store, cache), "base": str(NEWS["20k"].folder),
                                         "base_cache": cache_for(f"{NEWS['20k'].name}-faiss")}, timeout=7200)
            else:
                fresh = size == "1k" or rebuild
                cache = cache_for(name, fresh=fresh)
                log(f"scale {size} ({store}): {'build' if fresh else 'open (builds only if not cached)'} "
                    f"from {meta['files']} articles")
                built = child("cold", {"articles": str(spec.folder), "cache": cache,
                                       "store": store_spec(store, cache)}, timeout=7200)
            row["build"] = kept_build(name, built, results["started"]) if "error" not in built else built
            args = {"articles": str(spec.folder), "cache": cache, "store": store_spec(store, cache)}
            row["cold_cached"] = cold_runs(repeats, **args)
            log(f"scale {size} ({store}): warm ask()")
            questions = make_questions(sample_mappings(spec, meta), questions_n)
            row["warm"] = child("warm", {**args, "threads": 1, "questions": questions, "cached_only": True,
                                         "recall": size != "1k"}, timeout=3600)
            row["store_files"] = store_files(cache)
            rows.append(row)


def add_store_rows(stores: list[str], sizes: list[str], repeats: int, questions_n: int) -> None:
    """The scale rows of ``stores`` (``sizes`` of 1k and 100k), measured now, in place of theirs in the last results."""
    latest = RESULTS / "latest.json"
    results = json.loads(latest.read_text())
    added: dict = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    step_scale(added, sizes, stores, repeats, questions_n, rebuild=False)
    for row in added["scale"]:
        row["measured"] = added["started"]
    replaced = {(row["corpus"], row["store"]) for row in added["scale"]}
    results["scale"] = [r for r in results.get("scale") or [] if (r["corpus"], r["store"]) not in replaced] \
        + added["scale"]
    latest.write_text(json.dumps(results, indent=1))


def store_files(cache: str) -> dict[str, int]:
    """Bytes of each file of the stores in a cache folder (what the store keeps on disk)."""
    from embeddings.index import logical_name

    out: dict[str, int] = {}
    for path in Path(cache).rglob("*"):
        if path.is_file() and "onnx" not in path.parts and not path.name.startswith("."):
            name = logical_name(path.name)  # each write's own file name, as the store calls it
            out[name] = out.get(name, 0) + path.stat().st_size
    return out


def step_batch(results: dict) -> None:
    log("encode throughput by batch size and sorting")
    results["batch"] = child("batch", {"articles": str(WIKI.folder), "cache": cache_for(WIKI.name)})


def describe_machine() -> dict:
    from importlib import metadata

    import psutil

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")
    versions = {}
    for name in ("torch", "sentence-transformers", "transformers", "faiss-cpu", "bm25s", "numpy", "onnxruntime"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "os": platform.platform(), "python": platform.python_version(), "versions": versions,
            "model": DEFAULT_MODEL, "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def engine_facts() -> dict:
    """The engine's own settings that the report and the scale plan quote (read, never restated)."""
    from dataclasses import asdict

    from embeddings import index
    from qa import Settings

    settings = asdict(Settings())
    facts = {k: settings[k] for k in ("batch_size", "pack_tokens", "top_k", "candidates")}
    facts.update({k.lower(): getattr(index, k) for k in ("HNSW_ABOVE", "HNSW_M", "HNSW_EF_SEARCH") if hasattr(index, k)})
    return facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="no 20k/100k rows, one reference pipeline")
    parser.add_argument("--stores", default="faiss",
                        help="comma-separated stores for the scale rows: faiss, milvus (Milvus Lite in the cache)")
    parser.add_argument("--repeats", type=int, default=3, help="cold starts per cached case (median reported)")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--rebuild", action="store_true",
                        help="build the 20k and 100k stores again even if they are cached, and measure them")
    parser.add_argument("--report-only", action="store_true", help="measure nothing: render the last results")
    parser.add_argument("--add-stores", default="",
                        help="measure only the scale rows of these stores (e.g. milvus) and add them to the last "
                             "results; the table says when each added row was measured")
    parser.add_argument("--sizes", default="1k,100k", help="with --add-stores: which scale rows (1k, 100k)")
    parser.add_argument("--load", action="store_true",
                        help="only the load test (bench/load.py): 50 and 200 questions at once over a 20k-passage "
                             "archive, idle and while two heavy uploads index; results in bench/results/load.json")
    parser.add_argument("--overlay", action="store_true",
                        help="only the upload test (bench/overlay.py): five browsers each upload an article into a "
                             "100k-passage archive; seconds beyond embedding and memory per browser, in "
                             "bench/results/overlay.json")
    parser.add_argument("--memory", action="store_true",
                        help="only the memory test (bench/memory.py): the served app's memory after 200 and after "
                             "10,000 /ask calls and page sessions; results in bench/results/memory.json")
    opts = parser.parse_args(argv)
    for flag, script in ((opts.load, "load"), (opts.overlay, "overlay"), (opts.memory, "memory")):
        if flag:
            return subprocess.call([sys.executable, str(ROOT / "bench" / f"{script}.py"),
                                    "--out", str(ROOT / "bench" / "results" / f"{script}.json")])

    from bench.plan import plan_fields
    from bench.report import render

    if opts.add_stores:
        add_store_rows([s for s in opts.add_stores.split(",") if s and s != "faiss"],
                       [s for s in opts.sizes.split(",") if s in NEWS and s != "20k"], opts.repeats, opts.questions)
    elif not opts.report_only:
        started = time.time()
        results: dict = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "quick": opts.quick,
                         "machine": describe_machine(), "engine": engine_facts()}
        step_default(results, opts.repeats)
        step_build(results, opts.quick)
        step_wiki(results, opts.repeats, opts.questions)
        step_reembed(results)
        stores = ["faiss"] + [s for s in opts.stores.split(",") if s not in ("", "faiss")]  # 100k borrows from FAISS
        step_scale(results, ["1k"] if opts.quick else ["1k", "20k", "100k"], stores, opts.repeats, opts.questions,
                   opts.rebuild)
        step_batch(results)
        results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        results["duration_s"] = round(time.time() - started, 1)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "latest.json").write_text(json.dumps(results, indent=1))
    results = json.loads((RESULTS / "latest.json").read_text())
    for path, text in render(results, plan_fields(results)).items():
        (ROOT / path).write_text(text)
        log(f"wrote {path}")
    print((ROOT / "BENCHMARKS.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
