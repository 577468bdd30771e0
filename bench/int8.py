"""int8 against fp32, in one run: encode speed, retrieval overlap, and answers on the dev sets.

    .venv/bin/python bench/int8.py [--recipes int8-dynamic,int8-blockwise] [--json results.json]

For fp32 and each int8 recipe (``embeddings.quantise.RECIPES``, made once
from the engine's fp32 export into ``bench/.cache/int8``):

- encode speed on the public-dev paragraphs, 1 and 2 threads: every variant
  encodes the same chunks in turn, so the machine's load hits all alike; the
  speed-up is the median over chunks of fp32's time over the variant's
  (wall clock), and CPU seconds are reported beside it;
- the store built over the public-dev articles with that variant's vectors,
  and for every public-dev question the overlap of its top 5 passages with
  fp32's: dense (the store's nearest vectors) and as ``Engine.search``
  returns them (dense and lexical fused, then re-ranked by sentences);
- ``qa.evaluate`` on seed_dev, seed_phrasing and public-dev: accuracy, false
  refusals, and how many questions' verdict or answer text differs from fp32.

Queries use the same variant as the passages, as the engine does. Only the
engine's public names are used (``Embedder``, ``OnnxRunner``, ``quantise``,
``Engine``, ``evaluate``). Leaves out: torch, whose vectors ONNX Runtime's match (tests/test_model.py).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings import onnx
from embeddings.files import cache_lock
from embeddings.model import Embedder, load_embedder, traced_export
from embeddings.quantise import RECIPES, Recipe, quantise
from qa.articles import article_files, read_article
from qa.config import DEFAULT_MODEL, PROJECT_DIR, Settings
from qa.engine import Engine
from qa.evaluate import evaluate, read_items

EVAL = PROJECT_DIR.parent / "shared" / "eval"
PUBLIC_DEV = EVAL / "public-dev"
CACHE = Path(__file__).resolve().parent / ".cache" / "int8"
CHUNK = 48  # paragraphs a variant encodes before the next variant takes its turn


def variant_files(fp32: Embedder, recipes: list[Recipe]) -> dict[str, Path]:
    """fp32's export and each recipe's int8 model beside it (made once, verified like the export)."""
    files = {"fp32": fp32.runner.path}
    with cache_lock(fp32.runner.path.parent):  # as the engine holds it around exporting
        traced = traced_export(fp32.name, fp32.runner.model_dir, fp32.runner.path)  # recipes name its MatMuls
    for recipe in recipes:
        target = traced.with_name(recipe.file_name)
        try:
            onnx.verify_export(target)
        except onnx.ExportDamaged:
            try:
                quantise(traced, target, recipe)
            except RuntimeError as exc:  # blockwise without onnx-ir
                print(f"  skipped {recipe.name}: {exc}", file=sys.stderr)
                continue
        files[recipe.name] = target
    return files


def embedder(fp32: Embedder, name: str, path: Path, threads: int) -> Embedder:
    runner = onnx.OnnxRunner(path, fp32.runner.model_dir, threads)
    return Embedder(fp32.name, fp32.source, runner, fp32.dim, fp32.max_tokens, "onnx", name)


def paragraphs(folder: Path) -> list[str]:
    texts = []
    for path in article_files(folder):
        article = read_article(path, 10_000_000)
        texts += [article.text[a:b] for section in article.sections for a, b in section.paragraphs]
    return texts


def speed(fp32: Embedder, files: dict[str, Path], texts: list[str], threads: int) -> dict[str, dict]:
    """Passages a second per variant, chunk by chunk in turn; speed-up against fp32 as a median over chunks."""
    models = {name: embedder(fp32, name, path, threads) for name, path in files.items()}
    for model in models.values():
        model.encode(texts[:8])  # warm up
    wall = {n: [] for n in models}
    cpu = {n: 0.0 for n in models}
    chunks = [texts[i:i + CHUNK] for i in range(0, len(texts), CHUNK)]
    for turn, chunk in enumerate(chunks):
        names = list(models)
        names = names[turn % len(names):] + names[:turn % len(names)]  # no variant always goes first
        for name in names:
            t, c = time.perf_counter(), time.process_time()
            models[name].encode(chunk)
            wall[name].append(time.perf_counter() - t)
            cpu[name] += time.process_time() - c
    return {name: {
        "passages_per_s": round(len(texts) / sum(wall[name]), 1),
        "passages_per_cpu_s": round(len(texts) / cpu[name], 1),
        "speedup": round(statistics.median(f / v for f, v in zip(wall["fp32"], wall[name])), 2),
        "cpu_speedup": round(cpu["fp32"] / cpu[name], 2),
    } for name in models}


def overlap(a: list[list[int]], b: list[list[int]]) -> float:
    return round(float(np.mean([len(set(x) & set(y)) / max(len(x), 1) for x, y in zip(a, b)])), 4)


def quality(fp32: Embedder, files: dict[str, Path], threads: int) -> dict[str, dict]:
    """Per variant: its stores, top-5 overlap with fp32 on public-dev questions, and dev-set answers."""
    questions = [json.loads(line)["question"] for line in (PUBLIC_DEV / "questions.jsonl").open()]
    sets = {
        "seed_dev": (PROJECT_DIR / "seeds", read_items(EVAL / "seed_dev.jsonl")),
        "seed_phrasing": (PROJECT_DIR / "seeds", read_items(EVAL / "seed_phrasing.jsonl")),
        "public_dev": (PUBLIC_DEV / "articles", read_items(PUBLIC_DEV / "questions.jsonl")),
    }
    out: dict[str, dict] = {}
    reference: dict = {}
    for name, path in files.items():
        model = embedder(fp32, name, path, threads)
        engines = {}
        for folder in {folder for folder, _ in sets.values()}:
            settings = Settings.resolve(articles=folder, cache_dir=CACHE / "stores" / name, threads=threads)
            t = time.perf_counter()
            engines[folder] = Engine(settings, embedder=model)
            if engines[folder].corpus.embedded:
                print(f"  {name}: built {folder.name} ({engines[folder].corpus.embedded} passages, "
                      f"{time.perf_counter() - t:.0f} s)", file=sys.stderr)
        engine = engines[PUBLIC_DEV / "articles"]
        dense = [engine.corpus.store.search(model.encode_query(q), 5)[0].tolist() for q in questions]
        text = [p.text for p in engine.corpus.passages]
        searched = [[text.index(p.text) for p, _ in engine.search(q)] for q in questions]
        row: dict = {"precision": name}
        reports = {}
        for label, (folder, items) in sets.items():
            report = evaluate(engines[folder], items)
            reports[label] = {r["id"]: r for r in report["results"]}
            row[label] = {k: report[k] for k in ("answer_accuracy", "refusal_accuracy", "false_refusals")}
        if name == "fp32":
            reference = {"dense": dense, "searched": searched, "reports": reports}
        row["top5_overlap_dense"] = overlap(reference["dense"], dense)
        row["top5_overlap_search"] = overlap(reference["searched"], searched)
        for label, results in reports.items():
            base = reference["reports"][label]
            row[label]["verdicts_changed"] = sum(results[i]["correct"] != base[i]["correct"] for i in results)
            row[label]["answers_changed"] = sum(results[i]["answer"] != base[i]["answer"] for i in results)
        out[name] = row
        print(f"  {name}: overlap dense {row['top5_overlap_dense']}, search {row['top5_overlap_search']}",
              file=sys.stderr)
    return out


def table(results: dict) -> str:
    head = ["precision", "MiB", "speed-up 1t", "2t", "p/s 1t", "p/s 2t", "top-5 dense", "top-5 search",
            "seed_dev acc", "phrasing acc", "public-dev acc", "false refusals", "verdicts changed"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, q in results["quality"].items():
        s1, s2 = results["speed"]["1"][name], results["speed"]["2"][name]
        changed = sum(q[k]["verdicts_changed"] for k in ("seed_dev", "seed_phrasing", "public_dev"))
        cells = [name, results["mib"][name], s1["speedup"], s2["speedup"], s1["passages_per_s"], s2["passages_per_s"],
                 q["top5_overlap_dense"], q["top5_overlap_search"], q["seed_dev"]["answer_accuracy"],
                 q["seed_phrasing"]["answer_accuracy"], q["public_dev"]["answer_accuracy"],
                 q["public_dev"]["false_refusals"], changed]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipes", help="comma-separated recipe names (default: all of embeddings.quantise.RECIPES)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    known = {r.name: r for r in RECIPES}
    names = args.recipes.split(",") if args.recipes else list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"unknown recipe(s) {', '.join(unknown)}; known: {', '.join(known)}")
    fp32 = load_embedder(DEFAULT_MODEL, 1, backend="onnx", cache_dir=CACHE / "models", precision="fp32")
    files = variant_files(fp32, [known[n] for n in names])
    texts = paragraphs(PUBLIC_DEV / "articles")
    results = {"paragraphs": len(texts), "mib": {n: round(p.stat().st_size / 2**20) for n, p in files.items()},
               "speed": {}}
    for threads in (1, 2):
        print(f"encoding {len(texts)} paragraphs, {threads} thread(s)", file=sys.stderr)
        results["speed"][str(threads)] = speed(fp32, files, texts, threads)
    print("stores, overlap and answers", file=sys.stderr)
    results["quality"] = quality(fp32, files, 2)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
