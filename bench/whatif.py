"""Index builds by backend and batch size, and the int8 model as an opt-in what-if (report only).

The engine's own settings choose torch or ONNX Runtime and the batch size
(``Settings.backend``, ``Settings.batch_size``), so those rows run the real
engine. int8 (dynamic quantization of the fp32 export) is not an engine option:
its row swaps the engine's runner for one on the int8 file, to show what it
would buy and what it costs in quality.

``python bench/child.py whatif '{"backend": "onnx", "batch_size": 8, ...}'``
builds the ~1.5k corpus with a fresh cache and answers the labelled seed
questions with the same configuration, so speed and quality come together.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np  # noqa: F401

ONNXLIB = Path(__file__).resolve().parent / ".cache" / "onnxlib"


def import_onnxruntime():
    """onnxruntime from the venv, else from bench/.cache/onnxlib; None if neither has it."""
    try:
        import onnxruntime
    except ImportError:
        sys.path.insert(0, str(ONNXLIB))
        try:
            import onnxruntime
        except ImportError:
            return None
    return onnxruntime


def export(folder: Path) -> dict[str, Path]:
    """fp32 ONNX export of the default model's transformer and its int8 quantizations (cached)."""
    paths = {"fp32": folder / "model.onnx", "int8": folder / "model-int8-per-channel.onnx",
             "int8_per_tensor": folder / "model-int8-per-tensor.onnx"}
    if all(p.is_file() for p in paths.values()):
        return paths
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from embeddings.model import load_embedder

    folder.mkdir(parents=True, exist_ok=True)
    model = load_embedder("all-MiniLM-L6-v2", 2, backend="torch").runner.model
    if not paths["fp32"].is_file():
        class Wrapper(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state

        x = model.tokenizer(["an example", "a second, longer example"], padding=True, return_tensors="pt")
        axes = {0: "batch", 1: "tokens"}
        tmp = paths["fp32"].with_suffix(".tmp")
        torch.onnx.export(Wrapper(model[0].auto_model).eval(), (x["input_ids"], x["attention_mask"], x["token_type_ids"]),
                          str(tmp), input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["hidden"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "hidden": axes})
        tmp.replace(paths["fp32"])
    if not paths["int8"].is_file():
        quantize_dynamic(str(paths["fp32"]), str(paths["int8"]), weight_type=QuantType.QInt8, per_channel=True)
    if not paths["int8_per_tensor"].is_file():
        quantize_dynamic(str(paths["fp32"]), str(paths["int8_per_tensor"]), weight_type=QuantType.QInt8)
    return paths


def int8_embedder(threads: int, onnx_dir: Path):
    """The engine's Embedder on the int8 export (a cache of its own: its vectors differ)."""
    from embeddings.model import Embedder, resolve_model
    from embeddings.onnx import OnnxRunner

    model_dir = Path(resolve_model("all-MiniLM-L6-v2"))
    runner = OnnxRunner(export(onnx_dir)["int8"], model_dir, threads)
    return Embedder("all-MiniLM-L6-v2", str(model_dir), runner, 384, runner.max_tokens, "onnx-int8")


def run(args: dict) -> dict:
    """Build the given corpus and answer the labelled seed questions with one configuration."""
    import shutil

    import qa.engine as qe
    from qa import load
    from qa.config import PROJECT_DIR
    from qa.evaluate import evaluate, read_items

    backend = args["backend"]
    if backend != "torch" and import_onnxruntime() is None:
        return {"skipped": f"onnxruntime not installed (venv or {ONNXLIB})"}
    cache = Path(args["cache"])
    if cache.exists():
        shutil.rmtree(cache)
    if args.get("onnx_export"):  # share the engine's one-time ONNX export between runs
        for sub in ("corpus", "seeds"):
            (cache / sub).mkdir(parents=True)
            (cache / sub / "onnx").symlink_to(args["onnx_export"], target_is_directory=True)
    t0 = time.perf_counter()
    if backend == "int8":
        embedder = int8_embedder(2, Path(args["onnx_dir"]))
        qe.load_model = lambda settings: embedder
        engine_backend = "onnx"
    else:
        engine_backend = backend
        from qa.config import Settings

        # Load (and for ONNX export) the model before the clock starts: the build is the corpus's.
        qe.load_model(Settings.resolve(cache_dir=str(cache / "corpus"), threads=2, backend=backend))
    model_s = time.perf_counter() - t0
    phases: dict[str, float] = {}

    def progress(stage, done, total):
        phases.setdefault(f"{stage}_first", time.perf_counter())
        phases[f"{stage}_last"] = time.perf_counter()

    t = time.perf_counter()
    batch = args.get("batch_size")
    engine = load(args["articles"], progress=progress, cache_dir=str(cache / "corpus"), threads=2, batch_size=batch,
                  backend=engine_backend)
    build_s = time.perf_counter() - t
    items = []
    for name in ("seed_dev.jsonl", "seed_calibration.jsonl"):
        items += read_items(PROJECT_DIR / "tests" / "data" / name)
    seeds = load(PROJECT_DIR / "seeds", cache_dir=str(cache / "seeds"), threads=1, backend=engine_backend)
    report = evaluate(seeds, items)
    return {
        "backend": backend, "batch_size": engine.settings.batch_size, "model_load_s": round(model_s, 2),
        "build_s": round(build_s, 2), "passages": engine.corpus.embedded,
        "sentences": int(len(engine.corpus.store.sentence_vectors)),
        "passages_per_s": round(engine.corpus.embedded / build_s, 1),
        **{k: report[k] for k in ("questions", "answer_accuracy", "refusal_accuracy", "recall@1", "recall@5",
                                  "citation_validity", "latency_ms_median")},
        "results": {r["id"]: r["correct"] for r in report["results"]},
    }


def time_export(args: dict) -> dict:
    """The engine's one-time ONNX export of the default model, timed into a scratch folder."""
    import tempfile

    from embeddings import onnx
    from embeddings.model import resolve_model

    if not onnx.available():
        return {"skipped": "onnxruntime not installed"}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        onnx.export(Path(resolve_model("all-MiniLM-L6-v2")), Path(tmp) / "model.onnx")
        took = time.perf_counter() - t
        size = (Path(tmp) / "model.onnx").stat().st_size
    return {"export_s": round(took, 2), "mib": round(size / 2**20, 1)}
