"""ONNX Runtime for mean-pooling sentence-transformers models: same vectors, a third of the time.

``OnnxRunner`` runs a model's transformer exported once to ONNX (fp32, so
vectors match torch's to cosine 1.0000 and cached indexes stay valid) with the
``tokenizers`` library: neither torch nor sentence-transformers is imported
once the export exists, so a cached start takes under a second instead of
four. ``supports(model_dir)`` says whether a model qualifies: a local folder
whose modules are Transformer, mean Pooling and optionally Normalize.
``export(model_dir, target)`` writes the file (needs torch; done on first use)
with its attention fused where ONNX Runtime's transformer optimiser can
(``fuse``), and beside it ``model.onnx.json`` with its size and digest; ``verify_export``
raises unless the file matches, so a truncated or scrambled export (which
gave NaN vectors, silently) is exported again instead of served. The caller
holds the export folder's lock around checking, exporting and opening.
The int8 variant is made by ``embeddings/quantise.py`` from the same graph
exported unfused (``TRACED_NAME``, made only for int8) and checked with the
same ``verify_export``. Leaves out: other pooling modes,
Dense layers.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path

import numpy as np

from .files import DIGEST, atomic_write, digest_matches

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
EXPORT_NAME = "model.onnx"  # the fp32 export in its model's folder under <cache>/onnx
# The same graph as traced, unfused, beside it: made only for int8, whose recipes pick MatMuls by the tracer's names.
TRACED_NAME = "model-traced.onnx"
# What a killed export leaves in its folder (cleaned by the next holder of the folder's lock);
# .export-*.onnx is what exports before embeddings.files.atomic_write left.
LEFTOVERS = (".*.tmp", ".*.traced.onnx", ".export-*.onnx")
_MEAN_POOLING = {"sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                 "sentence_transformers.models.Normalize"}


def available() -> bool:
    """Whether onnxruntime is installed."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def supports(model_dir: Path) -> bool:
    """Whether a local model is Transformer + mean Pooling (+ Normalize) with a fast tokenizer."""
    model_dir = Path(model_dir)
    try:
        modules = json.loads((model_dir / "modules.json").read_text())
        types = {m["type"] for m in modules}
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith(".Pooling"))
        pooling = json.loads((model_dir / pooling_dir / "config.json").read_text())
    except (OSError, ValueError, KeyError, StopIteration):
        return False
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    return types <= _MEAN_POOLING and modes == ["pooling_mode_mean_tokens"] and (model_dir / "tokenizer.json").is_file()


