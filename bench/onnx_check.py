"""ONNX Runtime (fp32 and dynamic int8) against the engine's torch model: speed and quality.

sentence-transformers' own ONNX backend needs ``optimum``, whose current
release pins transformers 4.x while this project runs transformers 5, so it is
not installed. This check exports the same model with ``torch.onnx`` and runs
it with plain ``onnxruntime`` (mean pooling and normalising as the
sentence-transformers model does), quantized with
``onnxruntime.quantization.quantize_dynamic``. onnxruntime is looked for in
the venv, then in ``bench/.cache/onnxlib`` (``pip install --target
bench/.cache/onnxlib --no-deps onnxruntime onnx flatbuffers ml_dtypes
protobuf``); the engine does not depend on it. Reported: texts per second on
the build's mix of passages and sentences, query latency, cosine agreement
with torch, and dense top-5 agreement on the 1,521-paragraph corpus. Builds
and answer quality per backend: ``bench/whatif.py``.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from bench.whatif import ONNXLIB, import_onnxruntime


def run(args: dict) -> dict:
    onnxruntime = import_onnxruntime()
    if onnxruntime is None:
        return {"skipped": f"onnxruntime not installed (venv or {ONNXLIB})"}

    from bench.child import _sample_texts
    from bench.questions import labelled_questions, make_questions
    from bench.whatif import export
    from embeddings.model import Embedder, load_embedder, resolve_model, set_threads

    from embeddings.onnx import OnnxRunner

    torch_embedder = load_embedder("all-MiniLM-L6-v2", 2, backend="torch")
    t = time.perf_counter()
    paths = export(Path(args["cache"]))
    model_dir = Path(resolve_model("all-MiniLM-L6-v2"))
    out: dict = {"onnxruntime": onnxruntime.__version__, "export_s": round(time.perf_counter() - t, 1),
                 "model_mib": {k: round(p.stat().st_size / 2**20, 1) for k, p in paths.items()}}
    # Throughput on passages (what a build embeds), best of two rounds; torch first, before any
    # ONNX Runtime session exists, so their thread pools cannot slow it.
    P, S = _sample_texts(args["articles"], 256, 0)
    set_threads(2)  # _sample_texts loaded the model with 1 thread, process-wide
    texts = P
    speed: dict[str, list[float]] = {"torch": []}
    vectors = {}
    torch_embedder.encode(texts[:32], 32)
    for _ in range(2):
        t = time.perf_counter()
        vectors["torch"] = torch_embedder.encode(texts, 32)
        speed["torch"].append(len(texts) / (time.perf_counter() - t))
    backends = {"torch": torch_embedder}
    for name, path in paths.items():
        backends[name] = Embedder("all-MiniLM-L6-v2", str(path), OnnxRunner(path, model_dir, 2),
                                  torch_embedder.dim, torch_embedder.max_tokens, "onnx")
        backends[name].encode(texts[:32], 32)
        speed[name] = []
        for _ in range(2):
            t = time.perf_counter()
            vectors[name] = backends[name].encode(texts, 32)
            speed[name].append(len(texts) / (time.perf_counter() - t))
    out["texts"] = {"passages": len(P), "sentences": len(S)}
    out["texts_per_s"] = {k: round(max(v), 1) for k, v in speed.items()}
    out["speedup_vs_torch"] = {k: round(max(v) / max(speed["torch"]), 2) for k, v in speed.items()}
    out["cosine_to_torch"] = {
        k: {"mean": round(float((v * vectors["torch"]).sum(1).mean()), 4),
            "min": round(float((v * vectors["torch"]).sum(1).min()), 4)}
        for k, v in vectors.items() if k != "torch"}

    # Query latency, one thread, as ask() runs.
    set_threads(1)
    for name, e in backends.items():
        if name != "torch":
            e.runner = OnnxRunner(paths[name], model_dir, 1)
    questions = labelled_questions()
    lat = {}
    for name, e in backends.items():
        for q in questions[:3]:
            e.encode_query(q)
        took = []
        for q in questions:
            t = time.perf_counter()
            e.encode_query(q)
            took.append(time.perf_counter() - t)
        lat[name] = round(statistics.median(took) * 1000, 2)
    out["query_ms_median_1_thread"] = lat
    ref = np.stack([torch_embedder.encode_query(q) for q in questions])
    out["query_cosine_to_torch_min"] = {
        name: round(float((np.stack([e.encode_query(q) for q in questions]) * ref).sum(1).min()), 4)
        for name, e in backends.items() if name != "torch"}

    # Dense retrieval agreement on the 1,521-paragraph corpus: top-5 passages per question.
    from qa import load

    engine = load(args["articles"], cache_dir=args["store_cache"], threads=2)  # built by the wiki step
    texts_all = [p.embed_text for p in engine.corpus.passages]
    store = engine.corpus.store
    base = store.all_vectors()
    qs = make_questions([], 100)
    q_torch = np.stack([torch_embedder.encode_query(q) for q in qs])
    agree = {}
    set_threads(2)
    for name in ("int8", "fp32"):
        e = backends[name]
        e.runner = OnnxRunner(paths[name], model_dir, 2)
        t = time.perf_counter()
        mine = e.encode(texts_all, 32)
        took = time.perf_counter() - t
        q_mine = np.stack([e.encode_query(q) for q in qs])
        top_ref = np.argsort(-(q_torch @ base.T), axis=1)[:, :5]
        top_mine = np.argsort(-(q_mine @ mine.T), axis=1)[:, :5]
        overlap = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(top_ref, top_mine)])
        agree[name] = {"top5_overlap": round(float(overlap), 3),
                       "top1_same": round(float(np.mean(top_ref[:, 0] == top_mine[:, 0])), 3),
                       "passages_per_s": round(len(texts_all) / took, 1)}
        if name == "int8":
            break  # fp32 is the same model to 1e-6; one is enough
    out["dense_agreement_wiki1521"] = agree
    return out
