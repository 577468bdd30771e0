"""Engine changes tried by monkeypatching, to measure what they would buy (report only).

- ``OrtModel``: the default model run by ONNX Runtime (fp32 export, or int8
  dynamic quantization) with the ``tokenizers`` library, instead of torch +
  sentence-transformers; mean pooling and normalising as the
  sentence-transformers model does. Neither torch nor sentence-transformers
  is imported on this path.
- ``pooled_embed_new``: a replacement for ``qa.corpus._embed_new`` that runs
  the model once per passage and takes each sentence's vector as the mean of
  the passage's token states over that sentence's characters, instead of
  embedding every sentence again (which doubles the tokens a build embeds).

``python bench/child.py whatif '{"backend": "int8", "batch_size": 8, ...}'``
builds the ~1.5k corpus with a fresh cache and answers the labelled seed
questions with the same configuration, so speed and quality come together.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

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


class _CountingTokenizer:
    """What ``Embedder.count_tokens`` calls: ``tok(text, add_special_tokens=True, truncation=False)``."""

    def __init__(self, tokenizer):
        self._tok = tokenizer

    def __call__(self, text, add_special_tokens=True, truncation=False, **_):
        return {"input_ids": self._tok.encode(text, add_special_tokens=add_special_tokens).ids}


class OrtModel:
    """The part of SentenceTransformer's interface the engine's Embedder uses, on ONNX Runtime."""

    def __init__(self, path: Path, model_dir: Path, threads: int, max_tokens: int = 256):
        ort = import_onnxruntime()
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no spinning against torch
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        counting = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        counting.no_truncation()
        counting.no_padding()
        self.tokenizer = _CountingTokenizer(counting)
        self._tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self._tok.enable_truncation(max_tokens)
        self._tok.enable_padding(pad_id=0, pad_token="[PAD]")
        self.dim = 384

    def hidden(self, texts: list[str]):
        """Token states, attention mask and character offsets of one batch."""
        encodings = self._tok.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        offsets = np.array([e.offsets for e in encodings], dtype=np.int64)
        states = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        return states, mask, offsets

    def encode(self, texts, batch_size=32, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False):
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dim), np.float32)
        for b in range(0, len(texts), batch_size):
            idx = order[b:b + batch_size]
            states, mask, _ = self.hidden([texts[i] for i in idx])
            m = mask[..., None].astype(np.float32)
            vectors = (states * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
            if normalize_embeddings:
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            out[idx] = vectors
        return out


class TorchHidden:
    """``hidden()`` for the engine's torch model, so pooling can be tried without ONNX."""

    def __init__(self, st_model):
        self.st = st_model

    def hidden(self, texts):
        import torch

        x = self.st.tokenizer(texts, padding=True, truncation=True, max_length=self.st.max_seq_length,
                              return_tensors="pt", return_offsets_mapping=True)
        offsets = x.pop("offset_mapping").numpy()
        with torch.inference_mode():
            states = self.st[0].auto_model(**x).last_hidden_state.numpy()
        return states, x["attention_mask"].numpy(), offsets


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
    model = load_embedder("all-MiniLM-L6-v2", 2).model
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


def ort_embedder(kind: str, threads: int, onnx_dir: Path):
    """An engine Embedder on ONNX Runtime; its manifest identity equals the torch model's."""
    from embeddings.model import Embedder, resolve_model

    model_dir = Path(resolve_model("all-MiniLM-L6-v2"))
    path = export(onnx_dir)[kind]
    # source = the torch model's folder: fp32 vectors equal torch's to 1e-6, so a cached
    # store is valid for both (int8 runs use a cache of their own).
    return Embedder(name="all-MiniLM-L6-v2", source=str(model_dir), model=OrtModel(path, model_dir, threads),
                    dim=384, max_tokens=256)


