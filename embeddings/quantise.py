"""The int8 variant of an ONNX export: made once from the verified unfused fp32 file, checksummed like it.

``quantise(export, target, recipe)`` writes ``target`` atomically with
``onnxruntime.quantization`` (offline, seconds) and beside it the same
size-and-digest record as the export (``embeddings.onnx.verify_export``
checks both), so a damaged int8 file is made again, never run. A ``Recipe``
says which MatMuls become int8 and how: ``dynamic`` (MatMulInteger: int8
weights per output channel, activations quantised per batch; the VNNI path)
or ``blockwise`` (MatMulNBits with 8-bit weights in blocks along the inner
dimension and activations quantised per block, which needs the ``onnx-ir``
package). ``INT8`` is the recipe the engine uses; ``RECIPES`` are the ones
``bench/int8.py`` compares. The recipe's name is part of the file name and of
the vectors' precision (``Embedder.precision``), so a changed recipe gives a
new file and rebuilt stores. Leaves out: static quantisation with calibration
(QDQ per channel, calibrated on seeds/ and tests/data/articles: top-5
overlap with fp32 0.71 on public-dev, worse than dynamic, and it would need
calibration text at first use). Nor any subset of layers: the error is
spread over all six, and int8 in one layer alone (every other layer fp32)
already gives top-5 overlap 0.947-0.959 on public-dev for layers 0-4 and 0.978
for the last, at the speed of fp32 (measured 2026-11-27, dense overlap as
``bench/int8.py`` takes it); coarser blockwise blocks trade the other way
(64: 0.973 at 1.19x, 128: 0.963 at 1.30x; 32: 0.977 at 1.12x).
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .files import DIGEST, atomic_write
from .onnx import record_path

# The transformer's MatMuls by role, as torch.onnx names BERT-style layers.
ROLES = {
    "ffn_up": "/intermediate/dense/",
    "ffn_down": "/output/dense/",  # not attention/output/dense: see _role
    "attention_out": "/attention/output/dense/",
    "qkv": "/attention/self/",
}


@dataclass(frozen=True)
class Recipe:
    """How to make an int8 model: the method, and which weight MatMuls to leave in fp32."""

    name: str
    method: str = "dynamic"  # "dynamic" (MatMulInteger) or "blockwise" (8-bit MatMulNBits, int8 compute)
    per_channel: bool = True  # dynamic: one weight scale per output column instead of one per matrix
    keep_fp32: tuple[str, ...] = ()  # roles (ROLES) whose MatMuls stay fp32
    block_size: int = 32  # blockwise: inner-dimension elements sharing one scale
    all_ops: bool = False  # dynamic: quantise every op ORT can (embedding Gathers too), not only MatMuls

    @property
    def file_name(self) -> str:
        return f"model-{self.name}.onnx"


# The first try, kept to compare: every op per tensor (top-5 overlap with fp32 0.80 on public-dev).
FIRST_TRY = Recipe("int8-dynamic-per-tensor-all", per_channel=False, all_ops=True)
RECIPES = (
    FIRST_TRY,
    Recipe("int8-dynamic"),
    Recipe("int8-dynamic-attention", keep_fp32=("ffn_up", "ffn_down")),
    Recipe("int8-dynamic-ffn", keep_fp32=("qkv", "attention_out")),
    Recipe("int8-blockwise", method="blockwise"),
    Recipe("int8-blockwise-16", method="blockwise", block_size=16),
    Recipe("int8-blockwise-128", method="blockwise", block_size=128),
)
# The engine's int8 (Settings.precision = "int8"): the one that makes builds
# faster (1.8x) with the same dev-set accuracy; the evidence is by the setting, qa/config.py.
INT8 = RECIPES[1]


def quantise(export: Path, target: Path, recipe: Recipe = INT8) -> None:
    """Write ``recipe``'s int8 model of the fp32 ``export`` to ``target``, atomically, with its checksum record."""
    import onnx

    model = onnx.load(str(export))
    weights = {i.name for i in model.graph.initializer}
    matmuls = [n.name for n in model.graph.node if n.op_type == "MatMul" and n.input[1] in weights]
    keep = [n for n in matmuls if _role(n) in recipe.keep_fp32]

    def write(tmp: str) -> None:
        with _quiet():
            if recipe.method == "dynamic":
                _dynamic(export, tmp, recipe, keep)
            elif recipe.method == "blockwise":
                _blockwise(model, tmp, recipe, keep)
            else:
                raise ValueError(f"unknown quantisation method {recipe.method!r}")

    target.parent.mkdir(parents=True, exist_ok=True)
    record = {DIGEST: atomic_write(target, write), "bytes": target.stat().st_size, "recipe": recipe.name}
    atomic_write(record_path(target), lambda path: Path(path).write_text(json.dumps(record)))


def _role(node: str) -> str | None:
    for role in ("attention_out", "qkv", "ffn_up", "ffn_down"):
        if ROLES[role] in node:
            return role
    return None


def _dynamic(export: Path, out: str, recipe: Recipe, keep: list[str]) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(export), out, weight_type=QuantType.QInt8, per_channel=recipe.per_channel,
                     op_types_to_quantize=None if recipe.all_ops else ["MatMul"], nodes_to_exclude=keep)


def _blockwise(model, out: str, recipe: Recipe, keep: list[str]) -> None:
    try:
        from onnxruntime.quantization.matmul_nbits_quantizer import (
            DefaultWeightOnlyQuantConfig,
            MatMulNBitsQuantizer,
        )
    except ImportError as exc:
        raise RuntimeError(f"blockwise int8 needs the onnx-ir package (pip install onnx-ir): {exc}") from exc
    config = DefaultWeightOnlyQuantConfig(block_size=recipe.block_size, is_symmetric=True, accuracy_level=4, bits=8)
    quantiser = MatMulNBitsQuantizer(model, nodes_to_exclude=keep, algo_config=config)
    quantiser.process()
    quantiser.model.save_model_to_file(out, False)


class _NotForUsers(logging.Filter):
    """onnxruntime.quantization's advice to its own developers ("consider pre-processing"), logged on the root."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.pathname.replace("\\", "/").count("onnxruntime/quantization/")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    root, muted = logging.getLogger(), _NotForUsers()
    root.addFilter(muted)
    try:
        yield
    finally:
        root.removeFilter(muted)
