"""Benchmark: cold start, warm ask() latency by stage, index build, scale to 100k passages.

    python bench/run.py            # full run: ~7 minutes on 2 cores once the 10k/100k stores are cached,
                                   # ~10 minutes the first time (or with --rebuild-10k)
    python bench/run.py --quick    # ~2 minutes: skips 10k, 100k, the backend comparison and what-if builds
    make bench ARGS=--quick

Prints a table, writes ``bench/results/latest.json`` and regenerates
``BENCHMARKS.md``. Every figure is measured in a child process of its own
(``bench/child.py``) so timings and peak memory are not shared between them;
corpora are generated from real article text (``bench/corpus.py``) and cached
under ``bench/.cache/``, as are the engine indexes the runs build.
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

ENGINE_CACHE = CACHE / "engine"
RESULTS = ROOT / "bench" / "results"
CHILD = ROOT / "bench" / "child.py"
REFERENCE_BUILD_S = 50.0  # LangChain splitter + FAISS, and txtai: 1,521 Wikipedia paragraphs, same model
REFERENCE_PARAGRAPHS = 1521

WIKI = CorpusSpec("wiki1521", "wiki", paragraphs=REFERENCE_PARAGRAPHS)
NEWS = {"1k": news_spec("news1k", 1_000), "10k": news_spec("news10k", 10_000),
        "100k": news_spec("news100k", 100_000, variants=10)}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def child(mode: str, args: dict, timeout: int = 900) -> dict:
    """Run one measurement in a fresh process; its JSON result."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("QA_THREADS", None)
    env.pop("QA_CACHE_DIR", None)
    args = {**args, "spawn": time.time()}
    proc = subprocess.run([sys.executable, str(CHILD), mode, json.dumps(args)], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"bench child {mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cache_for(name: str, fresh: bool = False) -> str:
    """An engine cache folder; ``fresh`` empties it of stores. Every folder shares one ONNX export
    (``<cache>/onnx`` links to ``bench/.cache/onnx-export``), so builds time the corpus, not the export."""
    folder = ENGINE_CACHE / name
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "onnx"
    if not link.is_symlink():
        if link.exists():
            shutil.rmtree(link)
        (CACHE / "onnx-export").mkdir(parents=True, exist_ok=True)
        link.symlink_to(CACHE / "onnx-export", target_is_directory=True)
    if fresh:
        for child_path in folder.iterdir():
            if child_path.name != "onnx":
                shutil.rmtree(child_path) if child_path.is_dir() else child_path.unlink()
    return str(folder)


def median_of(runs: list[dict], key: str):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def cold_runs(articles: str, cache: str, repeats: int, question: str, backend: str | None = None) -> dict:
    runs = [child("cold", {"articles": articles, "cache": cache, "threads": 1, "question": question,
                           "backend": backend}) for _ in range(repeats)]
    keys = ("total_s", "interpreter_s", "import_s", "model_s", "open_s", "first_ask_s", "peak_rss_mib")
    out = {k: round(median_of(runs, k), 3) for k in keys}
    out.update({"runs": len(runs), "totals": [round(r["total_s"], 2) for r in runs],
                "embedded": max(r["embedded"] for r in runs), "passages": runs[0]["passages"],
                "index": runs[0]["index"], "backend": runs[0].get("backend"),
                "torch_imported": runs[0].get("torch_imported")})
    return out


def describe_machine() -> dict:
    import psutil

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in ("torch", "sentence_transformers", "transformers", "faiss", "bm25s", "numpy"):
        try:
            module = __import__(name)
            versions[name] = getattr(module, "__version__", "?")
        except Exception:
            versions[name] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        **versions,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# ---------------------------------------------------------------- steps


def step_default(results: dict, repeats: int) -> None:
    log("cold start on the default articles (seeds/): not cached, then cached")
    seeds = str(ROOT / "seeds")
    try:
        results["onnx_export"] = child("export", {})
    except RuntimeError as exc:
        results["onnx_export"] = {"error": str(exc)[-800:]}
    uncached = child("cold", {"articles": seeds, "cache": cache_for("seeds", fresh=True), "threads": 1})
    cached = cold_runs(seeds, cache_for("seeds"), repeats, "Who attended the talks?")
    log("cold start on the default articles with the torch backend (QA_BACKEND=torch), cached")
    torch_cached = cold_runs(seeds, cache_for("seeds"), repeats, "Who attended the talks?", backend="torch")
    results["cold_default"] = {"not_cached": uncached, "cached": cached, "cached_torch": torch_cached}


def step_memory(results: dict) -> None:
    log("the served app's memory: 200 /ask questions, the largest allowed history, a refused 10 MB one")
    try:
        results["app_memory"] = child("memory", {"articles": str(ROOT / "seeds"), "cache": cache_for("seeds")})
    except RuntimeError as exc:
        results["app_memory"] = {"error": str(exc)[-1500:]}


def step_wiki(results: dict, repeats: int, questions_n: int) -> None:
    meta = ensure_corpus(WIKI)
    folder = str(WIKI.folder)
    log(f"build: {meta['paragraphs']} paragraphs in {meta['files']} articles (vs reference {REFERENCE_BUILD_S:.0f} s)")
    build = child("cold", {"articles": folder, "cache": cache_for(WIKI.name, fresh=True), "count_tokens": True})
    log(f"  built in {build['build_s']:.1f} s; reference pipeline's work on the same paragraphs")
    naive = child("naive", {"articles": folder, "threads": 2})
    log("cold start, cached")
    cached = cold_runs(folder, cache_for(WIKI.name), repeats, "Who attended the talks?")
    questions = make_questions(sample_mappings(WIKI, meta), questions_n)
    log("warm ask(), 1 thread")
    warm1 = child("warm", {"articles": folder, "cache": cache_for(WIKI.name), "threads": 1, "questions": questions,
                           "rounds": 2})
    log("warm ask(), 2 threads")
    warm2 = child("warm", {"articles": folder, "cache": cache_for(WIKI.name), "threads": 2, "questions": questions,
                           "rounds": 1})
    results["wiki"] = {"meta": meta, "build": build, "naive": naive, "cold_cached": cached,
                       "warm_1_thread": warm1, "warm_2_threads": warm2}


def step_reembed(results: dict) -> None:
    """Nothing changed: nothing embedded; one article edited: only its passages embedded."""
    log("re-embedding check: unchanged corpus, then one article edited")
    src = NEWS["1k"].folder
    folder = CORPORA / "edit-check"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for path in sorted(src.glob("*.txt"))[:12]:
        shutil.copy(path, folder / path.name)
    cache = cache_for("edit-check", fresh=True)
    first = child("cold", {"articles": str(folder), "cache": cache, "threads": 2})
    same = child("cold", {"articles": str(folder), "cache": cache, "threads": 1})
    target = sorted(folder.glob("*.txt"))[3]
    target.write_text(target.read_text() + "\nRubio later said the talks would resume in London.\n")
    edited = child("cold", {"articles": str(folder), "cache": cache, "threads": 2})
    results["reembed"] = {
        "articles": first["articles"], "passages": first["passages"], "first_open_embedded": first["embedded"],
        "unchanged_embedded": same["embedded"], "one_edited_embedded": edited["embedded"],
        "unchanged_open_s": round(same["open_s"], 3),
    }


def step_scale(results: dict, sizes: list[str], repeats: int, questions_n: int, rebuild_10k: bool) -> None:
    scale = results.setdefault("scale", {})
    for size in sizes:
        try:
            scale[size] = _scale_one(results, size, repeats, questions_n, rebuild_10k)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            log(f"scale {size} failed: {str(exc)[-500:]}")
            scale[size] = {"error": str(exc)[-1500:]}


def _scale_one(results: dict, size: str, repeats: int, questions_n: int, rebuild_10k: bool) -> dict:
    if True:
        spec = NEWS[size]
        meta = ensure_corpus(spec)
        folder = str(spec.folder)
        entry: dict = {"meta": meta}
        if size == "100k":
            log(f"scale {size}: writing the store from the 10k corpus's vectors ({meta['files']} articles)")
            entry["synth"] = child("synth100k", {"articles": folder, "base": str(NEWS["10k"].folder),
                                                 "base_cache": cache_for("news10k"), "cache": cache_for("news100k")},
                                 timeout=1800)
            cache = cache_for("news100k")  # kept between runs: rewritten only when the corpus changes
        elif size == "10k" and not rebuild_10k:
            # Embedding 10k passages and their 33k sentences takes ~5 minutes on 2 cores: it is
            # measured when the store is missing or stale (or with --rebuild-10k) and kept.
            cache = cache_for(spec.name)
            log(f"scale {size}: open (builds only if not cached) from {meta['files']} articles")
            opened = child("cold", {"articles": folder, "cache": cache}, timeout=3600)
            saved = CACHE / "build-news10k.json"
            if opened["embedded"]:
                opened["measured"] = results["started"]
                saved.write_text(json.dumps(opened))
            entry["build"] = json.loads(saved.read_text()) if saved.is_file() else None
            entry["build_reused"] = not opened["embedded"]
        else:
            log(f"scale {size}: build from {meta['files']} articles")
            cache = cache_for(spec.name, fresh=True)
            entry["build"] = child("cold", {"articles": folder, "cache": cache, "count_tokens": size == "1k"},
                                   timeout=3600)
            if size == "10k":
                entry["build"]["measured"] = results["started"]
                (CACHE / "build-news10k.json").write_text(json.dumps(entry["build"]))
            log(f"  built {entry['build']['passages']} passages in {entry['build']['build_s']:.1f} s")
        n_cold = 1 if size == "100k" else repeats
        entry["cold_cached"] = cold_runs(folder, cache, n_cold, "Who attended the talks?")
        log(f"scale {size}: warm ask()")
        questions = make_questions(sample_mappings(spec, meta), questions_n)
        entry["warm"] = child("warm", {"articles": folder, "cache": cache, "threads": 1, "questions": questions,
                                       "rounds": 1, "recall": True, "no_embed": size == "100k"}, timeout=1800)
        return entry


def step_batch(results: dict) -> None:
    log("encode throughput by batch size, threads and sorting")
    try:
        results["batch"] = child("batch", {"articles": str(WIKI.folder), "passages": 256,
                                           "cache": cache_for(WIKI.name)})
    except RuntimeError as exc:
        results["batch"] = {"error": str(exc)[-1500:]}


def step_whatif(results: dict) -> None:
    """Builds by backend and batch size (engine settings), and int8 as a what-if: time and answer quality."""
    out = []
    # The default (onnx, batch 8) is the wiki step's build; these are the alternatives.
    for backend, batch in (("torch", 32), ("torch", 8), ("onnx", 32), ("int8", 8)):
        log(f"what-if build: {backend}, batch {batch}")
        try:
            out.append(child("whatif", {"backend": backend, "batch_size": batch, "articles": str(WIKI.folder),
                                        "onnx_dir": str(CACHE / "onnx"), "cache": str(CACHE / "whatif"),
                                        "onnx_export": str(CACHE / "onnx-export")}))
        except RuntimeError as exc:
            out.append({"backend": backend, "batch_size": batch, "error": str(exc)[-800:]})
    results["whatif"] = out


def step_onnx(results: dict) -> None:
    log("ONNX Runtime fp32 / int8 against torch")
    try:
        results["onnx"] = child("onnx", {"articles": str(WIKI.folder), "cache": str(CACHE / "onnx"),
                                         "store_cache": cache_for(WIKI.name)}, timeout=1200)
    except RuntimeError as exc:
        results["onnx"] = {"error": str(exc)[-1500:]}


# ---------------------------------------------------------------- report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the 10k and 100k corpora, the backend comparison and what-if builds")
    parser.add_argument("--no-onnx", action="store_true", help="skip the torch/ONNX/int8 comparison and what-if builds")
    parser.add_argument("--repeats", type=int, default=3, help="cold starts per case (median reported)")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--rebuild-10k", action="store_true", help="embed the 10k corpus even if it is cached")
    parser.add_argument("--report-only", action="store_true",
                        help="measure nothing: print and rewrite BENCHMARKS.md from bench/results/latest.json")
    parser.add_argument("--no-markdown", action="store_true", help="do not rewrite BENCHMARKS.md")
    opts = parser.parse_args(argv)

    from bench.report import format_table, markdown, targets

    if opts.report_only:
        results = json.loads((RESULTS / "latest.json").read_text())
        results["targets"] = targets(results)
        print(format_table(results))
        if not opts.no_markdown:
            (ROOT / "BENCHMARKS.md").write_text(markdown(results))
        return 0
    started = time.time()
    results: dict = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "quick": opts.quick,
                     "machine": describe_machine()}
    results["machine"]["model"] = "all-MiniLM-L6-v2"
    step_default(results, opts.repeats)
    step_memory(results)
    step_wiki(results, opts.repeats, opts.questions)
    ensure_corpus(NEWS["1k"])
    step_reembed(results)
    step_scale(results, ["1k"] if opts.quick else ["1k", "10k", "100k"], opts.repeats, opts.questions,
               opts.rebuild_10k)
    step_batch(results)
    if not (opts.quick or opts.no_onnx):
        step_onnx(results)
        if not (results.get("onnx") or {}).get("skipped"):
            step_whatif(results)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["duration_s"] = round(time.time() - started, 1)
    results["targets"] = targets(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=1))
    print(format_table(results))
    if not opts.no_markdown:
        (ROOT / "BENCHMARKS.md").write_text(markdown(results))
        log("wrote BENCHMARKS.md and bench/results/latest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