def pooled_embed_new(to_embed, vector_parts, sentence_parts, embedder, settings, progress) -> int:
    """``qa.corpus._embed_new`` with one forward pass per passage; sentence vectors pooled from it."""
    model = embedder.model
    hidden = model.hidden if hasattr(model, "hidden") else TorchHidden(model).hidden
    passages = [p for _, group in to_embed for p in group]
    if not passages:
        return 0
    texts = [p.embed_text for p in passages]
    order = np.argsort([-len(t) for t in texts], kind="stable")
    pv = np.zeros((len(texts), embedder.dim), np.float32)
    sv: dict[int, np.ndarray] = {}
    for b in range(0, len(order), settings.batch_size):
        idx = order[b:b + settings.batch_size]
        states, mask, offsets = hidden([texts[i] for i in idx])
        for j, i in enumerate(idx):
            p = passages[i]
            live = mask[j].astype(bool)
            v = states[j][live].mean(0)
            pv[i] = v / np.linalg.norm(v)
            shift = len(texts[i]) - len(p.text)  # the header line before the passage text
            real = live & (offsets[j][:, 1] > offsets[j][:, 0])
            rows = []
            for a, c in p.sentences:
                sel = real & (offsets[j][:, 0] >= a + shift) & (offsets[j][:, 1] <= c + shift)
                u = states[j][sel].mean(0) if sel.any() else v
                rows.append(u / np.linalg.norm(u))
            sv[i] = np.array(rows, np.float32).reshape(-1, embedder.dim)
        progress("embedding", min(b + settings.batch_size, len(order)), len(order))
    k = 0
    for slot, group in to_embed:
        n = len(group)
        vector_parts[slot] = pv[k:k + n]
        sentence_parts[slot] = (np.concatenate([sv[k + q] for q in range(n)]) if n
                                else np.zeros((0, embedder.dim), np.float32))
        k += n
    return len(passages)


def run(args: dict) -> dict:
    """Build the given corpus and answer the labelled seed questions with one configuration."""
    import shutil

    import qa.corpus as qc
    import qa.engine as qe
    from qa import load
    from qa.config import PROJECT_DIR
    from qa.evaluate import evaluate, read_items

    backend = args["backend"]
    if backend != "torch" and import_onnxruntime() is None:
        return {"skipped": f"onnxruntime not installed (venv or {ONNXLIB})"}
    t0 = time.perf_counter()
    if backend == "torch":
        from embeddings.model import load_embedder

        embedder = load_embedder("all-MiniLM-L6-v2", 2)
    else:
        embedder = ort_embedder(backend, 2, Path(args["onnx_dir"]))
    model_s = time.perf_counter() - t0
    qe.load_model = lambda settings: embedder
    if backend != "torch":  # the engine's own pooling (encode_with_parts) runs the torch model
        qc._embed_new = pooled_embed_new
    cache = Path(args["cache"])
    if cache.exists():
        shutil.rmtree(cache)
    phases: dict[str, float] = {}

    def progress(stage, done, total):
        phases.setdefault(f"{stage}_first", time.perf_counter())
        phases[f"{stage}_last"] = time.perf_counter()

    t = time.perf_counter()
    batch = args.get("batch_size")
    engine = load(args["articles"], progress=progress, cache_dir=str(cache / "corpus"), threads=2, batch_size=batch)
    build_s = time.perf_counter() - t
    items = []
    for name in ("seed_dev.jsonl", "seed_calibration.jsonl"):
        items += read_items(PROJECT_DIR / "tests" / "data" / name)
    seeds = load(PROJECT_DIR / "seeds", cache_dir=str(cache / "seeds"), threads=1)
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


def cold(args: dict) -> dict:
    """Process start to first answer with the ONNX fp32 model and a cached index: no torch import."""
    import qa.engine as qe

    marks = {"spawn": args["spawn"]}
    from qa import load

    marks["imported"] = time.time()
    embedder = ort_embedder("fp32", 1, Path(args["onnx_dir"]))
    marks["model"] = time.time()
    qe.load_model = lambda settings: embedder
    engine = load(args["articles"], cache_dir=args["cache"], threads=1)
    marks["opened"] = time.time()
    answer = engine.ask("Who attended the talks?")
    marks["answered"] = time.time()
    return {"total_s": marks["answered"] - marks["spawn"], "import_s": marks["imported"] - marks["spawn"],
            "model_s": marks["model"] - marks["imported"], "open_s": marks["opened"] - marks["model"],
            "first_ask_s": marks["answered"] - marks["opened"], "embedded": engine.corpus.embedded,
            "answered": answer.answered, "torch_imported": "torch" in sys.modules,
            "sentence_transformers_imported": "sentence_transformers" in sys.modules}