def max_tokens(model_dir: Path) -> int:
    """The model's window, as sentence-transformers would read it."""
    try:
        return int(json.loads((Path(model_dir) / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 512


# Bumped when the export itself changes (not the model), so caches export again once: 2 = traced with
# eager attention and fused (``fuse``).
EXPORT_VERSION = 2


def export(model_dir: Path, target: Path, fused: bool = True) -> None:
    """Export the model's transformer (token states out) to ``target``, atomically, fused where it can be.

    Traced with eager attention: torch's fused attention (sdpa) exports as a
    graph ONNX Runtime neither fuses nor runs as fast. On the bench's wiki
    passages (2 threads, batch 8, taking turns) the sdpa trace embedded 5,540
    tokens/s and this one 6,160 (1.12x); most of it is the eager trace, and
    fusing takes a question from 5.5 to 5.2 ms (1 thread).
    """
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True,
                                model_kwargs={"attn_implementation": "eager"})
    inner = model[0].auto_model.eval()
    sample = model.tokenizer(["an example", "a second, longer example"], padding=True, return_tensors="pt")
    names = [n for n in INPUTS if n in sample]

    class TokenStates(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = inner

        def forward(self, *tensors):
            return self.inner(**dict(zip(names, tensors))).last_hidden_state

    axes = {0: "batch", 1: "tokens"}

    def write(tmp: str) -> None:
        traced = Path(tmp).with_suffix(".traced.onnx")  # .<name>.<random>.traced.onnx: swept as a leftover
        try:
            with torch.inference_mode(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the tracer's notes on shapes say nothing a user can act on
                torch.onnx.export(
                    TokenStates(), tuple(sample[n] for n in names), str(traced), input_names=names,
                    output_names=["states"], dynamic_axes={**{n: axes for n in names}, "states": axes},
                    opset_version=17, dynamo=False,
                )
            if fused:  # checked on a padded batch as long as the model's window
                probe = model.tokenizer(["an example", "word " * 2 * model.max_seq_length], padding=True,
                                        truncation=True, max_length=model.max_seq_length, return_tensors="np")
                fuse(traced, Path(tmp), inner.config, {n: probe[n] for n in names})
            else:
                os.replace(traced, tmp)
        finally:
            traced.unlink(missing_ok=True)

    target.parent.mkdir(parents=True, exist_ok=True)
    record = {DIGEST: atomic_write(target, write), "bytes": target.stat().st_size}
    atomic_write(record_path(target), lambda path: Path(path).write_text(json.dumps(record)))


def fuse(traced: Path, out: Path, config, probe: dict[str, np.ndarray]) -> None:
    """Write ``traced`` to ``out`` with attention, GELU and layer norms fused into ONNX Runtime's own ops.

    Where the optimiser fails or changes the states (another architecture,
    another onnxruntime), the traced graph is written unchanged: fusing is
    for speed only, never a different vector (checked on ``probe``, a padded
    batch of the model's inputs).
    """
    import shutil

    try:
        import onnxruntime as ort
        from onnxruntime.transformers.optimizer import optimize_model

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fused = optimize_model(str(traced), model_type="bert", num_heads=int(config.num_attention_heads),
                                   hidden_size=int(config.hidden_size), opt_level=0)
        if not fused.get_fused_operator_statistics().get("Attention"):
            raise ValueError("no attention to fuse")
        fused.save_model_to_file(str(out))
        real = probe["attention_mask"].astype(bool)  # padding's states are never pooled
        states = []
        for path in (traced, out):
            session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            states.append(session.run(None, {i.name: probe[i.name] for i in session.get_inputs()})[0][real])
        if not np.allclose(states[0], states[1], atol=1e-4):
            raise ValueError("fused states differ")
    except Exception as exc:  # noqa: BLE001 - any failure means: keep the traced graph
        log.info("ONNX export left unfused (%s): it runs, a little slower", exc)
        shutil.copyfile(traced, out)


def record_path(target: Path) -> Path:
    """The size-and-checksum record written beside a model file."""
    return Path(target).with_name(Path(target).name + ".json")


class ExportDamaged(Exception):
    """An export that must not be run: missing, truncated, scrambled, or without its checksum."""


def verify_export(target: Path) -> None:
    """Raise ExportDamaged unless the export matches the checksum written with it.

    The file is streamed, not held: a session opened from bytes kept ~85 MB
    more than one opened from the path.
    """
    target = Path(target)
    try:
        record = json.loads(record_path(target).read_text())
        size = target.stat().st_size
        if not isinstance(record, dict) or size != record.get("bytes"):
            raise ExportDamaged(f"{target.name} is truncated or resized ({size:,} bytes)")
        if not digest_matches(target, record):
            raise ExportDamaged(f"{target.name} does not match its checksum")
    except FileNotFoundError as exc:
        raise ExportDamaged(f"{Path(exc.filename).name} is missing") from exc
    except (OSError, ValueError) as exc:
        raise ExportDamaged(f"unreadable export ({exc})") from exc


class OnnxRunner:
    """Token states of a batch from ONNX Runtime; pooled like sentence-transformers' mean Pooling."""

    def __init__(self, onnx_path: Path, model_dir: Path, threads: int):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-waiting between calls
        self.path, self.model_dir = Path(onnx_path), Path(model_dir)
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.max_tokens = max_tokens(model_dir)
        self._count = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self._count.no_truncation()
        self._count.no_padding()
        self._batch = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self._batch.enable_truncation(self.max_tokens)
        pad = self._batch.padding or {}
        self._batch.enable_padding(pad_id=pad.get("pad_id", 0), pad_token=pad.get("pad_token", "[PAD]"))

    def count_tokens(self, text: str) -> int:
        return len(self._count.encode(text).ids)

    def run(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(pooled unit vectors, token states, attention mask, character offsets) of one batch."""
        encodings = self._batch.encode_batch(texts)
        feed = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        states = self.session.run(None, {n: feed[n] for n in self.inputs})[0].astype(np.float32, copy=False)
        mask = feed["attention_mask"]
        weights = mask[..., None].astype(np.float32)
        pooled = (states * weights).sum(1) / np.clip(weights.sum(1), 1e-9, None)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        offsets = np.array([e.offsets for e in encodings], dtype=np.int64)
        return pooled, states, mask, offsets
